//! The SSH connection (russh): one connection per host for the whole run, a channel per
//! command, host keys always verified against known_hosts.
//!
//! Split in two so that a connection can outlive a run ([`super::pool`]): a [`Link`] is the
//! authenticated connection itself (the russh handle, the remote shell, the jump host), and
//! an [`Ssh`] is one run's use of a link, with that run's [`Cancel`]. A link is used by one run
//! at a time (the pool lends it out exclusively), so one run's cancel can only ever signal its
//! own commands.

pub mod config;
mod exec;
mod keys;
pub mod known_hosts;
mod link;
mod reuse;
mod session;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use russh::client::Handle;
use russh::keys::{PublicKey, PublicKeyBase64 as _};
use tokio::sync::Semaphore;

use super::{Cancel, ConnectionError};
pub use exec::signal_name;
pub use keys::KeyCache;
use known_hosts::KnownHosts;
use link::Client;
pub(crate) use link::FailureKind;
pub use reuse::Stale;

/// Channels open at once on one connection: below sshd's default MaxSessions (10).
const SESSIONS: usize = 8;

/// Where and how to connect, resolved from the inventory and `~/.ssh/config`.
#[derive(Clone, Debug)]
pub struct Target {
    /// The inventory name (for messages).
    pub host: String,
    /// The address to connect to.
    pub address: String,
    pub port: u16,
    pub user: String,
    /// Key files to try, in order (after the ssh-agent's keys).
    pub identity_files: Vec<PathBuf>,
    pub accept_new: bool,
    pub timeout: Duration,
    pub retries: u32,
    /// The ssh-agent socket, if any (`SSH_AUTH_SOCK`, read by the command line).
    pub agent: Option<PathBuf>,
    /// Key files read for this run, shared by the hosts that use them.
    pub keys: Arc<KeyCache>,
    /// Run commands through one long-lived remote shell (else a channel per command).
    pub session: bool,
    /// Reach it through this host (`ProxyJump`): a TCP forward over an SSH connection to
    /// the jump host, whose own host key is checked against `known` too.
    pub jump: Option<Box<Target>>,
}

/// An authenticated connection to one host, independent of any run.
pub struct Link {
    /// The inventory name it was opened for (for messages).
    host: String,
    address: String,
    port: u16,
    handle: Handle<Client>,
    sessions: Semaphore,
    /// The host key the handshake accepted.
    host_key: PublicKey,
    /// Whether commands go through a long-lived shell (else a channel each).
    session: bool,
    /// The host's long-lived shell: most commands run through it, not on channels of their own.
    shell: session::Session,
    /// The jump host's connection, which carries this one: kept open as long as it is.
    jump: Option<Box<Link>>,
}

/// One run's use of a [`Link`]: commands stop on this run's cancel, and when the run drops
/// it, the link goes back to the pool it came from (if any) instead of being closed.
pub struct Ssh {
    host: String,
    user: String,
    cancel: Cancel,
    /// Always `Some` until dropped.
    link: Option<Link>,
    /// Where the link goes when the run drops it; taken away when the host goes away on
    /// purpose ([`Ssh::retire`]): a link to a host that reboots is never kept.
    give_back: std::sync::Mutex<Option<super::pool::Return>>,
}

impl Drop for Ssh {
    fn drop(&mut self) {
        let back = self
            .give_back
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let (Some(link), Some(back)) = (self.link.take(), back) {
            back.give(link);
        }
    }
}

impl Ssh {
    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn user(&self) -> &str {
        &self.user
    }

    /// Connects and authenticates, retrying a refused or timed-out connection a few times.
    pub async fn connect(
        target: &Target,
        known: Arc<KnownHosts>,
        cancel: Cancel,
    ) -> Result<Ssh, ConnectionError> {
        let link = Link::connect(target, known, &cancel).await?;
        Ok(Ssh::over(target, link, cancel, None))
    }

    /// A run's use of `link` (reached as `target` says); `give_back` takes the link when the
    /// run is done with it.
    pub(crate) fn over(
        target: &Target,
        link: Link,
        cancel: Cancel,
        give_back: Option<super::pool::Return>,
    ) -> Ssh {
        Ssh {
            host: target.host.clone(),
            user: target.user.clone(),
            cancel,
            link: Some(link),
            give_back: std::sync::Mutex::new(give_back),
        }
    }

    /// From now on the link goes back to `pool` when the run drops it.
    pub(crate) fn lend_to(&mut self, back: super::pool::Return) {
        *self
            .give_back
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(back);
    }

    /// The host is going away (a reboot): the connection is closed now, whoever still holds
    /// it (a command on it fails as a lost connection), and never given back to a pool.
    pub(crate) async fn retire(&self) {
        self.give_back
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        let link = self.link();
        // A host that is already gone may never answer the goodbye.
        let _ = tokio::time::timeout(Duration::from_secs(2), link.disconnect()).await;
    }

    fn link(&self) -> &Link {
        self.link.as_ref().expect("the link is taken only on drop")
    }
}

/// The public key's OpenSSH text, for messages and for the lab's known_hosts.
pub fn openssh_text(key: &PublicKey) -> String {
    format!("{} {}", key.algorithm(), key.public_key_base64())
}
