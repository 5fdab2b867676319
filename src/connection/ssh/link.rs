//! Opening a [`Link`]: the TCP connection (or a jump host's forward), the handshake with the
//! host key checked against known_hosts, and authentication.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use russh::client::{self, Handle};
use russh::keys::{PrivateKeyWithHashAlg, PublicKey};
use tokio::sync::Semaphore;

use super::known_hosts::{KnownHosts, Verdict, fingerprint};
use super::{Link, SESSIONS, Target, session};
use crate::connection::{Cancel, ConnectionError};

/// Decides on the server's host key during the handshake.
pub(super) struct Client {
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

/// Why one attempt to connect failed, and whether another may do better.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Failure {
    pub(crate) reason: String,
    pub(crate) kind: FailureKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FailureKind {
    /// No answer, refused, reset, timed out: the host may be down, busy or booting; trying
    /// again soon may help.
    Transient,
    /// The server answered and turned us away (our keys refused, a jump host that failed
    /// after its own retries): trying again at once will not help, though a host that is
    /// still booting may accept later.
    Refused,
    /// The server's host key is not trusted (unknown, changed, revoked, a certificate):
    /// never worth trying again.
    Untrusted,
}

impl Failure {
    fn new(reason: String, kind: FailureKind) -> Self {
        Failure { reason, kind }
    }
}

impl Link {
    /// Connects and authenticates, retrying a refused or timed-out connection a few times.
    pub(crate) async fn connect(
        target: &Target,
        known: Arc<KnownHosts>,
        cancel: &Cancel,
    ) -> Result<Link, ConnectionError> {
        Self::connect_retrying(target, known, cancel)
            .await
            .map_err(|f| ConnectionError::Unreachable {
                host: target.host.clone(),
                reason: f.reason,
            })
    }

    /// [`Link::connect`], with the last attempt's failure as it is.
    async fn connect_retrying(
        target: &Target,
        known: Arc<KnownHosts>,
        cancel: &Cancel,
    ) -> Result<Link, Failure> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match Self::attempt(target, known.clone(), cancel).await {
                Err(f)
                    if f.kind == FailureKind::Transient
                        && attempt <= target.retries
                        && !cancel.is_cancelled() =>
                {
                    tokio::time::sleep(Duration::from_millis(300 * u64::from(attempt))).await;
                }
                done => return done,
            }
        }
    }

    /// One attempt (a jump host on the way is reached with its own retries), within the
    /// target's timeout for the handshake and again for authentication.
    pub(crate) async fn attempt(
        t: &Target,
        known: Arc<KnownHosts>,
        cancel: &Cancel,
    ) -> Result<Link, Failure> {
        use FailureKind::{Refused, Transient, Untrusted};
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
                Box::pin(Self::connect_retrying(j, known.clone(), cancel))
                    .await
                    .map_err(|f| {
                        let e = ConnectionError::Unreachable {
                            host: j.host.clone(),
                            reason: f.reason,
                        };
                        // Retried already: only a refused host key keeps its kind.
                        let kind = if f.kind == Untrusted {
                            Untrusted
                        } else {
                            Refused
                        };
                        Failure::new(format!("through the jump host: {e}"), kind)
                    })?,
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
                    Some(why) => Failure::new(why, Untrusted),
                    None => Failure::new(
                        format!("SSH handshake with {}:{} failed: {e}", t.address, t.port),
                        Transient,
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
                        Failure::new(
                            format!(
                                "the jump host {} cannot open a connection to {}:{}: {e}",
                                jump.host, t.address, t.port
                            ),
                            Transient,
                        )
                    })?;
                return client::connect_stream(config, channel.into_stream(), handler)
                    .await
                    .map_err(refused);
            }
            let stream = tokio::net::TcpStream::connect(addr).await.map_err(|e| {
                Failure::new(
                    format!("cannot connect to {}:{}: {e}", t.address, t.port),
                    Transient,
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
                return Err(Failure::new(
                    format!(
                        "no SSH answer from {}:{} within {}s",
                        t.address,
                        t.port,
                        t.timeout.as_secs()
                    ),
                    Transient,
                ));
            }
        };
        let auth = tokio::time::timeout(t.timeout, authenticate(&mut handle, t)).await;
        match auth {
            Ok(Ok(())) => {}
            Ok(Err(why)) => return Err(Failure::new(why, Refused)),
            Err(_) => {
                return Err(Failure::new(
                    format!("authentication as `{}` timed out", t.user),
                    Transient,
                ));
            }
        }
        let Some(host_key) = accepted
            .lock()
            .expect("accepted lock is never poisoned")
            .take()
        else {
            return Err(Failure::new(
                "the handshake ended without a host key".into(),
                Untrusted,
            ));
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
