//! The lab's base image: a Debian bookworm tree made by debootstrap and imported into podman,
//! built once and cached (no container registry is needed).

use std::path::Path;
use std::process::Command;

use super::podman::{LabError, podman, succeeds};

pub const IMAGE: &str = "localhost/eovlab:base-v1";

/// Which image a lab's hosts run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Variant {
    /// SSH, OpenVPN, Python: what every lab host has.
    #[default]
    Base,
    /// The base plus OpenStack Zed from Debian's packages, installed but not configured
    /// (services not started), so the cloud roles do not pay the install in every test.
    Openstack,
}

impl Variant {
    pub fn image(self) -> &'static str {
        match self {
            Variant::Base => IMAGE,
            Variant::Openstack => OPENSTACK_IMAGE,
        }
    }
}

pub const OPENSTACK_IMAGE: &str = "localhost/eovlab:openstack-v1";

/// What the lab cloud's roles install (the roles still list their own packages; on a host
/// from this image `apt` finds them present).
const OPENSTACK_PACKAGES: &str = "mariadb-server rabbitmq-server python3-pymysql keystone \
    placement-api glance neutron-api nova-api nova-conductor nova-scheduler nova-compute \
    python3-openstackclient";

/// Installs the packages with service starts denied (no daemon runs in a build container),
/// then leaves no apt lists or caches behind.
const OPENSTACK_INSTALL: &str = r#"set -e
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends PACKAGES
rm -f /usr/sbin/policy-rc.d
apt-get clean
rm -rf /var/lib/apt/lists/*
"#;

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

/// Builds the variant's image (and the base it derives from) unless it exists.
/// Returns true if something was built now.
pub fn ensure(variant: Variant, progress: &dyn Fn(&str)) -> Result<bool, LabError> {
    let base = ensure_base(progress)?;
    match variant {
        Variant::Base => Ok(base),
        Variant::Openstack => ensure_openstack(progress).map(|built| built || base),
    }
}

/// The OpenStack variant: a container from the base installs the packages, and is committed.
fn ensure_openstack(progress: &dyn Fn(&str)) -> Result<bool, LabError> {
    if succeeds(&["image", "exists", OPENSTACK_IMAGE]) {
        return Ok(false);
    }
    progress(&format!(
        "building the lab image {OPENSTACK_IMAGE}: apt-get install of OpenStack (about 3 minutes, once)"
    ));
    // Per process, so two concurrent builds do not collide; removed whatever happens.
    let builder = format!("eovlab-build-openstack-{}", std::process::id());
    let script = OPENSTACK_INSTALL.replace("PACKAGES", OPENSTACK_PACKAGES);
    let run = podman(
        &["run", "--name", &builder, IMAGE, "sh", "-c", &script],
        None,
    );
    let result = run.and_then(|_| {
        podman(
            &[
                "commit",
                "--change",
                "CMD=/bin/sh",
                &builder,
                OPENSTACK_IMAGE,
            ],
            None,
        )
    });
    let _ = podman(&["rm", "-f", &builder], None);
    result.map(|_| true)
}

fn ensure_base(progress: &dyn Fn(&str)) -> Result<bool, LabError> {
    if succeeds(&["image", "exists", IMAGE]) {
        return Ok(false);
    }
    let work = Path::new("/var/tmp/eovlab-build");
    let rootfs = work.join("rootfs");
    let _ = std::fs::remove_dir_all(work);
    std::fs::create_dir_all(work)
        .map_err(|e| LabError::Other(format!("cannot create {}: {e}", work.display())))?;
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
            LabError::Other(format!(
                "cannot run debootstrap: {e} (run `bash scripts/lab-setup.sh` as root)"
            ))
        })?;
    if !out.status.success() {
        let log = String::from_utf8_lossy(&out.stdout);
        let tail: Vec<&str> = log.lines().rev().take(5).collect();
        return Err(LabError::Other(format!(
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
        .map_err(|e| LabError::Other(format!("cannot pack the root filesystem: {e}")))?;
    let stream = tar.stdout.take().expect("stdout was piped");
    let import = Command::new("podman")
        .args(["import", "-", IMAGE])
        .stdin(stream)
        .output()
        .map_err(|e| LabError::Other(format!("cannot run podman import: {e}")))?;
    let _ = tar.wait();
    if !import.status.success() {
        return Err(LabError::Other(format!(
            "podman import failed: {}",
            String::from_utf8_lossy(&import.stderr).trim()
        )));
    }
    let _ = std::fs::remove_dir_all(work);
    Ok(true)
}
