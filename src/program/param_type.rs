//! Role parameter types: one definition, read by the checker (literals) and at run time
//! (rendered values), so the two cannot disagree.

use minijinja::Value;
use minijinja::value::ValueKind as K;

use crate::modules::spec::ArgType;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamType {
    Any,
    Bool,
    /// A network in CIDR notation (`11.8.0.0/24`): a string that must parse.
    Cidr,
    Duration,
    Int,
    List,
    Map,
    Mode,
    Str,
}

impl ParamType {
    pub const ALL: &[ParamType] = &[
        ParamType::Any,
        ParamType::Bool,
        ParamType::Cidr,
        ParamType::Duration,
        ParamType::Int,
        ParamType::List,
        ParamType::Map,
        ParamType::Mode,
        ParamType::Str,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ParamType::Any => "any",
            ParamType::Bool => "bool",
            ParamType::Cidr => "cidr",
            ParamType::Duration => "duration",
            ParamType::Int => "int",
            ParamType::List => "list",
            ParamType::Map => "map",
            ParamType::Mode => "mode",
            ParamType::Str => "str",
        }
    }

    pub fn from_name(name: &str) -> Option<ParamType> {
        ParamType::ALL.iter().copied().find(|t| t.name() == name)
    }

    /// A declared type: `str`, or `str?` when `null` is also accepted (an optional value).
    pub fn parse(text: &str) -> Option<(ParamType, bool)> {
        match text.strip_suffix('?') {
            Some(name) => ParamType::from_name(name).map(|t| (t, true)),
            None => ParamType::from_name(text).map(|t| (t, false)),
        }
    }

    /// How the checker sees a literal given for it.
    pub fn literal(self) -> ArgType {
        match self {
            ParamType::Any => ArgType::Any,
            ParamType::Bool => ArgType::Bool,
            ParamType::Cidr | ParamType::Str => ArgType::Str,
            ParamType::Duration => ArgType::Duration,
            ParamType::Int => ArgType::Int,
            ParamType::List => ArgType::List,
            ParamType::Map => ArgType::Map,
            ParamType::Mode => ArgType::Mode,
        }
    }

    /// A CIDR must parse: why not, for a literal string or a rendered value.
    pub fn check_text(self, text: &str) -> Result<(), String> {
        if self != ParamType::Cidr {
            return Ok(());
        }
        crate::template::parse_cidr(text)
            .map(drop)
            .map_err(|e| e.detail().unwrap_or("invalid CIDR").to_string())
    }

    /// Whether a rendered value has this type; why not otherwise.
    pub fn check(self, v: &Value) -> Result<(), String> {
        let ok = match self {
            ParamType::Any => true,
            ParamType::Str | ParamType::Cidr => v.kind() == K::String,
            ParamType::Int => v.as_i64().is_some(),
            ParamType::Bool => v.kind() == K::Bool,
            ParamType::List => v.kind() == K::Seq,
            ParamType::Map => v.kind() == K::Map,
            // Modes and durations arrive rendered as numbers or as text ("0644", "30s").
            ParamType::Mode | ParamType::Duration => v.kind() == K::Number || v.kind() == K::String,
        };
        if !ok {
            return Err(format!(
                "must be of type `{}`, got {} `{v}`",
                self.name(),
                v.kind()
            ));
        }
        self.check_text(v.as_str().unwrap_or_default())
            .map_err(|why| format!("is not a CIDR: {why}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for t in ParamType::ALL {
            assert_eq!(ParamType::from_name(t.name()), Some(*t));
        }
        assert_eq!(ParamType::from_name("string"), None);
        assert_eq!(ParamType::parse("str?"), Some((ParamType::Str, true)));
        assert_eq!(ParamType::parse("int"), Some((ParamType::Int, false)));
    }

    #[test]
    fn rendered_values_are_checked() {
        assert!(ParamType::Int.check(&Value::from(3)).is_ok());
        assert!(ParamType::Int.check(&Value::from("3")).is_err());
        assert!(ParamType::Cidr.check(&Value::from("11.8.0.0/24")).is_ok());
        assert_eq!(
            ParamType::Cidr
                .check(&Value::from("11.8.0.0/33"))
                .unwrap_err(),
            "is not a CIDR: `33` is not a prefix length (0-32)"
        );
        assert!(ParamType::Mode.check(&Value::from("0644")).is_ok());
        assert!(ParamType::Any.check(&Value::from(())).is_ok());
        assert_eq!(
            ParamType::Bool.check(&Value::from("yes")).unwrap_err(),
            "must be of type `bool`, got string `yes`"
        );
    }
}
