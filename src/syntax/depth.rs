//! A nesting limit, checked before the grammar runs: the parser, the AST builder and the
//! checker all recurse once per `[` or `{`, so hostile input (thousands of nested lists)
//! would otherwise overflow the stack and abort the process instead of giving an error.

/// Deeper than any real play (a play, a block in a block, a task, a map in a list in a map
/// is under 20), far below what overflows the stack.
pub const MAX_DEPTH: usize = 64;

/// The byte offset of the first `[` or `{` that opens level `MAX_DEPTH + 1`, skipping
/// strings and comments as the grammar reads them.
pub fn too_deep(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i += 3;
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    i += 1;
                }
                i += 2;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Some(i);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_and_comments_do_not_count() {
        let deep = "[".repeat(MAX_DEPTH + 1);
        assert_eq!(too_deep(&deep), Some(MAX_DEPTH));
        assert_eq!(too_deep(&format!("\"{deep}\"")), None);
        assert_eq!(too_deep(&format!("\"\"\"\n{deep}\n\"\"\"")), None);
        assert_eq!(too_deep(&format!("# {deep}\n")), None);
        assert_eq!(too_deep(&format!("\"\\\"{deep}\"")), None);
        let fine = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert_eq!(too_deep(&fine.repeat(3)), None);
    }
}
