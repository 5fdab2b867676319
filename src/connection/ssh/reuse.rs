//! What a pooled [`Link`] needs before another run may use it: it must still be trusted by
//! that run's known_hosts, and still answer, with a fresh remote shell.

use std::time::Duration;

use russh::Disconnect;

use super::Link;
use super::known_hosts::{KnownHosts, Verdict};

/// Why a pooled link was not reused (a new connection is made instead; never a host failure).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Stale {
    #[error("the connection was closed")]
    Closed,
    #[error("known_hosts no longer trusts the key it was made with")]
    Untrusted,
    #[error("no answer within {0:?}")]
    Silent(Duration),
}

impl Link {
    /// Whether the russh session has ended (the peer closed it, or keepalives went unanswered).
    pub(crate) fn is_closed(&self) -> bool {
        self.handle.is_closed() || self.jump.as_ref().is_some_and(|j| j.is_closed())
    }

    /// Whether `known` still trusts every host key of the chain: the file may have changed
    /// since the link was made (a line removed or revoked, the key replaced).
    pub(crate) fn trusted_by(&self, known: &KnownHosts) -> bool {
        matches!(
            known.check(&self.address, self.port, &self.host_key),
            Verdict::Trusted
        ) && self.jump.as_ref().is_none_or(|j| j.trusted_by(known))
    }

    /// Readies the link for a new run: checks it against `known`, then proves the server still
    /// answers within `timeout` by starting a fresh remote shell (with the shell, nothing a
    /// former run did to its session (cwd, variables) can reach this run; without one, a ping).
    pub(crate) async fn revive(&self, known: &KnownHosts, timeout: Duration) -> Result<(), Stale> {
        if self.is_closed() {
            return Err(Stale::Closed);
        }
        if !self.trusted_by(known) {
            return Err(Stale::Untrusted);
        }
        let answered = async {
            if self.session {
                self.shell.restart(&self.handle).await
            } else {
                self.handle.send_ping().await.is_ok()
            }
        };
        match tokio::time::timeout(timeout, answered).await {
            Ok(true) => Ok(()),
            Ok(false) if self.is_closed() => Err(Stale::Closed),
            _ => Err(Stale::Silent(timeout)),
        }
    }

    /// Says goodbye to the server (pool shutdown); dropping the link then closes it.
    pub(crate) async fn disconnect(&self) {
        let _ = self
            .handle
            .disconnect(Disconnect::ByApplication, "eov is done", "en")
            .await;
    }
}
