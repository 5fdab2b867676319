//! `eov doc ROLE`: a role's interface as text, from its source (comments included).

use std::fmt::Write as _;
use std::path::Path;

use crate::ast::{RoleDef, Value, ValueKind};

/// The comment that documents the item on the line of `offset`: the one at the end of that
/// line, else the comment lines just above it.
fn comment_at(source: &str, offset: usize) -> String {
    let line_start = source[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_end = source[offset..]
        .find('\n')
        .map_or(source.len(), |i| offset + i);
    let line = &source[line_start..line_end];
    if let Some(i) = trailing_comment(line) {
        return line[i + 1..].trim().to_string();
    }
    let mut above: Vec<&str> = source[..line_start]
        .lines()
        .rev()
        .take_while(|l| l.trim_start().starts_with('#'))
        .map(|l| l.trim_start().trim_start_matches('#').trim())
        .collect();
    above.reverse();
    above.join(" ")
}

/// Where a `#` comment starts on a line, outside strings.
fn trailing_comment(line: &str) -> Option<usize> {
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match c {
            '\\' if in_string && !escaped => {
                escaped = true;
                continue;
            }
            '"' if !escaped => in_string = !in_string,
            '#' if !in_string => return Some(i),
            _ => {}
        }
        escaped = false;
    }
    None
}

fn literal(v: &Value, source: &str) -> String {
    match &v.kind {
        ValueKind::Secret(_) => "secret \"********\"".into(),
        _ => source[v.span.range()]
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
    }
}

pub fn render(role: &RoleDef, path: &Path, source: &str, files: &[String]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "role {} ({})", role.name.name, path.display());
    let about = comment_at(source, role.span.range().start);
    if !about.is_empty() {
        let _ = writeln!(s, "  {about}");
    }
    s.push_str("\nparameters:\n");
    if role.params.is_empty() {
        s.push_str("  (none)\n");
    }
    for p in &role.params {
        let default = match &p.default {
            Some(v) => format!(" = {}", literal(v, source)),
            None => " (required)".into(),
        };
        let secret = if p.secret { "secret " } else { "" };
        let _ = writeln!(s, "  {secret}{}: {}{default}", p.name.name, p.ty.name);
        let doc = comment_at(source, p.name.span.range().start);
        if !doc.is_empty() {
            let _ = writeln!(s, "      {doc}");
        }
    }
    if !role.handlers.is_empty() {
        s.push_str("\nhandlers (notify by name):\n");
        for h in &role.handlers {
            let _ = writeln!(s, "  {}", h.name);
        }
    }
    if !files.is_empty() {
        s.push_str("\nfiles:\n");
        for f in files {
            let _ = writeln!(s, "  {f}");
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_beside_or_above() {
        let src =
            "# The port.\n# Really.\nparam port: int = 1194\nparam x: str = \"a#b\" # after\n";
        assert_eq!(
            comment_at(src, src.find("param port").unwrap()),
            "The port. Really."
        );
        assert_eq!(comment_at(src, src.find("param x").unwrap()), "after");
    }
}
