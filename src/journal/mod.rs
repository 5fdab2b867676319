//! The resume journal of a run (`STATE_DIR/runs/PLAY-HASH.journal`, JSON lines): per host,
//! the tasks that ended ok or changed, with a salted hash of their rendered inputs, and the
//! handlers notified and not yet run. `eov run --resume` reads it to skip those tasks and
//! notify those handlers again. A run starts its journal whole (temp file, fsync, rename),
//! then only appends; a run that succeeds removes it. Secrets never go in: see
//! `executor/resume.rs` for what is recorded and docs/security.md for the promise.

mod record;
mod writer;

use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub use record::{Done, Record};
use record::{Header, State};
use serde::Serialize;
use writer::Writer;

/// Why a journal could not be started or resumed. Nothing ran.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("journal `{path}`: {error}")]
    Io { path: String, error: std::io::Error },
    #[error("journal `{path}` cannot be resumed: {why}; remove it, or run without --resume")]
    Invalid { path: String, why: String },
    #[error("--resume needs a journal directory")]
    NoDirectory,
    #[error("--resume and --check: a check run neither reads nor writes the journal")]
    Check,
    #[error("journal `{path}` is in use by another run of this play; resume once it has ended")]
    Busy { path: String },
}

/// What a run does about its journal.
pub enum Use {
    /// No journal (a check run, a server's job).
    None,
    // Boxed: a run has one, moved once.
    Keep(Box<Journal>),
    /// The journal cannot be kept (another run of this play holds it, its directory is not
    /// writable): this run keeps none and says why. Only a run that does not resume goes on.
    Unavailable {
        path: String,
        reason: String,
    },
}

/// What `--resume` found, for the reporter.
#[derive(Clone, Debug, Serialize)]
pub struct Resume {
    pub journal: String,
    /// False: no journal (the last run of this play finished, or none ran): every task runs.
    pub found: bool,
    /// Task results (tasks and loop items) and pending handlers it holds.
    pub tasks: usize,
    pub handlers: usize,
}

/// How a journal ended.
#[derive(Debug, Default)]
pub struct End {
    /// Still there, for a later `--resume`.
    pub kept: Option<PathBuf>,
    /// A write or the removal failed: a later `--resume` redoes more than it could.
    pub error: Option<String>,
}

pub struct Journal {
    path: PathBuf,
    salt: String,
    /// The interrupted run's state (empty when not resuming): read-only during the run.
    past: State,
    resume: Option<Resume>,
    /// A run of part of the plan (`--limit`, `--tags`) keeps the journal even when it
    /// succeeds: the other hosts and tasks may still need it.
    partial: bool,
    writer: Mutex<Writer>,
    /// Held (`flock`) until [`Journal::close`], released by the kernel however the run ends:
    /// two runs of one play never write one journal.
    lock: Mutex<Option<std::fs::File>>,
}

impl Journal {
    /// The journal of `play` in `dir`: named by the play's file name and a hash of its
    /// absolute path, so two plays of one name in two directories do not share one.
    pub fn path_for(dir: &Path, play: &Path) -> PathBuf {
        let abs = absolute(play);
        let stem: String = play
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let hash = crate::shell::sha256_hex(abs.as_bytes());
        dir.join(format!("{stem}-{}.journal", &hash[..16]))
    }

    /// Starts the run's journal in `dir`: with `resume`, from the state of the one there
    /// (none there: a fresh one, and [`Journal::resume`] says so); else a fresh one that
    /// replaces it.
    pub fn open(
        dir: &Path,
        play: &Path,
        resume: bool,
        partial: bool,
    ) -> Result<Journal, JournalError> {
        let path = Journal::path_for(dir, play);
        let shown = path.display().to_string();
        let io = |error| JournalError::Io {
            path: shown.clone(),
            error,
        };
        let lock = lock(&path).map_err(io)?.ok_or_else(|| JournalError::Busy {
            path: shown.clone(),
        })?;
        let invalid = |why: String| JournalError::Invalid {
            path: shown.clone(),
            why,
        };
        let play_abs = absolute(play);
        let (salt, past, found) = match resume.then(|| std::fs::read_to_string(&path)) {
            None => (new_salt().map_err(io)?, State::default(), false),
            Some(Err(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                (new_salt().map_err(io)?, State::default(), false)
            }
            Some(Err(e)) => return Err(io(e)),
            Some(Ok(text)) => {
                let (header, past, _torn) =
                    record::parse(&text).map_err(|e| invalid(e.to_string()))?;
                if header.play != play_abs {
                    return Err(invalid(format!("it is the journal of `{}`", header.play)));
                }
                (header.salt, past, true)
            }
        };
        let mut text = serde_json::to_string(&Header {
            eov_journal: record::VERSION,
            play: play_abs,
            salt: salt.clone(),
        })
        .expect("a header serializes");
        text.push('\n');
        for r in past.records() {
            text.push_str(&serde_json::to_string(&r).expect("a record serializes"));
            text.push('\n');
        }
        write_private(&path, text.as_bytes()).map_err(io)?;
        let file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(io)?;
        let writer = Writer::start(file).map_err(io)?;
        Ok(Journal {
            resume: resume.then(|| Resume {
                journal: shown.clone(),
                found,
                tasks: past.tasks(),
                handlers: past.handlers(),
            }),
            path,
            salt,
            past,
            partial,
            writer: Mutex::new(writer),
            lock: Mutex::new(Some(lock)),
        })
    }

    pub fn resume(&self) -> Option<&Resume> {
        self.resume.as_ref()
    }

    /// The salted SHA-256 of a task's inputs (canonical JSON).
    pub fn inputs_hash(&self, inputs: &serde_json::Value) -> String {
        let mut bytes = self.salt.clone().into_bytes();
        bytes.push(b'\n');
        bytes.extend(serde_json::to_vec(inputs).expect("JSON serializes"));
        crate::shell::sha256_hex(&bytes)
    }

    /// What the interrupted run recorded for this task on this host, if its inputs were these.
    pub fn done(&self, host: &str, task: &str, inputs: &str) -> Option<&Done> {
        self.past.done(host, task).filter(|d| d.inputs == inputs)
    }

    /// The handlers of play number `play` that the interrupted run notified on `host` and
    /// did not run.
    pub fn pending(&self, host: &str, play: usize) -> Vec<String> {
        self.past.pending(host, play).map(str::to_string).collect()
    }

    pub fn record(&self, record: &Record) {
        let line = serde_json::to_string(record).expect("a record serializes");
        self.writer
            .lock()
            .expect("the journal lock is never poisoned")
            .send(line);
    }

    /// Ends the journal: every line written; removed if the run succeeded (and ran the whole
    /// plan), else kept for `--resume`.
    pub fn close(&self, success: bool) -> End {
        let mut end = End {
            error: self
                .writer
                .lock()
                .expect("the journal lock is never poisoned")
                .close(),
            kept: None,
        };
        // Released when the journal is complete, not when the last holder of the run's state
        // lets go: the next run of the play may start as soon as this one has ended.
        let lock = self
            .lock
            .lock()
            .expect("the journal lock is never poisoned")
            .take();
        if success && !self.partial {
            match std::fs::remove_file(&self.path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    end.error.get_or_insert(format!("cannot remove it: {e}"));
                    end.kept = Some(self.path.clone());
                }
            }
        } else {
            end.kept = Some(self.path.clone());
        }
        // Unlocked explicitly, not only closed: a process forked meanwhile (any command this
        // process starts) shares the open file until it execs, and would keep the lock held.
        if let Some(file) = lock {
            let _ = file.unlock();
        }
        end
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn absolute(play: &Path) -> String {
    std::fs::canonicalize(play)
        .or_else(|_| std::path::absolute(play))
        .unwrap_or_else(|_| play.to_path_buf())
        .display()
        .to_string()
}

/// Takes the lock of the journal at `path` (`PATH.lock`, never removed: removing it would let
/// a third run lock a new file while the second still holds the old one); `None`: another
/// run holds it.
fn lock(path: &Path) -> std::io::Result<Option<std::fs::File>> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    let mut name = path.as_os_str().to_owned();
    name.push(".lock");
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(PathBuf::from(name))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => Ok(None),
        Err(std::fs::TryLockError::Error(e)) => Err(e),
    }
}

fn new_salt() -> std::io::Result<String> {
    let mut buf = [0u8; 16];
    getrandom::fill(&mut buf).map_err(|e| std::io::Error::other(format!("random source: {e}")))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

/// Replaces `dest` whole: a temp file readable by its owner only (the journal holds
/// registered results), synced, renamed, and the directory synced so the rename survives a
/// crash of the machine.
fn write_private(dest: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = dest.parent().unwrap_or(Path::new("."));
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    let name = dest
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("journal");
    let tmp = dir.join(format!(".{name}.eov-{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, dest)?;
        std::fs::File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn done(host: &str, task: &str, inputs: &str) -> Record {
        Record::Done {
            host: host.into(),
            task: task.into(),
            inputs: inputs.into(),
            changed: false,
            register: None,
            facts: indexmap::IndexMap::new(),
        }
    }

    #[test]
    fn a_resumed_journal_carries_the_interrupted_state_and_is_private() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let play = dir.path().join("p.eov");
        std::fs::write(&play, "").unwrap();
        let runs = dir.path().join("runs");
        let first = Journal::open(&runs, &play, false, false).unwrap();
        let h = first.inputs_hash(&serde_json::json!({"a": 1}));
        first.record(&done("h1", "t", &h));
        first.record(&Record::Notified {
            host: "h1".into(),
            play: 0,
            handler: "restart".into(),
        });
        let end = first.close(false);
        drop(first);
        assert_eq!(end.error, None);
        let path = end.kept.unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);

        let second = Journal::open(&runs, &play, true, false).unwrap();
        let r = second.resume().unwrap();
        assert!(r.found && r.tasks == 1 && r.handlers == 1);
        // The salt is kept, so the same inputs hash the same.
        assert_eq!(second.inputs_hash(&serde_json::json!({"a": 1})), h);
        assert!(second.done("h1", "t", &h).is_some());
        assert!(second.done("h1", "t", "other").is_none());
        assert_eq!(second.pending("h1", 0), ["restart"]);
        // A success removes it.
        assert!(second.close(true).kept.is_none());
        drop(second);
        assert!(!path.exists());
        let third = Journal::open(&runs, &play, true, false).unwrap();
        assert!(!third.resume().unwrap().found);
    }

    #[test]
    fn a_fresh_run_forgets_the_old_journal_and_salts_anew() {
        let dir = tempfile::tempdir().unwrap();
        let play = dir.path().join("p.eov");
        std::fs::write(&play, "").unwrap();
        let runs = dir.path().join("runs");
        let first = Journal::open(&runs, &play, false, false).unwrap();
        let h = first.inputs_hash(&serde_json::json!(1));
        first.record(&done("h1", "t", &h));
        first.close(false);
        drop(first);
        let fresh = Journal::open(&runs, &play, false, false).unwrap();
        assert_ne!(fresh.inputs_hash(&serde_json::json!(1)), h);
        fresh.close(false);
        drop(fresh);
        let resumed = Journal::open(&runs, &play, true, false).unwrap();
        assert_eq!(resumed.resume().unwrap().tasks, 0);
    }

    #[test]
    fn two_runs_of_one_play_never_share_a_journal() {
        let dir = tempfile::tempdir().unwrap();
        let play = dir.path().join("p.eov");
        std::fs::write(&play, "").unwrap();
        let runs = dir.path().join("runs");
        let first = Journal::open(&runs, &play, false, false).unwrap();
        let busy = Journal::open(&runs, &play, true, false).err().unwrap();
        assert!(matches!(busy, JournalError::Busy { .. }), "{busy}");
        // Closing releases it, whoever still holds the journal.
        first.close(false);
        assert!(Journal::open(&runs, &play, true, false).is_ok());
    }

    #[test]
    fn a_partial_run_keeps_its_journal_and_a_foreign_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let play = dir.path().join("p.eov");
        std::fs::write(&play, "").unwrap();
        let runs = dir.path().join("runs");
        let j = Journal::open(&runs, &play, false, true).unwrap();
        let path = j.close(true).kept.unwrap();
        drop(j);
        std::fs::write(
            &path,
            "{\"eov_journal\":1,\"play\":\"/elsewhere.eov\",\"salt\":\"00\"}\n",
        )
        .unwrap();
        let err = Journal::open(&runs, &play, true, false).err().unwrap();
        assert!(err.to_string().contains("/elsewhere.eov"), "{err}");
    }
}
