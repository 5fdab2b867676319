//! The variables a task sees, layered as documented in docs/language.md: inventory < role
//! defaults < play vars < role arguments < block vars < task vars < facts < `-e` < magic
//! variables < loop variables. Rendered lazily, cached per role instance.

use minijinja::Value;

use super::host::HostRun;
use crate::program::{Block, RoleInstance, Task, Var};
use crate::template::TemplateError;
use crate::vars::{VarMap, to_value};

/// A role instance's variables on one host, by layer (see docs/language.md for the order).
#[derive(Clone, Debug)]
pub(super) struct RoleLayers {
    pub(super) defaults: VarMap,
    /// The role's own `vars`.
    pub(super) vars: VarMap,
    /// The arguments it was applied with.
    pub(super) args: VarMap,
}

impl HostRun {
    /// Renders `entries` in order on top of `scope` (each sees the ones before it).
    pub(super) fn render_entries(
        &self,
        entries: &[Var],
        scope: &mut VarMap,
    ) -> Result<VarMap, TemplateError> {
        let mut out = VarMap::new();
        for e in entries {
            let v = e
                .value
                .render(&self.s.templates, &to_value(scope), &self.s.secrets)?;
            scope.insert(e.name.clone(), v.clone());
            out.insert(e.name.clone(), v);
        }
        Ok(out)
    }

    /// Facts, `-e` and the magic variables: what every template sees above its own layers.
    pub(super) fn top(&self) -> VarMap {
        let mut m = self.s.facts.get(&self.host);
        m.extend(self.outer());
        m
    }

    /// `-e` and the magic variables, above everything (role arguments included).
    fn outer(&self) -> VarMap {
        let mut m = self.s.extra_vars.clone();
        m.extend(self.magic.clone());
        m
    }

    pub(super) fn render_play_vars(&mut self) -> Result<(), TemplateError> {
        let mut scope = self.base.clone();
        scope.extend(self.top());
        let play = self.play.clone();
        self.play_vars = self.render_entries(&play.vars, &mut scope)?;
        Ok(())
    }

    /// A role instance's variables on this host: its defaults, and its arguments with its own
    /// `vars` over them. Arguments are rendered where they were written (the play's scope, or
    /// the outer role's);
    /// defaults see the arguments and each other, in whatever order they are declared.
    pub(super) fn role_vars(&mut self, role: &RoleInstance) -> Result<RoleLayers, TemplateError> {
        if let Some(cached) = self.roles.get(&role.id) {
            return Ok(cached.clone());
        }
        let mut scope = self.base.clone();
        // A role applied in another role gets its arguments rendered where it was written:
        // the outer role's defaults, the play's vars, the outer role's vars and arguments.
        let parent = match &role.parent {
            Some(p) => Some(self.role_vars(p)?),
            None => None,
        };
        if let Some(p) = &parent {
            scope.extend(p.defaults.clone());
        }
        scope.extend(self.play_vars.clone());
        if let Some(p) = &parent {
            scope.extend(p.vars.clone());
            scope.extend(self.s.facts.get(&self.host));
            scope.extend(p.args.clone());
        }
        scope.extend(self.top());
        let args = self.render_entries(&role.args, &mut scope)?;
        let defaults = self.render_defaults(role, &args)?;
        let mut scope = self.base.clone();
        scope.extend(defaults.clone());
        scope.extend(self.play_vars.clone());
        scope.extend(args.clone());
        scope.extend(self.top());
        let vars = self.render_entries(&role.vars, &mut scope)?;
        for (name, ty, nullable) in &role.param_types {
            let value = args.get(name).or_else(|| {
                if self.play_vars.contains_key(name) {
                    None
                } else {
                    defaults.get(name)
                }
            });
            if let Some(v) = value.filter(|v| !(*nullable && v.is_none())) {
                ty.check(v).map_err(|why| {
                    TemplateError::plain(format!(
                        "parameter `{name}` of role `{}` {why}",
                        role.name
                    ))
                })?;
                if role.secret_params.contains(name) {
                    self.s.secrets.add(&v.to_string());
                }
            }
        }
        let layers = RoleLayers {
            defaults,
            vars,
            args,
        };
        self.roles.insert(role.id, layers.clone());
        Ok(layers)
    }

    /// The defaults of the parameters not given as arguments or play vars. A default may read
    /// a parameter declared after it: each pass renders those whose inputs are there, until
    /// all are (or a pass makes no progress: the first error is the one to report).
    fn render_defaults(&self, role: &RoleInstance, args: &VarMap) -> Result<VarMap, TemplateError> {
        let mut pending: Vec<&Var> = role
            .defaults
            .iter()
            .filter(|d| !args.contains_key(&d.name) && !self.play_vars.contains_key(&d.name))
            .collect();
        let mut done = VarMap::new();
        while !pending.is_empty() {
            let mut scope = self.base.clone();
            scope.extend(done.clone());
            scope.extend(self.play_vars.clone());
            scope.extend(args.clone());
            scope.extend(self.top());
            let ctx = to_value(&scope);
            let mut first_error = None;
            let before = pending.len();
            pending.retain(
                |d| match d.value.render(&self.s.templates, &ctx, &self.s.secrets) {
                    Ok(v) => {
                        done.insert(d.name.clone(), v);
                        false
                    }
                    Err(e) => {
                        first_error.get_or_insert(e);
                        true
                    }
                },
            );
            if pending.len() == before {
                let e = first_error.expect("a default left pending failed to render");
                return Err(TemplateError {
                    message: format!("default of parameter `{}`: {}", pending[0].name, e.message),
                    ..e
                });
            }
        }
        // In declaration order, as written.
        Ok(role
            .defaults
            .iter()
            .filter_map(|d| done.get(&d.name).map(|v| (d.name.clone(), v.clone())))
            .collect())
    }

    /// The variables a block's `when` and `vars` see: its role's, the play's, the enclosing
    /// blocks'.
    pub(super) fn block_context(&mut self, b: &Block) -> Result<VarMap, TemplateError> {
        self.scoped_context(b.scope.role.clone(), None, &[])
    }

    /// The variables a task sees, plus `locals` (loop variables).
    pub(super) fn context(
        &mut self,
        task: Option<&Task>,
        locals: &[(String, Value)],
    ) -> Result<VarMap, TemplateError> {
        self.scoped_context(task.and_then(|t| t.scope.role.clone()), task, locals)
    }

    fn scoped_context(
        &mut self,
        role: Option<std::sync::Arc<RoleInstance>>,
        task: Option<&Task>,
        locals: &[(String, Value)],
    ) -> Result<VarMap, TemplateError> {
        let layers = match &role {
            Some(role) => Some(self.role_vars(role)?),
            None => None,
        };
        self.layered_context(layers.as_ref(), role.as_deref(), task, locals)
    }

    /// `context` for a loop item, once the task's own `context` was made (its role's
    /// variables are then known): items in parallel share the host.
    pub(super) fn item_context(
        &self,
        task: &Task,
        locals: &[(String, Value)],
    ) -> Result<VarMap, TemplateError> {
        let role = task.scope.role.as_deref();
        let layers = role.and_then(|r| self.roles.get(&r.id));
        debug_assert!(
            role.is_none() || layers.is_some(),
            "the task's context comes first"
        );
        self.layered_context(layers, role, Some(task), locals)
    }

    fn layered_context(
        &self,
        layers: Option<&super::scope::RoleLayers>,
        role: Option<&RoleInstance>,
        task: Option<&Task>,
        locals: &[(String, Value)],
    ) -> Result<VarMap, TemplateError> {
        let mut m = self.base.clone();
        if let Some(l) = layers {
            m.extend(l.defaults.clone());
        }
        m.extend(self.play_vars.clone());
        if let (Some(l), Some(role)) = (layers, role) {
            m.extend(l.vars.clone());
            m.insert("role_name".into(), Value::from(role.name.as_str()));
        }
        for f in &self.frames {
            m.extend(f.vars.clone());
        }
        // Above task vars and facts: the role's arguments (as in Ansible), so that a result
        // registered elsewhere under the same name cannot replace what the role was given.
        let mut above = self.s.facts.get(&self.host);
        if let Some(l) = layers {
            above.extend(l.args.clone());
        }
        above.extend(self.outer());
        // A looping task's own vars may use the loop variable: they are rendered per item.
        if let Some(t) = task.filter(|t| t.looping.is_none() || !locals.is_empty()) {
            let mut scope = m.clone();
            scope.extend(above.clone());
            scope.extend(locals.iter().cloned());
            let own = self.render_entries(&t.vars, &mut scope)?;
            m.extend(own);
        }
        m.extend(above);
        m.extend(locals.iter().cloned());
        Ok(m)
    }
}
