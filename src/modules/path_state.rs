//! One round trip that tells what is at a path: kind, mode, owner, group, size, checksum and,
//! for diffs, the content of small files.

use super::{ModuleCx, ModuleError};
use crate::shell::quote;

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

/// Probes `path`; with `hash`, regular files get a sha256; with `content`, small ones their bytes.
pub async fn probe(
    cx: &ModuleCx<'_>,
    path: &str,
    hash: bool,
    content: bool,
) -> Result<PathState, ModuleError> {
    let p = quote(path);
    let stat = "stat -c '%a %U %G %u %g %s' -- \"$p\"";
    let mut file_extra = String::new();
    if hash {
        file_extra.push_str("; sha256sum -- \"$p\" 2>/dev/null | cut -c1-64 || echo");
    }
    if content {
        file_extra.push_str(&format!(
            "; if [ \"$(stat -c %s -- \"$p\")\" -le {DIFF_LIMIT} ]; then echo content; cat -- \"$p\"; fi"
        ));
    }
    let script = format!(
        "p={p}\nif [ -L \"$p\" ]; then echo link; {stat}; readlink -- \"$p\"\n\
         elif [ -d \"$p\" ]; then echo directory; {stat}\n\
         elif [ -f \"$p\" ]; then echo file; {stat}{file_extra}\n\
         elif [ -e \"$p\" ]; then echo other; {stat}\n\
         else echo absent; fi"
    );
    let out = cx.sh(&script).await?;
    if !out.success() {
        return Err(ModuleError::Failed(format!(
            "cannot inspect `{path}`: {}",
            out.failure_reason()
        )));
    }
    parse(&out.stdout, hash)
        .map_err(|e| ModuleError::Failed(format!("cannot inspect `{path}`: {e}")))
}

fn parse(out: &[u8], hash: bool) -> Result<PathState, String> {
    let mut rest = out;
    let mut line = || -> Option<String> {
        if rest.is_empty() {
            return None;
        }
        let end = rest.iter().position(|b| *b == b'\n').unwrap_or(rest.len());
        let l = String::from_utf8_lossy(&rest[..end]).into_owned();
        rest = &rest[(end + 1).min(rest.len())..];
        Some(l)
    };
    let kind = match line().as_deref() {
        Some("absent") => PathKind::Absent,
        Some("file") => PathKind::File,
        Some("directory") => PathKind::Directory,
        Some("link") => PathKind::Link,
        Some("other") => PathKind::Other,
        other => return Err(format!("unexpected probe output {other:?}")),
    };
    let mut state = PathState {
        kind,
        mode: 0,
        owner: String::new(),
        group: String::new(),
        uid: 0,
        gid: 0,
        size: 0,
        link_target: None,
        sha256: None,
        content: None,
    };
    if kind == PathKind::Absent {
        return Ok(state);
    }
    let stat = line().ok_or("missing stat line")?;
    let f: Vec<&str> = stat.split(' ').collect();
    if f.len() != 6 {
        return Err(format!("unexpected stat output `{stat}`"));
    }
    state.mode = u32::from_str_radix(f[0], 8).map_err(|e| e.to_string())?;
    state.owner = f[1].to_string();
    state.group = f[2].to_string();
    state.uid = f[3].parse().map_err(|_| "bad uid")?;
    state.gid = f[4].parse().map_err(|_| "bad gid")?;
    state.size = f[5].parse().map_err(|_| "bad size")?;
    if kind == PathKind::Link {
        state.link_target = line();
    }
    if kind == PathKind::File {
        if hash {
            state.sha256 = line().filter(|h| h.len() == 64);
        }
        if line().as_deref() == Some("content") {
            state.content = Some(rest.to_vec());
        }
    }
    Ok(state)
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
