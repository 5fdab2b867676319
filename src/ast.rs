//! The syntax tree: exactly what was written, every node with its span, nothing validated.

use std::time::Duration;

use crate::source::Span;

/// A name as written, with where it was written.
#[derive(Clone, Debug)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A literal value.
#[derive(Clone, Debug)]
pub struct Value {
    pub kind: ValueKind,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum ValueKind {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Null,
    Mode(u32),
    Duration(Duration),
    List(Vec<Value>),
    Map(Vec<Entry>),
    /// `secret "..."`: redacted in every output.
    Secret(String),
    /// A bare dotted path in a loop header (`for x in groups.compute`).
    Path(String),
}

impl ValueKind {
    /// The name of this kind of value, as a user would say it.
    pub fn describe(&self) -> &'static str {
        match self {
            ValueKind::Str(_) => "a string",
            ValueKind::Int(_) => "an integer",
            ValueKind::Float(_) => "a number",
            ValueKind::Bool(_) => "a boolean",
            ValueKind::Null => "null",
            ValueKind::Mode(_) => "a file mode",
            ValueKind::Duration(_) => "a duration",
            ValueKind::List(_) => "a list",
            ValueKind::Map(_) => "a map",
            ValueKind::Secret(_) => "a secret string",
            ValueKind::Path(_) => "an expression",
        }
    }
}

/// `key = value` inside a map.
#[derive(Clone, Debug)]
pub struct Entry {
    pub key: Ident,
    pub value: Value,
}

/// `name = value` setting of a play, block or task.
pub type Attr = Entry;

/// A parsed file: plays, or a role definition.
#[derive(Clone, Debug, Default)]
pub struct File {
    pub plays: Vec<Play>,
    pub roles: Vec<RoleDef>,
    pub imports: Vec<Import>,
    /// Tasks and blocks at the top: a task file, imported into a body.
    pub tasks: Vec<Item>,
}

/// `import "file.eov"`: that file's plays, run before the play at `before` (an index into
/// `plays`).
#[derive(Clone, Debug)]
pub struct Import {
    pub path: String,
    pub span: Span,
    pub before: usize,
}

#[derive(Clone, Debug)]
pub struct Play {
    pub name: String,
    pub name_span: Span,
    pub pattern: Value,
    pub vars: Vec<Entry>,
    pub attrs: Vec<Attr>,
    pub body: Vec<Item>,
    pub handlers: Vec<Task>,
    pub span: Span,
}

/// A step of a play or role body.
#[derive(Clone, Debug)]
pub enum Item {
    Task(Task),
    Block(Block),
    Role(RoleUse),
    /// `import "tasks/x.eov"`: a task file's items, here.
    Import(TasksImport),
}

#[derive(Clone, Debug)]
pub struct TasksImport {
    pub path: String,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct RoleUse {
    pub name: Ident,
    pub args: Vec<Entry>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct RoleDef {
    pub name: Ident,
    pub params: Vec<Param>,
    pub vars: Vec<Entry>,
    pub body: Vec<Item>,
    pub handlers: Vec<Task>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Param {
    pub name: Ident,
    pub ty: Ident,
    pub default: Option<Value>,
    pub secret: bool,
}

#[derive(Clone, Debug)]
pub struct Loop {
    pub var: Ident,
    pub source: Value,
}

#[derive(Clone, Debug)]
pub struct ModuleCall {
    pub name: Ident,
    pub args: Vec<Entry>,
    pub span: Span,
}

/// A task or handler: one module call plus settings.
#[derive(Clone, Debug)]
pub struct Task {
    pub name: String,
    pub name_span: Span,
    pub looping: Option<Loop>,
    pub modules: Vec<ModuleCall>,
    pub vars: Vec<Entry>,
    pub attrs: Vec<Attr>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Block {
    pub name: Option<String>,
    pub vars: Vec<Entry>,
    pub attrs: Vec<Attr>,
    pub body: Vec<Item>,
    pub rescue: Vec<Item>,
    pub always: Vec<Item>,
    pub span: Span,
}
