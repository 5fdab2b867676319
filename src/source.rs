//! Source files and spans: every AST node points back into the text it came from.

use std::ops::Range;
use std::path::{Path, PathBuf};

use codespan_reporting::files::SimpleFiles;

/// Index of a file in a [`SourceMap`].
pub type FileId = usize;

/// A byte range in one source file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Span {
    pub file: FileId,
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(file: FileId, range: Range<usize>) -> Self {
        Span {
            file,
            start: range.start,
            end: range.end,
        }
    }

    pub fn range(self) -> Range<usize> {
        self.start..self.end
    }

    /// A span inside this one, `offset` bytes from its start (clamped to this span).
    pub fn sub(self, offset: usize, len: usize) -> Span {
        let start = (self.start + offset).min(self.end);
        Span {
            file: self.file,
            start,
            end: (start + len).min(self.end).max(start),
        }
    }
}

/// All files read during one invocation, so diagnostics can show their lines.
#[derive(Default)]
pub struct SourceMap {
    files: SimpleFiles<String, String>,
    paths: Vec<PathBuf>,
}

impl SourceMap {
    pub fn add(&mut self, path: &Path, text: String) -> FileId {
        self.paths.push(path.to_path_buf());
        self.files.add(path.display().to_string(), text)
    }

    pub fn text(&self, file: FileId) -> &str {
        self.files
            .get(file)
            .map(|f| f.source().as_str())
            .unwrap_or("")
    }

    pub fn path(&self, file: FileId) -> &Path {
        &self.paths[file]
    }

    pub fn files(&self) -> &SimpleFiles<String, String> {
        &self.files
    }

    /// `file:line:col` (1-based) of a span's start, for one-line messages.
    pub fn location(&self, span: Span) -> String {
        let text = self.text(span.file);
        let before = &text[..span.start.min(text.len())];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        format!("{}:{line}:{col}", self.path(span.file).display())
    }
}

impl std::fmt::Debug for SourceMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SourceMap")
    }
}
