//! The library's way to run a play, used by `eov run` and by anything that runs plays
//! in-process (a server): [`prepare`] does everything that needs no host (check, inventory,
//! plan) and either fails with located errors or gives a [`PreparedRun`], whose
//! [`PreparedRun::execute`] runs it, sends every [`Event`] to the caller's channel and
//! returns a [`RunSummary`]. Nothing here prints, prompts or reads the environment: the
//! caller passes every setting in a [`RunRequest`]. Runs share no mutable state, so one
//! process can execute many at once; the one thing they may share is a
//! [`crate::connection::ConnectionPool`] (`options.ssh.pool`), which lends each SSH connection to
//! one run at a time.

mod summary;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use indexmap::IndexMap;
use minijinja::Value;

use crate::check::Checker;
use crate::connection::{Cancel, SshOptions};
use crate::diagnostic::Diagnostic;
use crate::event::{Event, EventSink};
use crate::executor::Executor;
use crate::inventory::{Inventory, Sources, dir_of};
use crate::journal::{Journal, JournalError, Use as JournalUse};
use crate::plan::{Plan, PlanError, Planner, Selection};
use crate::redact::Secrets;
use crate::source::SourceMap;
use crate::template::Templates;

pub use summary::{RunOutcome, RunSummary};

/// How a run behaves once it is planned.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Probe and decide, change nothing.
    pub check: bool,
    pub diff: bool,
    /// Hosts running at once.
    pub forks: usize,
    pub ssh: SshOptions,
    /// The sudo password for `become`, when one is needed.
    pub become_password: Option<Arc<str>>,
    /// Read the probes of the next tasks ahead, in one round trip.
    pub read_ahead: bool,
    /// Base directory for relative controller paths (fetch `dest`).
    pub workdir: PathBuf,
    /// Where the run keeps its resume journal (`eov run`: `current/runs/`); `None`: no
    /// journal. A check run never has one.
    pub journal_dir: Option<PathBuf>,
    /// Skip, per host, the tasks the journal says the interrupted run finished with the same
    /// inputs, and notify again the handlers it left pending.
    pub resume: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            check: false,
            diff: false,
            forks: 100,
            ssh: SshOptions::default(),
            become_password: None,
            read_ahead: true,
            workdir: PathBuf::from("."),
            journal_dir: None,
            resume: false,
        }
    }
}

/// Everything a run needs, from whoever asks for it.
#[derive(Clone, Debug, Default)]
pub struct RunRequest {
    pub play: PathBuf,
    /// Directories searched for roles after those beside the play.
    pub roles_path: Vec<PathBuf>,
    /// The inventories, merged in order, with `group_vars/` and `host_vars/` beside them and
    /// beside the play.
    pub inventory: Sources,
    /// `-e` variables, the highest precedence.
    pub extra_vars: IndexMap<String, Value>,
    pub selection: Selection,
    pub options: RunOptions,
}

/// Why a run could not start. Nothing ran.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    /// The play or a role has errors; render them with the sources.
    #[error("{} error(s) in the play or its roles", diagnostics.len())]
    Invalid {
        diagnostics: Vec<Diagnostic>,
        sources: SourceMap,
    },
    #[error("{0}")]
    Inventory(String),
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error(transparent)]
    Journal(#[from] JournalError),
}

/// A checked and planned run, ready to execute.
pub struct PreparedRun {
    plan: Plan,
    inventory: Arc<Inventory>,
    options: RunOptions,
    extra_vars: IndexMap<String, Value>,
    secrets: Secrets,
    journal: JournalUse,
}

/// Checks the play, loads the inventory and plans the run; touches no host. With a journal
/// directory it also starts the run's journal (reading the interrupted one with `resume`).
pub fn prepare(request: RunRequest) -> Result<PreparedRun, PrepareError> {
    let mut checker = Checker::new(request.roles_path.clone());
    let program = checker
        .check_play_file(&request.play)
        .map_err(|diagnostics| PrepareError::Invalid {
            diagnostics,
            sources: std::mem::take(&mut checker.sources),
        })?;
    let inventory = Arc::new(
        load_inventory(&request.inventory, Some(&dir_of(&request.play)))
            .map_err(PrepareError::Inventory)?,
    );
    let secrets = Secrets::default();
    for known in [
        &request.options.become_password,
        &request.options.ssh.key_passphrase,
    ]
    .into_iter()
    .flatten()
    {
        secrets.add(known);
    }
    let templates = Templates::with_secrets(secrets.clone());
    let plan = Planner {
        inventory: &inventory,
        templates: &templates,
        extra_vars: &request.extra_vars,
        secrets: &secrets,
    }
    .plan(program, &request.selection)?;
    let journal = open_journal(&request)?;
    Ok(PreparedRun {
        plan,
        inventory,
        options: request.options,
        extra_vars: request.extra_vars,
        secrets,
        journal,
    })
}

/// The run's journal, if it keeps one: last, so that a run refused for any other reason
/// leaves the interrupted run's journal as it was. A run that cannot keep one (held by another
/// run of the play, a directory it cannot write) goes on without, and says so; resuming
/// then is an error.
fn open_journal(request: &RunRequest) -> Result<JournalUse, JournalError> {
    let o = &request.options;
    match (&o.journal_dir, o.check, o.resume) {
        (_, true, true) => Err(JournalError::Check),
        (None, _, true) => Err(JournalError::NoDirectory),
        (None, _, false) | (_, true, false) => Ok(JournalUse::None),
        (Some(dir), false, resume) => {
            let s = &request.selection;
            let partial = s.limit.is_some() || !s.tags.is_empty() || !s.skip_tags.is_empty();
            match Journal::open(dir, &request.play, resume, partial) {
                Ok(j) => Ok(JournalUse::Keep(Box::new(j))),
                Err(e) if !resume => Ok(JournalUse::Unavailable {
                    path: Journal::path_for(dir, &request.play).display().to_string(),
                    reason: match e {
                        JournalError::Busy { .. } => {
                            "another run of this play is using it, so this run keeps none".into()
                        }
                        JournalError::Io { error, .. } => {
                            format!("this run keeps none: {error}")
                        }
                        other => format!("this run keeps none: {other}"),
                    },
                }),
                Err(e) => Err(e),
            }
        }
    }
}

/// The inventory from `sources`, with the `group_vars/` and `host_vars/` beside `play_dir`
/// when there is one.
pub fn load_inventory(sources: &Sources, play_dir: Option<&Path>) -> Result<Inventory, String> {
    let mut inv = Inventory::load(sources).map_err(|e| format!("inventory {e}"))?;
    if let Some(dir) = play_dir {
        inv.load_play_vars(dir)
            .map_err(|e| format!("inventory {e}"))?;
    }
    Ok(inv)
}

impl PreparedRun {
    /// The hosts each play will run on, in order.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// Runs the plan. Every event goes to `events` (secrets masked); `cancel` stops the run
    /// (running commands are signalled, no new task starts).
    pub async fn execute(
        self,
        events: tokio::sync::mpsc::UnboundedSender<Event>,
        cancel: Cancel,
    ) -> RunSummary {
        let sink = EventSink::new(events, self.secrets.clone());
        Executor::new(
            self.inventory,
            self.options,
            self.extra_vars,
            self.secrets,
            sink,
            cancel,
            self.journal,
        )
        .run(self.plan)
        .await
    }
}
