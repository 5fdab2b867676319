//! Running a command on a [`Ssh`]: through the host's long-lived shell or a channel of its
//! own, stdin streamed, the process group stopped when the run is interrupted.

use std::time::Duration;

use russh::{ChannelMsg, Sig};
use tokio::io::AsyncWriteExt;

use super::{Ssh, session};
use crate::connection::{ConnectionError, ExecOutput};

pub fn signal_name(sig: i32) -> &'static str {
    match sig {
        1 => "HUP",
        2 => "INT",
        3 => "QUIT",
        6 => "ABRT",
        9 => "KILL",
        13 => "PIPE",
        15 => "TERM",
        _ => "UNKNOWN",
    }
}

fn sig_text(sig: &Sig) -> String {
    match sig {
        Sig::Custom(s) => s.clone(),
        other => format!("{other:?}"),
    }
}

impl Ssh {
    /// Runs a command line on a new channel; stdin is streamed while output is read. If the
    /// run is interrupted meanwhile, the command's process group is stopped with the command
    /// line `stop` gives for it (closing the channel alone leaves it running).
    pub async fn exec(
        &self,
        line: &str,
        stdin: Option<&[u8]>,
        stop: &(dyn Fn(u32) -> (String, Option<Vec<u8>>) + Sync),
    ) -> Result<ExecOutput, ConnectionError> {
        if self.cancel.is_cancelled() {
            return Err(ConnectionError::Interrupted);
        }
        // The shell that runs the line leads its process group (sshd makes it a session
        // leader; the long-lived shell's commands run in its group): it says which, first.
        let line = format!("{{ printf '{GROUP_MARK}%s\\n' $$ >&2; {line}\n}}");
        let line = line.as_str();
        let link = self.link();
        match link.shell.run(line, stdin, &self.cancel).await {
            session::Ran::Done(mut out) => {
                take_group(&mut out.stderr);
                return Ok(out);
            }
            session::Ran::Interrupted(group) => {
                if let Some(group) = group {
                    self.stop_group(stop(group)).await;
                }
                return Err(ConnectionError::Interrupted);
            }
            session::Ran::Lost(_) if self.cancel.is_cancelled() => {
                return Err(ConnectionError::Interrupted);
            }
            // Never run it again on a channel: it may have partly run.
            session::Ran::Lost(reason) => {
                return Err(ConnectionError::Unreachable {
                    host: self.host.clone(),
                    reason: format!("connection lost: {reason}"),
                });
            }
            session::Ran::Declined => {}
        }
        let lost = |e: russh::Error| ConnectionError::Unreachable {
            host: self.host.clone(),
            reason: format!("connection lost: {e}"),
        };
        let _permit = link
            .sessions
            .acquire()
            .await
            .expect("the semaphore is never closed");
        let channel = link.handle.channel_open_session().await.map_err(lost)?;
        channel.exec(true, line).await.map_err(lost)?;
        let (mut read, write) = channel.split();
        match stdin {
            Some(input) => {
                let mut w = write.make_writer();
                let input = input.to_vec();
                tokio::spawn(async move {
                    let _ = w.write_all(&input).await;
                    let _ = w.shutdown().await;
                });
            }
            None => write.eof().await.map_err(lost)?,
        }
        let mut out = ExecOutput::default();
        let mut closed_cleanly = false;
        loop {
            let msg = tokio::select! {
                m = read.wait() => m,
                () = self.cancel.cancelled() => {
                    let _ = write.signal(Sig::INT).await;
                    let _ = write.close().await;
                    if let Some(group) = peek_group(&out.stderr) {
                        self.stop_group(stop(group)).await;
                    }
                    return Err(ConnectionError::Interrupted);
                }
            };
            match msg {
                Some(ChannelMsg::Data { data }) => out.stdout.extend_from_slice(&data),
                Some(ChannelMsg::ExtendedData { data, ext: 1 }) => {
                    out.stderr.extend_from_slice(&data)
                }
                Some(ChannelMsg::ExitStatus { exit_status }) => {
                    out.status = Some(i32::try_from(exit_status).unwrap_or(-1));
                    closed_cleanly = true;
                }
                Some(ChannelMsg::ExitSignal { signal_name, .. }) => {
                    out.signal = Some(sig_text(&signal_name));
                    closed_cleanly = true;
                }
                Some(_) => {}
                None => break,
            }
        }
        take_group(&mut out.stderr);
        if !closed_cleanly && link.handle.is_closed() {
            return Err(ConnectionError::Unreachable {
                host: self.host.clone(),
                reason: "connection lost while a command ran".into(),
            });
        }
        Ok(out)
    }
}

impl Ssh {
    /// Runs a stop command on a channel of its own, for at most a few seconds.
    async fn stop_group(&self, (line, input): (String, Option<Vec<u8>>)) {
        let stopping = async {
            let channel = self.link().handle.channel_open_session().await.ok()?;
            channel.exec(true, line).await.ok()?;
            let (mut read, write) = channel.split();
            if let Some(input) = input {
                let mut w = write.make_writer();
                let _ = w.write_all(&input).await;
                let _ = w.shutdown().await;
            } else {
                let _ = write.eof().await;
            }
            while read.wait().await.is_some() {}
            Some(())
        };
        let _ = tokio::time::timeout(Duration::from_secs(5), stopping).await;
    }
}

/// What a command line writes first on stderr: the process group it runs in.
const GROUP_MARK: &str = "EOVPG ";

/// The process group announced at the start of `stderr`, if it is there yet.
pub(super) fn peek_group(stderr: &[u8]) -> Option<u32> {
    let rest = stderr.strip_prefix(GROUP_MARK.as_bytes())?;
    let end = rest.iter().position(|b| *b == b'\n')?;
    std::str::from_utf8(&rest[..end]).ok()?.parse().ok()
}

/// Removes the announcement of the process group from `stderr`.
fn take_group(stderr: &mut Vec<u8>) -> Option<u32> {
    let group = peek_group(stderr)?;
    let len = GROUP_MARK.len() + group.to_string().len() + 1;
    stderr.drain(..len);
    Some(group)
}
