//! Runs one job: waits for the cloud-state lock, runs the job's play in-process through the
//! run API, logs its events and records how it ended, on the job and on the node.

use std::sync::Arc;

use indexmap::IndexMap;
use minijinja::Value;

use super::AppState;
use super::jobs::{EventLog, Job, JobKind, JobStatus, Live};
use super::nodes::NodeState;
use crate::run::{PrepareError, RunOutcome, RunRequest};

/// Runs `job` to its end; every failure is recorded on the job, none is returned.
pub async fn run(state: Arc<AppState>, mut job: Job, live: Arc<Live>) {
    let _cloud = state.cloud_lock.lock().await;
    if state.shutdown.is_cancelled() {
        finish(
            &state,
            &mut job,
            JobStatus::Interrupted,
            "the server stopped before the job started".into(),
            None,
        );
        live.finish();
        return;
    }
    job.status = JobStatus::Running;
    job.started = Some(super::tokens::now());
    if let Err(e) = state.jobs.save(&job) {
        crate::report::error(&format!("job {}: {e}", job.id));
    }
    set_node(&state, &job, running_state(job.kind));
    let (status, message, recap) = execute(&state, &job, &live).await;
    finish(&state, &mut job, status, message, recap);
    live.finish();
}

fn running_state(kind: JobKind) -> NodeState {
    match kind {
        JobKind::Join => NodeState::Joining,
        JobKind::Remove => NodeState::Removing,
        JobKind::Rejoin => NodeState::Rejoining,
    }
}

fn finish(
    state: &AppState,
    job: &mut Job,
    status: JobStatus,
    message: String,
    recap: Option<serde_json::Value>,
) {
    job.status = status;
    job.finished = Some(super::tokens::now());
    job.message = (!message.is_empty()).then_some(message);
    job.recap = recap;
    let node_state = match (status, job.kind) {
        (JobStatus::Ok, JobKind::Remove) => NodeState::Removed,
        (JobStatus::Ok, _) => NodeState::Up,
        _ => NodeState::Failed,
    };
    set_node(state, job, node_state);
    if let Err(e) = state.jobs.save(job) {
        crate::report::error(&format!("job {}: {e}", job.id));
    }
}

fn set_node(state: &AppState, job: &Job, node_state: NodeState) {
    let address = job
        .vars
        .get("node_address")
        .and_then(|v| v.as_str())
        .map(String::from);
    let key = job
        .vars
        .get("node_ssh_public_key")
        .and_then(|v| v.as_str())
        .map(String::from);
    let result = state.nodes.update(
        &job.node,
        |n| {
            n.state = node_state;
            if address.is_some() {
                n.address = address;
            }
            if key.is_some() {
                n.ssh_public_key = key;
            }
        },
        &job.id,
    );
    if let Err(e) = result {
        crate::report::error(&format!("job {}: {e}", job.id));
    }
}

/// Prepares and runs the play; the status, a message and the recap.
async fn execute(
    state: &Arc<AppState>,
    job: &Job,
    live: &Arc<Live>,
) -> (JobStatus, String, Option<serde_json::Value>) {
    let play = state.config.plays_dir.join(job.kind.play_file());
    if !play.is_file() {
        return (
            JobStatus::Failed,
            format!(
                "the {} play {} does not exist (set --plays-dir to the directory holding {})",
                serde_json::to_value(job.kind)
                    .unwrap_or_default()
                    .as_str()
                    .unwrap_or("job"),
                play.display(),
                job.kind.play_file()
            ),
            None,
        );
    }
    let mut extra_vars: IndexMap<String, Value> = IndexMap::new();
    extra_vars.insert("node".into(), Value::from(job.node.clone()));
    if !state.config.controller_key.is_empty() {
        extra_vars.insert(
            "controller_key".into(),
            Value::from(state.config.controller_key.clone()),
        );
    }
    let inventory = match joining_inventory(state, job) {
        Ok(i) => i,
        Err(e) => return (JobStatus::Failed, e, None),
    };
    // The API puts only strings here (address, key).
    for (k, v) in &job.vars {
        if let Some(text) = v.as_str() {
            extra_vars.insert(k.clone(), Value::from(text.to_string()));
        }
    }
    let request = RunRequest {
        play,
        roles_path: state.config.roles_path.clone(),
        inventory,
        extra_vars,
        selection: Default::default(),
        options: state.config.options.clone(),
    };
    // Checking and planning read files and may run a dynamic inventory: off the async workers.
    let prepared = match tokio::task::spawn_blocking(move || crate::run::prepare(request)).await {
        Ok(Ok(p)) => p,
        Ok(Err(PrepareError::Invalid {
            diagnostics,
            sources,
        })) => {
            return (
                JobStatus::Failed,
                crate::report::render_diagnostics(&diagnostics, &sources),
                None,
            );
        }
        Ok(Err(e)) => return (JobStatus::Failed, e.to_string(), None),
        Err(e) => {
            return (
                JobStatus::Failed,
                format!("the play could not be prepared: {e}"),
                None,
            );
        }
    };
    let mut log = match EventLog::create(&state.jobs.events_path(&job.id), live.clone()).await {
        Ok(l) => l,
        Err(e) => {
            return (
                JobStatus::Failed,
                format!("cannot write the event log: {e}"),
                None,
            );
        }
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let writer = tokio::spawn(async move {
        let mut failed = None;
        while let Some(event) = rx.recv().await {
            if let Err(e) = log.append(&event).await
                && failed.is_none()
            {
                failed = Some(e);
            }
        }
        failed
    });
    let summary = prepared.execute(tx, state.shutdown.clone()).await;
    let log_error = writer.await.ok().flatten();
    let recap = serde_json::to_value(&summary.recap).ok();
    let (status, mut message) = match summary.outcome {
        RunOutcome::Ok => (JobStatus::Ok, String::new()),
        RunOutcome::Interrupted => (
            JobStatus::Interrupted,
            "the server was stopped during the run".into(),
        ),
        RunOutcome::Failed => (
            JobStatus::Failed,
            "a task failed (see the job's events)".into(),
        ),
        RunOutcome::Unreachable => (
            JobStatus::Failed,
            "a host was unreachable (see the job's events)".into(),
        ),
    };
    if let Some(e) = log_error {
        message = format!("{message}; the event log is incomplete: {e}");
    }
    (status, message, recap)
}

/// The server's inventory, plus the joining node (group `joining`) at the address it gave or
/// joined from, with the host key it sent (over the pinned TLS channel, with a valid token)
/// as its only known key: the play reaches a machine the inventory does not list yet.
fn joining_inventory(state: &AppState, job: &Job) -> Result<crate::inventory::Sources, String> {
    let mut sources = state.config.inventory.clone();
    let Some(address) = job.vars.get("node_address").and_then(|v| v.as_str()) else {
        return Ok(sources);
    };
    let dir = state.config.serve_dir.join("inventories");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut line = format!("{} eov_host={address} eov_user=root", job.node);
    if let Some(key) = job.vars.get("node_ssh_public_key").and_then(|v| v.as_str()) {
        // One file per node (names are checked: no `/`, no `..`), rewritten at each join with
        // the key it sent: a later join of the same node reuses the connection kept for it,
        // and a reinstalled node's new key replaces the old one.
        let known = dir.join(format!("{}.known_hosts", job.node));
        crate::fsutil::write_atomic(&known, format!("{address} {}\n", key.trim()).as_bytes())
            .map_err(|e| format!("{}: {e}", known.display()))?;
        line.push_str(&format!(" eov_known_hosts={}", known.display()));
    }
    let path = dir.join(format!("{}.hosts", job.id));
    std::fs::write(&path, format!("[joining]\n{line}\n"))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if sources.paths.is_empty() {
        // What an empty list means (`current/hosts` beside the server's state), kept.
        let default = state
            .config
            .serve_dir
            .parent()
            .map(|d| d.join("hosts"))
            .filter(|p| p.exists());
        sources.paths.extend(default);
    }
    sources.paths.push(path);
    Ok(sources)
}
