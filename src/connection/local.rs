//! The `local` connection: commands run on the controller through `sh -c`.

use std::process::Stdio;

use tokio::io::AsyncWriteExt;
use tokio::process::Command;

use super::{Become, ConnectionError, ExecOutput};

#[derive(Debug)]
pub struct Local {
    host: String,
    user: String,
}

impl Local {
    pub fn new(host: &str) -> Self {
        let user = std::env::var("USER")
            .ok()
            .filter(|u| !u.is_empty())
            .or_else(|| {
                let out = std::process::Command::new("id").arg("-un").output().ok()?;
                Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
            })
            .unwrap_or_else(|| "root".into());
        Local {
            host: host.to_string(),
            user,
        }
    }

    pub fn user(&self) -> &str {
        &self.user
    }

    pub async fn exec(
        &self,
        script: &str,
        stdin: Option<&[u8]>,
        sudo: Option<&Become>,
    ) -> Result<ExecOutput, ConnectionError> {
        let mut command = match sudo {
            Some(b) if b.user != self.user => {
                let mut c = Command::new("sudo");
                c.args(["-n", "-H", "-u", &b.user, "--", "sh", "-c", script]);
                c
            }
            _ => {
                let mut c = Command::new("sh");
                c.args(["-c", script]);
                c
            }
        };
        command
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let unreachable = |e: std::io::Error| ConnectionError::Unreachable {
            host: self.host.clone(),
            reason: format!("cannot start `sh`: {e}"),
        };
        let mut child = command.spawn().map_err(|e| match sudo {
            Some(b) if b.user != self.user => ConnectionError::Become {
                host: self.host.clone(),
                user: b.user.clone(),
                reason: if e.kind() == std::io::ErrorKind::NotFound {
                    "`sudo` is not installed".into()
                } else {
                    format!("cannot start `sudo`: {e}")
                },
            },
            _ => unreachable(e),
        })?;
        if let Some(input) = stdin {
            let mut pipe = child.stdin.take().expect("stdin was piped");
            let input = input.to_vec();
            // Feed stdin concurrently so a command that writes a lot before reading cannot deadlock.
            tokio::spawn(async move {
                let _ = pipe.write_all(&input).await;
                let _ = pipe.shutdown().await;
            });
        }
        let out = child.wait_with_output().await.map_err(unreachable)?;
        #[cfg(unix)]
        let signal = {
            use std::os::unix::process::ExitStatusExt;
            out.status.signal().map(signal_name)
        };
        Ok(ExecOutput {
            status: out.status.code(),
            signal,
            stdout: out.stdout,
            stderr: out.stderr,
        })
    }
}

fn signal_name(sig: i32) -> String {
    match sig {
        1 => "HUP".into(),
        2 => "INT".into(),
        9 => "KILL".into(),
        15 => "TERM".into(),
        n => n.to_string(),
    }
}
