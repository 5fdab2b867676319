//! The checked program: names resolved, modules and handlers linked, settings typed.
//! Everything here was validated by `check`; later stages rely on it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::ast::{Entry, Loop, Value};
use crate::modules::Module;
use crate::source::Span;

#[derive(Debug, Default)]
pub struct Program {
    pub plays: Vec<Play>,
}

#[derive(Debug)]
pub struct Play {
    pub name: String,
    pub pattern: Value,
    pub vars: Vec<Entry>,
    pub sudo: Become,
    pub body: Vec<Step>,
    pub handlers: Vec<Arc<Task>>,
    pub span: Span,
}

#[derive(Debug)]
pub enum Step {
    Task(Arc<Task>),
    Block(Arc<Block>),
}

/// A condition: a constant or a Jinja expression.
#[derive(Clone, Debug)]
pub enum Cond {
    Const(bool),
    Expr(String),
}

/// `become` settings; `None` inherits from the enclosing block or play.
#[derive(Clone, Debug, Default)]
pub struct Become {
    pub enabled: Option<bool>,
    pub user: Option<Value>,
}

impl Become {
    /// This level's settings over `outer`'s.
    pub fn over(&self, outer: &Become) -> Become {
        Become {
            enabled: self.enabled.or(outer.enabled),
            user: self.user.clone().or_else(|| outer.user.clone()),
        }
    }
}

/// Where a task came from: a role instance (with its arguments) and where its files are.
#[derive(Debug)]
pub struct Scope {
    pub role: Option<Arc<RoleInstance>>,
    /// Directories searched for `src` files, most specific first.
    pub search: Vec<PathBuf>,
}

/// One application of a role in a play.
#[derive(Debug)]
pub struct RoleInstance {
    pub id: usize,
    pub name: String,
    /// Parameter defaults (lower than play vars).
    pub defaults: Vec<Entry>,
    /// Arguments given where the role is applied, and the role's own vars (above play vars).
    pub args: Vec<Entry>,
    pub secret_params: Vec<String>,
    pub param_types: Vec<(String, String)>,
}

#[derive(Debug)]
pub struct Block {
    pub name: Option<String>,
    pub when: Option<Cond>,
    pub sudo: Become,
    pub ignore_errors: bool,
    pub vars: Vec<Entry>,
    pub body: Vec<Step>,
    pub rescue: Vec<Step>,
    pub always: Vec<Step>,
    pub tags: Vec<String>,
    /// The role it is in, for its `when` and `vars`.
    pub scope: Arc<Scope>,
}

#[derive(Debug)]
pub struct Task {
    /// Unique in the program: keys `run_once` results.
    pub id: usize,
    pub name: String,
    pub span: Span,
    pub module: Module,
    pub args: Vec<Entry>,
    pub looping: Option<Loop>,
    pub vars: Vec<Entry>,
    pub scope: Arc<Scope>,
    pub when: Option<Cond>,
    pub register: Option<String>,
    /// Indexes into the play's handlers.
    pub notify: Vec<usize>,
    pub sudo: Become,
    pub ignore_errors: bool,
    pub changed_when: Option<Cond>,
    pub failed_when: Option<Cond>,
    pub retries: u32,
    pub delay: Duration,
    /// `retries` / `delay` given as templates (`"{{ poll_retries }}"`), rendered per run.
    pub retries_expr: Option<Value>,
    pub delay_expr: Option<Value>,
    pub until: Option<Cond>,
    pub run_once: bool,
    pub delegate_to: Option<Value>,
    pub no_log: bool,
    /// `check_mode = false`: a read-only task that runs for real even under `--check`.
    pub check_mode: Option<bool>,
    /// Own tags plus those of every enclosing block, role and play.
    pub tags: Vec<String>,
}
