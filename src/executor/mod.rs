//! Executor: runs a [`Plan`]. Plays run in order (a play is a barrier); inside a play every
//! host runs its own pipeline, at most `forks` hosts at once, with no per-task wait for the
//! slowest host. Everything that happens is sent as an [`Event`].

mod connections;
mod host;
mod polling;
mod task;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use indexmap::IndexMap;
use minijinja::Value;
use tokio::sync::{OnceCell, Semaphore};

use crate::connection::Cancel;
use crate::event::{Event, EventSink, Recap};
use crate::inventory::Inventory;
use crate::plan::Plan;
use crate::program::{Step, Task};
use crate::redact::Secrets;
use crate::template::Templates;
use crate::vars::{FactStore, HostVars};

pub use connections::{CONTROLLER, SshOptions};

/// Exit codes, documented in docs/cli.md.
pub mod exit {
    pub const OK: i32 = 0;
    pub const INTERNAL: i32 = 1;
    pub const USAGE: i32 = 2;
    /// Syntax, check, inventory or plan errors: nothing ran.
    pub const INVALID: i32 = 3;
    /// A task failed on at least one host.
    pub const FAILED: i32 = 4;
    /// At least one host was unreachable.
    pub const UNREACHABLE: i32 = 5;
    /// Interrupted (Ctrl-C).
    pub const INTERRUPTED: i32 = 130;
}

#[derive(Clone, Debug)]
pub struct RunOptions {
    pub check: bool,
    pub diff: bool,
    pub forks: usize,
    pub extra_vars: IndexMap<String, Value>,
    /// Base directory for relative controller paths (fetch `dest`).
    pub workdir: PathBuf,
    pub ssh: SshOptions,
    /// The sudo password for `become`, when one is needed.
    pub become_password: Option<Arc<str>>,
    /// Read the probes of the next tasks ahead, in one round trip (off: EOV_NO_READ_AHEAD).
    pub read_ahead: bool,
}

/// The shared state of one run.
struct Shared {
    inventory: Arc<Inventory>,
    templates: Templates,
    secrets: Secrets,
    events: EventSink,
    facts: Arc<FactStore>,
    connections: connections::Connections,
    options: RunOptions,
    groups: Value,
    hostvars: Value,
    run_once: std::sync::Mutex<HashMap<usize, Arc<OnceCell<task::Shared>>>>,
    cancel: Cancel,
    /// Every host pipeline's probes read ahead.
    probes: Arc<crate::modules::prefetch::Registry>,
}

pub struct Executor {
    shared: Arc<Shared>,
}

impl Executor {
    pub fn new(
        inventory: Arc<Inventory>,
        options: RunOptions,
        secrets: Secrets,
        events: EventSink,
    ) -> Self {
        if let Some(pw) = &options.become_password {
            secrets.add(pw);
        }
        let cancel = Cancel::default();
        let facts = Arc::new(FactStore::default());
        let hostvars = Value::from_object(HostVars {
            inventory: inventory.clone(),
            facts: facts.clone(),
        });
        let shared = Shared {
            groups: inventory.groups_value(),
            connections: connections::Connections::new(
                inventory.clone(),
                options.ssh.clone(),
                cancel.clone(),
            ),
            inventory,
            templates: Templates::new(),
            secrets,
            events,
            facts,
            options,
            hostvars,
            run_once: std::sync::Mutex::new(HashMap::new()),
            cancel,
            probes: Arc::default(),
        };
        Executor {
            shared: Arc::new(shared),
        }
    }

    /// Asks running hosts to stop after their current task.
    pub fn canceller(&self) -> impl Fn() + Send + Sync + 'static {
        let cancel = self.shared.cancel.clone();
        move || cancel.cancel()
    }

    /// Runs every play; returns the exit code.
    pub async fn run(mut self, plan: Plan) -> i32 {
        let start = Instant::now();
        // Nothing holds the shared state before the first play starts (the canceller only
        // clones its `Cancel`), so the templates can still be added to.
        if let Some(shared) = Arc::get_mut(&mut self.shared) {
            preload_templates(&mut shared.templates, &plan);
        }
        let s = &self.shared;
        s.events.send(Event::RunStarted {
            check: s.options.check,
            diff: s.options.diff,
        });
        let mut recaps: IndexMap<String, Recap> = IndexMap::new();
        let mut gone: IndexMap<String, ()> = IndexMap::new();
        for planned in plan.plays {
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
            for host in hosts.clone() {
                let shared = self.shared.clone();
                let play = planned.play.clone();
                let steps = planned.steps.clone();
                let forks = forks.clone();
                let play_hosts = hosts.clone();
                set.spawn(async move {
                    let _permit = forks
                        .acquire_owned()
                        .await
                        .expect("the semaphore is never closed");
                    host::HostRun::new(shared, host, play, play_hosts)
                        .run(&steps)
                        .await
                });
            }
            while let Some(joined) = set.join_next().await {
                let (host, recap, left) = joined.expect("a host pipeline panicked");
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
        }
        let code = if s.cancel.is_cancelled() {
            exit::INTERRUPTED
        } else if recaps.values().any(|r| r.unreachable > 0) {
            exit::UNREACHABLE
        } else if recaps.values().any(|r| r.failed > 0) {
            exit::FAILED
        } else {
            exit::OK
        };
        let elapsed_ms = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
        s.events.send(Event::RunFinished {
            recap: recaps.into_values().collect(),
            elapsed_ms,
            exit_code: code,
        });
        code
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
        if t.module != crate::modules::Module::Template {
            return;
        }
        let src = t.args.iter().find(|e| e.key.name == "src");
        if let Some(crate::ast::ValueKind::Str(name)) = src.map(|e| &e.value.kind)
            && !crate::template::is_templated(name)
            && let Some(path) =
                crate::modules::context::find_source(&t.scope.search, name, "templates")
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
    total.commands += r.commands;
}
