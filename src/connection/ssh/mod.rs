//! The SSH connection (russh): one connection per host for the whole run, a channel per
//! command, host keys always verified against known_hosts.
//!
//! Split in two so that a connection can outlive a run ([`super::pool`]): a [`Link`] is the
//! authenticated connection itself (the russh handle, the remote shell, the jump host), and
//! an [`Ssh`] is one run's use of a link, with that run's [`Cancel`]. A link is used by one run
//! at a time (the pool lends it out exclusively), so one run's cancel can only ever signal its
//! own commands.

pub mod config;
mod keys;
pub mod known_hosts;
mod reuse;
mod session;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use russh::client::{self, Handle};
use russh::keys::{PrivateKeyWithHashAlg, PublicKey, PublicKeyBase64 as _};
use russh::{ChannelMsg, Sig};
use tokio::io::AsyncWriteExt;
use tokio::sync::Semaphore;

use super::{Cancel, ConnectionError, ExecOutput};
pub use keys::KeyCache;
use known_hosts::{KnownHosts, Verdict, fingerprint};
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

/// Decides on the server's host key during the handshake.
struct Client {
    address: String,
    port: u16,
    known: Arc<KnownHosts>,
    accept_new: bool,
    problem: Arc<Mutex<Option<String>>>,
    /// The key the server was accepted with: a pooled link is checked again against the
    /// known_hosts of each run that reuses it.
    accepted: Arc<Mutex<Option<PublicKey>>>,
}

impl Client {
    fn accept(&self, key: &PublicKey) -> Result<bool, russh::Error> {
        *self
            .accepted
            .lock()
            .expect("accepted lock is never poisoned") = Some(key.clone());
        Ok(true)
    }

    fn refuse(&self, why: String) -> Result<bool, russh::Error> {
        *self.problem.lock().expect("problem lock is never poisoned") = Some(why);
        Ok(false)
    }
}

impl client::Handler for Client {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        server: &russh::keys::PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        let russh::keys::PublicKeyOrCertificate::PublicKey { key, .. } = server else {
            return self.refuse("the server offered a host certificate; certificates are not supported, list its key in known_hosts".into());
        };
        let file = self.known.path().display().to_string();
        match self.known.check(&self.address, self.port, key) {
            Verdict::Trusted => self.accept(key),
            Verdict::Unknown if self.accept_new => match self.known.learn(&self.address, self.port, key) {
                Ok(()) => self.accept(key),
                Err(e) => self.refuse(format!("cannot record its host key in {file}: {e}")),
            },
            Verdict::Unknown => self.refuse(format!(
                "host key {} {} is not in {file} (accept it with --accept-new-host-keys, or add it to the file)",
                key.algorithm(),
                fingerprint(key)
            )),
            Verdict::Changed { line, known } => self.refuse(format!(
                "HOST KEY CHANGED: {file}:{line} has {known}, the server offered {} {}; refusing to connect (if the change is expected, remove line {line})",
                key.algorithm(),
                fingerprint(key)
            )),
            Verdict::Revoked { line } => self.refuse(format!("its host key {} is revoked ({file}:{line})", fingerprint(key))),
        }
    }
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
    give_back: Option<super::pool::Return>,
}

impl Drop for Ssh {
    fn drop(&mut self) {
        if let (Some(link), Some(back)) = (self.link.take(), self.give_back.take()) {
            back.give(link);
        }
    }
}

pub fn signal_name(sig: i32) -> &'static str {
    match sig {
        1 => "HUP",
        2 => "INT",
        3 => "QUIT",
        6 => "ABRT",
        9 => "KILL",
        13 => "PIPE",
        15 => "TERM",
        _ => "UNKNOWN",
    }
}

fn sig_text(sig: &Sig) -> String {
    match sig {
        Sig::Custom(s) => s.clone(),
        other => format!("{other:?}"),
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
            give_back,
        }
    }

    fn link(&self) -> &Link {
        self.link.as_ref().expect("the link is taken only on drop")
    }
}

impl Link {
    /// Connects and authenticates, retrying a refused or timed-out connection a few times.
    pub(crate) async fn connect(
        target: &Target,
        known: Arc<KnownHosts>,
        cancel: &Cancel,
    ) -> Result<Link, ConnectionError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match Self::connect_once(target, known.clone(), cancel).await {
                Ok(link) => return Ok(link),
                Err((_, retry)) if retry && attempt <= target.retries && !cancel.is_cancelled() => {
                    tokio::time::sleep(Duration::from_millis(300 * u64::from(attempt))).await;
                }
                Err((reason, _)) => {
                    return Err(ConnectionError::Unreachable {
                        host: target.host.clone(),
                        reason,
                    });
                }
            }
        }
    }

    /// One attempt; on failure the reason and whether retrying may help.
    async fn connect_once(
        t: &Target,
        known: Arc<KnownHosts>,
        cancel: &Cancel,
    ) -> Result<Link, (String, bool)> {
        let config = Arc::new(client::Config {
            nodelay: true,
            keepalive_interval: Some(Duration::from_secs(15)),
            keepalive_max: 3,
            inactivity_timeout: None,
            ..Default::default()
        });
        let problem = Arc::new(Mutex::new(None));
        let accepted = Arc::new(Mutex::new(None));
        let handler = Client {
            address: t.address.clone(),
            port: t.port,
            known: known.clone(),
            accept_new: t.accept_new,
            problem: problem.clone(),
            accepted: accepted.clone(),
        };
        let addr = (t.address.as_str(), t.port);
        let jump = match &t.jump {
            // Boxed: the jump host may itself be reached through another.
            Some(j) => Some(Box::new(
                Box::pin(Self::connect(j, known.clone(), cancel))
                    .await
                    .map_err(|e| (format!("through the jump host: {e}"), false))?,
            )),
            None => None,
        };
        let handshake = async {
            let refused = |e: russh::Error| {
                let refused = problem
                    .lock()
                    .expect("problem lock is never poisoned")
                    .take();
                match refused {
                    Some(why) => (why, false),
                    None => (
                        format!("SSH handshake with {}:{} failed: {e}", t.address, t.port),
                        true,
                    ),
                }
            };
            if let Some(jump) = &jump {
                let channel = jump
                    .handle
                    .channel_open_direct_tcpip(
                        t.address.as_str(),
                        u32::from(t.port),
                        "127.0.0.1",
                        0,
                    )
                    .await
                    .map_err(|e| {
                        (
                            format!(
                                "the jump host {} cannot open a connection to {}:{}: {e}",
                                jump.host, t.address, t.port
                            ),
                            true,
                        )
                    })?;
                return client::connect_stream(config, channel.into_stream(), handler)
                    .await
                    .map_err(refused);
            }
            let stream = tokio::net::TcpStream::connect(addr).await.map_err(|e| {
                (
                    format!("cannot connect to {}:{}: {e}", t.address, t.port),
                    true,
                )
            })?;
            let _ = stream.set_nodelay(true);
            client::connect_stream(config, stream, handler)
                .await
                .map_err(refused)
        };
        let mut handle = match tokio::time::timeout(t.timeout, handshake).await {
            Ok(r) => r?,
            Err(_) => {
                return Err((
                    format!(
                        "no SSH answer from {}:{} within {}s",
                        t.address,
                        t.port,
                        t.timeout.as_secs()
                    ),
                    true,
                ));
            }
        };
        let auth = tokio::time::timeout(t.timeout, authenticate(&mut handle, t)).await;
        match auth {
            Ok(Ok(())) => {}
            Ok(Err(why)) => return Err((why, false)),
            Err(_) => return Err((format!("authentication as `{}` timed out", t.user), true)),
        }
        let Some(host_key) = accepted
            .lock()
            .expect("accepted lock is never poisoned")
            .take()
        else {
            return Err(("the handshake ended without a host key".into(), false));
        };
        let shell = if t.session {
            session::Session::open(&handle).await
        } else {
            session::Session::closed()
        };
        Ok(Link {
            host: t.host.clone(),
            address: t.address.clone(),
            port: t.port,
            handle,
            sessions: Semaphore::new(SESSIONS),
            host_key,
            session: t.session,
            shell,
            jump,
        })
    }
}

impl Ssh {
    /// Runs a command line on a new channel; stdin is streamed while output is read. If the
    /// run is interrupted meanwhile, the command's process group is stopped with the command
    /// line `stop` gives for it (closing the channel alone leaves it running).
    pub async fn exec(
        &self,
        line: &str,
        stdin: Option<&[u8]>,
        stop: &(dyn Fn(u32) -> (String, Option<Vec<u8>>) + Sync),
    ) -> Result<ExecOutput, ConnectionError> {
        if self.cancel.is_cancelled() {
            return Err(ConnectionError::Interrupted);
        }
        // The shell that runs the line leads its process group (sshd makes it a session
        // leader; the long-lived shell's commands run in its group): it says which, first.
        let line = format!("{{ printf '{GROUP_MARK}%s\\n' $$ >&2; {line}\n}}");
        let line = line.as_str();
        let link = self.link();
        match link.shell.run(line, stdin, &self.cancel).await {
            session::Ran::Done(mut out) => {
                take_group(&mut out.stderr);
                return Ok(out);
            }
            session::Ran::Interrupted(group) => {
                if let Some(group) = group {
                    self.stop_group(stop(group)).await;
                }
                return Err(ConnectionError::Interrupted);
            }
            session::Ran::Lost(_) if self.cancel.is_cancelled() => {
                return Err(ConnectionError::Interrupted);
            }
            // Never run it again on a channel: it may have partly run.
            session::Ran::Lost(reason) => {
                return Err(ConnectionError::Unreachable {
                    host: self.host.clone(),
                    reason: format!("connection lost: {reason}"),
                });
            }
            session::Ran::Declined => {}
        }
        let lost = |e: russh::Error| ConnectionError::Unreachable {
            host: self.host.clone(),
            reason: format!("connection lost: {e}"),
        };
        let _permit = link
            .sessions
            .acquire()
            .await
            .expect("the semaphore is never closed");
        let channel = link.handle.channel_open_session().await.map_err(lost)?;
        channel.exec(true, line).await.map_err(lost)?;
        let (mut read, write) = channel.split();
        match stdin {
            Some(input) => {
                let mut w = write.make_writer();
                let input = input.to_vec();
                tokio::spawn(async move {
                    let _ = w.write_all(&input).await;
                    let _ = w.shutdown().await;
                });
            }
            None => write.eof().await.map_err(lost)?,
        }
        let mut out = ExecOutput::default();
        let mut closed_cleanly = false;
        loop {
            let msg = tokio::select! {
                m = read.wait() => m,
                () = self.cancel.cancelled() => {
                    let _ = write.signal(Sig::INT).await;
                    let _ = write.close().await;
                    if let Some(group) = peek_group(&out.stderr) {
                        self.stop_group(stop(group)).await;
                    }
                    return Err(ConnectionError::Interrupted);
                }
            };
            match msg {
                Some(ChannelMsg::Data { data }) => out.stdout.extend_from_slice(&data),
                Some(ChannelMsg::ExtendedData { data, ext: 1 }) => {
                    out.stderr.extend_from_slice(&data)
                }
                Some(ChannelMsg::ExitStatus { exit_status }) => {
                    out.status = Some(i32::try_from(exit_status).unwrap_or(-1));
                    closed_cleanly = true;
                }
                Some(ChannelMsg::ExitSignal { signal_name, .. }) => {
                    out.signal = Some(sig_text(&signal_name));
                    closed_cleanly = true;
                }
                Some(_) => {}
                None => break,
            }
        }
        take_group(&mut out.stderr);
        if !closed_cleanly && link.handle.is_closed() {
            return Err(ConnectionError::Unreachable {
                host: self.host.clone(),
                reason: "connection lost while a command ran".into(),
            });
        }
        Ok(out)
    }
}

impl Ssh {
    /// Runs a stop command on a channel of its own, for at most a few seconds.
    async fn stop_group(&self, (line, input): (String, Option<Vec<u8>>)) {
        let stopping = async {
            let channel = self.link().handle.channel_open_session().await.ok()?;
            channel.exec(true, line).await.ok()?;
            let (mut read, write) = channel.split();
            if let Some(input) = input {
                let mut w = write.make_writer();
                let _ = w.write_all(&input).await;
                let _ = w.shutdown().await;
            } else {
                let _ = write.eof().await;
            }
            while read.wait().await.is_some() {}
            Some(())
        };
        let _ = tokio::time::timeout(Duration::from_secs(5), stopping).await;
    }
}

/// What a command line writes first on stderr: the process group it runs in.
const GROUP_MARK: &str = "EOVPG ";

/// The process group announced at the start of `stderr`, if it is there yet.
fn peek_group(stderr: &[u8]) -> Option<u32> {
    let rest = stderr.strip_prefix(GROUP_MARK.as_bytes())?;
    let end = rest.iter().position(|b| *b == b'\n')?;
    std::str::from_utf8(&rest[..end]).ok()?.parse().ok()
}

/// Removes the announcement of the process group from `stderr`.
fn take_group(stderr: &mut Vec<u8>) -> Option<u32> {
    let group = peek_group(stderr)?;
    let len = GROUP_MARK.len() + group.to_string().len() + 1;
    stderr.drain(..len);
    Some(group)
}

/// ssh-agent keys first, then key files; the first the server accepts wins.
async fn authenticate(handle: &mut Handle<Client>, t: &Target) -> Result<(), String> {
    let mut tried = Vec::new();
    if let Some(sock) = &t.agent
        && let Ok(mut agent) = russh::keys::agent::client::AgentClient::connect_uds(sock).await
    {
        let identities = agent.request_identities().await.unwrap_or_default();
        for id in identities {
            let russh::keys::agent::AgentIdentity::PublicKey { key, .. } = id else {
                continue;
            };
            let hash = rsa_hash(handle, &key).await;
            if let Ok(r) = handle
                .authenticate_publickey_with(&t.user, key.clone(), hash, &mut agent)
                .await
                && r.success()
            {
                return Ok(());
            }
            tried.push(format!("agent key {}", fingerprint(&key)));
        }
    }
    for path in &t.identity_files {
        if !path.exists() {
            continue;
        }
        let key = match t.keys.load(path).await {
            Ok(k) => k,
            Err(e) => {
                tried.push(format!("{} (unreadable: {e})", path.display()));
                continue;
            }
        };
        let hash = rsa_hash(handle, key.public_key()).await;
        let result = handle
            .authenticate_publickey(&t.user, PrivateKeyWithHashAlg::new(key, hash))
            .await
            .map_err(|e| format!("authentication failed: {e}"))?;
        if result.success() {
            return Ok(());
        }
        tried.push(path.display().to_string());
    }
    Err(if tried.is_empty() {
        format!(
            "no key to authenticate as `{}` (no ssh-agent key, no key file found; set eov_private_key_file)",
            t.user
        )
    } else {
        format!(
            "the server refused every key for `{}`: {}",
            t.user,
            tried.join(", ")
        )
    })
}

async fn rsa_hash(handle: &Handle<Client>, key: &PublicKey) -> Option<russh::keys::HashAlg> {
    if key.algorithm().is_rsa() {
        handle
            .best_supported_rsa_hash()
            .await
            .ok()
            .flatten()
            .flatten()
    } else {
        None
    }
}

/// The public key's OpenSSH text, for messages and for the lab's known_hosts.
pub fn openssh_text(key: &PublicKey) -> String {
    format!("{} {}", key.algorithm(), key.public_key_base64())
}
