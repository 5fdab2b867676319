//! SSH connections kept open between runs (`eov serve`): a run takes an idle connection made
//! with exactly its settings for the host, or makes one; when the run ends, the connection
//! comes back here for the next run. `eov run` has no pool: its connections close with it.
//!
//! - **Keys**: everything that decides how a host is reached and trusted (address, port,
//!   user, key files and their size and mtime, agent, jump chain, known_hosts file,
//!   accept-new), so a changed inventory or key file never reuses a connection made under
//!   other settings. The host key the connection was accepted with is checked again against
//!   the known_hosts of each run that reuses it ([`Link::revive`]).
//! - **Exclusive**: a connection is lent to one run at a time (two runs on one host get two
//!   connections), so the cancel of one run can never signal another run's commands, even if
//!   runs overlap (the server runs jobs one at a time today; nothing here relies on it).
//! - **Liveness**: before reuse, a fresh remote shell is started on it within the run's
//!   timeout; a closed, silent or no longer trusted connection is dropped and a new one made
//!   (verified again against known_hosts), so a node that rebooted is not reported unreachable.
//! - **Reboots**: a run whose task reboots a host (the `reboot` module) closes its connection
//!   to it instead of giving it back, and closes the idle ones under the same key; the
//!   connection made after the reboot is lent under that key and comes back as usual.
//! - **Bounds**: idle connections close after `idle` (checked by a background task and on
//!   every take), at most `max_idle` are kept (the least recently used goes first), and
//!   [`ConnectionPool::close`] closes them all (server shutdown).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant, SystemTime};

use super::ssh::{Link, Target};

/// How a host is reached and trusted: connections are reused only under an equal key.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PoolKey {
    address: String,
    port: u16,
    user: String,
    /// Each key file with its size and modification time (none: missing).
    identity_files: Vec<(PathBuf, Option<(u64, SystemTime)>)>,
    agent: Option<PathBuf>,
    accept_new: bool,
    session: bool,
    known_hosts: PathBuf,
    jump: Option<Box<PoolKey>>,
}

impl PoolKey {
    /// The key of `target` checked against the known_hosts file `known_hosts`; reads the
    /// metadata of its key files (a replaced key file gives another key).
    pub fn new(target: &Target, known_hosts: &Path) -> PoolKey {
        PoolKey {
            address: target.address.clone(),
            port: target.port,
            user: target.user.clone(),
            identity_files: target
                .identity_files
                .iter()
                .map(|p| {
                    let stamp = std::fs::metadata(p)
                        .ok()
                        .and_then(|m| Some((m.len(), m.modified().ok()?)));
                    (p.clone(), stamp)
                })
                .collect(),
            agent: target.agent.clone(),
            accept_new: target.accept_new,
            session: target.session,
            known_hosts: known_hosts.to_path_buf(),
            jump: target
                .jump
                .as_ref()
                .map(|j| Box::new(PoolKey::new(j, known_hosts))),
        }
    }
}

/// Limits of a pool.
#[derive(Clone, Copy, Debug)]
pub struct PoolSettings {
    /// An idle connection is closed after this long.
    pub idle: Duration,
    /// Idle connections kept at most.
    pub max_idle: usize,
}

impl Default for PoolSettings {
    fn default() -> Self {
        PoolSettings {
            idle: Duration::from_secs(600),
            max_idle: 256,
        }
    }
}

/// Idle connections, shared by the runs given a clone of it.
#[derive(Clone)]
pub struct ConnectionPool {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for ConnectionPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionPool")
            .field("settings", &self.inner.settings)
            .field("idle", &self.idle())
            .finish()
    }
}

struct Inner {
    settings: PoolSettings,
    state: Mutex<State<Link>>,
}

struct State<T> {
    /// Oldest returned first.
    idle: Vec<Idle<T>>,
    closed: bool,
}

impl<T> Default for State<T> {
    fn default() -> Self {
        State {
            idle: Vec::new(),
            closed: false,
        }
    }
}

struct Idle<T> {
    key: PoolKey,
    since: Instant,
    item: T,
}

/// Where a lent connection goes back when its run drops it.
pub(crate) struct Return {
    pool: Weak<Inner>,
    key: PoolKey,
}

impl Return {
    pub(crate) fn give(self, link: Link) {
        // A pool that is gone (the server stopped): the link is dropped, which closes it.
        if let Some(inner) = self.pool.upgrade() {
            inner.put(self.key, link, Instant::now());
        }
    }
}

impl ConnectionPool {
    /// An empty pool; inside a tokio runtime, a task closes idle connections on time (else
    /// they are closed when the next take finds them expired).
    pub fn new(settings: PoolSettings) -> ConnectionPool {
        let inner = Arc::new(Inner {
            settings,
            state: Mutex::new(State::default()),
        });
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let weak = Arc::downgrade(&inner);
            let period =
                (settings.idle / 4).clamp(Duration::from_millis(100), Duration::from_secs(30));
            runtime.spawn(async move {
                loop {
                    tokio::time::sleep(period).await;
                    let Some(inner) = weak.upgrade() else { break };
                    let expired = inner.lock().expire(Instant::now(), inner.settings.idle);
                    // Dropped outside the lock: closing may take a moment.
                    drop(expired);
                }
            });
        }
        ConnectionPool { inner }
    }

    /// The most recently returned idle connection under `key`, now lent to the caller.
    pub(crate) fn take(&self, key: &PoolKey) -> Option<(Link, Return)> {
        let (link, expired) = {
            let mut state = self.inner.lock();
            let expired = state.expire(Instant::now(), self.inner.settings.idle);
            (state.take(key), expired)
        };
        drop(expired);
        Some((link?, self.lend(key.clone())))
    }

    /// The way back to this pool for a connection made under `key`.
    pub(crate) fn lend(&self, key: PoolKey) -> Return {
        Return {
            pool: Arc::downgrade(&self.inner),
            key,
        }
    }

    /// Closes the idle connections made under `key`: the host they reach is going away (a
    /// reboot), so none of them will answer again.
    pub(crate) fn forget(&self, key: &PoolKey) {
        let gone = self.inner.lock().remove(key);
        // Dropped outside the lock: closing may take a moment.
        drop(gone);
    }

    /// Idle connections now.
    pub fn idle(&self) -> usize {
        self.inner.lock().idle.len()
    }

    /// Closes every idle connection and keeps none from now on (those lent out close when
    /// their runs end).
    pub async fn close(&self) {
        let idle = {
            let mut state = self.inner.lock();
            state.closed = true;
            std::mem::take(&mut state.idle)
        };
        for i in &idle {
            i.item.disconnect().await;
        }
    }
}

impl Inner {
    fn lock(&self) -> std::sync::MutexGuard<'_, State<Link>> {
        self.state.lock().expect("pool lock is never poisoned")
    }

    fn put(&self, key: PoolKey, link: Link, now: Instant) {
        if link.is_closed() {
            return;
        }
        let evicted = self.lock().put(key, link, now, self.settings.max_idle);
        drop(evicted);
    }
}

impl<T> Idle<T> {
    fn expired(&self, now: Instant, idle: Duration) -> bool {
        now.saturating_duration_since(self.since) >= idle
    }
}

impl<T> State<T> {
    /// The most recently returned item under `key`: the one most likely still alive.
    fn take(&mut self, key: &PoolKey) -> Option<T> {
        let at = self.idle.iter().rposition(|i| &i.key == key)?;
        Some(self.idle.remove(at).item)
    }

    /// Removes every item under `key`; they are returned to be dropped.
    fn remove(&mut self, key: &PoolKey) -> Vec<T> {
        let (gone, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut self.idle)
            .into_iter()
            .partition(|i| &i.key == key);
        self.idle = kept;
        gone.into_iter().map(|i| i.item).collect()
    }

    /// Keeps `item` unless the pool is closed; the items it had to let go (the least recently
    /// returned first, beyond `max`).
    fn put(&mut self, key: PoolKey, item: T, now: Instant, max: usize) -> Vec<T> {
        if self.closed || max == 0 {
            return vec![item];
        }
        self.idle.push(Idle {
            key,
            since: now,
            item,
        });
        let over = self.idle.len().saturating_sub(max);
        self.idle.drain(..over).map(|i| i.item).collect()
    }

    /// Removes the items idle for `idle` or longer; they are returned to be dropped.
    fn expire(&mut self, now: Instant, idle: Duration) -> Vec<T> {
        let (gone, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut self.idle)
            .into_iter()
            .partition(|i| i.expired(now, idle));
        self.idle = kept;
        gone.into_iter().map(|i| i.item).collect()
    }
}

#[cfg(test)]
mod tests;
