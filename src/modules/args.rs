//! Rendered module arguments with typed accessors; a value of the wrong type at run time
//! (after templating) is a task failure naming the argument.

use indexmap::IndexMap;
use minijinja::Value;
use minijinja::value::ValueKind;

use super::ModuleError;

#[derive(Clone, Debug, Default)]
pub struct Args {
    values: IndexMap<String, Value>,
}

fn bad(name: &str, expected: &str, v: &Value) -> ModuleError {
    ModuleError::argument(name, format!("must be {expected}, got {} `{v}`", v.kind()))
}

impl Args {
    pub fn new(values: IndexMap<String, Value>) -> Self {
        Args { values }
    }

    /// Arguments as a module's unit tests write them.
    #[cfg(test)]
    pub fn from_pairs(pairs: &[(&str, Value)]) -> Self {
        Args::new(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    pub fn values(&self) -> &IndexMap<String, Value> {
        &self.values
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.values
            .get(name)
            .filter(|v| !v.is_none() && !v.is_undefined())
    }

    pub fn opt_str(&self, name: &str) -> Result<Option<String>, ModuleError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => match v.kind() {
                ValueKind::String => Ok(Some(v.as_str().unwrap_or_default().to_string())),
                ValueKind::Number | ValueKind::Bool => Ok(Some(v.to_string())),
                _ => Err(bad(name, "a string", v)),
            },
        }
    }

    pub fn str(&self, name: &str) -> Result<String, ModuleError> {
        self.opt_str(name)?
            .ok_or_else(|| ModuleError::argument(name, "is required"))
    }

    pub fn str_or(&self, name: &str, default: &str) -> Result<String, ModuleError> {
        Ok(self.opt_str(name)?.unwrap_or_else(|| default.to_string()))
    }

    pub fn bool_or(&self, name: &str, default: bool) -> Result<bool, ModuleError> {
        match self.get(name) {
            None => Ok(default),
            Some(v) if v.kind() == ValueKind::Bool => Ok(v.is_true()),
            Some(v) => match v.as_str() {
                Some("true" | "yes") => Ok(true),
                Some("false" | "no") => Ok(false),
                _ => Err(bad(name, "a boolean", v)),
            },
        }
    }

    pub fn opt_int(&self, name: &str) -> Result<Option<i64>, ModuleError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => v
                .as_i64()
                .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
                .map(Some)
                .ok_or_else(|| bad(name, "an integer", v)),
        }
    }

    /// A mode: an integer (from `0o644`), an octal string such as "0644" (from a template),
    /// or a symbolic mode such as "u+x,g-w".
    pub fn opt_mode(&self, name: &str) -> Result<Option<super::mode::FileMode>, ModuleError> {
        use super::mode::FileMode;
        match self.get(name) {
            None => Ok(None),
            Some(v) => match v.as_str() {
                Some(s) => FileMode::parse(s)
                    .map(Some)
                    .map_err(|e| ModuleError::argument(name, format!("must be a file mode: {e}"))),
                None => v
                    .as_i64()
                    .and_then(|i| u32::try_from(i).ok())
                    .filter(|m| *m <= 0o7777)
                    .map(|m| Some(FileMode::Octal(m)))
                    .ok_or_else(|| bad(name, "a file mode like 0o644 or u+x", v)),
            },
        }
    }

    /// Seconds, from a duration literal or a number.
    pub fn opt_secs(&self, name: &str) -> Result<Option<f64>, ModuleError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => {
                if let Some(s) = v.as_str()
                    && let Some(d) = crate::duration::parse(s.trim())
                {
                    return Ok(Some(d.as_secs_f64()));
                }
                f64::try_from(v.clone())
                    .map(Some)
                    .map_err(|_| bad(name, "a duration like 30s", v))
            }
        }
    }

    /// A list of strings; a lone string counts as a list of one.
    pub fn str_list(&self, name: &str) -> Result<Vec<String>, ModuleError> {
        match self.get(name) {
            None => Ok(Vec::new()),
            Some(v) if v.kind() == ValueKind::String => {
                Ok(vec![v.as_str().unwrap_or_default().to_string()])
            }
            Some(v) if v.kind() == ValueKind::Seq => v
                .try_iter()
                .map_err(|_| bad(name, "a list of strings", v))?
                .map(|item| match item.as_str() {
                    Some(s) => Ok(s.to_string()),
                    None if item.kind() == ValueKind::Number => Ok(item.to_string()),
                    None => Err(bad(name, "a list of strings", v)),
                })
                .collect(),
            Some(v) => Err(bad(name, "a string or a list of strings", v)),
        }
    }

    /// A value of a closed set (`state`), or `default` when the argument is not given.
    pub fn pick<T: super::choice::Choice>(&self, name: &str, default: T) -> Result<T, ModuleError> {
        let Some(text) = self.opt_str(name)? else {
            return Ok(default);
        };
        T::ALL
            .iter()
            .find(|(n, _)| *n == text)
            .map(|(_, v)| *v)
            .ok_or_else(|| {
                let names: Vec<&str> = T::ALL.iter().map(|(n, _)| *n).collect();
                ModuleError::argument(
                    name,
                    format!(
                        "must be one of {}, got `{text}`",
                        super::spec::choices(&names)
                    ),
                )
            })
    }
}
