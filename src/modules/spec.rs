//! What each module accepts, so the checker can validate calls before anything runs.

/// The type of a module argument, as the checker sees literals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgType {
    Str,
    Int,
    Bool,
    /// An octal file mode (`0o644`).
    Mode,
    /// A duration (`30s`).
    Duration,
    List,
    Map,
    Any,
    /// A string among a fixed set.
    Choice(&'static [&'static str]),
    /// A string or a list of strings.
    StrOrList,
    /// A Jinja expression in a string (`"x > 1"`).
    Expr,
    /// A list of Jinja expressions (or one).
    ExprList,
    /// A condition: `true` / `false` or an expression in a string.
    Cond,
    /// A list with one item per line of output, or a name.
    Ident,
}

impl ArgType {
    pub fn describe(self) -> String {
        match self {
            ArgType::Str => "a string".into(),
            ArgType::Int => "an integer".into(),
            ArgType::Bool => "a boolean".into(),
            ArgType::Mode => "a file mode like 0o644".into(),
            ArgType::Duration => "a duration like 30s".into(),
            ArgType::List => "a list".into(),
            ArgType::Map => "a map".into(),
            ArgType::Any => "a value".into(),
            ArgType::Choice(c) => format!("one of {}", choices(c)),
            ArgType::StrOrList => "a string or a list of strings".into(),
            ArgType::Expr => "an expression in a string".into(),
            ArgType::ExprList => "a list of expressions".into(),
            ArgType::Cond => "a boolean or an expression in a string".into(),
            ArgType::Ident => "a variable name in a string".into(),
        }
    }
}

/// `"a", "b" or "c"` with backticks.
pub fn choices(c: &[&str]) -> String {
    let ticked: Vec<String> = c.iter().map(|s| format!("`{s}`")).collect();
    match ticked.split_last() {
        Some((last, init)) if !init.is_empty() => format!("{} or {last}", init.join(", ")),
        Some((last, _)) => last.clone(),
        None => String::new(),
    }
}

#[derive(Clone, Copy, Debug)]
pub struct ArgSpec {
    pub name: &'static str,
    pub ty: ArgType,
    pub required: bool,
}

pub const fn req(name: &'static str, ty: ArgType) -> ArgSpec {
    ArgSpec {
        name,
        ty,
        required: true,
    }
}

pub const fn opt(name: &'static str, ty: ArgType) -> ArgSpec {
    ArgSpec {
        name,
        ty,
        required: false,
    }
}

/// A module's whole interface.
#[derive(Debug)]
pub struct ModuleSpec {
    pub args: &'static [ArgSpec],
    /// Accepts any argument names (set_fact).
    pub free_form: bool,
    /// Each group: at least one of these must be given.
    pub one_of: &'static [&'static [&'static str]],
    /// Pairs that cannot be given together.
    pub exclusive: &'static [(&'static str, &'static str)],
}

impl ModuleSpec {
    pub const fn new(args: &'static [ArgSpec]) -> Self {
        ModuleSpec {
            args,
            free_form: false,
            one_of: &[],
            exclusive: &[],
        }
    }

    pub fn arg(&self, name: &str) -> Option<&ArgSpec> {
        self.args.iter().find(|a| a.name == name)
    }
}

/// File attributes shared by the file-writing modules.
pub const MODE: ArgSpec = opt("mode", ArgType::Mode);
pub const OWNER: ArgSpec = opt("owner", ArgType::Str);
pub const GROUP: ArgSpec = opt("group", ArgType::Str);
