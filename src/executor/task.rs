//! One task on one host: `when`, loops, `delegate_to`, retries / `until`, `changed_when` /
//! `failed_when`, `register`, `notify`, `run_once`, and the events that report it.

use std::sync::Arc;
use std::time::Instant;

use indexmap::IndexMap;
use minijinja::Value;

use super::connections::CONTROLLER;
use super::host::{Flow, HostRun};
use crate::event::{Event, Status, TaskResult};
use crate::modules::{Args, ModuleCx, ModuleError, Outcome};
use crate::program::Task;
use crate::template::TemplateError;
use crate::vars::{VarMap, to_value};

/// A `run_once` task's result, handed to the other hosts of the play.
#[derive(Clone, Debug)]
pub(super) struct Shared {
    host: String,
    status: Status,
    register: Value,
    facts: IndexMap<String, Value>,
}

/// One execution (a task, or one loop item).
struct Attempt {
    status: Status,
    outcome: Outcome,
    attempts: u32,
    delegated_to: Option<String>,
}

impl Attempt {
    fn failed(msg: impl Into<String>) -> Self {
        Attempt {
            status: Status::Failed,
            outcome: Outcome::ok().msg(msg),
            attempts: 1,
            delegated_to: None,
        }
    }

    fn skipped(msg: Option<String>) -> Self {
        let mut outcome = Outcome::ok();
        outcome.skipped = true;
        outcome.msg = msg;
        Attempt {
            status: Status::Skipped,
            outcome,
            attempts: 0,
            delegated_to: None,
        }
    }

    /// The registered value: the module's data plus changed / failed / skipped / msg.
    fn register(&self) -> Value {
        let mut m = self.outcome.data.clone();
        m.insert(
            "changed".into(),
            Value::from(self.status == Status::Changed),
        );
        m.insert(
            "failed".into(),
            Value::from(matches!(
                self.status,
                Status::Failed | Status::Ignored | Status::Unreachable
            )),
        );
        m.insert(
            "skipped".into(),
            Value::from(self.status == Status::Skipped),
        );
        if let Some(msg) = &self.outcome.msg {
            m.insert("msg".into(), Value::from(msg.as_str()));
        }
        if self.attempts > 1 {
            m.insert("attempts".into(), Value::from(self.attempts));
        }
        to_value(&m)
    }
}

fn with(ctx: &VarMap, extra: &[(&str, &Value)]) -> Value {
    let mut m = ctx.clone();
    for (k, v) in extra {
        m.insert((*k).to_string(), (*v).clone());
    }
    to_value(&m)
}

fn summarize(statuses: impl Iterator<Item = Status>) -> Status {
    let all: Vec<Status> = statuses.collect();
    for s in [
        Status::Unreachable,
        Status::Failed,
        Status::Ignored,
        Status::Changed,
    ] {
        if all.contains(&s) {
            return s;
        }
    }
    if !all.is_empty() && all.iter().all(|s| *s == Status::Skipped) {
        Status::Skipped
    } else {
        Status::Ok
    }
}

/// How a loop item is named in output: a string as is, a map by its `name`, a list item by
/// item, else JSON.
fn item_label(v: &Value) -> String {
    if let Some(name) = v
        .get_attr("name")
        .ok()
        .filter(|n| !n.is_undefined() && !n.is_none())
    {
        return name.to_string();
    }
    v.as_str().map_or_else(
        || serde_json::to_string(v).unwrap_or_else(|_| v.to_string()),
        str::to_string,
    )
}

impl HostRun {
    pub(super) async fn task(&mut self, t: &Arc<Task>, handler: bool) -> Flow {
        if self.s.cancel.is_cancelled() {
            return Flow::Stop;
        }
        if !t.run_once {
            return self.run_task(t, handler).await.0;
        }
        let cell = self
            .s
            .run_once
            .lock()
            .expect("run_once lock is never poisoned")
            .entry(t.id)
            .or_default()
            .clone();
        let mut flow = None;
        let shared = cell
            .get_or_init(|| async {
                let (f, shared) = self.run_task(t, handler).await;
                flow = Some(f);
                shared
            })
            .await
            .clone();
        if let Some(f) = flow {
            return f;
        }
        // Another host ran it: take its result as ours.
        if let Some(name) = &t.register {
            self.s.facts.set(&self.host, name, shared.register.clone());
        }
        for (k, v) in &shared.facts {
            self.s.facts.set(&self.host, k, v.clone());
        }
        if shared.status == Status::Failed {
            let msg = format!("failed on `{}` (run_once)", shared.host);
            self.emit(t, handler, None, false, &Attempt::failed(msg.clone()), 0);
            self.recap.failed += 1;
            return Flow::Failed(msg);
        }
        Flow::Go
    }

    /// Runs the task here; the flow for this host and the result for `run_once` peers.
    async fn run_task(&mut self, t: &Task, handler: bool) -> (Flow, Shared) {
        let start = Instant::now();
        let ctx = match self.context(Some(t), &[]) {
            Ok(c) => c,
            Err(e) => {
                return self.finish(
                    t,
                    handler,
                    vec![(None, self.template_failure(t, &e))],
                    start,
                );
            }
        };
        let Some(looping) = &t.looping else {
            let attempt = self.attempt(t, &ctx).await;
            return self.finish(t, handler, vec![(None, attempt)], start);
        };
        let rendered = match &looping.source.kind {
            // A quoted loop source is an expression, like `when`.
            crate::ast::ValueKind::Str(expr) if !crate::template::is_templated(expr) => {
                self.s.templates.eval(expr, &to_value(&ctx))
            }
            _ => self
                .s
                .templates
                .render_value(&looping.source, &to_value(&ctx), &self.s.secrets),
        };
        let items = match rendered {
            Ok(v) => match v.try_iter() {
                Ok(iter) if v.as_str().is_none() => iter.collect::<Vec<Value>>(),
                _ => {
                    return self.finish(
                        t,
                        handler,
                        vec![(
                            None,
                            Attempt::failed(format!(
                                "the loop source is {} `{v}`, not a list",
                                v.kind()
                            )),
                        )],
                        start,
                    );
                }
            },
            Err(e) => {
                return self.finish(
                    t,
                    handler,
                    vec![(None, self.template_failure(t, &e))],
                    start,
                );
            }
        };
        let mut results = Vec::with_capacity(items.len());
        for item in items {
            let locals = [(looping.var.name.clone(), item.clone())];
            let attempt = match self.context(Some(t), &locals) {
                Ok(item_ctx) => self.attempt(t, &item_ctx).await,
                Err(e) => self.template_failure(t, &e),
            };
            self.emit(t, handler, Some(item_label(&item)), false, &attempt, 0);
            let stop = matches!(attempt.status, Status::Failed | Status::Unreachable);
            results.push((Some(item), attempt));
            if stop {
                break;
            }
        }
        self.finish(t, handler, results, start)
    }

    fn template_failure(&self, _t: &Task, e: &TemplateError) -> Attempt {
        // In check mode, once a result is unknown, an expression may fail on it in any way
        // (undefined, or a filter given an undefined value): a real run decides.
        if self.unknown && self.s.options.check {
            return Attempt::skipped(Some(format!(
                "{}; it depends on a result only a real run can know",
                e.message
            )));
        }
        Attempt::failed(e.message.clone())
    }

    /// `when`, then the module with retries / until, then changed_when / failed_when.
    async fn attempt(&mut self, t: &Task, ctx: &VarMap) -> Attempt {
        if let Some(cond) = &t.when {
            match self.condition(cond, ctx) {
                Ok(true) => {}
                Ok(false) => return Attempt::skipped(None),
                Err(e) => return self.template_failure(t, &e),
            }
        }
        let sudo = match self.become_for(t, ctx) {
            Ok(b) => b,
            Err(e) => return self.template_failure(t, &e),
        };
        let delegate = match &t.delegate_to {
            None => None,
            Some(v) => match self
                .s
                .templates
                .render_value(v, &to_value(ctx), &self.s.secrets)
            {
                Ok(v) => Some(v.as_str().map_or_else(|| v.to_string(), str::to_string)),
                Err(e) => return self.template_failure(t, &e),
            },
        };
        let target = match (&delegate, t.module.is_local_only()) {
            (_, true) => CONTROLLER[0].to_string(),
            (Some(d), false) => d.clone(),
            (None, false) if t.module.runs_on_controller() => CONTROLLER[0].to_string(),
            (None, false) => self.host.clone(),
        };
        if let Some(d) = delegate.as_ref().filter(|d| {
            !CONTROLLER.contains(&d.as_str()) && !self.s.inventory.hosts.contains_key(*d)
        }) {
            return Attempt::failed(format!("`delegate_to`: no host `{d}` in the inventory"));
        }
        let conn = match self.s.connections.get(&target).await {
            Ok(c) => c,
            Err(e) => {
                return Attempt {
                    status: Status::Unreachable,
                    outcome: Outcome::ok().msg(e.to_string()),
                    attempts: 1,
                    delegated_to: delegate,
                };
            }
        };
        let vars = to_value(ctx);
        let args = match self.render_args(t, &vars, None) {
            Ok(a) => a,
            Err(e) => return self.template_failure(t, &e),
        };
        let fetch_root = self.s.options.workdir.clone();
        let host = self.host.clone();
        let cx = ModuleCx {
            host: &host,
            conn: &conn,
            sudo: sudo.as_ref(),
            check: self.s.options.check && t.check_mode != Some(false),
            diff: self.s.options.diff,
            templates: &self.s.templates,
            vars: &vars,
            search: &t.scope.search,
            fetch_root: &fetch_root,
            prefetch: &self.probes,
            secrets: &self.s.secrets,
        };
        let (retries, delay) = match self.polling(t, &vars) {
            Ok(p) => p,
            Err(e) => return self.template_failure(t, &e),
        };
        let max = if self.s.options.check { 1 } else { retries + 1 };
        let mut attempts = 0;
        loop {
            attempts += 1;
            let mut a = self.judge(t, ctx, t.module.run(&args, &cx).await);
            a.attempts = attempts;
            a.delegated_to.clone_from(&delegate);
            let Some(until) = &t.until else { return a };
            if a.status == Status::Unreachable {
                return a;
            }
            let reg = a.register();
            let name = t.register.as_deref().unwrap_or("result");
            let done = match until {
                crate::program::Cond::Const(b) => Ok(*b),
                crate::program::Cond::Expr(e) => self
                    .s
                    .templates
                    .truth(e, &with(ctx, &[(name, &reg), ("result", &reg)])),
            };
            match done {
                Ok(true) => return a,
                Err(e) => return self.template_failure(t, &e),
                Ok(false) if attempts >= max => {
                    let mut failed = a;
                    failed.status = if self.ignoring_errors(t) {
                        Status::Ignored
                    } else {
                        Status::Failed
                    };
                    failed.outcome.msg = Some(format!(
                        "`until` was still false after {attempts} attempt(s)"
                    ));
                    return failed;
                }
                Ok(false) => {
                    self.s.events.send(Event::Retrying {
                        play: self.play.name.clone(),
                        host: self.host.clone(),
                        task: t.name.clone(),
                        attempt: attempts,
                        of: max,
                        msg: if t.no_log {
                            None
                        } else {
                            a.outcome.msg.clone()
                        },
                    });
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }

    /// The task's arguments, rendered (with `only`, just those).
    pub(super) fn render_args(
        &self,
        t: &Task,
        vars: &Value,
        only: Option<&[&str]>,
    ) -> Result<Args, TemplateError> {
        let mut args = IndexMap::new();
        let wanted = |name: &str| only.is_none_or(|o| o.contains(&name));
        for e in t.args.iter().filter(|e| wanted(&e.key.name)) {
            let v = self
                .s
                .templates
                .render_value(&e.value, vars, &self.s.secrets)
                .map_err(|err| TemplateError {
                    message: format!("argument `{}`: {}", e.key.name, err.message),
                    ..err
                })?;
            args.insert(e.key.name.clone(), v);
        }
        Ok(Args::new(args))
    }

    /// Turns a module result into a status, applying changed_when / failed_when.
    fn judge(&self, t: &Task, ctx: &VarMap, result: Result<Outcome, ModuleError>) -> Attempt {
        let mut outcome = match result {
            Ok(o) => o,
            Err(ModuleError::Connection(
                e @ crate::connection::ConnectionError::Unreachable { .. },
            )) => {
                return Attempt {
                    status: Status::Unreachable,
                    outcome: Outcome::ok().msg(e.to_string()),
                    attempts: 1,
                    delegated_to: None,
                };
            }
            Err(ModuleError::Connection(e)) => Outcome {
                failed: true,
                msg: Some(e.to_string()),
                ..Outcome::ok()
            },
            Err(ModuleError::Failed(m)) => Outcome {
                failed: true,
                msg: Some(m),
                ..Outcome::ok()
            },
            Err(ModuleError::Template(e)) => Outcome {
                failed: true,
                msg: Some(e.message),
                ..Outcome::ok()
            },
        };
        let mut a = Attempt {
            status: Status::Ok,
            outcome: Outcome::ok(),
            attempts: 1,
            delegated_to: None,
        };
        if (t.changed_when.is_some() || t.failed_when.is_some()) && !outcome.skipped {
            a.outcome = outcome.clone();
            a.status = if outcome.changed {
                Status::Changed
            } else {
                Status::Ok
            };
            let reg = a.register();
            let name = t.register.as_deref().unwrap_or("result");
            let scope = with(ctx, &[(name, &reg), ("result", &reg)]);
            let eval = |c: &crate::program::Cond| match c {
                crate::program::Cond::Const(b) => Ok(*b),
                crate::program::Cond::Expr(e) => self.s.templates.truth(e, &scope),
            };
            if let Some(c) = &t.changed_when {
                match eval(c) {
                    Ok(v) => outcome.changed = v,
                    Err(e) => return Attempt::failed(format!("`changed_when`: {}", e.message)),
                }
            }
            if let Some(c) = &t.failed_when {
                match eval(c) {
                    Ok(v) => {
                        outcome.failed = v;
                        if !v
                            && outcome
                                .msg
                                .as_deref()
                                .is_some_and(|m| m.starts_with("command failed"))
                        {
                            outcome.msg = None;
                        }
                    }
                    Err(e) => return Attempt::failed(format!("`failed_when`: {}", e.message)),
                }
            }
        }
        if outcome.failed
            && self.s.options.check
            && self.unknown
            && t.module == crate::modules::Module::Assert
        {
            // The assertion may look at state that a command skipped in check mode would change.
            outcome.failed = false;
            outcome.skipped = true;
            outcome.msg = Some(format!(
                "{}; it may depend on a result only a real run can know",
                outcome.msg.unwrap_or_default()
            ));
        }
        a.status = match (outcome.failed, outcome.skipped, outcome.changed) {
            (true, _, _) if self.ignoring_errors(t) => Status::Ignored,
            (true, _, _) => Status::Failed,
            (false, true, _) => Status::Skipped,
            (false, false, true) => Status::Changed,
            (false, false, false) => Status::Ok,
        };
        a.outcome = outcome;
        a
    }

    /// Registers, sets facts, notifies, counts and reports the task; the host's next flow.
    fn finish(
        &mut self,
        t: &Task,
        handler: bool,
        results: Vec<(Option<Value>, Attempt)>,
        start: Instant,
    ) -> (Flow, Shared) {
        let looped = t.looping.is_some();
        let status = summarize(results.iter().map(|(_, a)| a.status));
        let register = if looped {
            let list: Vec<Value> = results
                .iter()
                .map(|(item, a)| {
                    let mut m: IndexMap<Value, Value> = IndexMap::new();
                    for (k, v) in a
                        .register()
                        .try_iter()
                        .into_iter()
                        .flatten()
                        .filter_map(|k| a.register().get_item(&k).ok().map(|v| (k, v)))
                    {
                        m.insert(k, v);
                    }
                    m.insert(Value::from("item"), item.clone().unwrap_or_default());
                    Value::from_object(m)
                })
                .collect();
            let mut m = VarMap::new();
            m.insert("results".into(), Value::from(list));
            m.insert("changed".into(), Value::from(status == Status::Changed));
            m.insert(
                "failed".into(),
                Value::from(matches!(status, Status::Failed | Status::Unreachable)),
            );
            m.insert("skipped".into(), Value::from(status == Status::Skipped));
            to_value(&m)
        } else {
            results
                .first()
                .map(|(_, a)| a.register())
                .unwrap_or_default()
        };
        let mut facts = IndexMap::new();
        for (_, a) in &results {
            if a.outcome.data.get("unknown").is_some_and(Value::is_true) {
                self.unknown = true;
            }
            if matches!(a.status, Status::Ok | Status::Changed) {
                facts.extend(a.outcome.facts.clone());
            }
        }
        if let Some(name) = &t.register {
            self.s.facts.set(&self.host, name, register.clone());
        }
        for (k, v) in &facts {
            self.s.facts.set(&self.host, k, v.clone());
        }
        if status == Status::Changed {
            self.notified.extend(t.notify.iter().copied());
        }
        let elapsed = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
        if looped {
            let summary = Attempt {
                status,
                outcome: Outcome::ok(),
                attempts: 1,
                delegated_to: None,
            };
            self.emit(t, handler, None, true, &summary, elapsed);
        } else if let Some((_, a)) = results.first() {
            self.emit(t, handler, None, false, a, elapsed);
        }
        match status {
            Status::Ok => self.recap.ok += 1,
            Status::Changed => self.recap.changed += 1,
            Status::Skipped => self.recap.skipped += 1,
            Status::Failed => self.recap.failed += 1,
            Status::Ignored => self.recap.ignored += 1,
            Status::Unreachable => self.recap.unreachable += 1,
        }
        let reason = || {
            let msg = results
                .iter()
                .rev()
                .find_map(|(_, a)| a.outcome.msg.clone())
                .unwrap_or_default();
            format!("task `{}`: {msg}", t.name)
        };
        let flow = match status {
            Status::Failed => Flow::Failed(reason()),
            Status::Unreachable => Flow::Unreachable(reason()),
            _ => Flow::Go,
        };
        (
            flow,
            Shared {
                host: self.host.clone(),
                status,
                register,
                facts,
            },
        )
    }

    fn emit(
        &self,
        t: &Task,
        handler: bool,
        item: Option<String>,
        loop_summary: bool,
        a: &Attempt,
        elapsed_ms: u64,
    ) {
        let text = |key: &str| {
            a.outcome
                .data
                .get(key)
                .and_then(|v| v.as_str().map(str::to_string))
                .filter(|s| !s.is_empty())
        };
        let hidden = t.no_log.then(|| "output hidden (no_log)".to_string());
        let result = TaskResult {
            play: self.play.name.clone(),
            host: self.host.clone(),
            task: t.name.clone(),
            handler,
            item,
            loop_summary,
            status: a.status,
            msg: hidden.clone().or_else(|| a.outcome.msg.clone()),
            diffs: if t.no_log || !self.s.options.diff {
                Vec::new()
            } else {
                a.outcome.diffs.clone()
            },
            stdout: if t.no_log { None } else { text("stdout") },
            stderr: if t.no_log { None } else { text("stderr") },
            delegated_to: a.delegated_to.clone(),
            attempts: (a.attempts > 1).then_some(a.attempts),
            elapsed_ms,
        };
        self.s.events.send(Event::Task(result));
    }
}
