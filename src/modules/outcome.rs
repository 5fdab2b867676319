//! What a module reports back: a typed outcome, or a typed error.

use indexmap::IndexMap;
use minijinja::Value;

use crate::connection::ConnectionError;
use crate::diff::FileDiff;
use crate::template::TemplateError;

/// Why a module could not do its work. The message is what the user reads; the kind is what
/// the executor decides on.
#[derive(Debug, thiserror::Error)]
pub enum ModuleError {
    /// An argument's value, once rendered, is not usable.
    #[error("argument `{name}` {problem}")]
    Argument { name: String, problem: String },
    /// An argument combination or value the module cannot work with.
    #[error("{0}")]
    Usage(String),
    /// `assert`: a condition was false. In check mode it may have looked at a result only a
    /// real run can know.
    #[error("{0}")]
    Assertion(String),
    /// `fail`: the play asked for it.
    #[error("{0}")]
    Requested(String),
    /// A command eov ran on the host (to inspect or change it) failed.
    #[error("{what}: {reason}")]
    Remote { what: String, reason: String },
    /// A service the module talks to (an HTTP API) failed or could not be reached.
    #[error("{0}")]
    Service(String),
    /// A file on the controller could not be read or written.
    #[error("cannot {action} `{path}`: {error}")]
    Local {
        action: &'static str,
        path: String,
        error: String,
    },
    /// What is on the host does not allow what was asked (a directory where a file should be).
    #[error("{0}")]
    State(String),
    /// The file changed between the probe and the write (another run editing it): the edit
    /// is computed again from what it holds now.
    #[error("{0}")]
    Conflict(String),
    /// The host cannot be used any more.
    #[error(transparent)]
    Connection(#[from] ConnectionError),
    #[error("{0}")]
    Template(#[from] TemplateError),
}

impl ModuleError {
    pub fn argument(name: &str, problem: impl Into<String>) -> Self {
        ModuleError::Argument {
            name: name.to_string(),
            problem: problem.into(),
        }
    }
}

/// What a user's command did (`command`, `shell`): registered as `rc`, `stdout`, `stderr`,
/// `stdout_lines` and `stderr_lines`, and shown for failed tasks or with `-v`.
#[derive(Clone, Debug, Default)]
pub struct CommandOutput {
    pub rc: i64,
    /// Without the final newline.
    pub stdout: String,
    pub stderr: String,
    /// Why it counts as failed (exit status, signal, last line of stderr), if it does.
    pub failure: Option<String>,
}

impl CommandOutput {
    /// The fields it adds to a registered result.
    pub fn register_into(&self, m: &mut IndexMap<String, Value>) {
        let lines = |s: &str| s.lines().map(Value::from).collect::<Value>();
        m.insert("rc".into(), Value::from(self.rc));
        m.insert("stdout".into(), Value::from(self.stdout.as_str()));
        m.insert("stderr".into(), Value::from(self.stderr.as_str()));
        m.insert("stdout_lines".into(), lines(&self.stdout));
        m.insert("stderr_lines".into(), lines(&self.stderr));
    }
}

/// The result of one module run.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    pub changed: bool,
    pub failed: bool,
    pub skipped: bool,
    /// Check mode: the result is one only a real run can know (a command not run), so later
    /// conditions on it cannot be decided.
    pub unknown: bool,
    pub msg: Option<String>,
    pub diffs: Vec<FileDiff>,
    /// A user's command's output.
    pub output: Option<CommandOutput>,
    /// Other fields of the registered result (`cmd`, `stat`, `content`, ...).
    pub data: IndexMap<String, Value>,
    /// Facts to set on the host (set_fact).
    pub facts: IndexMap<String, Value>,
    /// What the executor is asked to do next on this host (`meta`).
    pub directive: Option<Directive>,
}

/// A request from a module to the host's pipeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Directive {
    /// Run the handlers notified so far, now.
    FlushHandlers,
    /// End the play for this host, without failing it.
    EndHost,
}

impl Outcome {
    pub fn ok() -> Self {
        Outcome::default()
    }

    /// Check mode met a missing file that an earlier task may create: not an error yet.
    pub fn absent_in_check(reason: &dyn std::fmt::Display) -> Self {
        let mut o = Outcome::ok().msg(format!(
            "{reason}; an earlier task may create it, so a real run decides"
        ));
        o.skipped = true;
        o
    }

    pub fn msg(mut self, msg: impl Into<String>) -> Self {
        self.msg = Some(msg.into());
        self
    }

    pub fn with_diff(mut self, diff: FileDiff) -> Self {
        if !diff.is_empty() {
            self.diffs.push(diff);
        }
        self
    }

    pub fn data(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.data.insert(key.to_string(), value.into());
        self
    }

    /// The message to show: the module's, else why its command failed.
    pub fn message(&self) -> Option<String> {
        self.msg.clone().or_else(|| {
            self.output
                .as_ref()
                .filter(|_| self.failed)
                .and_then(|o| o.failure.as_ref())
                .map(|f| format!("command failed: {f}"))
        })
    }

    /// The registered fields a module gives (the executor adds `changed`, `failed`...).
    pub fn registered(&self) -> IndexMap<String, Value> {
        let mut m = self.data.clone();
        if let Some(out) = &self.output {
            out.register_into(&mut m);
        }
        m
    }
}
