//! Checked values: what the program holds instead of syntax. Literals keep their type,
//! strings are templates rendered when a host needs them, and nothing carries a span.

use std::time::Duration;

use minijinja::Value as Rendered;

use crate::ast;
use crate::redact::Secrets;
use crate::template::{TemplateError, Templates};

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A string; `{{ }}` in it is rendered (a lone `{{ expr }}` keeps the expression's type).
    Text(String),
    /// `secret "..."`: rendered, then redacted in every output.
    Secret(String),
    /// A Jinja expression (a bare path in a loop header).
    Expr(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Null,
    Mode(u32),
    Duration(Duration),
    List(Vec<Value>),
    Map(Vec<Var>),
}

/// `name = value`: a variable, an argument, a map entry.
#[derive(Clone, Debug, PartialEq)]
pub struct Var {
    pub name: String,
    pub value: Value,
}

impl Value {
    pub fn from_ast(v: &ast::Value) -> Value {
        use ast::ValueKind as K;
        match &v.kind {
            K::Str(s) => Value::Text(s.clone()),
            K::Secret(s) => Value::Secret(s.clone()),
            K::Path(p) => Value::Expr(p.clone()),
            K::Int(i) => Value::Int(*i),
            K::Float(f) => Value::Float(*f),
            K::Bool(b) => Value::Bool(*b),
            K::Null => Value::Null,
            K::Mode(m) => Value::Mode(*m),
            K::Duration(d) => Value::Duration(*d),
            K::List(items) => Value::List(items.iter().map(Value::from_ast).collect()),
            K::Map(entries) => Value::Map(vars(entries)),
        }
    }

    /// The text of a string that renders to itself (no `{{ }}`).
    pub fn literal_text(&self) -> Option<&str> {
        match self {
            Value::Text(s) if !crate::template::is_templated(s) => Some(s),
            _ => None,
        }
    }

    /// The runtime value, every string in it rendered with `ctx`; secrets are recorded.
    pub fn render(
        &self,
        templates: &Templates,
        ctx: &Rendered,
        secrets: &Secrets,
    ) -> Result<Rendered, TemplateError> {
        Ok(match self {
            Value::Text(s) => templates.render_string_value(s, ctx)?,
            Value::Secret(s) => {
                let rendered = templates.render_str(s, ctx)?;
                secrets.add(&rendered);
                Rendered::from(rendered)
            }
            Value::Expr(e) => templates.eval(e, ctx)?,
            Value::Int(i) => Rendered::from(*i),
            Value::Float(f) => Rendered::from(*f),
            Value::Bool(b) => Rendered::from(*b),
            Value::Null => Rendered::from(()),
            Value::Mode(m) => Rendered::from(*m),
            Value::Duration(d) => Rendered::from(d.as_secs_f64()),
            Value::List(items) => items
                .iter()
                .map(|i| i.render(templates, ctx, secrets))
                .collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .collect(),
            Value::Map(entries) => {
                let mut map = indexmap::IndexMap::with_capacity(entries.len());
                for e in entries {
                    map.insert(
                        Rendered::from(e.name.as_str()),
                        e.value.render(templates, ctx, secrets)?,
                    );
                }
                Rendered::from_object(map)
            }
        })
    }
}

/// Entries as written, checked.
pub fn vars(entries: &[ast::Entry]) -> Vec<Var> {
    entries
        .iter()
        .map(|e| Var {
            name: e.key.name.clone(),
            value: Value::from_ast(&e.value),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_render_typed_and_secrets_are_recorded() {
        let t = Templates::new();
        let secrets = Secrets::default();
        let ctx = Rendered::from_pairs(vec![
            ("n", Rendered::from(3)),
            ("pw", Rendered::from("hunter2")),
        ]);
        let v = Value::Map(vec![
            Var {
                name: "count".into(),
                value: Value::Text("{{ n }}".into()),
            },
            Var {
                name: "list".into(),
                value: Value::List(vec![Value::Int(1), Value::Text("x{{ n }}".into())]),
            },
            Var {
                name: "key".into(),
                value: Value::Secret("{{ pw }}".into()),
            },
        ]);
        let r = v.render(&t, &ctx, &secrets).unwrap();
        assert_eq!(r.get_attr("count").unwrap().as_i64(), Some(3));
        assert_eq!(r.get_attr("list").unwrap().to_string(), "[1, 'x3']");
        assert_eq!(secrets.redact("the key is hunter2"), "the key is ********");
    }
}
