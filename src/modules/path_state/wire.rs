//! The probe's wire format: the POSIX shell script that inspects many paths at once, and the
//! parser of what it prints. Pure functions, tested here against the local `sh`.

use std::collections::HashMap;

use super::{DIFF_LIMIT, PathKind, PathQuery, PathState, sha256_hex};
use crate::shell::quote;

/// Files asked for a checksum only are read whole up to this size (the controller hashes
/// them): `cat` then serves every file of a probe, one process fewer than with `sha256sum`.
pub const HASH_BY_CONTENT: u64 = 16 * 1024;

/// A path as a `find -path` pattern that matches only itself.
fn glob_escape(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The script: a status letter per path from shell builtins, then one `find` over those that
/// exist. `find` prints one record per path, whose first letter says what else comes for it:
/// `C` its bytes (all files' bytes follow the records, from one `cat`), `H` a checksum line
/// (after the bytes, from one `sha256sum`), `I` nothing more. `END` and a NUL close it all.
pub fn script(queries: &[PathQuery]) -> String {
    let all: Vec<String> = distinct_args(queries).iter().map(|a| quote(a)).collect();
    let all = all.join(" ");
    let select = |pick: &dyn Fn(&PathQuery) -> bool| -> Option<String> {
        let mut words: Vec<String> = Vec::new();
        for q in queries.iter().filter(|q| pick(q)) {
            let w = format!("-path {}", quote(&glob_escape(&q.arg())));
            if !words.contains(&w) {
                words.push(w);
            }
        }
        (!words.is_empty()).then(|| format!("\\( {} \\)", words.join(" -o ")))
    };
    let info = "%y %m %u %g %U %G %s\\0%p\\0%l\\0";
    let mut bytes = Vec::new();
    if let Some(sel) = select(&|q| q.content) {
        bytes.push(format!("{sel} -size -{}c", DIFF_LIMIT + 1));
    }
    if let Some(sel) = select(&|q| q.hash) {
        bytes.push(format!("{sel} -size -{}c", HASH_BY_CONTENT + 1));
    }
    let mut expr = String::new();
    if !bytes.is_empty() {
        expr.push_str(&format!(
            "-type f -readable \\( {} \\) -printf 'C{info}' -exec cat -- {{}} + -o ",
            bytes.join(" -o ")
        ));
    }
    if let Some(sel) = select(&|q| q.hash) {
        expr.push_str(&format!(
            "-type f -readable {sel} -printf 'H{info}' -exec sha256sum -- {{}} + -o "
        ));
    }
    expr.push_str(&format!("-printf 'I{info}'"));
    format!(
        "set -f\n\
         for p in {all}; do if [ -e \"$p\" ]; then printf e; elif [ -L \"$p\" ]; then printf l; else printf a; fi; done\n\
         echo\n\
         set --\n\
         for p in {all}; do if [ -e \"$p\" ] || [ -L \"$p\" ]; then set -- \"$@\" \"$p\"; fi; done\n\
         if [ $# -gt 0 ]; then find \"$@\" -maxdepth 0 \\( {expr} \\); fi\n\
         printf 'END\\0'\n"
    )
}

/// Each path once, as the script names it, in the order first asked: the order of the status
/// letters and of `find`'s records.
fn distinct_args(queries: &[PathQuery]) -> Vec<String> {
    let mut args: Vec<String> = Vec::new();
    for q in queries {
        let a = q.arg();
        if !args.contains(&a) {
            args.push(a);
        }
    }
    args
}

/// Splits the script's output into one answer per query.
pub fn parse(out: &[u8], queries: &[PathQuery]) -> Vec<Result<PathState, String>> {
    match parse_sections(out, queries) {
        Ok(states) => states,
        Err(e) => queries.iter().map(|_| Err(e.clone())).collect(),
    }
}

struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn until(&mut self, sep: u8) -> Result<&'a [u8], String> {
        let end = self
            .rest
            .iter()
            .position(|b| *b == sep)
            .ok_or("the probe's output ended early")?;
        let field = &self.rest[..end];
        self.rest = &self.rest[end + 1..];
        Ok(field)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if self.rest.len() < n {
            return Err("the probe's output ended early".into());
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn parse_sections(
    out: &[u8],
    queries: &[PathQuery],
) -> Result<Vec<Result<PathState, String>>, String> {
    let mut r = Reader { rest: out };
    let letters = r.until(b'\n')?;
    let distinct: Vec<Vec<u8>> = distinct_args(queries)
        .into_iter()
        .map(String::into_bytes)
        .collect();
    if letters.len() != distinct.len() {
        return Err(format!("unexpected probe output `{}`", text(letters)));
    }
    let letter = |arg: &[u8]| {
        distinct
            .iter()
            .position(|d| d == arg)
            .map_or(b'a', |i| letters[i])
    };
    // One record per existing path, in the order the script named them.
    let mut found: HashMap<Vec<u8>, PathState> = HashMap::new();
    let mut reads: Vec<(Vec<u8>, usize)> = Vec::new();
    let mut sums = 0;
    for arg in distinct.iter().filter(|a| letter(a) != b'a') {
        let info = r.until(0)?;
        let path = r.until(0)?;
        let link = r.until(0)?;
        let (what, info) = info.split_first().ok_or("an empty probe record")?;
        if path != arg.as_slice() {
            return Err("a path changed while it was inspected".into());
        }
        let state = parse_info(&text(info), link)?;
        match what {
            b'C' => reads.push((arg.clone(), usize::try_from(state.size).unwrap_or(0))),
            b'H' => sums += 1,
            _ => {}
        }
        found.insert(arg.clone(), state);
    }
    let mut contents: HashMap<Vec<u8>, Vec<u8>> = HashMap::new();
    let last = reads.len();
    for (arg, size) in reads {
        // A lone file's bytes, with no checksum line after them, run to the end: a file
        // that grew or shrank since `find` looked at it is still read whole, so a probe of
        // it alone (what a task falls back to) always succeeds.
        let bytes = match r.rest.strip_suffix(b"END\0") {
            Some(all) if last == 1 && sums == 0 => {
                r.rest = b"END\0";
                all
            }
            _ => r.take(size)?,
        };
        contents.insert(arg, bytes.to_vec());
    }
    let mut hashes: HashMap<Vec<u8>, String> = HashMap::new();
    let tail = r.until(0)?;
    let lines = tail
        .strip_suffix(b"END")
        .ok_or("a file changed while it was read")?;
    for line in lines.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        let (name, sum) = parse_sum_line(line).ok_or("a file changed while it was read")?;
        hashes.insert(name, sum);
    }
    if hashes.len() > sums {
        return Err("unexpected checksums".into());
    }
    for (arg, bytes) in &contents {
        hashes.insert(arg.clone(), sha256_hex(bytes));
    }
    Ok(queries
        .iter()
        .map(|q| {
            let arg = q.arg().into_bytes();
            let letter = letter(&arg);
            if letter == b'a' {
                return Ok(PathState::absent());
            }
            let mut state = found
                .get(&arg)
                .cloned()
                .ok_or_else(|| "it could not be read".to_string())?;
            state.exists = letter == b'e';
            if state.kind == PathKind::File {
                if q.hash {
                    state.sha256 = hashes.get(&arg).cloned();
                }
                if q.content {
                    state.content = contents.get(&arg).cloned();
                }
            }
            Ok(state)
        })
        .collect())
}

fn parse_info(info: &str, link: &[u8]) -> Result<PathState, String> {
    let f: Vec<&str> = info.split(' ').collect();
    if f.len() != 7 {
        return Err(format!("unexpected probe output `{info}`"));
    }
    let mut state = PathState::absent();
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
    if state.kind == PathKind::Link {
        state.link_target = Some(text(link));
    }
    Ok(state)
}

/// `HASH  NAME`, or `\HASH  NAME` with `\\`, `\n` and `\r` escaped in NAME (GNU coreutils).
fn parse_sum_line(line: &[u8]) -> Option<(Vec<u8>, String)> {
    let (escaped, line) = match line.strip_prefix(b"\\") {
        Some(rest) => (true, rest),
        None => (false, line),
    };
    let sum = std::str::from_utf8(line.get(..64)?).ok()?;
    if !sum.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let name = line.get(64..)?.strip_prefix(b"  ")?;
    let name = if escaped {
        let mut out = Vec::with_capacity(name.len());
        let mut it = name.iter();
        while let Some(&b) = it.next() {
            if b == b'\\' {
                match it.next() {
                    Some(b'n') => out.push(b'\n'),
                    Some(b'r') => out.push(b'\r'),
                    Some(&other) => out.push(other),
                    None => out.push(b'\\'),
                }
            } else {
                out.push(b);
            }
        }
        out
    } else {
        name.to_vec()
    };
    Some((name, sum.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sum_lines() {
        let h = "a".repeat(64);
        assert_eq!(
            parse_sum_line(format!("{h}  /x y").as_bytes()),
            Some((b"/x y".to_vec(), h.clone()))
        );
        assert_eq!(
            parse_sum_line(format!("\\{h}  /a\\nb\\\\c").as_bytes()),
            Some((b"/a\nb\\c".to_vec(), h.clone()))
        );
        assert_eq!(parse_sum_line(b"sha256sum: x: Permission denied"), None);
    }

    #[test]
    fn a_file_that_grew_since_find_looked_is_read_whole() {
        let q = [PathQuery::new("/x", true, false)];
        let out = b"e\nCf 644 root root 0 0 3\0/x\0\0hello\nEND\0";
        let st = parse(out, &q).pop().unwrap().unwrap();
        assert_eq!(st.sha256.as_deref(), Some(sha256_hex(b"hello\n").as_str()));
        // With two files, sizes are what separates them: a mismatch is an error, not a guess.
        let q = [
            PathQuery::new("/x", true, false),
            PathQuery::new("/y", true, false),
        ];
        let out = b"ee\nCf 644 root root 0 0 3\0/x\0\0Cf 644 root root 0 0 1\0/y\0\0hello\nzEND\0";
        assert!(parse(out, &q).iter().all(Result::is_err));
    }

    #[test]
    fn relative_paths_cannot_read_as_find_expressions() {
        assert_eq!(PathQuery::new("-name", false, false).arg(), "./-name");
        assert_eq!(PathQuery::new("/etc", false, false).arg(), "/etc");
    }
}
