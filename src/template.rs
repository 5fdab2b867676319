//! Templates and expressions: minijinja with Jinja2 habits, strict undefined, no HTML
//! escaping, and the filters roles need. See docs/templates.md for the differences from Jinja2.

mod ansible;
mod complexity;
mod filters;
mod names;
mod network;
mod password;

pub use names::UnknownName;

pub use filters::parse_cidr;

use minijinja::{Environment, ErrorKind, UndefinedBehavior, Value};

/// A template or expression failure, with the part of the source that caused it.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{message}")]
pub struct TemplateError {
    pub message: String,
    /// Byte range inside the template source, when known.
    pub range: Option<std::ops::Range<usize>>,
    /// 1-based line inside the template source, when known.
    pub line: Option<usize>,
    /// True when the cause is an undefined value (check mode treats those specially).
    pub undefined: bool,
}

impl TemplateError {
    fn from_minijinja(err: &minijinja::Error, source: &str) -> Self {
        let range = err.range();
        let undefined = err.kind() == ErrorKind::UndefinedError;
        let snippet = range
            .clone()
            .and_then(|r| source.get(r))
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let message = match (undefined, err.detail(), snippet) {
            _ if err.kind() == ErrorKind::OutOfFuel => format!(
                "template evaluation stopped: it exceeded its budget of {FUEL} steps (or ~{} MB of values); a loop or a value too large?",
                FUEL * 64 / 1_000_000
            ),
            (true, Some(d), _) => d.to_string(),
            (true, None, Some(s)) => format!("`{s}` is undefined"),
            (false, Some(d), _) if err.kind() == ErrorKind::SyntaxError => d.to_string(),
            _ => {
                let detail = err.detail().map(|d| format!(": {d}")).unwrap_or_default();
                format!("{}{detail}", err.kind())
            }
        };
        TemplateError {
            message,
            range,
            line: err.line(),
            undefined,
        }
    }

    pub fn plain(message: impl Into<String>) -> Self {
        TemplateError {
            message: message.into(),
            range: None,
            line: None,
            undefined: false,
        }
    }
}

/// What one render or evaluation may spend: about this many steps, or 64 times as many bytes
/// of values it creates (~320 MB). Real templates use a few thousand; three nested loops over
/// `range(10000)` would run for hours and grow without bound.
pub const FUEL: u64 = 5_000_000;

/// Refuses a source too complex to parse safely (see [`complexity`]).
fn guard(source: &str, is_expression: bool) -> Result<(), TemplateError> {
    match complexity::too_complex(source, is_expression) {
        None => Ok(()),
        Some((message, range)) => Err(TemplateError {
            line: Some(source[..range.start].matches('\n').count() + 1),
            message,
            range: Some(range),
            undefined: false,
        }),
    }
}

/// True when a string needs rendering at all.
pub fn is_templated(s: &str) -> bool {
    s.contains("{{") || s.contains("{%") || s.contains("{#")
}

/// If `s` is exactly one `{{ expression }}`, the expression: it is evaluated to keep its type.
fn single_expression(s: &str) -> Option<&str> {
    // Exactly `{{ ... }}`: any text around it (even a newline) makes it a template.
    let inner = s.strip_prefix("{{")?.strip_suffix("}}")?;
    (!inner.contains("{{") && !inner.contains("}}")).then_some(inner.trim_matches(['-', ' ']))
}

/// The template engine for one run.
pub struct Templates {
    env: Environment<'static>,
    /// Template files compiled before the run, with the modification time and size they had.
    preloaded: std::collections::HashMap<String, (std::time::SystemTime, u64)>,
    /// Which filter and test names exist (`eov check`).
    known: names::Known,
    syntax: minijinja::syntax::SyntaxConfig,
}

fn stamp(path: &std::path::Path) -> Option<(std::time::SystemTime, u64)> {
    let m = std::fs::metadata(path).ok()?;
    Some((m.modified().ok()?, m.len()))
}

impl Default for Templates {
    fn default() -> Self {
        Self::new()
    }
}

impl Templates {
    /// Templates whose secret-making functions (`password()`) record what they hand out in
    /// a set of their own (for checking; a run uses [`Templates::with_secrets`]).
    pub fn new() -> Self {
        Self::with_secrets(crate::redact::Secrets::default())
    }

    /// Templates for a run: `password()` adds what it hands out to the run's `secrets`.
    pub fn with_secrets(secrets: crate::redact::Secrets) -> Self {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_fuel(Some(FUEL));
        // As Ansible configures Jinja2: keep the final newline, drop the one after a block tag.
        let syntax = minijinja::syntax::SyntaxConfig::builder()
            .keep_trailing_newline(true)
            .trim_blocks(true)
            .build()
            .expect("the default delimiters are valid");
        env.set_syntax(syntax.clone());
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
        // Python string, list and dict methods (`x.startswith(..)`, `d.items()`), as in Jinja2.
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        env.add_function("password", move |path: &str, length: Option<usize>| {
            password::password(&secrets, path, length)
        });
        filters::register(&mut env);
        ansible::register(&mut env);
        Templates {
            env,
            preloaded: std::collections::HashMap::new(),
            known: names::Known::default(),
            syntax,
        }
    }

    /// Checks template syntax without rendering.
    pub fn check_template(&self, source: &str) -> Result<(), TemplateError> {
        guard(source, false)?;
        self.env
            .template_from_str(source)
            .map(|_| ())
            .map_err(|e| TemplateError::from_minijinja(&e, source))
    }

    /// The filters and tests `source` (a template, or an expression with `in_expr`) names
    /// that do not exist.
    pub fn unknown_names(&self, source: &str, in_expr: bool) -> Vec<UnknownName> {
        self.known
            .unknown(&self.env, source, in_expr, self.syntax.clone())
    }

    /// Checks expression syntax without evaluating.
    pub fn check_expression(&self, source: &str) -> Result<(), TemplateError> {
        guard(source, true)?;
        self.env
            .compile_expression(source)
            .map(|_| ())
            .map_err(|e| TemplateError::from_minijinja(&e, source))
    }

    pub fn render_str(&self, source: &str, ctx: &Value) -> Result<String, TemplateError> {
        if !is_templated(source) {
            return Ok(source.to_string());
        }
        guard(source, false)?;
        self.env
            .render_str(source, ctx.clone())
            .map_err(|e| TemplateError::from_minijinja(&e, source))
    }

    pub fn eval(&self, expr: &str, ctx: &Value) -> Result<Value, TemplateError> {
        guard(expr, true)?;
        let compiled = self
            .env
            .compile_expression(expr)
            .map_err(|e| TemplateError::from_minijinja(&e, expr))?;
        let value = compiled
            .eval(ctx.clone())
            .map_err(|e| TemplateError::from_minijinja(&e, expr))?;
        // Strict undefined also for a lone expression (`"{{ nope }}"`), which minijinja hands
        // back as an undefined value rather than an error.
        if value.is_undefined() {
            return Err(TemplateError {
                message: format!("`{}` is undefined", expr.trim()),
                range: Some(0..expr.len()),
                line: Some(1),
                undefined: true,
            });
        }
        Ok(value)
    }

    /// A condition (`when`, `until`, ...): an expression whose truth is taken.
    pub fn truth(&self, expr: &str, ctx: &Value) -> Result<bool, TemplateError> {
        let v = self.eval(expr, ctx)?;
        if v.is_undefined() {
            return Err(TemplateError {
                message: format!("`{expr}` is undefined"),
                range: None,
                line: None,
                undefined: true,
            });
        }
        Ok(v.is_true())
    }

    /// Renders a string value; a lone `{{ expr }}` keeps the expression's type.
    pub fn render_string_value(&self, s: &str, ctx: &Value) -> Result<Value, TemplateError> {
        if !is_templated(s) {
            return Ok(Value::from(s));
        }
        guard(s, false)?;
        if let Some(expr) = single_expression(s)
            && self.env.compile_expression(expr).is_ok()
        {
            return self.eval(expr, ctx);
        }
        self.render_str(s, ctx).map(Value::from)
    }

    /// Renders a template file's text.
    pub fn render_template(
        &self,
        name: &str,
        source: &str,
        ctx: &Value,
    ) -> Result<String, TemplateError> {
        guard(source, false)?;
        let tmpl = self
            .env
            .template_from_named_str(name, source)
            .map_err(|e| TemplateError::from_minijinja(&e, source))?;
        tmpl.render(ctx.clone())
            .map_err(|e| TemplateError::from_minijinja(&e, source))
    }

    /// Reads and compiles a template file once, before a run, so that rendering it for every
    /// host neither reads nor parses it again. A file that cannot be read or compiled is left
    /// to [`Templates::render_file`], which reports it where it is used.
    pub fn preload(&mut self, path: &std::path::Path) {
        let name = path.display().to_string();
        if self.preloaded.contains_key(&name) {
            return;
        }
        let (Some(stamp), Ok(source)) = (stamp(path), crate::fsutil::read_text(path)) else {
            return;
        };
        if guard(&source, false).is_ok()
            && self.env.add_template_owned(name.clone(), source).is_ok()
        {
            self.preloaded.insert(name, stamp);
        }
    }

    /// Renders the template file at `path`: compiled once if preloaded, else read and
    /// compiled now (a `src` known only at run time).
    pub fn render_file(
        &self,
        path: &std::path::Path,
        ctx: &Value,
    ) -> Result<String, TemplateError> {
        let name = path.display().to_string();
        // A file changed since (a play may write its own templates) is read again.
        let fresh = self
            .preloaded
            .get(&name)
            .is_some_and(|s| stamp(path) == Some(*s));
        if let Some(tmpl) = fresh.then(|| self.env.get_template(&name).ok()).flatten() {
            return tmpl
                .render(ctx.clone())
                .map_err(|e| TemplateError::from_minijinja(&e, tmpl.source()));
        }
        let source = crate::fsutil::read_text(path)
            .map_err(|e| TemplateError::plain(format!("cannot read it: {e}")))?;
        self.render_template(&name, &source, ctx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_files_compile_once_and_follow_edits() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.j2");
        std::fs::write(&path, "hello {{ name }}\n").unwrap();
        let mut t = Templates::new();
        t.preload(&path);
        assert_eq!(t.render_file(&path, &ctx()).unwrap(), "hello web1\n");
        std::fs::write(&path, "bye {{ name }}, a longer text\n").unwrap();
        assert_eq!(
            t.render_file(&path, &ctx()).unwrap(),
            "bye web1, a longer text\n"
        );
        let other = dir.path().join("b.j2");
        std::fs::write(&other, "{{ n }}").unwrap();
        assert_eq!(t.render_file(&other, &ctx()).unwrap(), "3");
        let missing = t.render_file(&dir.path().join("c.j2"), &ctx()).unwrap_err();
        assert!(
            missing.message.starts_with("cannot read it:"),
            "{}",
            missing.message
        );
    }

    fn ctx() -> Value {
        minijinja::context! { name => "web1", n => 3, items => vec!["a", "b"] }
    }

    #[test]
    fn lone_expression_keeps_type() {
        let t = Templates::new();
        assert_eq!(
            t.render_string_value("{{ n }}", &ctx()).unwrap(),
            Value::from(3)
        );
        assert_eq!(
            t.render_string_value("{{ items }}", &ctx()).unwrap().len(),
            Some(2)
        );
        assert_eq!(
            t.render_string_value("n={{ n }}", &ctx()).unwrap(),
            Value::from("n=3")
        );
    }

    #[test]
    fn undefined_names_the_variable() {
        let t = Templates::new();
        let err = t.render_str("host {{ hots }}", &ctx()).unwrap_err();
        assert!(err.undefined);
        assert_eq!(err.message, "`hots` is undefined");
    }

    #[test]
    fn no_html_escaping_and_trailing_newline_kept() {
        let t = Templates::new();
        let out = t
            .render_template("x.j2", "<{{ name }}>&\n", &ctx())
            .unwrap();
        assert_eq!(out, "<web1>&\n");
    }
}
