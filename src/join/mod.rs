//! `eov join`: the client a new machine runs (as root) to enrol itself with `eov serve`.
//! It trusts only the pinned server certificate, authorises the controller's SSH key for
//! root, posts the join, follows the job's events and reports how it ended.

mod pin;

use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use pin::parse_pin;

pub struct JoinOptions {
    /// `https://CONTROLLER:PORT`
    pub url: String,
    pub token: String,
    pub ca_cert_hash: String,
    pub name: String,
    pub address: Option<String>,
    /// Where the controller's key is added.
    pub authorized_keys: PathBuf,
    /// This machine's SSH host key, sent so the controller can record it.
    pub host_key: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum JoinError {
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Connection(String),
    #[error("{what}: the server answered {status}: {message}")]
    Refused {
        what: &'static str,
        status: u16,
        message: String,
    },
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

/// How the job ended.
pub enum JoinOutcome {
    /// The node is an `up` compute.
    Up {
        job: String,
    },
    Failed {
        job: String,
        reason: String,
    },
    Interrupted {
        job: String,
        reason: String,
    },
}

#[derive(Deserialize)]
struct Controller {
    ssh_public_key: String,
}

#[derive(Deserialize)]
struct JobView {
    id: String,
    status: String,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    node_state: Option<String>,
}

/// The whole chain of an error: reqwest hides the TLS reason in its sources.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

async fn refused(what: &'static str, response: reqwest::Response) -> JoinError {
    let status = response.status().as_u16();
    let body = response.text().await.unwrap_or_default();
    let message = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(String::from))
        .unwrap_or(body);
    JoinError::Refused {
        what,
        status,
        message,
    }
}

/// Enrols this machine; `progress` gets one line per step and per task.
pub async fn join(opts: &JoinOptions, progress: &dyn Fn(&str)) -> Result<JoinOutcome, JoinError> {
    let pin = parse_pin(&opts.ca_cert_hash).map_err(JoinError::Usage)?;
    let base = opts.url.trim_end_matches('/');
    if !base.starts_with("https://") {
        return Err(JoinError::Usage(format!(
            "`{}`: the server URL must start with https://",
            opts.url
        )));
    }
    let tls = pin::client_config(pin).map_err(JoinError::Connection)?;
    let client = reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .connect_timeout(std::time::Duration::from_secs(10))
        .build()
        .map_err(|e| JoinError::Connection(chain(&e)))?;
    let bearer = format!("Bearer {}", opts.token);
    let connection = |e: reqwest::Error| JoinError::Connection(format!("{base}: {}", chain(&e)));

    let response = client
        .get(format!("{base}/v1/controller"))
        .header("authorization", &bearer)
        .send()
        .await
        .map_err(connection)?;
    if !response.status().is_success() {
        return Err(refused("fetching the controller's key", response).await);
    }
    let controller: Controller = response.json().await.map_err(connection)?;
    let added = authorize(&opts.authorized_keys, &controller.ssh_public_key)?;
    progress(&format!(
        "controller key {} {}",
        if added { "added to" } else { "already in" },
        opts.authorized_keys.display()
    ));

    let mut body = serde_json::json!({"name": opts.name});
    if let Some(a) = &opts.address {
        body["address"] = a.clone().into();
    }
    if let Some(k) = &opts.host_key {
        body["ssh_public_key"] = k.clone().into();
    }
    let response = client
        .post(format!("{base}/v1/join"))
        .header("authorization", &bearer)
        .json(&body)
        .send()
        .await
        .map_err(connection)?;
    let job: JobView = match response.status().as_u16() {
        202 => response.json().await.map_err(connection)?,
        // A join of this node is already on its way: follow that one.
        409 => {
            let v: serde_json::Value = response.json().await.map_err(connection)?;
            serde_json::from_value(v["job"].clone())
                .map_err(|e| JoinError::Connection(format!("{base}: {e}")))?
        }
        _ => return Err(refused("posting the join", response).await),
    };
    progress(&format!(
        "job {} for node {} ({})",
        job.id, opts.name, job.status
    ));

    let mut response = client
        .get(format!("{base}/v1/jobs/{}/events", job.id))
        .header("authorization", &bearer)
        .send()
        .await
        .map_err(connection)?;
    if !response.status().is_success() {
        return Err(refused("following the job", response).await);
    }
    let mut pending: Vec<u8> = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(connection)? {
        pending.extend_from_slice(&chunk);
        while let Some(end) = pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            if let Ok(event) = serde_json::from_slice::<serde_json::Value>(&line)
                && let Some(text) = describe(&event)
            {
                progress(&text);
            }
        }
    }

    let response = client
        .get(format!("{base}/v1/jobs/{}", job.id))
        .header("authorization", &bearer)
        .send()
        .await
        .map_err(connection)?;
    if !response.status().is_success() {
        return Err(refused("reading the job", response).await);
    }
    let done: JobView = response.json().await.map_err(connection)?;
    let reason = done.message.clone().unwrap_or_default();
    Ok(match done.status.as_str() {
        "ok" if done.node_state.as_deref() == Some("up") => JoinOutcome::Up { job: done.id },
        "ok" => JoinOutcome::Failed {
            job: done.id,
            reason: format!(
                "the job succeeded but the node is `{}`, not `up`",
                done.node_state.unwrap_or_default()
            ),
        },
        "interrupted" => JoinOutcome::Interrupted {
            job: done.id,
            reason,
        },
        other => JoinOutcome::Failed {
            job: done.id,
            reason: if reason.is_empty() {
                format!("the job ended `{other}`")
            } else {
                reason
            },
        },
    })
}

/// One progress line for an event, or none for events not worth a line.
fn describe(event: &serde_json::Value) -> Option<String> {
    let s = |k: &str| event.get(k).and_then(|v| v.as_str()).unwrap_or("");
    match s("event") {
        "play_started" => Some(format!("play {}", s("play"))),
        "task" => {
            let msg = event
                .get("msg")
                .and_then(|m| m.as_str())
                .map(|m| format!(": {m}"))
                .unwrap_or_default();
            Some(format!(
                "  [{}] {} {}{msg}",
                s("host"),
                s("task"),
                s("status")
            ))
        }
        "host_left" => Some(format!("  [{}] left the play: {}", s("host"), s("reason"))),
        _ => None,
    }
}

/// Adds `key` to an authorized_keys file (0600, directory 0700) unless it is there already.
pub fn authorize(path: &Path, key: &str) -> Result<bool, JoinError> {
    use std::os::unix::fs::PermissionsExt as _;
    let io = |e| JoinError::Io {
        path: path.display().to_string(),
        source: e,
    };
    let key = key.trim();
    if key.is_empty() || key.contains('\n') {
        return Err(JoinError::Connection(
            "the controller's SSH key is empty or not one line".into(),
        ));
    }
    let current = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(io(e)),
    };
    if current.lines().any(|l| l.trim() == key) {
        return Ok(false);
    }
    if let Some(dir) = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty() && !d.exists())
    {
        std::fs::create_dir_all(dir).map_err(io)?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(io)?;
    }
    let mut text = current;
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(key);
    text.push('\n');
    crate::fsutil::write_atomic(path, text.as_bytes()).map_err(io)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(io)?;
    Ok(true)
}
