//! One host's pipeline through one play: steps in order, blocks with rescue / always,
//! handlers at the end, variables layered as documented in `vars.rs`.

use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use minijinja::Value;

use super::Shared;
use crate::ast::Entry;
use crate::connection::Become as Sudo;
use crate::event::{Event, Recap};
use crate::modules::prefetch::{Plan, READ_AHEAD_BYTES, READ_AHEAD_TASKS};
use crate::modules::{Lookahead, Prefetch};
use crate::program::{Become, Block, Cond, Play, RoleInstance, Step, Task};
use crate::template::TemplateError;
use crate::vars::{VarMap, to_value};

/// What a step leaves the host able to do next.
pub(super) enum Flow {
    Go,
    Failed(String),
    Unreachable(String),
    Stop,
}

struct Frame {
    vars: VarMap,
    sudo: Become,
    ignore_errors: bool,
}

pub(super) struct HostRun {
    pub(super) s: Arc<Shared>,
    pub(super) host: String,
    pub(super) play: Arc<Play>,
    /// The variables every task of this host sees and that do not change during the play
    /// (`inventory_hostname`, `groups`, `group_names`, `hostvars`, `play_hosts`, ...).
    magic: VarMap,
    base: VarMap,
    play_vars: VarMap,
    roles: HashMap<usize, (VarMap, VarMap)>,
    frames: Vec<Frame>,
    pub(super) notified: BTreeSet<usize>,
    pub(super) recap: Recap,
    /// Check mode: a registered result is unknown, so conditions on it cannot be decided.
    pub(super) unknown: bool,
    /// Probes read ahead for the next tasks, and the count of remote commands.
    pub(super) probes: Arc<Prefetch>,
    /// How many tasks the last read-ahead covered at most.
    window: usize,
}

impl HostRun {
    pub(super) fn new(
        s: Arc<Shared>,
        host: String,
        play: Arc<Play>,
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
        let probes = s.probes.join(&host);
        HostRun {
            recap: Recap {
                host: host.clone(),
                ..Recap::default()
            },
            s,
            host,
            play,
            magic,
            base,
            play_vars: VarMap::new(),
            roles: HashMap::new(),
            frames: Vec::new(),
            notified: BTreeSet::new(),
            unknown: false,
            probes,
            window: 0,
        }
    }

    /// Runs the play's steps and then its notified handlers. Returns the host, its counts,
    /// and whether it left the run (failed or unreachable).
    pub(super) async fn run(mut self, steps: &[Step]) -> (String, Recap, bool) {
        let flow = match self.render_play_vars() {
            Ok(()) => self.steps(steps).await,
            Err(e) => {
                self.recap.failed += 1;
                Flow::Failed(format!("play vars: {}", e.message))
            }
        };
        let flow = match flow {
            Flow::Go => self.handlers().await,
            other => other,
        };
        self.recap.commands = self.probes.commands();
        let left = match flow {
            Flow::Go | Flow::Stop => false,
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
                        let next = if t.module.is_local_only() {
                            None
                        } else {
                            self.plan(&steps[i + 1..], *READ_AHEAD_TASKS.start())
                        };
                        self.probes.set_next(next);
                        let flow = self.task(t, false).await;
                        self.probes.set_next(None);
                        flow
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

    /// Reads ahead the probes of the tasks that start `steps` and only read the host before
    /// they decide (file, copy, template, lineinfile, stat, a command's `creates`...), so that
    /// on a host already in shape they cost one round trip between them.
    async fn read_ahead(&mut self, steps: &[Step]) {
        let Some(Step::Task(first)) = steps.first() else {
            return;
        };
        // A controller-only task needs no probe; the next task that does reads ahead.
        if self.probes.covers(first.id) || first.module.is_local_only() {
            return;
        }
        self.window = if self.probes.emptied_by_change() {
            *READ_AHEAD_TASKS.start()
        } else {
            (self.window * 2).clamp(*READ_AHEAD_TASKS.start(), *READ_AHEAD_TASKS.end())
        };
        let Some(plan) = self.plan(steps, self.window) else {
            return;
        };
        let Ok(conn) = self.s.connections.get(&self.host).await else {
            return;
        };
        // A failure here is the next task's to report, when it runs its own probe.
        let _ = self
            .probes
            .load(&conn, plan.sudo.as_ref(), plan.tasks, plan.queries)
            .await;
    }

    /// The probes of the tasks that start `steps`, up to the first that may change the host
    /// before it probes, or whose inputs are not known yet (a result registered before it).
    fn plan(&mut self, steps: &[Step], window: usize) -> Option<Plan> {
        if !self.s.options.read_ahead {
            return None;
        }
        let mut key = None;
        let (mut tasks, mut queries, mut budget) = (Vec::new(), Vec::new(), 0);
        for step in steps {
            let Step::Task(t) = step else { break };
            if t.looping.is_some() || t.delegate_to.is_some() || t.run_once {
                break;
            }
            if t.module.is_local_only() {
                // debug, assert and fail leave everything as it was; set_fact and pause do not.
                if t.module.is_inert() {
                    continue;
                }
                break;
            }
            let Ok(ctx) = self.context(Some(t), &[]) else {
                break;
            };
            let Ok(sudo) = self.become_for(t, &ctx) else {
                break;
            };
            if key.get_or_insert_with(|| sudo.clone()) != &sudo {
                break;
            }
            let only = Some(t.module.lookahead_args());
            let Ok(args) = self.render_args(t, &to_value(&ctx), only) else {
                break;
            };
            match t.module.lookahead(&args, self.s.options.diff) {
                Lookahead::Probes(q) => {
                    budget += q.iter().map(|q| q.path.len() + 16).sum::<usize>();
                    if budget > READ_AHEAD_BYTES || tasks.len() == window {
                        break;
                    }
                    tasks.push(t.id);
                    queries.extend(q);
                }
                Lookahead::Stop => break,
            }
        }
        if queries.is_empty() {
            return None;
        }
        Some(Plan {
            host: self.host.clone(),
            sudo: key.flatten(),
            tasks,
            queries,
        })
    }

    async fn block(&mut self, b: &Block) -> Flow {
        let ctx = match self.context_in(b.scope.role.clone(), None, &[]) {
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
            match self
                .s
                .templates
                .render_value(&e.value, &to_value(&scope), &self.s.secrets)
            {
                Ok(v) => {
                    scope.insert(e.key.name.clone(), v.clone());
                    vars.insert(e.key.name.clone(), v);
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
        }
        Flow::Go
    }

    /// Renders `entries` in order on top of `scope` (each sees the ones before it).
    fn render_entries(
        &self,
        entries: &[Entry],
        scope: &mut VarMap,
    ) -> Result<VarMap, TemplateError> {
        let mut out = VarMap::new();
        for e in entries {
            let v = self
                .s
                .templates
                .render_value(&e.value, &to_value(scope), &self.s.secrets)?;
            scope.insert(e.key.name.clone(), v.clone());
            out.insert(e.key.name.clone(), v);
        }
        Ok(out)
    }

    fn top(&self) -> VarMap {
        let mut m = self.s.facts.get(&self.host);
        m.extend(self.s.options.extra_vars.clone());
        m.extend(self.magic.clone());
        m
    }

    fn render_play_vars(&mut self) -> Result<(), TemplateError> {
        let mut scope = self.base.clone();
        scope.extend(self.top());
        let play = self.play.clone();
        self.play_vars = self.render_entries(&play.vars, &mut scope)?;
        Ok(())
    }

    fn role_vars(&mut self, role: &RoleInstance) -> Result<(VarMap, VarMap), TemplateError> {
        if let Some(cached) = self.roles.get(&role.id) {
            return Ok(cached.clone());
        }
        let mut scope = self.base.clone();
        scope.extend(self.play_vars.clone());
        scope.extend(self.top());
        let defaults = self.render_entries(&role.defaults, &mut scope)?;
        let mut scope = self.base.clone();
        scope.extend(defaults.clone());
        scope.extend(self.play_vars.clone());
        scope.extend(self.top());
        let args = self.render_entries(&role.args, &mut scope)?;
        for (name, ty) in &role.param_types {
            let value = args.get(name).or_else(|| {
                if self.play_vars.contains_key(name) {
                    None
                } else {
                    defaults.get(name)
                }
            });
            if let Some(v) = value {
                check_param(&role.name, name, ty, v)?;
                if role.secret_params.contains(name) {
                    self.s.secrets.add(&v.to_string());
                }
            }
        }
        self.roles.insert(role.id, (defaults.clone(), args.clone()));
        Ok((defaults, args))
    }

    /// The variables a task (or, with `None`, a block) sees, plus `locals` (loop variables).
    pub(super) fn context(
        &mut self,
        task: Option<&Task>,
        locals: &[(String, Value)],
    ) -> Result<VarMap, TemplateError> {
        self.context_in(task.and_then(|t| t.scope.role.clone()), task, locals)
    }

    /// [`Self::context`] inside `role` (a block has no task to take it from).
    fn context_in(
        &mut self,
        role: Option<Arc<crate::program::RoleInstance>>,
        task: Option<&Task>,
        locals: &[(String, Value)],
    ) -> Result<VarMap, TemplateError> {
        let mut m = self.base.clone();
        match role {
            Some(role) => {
                let (defaults, args) = self.role_vars(&role)?;
                m.extend(defaults);
                m.extend(self.play_vars.clone());
                m.extend(args);
                m.insert("role_name".into(), Value::from(role.name.as_str()));
            }
            None => m.extend(self.play_vars.clone()),
        }
        for f in &self.frames {
            m.extend(f.vars.clone());
        }
        let top = self.top();
        // A looping task's own vars may use the loop variable: they are rendered per item.
        if let Some(t) = task.filter(|t| t.looping.is_none() || !locals.is_empty()) {
            let mut scope = m.clone();
            scope.extend(top.clone());
            scope.extend(locals.iter().cloned());
            let own = self.render_entries(&t.vars, &mut scope)?;
            m.extend(own);
        }
        m.extend(top);
        m.extend(locals.iter().cloned());
        Ok(m)
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
            Some(v) => self
                .s
                .templates
                .render_value(v, &to_value(ctx), &self.s.secrets)?
                .to_string(),
            None => "root".into(),
        };
        Ok(Some(Sudo {
            user,
            password: self.s.options.become_password.clone(),
        }))
    }
}

/// A role argument's runtime value against its declared type.
fn check_param(role: &str, name: &str, ty: &str, v: &Value) -> Result<(), TemplateError> {
    use minijinja::value::ValueKind as K;
    let ok = match ty {
        "any" => true,
        "str" | "cidr" => v.kind() == K::String,
        "int" => v.as_i64().is_some(),
        "bool" => v.kind() == K::Bool,
        "list" => v.kind() == K::Seq,
        "map" => v.kind() == K::Map,
        "mode" | "duration" => v.kind() == K::Number || v.kind() == K::String,
        _ => false,
    };
    if !ok {
        return Err(TemplateError::plain(format!(
            "parameter `{name}` of role `{role}` must be of type `{ty}`, got {} `{v}`",
            v.kind()
        )));
    }
    if ty == "cidr" {
        crate::template::parse_cidr(v.as_str().unwrap_or_default()).map_err(|e| {
            TemplateError::plain(format!(
                "parameter `{name}` of role `{role}`: {}",
                e.detail().unwrap_or("invalid CIDR")
            ))
        })?;
    }
    Ok(())
}
