//! Jobs: one play run each, queued behind one lock (edits of the cloud state never overlap),
//! persisted under `serve/jobs/` as `ID.json` (replaced atomically at each change) and
//! `ID.events.jsonl` (the run's events, one JSON object a line, as `--output json` prints
//! them). A job found queued or running when the server starts was cut off by a stop of the
//! server: it is marked interrupted.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt as _;
use tokio::sync::Notify;

use super::ServeError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    Join,
    Remove,
    Rejoin,
}

impl JobKind {
    /// The play each kind runs, under the plays directory.
    pub fn play_file(self) -> &'static str {
        match self {
            JobKind::Join => "add_compute.eov",
            JobKind::Remove => "remove_compute.eov",
            JobKind::Rejoin => "rejoin_compute.eov",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Queued,
    Running,
    Ok,
    Failed,
    Interrupted,
}

impl JobStatus {
    pub fn finished(self) -> bool {
        !matches!(self, JobStatus::Queued | JobStatus::Running)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Job {
    pub id: String,
    pub kind: JobKind,
    pub node: String,
    pub status: JobStatus,
    pub play: String,
    /// The token that asked for it: it may follow the job.
    pub token: String,
    pub created: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished: Option<u64>,
    /// Why it failed or was interrupted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Per-host totals of the run, as in the `run_finished` event.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recap: Option<serde_json::Value>,
    /// The run's extra variables besides `node` (address, key).
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub vars: serde_json::Map<String, serde_json::Value>,
}

/// A job of this server process: followers wait on `changed` until `done`.
#[derive(Default)]
pub struct Live {
    pub changed: Notify,
    pub done: AtomicBool,
}

impl Live {
    pub fn finish(&self) {
        self.done.store(true, Ordering::SeqCst);
        self.changed.notify_waiters();
    }
}

pub struct Jobs {
    dir: PathBuf,
    live: Mutex<HashMap<String, Arc<Live>>>,
}

impl Jobs {
    /// Opens the job directory and marks the jobs a previous server left unfinished.
    pub fn open(serve_dir: &Path) -> Result<(Jobs, Vec<Job>), ServeError> {
        let dir = serve_dir.join("jobs");
        std::fs::create_dir_all(&dir).map_err(|e| ServeError::io(&dir, e))?;
        let jobs = Jobs {
            dir,
            live: Mutex::new(HashMap::new()),
        };
        let mut interrupted = Vec::new();
        for mut job in jobs.list()? {
            if !job.status.finished() {
                job.status = JobStatus::Interrupted;
                job.finished = Some(super::tokens::now());
                job.message = Some(
                    "the server stopped while this job was queued or running; post it again".into(),
                );
                jobs.save(&job)?;
                interrupted.push(job);
            }
        }
        Ok((jobs, interrupted))
    }

    fn json_path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.json"))
    }

    pub fn events_path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.events.jsonl"))
    }

    pub fn save(&self, job: &Job) -> Result<(), ServeError> {
        let path = self.json_path(&job.id);
        let json = serde_json::to_vec_pretty(job).expect("jobs serialize");
        crate::fsutil::write_atomic(&path, &json).map_err(|e| ServeError::io(&path, e))
    }

    /// A job by id; ids are checked by the caller to be plain (`[a-z0-9]`).
    pub fn get(&self, id: &str) -> Result<Option<Job>, ServeError> {
        let path = self.json_path(id);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| ServeError::State(format!("{}: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(ServeError::io(&path, e)),
        }
    }

    /// Every job, oldest first.
    pub fn list(&self) -> Result<Vec<Job>, ServeError> {
        let mut out = Vec::new();
        let entries = std::fs::read_dir(&self.dir).map_err(|e| ServeError::io(&self.dir, e))?;
        for entry in entries.filter_map(Result::ok) {
            let name = entry.file_name();
            let Some(id) = name.to_str().and_then(|n| n.strip_suffix(".json")) else {
                continue;
            };
            if id.starts_with('.') {
                continue;
            }
            if let Some(job) = self.get(id)? {
                out.push(job);
            }
        }
        out.sort_by(|a, b| (a.created, &a.id).cmp(&(b.created, &b.id)));
        Ok(out)
    }

    /// Registers a job of this process, so followers can wait on it.
    pub fn track(&self, id: &str) -> Arc<Live> {
        let live = Arc::new(Live::default());
        self.live
            .lock()
            .expect("live lock")
            .insert(id.to_string(), live.clone());
        live
    }

    pub fn live(&self, id: &str) -> Option<Arc<Live>> {
        self.live.lock().expect("live lock").get(id).cloned()
    }

    /// The unfinished job of this kind for this node, if one is queued or running.
    pub fn pending_for(&self, node: &str) -> Result<Option<Job>, ServeError> {
        let live: Vec<String> = self
            .live
            .lock()
            .expect("live lock")
            .iter()
            .filter(|(_, l)| !l.done.load(Ordering::SeqCst))
            .map(|(id, _)| id.clone())
            .collect();
        for id in live {
            if let Some(job) = self.get(&id)?
                && job.node == node
                && !job.status.finished()
            {
                return Ok(Some(job));
            }
        }
        Ok(None)
    }
}

/// Appends events to a job's log, one line each, and wakes its followers.
pub struct EventLog {
    file: tokio::fs::File,
    live: Arc<Live>,
}

impl EventLog {
    pub async fn create(path: &Path, live: Arc<Live>) -> std::io::Result<EventLog> {
        let file = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .await?;
        Ok(EventLog { file, live })
    }

    pub async fn append(&mut self, value: &impl Serialize) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(value).map_err(std::io::Error::other)?;
        line.push(b'\n');
        self.file.write_all(&line).await?;
        self.file.flush().await?;
        self.live.changed.notify_waiters();
        Ok(())
    }
}
