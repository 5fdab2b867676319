//! Roles: found by name under `roles/<name>/main.eov`, parameters checked at each use.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{Checker, LoadedRole, dir_of, duplicates};
use crate::ast::{self, Entry, Ident, Value, ValueKind};
use crate::diagnostic::{Diagnostic, DiagnosticKind, suggest};
use crate::program::{self, ParamType, RoleInstance, Scope, Var};

/// Where roles are looked for, in order: beside the play (`roles/`), the play's parent
/// (`../roles`, so `plays/` and `roles/` can be siblings), then the caller's directories
/// (`EOV_ROLES_PATH`, `--roles-path`).
/// A role use's `when`: applies to every task of the role; no parameter may be named so.
const ROLE_WHEN: &str = "when";

pub fn role_search_path(play_dir: &Path, extra: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = vec![play_dir.join("roles"), play_dir.join("..").join("roles")];
    // A role's test scenarios (`roles/NAME/tests/*.eov`, and the files they import from below
    // tests/) find the role itself and its siblings.
    if let Some(tests) = play_dir
        .ancestors()
        .find(|d| d.file_name().is_some_and(|n| n == "tests") && d.join("../main.eov").is_file())
    {
        out.push(tests.join("../.."));
    }
    out.extend(extra.iter().cloned());
    out
}

/// The names of the roles in these directories (each a `NAME/main.eov`), sorted, once each.
pub fn roles_in(search: &[PathBuf]) -> Vec<String> {
    let mut names: Vec<String> = search
        .iter()
        .filter_map(|d| std::fs::read_dir(d).ok())
        .flat_map(|rd| {
            rd.filter_map(Result::ok)
                .filter(|e| e.path().join("main.eov").is_file())
                .map(|e| e.file_name().to_string_lossy().into_owned())
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

impl Checker {
    /// Finds, parses and checks (once) the role `name` in the first of `search` that has it.
    pub(super) fn load_role_in(
        &mut self,
        name: &Ident,
        search: &[PathBuf],
    ) -> Option<Arc<LoadedRole>> {
        let Some(file) = search
            .iter()
            .map(|d| d.join(&name.name).join("main.eov"))
            .find(|p| p.is_file())
        else {
            let known = roles_in(search);
            let dirs: Vec<String> = search.iter().map(|d| d.display().to_string()).collect();
            self.diags.push(
                Diagnostic::new(
                    DiagnosticKind::UnknownRole {
                        name: name.name.clone(),
                    },
                    name.span,
                )
                .label(format!("no {}/main.eov in {}", name.name, dirs.join(", ")))
                .help(suggest(&name.name, known.iter().map(String::as_str))),
            );
            return None;
        };
        if let Some(cached) = self.roles.get(&file) {
            return cached.clone();
        }
        let loaded = self.parse_file(&file).and_then(|parsed| {
            let found = parsed.roles.into_iter().find(|r| r.name.name == name.name);
            if found.is_none() {
                self.diags.push(Diagnostic::new(
                    DiagnosticKind::RoleNotDefined {
                        name: name.name.clone(),
                        path: file.display().to_string(),
                    },
                    name.span,
                ));
            }
            found
        });
        let loaded = loaded.map(|def| {
            self.check_params(&def);
            Arc::new(LoadedRole {
                def,
                dir: dir_of(&file),
            })
        });
        self.roles.insert(file, loaded.clone());
        loaded
    }

    fn check_params(&mut self, def: &ast::RoleDef) {
        let mut out = Vec::new();
        duplicates(def.params.iter().map(|p| &p.name), "parameter", &mut out);
        for p in &def.params {
            match ParamType::parse(&p.ty.name) {
                None => out.push(
                    Diagnostic::new(
                        DiagnosticKind::UnknownType {
                            name: p.ty.name.clone(),
                        },
                        p.ty.span,
                    )
                    .help(
                        suggest(
                            p.ty.name.trim_end_matches('?'),
                            ParamType::ALL.iter().map(|t| t.name()),
                        )
                        .or_else(|| Some(format!("types are {}", type_names()))),
                    ),
                ),
                Some((ty, nullable)) => {
                    if let Some(d) = p.default.as_ref().filter(|d| !(nullable && is_null(d))) {
                        self.check_type(
                            ty.literal(),
                            d,
                            &format!("default of parameter `{}`", p.name.name),
                            &mut out,
                        );
                        check_text(ty, d, &p.name.name, &mut out);
                    }
                }
            }
        }
        self.vars(&def.vars, &mut out);
        self.diags.append(&mut out);
    }

    /// The condition of a role use (`role x { when = "...", ... }`): not a parameter.
    pub(super) fn role_when(&mut self, use_: &ast::RoleUse) -> Option<program::Cond> {
        let arg = use_.args.iter().find(|a| a.key.name == ROLE_WHEN)?;
        let mut out = Vec::new();
        self.check_type(
            crate::modules::spec::ArgType::Cond,
            &arg.value,
            "`when` of a role",
            &mut out,
        );
        self.diags.append(&mut out);
        match &arg.value.kind {
            ast::ValueKind::Bool(b) => Some(program::Cond::Const(*b)),
            ast::ValueKind::Str(s) => Some(program::Cond::Expr(s.clone())),
            _ => None,
        }
    }

    /// Checks a role use's arguments against the role's parameters; the instance for the plan.
    pub(super) fn instantiate(
        &mut self,
        role: &LoadedRole,
        use_: &ast::RoleUse,
        parent: Option<Arc<RoleInstance>>,
    ) -> Arc<RoleInstance> {
        let mut out = Vec::new();
        let def = &role.def;
        duplicates(use_.args.iter().map(|e| &e.key), "argument", &mut out);
        for arg in use_.args.iter().filter(|a| a.key.name != ROLE_WHEN) {
            match def.params.iter().find(|p| p.name.name == arg.key.name) {
                None => out.push(
                    Diagnostic::new(
                        DiagnosticKind::UnknownParam {
                            role: def.name.name.clone(),
                            param: arg.key.name.clone(),
                        },
                        arg.key.span,
                    )
                    .help(suggest(
                        &arg.key.name,
                        def.params.iter().map(|p| p.name.name.as_str()),
                    ))
                    .also(def.name.span, "role defined here"),
                ),
                Some(p) => {
                    if let Some((ty, nullable)) = ParamType::parse(&p.ty.name)
                        && !(nullable && is_null(&arg.value))
                    {
                        self.check_type(
                            ty.literal(),
                            &arg.value,
                            &format!("parameter `{}` of role `{}`", p.name.name, def.name.name),
                            &mut out,
                        );
                        check_text(ty, &arg.value, &p.name.name, &mut out);
                    }
                }
            }
        }
        for p in def.params.iter().filter(|p| p.default.is_none()) {
            if !use_.args.iter().any(|a| a.key.name == p.name.name) {
                out.push(
                    Diagnostic::new(
                        DiagnosticKind::MissingParam {
                            role: def.name.name.clone(),
                            param: p.name.name.clone(),
                        },
                        use_.name.span,
                    )
                    .also(p.name.span, "declared here without a default"),
                );
            }
        }
        self.diags.append(&mut out);
        Arc::new(self.instance(def, &use_.args, parent))
    }

    fn instance(
        &mut self,
        def: &ast::RoleDef,
        args: &[Entry],
        parent: Option<Arc<RoleInstance>>,
    ) -> RoleInstance {
        self.next_role += 1;
        let defaults = def
            .params
            .iter()
            .filter_map(|p| {
                p.default.as_ref().map(|value| Var {
                    name: p.name.name.clone(),
                    value: program::Value::from_ast(value),
                })
            })
            .collect();
        let args: Vec<Entry> = args
            .iter()
            .filter(|a| a.key.name != ROLE_WHEN)
            .cloned()
            .collect();
        let args = program::vars(&args);
        RoleInstance {
            id: self.next_role,
            parent,
            name: def.name.name.clone(),
            defaults,
            args,
            vars: program::vars(&def.vars),
            secret_params: def
                .params
                .iter()
                .filter(|p| p.secret)
                .map(|p| p.name.name.clone())
                .collect(),
            param_types: def
                .params
                .iter()
                .filter_map(|p| {
                    let (ty, nullable) = ParamType::parse(&p.ty.name)?;
                    Some((p.name.name.clone(), ty, nullable))
                })
                .collect(),
        }
    }

    /// `eov check` on a role file: its body as if applied with its defaults.
    pub(super) fn role_standalone(&mut self, def: &ast::RoleDef, path: &Path) {
        self.check_params(def);
        let dir = dir_of(path);
        let instance = Arc::new(self.instance(def, &[], None));
        let scope = Arc::new(Scope {
            role: Some(instance),
            search: vec![dir.clone()],
        });
        let _ = self.body(&def.body, &def.handlers, &scope, &dir, &[]);
    }
}

fn is_null(v: &Value) -> bool {
    matches!(v.kind, ValueKind::Null)
}

fn type_names() -> String {
    ParamType::ALL
        .iter()
        .map(|t| format!("`{}`", t.name()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A literal string for a typed parameter must parse (a CIDR).
fn check_text(ty: ParamType, v: &Value, param: &str, out: &mut Vec<Diagnostic>) {
    if let ValueKind::Str(s) = &v.kind
        && !crate::template::is_templated(s)
        && let Err(reason) = ty.check_text(s)
    {
        out.push(Diagnostic::new(
            DiagnosticKind::BadLiteral {
                what: "CIDR",
                text: s.clone(),
                reason: format!("{reason} (parameter `{param}`)"),
            },
            v.span,
        ));
    }
}
