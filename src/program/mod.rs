//! The checked program: names resolved, modules and handlers linked, settings typed.
//! Everything here was validated by `check`; later stages rely on it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

mod param_type;
mod value;

use crate::modules::Module;
use crate::source::Span;
pub use param_type::ParamType;
pub use value::{Value, Var, vars};

#[derive(Debug, Default)]
pub struct Program {
    pub plays: Vec<Play>,
}

#[derive(Debug)]
pub struct Play {
    pub name: String,
    pub pattern: Value,
    pub vars: Vec<Var>,
    pub sudo: Become,
    /// A host failing in this play stops the run after it: no later play starts.
    pub any_errors_fatal: bool,
    /// The lab `eov test` starts for this play when it is a role's scenario.
    pub lab: Option<LabNeeds>,
    pub body: Vec<Step>,
    pub handlers: Vec<Arc<Task>>,
    pub span: Span,
}

/// `lab = { hosts = N, image = "...", groups = {...} }`: what a scenario needs; unset parts
/// take the defaults.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LabNeeds {
    pub hosts: Option<usize>,
    pub image: Option<crate::lab::Variant>,
    /// Inventory groups and their lab hosts (`h1`, ...), besides the group `lab` of all.
    pub groups: Vec<(String, Vec<String>)>,
    /// Hosts are started again when they stop (`eov lab up --restart always`): a reboot.
    pub restart: bool,
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
    /// The role this one is applied in (`role b` inside role `a`): its arguments are rendered
    /// in that role's scope.
    pub parent: Option<Arc<RoleInstance>>,
    pub name: String,
    /// Parameter defaults (lower than play vars); a default may read any other parameter,
    /// whatever the order, and sees the arguments passed.
    pub defaults: Vec<Var>,
    /// Arguments given where the role is applied (above play vars), rendered in the play's scope.
    pub args: Vec<Var>,
    /// The role's own `vars` (above its arguments); they see its parameters.
    pub vars: Vec<Var>,
    pub secret_params: Vec<String>,
    /// Each parameter's type, and whether `null` is accepted (`str?`).
    pub param_types: Vec<(String, ParamType, bool)>,
}

/// `for VAR in SOURCE`.
#[derive(Clone, Debug)]
pub struct Looping {
    pub var: String,
    pub source: LoopSource,
}

/// Where a loop's items come from.
#[derive(Clone, Debug)]
pub enum LoopSource {
    /// A Jinja expression: a bare path (`groups.compute`) or a quoted expression
    /// (`"range(3)"`), like `when`.
    Expr(String),
    /// A literal list, whose strings are templates.
    Value(Value),
}

impl LoopSource {
    /// The language's rule, in one place: a bare path or a quoted string without `{{ }}` is
    /// an expression; anything else is a value.
    pub fn of(source: &crate::ast::Value) -> LoopSource {
        match Value::from_ast(source) {
            Value::Expr(e) => LoopSource::Expr(e),
            Value::Text(s) if !crate::template::is_templated(&s) => LoopSource::Expr(s),
            other => LoopSource::Value(other),
        }
    }
}

#[derive(Debug)]
pub struct Block {
    pub name: Option<String>,
    pub when: Option<Cond>,
    pub sudo: Become,
    pub ignore_errors: bool,
    pub vars: Vec<Var>,
    pub body: Vec<Step>,
    pub rescue: Vec<Step>,
    pub always: Vec<Step>,
    pub tags: Vec<String>,
    /// The role the block belongs to, if any: its `when` and `vars` see the role's variables.
    pub scope: Arc<Scope>,
}

#[derive(Debug)]
pub struct Task {
    /// Unique in the program: keys `run_once` results.
    pub id: usize,
    pub name: String,
    pub span: Span,
    /// `file:line:col` of the task, and of each argument's value (same order as `args`), for
    /// errors found while it runs.
    pub location: String,
    pub arg_locations: Vec<String>,
    pub module: Module,
    pub args: Vec<Var>,
    pub looping: Option<Looping>,
    pub vars: Vec<Var>,
    pub scope: Arc<Scope>,
    pub when: Option<Cond>,
    pub register: Option<String>,
    /// Indexes into the play's handlers.
    pub notify: Vec<usize>,
    /// `loop_control`: how an item is named in output, and a variable holding its index.
    pub loop_label: Option<Value>,
    pub loop_index: Option<String>,
    /// `loop_control.parallel`: items run at once (1: one after the other).
    pub loop_parallel: usize,
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
