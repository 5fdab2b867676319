//! `eov serve`: the join service. An HTTPS API (axum on hyper, rustls) that enrols, removes
//! and rejoins compute nodes by running the compute plays in-process through the run API
//! ([`crate::run`]), one job at a time. Its state lives under `STATE_DIR/serve/`: the
//! certificate, the tokens, the nodes and the jobs with their event logs.

mod auth;
mod follow;
mod jobs;
mod nodes;
mod routes;
mod runner;
pub mod tls;
pub mod tokens;
pub mod validate;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tower::ServiceExt as _;

use crate::connection::{Cancel, ConnectionPool, PoolSettings};
use crate::inventory::Sources;
use crate::run::RunOptions;

pub use jobs::{JobKind, JobStatus};

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("TLS: {0}")]
    Tls(String),
    #[error("server state: {0}")]
    State(String),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

impl ServeError {
    pub fn io(path: &Path, source: std::io::Error) -> ServeError {
        ServeError::Io {
            path: path.display().to_string(),
            source,
        }
    }
}

/// Everything `eov serve` is started with.
#[derive(Clone, Debug)]
pub struct ServeConfig {
    pub listen: SocketAddr,
    /// Certificate and key files; none: the generated pair under `serve/`.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Subject names of a generated certificate.
    pub cert_names: Vec<String>,
    /// `STATE_DIR/serve`.
    pub serve_dir: PathBuf,
    /// Where `add_compute.eov`, `remove_compute.eov` and `rejoin_compute.eov` are.
    pub plays_dir: PathBuf,
    pub roles_path: Vec<PathBuf>,
    pub inventory: Sources,
    pub options: RunOptions,
    /// The controller's SSH public key, handed to joining nodes to authorise for root.
    pub controller_key: String,
    /// Failed authentications an address may make in a minute before it gets 429.
    pub max_auth_failures: u32,
    /// SSH connections kept open between jobs (none: each job closes its own).
    pub ssh_pool: Option<PoolSettings>,
}

pub struct AppState {
    pub config: ServeConfig,
    tokens: tokens::TokenStore,
    jobs: jobs::Jobs,
    nodes: nodes::Nodes,
    /// Held by the running job: edits of the cloud state never overlap; other jobs queue.
    cloud_lock: tokio::sync::Mutex<()>,
    limiter: auth::Limiter,
    /// Cancelled on SIGTERM/Ctrl-C: the running job stops, queued ones do not start.
    shutdown: Cancel,
}

/// What a server tells its operator once it listens.
pub struct Started {
    pub addr: SocketAddr,
    pub pin: String,
    pub interrupted: usize,
}

/// Runs the server until SIGTERM or Ctrl-C; `started` is called once it listens.
pub async fn serve(config: ServeConfig, started: impl FnOnce(&Started)) -> Result<(), ServeError> {
    tls::private_dir(&config.serve_dir)?;
    let given = config.tls.as_ref().map(|(c, k)| (c.as_path(), k.as_path()));
    let (cert, key) = tls::ensure(given, &config.serve_dir, &config.cert_names)?;
    let (tls_config, pin) = tls::server_config(&cert, &key)?;
    let (jobs, interrupted) = jobs::Jobs::open(&config.serve_dir)?;
    let nodes = nodes::Nodes::load(&config.serve_dir)?;
    for job in &interrupted {
        nodes.update(&job.node, |n| n.state = nodes::NodeState::Failed, &job.id)?;
    }
    let interrupted = interrupted.len();
    let mut config = config;
    // Jobs reuse the SSH connections of the jobs before them (closed on shutdown).
    let pool = config.ssh_pool.map(ConnectionPool::new);
    config.options.ssh.pool = pool.clone();
    let state = Arc::new(AppState {
        tokens: tokens::TokenStore::new(&config.serve_dir),
        nodes,
        jobs,
        cloud_lock: tokio::sync::Mutex::new(()),
        limiter: auth::Limiter::new(config.max_auth_failures),
        shutdown: Cancel::default(),
        config,
    });
    let listener = tokio::net::TcpListener::bind(state.config.listen)
        .await
        .map_err(|source| ServeError::Listen {
            addr: state.config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| ServeError::Listen {
        addr: state.config.listen,
        source,
    })?;
    started(&Started {
        addr,
        pin,
        interrupted,
    });
    let acceptor = tokio_rustls::TlsAcceptor::from(tls_config);
    let app = routes::router(state.clone());
    let stop = stop_signal();
    tokio::pin!(stop);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                // Out of descriptors and the like: wait and go on serving.
                Err(_) => {
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut stop => break,
        };
        let acceptor = acceptor.clone();
        let app = app.clone();
        tokio::spawn(async move {
            let handshake =
                tokio::time::timeout(std::time::Duration::from_secs(10), acceptor.accept(tcp));
            let Ok(Ok(stream)) = handshake.await else {
                return;
            };
            let service = app.map_request(
                move |mut req: axum::extract::Request<hyper::body::Incoming>| {
                    req.extensions_mut()
                        .insert(axum::extract::ConnectInfo(peer));
                    req
                },
            );
            // A client that trickles its headers is dropped after 30 s.
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(std::time::Duration::from_secs(30))
                .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
                .await;
        });
    }
    // Stop the running job (it ends as interrupted) and let it record that.
    state.shutdown.cancel();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(30), state.cloud_lock.lock()).await;
    if let Some(pool) = pool {
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), pool.close()).await;
    }
    Ok(())
}

async fn stop_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
