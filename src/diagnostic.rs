//! Located errors found before anything runs: syntax and check errors, one typed enum.
//!
//! A diagnostic never prints itself; `report::diagnostics` renders them all in one place.

use crate::source::Span;

/// What went wrong. Messages are lowercase with names in backticks.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DiagnosticKind {
    #[error("syntax error: {message}")]
    Syntax { message: String },
    #[error("lists, maps and blocks nested more than {limit} levels deep")]
    TooDeep { limit: usize },
    #[error("invalid {what} `{text}`: {reason}")]
    BadLiteral {
        what: &'static str,
        text: String,
        reason: String,
    },
    #[error("unknown module `{name}`")]
    UnknownModule { name: String },
    #[error("unknown argument `{arg}` for module `{module}`")]
    UnknownArgument { module: String, arg: String },
    #[error("missing argument `{arg}` for module `{module}`")]
    MissingArgument { module: String, arg: String },
    #[error("module `{module}` needs one of {choices}")]
    MissingOneOf { module: String, choices: String },
    #[error("arguments `{a}` and `{b}` of module `{module}` cannot be used together")]
    ConflictingArguments {
        module: String,
        a: String,
        b: String,
    },
    #[error("{what} must be {expected}, found {found}")]
    WrongType {
        what: String,
        expected: String,
        found: String,
    },
    #[error("{what} must be one of {choices}, found `{found}`")]
    BadChoice {
        what: String,
        choices: String,
        found: String,
    },
    #[error("unknown {context} setting `{name}`")]
    UnknownAttribute { context: &'static str, name: String },
    #[error("`{name}` is set twice")]
    DuplicateAttribute { name: String },
    #[error("unknown role `{name}`")]
    UnknownRole { name: String },
    #[error("role file `{path}` defines no role `{name}`")]
    RoleNotDefined { name: String, path: String },
    #[error("unknown parameter `{param}` for role `{role}`")]
    UnknownParam { role: String, param: String },
    #[error("missing parameter `{param}` for role `{role}`")]
    MissingParam { role: String, param: String },
    #[error("unknown type `{name}`")]
    UnknownType { name: String },
    #[error("`notify` names no handler `{name}`")]
    UnknownHandler { name: String },
    #[error("duplicate {what} `{name}`")]
    Duplicate { what: &'static str, name: String },
    #[error("task `{task}` has no module call")]
    NoModule { task: String },
    #[error("task `{task}` has more than one module call")]
    TooManyModules { task: String },
    #[error("template syntax error: {message}")]
    TemplateSyntax { message: String },
    #[error("expression syntax error: {message}")]
    ExpressionSyntax { message: String },
    #[error("unknown {kind} `{name}`")]
    UnknownTemplateName { kind: &'static str, name: String },
    #[error("{kind} `{name}` not found")]
    MissingFile { kind: &'static str, name: String },
    #[error("cannot read `{path}`: {error}")]
    Io { path: String, error: String },
    #[error("{file} defines no play")]
    NoPlay { file: String },
    #[error("`{file}` imports itself (through {chain})")]
    ImportCycle { file: String, chain: String },
    #[error("{what} must be a name made of letters, digits and `_`, found `{found}`")]
    BadName { what: String, found: String },
    #[error("role `{role}` uses itself (through {chain})")]
    RoleCycle { role: String, chain: String },
    #[error("`{file}` is not a task file: a file imported in a body holds only tasks and blocks")]
    NotATaskFile { file: String },
    #[error(
        "`{file}` holds tasks at its top and also plays or a role: a task file holds only tasks and blocks"
    )]
    TasksBesidePlays { file: String },
    #[error("`eov fmt` cannot keep this comment where it stands: {why}")]
    CommentPlacement { why: &'static str },
}

/// One error, with where it is and what might fix it.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    pub kind: DiagnosticKind,
    pub span: Option<Span>,
    /// Text under the caret; defaults to nothing.
    pub label: Option<String>,
    /// Other places worth showing (e.g. the first definition of a duplicate).
    pub secondary: Vec<(Span, String)>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(kind: DiagnosticKind, span: Span) -> Self {
        Diagnostic {
            kind,
            span: Some(span),
            label: None,
            secondary: Vec::new(),
            help: None,
        }
    }

    pub fn unlocated(kind: DiagnosticKind) -> Self {
        Diagnostic {
            kind,
            span: None,
            label: None,
            secondary: Vec::new(),
            help: None,
        }
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn help(mut self, help: Option<String>) -> Self {
        self.help = help;
        self
    }

    pub fn also(mut self, span: Span, label: impl Into<String>) -> Self {
        self.secondary.push((span, label.into()));
        self
    }
}

/// "did you mean `x`?" for the closest candidate, if one is close enough.
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        let distance = strsim::osa_distance(name, candidate);
        let limit = (name.len().max(candidate.len()) / 3).clamp(1, 3);
        if distance <= limit && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, c)| format!("did you mean `{c}`?"))
}
