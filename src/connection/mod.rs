//! Connections to hosts. Modules only ever ask for "run this shell script (with this stdin)",
//! so a target needs nothing but a POSIX shell and coreutils.

mod local;
mod output;

pub use local::Local;
pub use output::ExecOutput;

/// How a command gains privileges (`become`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Become {
    pub user: String,
}

/// Why a host could not be used at all (as opposed to a command that failed).
#[derive(Debug, thiserror::Error)]
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
}

/// One open connection to one host, owned by the executor for the whole run.
#[derive(Debug)]
pub enum Connection {
    Local(Local),
}

impl Connection {
    /// Runs `script` with `sh -c`, optionally as another user, feeding `stdin`.
    pub async fn exec(
        &self,
        script: &str,
        stdin: Option<&[u8]>,
        sudo: Option<&Become>,
    ) -> Result<ExecOutput, ConnectionError> {
        match self {
            Connection::Local(local) => local.exec(script, stdin, sudo).await,
        }
    }

    /// The user commands run as when no `become` is asked for.
    pub fn login_user(&self) -> &str {
        match self {
            Connection::Local(local) => local.user(),
        }
    }
}
