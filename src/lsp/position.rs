//! Byte offsets to and from LSP positions (a line and a column in UTF-16 code units, LSP's
//! default encoding).

use serde_json::{Value, json};

pub(super) fn to_position(text: &str, offset: usize) -> Value {
    let offset = offset.min(text.len());
    let offset = (0..=offset)
        .rev()
        .find(|i| text.is_char_boundary(*i))
        .unwrap_or(0);
    let before = &text[..offset];
    let line = before.matches('\n').count();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let character: usize = text[line_start..offset].encode_utf16().count();
    json!({ "line": line, "character": character })
}

/// The byte offset of an LSP position (clamped to its line).
pub(super) fn to_offset(text: &str, position: &Value) -> usize {
    let line = position["line"].as_u64().unwrap_or(0) as usize;
    let character = position["character"].as_u64().unwrap_or(0) as usize;
    let mut start = 0;
    for _ in 0..line {
        match text[start..].find('\n') {
            Some(i) => start += i + 1,
            None => return text.len(),
        }
    }
    let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let mut units = 0;
    for (i, c) in text[start..end].char_indices() {
        if units >= character {
            return start + i;
        }
        units += c.len_utf16();
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_wide_characters() {
        let text = "a\nhé𝄞x = 1\n";
        let at = text.find('x').unwrap();
        let p = to_position(text, at);
        assert_eq!(p, json!({ "line": 1, "character": 4 }));
        assert_eq!(to_offset(text, &p), at);
        assert_eq!(
            to_offset(text, &json!({ "line": 9, "character": 0 })),
            text.len()
        );
    }
}
