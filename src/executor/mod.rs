//! Executor: runs a [`Plan`]. Plays run in order (a play is a barrier); inside a play every
//! host runs its own pipeline, at most `forks` hosts at once, with no per-task wait for the
//! slowest host. Everything that happens is sent as an [`Event`].

mod facts;
mod host;
mod polling;
mod read_ahead;
mod result;
mod resume;
mod scope;
mod task;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use indexmap::IndexMap;
use minijinja::Value;
use tokio::sync::{OnceCell, Semaphore};

use crate::connection::{Cancel, Connections};
use crate::event::{Event, EventSink, Recap};
use crate::inventory::Inventory;
use crate::journal::{Journal, Use as JournalUse};
use crate::modules::SourceKind;
use crate::plan::Plan;
use crate::program::{Step, Task};
use crate::redact::Secrets;
use crate::run::{RunOptions, RunOutcome, RunSummary};
use crate::template::Templates;
use crate::vars::{FactStore, HostVars};

/// The shared state of one run.
struct Shared {
    inventory: Arc<Inventory>,
    templates: Templates,
    secrets: Secrets,
    events: EventSink,
    facts: Arc<FactStore>,
    connections: Connections,
    options: RunOptions,
    extra_vars: IndexMap<String, Value>,
    groups: Value,
    hostvars: Value,
    run_once: std::sync::Mutex<HashMap<usize, Arc<OnceCell<result::Shared>>>>,
    cancel: Cancel,
    /// Every host pipeline's session (read-ahead and command count).
    sessions: Arc<crate::modules::session::Sessions>,
    /// For each play, whether it mentions facts: they are gathered on a host before the first
    /// such play it runs.
    facts_in_play: Vec<bool>,
    /// The resume journal, when the run keeps one (see `resume.rs`).
    journal: Option<Journal>,
    /// The journal's path, and why this run keeps none, when it cannot.
    journal_unavailable: Option<(String, String)>,
    /// Each task's name in the journal, by task id (see `resume::keys`).
    task_keys: HashMap<usize, String>,
}

pub struct Executor {
    shared: Arc<Shared>,
}

impl Executor {
    pub fn new(
        inventory: Arc<Inventory>,
        options: RunOptions,
        extra_vars: IndexMap<String, Value>,
        secrets: Secrets,
        events: EventSink,
        cancel: Cancel,
        journal: JournalUse,
    ) -> Self {
        let (journal, journal_unavailable) = match journal {
            JournalUse::None => (None, None),
            JournalUse::Keep(j) => (Some(*j), None),
            JournalUse::Unavailable { path, reason } => (None, Some((path, reason))),
        };
        let facts = Arc::new(FactStore::default());
        let hostvars = Value::from_object(HostVars {
            inventory: inventory.clone(),
            facts: facts.clone(),
        });
        let shared = Shared {
            groups: inventory.groups_value(),
            connections: Connections::new(inventory.clone(), options.ssh.clone(), cancel.clone()),
            inventory,
            templates: Templates::with_secrets(secrets.clone()),
            secrets,
            events,
            facts,
            options,
            extra_vars,
            hostvars,
            run_once: std::sync::Mutex::new(HashMap::new()),
            cancel,
            sessions: Arc::default(),
            facts_in_play: Vec::new(),
            journal,
            journal_unavailable,
            task_keys: HashMap::new(),
        };
        Executor {
            shared: Arc::new(shared),
        }
    }

    /// Runs every play; the totals and outcome.
    pub async fn run(mut self, plan: Plan) -> RunSummary {
        let start = Instant::now();
        // Nothing holds the shared state before the first play starts, so it can still be
        // completed from the plan.
        if let Some(shared) = Arc::get_mut(&mut self.shared) {
            preload_templates(&mut shared.templates, &plan);
            shared.facts_in_play = facts::wanted(&plan);
            if shared.journal.is_some() {
                shared.task_keys = resume::keys(&plan);
            }
        }
        let s = &self.shared;
        s.events.send(Event::RunStarted {
            check: s.options.check,
            diff: s.options.diff,
        });
        if let Some(r) = s.journal.as_ref().and_then(Journal::resume) {
            s.events.send(Event::Resuming(r.clone()));
        }
        if let Some((path, reason)) = &s.journal_unavailable {
            s.events.send(Event::JournalFailed {
                journal: path.clone(),
                reason: reason.clone(),
            });
        }
        let mut recaps: IndexMap<String, Recap> = IndexMap::new();
        let mut gone: IndexMap<String, ()> = IndexMap::new();
        for (index, planned) in plan.plays.into_iter().enumerate() {
            let hosts: Vec<String> = planned
                .hosts
                .iter()
                .filter(|h| !gone.contains_key(*h))
                .cloned()
                .collect();
            s.events.send(Event::PlayStarted {
                play: planned.play.name.clone(),
                hosts: hosts.clone(),
            });
            for host in &hosts {
                recaps.entry(host.clone()).or_insert_with(|| Recap {
                    host: host.clone(),
                    ..Recap::default()
                });
            }
            let forks = Arc::new(Semaphore::new(s.options.forks.max(1)));
            let mut set = tokio::task::JoinSet::new();
            let mut spawned = HashMap::new();
            for host in hosts.clone() {
                let shared = self.shared.clone();
                let play = planned.play.clone();
                let steps = planned.steps.clone();
                let forks = forks.clone();
                let play_hosts = hosts.clone();
                let name = host.clone();
                let handle = set.spawn(async move {
                    let _permit = forks
                        .acquire_owned()
                        .await
                        .expect("the semaphore is never closed");
                    host::HostRun::new(shared, host, (index, play), play_hosts)
                        .run(&steps)
                        .await
                });
                spawned.insert(handle.id(), name);
            }
            while let Some(joined) = set.join_next().await {
                let (host, recap, left) = match joined {
                    Ok(done) => done,
                    // A bug in one host's pipeline fails that host, not the run.
                    Err(e) => {
                        let host = spawned.remove(&e.id()).unwrap_or_default();
                        s.events.send(Event::HostLeft {
                            play: planned.play.name.clone(),
                            host: host.clone(),
                            reason: format!("internal error: {}", panic_text(e)),
                        });
                        let recap = Recap {
                            host: host.clone(),
                            failed: 1,
                            ..Recap::default()
                        };
                        (host, recap, true)
                    }
                };
                if left {
                    gone.insert(host.clone(), ());
                }
                let total = recaps.entry(host.clone()).or_insert_with(|| Recap {
                    host,
                    ..Recap::default()
                });
                add(total, &recap);
            }
            s.events.send(Event::PlayFinished {
                play: planned.play.name.clone(),
            });
            if s.cancel.is_cancelled() {
                break;
            }
            let failed_here = hosts.iter().any(|h| gone.contains_key(h));
            if planned.play.any_errors_fatal && failed_here {
                s.events.send(Event::RunStopped {
                    play: planned.play.name.clone(),
                    reason: "a host failed in a play with `any_errors_fatal`".into(),
                });
                break;
            }
        }
        let recap: Vec<Recap> = recaps.into_values().collect();
        let outcome = RunOutcome::of(&recap, s.cancel.is_cancelled());
        let journal = s.journal.as_ref().and_then(|j| {
            let end = j.close(outcome == RunOutcome::Ok);
            if let Some(error) = end.error {
                s.events.send(Event::JournalFailed {
                    journal: j.path().display().to_string(),
                    reason: format!("{error}; a later --resume may run again what succeeded"),
                });
            }
            end.kept.map(|p| p.display().to_string())
        });
        let elapsed_ms = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
        s.events.send(Event::RunFinished {
            recap: recap.clone(),
            elapsed_ms,
            journal,
            outcome,
        });
        RunSummary {
            recap,
            outcome,
            elapsed_ms,
        }
    }
}

/// What a host pipeline's panic said.
fn panic_text(e: tokio::task::JoinError) -> String {
    match e.try_into_panic() {
        Ok(payload) => payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a host pipeline panicked".into()),
        Err(e) => e.to_string(),
    }
}

/// Compiles, once for all hosts, every template file a `template` task names literally.
fn preload_templates(templates: &mut Templates, plan: &Plan) {
    fn walk(templates: &mut Templates, steps: &[Step]) {
        for step in steps {
            match step {
                Step::Task(t) => preload(templates, t),
                Step::Block(b) => {
                    walk(templates, &b.body);
                    walk(templates, &b.rescue);
                    walk(templates, &b.always);
                }
            }
        }
    }
    fn preload(templates: &mut Templates, t: &Task) {
        let Some(source) = t.module.source().filter(|s| s.kind == SourceKind::Template) else {
            return;
        };
        let src = t.args.iter().find(|e| e.name == source.arg);
        if let Some(name) = src.and_then(|e| e.value.literal_text())
            && let Some(path) =
                crate::modules::context::find_source(&t.scope.search, name, source.kind)
        {
            templates.preload(&path);
        }
    }
    for p in &plan.plays {
        walk(templates, &p.steps);
        for h in &p.play.handlers {
            preload(templates, h);
        }
    }
}

fn add(total: &mut Recap, r: &Recap) {
    total.ok += r.ok;
    total.changed += r.changed;
    total.skipped += r.skipped;
    total.failed += r.failed;
    total.ignored += r.ignored;
    total.rescued += r.rescued;
    total.unreachable += r.unreachable;
    total.resumed += r.resumed;
    total.commands += r.commands;
}
