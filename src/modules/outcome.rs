//! What a module reports back.

use indexmap::IndexMap;
use minijinja::Value;

use crate::connection::ConnectionError;
use crate::diff::FileDiff;
use crate::template::TemplateError;

#[derive(Debug, thiserror::Error)]
pub enum ModuleError {
    /// The task failed; the message says why.
    #[error("{0}")]
    Failed(String),
    /// The host cannot be used any more.
    #[error(transparent)]
    Connection(#[from] ConnectionError),
    #[error("{0}")]
    Template(#[from] TemplateError),
}

/// The result of one module run.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    pub changed: bool,
    pub failed: bool,
    pub skipped: bool,
    pub msg: Option<String>,
    pub diffs: Vec<FileDiff>,
    /// Fields of the registered result (`rc`, `stdout`, `stat`, ...).
    pub data: IndexMap<String, Value>,
    /// Facts to set on the host (set_fact).
    pub facts: IndexMap<String, Value>,
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
}
