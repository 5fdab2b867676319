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

/// What the script of [`atomic_write`] must receive on stdin: the content's length and its
/// sha256 (lowercase hex), checked on the target before the rename.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expected {
    pub len: usize,
    pub sha256: String,
    /// What the file must still hold for the rename to happen (compare-and-swap).
    pub before: Before,
}

/// The state a file was read in, for an edit computed from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Before {
    /// Replace whatever is there.
    Any,
    /// The file did not exist.
    Absent,
    /// The file held content with this sha256.
    Sha256(String),
}

/// The exit status of [`atomic_write`] when the file changed since it was read.
pub const CHANGED_SINCE_READ: i32 = 75;

pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    format!("{:x}", sha2::Sha256::digest(bytes))
}

impl Expected {
    pub fn of(content: &[u8]) -> Self {
        Expected {
            len: content.len(),
            sha256: sha256_hex(content),
            before: Before::Any,
        }
    }

    /// Renames only if the file is still as it was read.
    #[must_use]
    pub fn replacing(mut self, before: Before) -> Self {
        self.before = before;
        self
    }
}

/// The shell lines that take the lock of `dest` (a directory beside it, `mkdir` being atomic;
/// one left by a writer that died is taken over) and check that it still holds `before`.
fn compare(dest: &str, before: &Before) -> String {
    let d = &quote(dest);
    let check = match before {
        Before::Any => return String::new(),
        Before::Absent => format!("[ ! -e {d} ]"),
        Before::Sha256(sum) => format!(
            "[ -f {d} ] && c=$(sha256sum < {d}) && [ \"${{c%% *}}\" = {} ]",
            quote(sum)
        ),
    };
    format!(
        // The lock is a file made with O_EXCL (`set -C`) holding the writer's pid: made by
        // the shell itself, no process to start (a write costs a few processes already).
        "l={lock}\n\
         i=0\n\
         set -C\n\
         until {{ echo $$ > \"$l\"; }} 2>/dev/null; do\n\
         \x20 o=$(cat \"$l\" 2>/dev/null) || o=\n\
         \x20 if [ -n \"$o\" ] && ! kill -0 \"$o\" 2>/dev/null; then rm -f \"$l\"; continue; fi\n\
         \x20 i=$((i+1)); if [ $i -gt 300 ]; then echo {d}': locked by another writer' >&2; exit 1; fi\n\
         \x20 sleep 0.1\n\
         done\n\
         set +C\n\
         trap 'rm -f \"$t\" \"$l\"' EXIT\n\
         if ! {{ {check}; }}; then echo {d}': changed since it was read' >&2; exit {CHANGED_SINCE_READ}; fi\n",
        lock = quote(&format!("{dest}.eov-lock")),
    )
}

/// A script that writes its stdin to `dest` atomically: a new temp file in the same
/// directory, renamed over `dest` only once its length and sha256 match `expected`. The
/// content never appears in the script (with `become` the script is on sudo's command line,
/// visible to every user of the host). A closed channel ends stdin early: the check fails,
/// the temp file is removed (also on HUP, INT and TERM) and the old file stays. Without
/// `mode`, a new file gets the umask's mode and an existing one keeps its mode; without owner
/// and group, its owners.
pub fn atomic_write(
    dest: &str,
    expected: &Expected,
    mode: Option<u32>,
    owner: Option<&str>,
    group: Option<&str>,
) -> String {
    atomic_write_with(dest, expected, mode.map(WriteMode::Octal), owner, group)
}

/// The mode [`atomic_write_with`] gives the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WriteMode {
    Octal(u32),
    /// A `chmod` argument applied to the temp file as created with the umask (a symbolic mode
    /// for a file that does not exist yet), before the rename: never visible with another mode.
    Chmod(String),
}

/// [`atomic_write`] with a mode that may be symbolic.
pub fn atomic_write_with(
    dest: &str,
    expected: &Expected,
    mode: Option<WriteMode>,
    owner: Option<&str>,
    group: Option<&str>,
) -> String {
    let d = quote(dest);
    // The temp name comes from the controller (no `mktemp` process); `set -C` makes the
    // redirection fail rather than follow or reuse anything already there.
    let t = quote(&format!("{}/.eov.{:016x}", parent(dest), random()));
    let dir = quote(parent(dest));
    let umask = match mode {
        Some(WriteMode::Octal(m)) if m & !0o666 == 0 => format!("umask {:03o}\n", 0o777 & !m),
        _ => String::new(),
    };
    let (len, sum) = (expected.len, quote(&expected.sha256));
    // Said plainly here rather than as the shell's "cannot create" on the temp name. A signal
    // turns into an exit, so the EXIT trap removes the temp file then too.
    let mut s = format!(
        "set -e\n\
         if [ ! -d {dir} ]; then echo {dir}': no such directory' >&2; exit 1; fi\n\
         if [ ! -w {dir} ]; then echo {dir}': Permission denied' >&2; exit 1; fi\n\
         t={t}\ntrap 'rm -f \"$t\"' EXIT\ntrap 'exit 129' HUP\ntrap 'exit 130' INT\ntrap 'exit 143' TERM\n\
         {umask}set -C\ncat > \"$t\"\nset +C\n\
         s=$(sha256sum < \"$t\")\n\
         if [ \"${{s%% *}}\" != {sum} ]; then\n\
         \x20 n=$(wc -c < \"$t\")\n\
         \x20 if [ \"$n\" -ne {len} ]; then echo \"transfer incomplete: got $n of {len} bytes\" >&2;\n\
         \x20 else echo 'transfer corrupted: the checksum does not match' >&2; fi\n\
         \x20 exit 1\n\
         fi\n"
    );
    match mode {
        // A mode the umask can give (no execute or special bits) is set by it, at creation.
        Some(WriteMode::Octal(m)) if m & !0o666 == 0 => {}
        Some(WriteMode::Octal(m)) => s.push_str(&format!("chmod {m:o} \"$t\"\n")),
        Some(WriteMode::Chmod(arg)) => s.push_str(&format!("chmod {} \"$t\"\n", quote(&arg))),
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
    s.push_str(&compare(dest, &expected.before));
    s.push_str(&replace(&d));
    if expected.before != Before::Any {
        s.push_str("rm -f \"$l\"\n");
    }
    s.push_str("trap - EXIT\n");
    s
}

/// The script's rename: the temp file over `dest` (a quoted word). A file that a container
/// runtime bind-mounts (`/etc/hosts`, `/etc/resolv.conf`) cannot be renamed over (EBUSY): it
/// is rewritten in place instead, the way Ansible's `unsafe_writes` does, since no atomic way
/// exists for it.
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

    /// Runs `script` with `sh -c`, `input` on its stdin; its exit status and stderr.
    fn sh_with_stdin(script: &str, input: &[u8]) -> (bool, String) {
        use std::io::Write as _;
        let mut child = std::process::Command::new("sh")
            .arg("-c")
            .arg(script)
            .stdin(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(input).unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn leftovers(dir: &std::path::Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".eov."))
            .collect()
    }

    #[test]
    fn atomic_writes_set_modes_and_keep_existing_ones() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, content: &str, mode: Option<u32>| {
            let dest = dir.path().join(name);
            let expected = Expected::of(content.as_bytes());
            let script = atomic_write(dest.to_str().unwrap(), &expected, mode, None, None);
            assert!(!script.contains(content) || content.is_empty());
            let (ok, stderr) = sh_with_stdin(&script, content.as_bytes());
            assert!(ok, "{stderr}");
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
        assert!(leftovers(dir.path()).is_empty());
    }

    /// A transfer cut short (the channel closed early) or altered never replaces the file.
    #[test]
    fn atomic_writes_rename_only_the_whole_content() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("f");
        std::fs::write(&dest, "old\n").unwrap();
        let content = "new content, longer than what arrives\n".repeat(100);
        let script = atomic_write(
            dest.to_str().unwrap(),
            &Expected::of(content.as_bytes()),
            None,
            None,
            None,
        );
        let (ok, stderr) = sh_with_stdin(&script, &content.as_bytes()[..1000]);
        assert!(!ok);
        assert_eq!(
            stderr.trim(),
            format!("transfer incomplete: got 1000 of {} bytes", content.len())
        );
        assert_eq!(std::fs::read_to_string(&dest).unwrap(), "old\n");
        assert!(leftovers(dir.path()).is_empty());

        let mut altered = content.clone().into_bytes();
        altered[10] = b'X';
        let (ok, stderr) = sh_with_stdin(&script, &altered);
        assert!(!ok);
        assert!(stderr.contains("checksum does not match"), "{stderr}");
        assert_eq!(std::fs::read_to_string(&dest).unwrap(), "old\n");
        assert!(leftovers(dir.path()).is_empty());

        let (ok, stderr) = sh_with_stdin(&script, content.as_bytes());
        assert!(ok, "{stderr}");
        assert_eq!(std::fs::read_to_string(&dest).unwrap(), content);
        assert!(leftovers(dir.path()).is_empty());
    }

    /// A write killed by a signal while it waits for content removes its temp file.
    #[test]
    fn atomic_writes_clean_up_on_signals() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("f");
        std::fs::write(&dest, "old\n").unwrap();
        let script = atomic_write(
            dest.to_str().unwrap(),
            &Expected::of(b"whatever"),
            None,
            None,
            None,
        );
        for sig in ["HUP", "INT", "TERM"] {
            let mut child = std::process::Command::new("sh")
                .arg("-c")
                .arg(&script)
                .stdin(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            while leftovers(dir.path()).is_empty() && std::time::Instant::now() < deadline {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            assert!(!leftovers(dir.path()).is_empty(), "the temp file exists");
            std::process::Command::new("kill")
                .args([format!("-{sig}"), child.id().to_string()])
                .status()
                .unwrap();
            let status = child.wait().unwrap();
            assert!(!status.success(), "{sig}");
            assert!(leftovers(dir.path()).is_empty(), "{sig}");
            assert_eq!(std::fs::read_to_string(&dest).unwrap(), "old\n");
        }
    }

    /// An edit is written only over the content it was computed from; the lock is released.
    #[test]
    fn atomic_writes_compare_and_swap() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("f");
        let d = dest.to_str().unwrap();
        std::fs::write(&dest, "one\n").unwrap();
        let write = |content: &str, before: Before| {
            let e = Expected::of(content.as_bytes()).replacing(before);
            let script = atomic_write(d, &e, None, None, None);
            let mut child = std::process::Command::new("sh")
                .arg("-c")
                .arg(script)
                .stdin(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            {
                use std::io::Write as _;
                child
                    .stdin
                    .take()
                    .unwrap()
                    .write_all(content.as_bytes())
                    .unwrap();
            }
            let out = child.wait_with_output().unwrap();
            (
                out.status.code(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        };
        let stale = Before::Sha256(sha256_hex(b"zero\n"));
        let (code, err) = write("two\n", stale);
        assert_eq!(code, Some(CHANGED_SINCE_READ), "{err}");
        assert!(err.contains("changed since it was read"), "{err}");
        assert_eq!(std::fs::read_to_string(&dest).unwrap(), "one\n");
        assert_eq!(write("two\n", Before::Absent).0, Some(CHANGED_SINCE_READ));
        let (code, err) = write("two\n", Before::Sha256(sha256_hex(b"one\n")));
        assert_eq!(code, Some(0), "{err}");
        assert_eq!(std::fs::read_to_string(&dest).unwrap(), "two\n");
        let new = dir.path().join("g");
        let e = Expected::of(b"x").replacing(Before::Absent);
        let script = atomic_write(new.to_str().unwrap(), &e, None, None, None);
        assert!(sh_with_stdin(&script, b"x").0);
        // A lock left by a writer that died is taken over.
        std::fs::write(dir.path().join("f.eov-lock"), "999999999\n").unwrap();
        let (code, err) = write("three\n", Before::Sha256(sha256_hex(b"two\n")));
        assert_eq!(code, Some(0), "{err}");
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            names.iter().all(|n| n == "f" || n == "g"),
            "left behind: {names:?}"
        );
    }

    #[test]
    fn parents() {
        assert_eq!(parent("/etc/hosts"), "/etc");
        assert_eq!(parent("/etc"), "/");
        assert_eq!(parent("file"), ".");
        assert_eq!(parent("a/b/"), "a");
    }
}
