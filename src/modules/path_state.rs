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
///
/// One `find -printf` gives kind, mode, owner, ids, size and link target, so an unchanged file
/// costs one process (two with its checksum): the remote side, not the controller, is what
/// bounds a run of many hosts.
pub async fn probe(
    cx: &ModuleCx<'_>,
    path: &str,
    hash: bool,
    content: bool,
) -> Result<PathState, ModuleError> {
    let p = quote(path);
    let mut file_extra = String::from(":\n");
    if hash {
        file_extra.push_str("sha256sum -- \"$p\" 2>/dev/null || echo\n");
    }
    if content {
        file_extra.push_str(&format!(
            "if [ \"$7\" -le {DIFF_LIMIT} ]; then echo content; cat -- \"$p\"; fi\n"
        ));
    }
    let script = format!(
        "set -f\np={p}\ncase $p in -*) p=./$p ;; esac\n\
         if [ -e \"$p\" ] || [ -L \"$p\" ]; then\n\
         info=$(find \"$p\" -maxdepth 0 -printf '%y %m %u %g %U %G %s\\n>%l\\n') || exit 1\n\
         printf '%s\\n' \"$info\"\n\
         set -- $info\n\
         if [ \"$1\" = f ]; then\n{file_extra}fi\n\
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
    let first = line().ok_or("no probe output")?;
    let mut state = PathState {
        kind: PathKind::Absent,
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
    if first == "absent" {
        return Ok(state);
    }
    let f: Vec<&str> = first.split(' ').collect();
    if f.len() != 7 {
        return Err(format!("unexpected probe output `{first}`"));
    }
    state.kind = match f[0] {
        "f" => PathKind::File,
        "d" => PathKind::Directory,
        "l" => PathKind::Link,
        _ => PathKind::Other,
    };
    state.mode = u32::from_str_radix(f[1], 8).map_err(|e| e.to_string())?;
    state.owner = f[2].to_string();
    state.group = f[3].to_string();
    state.uid = f[4].parse().map_err(|_| "bad uid")?;
    state.gid = f[5].parse().map_err(|_| "bad gid")?;
    state.size = f[6].parse().map_err(|_| "bad size")?;
    let target = line().ok_or("missing link line")?;
    if state.kind == PathKind::Link {
        state.link_target = Some(target.strip_prefix('>').unwrap_or(&target).to_string());
    }
    if state.kind == PathKind::File {
        if hash {
            state.sha256 = line()
                .and_then(|h| h.get(..64).map(str::to_string))
                .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()));
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
