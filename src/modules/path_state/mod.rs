//! What is at some paths: kind, mode, owner, group, size, checksum and, for diffs and text
//! edits, the content of small files. One script answers for any number of paths, so that the
//! probes of several tasks cost one round trip and a handful of processes (see `session.rs`).

mod wire;
#[cfg(test)]
mod wire_tests;

pub use wire::{parse, script};

use super::{ModuleCx, ModuleError};

/// Content up to this size is fetched with the probe when a diff is wanted.
pub const DIFF_LIMIT: u64 = 256 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathKind {
    Absent,
    File,
    Directory,
    Link,
    Other,
}

impl PathKind {
    pub fn name(self) -> &'static str {
        match self {
            PathKind::Absent => "absent",
            PathKind::File => "file",
            PathKind::Directory => "directory",
            PathKind::Link => "link",
            PathKind::Other => "special file",
        }
    }
}

#[derive(Clone, Debug)]
pub struct PathState {
    pub kind: PathKind,
    /// `test -e`: the path exists once symbolic links are followed.
    pub exists: bool,
    pub mode: u32,
    pub owner: String,
    pub group: String,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
    pub link_target: Option<String>,
    pub sha256: Option<String>,
    pub content: Option<Vec<u8>>,
}

impl PathState {
    pub(super) fn absent() -> Self {
        PathState {
            kind: PathKind::Absent,
            exists: false,
            mode: 0,
            owner: String::new(),
            group: String::new(),
            uid: 0,
            gid: 0,
            size: 0,
            link_target: None,
            sha256: None,
            content: None,
        }
    }
}

/// One path to inspect: with `hash`, regular files get a sha256; with `content`, files up to
/// [`DIFF_LIMIT`] their bytes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PathQuery {
    pub path: String,
    pub hash: bool,
    pub content: bool,
}

impl PathQuery {
    pub fn new(path: &str, hash: bool, content: bool) -> Self {
        PathQuery {
            path: path.to_string(),
            hash,
            content,
        }
    }

    /// Whether what this query read answers `q` too (same path, at least as much read).
    pub fn covers(&self, q: &PathQuery) -> bool {
        self.path == q.path && (self.hash || !q.hash) && (self.content || !q.content)
    }

    /// The path as the script names it: `find` would read `-x`, `!` or `(` as an expression.
    pub(super) fn arg(&self) -> String {
        if self.path.starts_with('/') {
            self.path.clone()
        } else {
            format!("./{}", self.path)
        }
    }
}

/// Probes every query: from the probes read ahead when they hold them all, else in one round
/// trip.
pub async fn probe_all(
    cx: &ModuleCx<'_>,
    queries: &[PathQuery],
) -> Result<Vec<PathState>, ModuleError> {
    if let Some(states) = queries.iter().map(|q| cx.read_ahead(q)).collect() {
        return Ok(states);
    }
    probe_many(cx, queries)
        .await?
        .into_iter()
        .zip(queries)
        .map(|(state, q)| {
            state.map_err(|e| ModuleError::State(format!("cannot inspect `{}`: {e}", q.path)))
        })
        .collect()
}

/// Probes every query in one round trip; an answer per query, in order.
pub async fn probe_many(
    cx: &ModuleCx<'_>,
    queries: &[PathQuery],
) -> Result<Vec<Result<PathState, String>>, ModuleError> {
    let out = cx.sh_probe(&script(queries)).await?;
    if !out.success() {
        let reason = out.failure_reason();
        return Ok(queries.iter().map(|_| Err(reason.clone())).collect());
    }
    Ok(parse(&out.stdout, queries))
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
