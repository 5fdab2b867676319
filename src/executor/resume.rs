//! Resuming on one host (`--resume`): which task results the journal may stand for, how a
//! task it skips looks to the rest of the play, and what the run records for a later resume.
//!
//! A task result is known by its key — play number, task name, the how-many-th task of that
//! name in the play, loop item position — and by a salted hash of its inputs as rendered on
//! this host: module, arguments, loop item, target (after `delegate_to`), `become` user,
//! whether it registers, its `changed_when` / `failed_when` / `until`, the handlers it
//! notifies, and the content of a `src` file (a template as rendered). An edited
//! task, other `-e` values or facts that change an argument, or an edited template: another
//! hash, so the task runs again. Names are not unique and positions move when a task is
//! added, so neither alone is the key; a task that kept its name and inputs after an edit
//! elsewhere is still recognised.
//!
//! Recorded: results that ended ok or changed (not `meta` nor `assert`: [`ALWAYS_RUN`]), with
//! the value the task registers and the facts it sets, so later tasks see them when it is
//! skipped. A value that holds a known secret, or any value of a `no_log` task, is never
//! written: such a task is not recorded and runs again.

use std::collections::HashMap;

use minijinja::Value;

use super::host::HostRun;
use super::result::Attempt;
use crate::connection::Become as Sudo;
use crate::event::Status;
use crate::journal::Record;
use crate::modules::{Args, Outcome, SourceKind};
use crate::plan::Plan;
use crate::program::{Step, Task};
use crate::vars::{VarMap, to_value};

/// Modules that always run on resume: `meta` steers the pipeline (a skipped
/// `flush_handlers` would flush nothing), and `assert` evaluates its conditions against the
/// variables, which its inputs hash does not cover: skipped, it would assert nothing.
const ALWAYS_RUN: &[&str] = &["meta", "assert"];

/// Where a task result goes in the journal.
pub(super) struct Slot {
    key: String,
    inputs: String,
}

/// Every task's key without its loop item, by task id: `p{play}:{name}#{n}`.
pub(super) fn keys(plan: &Plan) -> HashMap<usize, String> {
    fn walk(
        play: usize,
        steps: &[Step],
        seen: &mut HashMap<String, usize>,
        out: &mut HashMap<usize, String>,
    ) {
        for step in steps {
            match step {
                Step::Task(t) => {
                    let n = seen.entry(t.name.clone()).or_default();
                    *n += 1;
                    out.insert(t.id, format!("p{play}:{}#{n}", t.name));
                }
                Step::Block(b) => {
                    walk(play, &b.body, seen, out);
                    walk(play, &b.rescue, seen, out);
                    walk(play, &b.always, seen, out);
                }
            }
        }
    }
    let mut out = HashMap::new();
    for (i, p) in plan.plays.iter().enumerate() {
        walk(i, &p.steps, &mut HashMap::new(), &mut out);
    }
    out
}

impl HostRun {
    /// Notifies again the handlers the interrupted run left pending on this host in this play.
    pub(super) fn notify_pending(&mut self) {
        let Some(journal) = &self.s.journal else {
            return;
        };
        for key in journal.pending(&self.host, self.play_index) {
            // A handler renamed or removed since has nothing left to run.
            if let Some(i) = (0..self.play.handlers.len()).find(|i| self.handler_key(*i) == key) {
                self.notified.insert(i);
            }
        }
    }

    /// A handler's name in the journal: names are unique in a role or a play, not across
    /// the roles of a play, so `NAME#N` is the N-th handler of that name in the play.
    fn handler_key(&self, index: usize) -> String {
        let name = &self.play.handlers[index].name;
        let n = self.play.handlers[..=index]
            .iter()
            .filter(|h| h.name == *name)
            .count();
        format!("{name}#{n}")
    }

    /// The journal slot of this attempt, if it has one (not for handlers, `meta`, or a `src`
    /// file that cannot be read or rendered: those always run).
    pub(super) fn journal_slot(
        &self,
        t: &Task,
        item: Option<usize>,
        ctx: &VarMap,
        args: &Args,
        target: &str,
        sudo: Option<&Sudo>,
    ) -> Option<Slot> {
        let journal = self.s.journal.as_ref()?;
        if ALWAYS_RUN.contains(&t.module.name()) {
            return None;
        }
        let mut key = self.s.task_keys.get(&t.id)?.clone();
        if let Some(i) = item {
            key.push_str(&format!("[{i}]"));
        }
        let loop_item = t
            .looping
            .as_ref()
            .and_then(|l| ctx.get(&l.var))
            .map(serde_json::to_value)
            .transpose()
            .ok()?;
        let judge = [&t.changed_when, &t.failed_when, &t.until]
            .map(|c| c.as_ref().map(|c| format!("{c:?}")));
        let notify: Vec<String> = t.notify.iter().map(|&i| self.handler_key(i)).collect();
        let inputs = serde_json::json!({
            "module": t.module.name(),
            "args": serde_json::to_value(args.values()).ok()?,
            "item": loop_item,
            "target": target,
            "become": sudo.map(|s| s.user.as_str()),
            "register": t.register.is_some(),
            // How the result is judged, and whom it notifies: an edit of these is an edit.
            "judge": judge,
            "notify": notify,
            "source": self.source_digest(t, ctx, args)?,
        });
        Some(Slot {
            key,
            inputs: journal.inputs_hash(&inputs),
        })
    }

    /// The SHA-256 of what a `src` file gives (a template rendered as the module will);
    /// `Some(None)` for a task without one, `None` when it cannot be known.
    fn source_digest(&self, t: &Task, ctx: &VarMap, args: &Args) -> Option<Option<String>> {
        let Some(source) = t.module.source() else {
            return Some(None);
        };
        let Some(name) = args.get(source.arg) else {
            return Some(None);
        };
        let name = name.as_str()?;
        let path = crate::modules::context::find_source(&t.scope.search, name, source.kind)?;
        let bytes = match source.kind {
            SourceKind::Template => self
                .s
                .templates
                .render_file(&path, &to_value(ctx))
                .ok()?
                .into_bytes(),
            SourceKind::File | SourceKind::Vars => std::fs::read(&path).ok()?,
        };
        Some(Some(crate::shell::sha256_hex(&bytes)))
    }

    /// The interrupted run's result for this slot, if it finished it with these inputs.
    pub(super) fn resumed(&self, slot: &Slot) -> Option<Attempt> {
        let done = self
            .s
            .journal
            .as_ref()?
            .done(&self.host, &slot.key, &slot.inputs)?;
        let mut outcome = Outcome::ok().msg(if done.changed {
            "changed by the interrupted run"
        } else {
            "ok in the interrupted run"
        });
        if let Some(serde_json::Value::Object(m)) = &done.register {
            outcome.data = m.iter().map(|(k, v)| (k.clone(), json_value(v))).collect();
        }
        outcome.facts = done
            .facts
            .iter()
            .map(|(k, v)| (k.clone(), json_value(v)))
            .collect();
        Some(Attempt {
            status: Status::Resumed,
            outcome,
            attempts: 0,
            delegated_to: None,
        })
    }

    /// Records a result that ended ok or changed, unless it holds what must not be written.
    pub(super) fn journal_done(&self, t: &Task, slot: &Slot, a: &Attempt) {
        let Some(journal) = &self.s.journal else {
            return;
        };
        if !matches!(a.status, Status::Ok | Status::Changed) || a.outcome.directive.is_some() {
            return;
        }
        let register = match t.register {
            Some(_) => match serde_json::to_value(a.register()) {
                Ok(v) => Some(v),
                Err(_) => return,
            },
            None => None,
        };
        let mut facts = indexmap::IndexMap::new();
        for (k, v) in &a.outcome.facts {
            match serde_json::to_value(v) {
                Ok(v) => facts.insert(k.clone(), v),
                Err(_) => return,
            };
        }
        if register.is_some() || !facts.is_empty() {
            if t.no_log {
                return;
            }
            let text = serde_json::to_string(&(&register, &facts)).unwrap_or_default();
            if self.s.secrets.redact(&text) != text {
                return;
            }
        }
        journal.record(&Record::Done {
            host: self.host.clone(),
            task: slot.key.clone(),
            inputs: slot.inputs.clone(),
            changed: a.status == Status::Changed,
            register,
            facts,
        });
    }

    /// Records the handlers a changed task notified.
    pub(super) fn journal_notified(&self, t: &Task) {
        let Some(journal) = &self.s.journal else {
            return;
        };
        for &i in &t.notify {
            journal.record(&Record::Notified {
                host: self.host.clone(),
                play: self.play_index,
                handler: self.handler_key(i),
            });
        }
    }

    /// Records that handler number `index` ran: the notifications before it are consumed.
    pub(super) fn journal_handled(&self, index: usize) {
        if let Some(journal) = &self.s.journal {
            journal.record(&Record::Handled {
                host: self.host.clone(),
                play: self.play_index,
                handler: self.handler_key(index),
            });
        }
    }
}

/// A recorded JSON value back as a template value (JSON always converts).
fn json_value(v: &serde_json::Value) -> Value {
    serde_json::from_value(v.clone()).unwrap_or_default()
}
