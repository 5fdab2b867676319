//! One host's pipeline through one play: steps in order, blocks with rescue / always,
//! handlers at the end, variables layered as documented in `vars.rs`.

use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use minijinja::Value;

use super::Shared;
use crate::connection::Become as Sudo;
use crate::event::{Event, Recap};
use crate::modules::HostSession;
use crate::modules::outcome::Directive;
use crate::modules::session::READ_AHEAD_TASKS;
use crate::program::{Become, Block, Cond, Play, Step, Task};
use crate::template::TemplateError;
use crate::vars::{VarMap, to_value};

/// What a step leaves the host able to do next.
pub(super) enum Flow {
    Go,
    /// `meta { action = "end_host" }`: this host is done with the play, and fine.
    End,
    Failed(String),
    Unreachable(String),
    Stop,
}

pub(super) struct Frame {
    pub(super) vars: VarMap,
    pub(super) sudo: Become,
    pub(super) ignore_errors: bool,
}

pub(super) struct HostRun {
    pub(super) s: Arc<Shared>,
    pub(super) host: String,
    pub(super) play: Arc<Play>,
    /// The play's position in the plan (journal records name plays by it).
    pub(super) play_index: usize,
    /// The variables every task of this host sees and that do not change during the play
    /// (`inventory_hostname`, `groups`, `group_names`, `hostvars`, `play_hosts`, ...).
    pub(super) magic: VarMap,
    pub(super) base: VarMap,
    pub(super) play_vars: VarMap,
    pub(super) roles: HashMap<usize, super::scope::RoleLayers>,
    pub(super) frames: Vec<Frame>,
    pub(super) notified: BTreeSet<usize>,
    pub(super) recap: Recap,
    /// What the last task's module asked of the pipeline (`meta`).
    pub(super) directive: Option<Directive>,
    /// Check mode: a registered result is unknown, so conditions on it cannot be decided.
    pub(super) unknown: bool,
    /// Probes read ahead for the next tasks, and the count of remote commands.
    pub(super) session: Arc<HostSession>,
    /// How many tasks the last read-ahead covered at most.
    pub(super) window: usize,
}

impl HostRun {
    pub(super) fn new(
        s: Arc<Shared>,
        host: String,
        (play_index, play): (usize, Arc<Play>),
        play_hosts: Vec<String>,
    ) -> Self {
        let base = s.inventory.host_vars(&host);
        let mut magic = VarMap::new();
        magic.insert("inventory_hostname".into(), Value::from(host.as_str()));
        magic.insert("groups".into(), s.groups.clone());
        magic.insert(
            "group_names".into(),
            s.inventory
                .groups_of(&host)
                .into_iter()
                .map(Value::from)
                .collect(),
        );
        magic.insert("hostvars".into(), s.hostvars.clone());
        magic.insert(
            "play_hosts".into(),
            play_hosts.iter().map(|h| Value::from(h.as_str())).collect(),
        );
        magic.insert("eov_check_mode".into(), Value::from(s.options.check));
        let session = s.sessions.join(&host);
        HostRun {
            recap: Recap {
                host: host.clone(),
                ..Recap::default()
            },
            s,
            host,
            play,
            play_index,
            magic,
            base,
            play_vars: VarMap::new(),
            roles: HashMap::new(),
            frames: Vec::new(),
            notified: BTreeSet::new(),
            unknown: false,
            directive: None,
            session,
            window: 0,
        }
    }

    /// Runs the play's steps and then its notified handlers. Returns the host, its counts,
    /// and whether it left the run (failed or unreachable).
    pub(super) async fn run(mut self, steps: &[Step]) -> (String, Recap, bool) {
        self.notify_pending();
        let flow = match self.gather_facts().await {
            Flow::Go => match self.render_play_vars() {
                Ok(()) => self.steps(steps).await,
                Err(e) => {
                    self.recap.failed += 1;
                    Flow::Failed(format!("play vars: {}", e.message))
                }
            },
            other => other,
        };
        let flow = match flow {
            Flow::Go => self.handlers().await,
            other => other,
        };
        self.recap.commands = self.session.commands();
        let left = match flow {
            Flow::Go | Flow::End | Flow::Stop => false,
            Flow::Failed(reason) | Flow::Unreachable(reason) => {
                self.s.events.send(Event::HostLeft {
                    play: self.play.name.clone(),
                    host: self.host.clone(),
                    reason,
                });
                true
            }
        };
        (self.host, self.recap, left)
    }

    /// Facts, once per host and run, before the first play that uses them (see `facts.rs`).
    async fn gather_facts(&mut self) -> Flow {
        let wanted = self.s.facts_in_play.get(self.play_index) == Some(&true);
        if !wanted || self.s.facts.get(&self.host).contains_key("facts") {
            return Flow::Go;
        }
        let conn = match self.s.connections.get(&self.host).await {
            Ok(c) => c,
            Err(e) => {
                self.recap.unreachable += 1;
                return Flow::Unreachable(e.to_string());
            }
        };
        match self
            .session
            .exec(&conn, super::facts::SCRIPT, None, None)
            .await
        {
            Ok(out) => {
                for (k, v) in super::facts::parse(&out.stdout_text()) {
                    self.s.facts.set(&self.host, &k, v);
                }
                Flow::Go
            }
            Err(crate::connection::ConnectionError::Interrupted) => Flow::Stop,
            Err(e) => {
                self.recap.unreachable += 1;
                Flow::Unreachable(format!("gathering facts: {e}"))
            }
        }
    }

    fn steps<'a>(
        &'a mut self,
        steps: &'a [Step],
    ) -> Pin<Box<dyn Future<Output = Flow> + Send + 'a>> {
        Box::pin(async move {
            for (i, step) in steps.iter().enumerate() {
                if self.s.cancel.is_cancelled() {
                    return Flow::Stop;
                }
                let flow = match step {
                    Step::Task(t) => {
                        self.read_ahead(&steps[i..]).await;
                        // A controller-only task changes no host: nothing to carry along.
                        let next = if t.module.runs_on_controller() {
                            None
                        } else {
                            self.plan(&steps[i + 1..], *READ_AHEAD_TASKS.start())
                        };
                        self.session.set_next(next);
                        let flow = self.task(t, false).await;
                        self.session.set_next(None);
                        match (flow, self.directive.take()) {
                            (Flow::Go, Some(Directive::FlushHandlers)) => self.handlers().await,
                            (Flow::Go, Some(Directive::EndHost)) => Flow::End,
                            (flow, _) => flow,
                        }
                    }
                    Step::Block(b) => self.block(b).await,
                };
                if !matches!(flow, Flow::Go) {
                    return flow;
                }
            }
            Flow::Go
        })
    }

    async fn block(&mut self, b: &Block) -> Flow {
        let ctx = match self.block_context(b) {
            Ok(c) => c,
            Err(e) => return self.block_error(b, &e),
        };
        if let Some(cond) = &b.when {
            match self.condition(cond, &ctx) {
                Ok(true) => {}
                Ok(false) => return Flow::Go,
                Err(e) => return self.block_error(b, &e),
            }
        }
        let mut vars = VarMap::new();
        let mut scope = ctx;
        for e in &b.vars {
            match e
                .value
                .render(&self.s.templates, &to_value(&scope), &self.s.secrets)
            {
                Ok(v) => {
                    scope.insert(e.name.clone(), v.clone());
                    vars.insert(e.name.clone(), v);
                }
                Err(err) => return self.block_error(b, &err),
            }
        }
        self.frames.push(Frame {
            vars,
            sudo: b.sudo.clone(),
            ignore_errors: b.ignore_errors,
        });
        let failed_before = self.recap.failed;
        let mut flow = self.steps(&b.body).await;
        if matches!(flow, Flow::Failed(_)) && !b.rescue.is_empty() {
            flow = self.steps(&b.rescue).await;
            if matches!(flow, Flow::Go) {
                // The failure was handled: the host goes on, and the recap says it was rescued.
                self.recap.failed = failed_before;
                self.recap.rescued += 1;
            }
        }
        if !matches!(flow, Flow::Unreachable(_) | Flow::Stop) && !b.always.is_empty() {
            let after = self.steps(&b.always).await;
            if !matches!(after, Flow::Go) {
                flow = after;
            }
        }
        self.frames.pop();
        flow
    }

    fn block_error(&mut self, b: &Block, e: &TemplateError) -> Flow {
        self.recap.failed += 1;
        Flow::Failed(format!(
            "block `{}`: {}",
            b.name.as_deref().unwrap_or("(unnamed)"),
            e.message
        ))
    }

    async fn handlers(&mut self) -> Flow {
        let play = self.play.clone();
        for index in std::mem::take(&mut self.notified) {
            let handler = &play.handlers[index];
            let flow = self.task(handler, true).await;
            if !matches!(flow, Flow::Go) {
                return flow;
            }
            self.journal_handled(index);
        }
        Flow::Go
    }

    pub(super) fn condition(&self, cond: &Cond, ctx: &VarMap) -> Result<bool, TemplateError> {
        match cond {
            Cond::Const(b) => Ok(*b),
            Cond::Expr(e) => self.s.templates.truth(e, &to_value(ctx)),
        }
    }

    pub(super) fn ignoring_errors(&self, task: &Task) -> bool {
        task.ignore_errors || self.frames.iter().any(|f| f.ignore_errors)
    }

    /// A failed attempt, ignored under `ignore_errors` (also a template, a condition or a
    /// loop source that fails, not only the module).
    pub(super) fn failure(&self, task: &Task, msg: impl Into<String>) -> super::result::Attempt {
        let mut a = super::result::Attempt::failed(msg);
        if self.ignoring_errors(task) {
            a.status = crate::event::Status::Ignored;
        }
        a
    }

    /// The effective `become` for a task: task over blocks (innermost first) over play.
    pub(super) fn become_for(
        &self,
        task: &Task,
        ctx: &VarMap,
    ) -> Result<Option<Sudo>, TemplateError> {
        let mut b = task.sudo.clone();
        for f in self.frames.iter().rev() {
            b = b.over(&f.sudo);
        }
        b = b.over(&self.play.sudo);
        if b.enabled != Some(true) {
            return Ok(None);
        }
        let user = match &b.user {
            Some(v) => v
                .render(&self.s.templates, &to_value(ctx), &self.s.secrets)?
                .to_string(),
            None => "root".into(),
        };
        Ok(Some(Sudo {
            user,
            password: self.s.options.become_password.clone(),
        }))
    }
}
