//! The `local` connection: commands run on the controller.

use std::process::Stdio;

use tokio::io::AsyncWriteExt;
use tokio::process::Command;

use super::{Cancel, ConnectionError, ExecOutput};

#[derive(Debug)]
pub struct Local {
    host: String,
    user: String,
    cancel: Cancel,
}

impl Local {
    /// Commands run as `user`, the controller's own user (see [`super::LocalEnv`]).
    pub fn new(host: &str, user: &str, cancel: Cancel) -> Self {
        Local {
            host: host.to_string(),
            user: user.to_string(),
            cancel,
        }
    }

    pub fn user(&self) -> &str {
        &self.user
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    /// Runs a command line with `sh -c`.
    pub async fn exec(
        &self,
        line: &str,
        stdin: Option<&[u8]>,
    ) -> Result<ExecOutput, ConnectionError> {
        if self.cancel.is_cancelled() {
            return Err(ConnectionError::Interrupted);
        }
        let mut command = Command::new("sh");
        command
            .args(["-c", line])
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        let mut child = command.spawn().map_err(|e| ConnectionError::Unreachable {
            host: self.host.clone(),
            reason: format!("cannot start `sh`: {e}"),
        })?;
        if let Some(input) = stdin {
            let mut pipe = child.stdin.take().expect("stdin was piped");
            let input = input.to_vec();
            // Fed concurrently, so a command that writes a lot before reading cannot deadlock.
            tokio::spawn(async move {
                let _ = pipe.write_all(&input).await;
                let _ = pipe.shutdown().await;
            });
        }
        let pid = child.id();
        let out = tokio::select! {
            out = child.wait_with_output() => out.map_err(|e| ConnectionError::Unreachable { host: self.host.clone(), reason: e.to_string() })?,
            () = self.cancel.cancelled() => {
                // The command runs in its own process group: signal all of it, not just `sh`.
                if let Some(pid) = pid {
                    let _ = std::process::Command::new("kill").args(["-INT", "--", &format!("-{pid}")]).status();
                }
                return Err(ConnectionError::Interrupted);
            }
        };
        use std::os::unix::process::ExitStatusExt;
        let signal = out
            .status
            .signal()
            .map(|s| super::ssh::signal_name(s).to_string());
        Ok(ExecOutput {
            status: out.status.code(),
            signal,
            stdout: out.stdout,
            stderr: out.stderr,
        })
    }
}
