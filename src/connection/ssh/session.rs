//! A long-lived remote shell on one channel. Each command is written to its stdin followed by
//! markers that end its output on stdout and stderr, so a command costs no new SSH channel (no
//! new sshd session process): that is what bounds a run of many hosts. A command that must run
//! while the session is busy, or with a large stdin, takes a channel of its own instead.

use std::hash::{BuildHasher, Hasher};

use base64::Engine as _;
use russh::client::Msg;
use russh::{ChannelMsg, ChannelReadHalf, ChannelWriteHalf, Sig};

use super::super::ExecOutput;

/// Larger stdin goes through a channel of its own rather than through the shell's stdin.
const INLINE_STDIN: usize = 64 * 1024;

struct Shell {
    read: ChannelReadHalf,
    write: ChannelWriteHalf<Msg>,
    seq: u64,
    salt: u64,
}

pub(super) struct Session {
    shell: tokio::sync::Mutex<Option<Shell>>,
}

/// How a command through the session ended.
pub(super) enum Ran {
    Done(ExecOutput),
    /// The session could not take it (busy, too much stdin, or gone): use a channel.
    Declined,
    /// The session died while the command ran.
    Lost(String),
    /// The run was interrupted; the process group of the command, if it said.
    Interrupted(Option<u32>),
}

async fn start<H: russh::client::Handler>(handle: &russh::client::Handle<H>) -> Option<Shell> {
    let channel = handle.channel_open_session().await.ok()?;
    channel.exec(true, "exec sh").await.ok()?;
    let (read, write) = channel.split();
    let salt = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    Some(Shell {
        read,
        write,
        seq: 0,
        salt,
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

impl Session {
    pub(super) fn closed() -> Self {
        Session {
            shell: tokio::sync::Mutex::new(None),
        }
    }

    /// Starts `sh` on a new channel of `handle`.
    pub(super) async fn open<H: russh::client::Handler>(handle: &russh::client::Handle<H>) -> Self {
        Session {
            shell: tokio::sync::Mutex::new(start(handle).await),
        }
    }

    /// Replaces the shell with a new one (a run that reuses a pooled connection starts from a
    /// clean shell, and one that a cancelled run closed comes back); whether one is open now.
    /// Opening it needs the server's answer, so it also proves the connection is alive.
    pub(super) async fn restart<H: russh::client::Handler>(
        &self,
        handle: &russh::client::Handle<H>,
    ) -> bool {
        let mut guard = self.shell.lock().await;
        if let Some(old) = guard.take() {
            // EOF ends `sh`; its channel then closes.
            let _ = old.write.eof().await;
        }
        *guard = start(handle).await;
        guard.is_some()
    }

    pub(super) async fn run(
        &self,
        line: &str,
        stdin: Option<&[u8]>,
        cancel: &super::super::Cancel,
    ) -> Ran {
        if stdin.is_some_and(|s| s.len() > INLINE_STDIN) {
            return Ran::Declined;
        }
        let Ok(mut guard) = self.shell.try_lock() else {
            return Ran::Declined;
        };
        let Some(shell) = guard.as_mut() else {
            return Ran::Declined;
        };
        shell.seq += 1;
        let nonce = format!("EOV{:016x}{:x}", shell.salt, shell.seq);
        let input = match stdin {
            Some(bytes) => format!(
                "printf '%s' '{}' | base64 -d | ",
                base64::engine::general_purpose::STANDARD.encode(bytes)
            ),
            None => String::new(),
        };
        let redirect = if stdin.is_some() { "" } else { " </dev/null" };
        let command = format!(
            "{input}{line}{redirect}; printf '\\n%s %s\\n' {nonce} $?; printf '%s\\n' {nonce} >&2\n"
        );
        if shell.write.data(command.as_bytes()).await.is_err() {
            *guard = None;
            return Ran::Declined;
        }
        let out_mark = format!("\n{nonce} ");
        let err_mark = format!("{nonce}\n");
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let mut status = None;
        loop {
            let msg = tokio::select! {
                m = shell.read.wait() => m,
                () = cancel.cancelled() => {
                    let _ = shell.write.signal(Sig::INT).await;
                    let _ = shell.write.close().await;
                    *guard = None;
                    return Ran::Interrupted(super::exec::peek_group(&err));
                }
            };
            match msg {
                Some(ChannelMsg::Data { data }) => out.extend_from_slice(&data),
                Some(ChannelMsg::ExtendedData { data, ext: 1 }) => err.extend_from_slice(&data),
                Some(
                    ChannelMsg::Eof
                    | ChannelMsg::Close
                    | ChannelMsg::ExitStatus { .. }
                    | ChannelMsg::ExitSignal { .. },
                )
                | None => {
                    *guard = None;
                    return Ran::Lost("the remote shell ended while a command ran".into());
                }
                Some(_) => {}
            }
            if status.is_none()
                && let Some(at) = find(&out, out_mark.as_bytes())
            {
                let tail = &out[at + out_mark.len()..];
                if let Some(end) = tail.iter().position(|b| *b == b'\n') {
                    status = String::from_utf8_lossy(&tail[..end])
                        .trim()
                        .parse::<i32>()
                        .ok()
                        .or(Some(-1));
                    out.truncate(at);
                }
            }
            if status.is_some() && err.ends_with(err_mark.as_bytes()) {
                err.truncate(err.len() - err_mark.len());
                return Ran::Done(ExecOutput {
                    status,
                    signal: None,
                    stdout: out,
                    stderr: err,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn finds_markers() {
        assert_eq!(super::find(b"abc\nEOV1 0\n", b"\nEOV1 "), Some(3));
        assert_eq!(super::find(b"abc", b"zz"), None);
    }
}
