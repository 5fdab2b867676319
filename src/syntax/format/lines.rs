//! The text between nodes (comments, blank lines) and the lines of a body.

/// What is between two nodes: comments (and whether each stands on its own line or trails
/// the node before it) and blank lines.
pub(super) struct Gap {
    /// A comment on the line of the node before the gap.
    pub(super) trailing: Option<String>,
    /// Comments on lines of their own, each with whether a blank line comes before it.
    pub(super) own: Vec<(String, bool)>,
    /// A blank line between the last comment (or the gap's start) and the next node.
    pub(super) blank_after: bool,
}

pub(super) fn gap(text: &str, file_start: bool) -> Gap {
    let mut g = Gap {
        trailing: None,
        own: Vec::new(),
        blank_after: false,
    };
    let mut newlines = 0;
    let mut seen_newline = file_start;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\n' => {
                newlines += 1;
                seen_newline = true;
            }
            '#' => {
                let end = text[i..].find('\n').map_or(text.len(), |n| i + n);
                let comment = text[i..end].trim_end().to_string();
                if seen_newline {
                    g.own.push((comment, newlines >= 2));
                } else {
                    g.trailing = Some(comment);
                }
                newlines = 0;
                while chars.peek().is_some_and(|(j, _)| *j < end) {
                    chars.next();
                }
            }
            _ => {}
        }
    }
    g.blank_after = newlines >= 2;
    g
}

/// A body's lines, and the comment that trails its opening brace.
pub(super) struct Rendered {
    pub(super) lines: String,
    pub(super) opening_comment: Option<String>,
}

pub(super) enum Line {
    Blank,
    Comment(String),
    Item {
        text: String,
        trailing: Option<String>,
    },
}

/// One blank line, never two.
pub(super) fn push_blank(lines: &mut Vec<Line>) {
    if !matches!(lines.last(), Some(Line::Blank)) {
        lines.push(Line::Blank);
    }
}

/// A trailing comment goes after the last item written.
pub(super) fn attach_trailing(lines: &mut [Line], comment: String) {
    match lines
        .iter_mut()
        .rev()
        .find(|l| matches!(l, Line::Item { .. }))
    {
        Some(Line::Item { trailing, .. }) => *trailing = Some(comment),
        _ => unreachable!("a trailing comment follows an item"),
    }
}

/// The lines at `indent`; trailing comments of consecutive one-line items aligned.
pub(super) fn render_lines(lines: &[Line], indent: usize) -> String {
    let p = pad(indent);
    let mut out = String::new();
    let mut i = 0;
    while i < lines.len() {
        // A run of one-line items, to align their trailing comments.
        let mut j = i;
        while j < lines.len()
            && matches!(&lines[j], Line::Item { text, .. } if !text.contains('\n'))
        {
            j += 1;
        }
        if j > i {
            let column = lines[i..j]
                .iter()
                .filter_map(|l| match l {
                    Line::Item {
                        text,
                        trailing: Some(_),
                    } => Some(text.chars().count()),
                    _ => None,
                })
                .max()
                .unwrap_or(0);
            for l in &lines[i..j] {
                if let Line::Item { text, trailing } = l {
                    out.push_str(&p);
                    out.push_str(text);
                    if let Some(c) = trailing {
                        let width = text.chars().count();
                        out.push_str(&" ".repeat(column - width + 2));
                        out.push_str(c);
                    }
                    out.push('\n');
                }
            }
            i = j;
            continue;
        }
        match &lines[i] {
            Line::Blank => out.push('\n'),
            Line::Comment(c) => {
                out.push_str(&p);
                out.push_str(c);
                out.push('\n');
            }
            Line::Item { text, trailing } => {
                out.push_str(&p);
                out.push_str(text);
                if let Some(c) = trailing {
                    out.push_str("  ");
                    out.push_str(c);
                }
                out.push('\n');
            }
        }
        i += 1;
    }
    out
}

/// Two spaces per level.
pub(super) fn pad(indent: usize) -> String {
    "  ".repeat(indent)
}
