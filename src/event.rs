//! Events: everything the executor has to say, typed. The reporter is their only reader.

use serde::Serialize;

use crate::diff::FileDiff;
use crate::redact::Secrets;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ok,
    Changed,
    Skipped,
    Failed,
    /// Failed, but `ignore_errors` let the host go on.
    Ignored,
    Unreachable,
    /// Not run: the interrupted run this one resumes finished it, with the same inputs
    /// (`--resume`).
    Resumed,
}

impl Status {
    pub fn word(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Changed => "changed",
            Status::Skipped => "skipped",
            Status::Failed => "failed",
            Status::Ignored => "ignored",
            Status::Unreachable => "unreachable",
            Status::Resumed => "resumed",
        }
    }
}

/// The result of a task (or of one loop item) on one host.
#[derive(Clone, Debug, Serialize)]
pub struct TaskResult {
    pub play: String,
    pub host: String,
    pub task: String,
    pub handler: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    /// True for the summary of a looped task (its items were reported one by one).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub loop_summary: bool,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub msg: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub diffs: Vec<FileDiff>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stdout: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stderr: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delegated_to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempts: Option<u32>,
    pub elapsed_ms: u64,
}

/// Per-host totals at the end of a run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Recap {
    pub host: String,
    pub ok: u32,
    pub changed: u32,
    pub skipped: u32,
    pub failed: u32,
    pub ignored: u32,
    pub rescued: u32,
    pub unreachable: u32,
    /// Tasks not run because the interrupted run this one resumes had finished them.
    pub resumed: u32,
    /// Remote commands (round trips) the host's pipeline ran.
    pub commands: u32,
}

#[derive(Clone, Debug, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    RunStarted {
        check: bool,
        diff: bool,
    },
    PlayStarted {
        play: String,
        hosts: Vec<String>,
    },
    /// `--resume`: what the interrupted run's journal holds (or that there is none).
    Resuming(crate::journal::Resume),
    Task(TaskResult),
    /// A task's `until` does not hold yet: it runs again after its `delay`.
    Retrying {
        play: String,
        host: String,
        task: String,
        attempt: u32,
        /// Attempts allowed in all.
        of: u32,
        msg: Option<String>,
    },
    /// A host left the play (failed or unreachable) and runs nothing more.
    HostLeft {
        play: String,
        host: String,
        reason: String,
    },
    PlayFinished {
        play: String,
    },
    /// No later play runs (`any_errors_fatal`).
    RunStopped {
        play: String,
        reason: String,
    },
    /// The journal could not be written or removed: a later `--resume` redoes more.
    JournalFailed {
        journal: String,
        reason: String,
    },
    RunFinished {
        recap: Vec<Recap>,
        elapsed_ms: u64,
        /// The journal left for `eov run --resume` (the run did not succeed).
        #[serde(skip_serializing_if = "Option::is_none")]
        journal: Option<String>,
        /// Written as the exit code `eov run` ends with, as JSON readers expect.
        #[serde(rename = "exit_code", serialize_with = "crate::cli::exit::serialize")]
        outcome: crate::run::RunOutcome,
    },
}

impl Event {
    /// Masks every secret in every text the event carries.
    fn redact(&mut self, secrets: &Secrets) {
        let r = |s: &mut String| *s = secrets.redact(s);
        let ro = |s: &mut Option<String>| {
            if let Some(s) = s {
                *s = secrets.redact(s);
            }
        };
        match self {
            Event::Task(t) => {
                r(&mut t.task);
                ro(&mut t.item);
                ro(&mut t.msg);
                ro(&mut t.stdout);
                ro(&mut t.stderr);
                for d in &mut t.diffs {
                    r(&mut d.path);
                    // A file that holds a secret is not diffed at all: masking the secret
                    // would still show the lines around it and the previous value of a
                    // rotated one (not a secret of this run, so nothing would mask it).
                    let holds =
                        |s: &Option<String>| s.as_ref().is_some_and(|s| secrets.redact(s) != *s);
                    if holds(&d.before) || holds(&d.after) {
                        if d.before != d.after {
                            d.note = Some("content changed (secret)".into());
                        }
                        d.before = None;
                        d.after = None;
                    }
                    for a in &mut d.attrs {
                        r(&mut a.before);
                        r(&mut a.after);
                    }
                }
            }
            Event::HostLeft { reason, .. } => r(reason),
            Event::Retrying { task, msg, .. } => {
                r(task);
                ro(msg);
            }
            _ => {}
        }
    }
}

/// Where the executor sends events: redacted on the way, so no reader ever sees a secret.
#[derive(Clone)]
pub struct EventSink {
    tx: tokio::sync::mpsc::UnboundedSender<Event>,
    secrets: Secrets,
}

impl EventSink {
    pub fn new(tx: tokio::sync::mpsc::UnboundedSender<Event>, secrets: Secrets) -> Self {
        EventSink { tx, secrets }
    }

    pub fn send(&self, mut event: Event) {
        if !self.secrets.is_empty() {
            event.redact(&self.secrets);
        }
        // The reporter outlives the executor; a closed channel means it is gone and there is
        // no one left to tell.
        let _ = self.tx.send(event);
    }
}
