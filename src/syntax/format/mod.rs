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

mod layout;
mod lines;
mod values;

use pest::Parser as _;
use pest::iterators::Pair;

use super::{Grammar, Rule};
use crate::diagnostic::{Diagnostic, DiagnosticKind};
use crate::source::{FileId, Span};
use layout::{Body, Formatter};

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
