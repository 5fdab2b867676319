//! The connection factory: one connection per host for the whole run, opened on first use,
//! in parallel across hosts with a cap on concurrent SSH handshakes. How a host is reached
//! (local or SSH, address, user, keys, known_hosts) is decided here, from inventory variables
//! over `~/.ssh/config` over the run's settings. With a [`ConnectionPool`] (`eov serve`), SSH
//! connections come from it and go back to it when the run ends.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use indexmap::IndexMap;
use minijinja::Value;
use tokio::sync::{OnceCell, Semaphore};

use super::pool::{ConnectionPool, PoolKey};
use super::ssh::config::{self, HostConfig};
use super::ssh::known_hosts::KnownHosts;
use super::ssh::{KeyCache, Link, Ssh, Target};
use super::{Cancel, Connection, ConnectionError, Local, LocalEnv};
use crate::inventory::Inventory;

/// Names that mean "the controller itself" in `delegate_to`.
pub const CONTROLLER: &[&str] = &["localhost", "127.0.0.1", "controller"];

/// SSH settings of a run; inventory variables override them per host.
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
    /// The passphrase of encrypted key files.
    pub key_passphrase: Option<Arc<str>>,
    /// Commands through one long-lived remote shell per host (else a channel per command).
    pub session: bool,
    pub env: LocalEnv,
    /// Where SSH connections outlive the run (`eov serve`); none: closed when it ends.
    pub pool: Option<ConnectionPool>,
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
            key_passphrase: None,
            session: true,
            env: LocalEnv::default(),
            pool: None,
        }
    }
}

pub(super) type Slot = Arc<OnceCell<Result<Arc<Connection>, ConnectionError>>>;

/// How a host is reached.
pub(super) enum Route {
    Local,
    Ssh {
        target: Target,
        known: Arc<KnownHosts>,
    },
}

pub struct Connections {
    inventory: Arc<Inventory>,
    pub(super) options: SshOptions,
    pub(super) cancel: Cancel,
    /// `~/.ssh/config`, read once per run.
    ssh_config: String,
    keys: Arc<KeyCache>,
    /// Each host's connection, opened on first use (replaced by [`super::Relink`]).
    pub(super) open: std::sync::Mutex<HashMap<String, Slot>>,
    known_hosts: std::sync::Mutex<HashMap<PathBuf, Arc<KnownHosts>>>,
    handshakes: Semaphore,
}

fn var(vars: &IndexMap<String, Value>, names: &[&str]) -> Option<String> {
    names
        .iter()
        .find_map(|n| vars.get(*n))
        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
}

/// A jump host from the inventory: `eov_proxy_jump`, or `-J X` / `-o ProxyJump=X` in
/// Ansible's `ansible_ssh_common_args` (how Ansible users write it).
fn jump_spec(vars: &IndexMap<String, Value>) -> Option<String> {
    if let Some(j) = var(vars, &["eov_proxy_jump"]) {
        return Some(j);
    }
    let args = var(vars, &["ansible_ssh_common_args", "ansible_ssh_extra_args"])?;
    let words = shlex::split(&args)?;
    let mut it = words.iter();
    while let Some(w) = it.next() {
        if w == "-J" {
            return it.next().cloned();
        }
        let option = if w == "-o" {
            it.next().map(String::as_str)
        } else {
            w.strip_prefix("-o")
        };
        if let Some(o) = option
            && let Some((k, v)) = o.split_once(['=', ' '])
            && k.eq_ignore_ascii_case("proxyjump")
        {
            return Some(v.trim().to_string());
        }
    }
    None
}

fn unreachable(host: &str, reason: String) -> ConnectionError {
    ConnectionError::Unreachable {
        host: host.to_string(),
        reason,
    }
}

impl Connections {
    pub fn new(inventory: Arc<Inventory>, options: SshOptions, cancel: Cancel) -> Self {
        let handshakes = Semaphore::new(options.handshakes.max(1));
        let ssh_config =
            std::fs::read_to_string(options.env.home.join(".ssh/config")).unwrap_or_default();
        Connections {
            inventory,
            keys: Arc::new(KeyCache::new(options.key_passphrase.clone())),
            options,
            cancel,
            ssh_config,
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
        slot.get_or_init(|| async { self.connect(host).await.map(Arc::new) })
            .await
            .clone()
    }

    /// How `host` is reached: the inventory's variables over `~/.ssh/config` over the run's
    /// settings (the same answer every time in a run).
    pub(super) fn route(&self, host: &str) -> Result<Route, ConnectionError> {
        let vars = self.inventory.host_vars(host);
        let kind = var(&vars, &["eov_connection", "ansible_connection"]).unwrap_or_else(|| {
            if CONTROLLER.contains(&host) {
                "local".into()
            } else {
                "ssh".into()
            }
        });
        match kind.as_str() {
            "local" => Ok(Route::Local),
            "ssh" => {
                let cfg = config::resolve(&self.ssh_config, host, &self.options.env.home);
                let target = self.target(host, &vars, &cfg)?;
                let known = self.known_hosts_for(host, &vars, &cfg)?;
                Ok(Route::Ssh { target, known })
            }
            other => Err(unreachable(
                host,
                format!("unknown connection type `{other}` (use `ssh` or `local`)"),
            )),
        }
    }

    /// A local connection for `host`: commands run on the controller.
    pub(super) fn local(&self, host: &str) -> Connection {
        Connection::Local(Local::new(
            host,
            &self.options.env.user,
            self.cancel.clone(),
        ))
    }

    async fn connect(&self, host: &str) -> Result<Connection, ConnectionError> {
        let (target, known) = match self.route(host)? {
            Route::Local => return Ok(self.local(host)),
            Route::Ssh { target, known } => (target, known),
        };
        let Some(pool) = &self.options.pool else {
            let _permit = self.handshake().await;
            return Ok(Connection::Ssh(Box::new(
                Ssh::connect(&target, known, self.cancel.clone()).await?,
            )));
        };
        let key = PoolKey::new(&target, known.path());
        // Idle connections that do not answer any more are dropped, one by one.
        while let Some((link, back)) = pool.take(&key) {
            if link.revive(&known, target.timeout).await.is_ok() {
                let ssh = Ssh::over(&target, link, self.cancel.clone(), Some(back));
                return Ok(Connection::Ssh(Box::new(ssh)));
            }
        }
        let _permit = self.handshake().await;
        let link = Link::connect(&target, known, &self.cancel).await?;
        let back = pool.lend(key);
        Ok(Connection::Ssh(Box::new(Ssh::over(
            &target,
            link,
            self.cancel.clone(),
            Some(back),
        ))))
    }

    pub(super) async fn handshake(&self) -> tokio::sync::SemaphorePermit<'_> {
        self.handshakes
            .acquire()
            .await
            .expect("the semaphore is never closed")
    }

    fn target(
        &self,
        host: &str,
        vars: &IndexMap<String, Value>,
        cfg: &HostConfig,
    ) -> Result<Target, ConnectionError> {
        self.target_at(host, vars, cfg, 0)
    }

    /// `target`, `depth` jumps away from the host a task runs on.
    fn target_at(
        &self,
        host: &str,
        vars: &IndexMap<String, Value>,
        cfg: &HostConfig,
        depth: usize,
    ) -> Result<Target, ConnectionError> {
        let jump = match jump_spec(vars).or_else(|| cfg.proxy_jump.clone()) {
            Some(spec) if depth >= 4 => {
                return Err(unreachable(
                    host,
                    format!("more than 4 jump hosts (the last: `{spec}`); is there a loop?"),
                ));
            }
            Some(spec) => Some(Box::new(self.jump_target(host, &spec, depth)?)),
            None => None,
        };
        let port = match var(vars, &["eov_port", "ansible_port"]) {
            Some(p) => p
                .parse()
                .map_err(|_| unreachable(host, format!("`{p}` is not a port")))?,
            None => cfg.port.unwrap_or(22),
        };
        let home = &self.options.env.home;
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
                .map(|f| home.join(".ssh").join(f))
                .collect();
        }
        Ok(Target {
            host: host.to_string(),
            address: var(vars, &["eov_host", "ansible_host"])
                .or_else(|| cfg.host_name.clone())
                .unwrap_or_else(|| host.to_string()),
            port,
            user: var(vars, &["eov_user", "ansible_user"])
                .or_else(|| self.options.user.clone())
                .or_else(|| cfg.user.clone())
                .unwrap_or_else(|| self.options.env.user.clone()),
            identity_files,
            accept_new: self.options.accept_new
                || var(vars, &["eov_host_key_checking"]).as_deref() == Some("accept-new"),
            timeout: self.options.timeout,
            retries: self.options.retries,
            agent: self.options.env.agent.clone(),
            keys: self.keys.clone(),
            session: self.options.session,
            jump,
        })
    }

    /// The jump host of `host` from a ProxyJump spec (`[user@]name[:port]`, the last of a
    /// comma-separated chain first reached through the others). An inventory host of that
    /// name is reached as the inventory says; any other name as `~/.ssh/config` says.
    fn jump_target(&self, host: &str, spec: &str, depth: usize) -> Result<Target, ConnectionError> {
        let hops: Vec<&str> = spec
            .split(',')
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .collect();
        let Some((last, before)) = hops.split_last() else {
            return Err(unreachable(host, format!("`{spec}` is not a jump host")));
        };
        let (user, rest) = match last.rsplit_once('@') {
            Some((u, r)) => (Some(u.to_string()), r),
            None => (None, *last),
        };
        let (name, port) = match rest.rsplit_once(':') {
            Some((n, p)) if !n.contains(':') => (
                n,
                Some(p.parse::<u16>().map_err(|_| {
                    unreachable(host, format!("jump host `{last}`: `{p}` is not a port"))
                })?),
            ),
            _ => (rest, None),
        };
        let mut vars = if self.inventory.hosts.contains_key(name) {
            self.inventory.host_vars(name)
        } else {
            IndexMap::new()
        };
        // The chain before it: how the jump host itself is reached.
        vars.shift_remove("eov_proxy_jump");
        if !before.is_empty() {
            vars.insert("eov_proxy_jump".into(), Value::from(before.join(",")));
        }
        if let Some(u) = user {
            vars.insert("eov_user".into(), Value::from(u));
        }
        if let Some(p) = port {
            vars.insert("eov_port".into(), Value::from(p));
        }
        let cfg = config::resolve(&self.ssh_config, name, &self.options.env.home);
        let cfg = HostConfig {
            proxy_jump: if before.is_empty() {
                None
            } else {
                cfg.proxy_jump.clone()
            },
            ..cfg
        };
        self.target_at(name, &vars, &cfg, depth + 1)
    }

    fn known_hosts_for(
        &self,
        host: &str,
        vars: &IndexMap<String, Value>,
        cfg: &HostConfig,
    ) -> Result<Arc<KnownHosts>, ConnectionError> {
        let path = var(vars, &["eov_known_hosts"])
            .map(PathBuf::from)
            .or_else(|| self.options.known_hosts.clone())
            .or_else(|| cfg.known_hosts.clone())
            .unwrap_or_else(|| self.options.env.home.join(".ssh/known_hosts"));
        let mut cache = self
            .known_hosts
            .lock()
            .expect("known_hosts cache lock is never poisoned");
        if let Some(k) = cache.get(&path) {
            return Ok(k.clone());
        }
        let k = Arc::new(
            KnownHosts::load(&path)
                .map_err(|e| unreachable(host, format!("cannot read {}: {e}", path.display())))?,
        );
        cache.insert(path, k.clone());
        Ok(k)
    }
}
