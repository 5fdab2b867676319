//! Check: AST -> [`Program`]. Resolves roles, modules, arguments, parameters, settings and
//! handlers, and checks template and expression syntax — all before any connection, collecting
//! every error in one pass.
//!
//! Entry points: [`Checker::check_play_file`] (for `eov run`) and [`Checker::check_path`]
//! (for `eov check`).

mod expand;
mod lab;
mod module_call;
mod roles;
mod settings;
mod tasks;
mod values;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::ast;
use crate::diagnostic::{Diagnostic, DiagnosticKind};
use crate::program::{Play, Program, Scope};
use crate::source::SourceMap;
use crate::template::Templates;

pub use roles::{role_search_path, roles_in};

/// The settings a task takes (`when`, `register`, ...), for editors.
pub fn task_settings() -> impl Iterator<Item = &'static str> {
    settings::TASK.iter().map(|(name, _)| *name)
}

/// A role definition read from disk.
struct LoadedRole {
    def: ast::RoleDef,
    dir: PathBuf,
}

pub struct Checker {
    pub sources: SourceMap,
    templates: Templates,
    extra_roles_path: Vec<PathBuf>,
    diags: Vec<Diagnostic>,
    roles: HashMap<PathBuf, Option<Arc<LoadedRole>>>,
    parsed: HashMap<PathBuf, Option<ast::File>>,
    next_task: usize,
    next_role: usize,
    /// Handlers notified by the enclosing blocks, inherited by their tasks.
    block_notify: Vec<usize>,
    /// The files being imported, outermost first (to refuse a cycle).
    importing: Vec<(PathBuf, String)>,
    /// The handlers of the play being converted (its own, then its roles').
    play_handlers: Vec<Arc<crate::program::Task>>,
    /// The directory of the play (or role file) being converted: roles are looked for from it.
    play_dir: PathBuf,
    /// The roles being expanded, outermost first (to refuse a role that uses itself).
    role_stack: Vec<String>,
    /// Texts that replace files on disk (see `overlay`).
    overlays: HashMap<PathBuf, String>,
}

impl Checker {
    pub fn new(extra_roles_path: Vec<PathBuf>) -> Self {
        Checker {
            sources: SourceMap::default(),
            templates: Templates::new(),
            extra_roles_path,
            diags: Vec::new(),
            roles: HashMap::new(),
            parsed: HashMap::new(),
            next_task: 0,
            next_role: 0,
            block_notify: Vec::new(),
            importing: Vec::new(),
            play_handlers: Vec::new(),
            play_dir: PathBuf::new(),
            role_stack: Vec::new(),
            overlays: HashMap::new(),
        }
    }

    /// Checks a play file; the program if there was no error.
    pub fn check_play_file(&mut self, path: &Path) -> Result<Program, Vec<Diagnostic>> {
        let program = match self.parse_file(path) {
            Some(file) if file.plays.is_empty() && file.imports.is_empty() => {
                let help = if !file.roles.is_empty() {
                    Some("this is a role file: apply it from a play with `role NAME`".to_string())
                } else if !file.tasks.is_empty() {
                    Some(
                        "this is a task file: use it in a play or role with `import \"FILE\"`"
                            .to_string(),
                    )
                } else {
                    None
                };
                self.diags.push(
                    Diagnostic::unlocated(DiagnosticKind::NoPlay {
                        file: path.display().to_string(),
                    })
                    .help(help),
                );
                None
            }
            Some(file) => {
                self.tasks_beside_plays(&file, path);
                Some(self.plays(&file, path))
            }
            None => None,
        };
        match (program, self.take_errors()) {
            (Some(p), errors) if errors.is_empty() => Ok(p),
            (_, errors) => Err(errors),
        }
    }

    /// Checks files and directories (every `*.eov` below them); all errors found.
    pub fn check_path(&mut self, path: &Path) -> usize {
        let mut files = Vec::new();
        collect_eov_files(path, &mut files, &mut self.diags);
        for file_path in &files {
            if let Some(file) = self.parse_file(file_path) {
                // A task file alone is checked where it is imported (it needs that scope).
                self.tasks_beside_plays(&file, file_path);
                self.plays(&file, file_path);
                for role in &file.roles {
                    self.role_standalone(role, file_path);
                }
            }
        }
        files.len()
    }

    /// Errors so far, deduplicated (a role used twice is checked twice) and in source order.
    pub fn take_errors(&mut self) -> Vec<Diagnostic> {
        let mut errors = std::mem::take(&mut self.diags);
        errors.sort_by_key(|d| d.span.map(|s| (s.file, s.start)));
        errors.dedup_by(|a, b| a.kind == b.kind && a.span == b.span);
        errors
    }

    /// Parses a file once; a file met again (a role checked on its own and through a play)
    /// gives the same tree, so its errors are reported once.
    fn parse_file(&mut self, path: &Path) -> Option<ast::File> {
        let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        if let Some(file) = self.parsed.get(&key) {
            return file.clone();
        }
        let file = self.parse_new_file(path);
        self.parsed.insert(key, file.clone());
        file
    }

    /// Tasks at the top of a file are a task file's; beside plays or a role they are a mistake
    /// (they would never run).
    fn tasks_beside_plays(&mut self, file: &ast::File, path: &Path) {
        let first = file.tasks.first().map(|i| match i {
            ast::Item::Task(t) => t.span,
            ast::Item::Block(b) => b.span,
            ast::Item::Role(r) => r.span,
            ast::Item::Import(i) => i.span,
        });
        if let Some(span) = first
            && (!file.plays.is_empty() || !file.roles.is_empty() || !file.imports.is_empty())
        {
            self.diags.push(Diagnostic::new(
                DiagnosticKind::TasksBesidePlays {
                    file: path.display().to_string(),
                },
                span,
            ));
        }
    }

    /// Uses `text` as the content of `path` instead of what is on disk (an editor's unsaved
    /// buffer, for `eov lsp`).
    pub fn overlay(&mut self, path: &Path, text: String) {
        let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        self.overlays.insert(key, text);
    }

    fn parse_new_file(&mut self, path: &Path) -> Option<ast::File> {
        let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let text = match self.overlays.get(&key) {
            Some(t) => Ok(t.clone()),
            None => crate::fsutil::read_text(path),
        };
        let text = match text {
            Ok(t) => t,
            Err(e) => {
                self.diags.push(Diagnostic::unlocated(DiagnosticKind::Io {
                    path: path.display().to_string(),
                    error: e.to_string(),
                }));
                return None;
            }
        };
        let id = self.sources.add(path, text);
        match crate::syntax::parse(id, self.sources.text(id)) {
            Ok(file) => Some(file),
            Err(d) => {
                self.diags.push(d);
                None
            }
        }
    }

    fn plays(&mut self, file: &ast::File, path: &Path) -> Program {
        let dir = dir_of(path);
        let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        self.importing.push((key, path.display().to_string()));
        let mut plays = Vec::new();
        for (i, p) in file.plays.iter().enumerate() {
            for import in file.imports.iter().filter(|im| im.before == i) {
                plays.extend(self.import(import, &dir));
            }
            plays.push(self.play(p, &dir));
        }
        for import in file
            .imports
            .iter()
            .filter(|im| im.before >= file.plays.len())
        {
            plays.extend(self.import(import, &dir));
        }
        self.importing.pop();
        Program { plays }
    }

    /// The plays of an imported file, checked as if written here; a cycle is an error.
    fn import(&mut self, import: &ast::Import, dir: &Path) -> Vec<Play> {
        let path = dir.join(&import.path);
        let Some((_, file)) = self.open_import(&import.path, import.span, &path) else {
            return Vec::new();
        };
        if file.plays.is_empty() && file.imports.is_empty() {
            self.diags.push(Diagnostic::new(
                DiagnosticKind::NoPlay {
                    file: import.path.clone(),
                },
                import.span,
            ));
            return Vec::new();
        }
        self.plays(&file, &path).plays
    }

    fn play(&mut self, p: &ast::Play, dir: &Path) -> Play {
        let mut diags = Vec::new();
        let mut unknown = Vec::new();
        let s = settings::Settings::collect(
            &p.attrs,
            settings::PLAY,
            "play",
            |ty, v, what| self.check_type(ty, v, what, &mut diags),
            &mut unknown,
        );
        diags.append(&mut unknown);
        let sudo = s.sudo();
        let any_errors_fatal = s.bool("any_errors_fatal").unwrap_or(false);
        let lab = lab::lab_needs(&s, &mut diags);
        let tags: Vec<String> = s.strings("tags").into_iter().map(|(t, _)| t).collect();
        self.diags.append(&mut diags);
        let mut diags = Vec::new();
        values::templates_in(&p.pattern, &self.templates, &self.sources, &mut diags);
        self.vars(&p.vars, &mut diags);
        self.diags.append(&mut diags);
        let scope = Arc::new(Scope {
            role: None,
            search: vec![dir.to_path_buf()],
        });
        let (body, handlers) = self.body(&p.body, &p.handlers, &scope, dir, &tags);
        Play {
            name: p.name.clone(),
            pattern: crate::program::Value::from_ast(&p.pattern),
            vars: crate::program::vars(&p.vars),
            sudo,
            any_errors_fatal,
            lab,
            body,
            handlers,
            span: p.span,
        }
    }

    fn check_type(
        &self,
        ty: crate::modules::spec::ArgType,
        v: &ast::Value,
        what: &str,
        out: &mut Vec<Diagnostic>,
    ) {
        values::check_type(ty, v, what, &self.templates, &self.sources, out);
        values::templates_in(v, &self.templates, &self.sources, out);
    }

    /// `vars { ... }`: unique names, valid templates.
    fn vars(&self, vars: &[ast::Entry], out: &mut Vec<Diagnostic>) {
        duplicates(vars.iter().map(|e| &e.key), "variable", out);
        for e in vars {
            values::templates_in(&e.value, &self.templates, &self.sources, out);
        }
    }
}

/// The directory of a file, `.` for a bare file name.
fn dir_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Reports names that appear twice, pointing at both.
fn duplicates<'a>(
    names: impl IntoIterator<Item = &'a ast::Ident>,
    what: &'static str,
    out: &mut Vec<Diagnostic>,
) {
    let mut seen: HashMap<&str, crate::source::Span> = HashMap::new();
    for ident in names {
        if let Some(first) = seen.get(ident.name.as_str()) {
            out.push(
                Diagnostic::new(
                    DiagnosticKind::Duplicate {
                        what,
                        name: ident.name.clone(),
                    },
                    ident.span,
                )
                .also(*first, "first defined here"),
            );
        } else {
            seen.insert(&ident.name, ident.span);
        }
    }
}

pub(crate) fn collect_eov_files(path: &Path, out: &mut Vec<PathBuf>, diags: &mut Vec<Diagnostic>) {
    collect_below(path, out, diags, &mut Vec::new());
}

/// `ancestors`: the real paths of the directories being walked, to refuse a symbolic link
/// that leads back to one of them (the walk would never end).
fn collect_below(
    path: &Path,
    out: &mut Vec<PathBuf>,
    diags: &mut Vec<Diagnostic>,
    ancestors: &mut Vec<PathBuf>,
) {
    if path.is_dir() {
        let real = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        if let Some(first) = ancestors.iter().find(|a| **a == real) {
            diags.push(Diagnostic::unlocated(DiagnosticKind::Io {
                path: path.display().to_string(),
                error: format!(
                    "a symbolic link cycle: it leads back to `{}`; not followed",
                    first.display()
                ),
            }));
            return;
        }
        let mut entries: Vec<PathBuf> = match std::fs::read_dir(path) {
            Ok(rd) => rd.filter_map(Result::ok).map(|e| e.path()).collect(),
            Err(e) => {
                diags.push(Diagnostic::unlocated(DiagnosticKind::Io {
                    path: path.display().to_string(),
                    error: e.to_string(),
                }));
                return;
            }
        };
        entries.sort();
        ancestors.push(real);
        for entry in entries {
            if entry.is_dir() || entry.extension().is_some_and(|e| e == "eov") {
                collect_below(&entry, out, diags, ancestors);
            }
        }
        ancestors.pop();
    } else if path.exists() {
        out.push(path.to_path_buf());
    } else {
        diags.push(Diagnostic::unlocated(DiagnosticKind::Io {
            path: path.display().to_string(),
            error: "no such file or directory".into(),
        }));
    }
}
