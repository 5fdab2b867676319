//! String literal bodies: escapes in "...", indentation in """...""".

/// Resolves the escapes the grammar accepted.
pub(super) fn unescape(body: &str) -> Result<String, String> {
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('0') => out.push('\0'),
            Some('"') => out.push('"'),
            Some('\\') => out.push('\\'),
            Some('u') => {
                let hex: String = chars.by_ref().skip(1).take_while(|c| *c != '}').collect();
                let code = u32::from_str_radix(&hex, 16).map_err(|e| e.to_string())?;
                out.push(
                    char::from_u32(code)
                        .ok_or_else(|| format!("`\\u{{{hex}}}` is not a character"))?,
                );
            }
            other => {
                return Err(format!(
                    "unknown escape `\\{}`",
                    other.map(String::from).unwrap_or_default()
                ));
            }
        }
    }
    Ok(out)
}

/// A `"""` body: drop the first line break, remove the indentation common to all non-blank
/// lines, and drop the indentation before the closing quotes. The text keeps a final newline
/// when the closing quotes stand on their own line.
pub(super) fn dedent(body: &str) -> String {
    let body = body
        .strip_prefix("\r\n")
        .or_else(|| body.strip_prefix('\n'))
        .unwrap_or(body);
    let (body, closing_on_own_line) = match body.rfind('\n') {
        Some(i) if body[i + 1..].trim().is_empty() => (&body[..=i], true),
        _ => (body, false),
    };
    let indent = body
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start_matches([' ', '\t']).len())
        .min()
        .unwrap_or(0);
    let mut out = String::with_capacity(body.len());
    for line in body.split_inclusive('\n') {
        if line.trim().is_empty() {
            out.push_str(if line.ends_with('\n') { "\n" } else { "" });
        } else {
            out.push_str(&line[indent.min(line.len())..]);
        }
    }
    if !closing_on_own_line && out.ends_with('\n') {
        out.pop();
    }
    out
}
