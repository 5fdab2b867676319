//! What a change does to a file: content before/after and attribute changes.

use serde::Serialize;

/// One attribute that changes (`mode: 0644 -> 0600`, `state: absent -> directory`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AttrChange {
    pub name: String,
    pub before: String,
    pub after: String,
}

/// The diff of one path. `before`/`after` are `None` when there is no text to show (absent,
/// binary or too large), in which case `note` says why.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FileDiff {
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attrs: Vec<AttrChange>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl FileDiff {
    pub fn new(path: &str) -> Self {
        FileDiff {
            path: path.to_string(),
            ..Default::default()
        }
    }

    pub fn attr(mut self, name: &str, before: impl Into<String>, after: impl Into<String>) -> Self {
        self.attrs.push(AttrChange {
            name: name.into(),
            before: before.into(),
            after: after.into(),
        });
        self
    }

    pub fn is_empty(&self) -> bool {
        self.before == self.after && self.attrs.is_empty() && self.note.is_none()
    }

    /// A unified diff of the content, `--- before` / `+++ after`.
    pub fn unified(&self) -> Option<String> {
        if self.before == self.after {
            return None;
        }
        let before = self.before.as_deref().unwrap_or("");
        let after = self.after.as_deref().unwrap_or("");
        let text = similar::TextDiff::from_lines(before, after)
            .unified_diff()
            .context_radius(3)
            .header(
                &format!("{} (before)", self.path),
                &format!("{} (after)", self.path),
            )
            .to_string();
        Some(text)
    }

    /// Text for a diff side: `None` for bytes that are not UTF-8.
    pub fn text(bytes: &[u8]) -> Option<String> {
        std::str::from_utf8(bytes).ok().map(str::to_string)
    }
}
