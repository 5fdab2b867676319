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

/// A script that writes stdin to `dest` atomically: a temp file in the same directory, its
/// attributes set, then `mv`. A run interrupted at any point leaves the old file intact.
pub fn atomic_write(
    dest: &str,
    mode: Option<u32>,
    owner: Option<&str>,
    group: Option<&str>,
) -> String {
    let d = quote(dest);
    let dir = quote(parent(dest));
    let mut s =
        format!("set -e\nt=$(mktemp {dir}/.eov.XXXXXX)\ntrap 'rm -f \"$t\"' EXIT\ncat > \"$t\"\n");
    match mode {
        Some(m) => s.push_str(&format!("chmod {m:o} \"$t\"\n")),
        None => s.push_str(&format!(
            "if [ -e {d} ]; then chmod --reference={d} \"$t\"; else chmod $(printf '%o' $((0666 & ~$(umask)))) \"$t\"; fi\n"
        )),
    }
    match (owner, group) {
        (None, None) => s.push_str(&format!(
            "if [ -e {d} ]; then chown --reference={d} \"$t\" 2>/dev/null || true; fi\n"
        )),
        (o, g) => s.push_str(&format!("chown {} \"$t\"\n", quote(&owner_spec(o, g)))),
    }
    s.push_str(&format!("mv -f \"$t\" {d}\ntrap - EXIT\n"));
    s
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
    fn parents() {
        assert_eq!(parent("/etc/hosts"), "/etc");
        assert_eq!(parent("/etc"), "/");
        assert_eq!(parent("file"), ".");
        assert_eq!(parent("a/b/"), "a");
    }
}
