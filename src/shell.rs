//! Shell quoting and the small POSIX scripts every module shares.

/// Quotes a word for a POSIX shell: safe words stay bare, others go in single quotes.
pub fn quote(word: &str) -> String {
    if !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"@%+=:,./-_".contains(&b))
    {
        return word.to_string();
    }
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// The parent directory of a remote path ("." for a bare name).
pub fn parent(path: &str) -> &str {
    match path.trim_end_matches('/').rfind('/') {
        Some(0) => "/",
        Some(i) => &path[..i],
        None => ".",
    }
}

/// Content up to this size, if it is text without NUL bytes, is written by the script itself
/// (`printf`, a shell builtin) rather than sent as stdin through `base64 -d` and `cat`: fewer
/// processes on the host for the common case of a small configuration file.
pub const INLINE_CONTENT: usize = 32 * 1024;

/// The content as a shell word, when it can be written by the script itself.
pub fn inline_content(content: &[u8]) -> Option<String> {
    if content.len() > INLINE_CONTENT || content.contains(&0) {
        return None;
    }
    std::str::from_utf8(content).ok().map(quote)
}

/// A script that writes `content` (a shell word, see [`inline_content`]), or else its stdin,
/// to `dest` atomically: a new temp file in the same directory, its attributes set, then `mv`.
/// A run interrupted at any point leaves the old file intact. Without `mode`, a new file gets
/// the umask's mode and an existing one keeps its mode; without owner and group, its owners.
pub fn atomic_write(
    dest: &str,
    content: Option<&str>,
    mode: Option<u32>,
    owner: Option<&str>,
    group: Option<&str>,
) -> String {
    let d = quote(dest);
    // The temp name comes from the controller (no `mktemp` process); `set -C` makes the
    // redirection fail rather than follow or reuse anything already there.
    let t = quote(&format!("{}/.eov.{:016x}", parent(dest), random()));
    let write = match content {
        Some(word) => format!("printf '%s' {word}"),
        None => "cat".into(),
    };
    let dir = quote(parent(dest));
    let umask = match mode {
        Some(m) if m & !0o666 == 0 => format!("umask {:03o}\n", 0o777 & !m),
        _ => String::new(),
    };
    // Said plainly here rather than as the shell's "cannot create" on the temp name.
    let mut s = format!(
        "set -e\n\
         if [ ! -d {dir} ]; then echo {dir}': no such directory' >&2; exit 1; fi\n\
         if [ ! -w {dir} ]; then echo {dir}': Permission denied' >&2; exit 1; fi\n\
         t={t}\ntrap 'rm -f \"$t\"' EXIT\n{umask}set -C\n{write} > \"$t\"\nset +C\n"
    );
    match mode {
        // A mode the umask can give (no execute or special bits) is set by it, at creation.
        Some(m) if m & !0o666 == 0 => {}
        Some(m) => s.push_str(&format!("chmod {m:o} \"$t\"\n")),
        None => s.push_str(&format!(
            "if [ -e {d} ]; then chmod --reference={d} \"$t\"; fi\n"
        )),
    }
    match (owner, group) {
        (None, None) => s.push_str(&format!(
            "if [ -e {d} ] && ! {{ [ -O {d} ] && [ -G {d} ]; }}; then chown --reference={d} \"$t\" 2>/dev/null || true; fi\n"
        )),
        (o, g) => s.push_str(&format!("chown {} \"$t\"\n", quote(&owner_spec(o, g)))),
    }
    s.push_str(&replace(&d));
    s.push_str("trap - EXIT\n");
    s
}

/// The script's last step: the temp file renamed over `dest` (a quoted word). A file that a
/// container runtime bind-mounts (`/etc/hosts`, `/etc/resolv.conf`) cannot be renamed over
/// (EBUSY): it is rewritten in place instead, the way Ansible's `unsafe_writes` does, since
/// no atomic way exists for it.
fn replace(d: &str) -> String {
    format!(
        "if ! mv -f \"$t\" {d} 2>/dev/null; then\n\
         \x20 if [ -f {d} ] && awk -v p={d} '$5 == p {{ f = 1 }} END {{ exit !f }}' /proc/self/mountinfo; then\n\
         \x20   cat \"$t\" > {d}; rm -f \"$t\"\n\
         \x20 else mv -f \"$t\" {d}; fi\n\
         fi\n"
    )
}

/// A random number for temp names and markers (std's hasher keys are random per process and
/// per call).
pub fn random() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.finish()
}

/// `owner:group`, `owner` or `:group` for chown.
pub fn owner_spec(owner: Option<&str>, group: Option<&str>) -> String {
    match (owner, group) {
        (Some(o), Some(g)) => format!("{o}:{g}"),
        (Some(o), None) => o.to_string(),
        (None, Some(g)) => format!(":{g}"),
        (None, None) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote("abc/def.txt"), "abc/def.txt");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote("$(rm -rf /)"), "'$(rm -rf /)'");
    }

    #[test]
    fn atomic_writes_set_modes_and_keep_existing_ones() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, content: &str, mode: Option<u32>| {
            let dest = dir.path().join(name);
            let word = inline_content(content.as_bytes()).unwrap();
            let script = atomic_write(dest.to_str().unwrap(), Some(&word), mode, None, None);
            let out = std::process::Command::new("sh")
                .arg("-c")
                .arg(script)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let meta = std::fs::metadata(&dest).unwrap();
            (
                std::fs::read_to_string(&dest).unwrap(),
                meta.permissions().mode() & 0o7777,
            )
        };
        assert_eq!(write("a", "it's\n", Some(0o640)), ("it's\n".into(), 0o640));
        assert_eq!(
            write("b", "#!/bin/sh\n", Some(0o755)),
            ("#!/bin/sh\n".into(), 0o755)
        );
        assert_eq!(write("c", "", Some(0o600)), (String::new(), 0o600));
        std::fs::set_permissions(dir.path().join("a"), std::fs::Permissions::from_mode(0o604))
            .unwrap();
        assert_eq!(
            write("a", "new", None),
            ("new".into(), 0o604),
            "an existing mode stays"
        );
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().starts_with(".eov."))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn parents() {
        assert_eq!(parent("/etc/hosts"), "/etc");
        assert_eq!(parent("/etc"), "/");
        assert_eq!(parent("file"), ".");
        assert_eq!(parent("a/b/"), "a");
    }
}
