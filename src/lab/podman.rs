//! The few podman commands the lab needs, with errors that say what failed.

use std::io::Write as _;
use std::process::{Command, Stdio};

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct LabError(pub String);

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
        LabError(if e.kind() == std::io::ErrorKind::NotFound {
            "podman is not installed (run `bash scripts/lab-setup.sh` as root)".into()
        } else {
            format!("cannot run podman: {e}")
        })
    })?;
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().expect("stdin was piped");
        pipe.write_all(input)
            .map_err(|e| LabError(format!("podman {}: {e}", args.join(" "))))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| LabError(format!("podman {}: {e}", args.join(" "))))?;
    if out.status.success() {
        return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let mut message = format!(
        "`podman {}` failed: {}",
        args.first().copied().unwrap_or(""),
        stderr.trim()
    );
    if stderr.contains("setrlimit") || stderr.contains("cgroups in hybrid mode") {
        message.push_str(
            "\nhint: this sandbox needs the podman settings written by `bash scripts/lab-setup.sh`",
        );
    }
    Err(LabError(message))
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
