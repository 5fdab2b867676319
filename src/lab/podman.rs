//! The few podman commands the lab needs, with errors that say what failed.

use std::io::Write as _;
use std::process::{Command, Stdio};

#[derive(Debug, thiserror::Error)]
pub enum LabError {
    #[error("podman is not installed (run `bash scripts/lab-setup.sh` as root)")]
    NoPodman,
    /// A podman command that ran and failed, with what it said.
    #[error("`podman {command}` failed: {stderr}{}", if *.sandbox_hint {
        "\nhint: this sandbox needs the podman settings written by `bash scripts/lab-setup.sh`"
    } else { "" })]
    Podman {
        command: String,
        stderr: String,
        sandbox_hint: bool,
    },
    #[error("{0}")]
    Other(String),
}

impl LabError {
    /// A `podman network create` refused because the subnet is taken by another network.
    pub fn subnet_taken(&self, network: &str) -> bool {
        matches!(self, LabError::Podman { stderr, .. }
            if stderr.contains("overlap") || (stderr.contains("already") && !stderr.contains(network)))
    }
}

/// Runs `podman ARGS` (with `stdin` if given); its stdout on success.
pub fn podman(args: &[&str], stdin: Option<&[u8]>) -> Result<String, LabError> {
    let mut cmd = Command::new("podman");
    cmd.args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
    let mut child = cmd.spawn().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            LabError::NoPodman
        } else {
            LabError::Other(format!("cannot run podman: {e}"))
        }
    })?;
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().expect("stdin was piped");
        pipe.write_all(input)
            .map_err(|e| LabError::Other(format!("podman {}: {e}", args.join(" "))))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| LabError::Other(format!("podman {}: {e}", args.join(" "))))?;
    if out.status.success() {
        return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
    }
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
    Err(LabError::Podman {
        command: args.first().copied().unwrap_or("").to_string(),
        sandbox_hint: stderr.contains("setrlimit") || stderr.contains("cgroups in hybrid mode"),
        stderr,
    })
}

/// True when `podman ARGS` succeeds (for existence checks).
pub fn succeeds(args: &[&str]) -> bool {
    Command::new("podman")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[cfg(test)]
mod tests {
    use super::LabError;

    #[test]
    fn a_taken_subnet_is_told_from_other_failures() {
        let podman = |stderr: &str| LabError::Podman {
            command: "network".into(),
            stderr: stderr.into(),
            sandbox_hint: false,
        };
        assert!(
            podman("subnet 198.18.5.0/24 overlaps with network eovlab-x").subnet_taken("eovlab-y")
        );
        assert!(podman("network name eovlab-x already used").subnet_taken("eovlab-y"));
        assert!(!podman("network name eovlab-y already used").subnet_taken("eovlab-y"));
        assert!(!podman("permission denied").subnet_taken("eovlab-y"));
        assert!(!LabError::Other("overlap".into()).subnet_taken("eovlab-y"));
    }
}
