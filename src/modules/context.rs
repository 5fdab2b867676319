//! What a module may use while it runs.

use std::path::PathBuf;

use minijinja::Value;

use super::ModuleError;
use super::def::SourceKind;
use super::path_state::{PathQuery, PathState};
use super::session::{HostSession, Origin};
use crate::connection::{Become, Connection, ExecOutput, Relink};
use crate::template::Templates;

pub struct ModuleCx<'a> {
    pub host: &'a str,
    pub conn: &'a Connection,
    pub sudo: Option<&'a Become>,
    pub check: bool,
    pub diff: bool,
    pub templates: &'a Templates,
    /// The task's variables, for modules that render (template).
    pub vars: &'a Value,
    /// Where `src` files are looked up, most specific first (role dir, play dir).
    pub search: &'a [PathBuf],
    /// The controller's state directory for fetched files.
    pub fetch_root: &'a std::path::Path,
    /// This host's probes read ahead, and its command count.
    pub session: &'a HostSession,
    /// The run's secrets, for a module that is handed one (the `http` password).
    pub secrets: &'a crate::redact::Secrets,
    /// The connection of the host `conn` reaches, as the run holds it: `reboot` lets it go
    /// and makes the host's next one.
    pub relink: Relink<'a>,
}

impl ModuleCx<'_> {
    /// Runs a script that may change the host: probes read ahead are forgotten first.
    pub async fn sh(&self, script: &str) -> Result<ExecOutput, ModuleError> {
        Ok(self
            .session
            .exec_change(self.conn, script, None, self.sudo, Origin::Eov)
            .await?)
    }

    pub async fn sh_in(&self, script: &str, stdin: &[u8]) -> Result<ExecOutput, ModuleError> {
        Ok(self
            .session
            .exec_change(self.conn, script, Some(stdin), self.sudo, Origin::Eov)
            .await?)
    }

    /// Runs a script whose effect comes after it returns (a reboot): what was read ahead is
    /// forgotten, and nothing is read along with it.
    pub async fn sh_alone(&self, script: &str) -> Result<ExecOutput, ModuleError> {
        Ok(self
            .session
            .exec_change_alone(self.conn, script, self.sudo)
            .await?)
    }

    /// Runs a user's script (`command`, `shell`), with `stdin` if given.
    pub async fn sh_user(
        &self,
        script: &str,
        stdin: Option<&[u8]>,
    ) -> Result<ExecOutput, ModuleError> {
        Ok(self
            .session
            .exec_change(self.conn, script, stdin, self.sudo, Origin::User)
            .await?)
    }

    /// Runs a script that only reads the host.
    pub async fn sh_probe(&self, script: &str) -> Result<ExecOutput, ModuleError> {
        Ok(self
            .session
            .exec(self.conn, script, None, self.sudo)
            .await?)
    }

    /// Runs a script that only reads the host, with `stdin` (an archive to compare).
    pub async fn sh_probe_in(&self, script: &str, stdin: &[u8]) -> Result<ExecOutput, ModuleError> {
        Ok(self
            .session
            .exec(self.conn, script, Some(stdin), self.sudo)
            .await?)
    }

    /// The state of a path read ahead for this task, if any.
    pub fn read_ahead(&self, q: &PathQuery) -> Option<PathState> {
        self.session.lookup(self.conn.host(), self.sudo, q)
    }

    /// Runs a script that must succeed; its stdout on success.
    pub async fn sh_ok(&self, script: &str, what: &str) -> Result<String, ModuleError> {
        let out = self.sh(script).await?;
        Self::ok(out, what)
    }

    /// Runs a script that only reads the host and must succeed; its stdout on success.
    pub async fn probe_ok(&self, script: &str, what: &str) -> Result<String, ModuleError> {
        let out = self.sh_probe(script).await?;
        Self::ok(out, what)
    }

    fn ok(out: ExecOutput, what: &str) -> Result<String, ModuleError> {
        if out.success() {
            Ok(out.stdout_text())
        } else {
            Err(ModuleError::Remote {
                what: what.to_string(),
                reason: out.failure_reason(),
            })
        }
    }

    /// Finds a local source file (`src`) under `subdir` of each search directory, then in it.
    pub fn find_source(&self, name: &str, kind: SourceKind) -> Result<PathBuf, ModuleError> {
        find_source(self.search, name, kind).ok_or_else(|| {
            ModuleError::Usage(format!(
                "`{name}` not found in {}",
                describe_search(self.search, kind)
            ))
        })
    }
}

/// A controller file named by a task: an absolute path as it is, else in the kind's folder
/// of each search directory (role, then play), then in the directory itself.
pub fn find_source(search: &[PathBuf], name: &str, kind: SourceKind) -> Option<PathBuf> {
    let subdir = kind.folder();
    let direct = PathBuf::from(name);
    if direct.is_absolute() {
        return direct.is_file().then_some(direct);
    }
    search
        .iter()
        .flat_map(|dir| [dir.join(subdir).join(name), dir.join(name)])
        .find(|p| p.is_file())
}

pub fn describe_search(search: &[PathBuf], kind: SourceKind) -> String {
    let subdir = kind.folder();
    let dirs: Vec<String> = search
        .iter()
        .map(|d| format!("{}/{subdir}", d.display()))
        .collect();
    dirs.join(", ")
}
