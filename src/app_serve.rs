//! The commands of the join service: `eov serve`, `eov token`, `eov join`.

use std::path::{Path, PathBuf};

use crate::app::{env_text, inventory_sources, roles_path, ssh_options};
use crate::cli::{JoinArgs, ServeArgs, TokenCommand, exit};
use crate::join::{JoinOptions, JoinOutcome};
use crate::report;
use crate::run::RunOptions;
use crate::serve::tokens::{TokenKind, TokenStore, parse_ttl};
use crate::serve::{ServeConfig, tls};

fn runtime() -> Result<tokio::runtime::Runtime, i32> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            report::error(&format!("cannot start the async runtime: {e}"));
            exit::INTERNAL
        })
}

fn home() -> PathBuf {
    std::env::var_os("HOME").map_or_else(|| PathBuf::from("/root"), PathBuf::from)
}

/// The controller's public key: the one named, else beside the private key, else the usual files.
fn controller_key(args: &ServeArgs) -> Result<String, String> {
    let candidates: Vec<PathBuf> = match (&args.ssh_public_key, &args.ssh.private_key) {
        (Some(p), _) => vec![p.clone()],
        (None, Some(k)) => vec![PathBuf::from(format!("{}.pub", k.display()))],
        (None, None) => vec![
            home().join(".ssh/id_ed25519.pub"),
            home().join(".ssh/id_rsa.pub"),
        ],
    };
    for path in &candidates {
        if let Ok(text) = std::fs::read_to_string(path) {
            let line = text.lines().next().unwrap_or("").trim().to_string();
            crate::serve::validate::ssh_public_key(&line)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            return Ok(line);
        }
    }
    Err(format!(
        "no controller SSH public key: tried {} (use --ssh-public-key)",
        candidates
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default()
}

fn default_cert_names() -> Vec<String> {
    let mut names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
    let host = host_name();
    if !host.is_empty() && host != "localhost" {
        names.push(host);
    }
    names
}

pub fn serve(args: ServeArgs) -> i32 {
    let controller_key = match controller_key(&args) {
        Ok(k) => k,
        Err(e) => {
            report::error(&e);
            return exit::USAGE;
        }
    };
    let config = ServeConfig {
        listen: args.listen,
        tls: args.tls_cert.clone().zip(args.tls_key.clone()),
        cert_names: if args.cert_names.is_empty() {
            default_cert_names()
        } else {
            args.cert_names.clone()
        },
        serve_dir: args.state_dir.join("serve"),
        plays_dir: args.plays_dir.clone(),
        roles_path: roles_path(&args.roles_path),
        inventory: inventory_sources(&args.source),
        options: RunOptions {
            forks: args.forks,
            ssh: ssh_options(&args.ssh),
            become_password: env_text("EOV_BECOME_PASSWORD").map(Into::into),
            read_ahead: std::env::var_os("EOV_NO_READ_AHEAD").is_none(),
            workdir: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
            ..RunOptions::default()
        },
        controller_key,
        max_auth_failures: args.max_auth_failures.max(1),
        ssh_pool: (!args.ssh_idle.is_zero() && args.ssh_pool_max > 0).then_some(
            crate::connection::PoolSettings {
                idle: args.ssh_idle,
                max_idle: args.ssh_pool_max,
            },
        ),
    };
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let result = rt.block_on(crate::serve::serve(config, |started| {
        report::stdout(&format!(
            "eov serve: listening on https://{}\ncertificate {}\n",
            started.addr, started.pin
        ));
        if started.interrupted > 0 {
            report::stderr(&format!(
                "{} job(s) left unfinished by the previous server marked interrupted\n",
                started.interrupted
            ));
        }
    }));
    match result {
        Ok(()) => exit::OK,
        Err(e) => {
            report::error(&e.to_string());
            exit::INTERNAL
        }
    }
}

/// The pin clients need: of `--tls-cert`, else of the generated certificate (made now if absent).
fn pin(state_dir: &Path, tls_cert: Option<&Path>) -> Result<String, String> {
    let serve_dir = state_dir.join("serve");
    let cert = match tls_cert {
        Some(c) => c.to_path_buf(),
        None => {
            tls::ensure(None, &serve_dir, &default_cert_names())
                .map_err(|e| e.to_string())?
                .0
        }
    };
    let certs = tls::load_certs(&cert).map_err(|e| e.to_string())?;
    Ok(tls::pin_of(&certs[0]))
}

pub fn token(cmd: TokenCommand) -> i32 {
    let result = match cmd {
        TokenCommand::Create {
            ttl,
            uses,
            admin,
            description,
            tls_cert,
            state_dir,
        } => parse_ttl(&ttl).and_then(|ttl| {
            let store = TokenStore::new(&state_dir.join("serve"));
            let kind = if admin {
                TokenKind::Admin
            } else {
                TokenKind::Join
            };
            let (token, record) = store
                .create(kind, ttl, uses, &description)
                .map_err(|e| e.to_string())?;
            let pin = pin(&state_dir, tls_cert.as_deref())?;
            report::stdout(&report::render_token_created(&token, &record, &pin));
            Ok(())
        }),
        TokenCommand::List { state_dir } => TokenStore::new(&state_dir.join("serve"))
            .list()
            .map_err(|e| e.to_string())
            .map(|records| report::stdout(&report::render_tokens(&records))),
        TokenCommand::Delete { id, state_dir } => {
            match TokenStore::new(&state_dir.join("serve")).delete(&id) {
                Ok(true) => {
                    report::stdout(&format!("token {id} deleted\n"));
                    Ok(())
                }
                Ok(false) => Err(format!("no token with id `{id}`")),
                Err(e) => Err(e.to_string()),
            }
        }
    };
    match result {
        Ok(()) => exit::OK,
        Err(e) => {
            report::error(&e);
            exit::USAGE
        }
    }
}

pub fn join(args: JoinArgs) -> i32 {
    let name = args.name.clone().unwrap_or_else(host_name);
    if let Err(e) = crate::serve::validate::node_name(&name) {
        report::error(&format!("--name: {e}"));
        return exit::USAGE;
    }
    let options = JoinOptions {
        url: args.url.clone(),
        token: args.token.clone(),
        ca_cert_hash: args.ca_cert_hash.clone(),
        name,
        address: args.address.clone(),
        authorized_keys: args
            .authorized_keys
            .clone()
            .unwrap_or_else(|| home().join(".ssh/authorized_keys")),
        host_key: std::fs::read_to_string(&args.host_key)
            .ok()
            .and_then(|t| t.lines().next().map(|l| l.trim().to_string()))
            .filter(|k| !k.is_empty()),
    };
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let progress = |line: &str| report::stderr(&format!("{line}\n"));
    match rt.block_on(crate::join::join(&options, &progress)) {
        Ok(JoinOutcome::Up { job }) => {
            report::stdout(&format!("node {} is up (job {job})\n", options.name));
            exit::OK
        }
        Ok(JoinOutcome::Failed { job, reason }) => {
            report::error(&format!(
                "the join of {} failed (job {job}): {reason}",
                options.name
            ));
            exit::FAILED
        }
        Ok(JoinOutcome::Interrupted { job, reason }) => {
            report::error(&format!(
                "the join of {} was interrupted (job {job}): {reason}",
                options.name
            ));
            exit::INTERRUPTED
        }
        Err(crate::join::JoinError::Usage(e)) => {
            report::error(&e);
            exit::USAGE
        }
        Err(e) => {
            report::error(&e.to_string());
            exit::INTERNAL
        }
    }
}
