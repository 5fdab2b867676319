//! One task on one host: `when`, loops, `delegate_to`, retries / `until`, `run_once`, and the
//! module run itself. What the results mean (status, register, events) is in `result.rs`.

use std::sync::Arc;
use std::time::Instant;

use futures_util::StreamExt;
use indexmap::IndexMap;
use minijinja::Value;

use super::host::{Flow, HostRun};
use super::result::{Attempt, Shared, item_label, with};
use crate::connection::CONTROLLER;
use crate::event::{Event, Status};
use crate::modules::{Args, ModuleCx, Outcome, RunsOn};
use crate::program::{LoopSource, Task};
use crate::template::TemplateError;
use crate::vars::{VarMap, to_value};

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
            let attempt = self.attempt(t, &ctx, handler, None).await;
            return self.finish(t, handler, vec![(None, attempt)], start);
        };
        let rendered = match &looping.source {
            LoopSource::Expr(expr) => self.s.templates.eval(expr, &to_value(&ctx)),
            LoopSource::Value(v) => v.render(&self.s.templates, &to_value(&ctx), &self.s.secrets),
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
                            self.failure(
                                t,
                                format!("the loop source is {} `{v}`, not a list", v.kind()),
                            ),
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
        // `loop_control.parallel`: that many items at once, reported in item order. One at a
        // time, an item sees the facts the one before it set, and a failure stops the loop.
        let parallel = t.loop_parallel.max(1);
        let count = items.len();
        let this = &*self;
        let mut running = futures_util::stream::iter(items.into_iter().enumerate().map(
            |(index, item)| async move {
                let (label, attempt) = this.item(t, handler, &looping.var, index, &item).await;
                (item, label, attempt)
            },
        ))
        .buffered(parallel);
        let mut results = Vec::with_capacity(count);
        while let Some((item, label, attempt)) = running.next().await {
            // Facts set by one item are seen by the next (`set_fact` accumulating in a loop).
            if matches!(
                attempt.status,
                Status::Ok | Status::Changed | Status::Resumed
            ) {
                for (k, v) in &attempt.outcome.facts {
                    this.s.facts.set(&this.host, k, v.clone());
                }
            }
            this.emit(t, handler, Some(label), false, &attempt, 0);
            let stop = matches!(attempt.status, Status::Failed | Status::Unreachable);
            results.push((Some(item), attempt));
            // Items already started in parallel finish and are reported; none starts after.
            if stop && parallel == 1 {
                break;
            }
        }
        drop(running);
        self.finish(t, handler, results, start)
    }

    /// One loop item: its label in output and its attempt.
    async fn item(
        &self,
        t: &Task,
        handler: bool,
        var: &str,
        index: usize,
        item: &Value,
    ) -> (String, Attempt) {
        let mut locals = vec![(var.to_string(), item.clone())];
        if let Some(name) = &t.loop_index {
            locals.push((name.clone(), Value::from(index)));
        }
        // Under `no_log` an item is named by its position: items often hold what is
        // secret (keys, passwords); `loop_control.label` names it on purpose.
        let mut label = if t.no_log {
            format!("#{}", index + 1)
        } else {
            item_label(item)
        };
        let attempt = match self.item_context(t, &locals) {
            Ok(item_ctx) => {
                // `loop_control.label`: how the item is named in output.
                if let Some(l) = &t.loop_label
                    && let Ok(v) =
                        l.render(&self.s.templates, &to_value(&item_ctx), &self.s.secrets)
                {
                    label = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                }
                self.attempt(t, &item_ctx, handler, Some(index)).await
            }
            Err(e) => self.template_failure(t, &e),
        };
        (label, attempt)
    }

    pub(super) fn template_failure(&self, t: &Task, e: &TemplateError) -> Attempt {
        // In check mode, once a result is unknown, an expression may fail on it in any way
        // (undefined, or a filter given an undefined value): a real run decides.
        if self.unknown && self.s.options.check {
            return Attempt::skipped(Some(format!(
                "{}; it depends on a result only a real run can know",
                e.message
            )));
        }
        if e.message.starts_with("argument `") {
            self.failure(t, e.message.clone())
        } else {
            self.failure(t, format!("{} (task at {})", e.message, t.location))
        }
    }

    /// `when`, then the module with retries / until, then changed_when / failed_when; or,
    /// resuming, what the interrupted run did (`item`: the loop item's position).
    async fn attempt(&self, t: &Task, ctx: &VarMap, handler: bool, item: Option<usize>) -> Attempt {
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
            Some(v) => match v.render(&self.s.templates, &to_value(ctx), &self.s.secrets) {
                Ok(v) => Some(v.as_str().map_or_else(|| v.to_string(), str::to_string)),
                Err(e) => return self.template_failure(t, &e),
            },
        };
        let target = match (t.module.runs_on(), &delegate) {
            (RunsOn::Controller, _) | (RunsOn::ControllerUnlessDelegated, None) => {
                CONTROLLER[0].to_string()
            }
            (_, Some(d)) => d.clone(),
            (RunsOn::Target, None) => self.host.clone(),
        };
        if let Some(d) = delegate.as_ref().filter(|d| {
            !CONTROLLER.contains(&d.as_str()) && !self.s.inventory.hosts.contains_key(*d)
        }) {
            return self.failure(t, format!("`delegate_to`: no host `{d}` in the inventory"));
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
        let slot = if handler {
            None
        } else {
            self.journal_slot(t, item, ctx, &args, &target, sudo.as_ref())
        };
        if let Some(mut resumed) = slot.as_ref().and_then(|slot| self.resumed(slot)) {
            resumed.delegated_to = delegate;
            return resumed;
        }
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
            session: &self.session,
            secrets: &self.s.secrets,
            relink: self.s.connections.relink(&target),
        };
        let (retries, delay) = match self.polling(t, &vars) {
            Ok(p) => p,
            Err(e) => return self.template_failure(t, &e),
        };
        let max = if self.s.options.check { 1 } else { retries + 1 };
        let mut attempts = 0;
        let a = loop {
            attempts += 1;
            let mut a = self.judge(t, ctx, t.module.run(&args, &cx).await);
            a.attempts = attempts;
            a.delegated_to.clone_from(&delegate);
            let Some(until) = &t.until else { break a };
            if a.status == Status::Unreachable {
                break a;
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
                Ok(true) => break a,
                Err(e) => break self.template_failure(t, &e),
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
                    break failed;
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
        };
        if let Some(slot) = &slot {
            self.journal_done(t, slot, &a);
        }
        a
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
        for (i, e) in t.args.iter().enumerate().filter(|(_, e)| wanted(&e.name)) {
            let v = e
                .value
                .render(&self.s.templates, vars, &self.s.secrets)
                .map_err(|err| TemplateError {
                    message: format!(
                        "argument `{}` ({}): {}",
                        e.name,
                        t.arg_locations.get(i).map_or("", String::as_str),
                        err.message
                    ),
                    ..err
                })?;
            args.insert(e.name.clone(), v);
        }
        Ok(Args::new(args))
    }
}
