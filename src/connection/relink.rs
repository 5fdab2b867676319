//! A host's connection given up and made again while the run goes on: what the `reboot`
//! module needs. The run's [`Connections`] hold one connection per host; a [`Relink`] lets
//! the task running on a host close that connection (the host is going away), try new ones
//! until one reaches the host as it is after the reboot, and make that one the host's
//! connection for the rest of the run. Every new connection is checked against the same
//! known_hosts as the first (a host key changed by the reboot is refused), and is never
//! taken from a pool.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::OnceCell;

use super::factory::Route;
use super::pool::{PoolKey, Return};
use super::ssh::{FailureKind, Link, Ssh};
use super::{Connection, ConnectionError, Connections};

/// A task's say over its host's connection, beyond running commands on it. The executor
/// hands one to each task, for the host the task runs on (after `delegate_to`).
#[derive(Clone, Copy)]
pub struct Relink<'a> {
    connections: &'a Connections,
    host: &'a str,
}

/// A new connection to the host, not yet the host's: check that it reaches what was wanted
/// (the host after its reboot), then [`Relink::adopt`] it; dropped instead, it is closed
/// (never given to a pool).
pub struct Candidate {
    conn: Connection,
    /// Where the link goes when the run ends, once adopted (`eov serve`'s pool).
    back: Option<Return>,
    /// The timeout it was made within.
    timeout: Duration,
}

impl Candidate {
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// The timeout the connection was made within: how long a quick question to the host
    /// (its boot marker) may take before the host counts as not answering (a host going down
    /// may keep a connection open without a word until keepalives give up).
    pub fn timeout(&self) -> Duration {
        self.timeout
    }
}

/// Why [`Relink::try_connect`] gave no connection.
#[derive(Clone, Debug)]
pub enum Reopen {
    /// Not back yet: no answer, refused, reset, timed out, or our keys refused (a booting
    /// host may turn logins away until it is up). Trying again later may help.
    NotYet(String),
    /// Trying again will not help: the host key is not trusted (changed, revoked, unknown),
    /// or the inventory says nothing usable about the host.
    Refused(ConnectionError),
}

impl Connections {
    /// The connection of `host` as a task may change it.
    pub fn relink<'a>(&'a self, host: &'a str) -> Relink<'a> {
        Relink {
            connections: self,
            host,
        }
    }
}

impl Relink<'_> {
    pub fn host(&self) -> &str {
        self.host
    }

    /// The host is going away: its connection is closed now (a command still running on it
    /// fails as a lost connection), it is not given back to a pool, and the pool's idle
    /// connections to the host are closed too. Until [`Relink::adopt`], the host's next
    /// connection is opened as the first one was.
    pub async fn retire(&self) {
        let slot = self
            .connections
            .open
            .lock()
            .expect("connections lock is never poisoned")
            .remove(self.host);
        if let Some(Ok(conn)) = slot.as_ref().and_then(|s| s.get()) {
            conn.retire().await;
        }
        if let Some(pool) = &self.connections.options.pool
            && let Ok(Route::Ssh { target, known }) = self.connections.route(self.host)
        {
            pool.forget(&PoolKey::new(&target, known.path()));
        }
    }

    /// One attempt at a new connection to the host, with `timeout` for the handshake and
    /// again for authentication (the run's SSH timeout if `None`), and no retry: the caller
    /// polls. The host key is checked against the host's known_hosts as the first time.
    pub async fn try_connect(&self, timeout: Option<Duration>) -> Result<Candidate, Reopen> {
        let c = self.connections;
        let (mut target, known) = match c.route(self.host).map_err(Reopen::Refused)? {
            Route::Local => {
                return Ok(Candidate {
                    conn: c.local(self.host),
                    back: None,
                    timeout: timeout.unwrap_or(c.options.timeout),
                });
            }
            Route::Ssh { target, known } => (target, known),
        };
        if let Some(t) = timeout {
            target.timeout = t;
        }
        let attempt = {
            let _permit = c.handshake().await;
            Link::attempt(&target, known.clone(), &c.cancel).await
        };
        match attempt {
            Ok(link) => Ok(Candidate {
                timeout: target.timeout,
                back: c
                    .options
                    .pool
                    .as_ref()
                    .map(|p| p.lend(PoolKey::new(&target, known.path()))),
                conn: Connection::Ssh(Box::new(Ssh::over(&target, link, c.cancel.clone(), None))),
            }),
            Err(f) if f.kind == FailureKind::Untrusted => {
                Err(Reopen::Refused(ConnectionError::Unreachable {
                    host: self.host.to_string(),
                    reason: f.reason,
                }))
            }
            Err(f) => Err(Reopen::NotYet(f.reason)),
        }
    }

    /// `candidate` becomes the host's connection for the rest of the run: every later task
    /// on the host (and its read-ahead) runs on it. It goes back to the pool, if the run has
    /// one, when the run ends.
    pub fn adopt(&self, candidate: Candidate) -> Arc<Connection> {
        let Candidate { mut conn, back, .. } = candidate;
        if let (Connection::Ssh(ssh), Some(back)) = (&mut conn, back) {
            ssh.lend_to(back);
        }
        let conn = Arc::new(conn);
        self.connections
            .open
            .lock()
            .expect("connections lock is never poisoned")
            .insert(
                self.host.to_string(),
                Arc::new(OnceCell::new_with(Some(Ok(conn.clone())))),
            );
        conn
    }

    /// Resolves when the run is cancelled (Ctrl-C): a task that waits stops waiting.
    pub async fn cancelled(&self) {
        self.connections.cancel.cancelled().await;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::connection::{Cancel, SshOptions};
    use crate::inventory::Inventory;

    fn connections(text: &str) -> Connections {
        let inv = Inventory::parse("hosts", &format!("[all_hosts]\n{text}")).expect("an inventory");
        Connections::new(Arc::new(inv), SshOptions::default(), Cancel::default())
    }

    #[tokio::test]
    async fn a_retired_connection_is_replaced_by_the_adopted_one() {
        let c = connections("h1 eov_connection=local\n");
        let first = c.get("h1").await.unwrap();
        let relink = c.relink("h1");
        relink.retire().await;
        // Until a candidate is adopted, the host's next connection is opened anew.
        let between = c.get("h1").await.unwrap();
        assert!(!Arc::ptr_eq(&first, &between));
        relink.retire().await;
        let candidate = relink.try_connect(None).await.unwrap();
        assert_eq!(candidate.connection().host(), "h1");
        let adopted = relink.adopt(candidate);
        assert!(Arc::ptr_eq(&adopted, &c.get("h1").await.unwrap()));
        let out = adopted.exec("echo back", None, None).await.unwrap();
        assert_eq!(out.stdout_text(), "back\n");
    }

    #[tokio::test]
    async fn a_host_that_cannot_be_reached_is_not_yet_back_and_a_bad_setting_is_refused() {
        // Port 1 on the loopback: nothing listens, the connection is refused at once.
        let c = connections(
            "down eov_host=127.0.0.1 eov_port=1\nbad eov_connection=telnet\nwrong eov_port=x\n",
        );
        match c.relink("down").try_connect(None).await {
            Err(Reopen::NotYet(why)) => assert!(why.contains("127.0.0.1:1"), "{why}"),
            other => panic!("{:?}", other.map(|_| ())),
        }
        for host in ["bad", "wrong"] {
            assert!(matches!(
                c.relink(host).try_connect(None).await,
                Err(Reopen::Refused(_))
            ));
        }
    }
}
