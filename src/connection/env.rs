//! What the controller's environment says about connecting: read once, by the command line
//! (or a server at start), and handed down, so nothing deeper reads environment variables.

use std::path::PathBuf;

#[derive(Clone, Debug)]
pub struct LocalEnv {
    /// `~`: where `.ssh/config`, `.ssh/known_hosts` and the default keys are.
    pub home: PathBuf,
    /// The controller's user: the `local` connection's login user, and the SSH user when
    /// nothing else names one (as `ssh` does).
    pub user: String,
    /// The ssh-agent socket (`SSH_AUTH_SOCK`).
    pub agent: Option<PathBuf>,
}

impl LocalEnv {
    /// From this process's environment (`HOME`, `USER`, `SSH_AUTH_SOCK`).
    pub fn from_process() -> Self {
        let user = std::env::var("USER")
            .ok()
            .filter(|u| !u.is_empty())
            .or_else(|| {
                let out = std::process::Command::new("id").arg("-un").output().ok()?;
                Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
            })
            .unwrap_or_else(|| "root".into());
        LocalEnv {
            home: std::env::var_os("HOME").map_or_else(|| PathBuf::from("/root"), PathBuf::from),
            user,
            agent: std::env::var_os("SSH_AUTH_SOCK")
                .filter(|s| !s.is_empty())
                .map(PathBuf::from),
        }
    }
}

impl Default for LocalEnv {
    fn default() -> Self {
        LocalEnv {
            home: PathBuf::from("/root"),
            user: "root".into(),
            agent: None,
        }
    }
}
