//! What a body takes from elsewhere: a role applied in a play or in another role, and the
//! items of a task file (`import "tasks/x.eov"`), both checked as if written in place; and
//! opening what an `import` names (task files and play files).

use std::path::Path;
use std::sync::Arc;

use super::Checker;
use super::tasks::HandlerNames;
use crate::ast;
use crate::diagnostic::{Diagnostic, DiagnosticKind};
use crate::program::{Block, Scope, Step};

impl Checker {
    /// A role applied here (in a play, or in another role): its handlers join the play's,
    /// its tasks come in place, in a block when the use has a `when`.
    pub(super) fn role_steps(
        &mut self,
        use_: &ast::RoleUse,
        scope: &Arc<Scope>,
        names: &HandlerNames,
        tags: &[String],
    ) -> Vec<Step> {
        // In a role, a role is looked for beside it first (`roles/a` uses `roles/b`).
        let mut search: Vec<std::path::PathBuf> = match (&scope.role, scope.search.first()) {
            (Some(_), Some(dir)) => dir.parent().map(Path::to_path_buf).into_iter().collect(),
            _ => Vec::new(),
        };
        search.extend(super::roles::role_search_path(
            &self.play_dir,
            &self.extra_roles_path,
        ));
        let Some(loaded) = self.load_role_in(&use_.name, &search) else {
            return Vec::new();
        };
        let name = loaded.def.name.name.clone();
        if let Some(at) = self.role_stack.iter().position(|r| *r == name) {
            let chain: Vec<String> = self.role_stack[at..]
                .iter()
                .cloned()
                .chain(std::iter::once(name.clone()))
                .collect();
            self.diags.push(Diagnostic::new(
                DiagnosticKind::RoleCycle {
                    role: name,
                    chain: chain.join(" -> "),
                },
                use_.name.span,
            ));
            return Vec::new();
        }
        let instance = self.instantiate(&loaded, use_, scope.role.clone());
        let when = self.role_when(use_);
        let role_scope = Arc::new(Scope {
            role: Some(instance),
            search: vec![loaded.dir.clone(), self.play_dir.clone()],
        });
        let mut role_names: HandlerNames = Vec::new();
        self.handlers(&loaded.def.handlers, &role_scope, tags, &mut role_names);
        role_names.extend(names.iter().cloned());
        let role_tags: Vec<String> = tags
            .iter()
            .cloned()
            .chain(std::iter::once(name.clone()))
            .collect();
        self.role_stack.push(name.clone());
        let body = self.items(&loaded.def.body, &role_scope, &role_names, &role_tags);
        self.role_stack.pop();
        match when {
            None => body,
            // The role's tasks in a block that holds the condition, evaluated where the role
            // is applied, like its arguments.
            Some(cond) => vec![Step::Block(Arc::new(Block {
                name: Some(format!("role {name}")),
                when: Some(cond),
                sudo: Default::default(),
                ignore_errors: false,
                vars: Vec::new(),
                body,
                rescue: Vec::new(),
                always: Vec::new(),
                tags: role_tags,
                scope: scope.clone(),
            }))],
        }
    }

    /// `import "tasks/x.eov"`: the task file's items, checked as if written here. The path is
    /// relative to the role's directory (in a role) or the play file's directory.
    pub(super) fn tasks_import(
        &mut self,
        import: &ast::TasksImport,
        scope: &Arc<Scope>,
        names: &HandlerNames,
        tags: &[String],
    ) -> Vec<Step> {
        let base = scope
            .search
            .first()
            .cloned()
            .unwrap_or_else(|| self.play_dir.clone());
        let path = base.join(&import.path);
        let Some((key, file)) = self.open_import(&import.path, import.span, &path) else {
            return Vec::new();
        };
        if !file.plays.is_empty() || !file.roles.is_empty() || !file.imports.is_empty() {
            self.diags.push(Diagnostic::new(
                DiagnosticKind::NotATaskFile {
                    file: import.path.clone(),
                },
                import.span,
            ));
            return Vec::new();
        }
        self.importing.push((key, path.display().to_string()));
        let steps = self.items(&file.tasks, scope, names, tags);
        self.importing.pop();
        steps
    }

    /// The file an `import` names (`shown` as written, at `span`), parsed, with its real path
    /// (the key of `importing`); none if it is being imported already (a cycle, said with its
    /// chain), missing or unparsable.
    pub(super) fn open_import(
        &mut self,
        shown: &str,
        span: crate::source::Span,
        path: &Path,
    ) -> Option<(std::path::PathBuf, ast::File)> {
        let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        if let Some(at) = self.importing.iter().position(|(k, _)| *k == key) {
            let chain: Vec<String> = self.importing[at..]
                .iter()
                .map(|(_, shown)| shown.clone())
                .chain(std::iter::once(path.display().to_string()))
                .collect();
            self.diags.push(Diagnostic::new(
                DiagnosticKind::ImportCycle {
                    file: shown.to_string(),
                    chain: chain.join(" -> "),
                },
                span,
            ));
            return None;
        }
        if !path.is_file() {
            self.diags.push(Diagnostic::new(
                DiagnosticKind::Io {
                    path: path.display().to_string(),
                    error: "no such file".into(),
                },
                span,
            ));
            return None;
        }
        self.parse_file(path).map(|file| (key, file))
    }
}
