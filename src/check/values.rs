//! Literal values against expected types, and template / expression syntax in strings.

use crate::ast::{Value, ValueKind};
use crate::diagnostic::{Diagnostic, DiagnosticKind};
use crate::modules::spec::ArgType;
use crate::source::{SourceMap, Span};
use crate::template::{TemplateError, Templates, is_templated};

/// True when a literal may only be known at run time (a templated string or a bare path).
fn deferred(v: &Value) -> bool {
    match &v.kind {
        ValueKind::Str(s) => is_templated(s),
        ValueKind::Path(_) => true,
        _ => false,
    }
}

/// Checks `v` against `ty`; `what` names the place ("argument `mode` of `file`").
pub(super) fn check_type(
    ty: ArgType,
    v: &Value,
    what: &str,
    t: &Templates,
    sources: &SourceMap,
    out: &mut Vec<Diagnostic>,
) {
    let found = v.kind.describe().to_string();
    let wrong = |help: Option<&str>| {
        Diagnostic::new(
            DiagnosticKind::WrongType {
                what: what.to_string(),
                expected: ty.describe(),
                found: found.clone(),
            },
            v.span,
        )
        .label(format!("expected {}", ty.describe()))
        .help(help.map(str::to_string))
    };
    let ok = match (ty, &v.kind) {
        (ArgType::Any, _) => true,
        (ArgType::Expr | ArgType::Cond, ValueKind::Str(s)) => {
            expression(s, v.span, t, sources, out);
            true
        }
        (ArgType::Cond, ValueKind::Bool(_)) => true,
        (ArgType::ExprList, ValueKind::Str(s)) => {
            expression(s, v.span, t, sources, out);
            true
        }
        (ArgType::ExprList, ValueKind::List(items)) => {
            for item in items {
                check_type(ArgType::Expr, item, what, t, sources, out);
            }
            true
        }
        (_, _) if deferred(v) => true,
        (ArgType::Str, ValueKind::Str(_) | ValueKind::Secret(_)) => true,
        (ArgType::Ident, ValueKind::Str(s)) => {
            let valid = s
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                out.push(Diagnostic::new(
                    DiagnosticKind::BadName {
                        what: what.to_string(),
                        found: s.clone(),
                    },
                    v.span,
                ));
            }
            true
        }
        (ArgType::Int, ValueKind::Int(_)) | (ArgType::Bool, ValueKind::Bool(_)) => true,
        (ArgType::Mode, ValueKind::Mode(_)) | (ArgType::Duration, ValueKind::Duration(_)) => true,
        (ArgType::Mode, ValueKind::Str(s)) => {
            if let Err(e) = crate::modules::mode::FileMode::parse(s) {
                out.push(wrong(Some(&format!(
                    "{e}; write `0o644`, or a symbolic mode like \"u+x\" or \"g-w,o=r\""
                ))));
            }
            return;
        }
        (ArgType::Mode, ValueKind::Int(i)) => {
            out.push(wrong(Some(&format!("write file modes in octal: `0o{i}`"))));
            return;
        }
        (ArgType::Duration, ValueKind::Int(i)) => {
            out.push(wrong(Some(&format!("give a unit: `{i}s`"))));
            return;
        }
        (ArgType::List, ValueKind::List(_)) | (ArgType::Map, ValueKind::Map(_)) => true,
        (ArgType::StrOrList, ValueKind::Str(_) | ValueKind::Secret(_)) => true,
        (ArgType::StrOrList, ValueKind::List(items)) => {
            for item in items {
                check_type(ArgType::Str, item, what, t, sources, out);
            }
            true
        }
        (ArgType::Choice(choices), ValueKind::Str(s)) => {
            if !choices.contains(&s.as_str()) {
                out.push(
                    Diagnostic::new(
                        DiagnosticKind::BadChoice {
                            what: what.to_string(),
                            choices: crate::modules::spec::choices(choices),
                            found: s.clone(),
                        },
                        v.span,
                    )
                    .help(crate::diagnostic::suggest(s, choices.iter().copied())),
                );
            }
            true
        }
        _ => false,
    };
    if !ok {
        out.push(wrong(None));
    }
}

/// Reports template syntax errors in every string of `v`.
pub(super) fn templates_in(
    v: &Value,
    t: &Templates,
    sources: &SourceMap,
    out: &mut Vec<Diagnostic>,
) {
    match &v.kind {
        ValueKind::Str(s) | ValueKind::Secret(s) if is_templated(s) => {
            if let Err(e) = t.check_template(s) {
                out.push(located(
                    DiagnosticKind::TemplateSyntax {
                        message: e.message.clone(),
                    },
                    &e,
                    s,
                    v.span,
                    sources,
                ));
            } else {
                unknown_names(t.unknown_names(s, false), s, v.span, sources, out);
            }
        }
        ValueKind::Path(p) => expression(p, v.span, t, sources, out),
        ValueKind::List(items) => items.iter().for_each(|i| templates_in(i, t, sources, out)),
        ValueKind::Map(entries) => entries
            .iter()
            .for_each(|e| templates_in(&e.value, t, sources, out)),
        _ => {}
    }
}

pub(super) fn expression(
    s: &str,
    span: Span,
    t: &Templates,
    sources: &SourceMap,
    out: &mut Vec<Diagnostic>,
) {
    if let Err(e) = t.check_expression(s) {
        out.push(located(
            DiagnosticKind::ExpressionSyntax {
                message: e.message.clone(),
            },
            &e,
            s,
            span,
            sources,
        ));
    } else {
        unknown_names(t.unknown_names(s, true), s, span, sources, out);
    }
}

/// Filters and tests that do not exist, each pointed at in the string literal.
fn unknown_names(
    names: Vec<crate::template::UnknownName>,
    content: &str,
    span: Span,
    sources: &SourceMap,
    out: &mut Vec<Diagnostic>,
) {
    for n in names {
        let e = TemplateError {
            range: Some(n.range.clone()),
            ..TemplateError::plain(String::new())
        };
        out.push(
            located(
                DiagnosticKind::UnknownTemplateName {
                    kind: n.kind,
                    name: n.name,
                },
                &e,
                content,
                span,
                sources,
            )
            .help(Some(format!(
                "docs/templates.md lists the {}s eov has",
                n.kind
            ))),
        );
    }
}

/// Points into the string literal where the error is, when the text can be found there.
fn located(
    kind: DiagnosticKind,
    e: &TemplateError,
    content: &str,
    span: Span,
    sources: &SourceMap,
) -> Diagnostic {
    let literal = &sources.text(span.file)[span.range()];
    let precise = e.range.clone().and_then(|r| {
        let piece = content.get(r)?;
        let at = literal.find(piece).filter(|_| !piece.is_empty())?;
        Some(span.sub(at, piece.len()))
    });
    Diagnostic::new(kind, precise.unwrap_or(span))
}
