//! A bound on how complex one template tag or expression may be, checked before minijinja
//! parses it: its parser, compiler and evaluator recurse once per operator (`not not … x`
//! nests, `1 + 1 + …` builds a tree as deep as it is long), so a hostile expression of a few
//! thousand terms would overflow the stack and abort the process instead of giving an error.

/// Far more operators than any real expression has in one tag, far below what overflows a
/// 2 MiB stack (a tokio worker's) in a debug build.
pub const MAX_OPERATORS: usize = 300;

/// Why a source is refused: the message, and the byte range of the tag.
pub fn too_complex(source: &str, is_expression: bool) -> Option<(String, std::ops::Range<usize>)> {
    if is_expression {
        return over_limit(source, 0, source.len());
    }
    let bytes = source.as_bytes();
    let mut i = 0;
    while let Some(at) = find(bytes, i, b"{") {
        i = at + 1;
        let close: &[u8] = match bytes.get(at + 1) {
            Some(b'{') => b"}}",
            Some(b'%') => b"%}",
            Some(b'#') => {
                i = find(bytes, at + 2, b"#}").map_or(bytes.len(), |e| e + 2);
                continue;
            }
            _ => continue,
        };
        let end = tag_end(bytes, at + 2, close);
        if let Some(refused) = over_limit(source, at, end) {
            return Some(refused);
        }
        if close == b"%}" && is_raw(&source[at + 2..end.saturating_sub(2).max(at + 2)]) {
            i = find(bytes, end, b"endraw").map_or(bytes.len(), |e| e + 6);
            continue;
        }
        i = end;
    }
    None
}

fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

fn is_raw(tag: &str) -> bool {
    tag.trim_matches(|c: char| c == '-' || c == '+' || c.is_whitespace()) == "raw"
}

/// The end of a tag (after its closing delimiter), skipping string literals.
fn tag_end(bytes: &[u8], mut i: usize, close: &[u8]) -> usize {
    while i < bytes.len() {
        match bytes[i] {
            q @ (b'"' | b'\'') => i = skip_string(bytes, i, q),
            _ if bytes[i..].starts_with(close) => return i + close.len(),
            _ => i += 1,
        }
    }
    bytes.len()
}

fn skip_string(bytes: &[u8], mut i: usize, quote: u8) -> usize {
    i += 1;
    while i < bytes.len() && bytes[i] != quote {
        if bytes[i] == b'\\' {
            i += 1;
        }
        i += 1;
    }
    i + 1
}

/// Counts the operators of `source[start..end]` (outside string literals): symbols that
/// combine or nest terms, and the word operators.
fn over_limit(source: &str, start: usize, end: usize) -> Option<(String, std::ops::Range<usize>)> {
    let bytes = &source.as_bytes()[..end];
    let mut count = 0usize;
    let mut i = start;
    while i < end {
        let b = bytes[i];
        match b {
            b'"' | b'\'' => {
                i = skip_string(bytes, i, b);
                continue;
            }
            b'+' | b'-' | b'*' | b'/' | b'%' | b'~' | b'|' | b'.' | b'<' | b'>' | b'=' | b'!'
            | b'(' | b'[' | b'{' => count += 1,
            _ if b.is_ascii_alphabetic() || b == b'_' => {
                let word_end = bytes[i..]
                    .iter()
                    .position(|c| !(c.is_ascii_alphanumeric() || *c == b'_'))
                    .map_or(end, |p| p + i);
                if matches!(
                    &bytes[i..word_end],
                    b"not" | b"and" | b"or" | b"in" | b"is" | b"if" | b"else"
                ) {
                    count += 1;
                }
                i = word_end;
                continue;
            }
            _ => {}
        }
        if count > MAX_OPERATORS {
            return Some((
                format!(
                    "this expression is too complex: more than {MAX_OPERATORS} operators in one tag"
                ),
                start..end,
            ));
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_operators_per_tag_outside_strings() {
        let many = format!("{{{{ {}true }}}}", "not ".repeat(MAX_OPERATORS + 1));
        let (message, range) = too_complex(&format!("a\n{many}\nb"), false).unwrap();
        assert!(message.contains("too complex"), "{message}");
        assert_eq!(range, 2..2 + many.len());
        let sum = ["1"; MAX_OPERATORS + 2].join("+");
        assert!(too_complex(&sum, true).is_some());
        assert!(too_complex(&["1"; MAX_OPERATORS].join("+"), true).is_none());
        // Spread over many tags, in strings, comments and raw blocks: fine.
        let tag = format!("{{{{ {} }}}}", ["1"; 100].join(" + "));
        assert!(too_complex(&tag.repeat(50), false).is_none());
        let quoted = format!("{{{{ '{}' }}}}", "+".repeat(5000));
        assert!(too_complex(&quoted, false).is_none());
        let comment = format!("{{# {} #}}", "+".repeat(5000));
        assert!(too_complex(&comment, false).is_none());
        let raw = format!("{{% raw %}}{{{{ {} }}}}{{% endraw %}}", "+".repeat(5000));
        assert!(too_complex(&raw, false).is_none());
        assert!(
            too_complex(&"+".repeat(5000), false).is_none(),
            "plain text"
        );
    }

    /// What the limit allows still runs on a tokio worker's 2 MiB stack.
    #[test]
    fn the_limit_is_safe_on_a_small_stack() {
        let sources = [
            format!("{}true", "not ".repeat(MAX_OPERATORS)),
            ["1"; MAX_OPERATORS + 1].join(" + "),
            format!(
                "{}1{}",
                "[".repeat(MAX_OPERATORS / 2),
                "]".repeat(MAX_OPERATORS / 2)
            ),
            format!(
                "{}1{}",
                "(".repeat(MAX_OPERATORS),
                ")".repeat(MAX_OPERATORS)
            ),
            format!("x{}", ".a".repeat(MAX_OPERATORS)),
            format!("1{}", " | string".repeat(MAX_OPERATORS)),
        ];
        std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || {
                let t = crate::template::Templates::new();
                let ctx = minijinja::context! { x => minijinja::Value::from(()) };
                for s in &sources {
                    assert!(too_complex(s, true).is_none(), "{s}");
                    let _ = t.eval(s, &ctx);
                    let _ = t.render_str(&format!("{{{{ {s} }}}}"), &ctx);
                }
            })
            .unwrap()
            .join()
            .unwrap();
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]

        /// Template token soup, with runs of one token thousands long, rendered on a 2 MiB
        /// stack: an error or a value, never an abort. (For longer runs:
        /// `PROPTEST_CASES=100000 cargo test --lib templates_never_abort`.)
        #[test]
        fn templates_never_abort(parts in proptest::collection::vec(
            (proptest::prop_oneof![
                proptest::strategy::Just("not "), proptest::strategy::Just("1"), proptest::strategy::Just(" + "),
                proptest::strategy::Just("("), proptest::strategy::Just(")"), proptest::strategy::Just("["),
                proptest::strategy::Just("]"), proptest::strategy::Just("{"), proptest::strategy::Just("}"),
                proptest::strategy::Just("x"), proptest::strategy::Just(".a"), proptest::strategy::Just(" | upper"),
                proptest::strategy::Just(" if x else "), proptest::strategy::Just("'s'"), proptest::strategy::Just(","),
                proptest::strategy::Just(":"), proptest::strategy::Just("{{ "), proptest::strategy::Just(" }}"),
                proptest::strategy::Just("{% for i in range(3) %}"), proptest::strategy::Just("{% endfor %}"),
                proptest::strategy::Just("{% if x %}"), proptest::strategy::Just("{% endif %}"),
                proptest::strategy::Just("-"), proptest::strategy::Just(" ~ "), proptest::strategy::Just(" * "),
                proptest::strategy::Just("range(100000)"), proptest::strategy::Just(" | product(range(1000))"),
            ], proptest::prop_oneof![1usize..4, 2000usize..6000]),
            0..12,
        )) {
            let text: String = parts.iter().map(|(t, n)| t.repeat(*n)).collect();
            std::thread::Builder::new()
                .stack_size(2 << 20)
                .spawn(move || {
                    let t = crate::template::Templates::new();
                    let ctx = minijinja::context! { x => minijinja::Value::from(true) };
                    let _ = t.check_expression(&text);
                    let _ = t.check_template(&text);
                    let _ = t.eval(&text, &ctx);
                    let _ = t.render_str(&text, &ctx);
                    let _ = t.render_str(&format!("{{{{ {text} }}}}"), &ctx);
                })
                .unwrap()
                .join()
                .unwrap();
        }
    }
}
