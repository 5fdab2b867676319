//! Values: maps and lists on one line when they can be, else one entry per line.

use pest::iterators::Pair;

use super::WIDTH;
use super::layout::{Body, Formatter};
use super::lines::pad;
use crate::syntax::Rule;

impl Formatter<'_> {
    pub(super) fn value(&self, pair: Pair<Rule>, indent: usize, col: usize) -> String {
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
    pub(super) fn value_of(
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
    pub(super) fn inline(
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
