//! The settings (`name = value`) each context accepts, and their types.

use indexmap::IndexMap;

use crate::ast::{Attr, Value, ValueKind};
use crate::diagnostic::{Diagnostic, DiagnosticKind, suggest};
use crate::modules::spec::ArgType;
use crate::program::{Become, Cond};

pub(super) type Allowed = &'static [(&'static str, ArgType)];

pub(super) const TASK: Allowed = &[
    ("become", ArgType::Bool),
    ("check_mode", ArgType::Bool),
    ("become_user", ArgType::Str),
    ("changed_when", ArgType::Cond),
    ("delay", ArgType::Duration),
    ("delegate_to", ArgType::Str),
    ("failed_when", ArgType::Cond),
    ("ignore_errors", ArgType::Bool),
    ("loop_control", ArgType::Map),
    ("no_log", ArgType::Bool),
    ("notify", ArgType::StrOrList),
    ("register", ArgType::Ident),
    ("retries", ArgType::Int),
    ("run_once", ArgType::Bool),
    ("tags", ArgType::StrOrList),
    ("until", ArgType::Cond),
    ("when", ArgType::Cond),
];

/// A handler takes a task's settings, but it cannot notify and is not selected by tags; it
/// may `listen` to topics that tasks notify.
pub(super) static HANDLER: std::sync::LazyLock<Vec<(&'static str, ArgType)>> =
    std::sync::LazyLock::new(|| {
        TASK.iter()
            .copied()
            .filter(|(name, _)| !matches!(*name, "notify" | "tags"))
            .chain(std::iter::once(("listen", ArgType::StrOrList)))
            .collect()
    });

pub(super) const BLOCK: Allowed = &[
    ("become", ArgType::Bool),
    ("become_user", ArgType::Str),
    ("ignore_errors", ArgType::Bool),
    ("notify", ArgType::StrOrList),
    ("tags", ArgType::StrOrList),
    ("when", ArgType::Cond),
];

pub(super) const PLAY: Allowed = &[
    ("any_errors_fatal", ArgType::Bool),
    ("become", ArgType::Bool),
    ("become_user", ArgType::Str),
    ("lab", ArgType::Map),
    ("tags", ArgType::StrOrList),
];

/// Valid settings by name; unknown, duplicate and mistyped ones are reported.
pub(super) struct Settings<'a> {
    pub values: IndexMap<&'a str, &'a Value>,
}

impl<'a> Settings<'a> {
    pub(super) fn collect(
        attrs: &'a [Attr],
        allowed: Allowed,
        context: &'static str,
        mut check: impl FnMut(ArgType, &Value, &str),
        out: &mut Vec<Diagnostic>,
    ) -> Self {
        let mut values: IndexMap<&'a str, &'a Value> = IndexMap::new();
        let mut first: IndexMap<&str, crate::source::Span> = IndexMap::new();
        for a in attrs {
            let name = a.key.name.as_str();
            let Some((_, ty)) = allowed.iter().find(|(n, _)| *n == name) else {
                out.push(
                    Diagnostic::new(
                        DiagnosticKind::UnknownAttribute {
                            context,
                            name: name.to_string(),
                        },
                        a.key.span,
                    )
                    .help(
                        suggest(name, allowed.iter().map(|(n, _)| *n))
                            .or_else(|| module_hint(name)),
                    ),
                );
                continue;
            };
            if let Some(span) = first.get(name) {
                out.push(
                    Diagnostic::new(
                        DiagnosticKind::DuplicateAttribute {
                            name: name.to_string(),
                        },
                        a.key.span,
                    )
                    .also(*span, "first set here"),
                );
                continue;
            }
            first.insert(name, a.key.span);
            check(*ty, &a.value, &format!("`{name}`"));
            // These decide how the task runs and what it prints before anything is rendered:
            // a template would silently count as false.
            let deferred = match &a.value.kind {
                ValueKind::Str(s) => crate::template::is_templated(s),
                ValueKind::Path(_) => true,
                _ => false,
            };
            if matches!(ty, ArgType::Bool) && deferred {
                out.push(
                    Diagnostic::new(
                        DiagnosticKind::WrongType {
                            what: format!("`{name}`"),
                            expected: ArgType::Bool.describe(),
                            found: a.value.kind.describe().to_string(),
                        },
                        a.value.span,
                    )
                    .label("not a template: it is decided before the task runs".to_string())
                    .help(Some(format!(
                        "write `{name} = true` or `{name} = false`, or use `when` to choose between two tasks"
                    ))),
                );
            }
            values.insert(name, &a.value);
        }
        Settings { values }
    }

    pub(super) fn bool(&self, name: &str) -> Option<bool> {
        match self.values.get(name).map(|v| &v.kind) {
            Some(ValueKind::Bool(b)) => Some(*b),
            _ => None,
        }
    }

    pub(super) fn string(&self, name: &str) -> Option<String> {
        match self.values.get(name).map(|v| &v.kind) {
            Some(ValueKind::Str(s)) => Some(s.clone()),
            _ => None,
        }
    }

    pub(super) fn value(&self, name: &str) -> Option<Value> {
        self.values.get(name).map(|v| (*v).clone())
    }

    pub(super) fn cond(&self, name: &str) -> Option<Cond> {
        match self.values.get(name).map(|v| &v.kind) {
            Some(ValueKind::Bool(b)) => Some(Cond::Const(*b)),
            Some(ValueKind::Str(s)) => Some(Cond::Expr(s.clone())),
            _ => None,
        }
    }

    /// A string or list of strings, with the span of each.
    pub(super) fn strings(&self, name: &str) -> Vec<(String, crate::source::Span)> {
        match self.values.get(name) {
            Some(Value {
                kind: ValueKind::Str(s),
                span,
            }) => vec![(s.clone(), *span)],
            Some(Value {
                kind: ValueKind::List(items),
                ..
            }) => items
                .iter()
                .filter_map(|i| match &i.kind {
                    ValueKind::Str(s) => Some((s.clone(), i.span)),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    pub(super) fn sudo(&self) -> Become {
        Become {
            enabled: self.bool("become"),
            user: self
                .value("become_user")
                .map(|v| crate::program::Value::from_ast(&v)),
        }
    }
}

/// A setting that is really a module name written as `name = ...`.
fn module_hint(name: &str) -> Option<String> {
    crate::modules::Module::from_name(name)
        .map(|_| format!("`{name}` is a module: call it as `{name} {{ ... }}`"))
}
