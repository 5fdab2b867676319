//! One connection per host for the whole run, opened on first use, in parallel across hosts
//! with a cap on concurrent SSH handshakes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use minijinja::Value;
use tokio::sync::{OnceCell, Semaphore};

use crate::connection::ssh::config;
use crate::connection::ssh::known_hosts::KnownHosts;
use crate::connection::ssh::{Ssh, Target};
use crate::connection::{Cancel, Connection, ConnectionError, Local};
use crate::inventory::Inventory;

/// Names that mean "the controller itself" in `delegate_to`.
pub const CONTROLLER: &[&str] = &["localhost", "127.0.0.1", "controller"];

/// SSH settings from the command line; inventory variables override them per host.
#[derive(Clone, Debug)]
pub struct SshOptions {
    pub user: Option<String>,
    pub private_key: Option<PathBuf>,
    pub known_hosts: Option<PathBuf>,
    pub accept_new: bool,
    pub timeout: Duration,
    pub retries: u32,
    /// SSH handshakes in flight at once.
    pub handshakes: usize,
}

impl Default for SshOptions {
    fn default() -> Self {
        SshOptions {
            user: None,
            private_key: None,
            known_hosts: None,
            accept_new: false,
            timeout: Duration::from_secs(10),
            retries: 2,
            handshakes: 32,
        }
    }
}

type Slot = Arc<OnceCell<Result<Arc<Connection>, String>>>;

pub struct Connections {
    inventory: Arc<Inventory>,
    options: SshOptions,
    cancel: Cancel,
    open: std::sync::Mutex<HashMap<String, Slot>>,
    known_hosts: std::sync::Mutex<HashMap<PathBuf, Arc<KnownHosts>>>,
    handshakes: Semaphore,
}

fn var(vars: &indexmap::IndexMap<String, Value>, names: &[&str]) -> Option<String> {
    names
        .iter()
        .find_map(|n| vars.get(*n))
        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
}

fn home() -> PathBuf {
    std::env::var_os("HOME").map_or_else(|| PathBuf::from("/root"), PathBuf::from)
}

impl Connections {
    pub fn new(inventory: Arc<Inventory>, options: SshOptions, cancel: Cancel) -> Self {
        let handshakes = Semaphore::new(options.handshakes.max(1));
        Connections {
            inventory,
            options,
            cancel,
            open: std::sync::Mutex::new(HashMap::new()),
            known_hosts: std::sync::Mutex::new(HashMap::new()),
            handshakes,
        }
    }

    /// The connection to `host`, opened if needed; a failure is remembered for the run.
    pub async fn get(&self, host: &str) -> Result<Arc<Connection>, ConnectionError> {
        let slot = self
            .open
            .lock()
            .expect("connections lock is never poisoned")
            .entry(host.to_string())
            .or_default()
            .clone();
        let result = slot
            .get_or_init(|| async {
                self.connect(host)
                    .await
                    .map(Arc::new)
                    .map_err(|e| e.to_string())
            })
            .await;
        result
            .clone()
            .map_err(|reason| ConnectionError::Unreachable {
                host: host.to_string(),
                reason: strip_prefix(&reason, host),
            })
    }

    async fn connect(&self, host: &str) -> Result<Connection, ConnectionError> {
        let vars = self.inventory.host_vars(host);
        let kind = var(&vars, &["eov_connection", "ansible_connection"]).unwrap_or_else(|| {
            if CONTROLLER.contains(&host) {
                "local".into()
            } else {
                "ssh".into()
            }
        });
        match kind.as_str() {
            "local" => Ok(Connection::Local(Local::new(host, self.cancel.clone()))),
            "ssh" => {
                let target = self.target(host, &vars)?;
                let known = self.known_hosts_for(host, &vars)?;
                let _permit = self
                    .handshakes
                    .acquire()
                    .await
                    .expect("the semaphore is never closed");
                Ok(Connection::Ssh(Box::new(
                    Ssh::connect(&target, known, self.cancel.clone()).await?,
                )))
            }
            other => Err(ConnectionError::Unreachable {
                host: host.to_string(),
                reason: format!("unknown connection type `{other}` (use `ssh` or `local`)"),
            }),
        }
    }

    fn target(
        &self,
        host: &str,
        vars: &indexmap::IndexMap<String, Value>,
    ) -> Result<Target, ConnectionError> {
        let cfg = config::for_host(host);
        if let Some(jump) = &cfg.proxy_jump {
            return Err(ConnectionError::Unreachable {
                host: host.to_string(),
                reason: format!(
                    "~/.ssh/config asks for `ProxyJump {jump}`, which eov does not support yet"
                ),
            });
        }
        let bad_port = |p: String| ConnectionError::Unreachable {
            host: host.to_string(),
            reason: format!("`{p}` is not a port"),
        };
        let port = match var(vars, &["eov_port", "ansible_port"]) {
            Some(p) => p.parse().map_err(|_| bad_port(p))?,
            None => cfg.port.unwrap_or(22),
        };
        let mut identity_files: Vec<PathBuf> = var(
            vars,
            &["eov_private_key_file", "ansible_ssh_private_key_file"],
        )
        .map(PathBuf::from)
        .into_iter()
        .chain(self.options.private_key.clone())
        .chain(cfg.identity_files.iter().cloned())
        .collect();
        if identity_files.is_empty() {
            identity_files = ["id_ed25519", "id_ecdsa", "id_rsa"]
                .iter()
                .map(|f| home().join(".ssh").join(f))
                .collect();
        }
        Ok(Target {
            host: host.to_string(),
            address: var(vars, &["eov_host", "ansible_host"])
                .or(cfg.host_name)
                .unwrap_or_else(|| host.to_string()),
            port,
            user: var(vars, &["eov_user", "ansible_user"])
                .or_else(|| self.options.user.clone())
                .or(cfg.user)
                .or_else(|| std::env::var("USER").ok())
                .unwrap_or_else(|| "root".into()),
            identity_files,
            accept_new: self.options.accept_new
                || var(vars, &["eov_host_key_checking"]).as_deref() == Some("accept-new"),
            timeout: self.options.timeout,
            retries: self.options.retries,
        })
    }

    fn known_hosts_for(
        &self,
        host: &str,
        vars: &indexmap::IndexMap<String, Value>,
    ) -> Result<Arc<KnownHosts>, ConnectionError> {
        let path = var(vars, &["eov_known_hosts"])
            .map(PathBuf::from)
            .or_else(|| self.options.known_hosts.clone())
            .or_else(|| config::for_host(host).known_hosts)
            .unwrap_or_else(|| home().join(".ssh/known_hosts"));
        let mut cache = self
            .known_hosts
            .lock()
            .expect("known_hosts cache lock is never poisoned");
        if let Some(k) = cache.get(&path) {
            return Ok(k.clone());
        }
        let k = Arc::new(KnownHosts::load(Path::new(&path)).map_err(|e| {
            ConnectionError::Unreachable {
                host: host.to_string(),
                reason: format!("cannot read {}: {e}", path.display()),
            }
        })?);
        cache.insert(path, k.clone());
        Ok(k)
    }
}

/// "cannot run commands on `h`: reason" -> "reason", so a remembered failure is not wrapped twice.
fn strip_prefix(message: &str, host: &str) -> String {
    message
        .strip_prefix(&format!("cannot run commands on `{host}`: "))
        .unwrap_or(message)
        .to_string()
}
