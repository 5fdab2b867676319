//! A module call: the module exists, its arguments have the types its spec says, required
//! and exclusive arguments hold, and a controller file it names exists (and parses, for a
//! template). The structure around it (tasks, blocks, handlers) is checked in `tasks.rs`.

use super::{Checker, duplicates, values};
use crate::ast::{self, ValueKind};
use crate::diagnostic::{Diagnostic, DiagnosticKind, suggest};
use crate::modules::context::{describe_search, find_source};
use crate::modules::{Module, SourceKind};
use crate::program::Scope;
use crate::template::is_templated;

impl Checker {
    pub(super) fn module_call(
        &mut self,
        call: &ast::ModuleCall,
        scope: &Scope,
        out: &mut Vec<Diagnostic>,
    ) -> Option<Module> {
        let name = &call.name.name;
        let Some(module) = Module::from_name(name) else {
            out.push(
                Diagnostic::new(
                    DiagnosticKind::UnknownModule { name: name.clone() },
                    call.name.span,
                )
                .help(
                    suggest(name, Module::all().map(|m| m.name()))
                        .or_else(|| Some(format!("modules are {}", module_list()))),
                ),
            );
            return None;
        };
        let spec = module.spec();
        duplicates(call.args.iter().map(|e| &e.key), "argument", out);
        for arg in &call.args {
            match spec.arg(&arg.key.name) {
                Some(a) => self.check_type(
                    a.ty,
                    &arg.value,
                    &format!("argument `{}` of `{name}`", a.name),
                    out,
                ),
                None if spec.free_form => {
                    values::templates_in(&arg.value, &self.templates, &self.sources, out)
                }
                None => out.push(
                    Diagnostic::new(
                        DiagnosticKind::UnknownArgument {
                            module: name.clone(),
                            arg: arg.key.name.clone(),
                        },
                        arg.key.span,
                    )
                    .help(
                        suggest(&arg.key.name, spec.args.iter().map(|a| a.name)).or_else(|| {
                            Some(format!(
                                "`{name}` takes {}",
                                spec.args
                                    .iter()
                                    .map(|a| format!("`{}`", a.name))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ))
                        }),
                    ),
                ),
            }
        }
        let given = |n: &str| call.args.iter().any(|a| a.key.name == n);
        // A misspelt argument already explains what is missing; saying it twice is noise.
        let misspelt = !spec.free_form && call.args.iter().any(|a| spec.arg(&a.key.name).is_none());
        for a in spec
            .args
            .iter()
            .filter(|a| a.required && !given(a.name) && !misspelt)
        {
            out.push(Diagnostic::new(
                DiagnosticKind::MissingArgument {
                    module: name.clone(),
                    arg: a.name.to_string(),
                },
                call.name.span,
            ));
        }
        for group in spec.one_of {
            if !misspelt && !group.iter().any(|n| given(n)) {
                let choices = crate::modules::spec::choices(group);
                out.push(Diagnostic::new(
                    DiagnosticKind::MissingOneOf {
                        module: name.clone(),
                        choices,
                    },
                    call.name.span,
                ));
            }
        }
        for (a, b) in spec.exclusive {
            if given(a) && given(b) {
                let span = call
                    .args
                    .iter()
                    .find(|x| x.key.name == *b)
                    .map_or(call.name.span, |x| x.key.span);
                out.push(Diagnostic::new(
                    DiagnosticKind::ConflictingArguments {
                        module: name.clone(),
                        a: (*a).into(),
                        b: (*b).into(),
                    },
                    span,
                ));
            }
        }
        if let Some(source) = module.source() {
            self.local_source(source.kind, source.arg, call, scope, out);
        }
        Some(module)
    }

    /// A literal `src` must exist; a template must also parse.
    fn local_source(
        &mut self,
        kind: SourceKind,
        arg: &str,
        call: &ast::ModuleCall,
        scope: &Scope,
        out: &mut Vec<Diagnostic>,
    ) {
        let Some(value) = call
            .args
            .iter()
            .find(|a| a.key.name == arg)
            .map(|a| &a.value)
        else {
            return;
        };
        let ValueKind::Str(name) = &value.kind else {
            return;
        };
        if is_templated(name) {
            return;
        }
        let Some(path) = find_source(&scope.search, name, kind) else {
            out.push(
                Diagnostic::new(
                    DiagnosticKind::MissingFile {
                        kind: kind.describe(),
                        name: name.clone(),
                    },
                    value.span,
                )
                .label(format!(
                    "looked in {}",
                    describe_search(&scope.search, kind)
                )),
            );
            return;
        };
        if kind != SourceKind::Template {
            return;
        }
        match crate::fsutil::read_text(&path) {
            Err(e) => out.push(Diagnostic::new(
                DiagnosticKind::Io {
                    path: path.display().to_string(),
                    error: e.to_string(),
                },
                value.span,
            )),
            Ok(text) => {
                let unknown = self.templates.unknown_names(&text, false);
                if !unknown.is_empty() && self.templates.check_template(&text).is_ok() {
                    let id = self.sources.add(&path, text);
                    for n in unknown {
                        out.push(
                            Diagnostic::new(
                                DiagnosticKind::UnknownTemplateName {
                                    kind: n.kind,
                                    name: n.name,
                                },
                                crate::source::Span::new(id, n.range),
                            )
                            .also(value.span, "used here"),
                        );
                    }
                } else if let Err(e) = self.templates.check_template(&text) {
                    let id = self.sources.add(&path, text);
                    let text = self.sources.text(id);
                    let span = match (&e.range, e.line) {
                        (Some(r), _) => crate::source::Span::new(id, r.clone()),
                        (None, Some(line)) => {
                            let start: usize = text
                                .split_inclusive('\n')
                                .take(line.saturating_sub(1))
                                .map(str::len)
                                .sum();
                            crate::source::Span::new(id, start..start)
                        }
                        _ => crate::source::Span::new(id, 0..0),
                    };
                    out.push(
                        Diagnostic::new(
                            DiagnosticKind::TemplateSyntax { message: e.message },
                            span,
                        )
                        .also(value.span, "used here"),
                    );
                }
            }
        }
    }
}

fn module_list() -> String {
    Module::all()
        .map(|m| format!("`{}`", m.name()))
        .collect::<Vec<_>>()
        .join(", ")
}
