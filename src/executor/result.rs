//! What a task's run means: a module result judged into a status (`changed_when`,
//! `failed_when`, `ignore_errors`), registered (`register`, loop `results`), counted, and
//! reported as an event. The control flow that produces the results is in `task.rs`.

use std::time::Instant;

use indexmap::IndexMap;
use minijinja::Value;

use super::host::{Flow, HostRun};
use crate::event::{Event, Status, TaskResult};
use crate::modules::{ModuleError, Outcome};
use crate::program::Task;
use crate::vars::{VarMap, to_value};

/// A `run_once` task's result, handed to the other hosts of the play.
#[derive(Clone, Debug)]
pub(super) struct Shared {
    pub(super) host: String,
    pub(super) status: Status,
    pub(super) register: Value,
    pub(super) facts: IndexMap<String, Value>,
}

/// One execution (a task, or one loop item).
pub(super) struct Attempt {
    pub(super) status: Status,
    pub(super) outcome: Outcome,
    pub(super) attempts: u32,
    pub(super) delegated_to: Option<String>,
}

impl Attempt {
    pub(super) fn failed(msg: impl Into<String>) -> Self {
        Attempt {
            status: Status::Failed,
            outcome: Outcome::ok().msg(msg),
            attempts: 1,
            delegated_to: None,
        }
    }

    pub(super) fn skipped(msg: Option<String>) -> Self {
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
    pub(super) fn register(&self) -> Value {
        // What the interrupted run registered, kept whole (`changed` included).
        if self.status == Status::Resumed {
            return to_value(&self.outcome.registered());
        }
        let mut m = self.outcome.registered();
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
        if let Some(msg) = self.outcome.message() {
            m.insert("msg".into(), Value::from(msg));
        }
        if self.attempts > 1 {
            m.insert("attempts".into(), Value::from(self.attempts));
        }
        to_value(&m)
    }
}

pub(super) fn with(ctx: &VarMap, extra: &[(&str, &Value)]) -> Value {
    let mut m = ctx.clone();
    for (k, v) in extra {
        m.insert((*k).to_string(), (*v).clone());
    }
    to_value(&m)
}

pub(super) fn summarize(statuses: impl Iterator<Item = Status>) -> Status {
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
    } else if all.contains(&Status::Resumed)
        && all
            .iter()
            .all(|s| matches!(s, Status::Resumed | Status::Skipped))
    {
        // Nothing ran now: the loop was done by the interrupted run.
        Status::Resumed
    } else {
        Status::Ok
    }
}

/// How a loop item is named in output: a string as is, a map by its `name`, a list item by
/// item, else JSON.
pub(super) fn item_label(v: &Value) -> String {
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
    /// Turns a module result into a status, applying changed_when / failed_when.
    pub(super) fn judge(
        &self,
        t: &Task,
        ctx: &VarMap,
        result: Result<Outcome, ModuleError>,
    ) -> Attempt {
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
            // An assertion in check mode may look at state that a command skipped in check
            // mode would change: a real run decides.
            Err(e @ ModuleError::Assertion(_)) if self.s.options.check && self.unknown => {
                let mut o = Outcome::ok().msg(format!(
                    "{e}; it may depend on a result only a real run can know"
                ));
                o.skipped = true;
                o
            }
            Err(e) => Outcome {
                failed: true,
                msg: Some(e.to_string()),
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
                    Err(e) => return self.failure(t, format!("`changed_when`: {}", e.message)),
                }
            }
            if let Some(c) = &t.failed_when {
                match eval(c) {
                    Ok(v) => outcome.failed = v,
                    Err(e) => return self.failure(t, format!("`failed_when`: {}", e.message)),
                }
            }
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
    pub(super) fn finish(
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
            if a.outcome.unknown {
                self.unknown = true;
            }
            if matches!(a.status, Status::Ok | Status::Changed | Status::Resumed) {
                facts.extend(a.outcome.facts.clone());
            }
        }
        if matches!(status, Status::Ok | Status::Changed) {
            self.directive = results.iter().find_map(|(_, a)| a.outcome.directive);
        }
        if let Some(name) = &t.register {
            self.s.facts.set(&self.host, name, register.clone());
        }
        for (k, v) in &facts {
            self.s.facts.set(&self.host, k, v.clone());
        }
        if status == Status::Changed {
            self.notified.extend(t.notify.iter().copied());
            self.journal_notified(t);
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
            Status::Resumed => self.recap.resumed += 1,
        }
        let reason = || {
            let msg = if t.no_log {
                "output hidden (no_log)".to_string()
            } else {
                results
                    .iter()
                    .rev()
                    .find_map(|(_, a)| a.outcome.message())
                    .unwrap_or_default()
            };
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

    pub(super) fn emit(
        &self,
        t: &Task,
        handler: bool,
        item: Option<String>,
        loop_summary: bool,
        a: &Attempt,
        elapsed_ms: u64,
    ) {
        let output = a.outcome.output.as_ref().filter(|_| !t.no_log);
        let text = |s: &str| Some(s.to_string()).filter(|s| !s.is_empty());
        let hidden = t.no_log.then(|| "output hidden (no_log)".to_string());
        let result = TaskResult {
            play: self.play.name.clone(),
            host: self.host.clone(),
            task: t.name.clone(),
            handler,
            item,
            loop_summary,
            status: a.status,
            msg: hidden.clone().or_else(|| a.outcome.message()),
            diffs: if t.no_log || !self.s.options.diff {
                Vec::new()
            } else {
                a.outcome.diffs.clone()
            },
            stdout: output.and_then(|o| text(&o.stdout)),
            stderr: output.and_then(|o| text(&o.stderr)),
            delegated_to: a.delegated_to.clone(),
            attempts: (a.attempts > 1).then_some(a.attempts),
            elapsed_ms,
        };
        self.s.events.send(Event::Task(result));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_loop_is_as_bad_as_its_worst_item() {
        use Status::*;
        assert_eq!(summarize([Ok, Changed, Skipped].into_iter()), Changed);
        assert_eq!(summarize([Changed, Ignored].into_iter()), Ignored);
        assert_eq!(summarize([Failed, Unreachable].into_iter()), Unreachable);
        assert_eq!(summarize([Skipped, Skipped].into_iter()), Skipped);
        assert_eq!(summarize([Skipped, Ok].into_iter()), Ok);
        assert_eq!(summarize(std::iter::empty()), Ok);
        assert_eq!(summarize([Resumed, Skipped].into_iter()), Resumed);
        assert_eq!(summarize([Resumed, Ok].into_iter()), Ok);
        assert_eq!(summarize([Resumed, Changed].into_iter()), Changed);
    }

    #[test]
    fn loop_items_are_labelled_by_name_or_as_json() {
        assert_eq!(item_label(&Value::from("web1")), "web1");
        let m = Value::from_pairs(vec![("name", Value::from("nginx")), ("v", Value::from(1))]);
        assert_eq!(item_label(&m), "nginx");
        assert_eq!(item_label(&Value::from(vec![1, 2])), "[1,2]");
    }

    #[test]
    fn the_registered_value_says_what_happened() {
        let mut a = Attempt::failed("boom");
        a.status = Status::Ignored;
        a.attempts = 3;
        let r = a.register();
        assert!(r.get_attr("failed").unwrap().is_true());
        assert!(!r.get_attr("changed").unwrap().is_true());
        assert_eq!(r.get_attr("msg").unwrap().as_str(), Some("boom"));
        assert_eq!(r.get_attr("attempts").unwrap().as_usize(), Some(3));
        let skipped = Attempt::skipped(None).register();
        assert!(skipped.get_attr("skipped").unwrap().is_true());
        assert!(skipped.get_attr("attempts").unwrap().is_undefined());
    }
}
