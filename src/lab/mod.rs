//! The lab: throwaway Debian hosts as podman containers, each with its own address,
//! filesystem and a real OpenSSH server, tun/tap allowed. `eov lab up` writes an inventory,
//! a key and a known_hosts file for them, so `eov run -i current/lab/NAME/hosts PLAY` works.
//! Everything a lab creates carries its name, so `eov lab down` removes exactly that.

mod image;
mod podman;

use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub use image::Variant;
pub use podman::LabError;
use podman::{podman, succeeds};

/// One lab host as `status` reports it.
#[derive(Debug, serde::Serialize)]
pub struct LabHost {
    pub name: String,
    pub container: String,
    pub address: String,
    pub state: String,
}

pub struct Lab {
    pub name: String,
    pub dir: PathBuf,
}

/// Whether a lab host comes back by itself when its main process (sshd) ends: podman's
/// `--restart`, acted on by podman itself (conmon), no systemd needed. A container cannot
/// reboot a kernel, but with `always`, a reboot command that ends PID 1 (`kill 1`) stops it
/// and podman starts it again, as a machine comes back after a reboot: what the `reboot`
/// module needs to be tried in the lab.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Restart {
    /// A host whose sshd ends stays stopped.
    #[default]
    No,
    /// A host whose sshd ends is started again (same address, same host key).
    Always,
}

impl Restart {
    fn policy(self) -> &'static str {
        match self {
            Restart::No => "no",
            Restart::Always => "always",
        }
    }
}

/// The script each host runs once: the key for root and for a sudo user `eov`, then its host key
/// (once [`START`] has made it).
const SETUP: &str = r#"set -e
key=$(cat)
mkdir -p /root/.ssh && chmod 700 /root/.ssh
printf '%s\n' "$key" > /root/.ssh/authorized_keys && chmod 600 /root/.ssh/authorized_keys
id eov >/dev/null 2>&1 || useradd -m -s /bin/sh eov
mkdir -p /home/eov/.ssh && printf '%s\n' "$key" > /home/eov/.ssh/authorized_keys
chown -R eov:eov /home/eov/.ssh && chmod 700 /home/eov/.ssh && chmod 600 /home/eov/.ssh/authorized_keys
echo 'eov ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/eov && chmod 440 /etc/sudoers.d/eov
i=0; while [ "$(cat /etc/ssh/.eov-host-keys 2>/dev/null)" != "$EOV_LAB_HOST" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
cat /etc/ssh/ssh_host_ed25519_key.pub
"#;

/// What each host runs as its main process: host keys of its own (an image's keys, the same
/// in every host made from it, are replaced the first time this container starts, so host-key
/// checking can tell lab hosts apart and a restart keeps them), then sshd.
const START: &str = "mkdir -p /run/sshd
if [ \"$(cat /etc/ssh/.eov-host-keys 2>/dev/null)\" != \"$EOV_LAB_HOST\" ]; then
  rm -f /etc/ssh/ssh_host_*
  ssh-keygen -A >/dev/null
  printf '%s\\n' \"$EOV_LAB_HOST\" > /etc/ssh/.eov-host-keys
fi
exec /usr/sbin/sshd -D -e";

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 20
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !name.starts_with('-')
}

impl Lab {
    pub fn new(name: &str, state_dir: &Path) -> Result<Lab, LabError> {
        if !valid_name(name) {
            return Err(LabError::Other(format!(
                "`{name}` is not a lab name (up to 20 letters, digits and `-`)"
            )));
        }
        // Absolute, so the inventory works from any directory.
        let dir = std::path::absolute(state_dir.join("lab").join(name))
            .map_err(|e| LabError::Other(format!("{}: {e}", state_dir.display())))?;
        Ok(Lab {
            name: name.to_string(),
            dir,
        })
    }

    fn network(&self) -> String {
        format!("eovlab-{}", self.name)
    }

    fn container(&self, i: usize) -> String {
        format!("eovlab-{}-h{i}", self.name)
    }

    fn label(&self) -> String {
        format!("eovlab={}", self.name)
    }

    /// A /24 in 198.18.0.0/15 (reserved for benchmarking), chosen from the name and moved on
    /// if another network already has it.
    fn create_network(&self) -> Result<u8, LabError> {
        let seed = self
            .name
            .bytes()
            .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
        for step in 0..250u32 {
            let third = u8::try_from(1 + (seed + step) % 250).expect("1..=250 fits a byte");
            let subnet = format!("198.18.{third}.0/24");
            match podman(
                &[
                    "network",
                    "create",
                    "--label",
                    &self.label(),
                    "--subnet",
                    &subnet,
                    &self.network(),
                ],
                None,
            ) {
                Ok(_) => return Ok(third),
                Err(e) if e.subnet_taken(&self.network()) => {}
                Err(e) => return Err(e),
            }
        }
        Err(LabError::Other("no free /24 left in 198.18.0.0/15".into()))
    }

    /// Starts `count` hosts; returns the inventory path.
    pub fn up(
        &self,
        count: usize,
        variant: Variant,
        restart: Restart,
        progress: &dyn Fn(&str),
    ) -> Result<PathBuf, LabError> {
        if count == 0 || count > 250 {
            return Err(LabError::Other("a lab has 1 to 250 hosts".into()));
        }
        if succeeds(&["network", "exists", &self.network()]) {
            return Err(LabError::Other(format!(
                "lab `{}` is already up (see `eov lab status --name {}`; `eov lab down --name {}` removes it)",
                self.name, self.name, self.name
            )));
        }
        image::ensure(variant, progress)?;
        std::fs::create_dir_all(&self.dir)
            .map_err(|e| LabError::Other(format!("cannot create {}: {e}", self.dir.display())))?;
        let key = self.dir.join("id_ed25519");
        if !key.exists() {
            let out = std::process::Command::new("ssh-keygen")
                .args([
                    "-q",
                    "-t",
                    "ed25519",
                    "-N",
                    "",
                    "-C",
                    &format!("eov-lab-{}", self.name),
                    "-f",
                ])
                .arg(&key)
                .output()
                .map_err(|e| {
                    LabError::Other(format!(
                        "cannot run ssh-keygen: {e} (install openssh-client)"
                    ))
                })?;
            if !out.status.success() {
                return Err(LabError::Other(format!(
                    "ssh-keygen failed: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                )));
            }
        }
        let public = std::fs::read(key.with_extension("pub"))
            .map_err(|e| LabError::Other(format!("cannot read the lab key: {e}")))?;
        let third = self.create_network()?;
        let result = self.start_hosts(
            count,
            (variant.image(), restart),
            third,
            &public,
            &key,
            progress,
        );
        if result.is_err() {
            let _ = self.down();
        }
        result
    }

    fn start_hosts(
        &self,
        count: usize,
        (image, restart): (&str, Restart),
        third: u8,
        public: &[u8],
        key: &Path,
        progress: &dyn Fn(&str),
    ) -> Result<PathBuf, LabError> {
        let mut inventory =
            String::from("# Written by `eov lab up`; removed by `eov lab down`.\n[lab]\n");
        let mut known_hosts = String::new();
        let known_path = self.dir.join("known_hosts");
        let mut addresses = Vec::new();
        for i in 1..=count {
            let address = format!("198.18.{third}.{}", 10 + i);
            let container = self.container(i);
            progress(&format!("starting {container} at {address}"));
            podman(
                &[
                    "run",
                    "-d",
                    "--name",
                    &container,
                    "--hostname",
                    &format!("h{i}"),
                    "--label",
                    &self.label(),
                    "--network",
                    &self.network(),
                    "--ip",
                    &address,
                    "--cap-add",
                    "NET_ADMIN",
                    "--cap-add",
                    "NET_RAW",
                    "--device",
                    "/dev/net/tun",
                    "--restart",
                    restart.policy(),
                    "--env",
                    &format!("EOV_LAB_HOST={container}"),
                    image,
                    "sh",
                    "-c",
                    START,
                ],
                None,
            )?;
            let host_key = podman(
                &[
                    "exec",
                    "-i",
                    "--env",
                    &format!("EOV_LAB_HOST={container}"),
                    &container,
                    "sh",
                    "-c",
                    SETUP,
                ],
                Some(public),
            )?;
            let host_key = host_key
                .lines()
                .last()
                .unwrap_or_default()
                .split_whitespace()
                .take(2)
                .collect::<Vec<_>>()
                .join(" ");
            if host_key.is_empty() {
                return Err(LabError::Other(format!("{container} produced no host key")));
            }
            known_hosts.push_str(&format!("{address} {host_key}\n"));
            inventory.push_str(&format!(
                "h{i} eov_host={address} eov_user=root eov_private_key_file={} eov_known_hosts={}\n",
                key.display(),
                known_path.display()
            ));
            addresses.push(address);
        }
        write(&known_path, &known_hosts)?;
        let inventory_path = self.dir.join("hosts");
        write(&inventory_path, &inventory)?;
        for address in &addresses {
            wait_for_ssh(address)?;
        }
        Ok(inventory_path)
    }

    /// The lab's hosts and their state.
    pub fn status(&self) -> Result<Vec<LabHost>, LabError> {
        let out = podman(
            &[
                "ps",
                "-a",
                "--filter",
                &format!("label={}", self.label()),
                "--format",
                "{{.Names}}\t{{.State}}",
            ],
            None,
        )?;
        let mut hosts = Vec::new();
        for line in out.lines() {
            let (container, state) = line.split_once('\t').unwrap_or((line, ""));
            let address = podman(
                &[
                    "inspect",
                    "-f",
                    "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
                    container,
                ],
                None,
            )
            .map(|s| s.trim().to_string())
            .unwrap_or_default();
            let name = container
                .rsplit('-')
                .next()
                .unwrap_or(container)
                .to_string();
            hosts.push(LabHost {
                name,
                container: container.to_string(),
                address,
                state: state.to_string(),
            });
        }
        hosts.sort_by_key(|h| {
            h.name
                .trim_start_matches('h')
                .parse::<u32>()
                .unwrap_or(u32::MAX)
        });
        Ok(hosts)
    }

    /// Removes the lab's containers, network and files (only those carrying its name).
    pub fn down(&self) -> Result<usize, LabError> {
        let out = podman(
            &[
                "ps",
                "-a",
                "-q",
                "--filter",
                &format!("label={}", self.label()),
            ],
            None,
        )?;
        let ids: Vec<&str> = out.split_whitespace().collect();
        if !ids.is_empty() {
            let mut args = vec!["rm", "-f", "-t", "0"];
            args.extend(ids.iter().copied());
            podman(&args, None)?;
        }
        if succeeds(&["network", "exists", &self.network()]) {
            podman(&["network", "rm", "-f", &self.network()], None)?;
        }
        if self.dir.exists() {
            std::fs::remove_dir_all(&self.dir).map_err(|e| {
                LabError::Other(format!("cannot remove {}: {e}", self.dir.display()))
            })?;
        }
        Ok(ids.len())
    }
}

fn write(path: &Path, text: &str) -> Result<(), LabError> {
    crate::fsutil::write_atomic(path, text.as_bytes())
        .map_err(|e| LabError::Other(format!("cannot write {}: {e}", path.display())))
}

fn wait_for_ssh(address: &str) -> Result<(), LabError> {
    let addr: SocketAddr = format!("{address}:22")
        .parse()
        .map_err(|e| LabError::Other(format!("{address}: {e}")))?;
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(LabError::Other(format!(
        "sshd on {address} did not start within 20s"
    )))
}
