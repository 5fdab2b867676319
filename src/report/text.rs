//! Text for a terminal: remote output and error messages are data, never commands to the
//! terminal, and never a megabyte on one line.

use std::fmt::Write as _;

/// The longest line an error message keeps; the rest is cut with a note of its size.
pub const MAX_MESSAGE: usize = 1000;

/// Escapes what a terminal would act on: control characters (escape sequences that move the
/// cursor, clear the screen or set the title; carriage returns that overwrite a line) and
/// the Unicode controls that reorder text. Newlines and tabs stay.
pub fn escape_controls(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if needs_escape(c) {
            let code = u32::from(c);
            if code < 0x100 {
                let _ = write!(out, "\\x{code:02x}");
            } else {
                let _ = write!(out, "\\u{{{code:04x}}}");
            }
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` cut after `max` bytes (on a character boundary), with how much was left out.
pub fn shorten(text: &str, max: usize) -> std::borrow::Cow<'_, str> {
    if text.len() <= max {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    std::borrow::Cow::Owned(format!(
        "{}… ({} more bytes)",
        &text[..end],
        text.len() - end
    ))
}

/// Every line of `text` shortened to `max` bytes.
pub fn shorten_lines(text: &str, max: usize) -> String {
    text.split('\n')
        .map(|l| shorten(l, max))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_escaped_and_newlines_kept() {
        assert_eq!(
            escape_controls("\x1b[2J\x1b]0;t\x07a\tb\r\nc\u{202e}d\u{9b}"),
            "\\x1b[2J\\x1b]0;t\\x07a\tb\\x0d\nc\\u{202e}d\\x9b"
        );
        assert!(matches!(
            escape_controls("plain\n"),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn long_text_is_cut_on_a_character_boundary() {
        assert_eq!(shorten("abc", 5), "abc");
        assert_eq!(shorten("ééé", 3), "é… (4 more bytes)");
        assert_eq!(shorten_lines("aaaa\nbb", 2), "aa… (2 more bytes)\nbb");
    }
}
