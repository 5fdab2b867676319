//! Connections to hosts. Modules only ever ask for "run this shell script (with this stdin)",
//! so a target needs nothing but a POSIX shell and coreutils.

mod cancel;
mod env;
mod factory;
mod local;
mod output;
mod pool;
mod relink;
pub mod ssh;

use std::sync::Arc;

pub use cancel::Cancel;
pub use env::LocalEnv;
pub use factory::{CONTROLLER, Connections, SshOptions};
pub use local::Local;
pub use output::ExecOutput;
pub use pool::{ConnectionPool, PoolKey, PoolSettings};
pub use relink::{Candidate, Relink, Reopen};
pub use ssh::Ssh;

use crate::shell::quote;

/// How a command gains privileges (`become`): `sudo` to `user`, with a password if given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Become {
    pub user: String,
    pub password: Option<Arc<str>>,
}

/// Why a host could not be used (as opposed to a command that failed).
#[derive(Clone, Debug, thiserror::Error)]
pub enum ConnectionError {
    #[error("cannot run commands on `{host}`: {reason}")]
    Unreachable { host: String, reason: String },
    /// Privilege escalation could not even start; the host itself is fine.
    #[error("cannot become `{user}` on `{host}`: {reason}")]
    Become {
        host: String,
        user: String,
        reason: String,
    },
    #[error("interrupted")]
    Interrupted,
}

/// One open connection to one host, owned by the executor for the whole run.
pub enum Connection {
    Local(Local),
    Ssh(Box<Ssh>),
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Connection::Local(_) => f.write_str("Connection::Local"),
            Connection::Ssh(s) => write!(f, "Connection::Ssh({})", s.host()),
        }
    }
}

impl Connection {
    /// Runs `script` with `sh -c`, optionally as another user, feeding `stdin`.
    pub async fn exec(
        &self,
        script: &str,
        stdin: Option<&[u8]>,
        sudo: Option<&Become>,
    ) -> Result<ExecOutput, ConnectionError> {
        let (line, input) = command_line(script, stdin, sudo, self.login_user());
        let out = match self {
            Connection::Local(local) => local.exec(&line, input.as_deref()).await?,
            Connection::Ssh(ssh) => {
                let stop =
                    |group: u32| command_line(&stop_script(group), None, sudo, self.login_user());
                ssh.exec(&line, input.as_deref(), &stop).await?
            }
        };
        if let Some(b) = sudo.filter(|b| b.user != self.login_user()) {
            let stderr = out.stderr_text();
            if out.status == Some(127) && stderr.contains("sudo") {
                return Err(ConnectionError::Become {
                    host: self.host().into(),
                    user: b.user.clone(),
                    reason: "`sudo` is not installed".into(),
                });
            }
            if out.status == Some(1)
                && (stderr.contains("a password is required")
                    || stderr.contains("incorrect password"))
            {
                return Err(ConnectionError::Become {
                    host: self.host().into(),
                    user: b.user.clone(),
                    reason: stderr.trim().to_string(),
                });
            }
        }
        Ok(out)
    }

    /// The host is going away on purpose (a reboot): an SSH connection is closed now and never
    /// given back to a pool (see [`Relink::retire`]).
    pub async fn retire(&self) {
        if let Connection::Ssh(ssh) = self {
            ssh.retire().await;
        }
    }

    /// The user commands run as when no `become` is asked for.
    pub fn login_user(&self) -> &str {
        match self {
            Connection::Local(local) => local.user(),
            Connection::Ssh(ssh) => ssh.user(),
        }
    }

    pub fn host(&self) -> &str {
        match self {
            Connection::Local(local) => local.host(),
            Connection::Ssh(ssh) => ssh.host(),
        }
    }
}

/// The command line for a script, wrapped in `sudo` when becoming another user, and the stdin
/// to send (the sudo password first, when there is one).
pub fn command_line(
    script: &str,
    stdin: Option<&[u8]>,
    sudo: Option<&Become>,
    login_user: &str,
) -> (String, Option<Vec<u8>>) {
    match sudo.filter(|b| b.user != login_user) {
        None => (
            // A subshell of the login shell (or of the SSH session shell) runs it: no new `sh`
            // process, and `eval` keeps a syntax error in user code inside that subshell.
            format!("(eval {})", quote(script)),
            stdin.map(<[u8]>::to_vec),
        ),
        Some(Become {
            user,
            password: None,
        }) => (
            format!("sudo -n -H -u {} -- sh -c {}", quote(user), quote(script)),
            stdin.map(<[u8]>::to_vec),
        ),
        Some(Become {
            user,
            password: Some(pw),
        }) => {
            // sudo reads the password line only when it asks for one (not under NOPASSWD, nor
            // with cached credentials): the script skips everything up to a marker, so the
            // password never reaches the script's own stdin (a file's content, a command).
            let marker = format!("EOV-STDIN-{:016x}", crate::shell::random());
            let mut input = format!("{pw}\n{marker}\n").into_bytes();
            input.extend_from_slice(stdin.unwrap_or_default());
            (
                format!(
                    "sudo -S -p '' -H -u {} -- sh -c {}",
                    quote(user),
                    quote(&skip_to_marker(script, &marker))
                ),
                Some(input),
            )
        }
    }
}

/// Stops a process group on the target: TERM, then KILL to what is left a second later (`kill
/// -N` without `--`, which dash's builtin refuses). Run
/// when a run is interrupted, on a channel of its own, with the `become` of the command it
/// stops (a command run as root can only be stopped by root).
pub fn stop_script(group: u32) -> String {
    format!(
        "kill -TERM -{group} 2>/dev/null || exit 0\n\
         i=0; while kill -0 -{group} 2>/dev/null && [ $i -lt 10 ]; do sleep 0.1; i=$((i+1)); done\n\
         kill -KILL -{group} 2>/dev/null; exit 0\n"
    )
}

/// `script` preceded by a loop that reads stdin up to and including the line `marker`; `read`
/// takes one byte at a time from a pipe, so nothing after the marker is consumed.
fn skip_to_marker(script: &str, marker: &str) -> String {
    format!(
        "while IFS= read -r eov_l; do [ \"$eov_l\" = {marker} ] && break; done; unset eov_l\n{script}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the script reads when sudo took the password line, and when it did not.
    #[test]
    fn the_sudo_password_never_reaches_the_script() {
        let run = |input: &[u8]| {
            use std::io::Write as _;
            let script = skip_to_marker("cat", "EOV-STDIN-1");
            let mut child = std::process::Command::new("sh")
                .args(["-c", &script])
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            child.stdin.take().unwrap().write_all(input).unwrap();
            String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap()
        };
        assert_eq!(run(b"EOV-STDIN-1\ncontent\nmore"), "content\nmore");
        assert_eq!(run(b"s3cret\nEOV-STDIN-1\ncontent"), "content");
        assert_eq!(run(b"s3cret\nEOV-STDIN-1\n"), "");
        let b = Become {
            user: "root".into(),
            password: Some("s3cret".into()),
        };
        let (line, input) = command_line("cat", Some(b"data"), Some(&b), "eov");
        let input = String::from_utf8(input.unwrap()).unwrap();
        assert!(input.starts_with("s3cret\nEOV-STDIN-") && input.ends_with("\ndata"));
        assert!(!line.contains("s3cret") && !line.contains("data"));
    }
}
