//! Tasks, blocks and handlers: one module call each, valid arguments and settings, and
//! `notify` linked to a handler.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::settings::{self, Allowed, Settings};
use super::{Checker, duplicates, values};
use crate::ast::{self, Item, ValueKind};
use crate::diagnostic::{Diagnostic, DiagnosticKind, suggest};
use crate::modules::Module;
use crate::program::{Block, LoopSource, Looping, Scope, Step, Task, Value, Var, vars};

/// Handler names visible from a body: its own scope's first, then the enclosing play's.
pub(super) type HandlerNames = Vec<(String, usize)>;

impl Checker {
    /// Converts a play's or role's body and handlers.
    pub(super) fn body(
        &mut self,
        body: &[Item],
        handlers: &[ast::Task],
        scope: &Arc<Scope>,
        dir: &Path,
        tags: &[String],
    ) -> (Vec<Step>, Vec<Arc<Task>>) {
        let outer_handlers = std::mem::take(&mut self.play_handlers);
        let outer_dir = std::mem::replace(&mut self.play_dir, dir.to_path_buf());
        let mut names: HandlerNames = Vec::new();
        self.handlers(handlers, scope, tags, &mut names);
        let steps = self.items(body, scope, &names, tags);
        self.play_dir = outer_dir;
        let all = std::mem::replace(&mut self.play_handlers, outer_handlers);
        (steps, all)
    }

    /// Converts handlers (unique names), adding them to the play's and their names to `names`.
    pub(super) fn handlers(
        &mut self,
        handlers: &[ast::Task],
        scope: &Arc<Scope>,
        tags: &[String],
        names: &mut HandlerNames,
    ) {
        let idents: Vec<ast::Ident> = handlers
            .iter()
            .map(|h| ast::Ident {
                name: h.name.clone(),
                span: h.name_span,
            })
            .collect();
        let mut out = Vec::new();
        duplicates(idents.iter(), "handler", &mut out);
        self.diags.append(&mut out);
        for h in handlers {
            if let Some(task) = self.task(h, scope, &[], tags, &settings::HANDLER, "handler") {
                names.push((h.name.clone(), self.play_handlers.len()));
                // `listen = "topic"`: a task notifying the topic notifies every listener.
                for a in h.attrs.iter().filter(|a| a.key.name == "listen") {
                    for topic in listen_topics(&a.value) {
                        names.push((topic, self.play_handlers.len()));
                    }
                }
                self.play_handlers.push(task);
            }
        }
    }

    pub(super) fn items(
        &mut self,
        items: &[Item],
        scope: &Arc<Scope>,
        handlers: &HandlerNames,
        tags: &[String],
    ) -> Vec<Step> {
        let mut steps = Vec::new();
        for item in items {
            match item {
                Item::Task(t) => {
                    if let Some(task) = self.task(t, scope, handlers, tags, settings::TASK, "task")
                    {
                        steps.push(Step::Task(task));
                    }
                }
                Item::Block(b) => steps.push(Step::Block(self.block(b, scope, handlers, tags))),
                Item::Role(r) => steps.extend(self.role_steps(r, scope, handlers, tags)),
                Item::Import(i) => steps.extend(self.tasks_import(i, scope, handlers, tags)),
            }
        }
        steps
    }

    fn block(
        &mut self,
        b: &ast::Block,
        scope: &Arc<Scope>,
        handlers: &HandlerNames,
        tags: &[String],
    ) -> Arc<Block> {
        let mut out = Vec::new();
        let mut unknown = Vec::new();
        let s = Settings::collect(
            &b.attrs,
            settings::BLOCK,
            "block",
            |ty, v, what| self.check_type(ty, v, what, &mut out),
            &mut unknown,
        );
        out.append(&mut unknown);
        self.vars(&b.vars, &mut out);
        let notify = resolve_notify(&s, handlers, &mut out);
        self.diags.append(&mut out);
        let mut all_tags = tags.to_vec();
        all_tags.extend(s.strings("tags").into_iter().map(|(t, _)| t));
        let outer = self.block_notify.len();
        self.block_notify.extend(notify);
        let block = Arc::new(Block {
            name: b.name.clone(),
            when: s.cond("when"),
            sudo: s.sudo(),
            ignore_errors: s.bool("ignore_errors").unwrap_or(false),
            vars: vars(&b.vars),
            body: self.items(&b.body, scope, handlers, &all_tags),
            rescue: self.items(&b.rescue, scope, handlers, &all_tags),
            always: self.items(&b.always, scope, handlers, &all_tags),
            tags: all_tags,
            scope: scope.clone(),
        });
        self.block_notify.truncate(outer);
        block
    }

    fn task(
        &mut self,
        t: &ast::Task,
        scope: &Arc<Scope>,
        handlers: &[(String, usize)],
        tags: &[String],
        allowed: Allowed,
        context: &'static str,
    ) -> Option<Arc<Task>> {
        let mut out = Vec::new();
        let mut unknown = Vec::new();
        let s = Settings::collect(
            &t.attrs,
            allowed,
            context,
            |ty, v, what| self.check_type(ty, v, what, &mut out),
            &mut unknown,
        );
        out.append(&mut unknown);
        self.vars(&t.vars, &mut out);
        let looping = t.looping.as_ref().map(|l| Looping {
            var: l.var.name.clone(),
            source: LoopSource::of(&l.source),
        });
        if let Some(l) = &t.looping {
            match LoopSource::of(&l.source) {
                LoopSource::Expr(expr) => values::expression(
                    &expr,
                    l.source.span,
                    &self.templates,
                    &self.sources,
                    &mut out,
                ),
                LoopSource::Value(_) => {
                    values::templates_in(&l.source, &self.templates, &self.sources, &mut out);
                }
            }
        }
        let mut notify = resolve_notify(&s, handlers, &mut out);
        // A block's `notify` applies to every task in it.
        for i in &self.block_notify {
            if !notify.contains(i) {
                notify.push(*i);
            }
        }
        let (loop_label, loop_index, loop_parallel) = loop_control(&s, &mut out);
        let module = match t.modules.as_slice() {
            [] if t
                .attrs
                .iter()
                .any(|a| Module::from_name(&a.key.name).is_some()) =>
            {
                None
            }
            [] => {
                out.push(
                    Diagnostic::new(
                        DiagnosticKind::NoModule {
                            task: t.name.clone(),
                        },
                        t.name_span,
                    )
                    .help(Some(
                        "add one module call, e.g. `command { cmd = \"true\" }`".into(),
                    )),
                );
                None
            }
            [call] => self.module_call(call, scope, &mut out),
            [_, second, ..] => {
                out.push(
                    Diagnostic::new(
                        DiagnosticKind::TooManyModules {
                            task: t.name.clone(),
                        },
                        second.name.span,
                    )
                    .help(Some("split it into one task per module".into())),
                );
                None
            }
        };
        let errors = !out.is_empty();
        self.diags.append(&mut out);
        let module = module?;
        if errors {
            return None;
        }
        self.next_task += 1;
        let mut all_tags = tags.to_vec();
        all_tags.extend(s.strings("tags").into_iter().map(|(t, _)| t));
        let duration = |name: &str| match s.values.get(name).map(|v| &v.kind) {
            Some(ValueKind::Duration(d)) => Some(*d),
            _ => None,
        };
        let templated = |name: &str| {
            s.values
                .get(name)
                .filter(
                    |v| matches!(&v.kind, ValueKind::Str(x) if crate::template::is_templated(x)),
                )
                .map(|v| Value::from_ast(v))
        };
        let retries = match s.values.get("retries").map(|v| &v.kind) {
            Some(ValueKind::Int(n)) => u32::try_from(*n).unwrap_or(0),
            _ => u32::from(s.values.contains_key("until")) * 3,
        };
        Some(Arc::new(Task {
            id: self.next_task,
            name: t.name.clone(),
            span: t.span,
            location: self.sources.location(t.span),
            arg_locations: t.modules[0]
                .args
                .iter()
                .map(|e| self.sources.location(e.value.span))
                .collect(),
            module,
            args: debug_var_is_a_name(module, vars(&t.modules[0].args)),
            looping,
            vars: vars(&t.vars),
            scope: scope.clone(),
            when: s.cond("when"),
            register: s.string("register"),
            notify,
            loop_label,
            loop_index,
            loop_parallel,
            sudo: s.sudo(),
            ignore_errors: s.bool("ignore_errors").unwrap_or(false),
            changed_when: s.cond("changed_when"),
            failed_when: s.cond("failed_when"),
            retries,
            delay: duration("delay").unwrap_or(Duration::from_secs(5)),
            retries_expr: templated("retries"),
            delay_expr: templated("delay"),
            until: s.cond("until"),
            run_once: s.bool("run_once").unwrap_or(false),
            delegate_to: s.value("delegate_to").map(|v| Value::from_ast(&v)),
            no_log: s.bool("no_log").unwrap_or(false),
            check_mode: s.bool("check_mode"),
            tags: all_tags,
        }))
    }
}

/// `debug { var = "x" }` names a variable, as in Ansible: it prints the value of `x`, not the
/// text `x` (`var = "{{ x }}"` still works).
fn debug_var_is_a_name(module: Module, mut args: Vec<Var>) -> Vec<Var> {
    if module.name() == "debug" {
        for a in args.iter_mut().filter(|a| a.name == "var") {
            if let Value::Text(name) = &a.value
                && !crate::template::is_templated(name)
            {
                a.value = Value::Expr(name.clone());
            }
        }
    }
    args
}

/// The handlers `notify` names (a handler's name or a topic it listens to); unknown names are
/// errors with a suggestion.
fn resolve_notify(
    s: &Settings,
    handlers: &[(String, usize)],
    out: &mut Vec<Diagnostic>,
) -> Vec<usize> {
    let mut notify = Vec::new();
    for (name, span) in s.strings("notify") {
        let found: Vec<usize> = handlers
            .iter()
            .filter(|(n, _)| *n == name)
            .map(|(_, i)| *i)
            .collect();
        if found.is_empty() {
            out.push(
                Diagnostic::new(DiagnosticKind::UnknownHandler { name: name.clone() }, span)
                    .help(suggest(&name, handlers.iter().map(|(n, _)| n.as_str()))),
            );
        }
        for i in found {
            if !notify.contains(&i) {
                notify.push(i);
            }
        }
    }
    notify
}

fn listen_topics(v: &ast::Value) -> Vec<String> {
    match &v.kind {
        ValueKind::Str(s) => vec![s.clone()],
        ValueKind::List(items) => items
            .iter()
            .filter_map(|i| match &i.kind {
                ValueKind::Str(s) => Some(s.clone()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// `loop_control = { label = "{{ item.name }}", index_var = "i", parallel = 4 }`: how an item
/// is named, a variable holding its index, how many items run at once (`true`: all).
fn loop_control(s: &Settings, out: &mut Vec<Diagnostic>) -> (Option<Value>, Option<String>, usize) {
    let Some(v) = s.value("loop_control") else {
        return (None, None, 1);
    };
    let ValueKind::Map(entries) = &v.kind else {
        return (None, None, 1);
    };
    let (mut label, mut index, mut parallel) = (None, None, 1);
    for e in entries {
        match (e.key.name.as_str(), &e.value.kind) {
            ("label", _) => label = Some(Value::from_ast(&e.value)),
            ("index_var", ValueKind::Str(name))
                if !name.is_empty()
                    && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
            {
                index = Some(name.clone());
            }
            ("parallel", ValueKind::Int(n)) if *n >= 1 => {
                parallel = usize::try_from(*n).unwrap_or(usize::MAX);
            }
            ("parallel", ValueKind::Bool(all)) => parallel = if *all { usize::MAX } else { 1 },
            ("parallel", _) => out.push(Diagnostic::new(
                DiagnosticKind::WrongType {
                    what: "loop_control.parallel".into(),
                    expected: "a whole number of items at once, 1 or more, or true (all)".into(),
                    found: e.value.kind.describe().into(),
                },
                e.value.span,
            )),
            (other, _) => out.push(
                Diagnostic::new(
                    DiagnosticKind::UnknownAttribute {
                        context: "loop_control",
                        name: other.to_string(),
                    },
                    e.key.span,
                )
                .help(Some(
                    "loop_control takes `label` (a template), `index_var` (a variable name) \
                     and `parallel` (items at once)"
                        .into(),
                )),
            ),
        }
    }
    (label, index, parallel)
}
