//! The layout of plays, roles, tasks, blocks and their items.

use pest::iterators::Pair;

use super::lines::{Line, Rendered, attach_trailing, gap, pad, push_blank, render_lines};
use crate::syntax::Rule;

#[derive(Clone, Copy, PartialEq)]
pub(super) enum Body {
    /// The top of a file: no header line, a blank line around multi-line items.
    File,
    /// Items of a play, role, task, block or map: one per line.
    Items,
    /// Values of a list: a comma after each.
    List,
}

pub(super) struct Formatter<'a> {
    pub(super) text: &'a str,
}

impl Formatter<'_> {
    /// The items between `open` (just after the opening bracket) and `close` (the closing
    /// bracket), each on its own line at `indent`.
    pub(super) fn body(
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
    pub(super) fn braced(
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
    pub(super) fn end_of(&self, pair: &Pair<Rule>) -> usize {
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
    pub(super) fn open_brace(&self, from: usize) -> usize {
        self.next_char(from, '{')
    }

    /// Where `c` is after `from`, skipping blanks and comments.
    pub(super) fn next_char(&self, from: usize, c: char) -> usize {
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

    pub(super) fn item(&self, pair: Pair<Rule>, indent: usize, col: usize) -> String {
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
    pub(super) fn block(&self, start: usize, kids: Vec<Pair<Rule>>, indent: usize) -> String {
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
}
