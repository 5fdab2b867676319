//! `eov fmt`: one canonical layout for `.eov` files, comments kept.
//!
//! The layout: two spaces per level; every play, role, task, handler and block body one item
//! per line; a map or list stays on one line when it was written on one line, holds no comment
//! and fits in [`WIDTH`] columns, and is otherwise one entry per line (lists with trailing
//! commas, maps without commas); blank lines between items are kept (at most one), and always
//! one between top-level plays and roles; trailing comments of consecutive one-line items are
//! aligned. Strings, numbers and every other token are copied as written, so the file means
//! exactly what it meant: only whitespace, commas and comment placement change.
//!
//! The grammar's comments are silent, so they are found in the text between sibling nodes.

use pest::Parser as _;
use pest::iterators::Pair;

use super::{Grammar, Rule};
use crate::diagnostic::{Diagnostic, DiagnosticKind};
use crate::source::{FileId, Span};

/// Columns a one-line map or list may reach before it is written one entry per line.
pub const WIDTH: usize = 100;

/// The canonical layout of `text`; a syntax error is located as `eov check` locates it.
pub fn format(file: FileId, text: &str) -> Result<String, Diagnostic> {
    super::parse(file, text)?;
    let top = Grammar::parse(Rule::file, text)
        .expect("the text parsed above")
        .next()
        .expect("the file rule always yields one pair");
    let f = Formatter { text };
    let items: Vec<Pair<Rule>> = top
        .into_inner()
        .filter(|p| p.as_rule() != Rule::EOI)
        .collect();
    let mut out = f.body(0, text.len(), &items, 0, Body::File).lines;
    while out.ends_with('\n') {
        out.pop();
    }
    if !out.is_empty() {
        out.push('\n');
    }
    // What the layout must never change: the tree, every token, every comment in order.
    let (before, after) = (shape(text), shape(&out));
    if before.0 != after.0 {
        // A bug of this formatter: better no layout than a file that means something else.
        return Err(Diagnostic::unlocated(DiagnosticKind::Syntax {
            message: "eov fmt would change what this file means (a bug in eov fmt); the file is left as it is".into(),
        }));
    }
    let texts = |s: &Shape| s.1.iter().map(|c| c.1.clone()).collect::<Vec<_>>();
    if texts(&before) != texts(&after) {
        let lost = before
            .1
            .iter()
            .zip(after.1.iter().map(Some).chain(std::iter::repeat(None)))
            .find(|(b, a)| Some(&b.1) != a.map(|a| &a.1))
            .map_or(0, |(b, _)| b.0);
        return Err(Diagnostic::new(
            DiagnosticKind::CommentPlacement {
                why: "it is inside a line of code (between a name and its value, or inside a header)",
            },
            Span::new(file, lost..lost + 1),
        )
        .help(Some("put it on a line of its own, above the line it explains".into())));
    }
    Ok(out)
}

/// The parse tree (each node's rule, each leaf's text) and the comments, with their offsets.
type Shape = (Vec<(Rule, Option<String>)>, Vec<(usize, String)>);

fn shape(text: &str) -> Shape {
    let top = Grammar::parse(Rule::file, text).expect("formatted text parses");
    let mut nodes = Vec::new();
    let mut comments = Vec::new();
    let mut at = 0;
    for p in top.flatten() {
        let span = p.as_span();
        let leaf = p.clone().into_inner().next().is_none();
        // An empty map, list or rescue is a leaf whose text is only brackets and blanks.
        let structural = matches!(
            p.as_rule(),
            Rule::map | Rule::list | Rule::rescue | Rule::always
        );
        nodes.push((
            p.as_rule(),
            (leaf && !structural).then(|| p.as_str().to_string()),
        ));
        if leaf {
            // Between leaves there is only syntax, blanks and comments: a `#` starts one.
            collect_comments(text, at, span.start(), &mut comments);
            if structural {
                collect_comments(text, span.start(), span.end(), &mut comments);
            }
            at = at.max(span.end());
        }
    }
    collect_comments(text, at, text.len(), &mut comments);
    (nodes, comments)
}

fn collect_comments(text: &str, from: usize, to: usize, out: &mut Vec<(usize, String)>) {
    if from >= to {
        return;
    }
    let mut i = from;
    while let Some(n) = text[i..to].find('#') {
        let start = i + n;
        let end = text[start..].find('\n').map_or(text.len(), |e| start + e);
        out.push((start, text[start..end].trim_end().to_string()));
        i = end.min(to);
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Body {
    /// The top of a file: no header line, a blank line around multi-line items.
    File,
    /// Items of a play, role, task, block or map: one per line.
    Items,
    /// Values of a list: a comma after each.
    List,
}

/// What is between two nodes: comments (and whether each stands on its own line or trails
/// the node before it) and blank lines.
struct Gap {
    /// A comment on the line of the node before the gap.
    trailing: Option<String>,
    /// Comments on lines of their own, each with whether a blank line comes before it.
    own: Vec<(String, bool)>,
    /// A blank line between the last comment (or the gap's start) and the next node.
    blank_after: bool,
}

fn gap(text: &str, file_start: bool) -> Gap {
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
struct Rendered {
    lines: String,
    opening_comment: Option<String>,
}

enum Line {
    Blank,
    Comment(String),
    Item {
        text: String,
        trailing: Option<String>,
    },
}

struct Formatter<'a> {
    text: &'a str,
}

fn pad(indent: usize) -> String {
    "  ".repeat(indent)
}

impl Formatter<'_> {
    /// The items between `open` (just after the opening bracket) and `close` (the closing
    /// bracket), each on its own line at `indent`.
    fn body(
        &self,
        open: usize,
        close: usize,
        items: &[Pair<Rule>],
        indent: usize,
        kind: Body,
    ) -> Rendered {
        let mut lines: Vec<Line> = Vec::new();
        let mut opening_comment = None;
        let mut prev_end = open;
        let start = if kind == Body::File { 0 } else { open };
        let mut previous_multiline = false;
        for (n, item) in items.iter().enumerate() {
            let from = if n == 0 { start } else { prev_end };
            let g = gap(
                &self.text[from..item.as_span().start()],
                kind == Body::File && n == 0,
            );
            match (n, g.trailing) {
                (0, t) => opening_comment = t,
                (_, Some(t)) => attach_trailing(&mut lines, t),
                (_, None) => {}
            }
            let col = indent * 2;
            let mut text = self.item(item.clone(), indent, col);
            if kind == Body::List {
                text.push(',');
            }
            let multiline = text.contains('\n');
            // At the top of a file, a multi-line item stands apart, with its comments.
            let apart = kind == Body::File && n > 0 && (multiline || previous_multiline);
            if apart && !lines.is_empty() {
                push_blank(&mut lines);
            }
            for (c, blank) in g.own {
                if blank && !lines.is_empty() {
                    push_blank(&mut lines);
                }
                lines.push(Line::Comment(c));
            }
            if g.blank_after && !lines.is_empty() {
                push_blank(&mut lines);
            }
            lines.push(Line::Item {
                text,
                trailing: None,
            });
            previous_multiline = multiline;
            prev_end = self.end_of(item);
        }
        let from = if items.is_empty() { start } else { prev_end };
        let g = gap(
            &self.text[from..close],
            kind == Body::File && items.is_empty(),
        );
        if let Some(t) = g.trailing {
            if items.is_empty() {
                opening_comment = Some(t);
            } else {
                attach_trailing(&mut lines, t);
            }
        }
        for (c, blank) in g.own {
            if blank && !lines.is_empty() {
                push_blank(&mut lines);
            }
            lines.push(Line::Comment(c));
        }
        Rendered {
            lines: render_lines(&lines, indent),
            opening_comment,
        }
    }

    /// A braced body after `header`: `header {`, its items, `}`.
    fn braced(
        &self,
        header: String,
        open: usize,
        close: usize,
        items: &[Pair<Rule>],
        indent: usize,
    ) -> String {
        let body = self.body(open + 1, close, items, indent + 1, Body::Items);
        let mut out = header;
        out.push_str(" {");
        if body.lines.is_empty() && body.opening_comment.is_none() {
            out.push('}');
            return out;
        }
        if let Some(c) = body.opening_comment {
            out.push_str("  ");
            out.push_str(&c);
        }
        out.push('\n');
        out.push_str(&body.lines);
        out.push_str(&pad(indent));
        out.push('}');
        out
    }

    /// Where a node really ends: a rule that ends with an optional part (`param`'s default,
    /// `role`'s arguments, `block`'s rescue) has skipped the blanks and comments after it
    /// while looking for that part, and its span includes them.
    fn end_of(&self, pair: &Pair<Rule>) -> usize {
        let end = pair.as_span().end();
        match pair.as_rule() {
            Rule::param | Rule::role_use => pair
                .clone()
                .into_inner()
                .last()
                .map_or(end, |k| k.as_span().end()),
            Rule::block => {
                let kids: Vec<Pair<Rule>> = pair.clone().into_inner().collect();
                match kids.last() {
                    Some(k) if matches!(k.as_rule(), Rule::rescue | Rule::always) => {
                        k.as_span().end()
                    }
                    Some(k) if k.as_rule() != Rule::string => {
                        self.next_char(self.end_of(k), '}') + 1
                    }
                    _ => {
                        let from = kids
                            .first()
                            .map_or(pair.as_span().start() + 5, |k| k.as_span().end());
                        let open = self.open_brace(from);
                        self.next_char(open + 1, '}') + 1
                    }
                }
            }
            _ => end,
        }
    }

    /// Where the `{` after `from` is (only blanks and comments come before it).
    fn open_brace(&self, from: usize) -> usize {
        self.next_char(from, '{')
    }

    /// Where `c` is after `from`, skipping blanks and comments.
    fn next_char(&self, from: usize, c: char) -> usize {
        let bytes = self.text.as_bytes();
        let mut i = from;
        while i < bytes.len() {
            match bytes[i] {
                b'#' => {
                    i = self.text[i..].find('\n').map_or(bytes.len(), |n| i + n);
                }
                b if b == c as u8 => return i,
                _ => i += 1,
            }
        }
        panic!("the grammar guarantees a `{c}` after byte {from}")
    }

    fn item(&self, pair: Pair<Rule>, indent: usize, col: usize) -> String {
        let span = pair.as_span();
        let rule = pair.as_rule();
        let kids: Vec<Pair<Rule>> = pair.into_inner().collect();
        match rule {
            Rule::import | Rule::tasks_import => format!("import {}", kids[0].as_str()),
            Rule::play => {
                let header = format!("play {} on {}", kids[0].as_str(), kids[2].as_str());
                let open = self.open_brace(kids[2].as_span().end());
                self.braced(header, open, span.end() - 1, &kids[3..], indent)
            }
            Rule::role_def => {
                let header = format!("role {}", kids[0].as_str());
                let open = self.open_brace(kids[0].as_span().end());
                self.braced(header, open, span.end() - 1, &kids[1..], indent)
            }
            Rule::task | Rule::handler => {
                let word = if rule == Rule::task {
                    "task"
                } else {
                    "handler"
                };
                let mut header = format!("{word} {}", kids[0].as_str());
                let mut rest = 1;
                if let Some(l) = kids.get(1).filter(|k| k.as_rule() == Rule::loop_clause) {
                    let parts: Vec<Pair<Rule>> = l.clone().into_inner().collect();
                    header.push_str(&format!(" for {} in ", parts[0].as_str()));
                    let at = indent * 2 + header.len();
                    header.push_str(&self.value(parts[1].clone(), indent, at));
                    rest = 2;
                }
                let open = self.open_brace(kids[rest - 1].as_span().end());
                self.braced(header, open, span.end() - 1, &kids[rest..], indent)
            }
            Rule::block => self.block(span.start(), kids, indent),
            Rule::vars_block => format!("vars {}", self.value(kids[0].clone(), indent, col + 5)),
            Rule::role_use => match kids.get(1) {
                Some(map) => {
                    let head = format!("role {} ", kids[0].as_str());
                    let v = self.value(map.clone(), indent, col + head.len());
                    head + &v
                }
                None => format!("role {}", kids[0].as_str()),
            },
            Rule::module_call => {
                let head = format!("{} ", kids[0].as_str());
                let v = self.value(kids[1].clone(), indent, col + head.len());
                head + &v
            }
            Rule::attr | Rule::entry => {
                let head = format!("{} = ", kids[0].as_str());
                let v = self.value(kids[1].clone(), indent, col + head.len());
                head + &v
            }
            Rule::param => {
                let mut out = String::new();
                let mut k = kids.iter().peekable();
                if k.peek().is_some_and(|p| p.as_rule() == Rule::secret_kw) {
                    k.next();
                    out.push_str("secret ");
                }
                let name = k.next().expect("a param's name");
                let ty = k.next().expect("a param's type");
                out.push_str(&format!("param {}: {}", name.as_str(), ty.as_str()));
                if let Some(v) = k.next() {
                    out.push_str(" = ");
                    let at = col + out.len();
                    out.push_str(&self.value(v.clone(), indent, at));
                }
                out
            }
            _ => self.value_of(
                rule,
                span.as_str(),
                kids,
                span.start(),
                span.end(),
                indent,
                col,
            ),
        }
    }

    /// `block "name" { ... } rescue { ... } always { ... }`.
    fn block(&self, start: usize, kids: Vec<Pair<Rule>>, indent: usize) -> String {
        let mut header = "block".to_string();
        let mut from = start + "block".len();
        let mut rest = &kids[..];
        if let Some(name) = kids.first().filter(|k| k.as_rule() == Rule::string) {
            header.push(' ');
            header.push_str(name.as_str());
            from = name.as_span().end();
            rest = &kids[1..];
        }
        let split = rest
            .iter()
            .position(|k| matches!(k.as_rule(), Rule::rescue | Rule::always))
            .unwrap_or(rest.len());
        let (items, tails) = rest.split_at(split);
        let open = self.open_brace(from);
        let body_end = items.last().map_or(open + 1, |p| self.end_of(p));
        let close = self.next_char(body_end, '}');
        let mut out = self.braced(header, open, close, items, indent);
        for tail in tails {
            let word = if tail.as_rule() == Rule::rescue {
                "rescue"
            } else {
                "always"
            };
            let start = tail.as_span().start();
            let end = tail.as_span().end();
            let inner: Vec<Pair<Rule>> = tail.clone().into_inner().collect();
            let open = self.open_brace(start + word.len());
            out.push(' ');
            out.push_str(&self.braced(word.to_string(), open, end - 1, &inner, indent));
        }
        out
    }

    fn value(&self, pair: Pair<Rule>, indent: usize, col: usize) -> String {
        let span = pair.as_span();
        let rule = pair.as_rule();
        let kids: Vec<Pair<Rule>> = pair.into_inner().collect();
        self.value_of(
            rule,
            span.as_str(),
            kids,
            span.start(),
            span.end(),
            indent,
            col,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn value_of(
        &self,
        rule: Rule,
        source: &str,
        kids: Vec<Pair<Rule>>,
        start: usize,
        end: usize,
        indent: usize,
        col: usize,
    ) -> String {
        let (open, close, kind) = match rule {
            Rule::map => ("{", "}", Body::Items),
            Rule::list => ("[", "]", Body::List),
            _ => {
                return self
                    .inline(rule, source, &kids, start, end)
                    .unwrap_or_else(|| source.to_string());
            }
        };
        if let Some(one) = self.inline(rule, source, &kids, start, end)
            && col + one.len() <= WIDTH
        {
            return one;
        }
        let body = self.body(start + 1, end - 1, &kids, indent + 1, kind);
        let mut out = open.to_string();
        if let Some(c) = body.opening_comment {
            out.push_str("  ");
            out.push_str(&c);
        }
        out.push('\n');
        out.push_str(&body.lines);
        if !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&pad(indent));
        out.push_str(close);
        out
    }

    /// A value on one line, if it can be: written on one line, no comment in it, no
    /// multi-line string.
    fn inline(
        &self,
        rule: Rule,
        source: &str,
        kids: &[Pair<Rule>],
        start: usize,
        end: usize,
    ) -> Option<String> {
        let one = |p: &Pair<Rule>| {
            let kids: Vec<Pair<Rule>> = p.clone().into_inner().collect();
            let span = p.as_span();
            self.inline(p.as_rule(), span.as_str(), &kids, span.start(), span.end())
        };
        match rule {
            Rule::map | Rule::list => {
                let inner = &self.text[start + 1..end - 1];
                if let Some(first) = kids.first()
                    && self.text[start + 1..first.as_span().start()].contains('\n')
                {
                    return None;
                }
                // Comments sit between the children (a child's own are its business).
                let mut at = start + 1;
                for k in kids {
                    if self.text[at..k.as_span().start()].contains('#') {
                        return None;
                    }
                    at = k.as_span().end();
                }
                if self.text[at..end - 1].contains('#') || (kids.is_empty() && inner.contains('#'))
                {
                    return None;
                }
                let parts = kids.iter().map(one).collect::<Option<Vec<String>>>()?;
                Some(match (rule, parts.is_empty()) {
                    (Rule::map, true) => "{}".to_string(),
                    (Rule::map, false) => format!("{{ {} }}", parts.join(", ")),
                    (_, true) => "[]".to_string(),
                    (_, false) => format!("[{}]", parts.join(", ")),
                })
            }
            Rule::entry => {
                if self.text[kids[0].as_span().end()..kids[1].as_span().start()].contains('#') {
                    return None;
                }
                Some(format!("{} = {}", kids[0].as_str(), one(&kids[1])?))
            }
            Rule::secret => Some(format!("secret {}", kids[0].as_str())),
            _ if source.contains('\n') => None,
            _ => Some(source.to_string()),
        }
    }
}

/// One blank line, never two.
fn push_blank(lines: &mut Vec<Line>) {
    if !matches!(lines.last(), Some(Line::Blank)) {
        lines.push(Line::Blank);
    }
}

/// A trailing comment goes after the last item written.
fn attach_trailing(lines: &mut [Line], comment: String) {
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
fn render_lines(lines: &[Line], indent: usize) -> String {
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
