//! The lab's base image: a Debian bookworm tree made by debootstrap and imported into podman,
//! built once and cached (no container registry is needed).

use std::path::Path;
use std::process::Command;

use super::podman::{LabError, succeeds};

pub const IMAGE: &str = "localhost/eovlab:base-v1";

/// What every lab host has: an SSH server, OpenVPN and easy-rsa, Python, network tools, sudo.
const PACKAGES: &str = "openssh-server,openvpn,easy-rsa,python3,iproute2,iputils-ping,sudo,ca-certificates,procps,netcat-openbsd,iptables";

/// The Debian mirror apt already uses on this machine.
fn mirror() -> String {
    let sources = std::fs::read_to_string("/etc/apt/sources.list.d/debian.sources")
        .unwrap_or_default()
        + &std::fs::read_to_string("/etc/apt/sources.list").unwrap_or_default();
    for line in sources.lines() {
        let line = line.trim();
        if let Some(uris) = line.strip_prefix("URIs:")
            && let Some(first) = uris.split_whitespace().next()
        {
            return first.to_string();
        }
        if let Some(rest) = line.strip_prefix("deb ")
            && let Some(url) = rest.split_whitespace().find(|w| w.starts_with("http"))
        {
            return url.to_string();
        }
    }
    "http://deb.debian.org/debian".into()
}

/// Builds the image unless it exists. Returns true if it was built now.
pub fn ensure(progress: &dyn Fn(&str)) -> Result<bool, LabError> {
    if succeeds(&["image", "exists", IMAGE]) {
        return Ok(false);
    }
    let work = Path::new("/var/tmp/eovlab-build");
    let rootfs = work.join("rootfs");
    let _ = std::fs::remove_dir_all(work);
    std::fs::create_dir_all(work)
        .map_err(|e| LabError(format!("cannot create {}: {e}", work.display())))?;
    progress(&format!(
        "building the lab image {IMAGE} with debootstrap (about a minute, once)"
    ));
    let out = Command::new("debootstrap")
        .args([
            "--variant=minbase",
            &format!("--include={PACKAGES}"),
            "bookworm",
        ])
        .arg(&rootfs)
        .arg(mirror())
        .output()
        .map_err(|e| {
            LabError(format!(
                "cannot run debootstrap: {e} (run `bash scripts/lab-setup.sh` as root)"
            ))
        })?;
    if !out.status.success() {
        let log = String::from_utf8_lossy(&out.stdout);
        let tail: Vec<&str> = log.lines().rev().take(5).collect();
        return Err(LabError(format!(
            "debootstrap failed: {}",
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        )));
    }
    // Streamed: the tree is 300 MB.
    let mut tar = Command::new("tar")
        .arg("-C")
        .arg(&rootfs)
        .args(["-c", "."])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| LabError(format!("cannot pack the root filesystem: {e}")))?;
    let stream = tar.stdout.take().expect("stdout was piped");
    let import = Command::new("podman")
        .args(["import", "-", IMAGE])
        .stdin(stream)
        .output()
        .map_err(|e| LabError(format!("cannot run podman import: {e}")))?;
    let _ = tar.wait();
    if !import.status.success() {
        return Err(LabError(format!(
            "podman import failed: {}",
            String::from_utf8_lossy(&import.stderr).trim()
        )));
    }
    let _ = std::fs::remove_dir_all(work);
    Ok(true)
}
