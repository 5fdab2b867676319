//! The transport floor for the benchmark: N hosts × K sequential no-op commands over
//! already-open connections, through eov's own SSH transport, no engine around it.
//!
//! `cargo run --release --example floor -- INVENTORY [K]` prints the seconds the commands took and,
//! second, the seconds it took to open the connections. `FLOOR_CMD` changes the command
//! (`sh -c true`: a process on the host, as a user's `true` task would start);
//! `EOV_SSH_NO_SESSION=1` runs each command on a channel of its own.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use eov::connection::Cancel;
use eov::connection::ssh::known_hosts::KnownHosts;
use eov::connection::ssh::{KeyCache, Ssh, Target};
use eov::inventory::Inventory;

fn var(inv: &Inventory, host: &str, name: &str) -> Option<String> {
    inv.host_vars(host)
        .get(name)
        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let path = args.get(1).ok_or("usage: floor INVENTORY [COMMANDS]")?;
    let commands: usize = args.get(2).map_or(Ok(10), |k| k.parse())?;
    let inv = Inventory::parse(path, &std::fs::read_to_string(path)?)?;
    let cancel = Cancel::default();
    let connecting = Instant::now();
    let mut handles = Vec::new();
    let keys = Arc::new(KeyCache::new(None));
    for host in inv.hosts.keys() {
        let known = Arc::new(KnownHosts::load(&PathBuf::from(
            var(&inv, host, "eov_known_hosts").ok_or("eov_known_hosts")?,
        ))?);
        let target = Target {
            host: host.clone(),
            address: var(&inv, host, "eov_host").unwrap_or_else(|| host.clone()),
            port: var(&inv, host, "eov_port").map_or(Ok(22), |p| p.parse())?,
            user: var(&inv, host, "eov_user").unwrap_or_else(|| "root".into()),
            identity_files: var(&inv, host, "eov_private_key_file")
                .map(PathBuf::from)
                .into_iter()
                .collect(),
            accept_new: false,
            timeout: Duration::from_secs(30),
            retries: 2,
            agent: None,
            keys: keys.clone(),
            // The bench measures the floor both ways (see bench/README.md).
            session: std::env::var_os("EOV_SSH_NO_SESSION").is_none(),
            jump: None,
        };
        let cancel = cancel.clone();
        handles.push(tokio::spawn(async move {
            Ssh::connect(&target, known, cancel).await
        }));
    }
    let mut connections = Vec::new();
    for h in handles {
        connections.push(Arc::new(h.await??));
    }
    let connect = connecting.elapsed().as_secs_f64();
    let start = Instant::now();
    let command: Arc<str> = std::env::var("FLOOR_CMD")
        .unwrap_or_else(|_| "sh -c true".into())
        .into();
    let mut runs = Vec::new();
    for ssh in &connections {
        let ssh = ssh.clone();
        let command = command.clone();
        runs.push(tokio::spawn(async move {
            for _ in 0..commands {
                let stop = |group: u32| (eov::connection::stop_script(group), None);
                let out = ssh
                    .exec(&command, None, &stop)
                    .await
                    .map_err(|e| e.to_string())?;
                if !out.success() {
                    return Err(format!("`{command}` failed on {}", ssh.host()));
                }
            }
            Ok::<(), String>(())
        }));
    }
    for r in runs {
        r.await??;
    }
    // The commands' time, then the time it took to open the connections (excluded from it).
    println!("{:.3} {connect:.3}", start.elapsed().as_secs_f64());
    Ok(())
}
