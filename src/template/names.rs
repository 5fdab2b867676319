//! Filters and tests a template names that do not exist: `eov check` reports them before
//! anything runs (minijinja itself only notices when the expression is evaluated). Names are
//! read from minijinja's own tokenizer, and looked up by evaluating a probe expression, so
//! every builtin, `pycompat` and eov filter counts without a list kept by hand.

use std::collections::HashMap;
use std::sync::Mutex;

use minijinja::machinery::{Token, tokenize};
use minijinja::{Environment, ErrorKind};

/// A filter or a test, as named in a template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownName {
    pub kind: &'static str,
    pub name: String,
    /// Byte range of the name in the source.
    pub range: std::ops::Range<usize>,
}

#[derive(Default)]
pub(super) struct Known {
    cache: Mutex<HashMap<(&'static str, String), bool>>,
}

impl Known {
    fn exists(&self, env: &Environment<'static>, kind: &'static str, name: &str) -> bool {
        let key = (kind, name.to_string());
        if let Some(known) = self.cache.lock().expect("never poisoned").get(&key) {
            return *known;
        }
        let (probe, missing) = match kind {
            "filter" => (format!("none | {name}"), ErrorKind::UnknownFilter),
            _ => (format!("none is {name}"), ErrorKind::UnknownTest),
        };
        let found = match env.compile_expression(&probe) {
            Ok(expr) => !matches!(expr.eval(()), Err(e) if e.kind() == missing),
            Err(_) => true,
        };
        self.cache
            .lock()
            .expect("never poisoned")
            .insert(key, found);
        found
    }

    /// The filters and tests `source` names that the environment lacks.
    pub(super) fn unknown(
        &self,
        env: &Environment<'static>,
        source: &str,
        in_expr: bool,
        syntax: minijinja::syntax::SyntaxConfig,
    ) -> Vec<UnknownName> {
        if super::complexity::too_complex(source, in_expr).is_some() {
            return Vec::new();
        }
        let tokens: Vec<(Token<'_>, minijinja::machinery::Span)> =
            tokenize(source, in_expr, syntax)
                .filter_map(Result::ok)
                .collect();
        let mut out = Vec::new();
        for (i, (tok, _)) in tokens.iter().enumerate() {
            let kind = match tok {
                Token::Pipe => "filter",
                Token::Ident("is") => "test",
                // `{% filter upper %}...{% endfilter %}`
                Token::Ident("filter")
                    if matches!(tokens.get(i.wrapping_sub(1)), Some((Token::BlockStart, _))) =>
                {
                    "filter"
                }
                _ => continue,
            };
            let mut next = i + 1;
            if kind == "test" && matches!(tokens.get(next), Some((Token::Ident("not"), _))) {
                next += 1;
            }
            let Some((Token::Ident(name), span)) = tokens.get(next) else {
                continue;
            };
            if !self.exists(env, kind, name) {
                let start = span.start_offset as usize;
                out.push(UnknownName {
                    kind,
                    name: (*name).to_string(),
                    range: start..start + name.len(),
                });
            }
        }
        out
    }
}
