//! A module, defined once: its name, what it accepts, where it runs, what it reads before it
//! decides (for read-ahead), and how it runs. Every other part of eov asks this definition;
//! adding a module is adding one `ModuleDef` to the table in `builtin/mod.rs` (the checklist
//! is in docs/modules.md).

use std::future::Future;
use std::pin::Pin;

use super::path_state::PathQuery;
use super::spec::ModuleSpec;
use super::{Args, ModuleCx, ModuleError, Outcome};

/// How a module runs: rendered arguments and the host's session in, an outcome out.
pub type RunFn =
    for<'a> fn(
        &'a Args,
        &'a ModuleCx<'a>,
    ) -> Pin<Box<dyn Future<Output = Result<Outcome, ModuleError>> + Send + 'a>>;

/// Where a module does its work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunsOn {
    /// On the task's host (or the host it is delegated to).
    Target,
    /// On the controller only; it never touches a host (`debug`, `set_fact`, `pause`).
    Controller,
    /// On the controller, or on the host the task is delegated to (`http`: how roles talk
    /// to APIs).
    ControllerUnlessDelegated,
}

/// The kinds of controller files a module reads, and the role/play folder each lives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceKind {
    /// A Jinja template (`templates/`), compiled once per run when named literally.
    Template,
    /// A file copied as it is (`files/`).
    File,
    /// Variables in YAML or JSON (`vars/`).
    Vars,
}

impl SourceKind {
    /// The folder beside a role or play where such files are looked up first.
    pub fn folder(self) -> &'static str {
        match self {
            SourceKind::Template => "templates",
            SourceKind::File => "files",
            SourceKind::Vars => "vars",
        }
    }

    /// As the checker says it: "template `x.j2` not found".
    pub fn describe(self) -> &'static str {
        match self {
            SourceKind::Template => "template",
            SourceKind::File => "file",
            SourceKind::Vars => "variables file",
        }
    }
}

/// An argument that names a controller file.
#[derive(Clone, Copy, Debug)]
pub struct Source {
    pub arg: &'static str,
    pub kind: SourceKind,
}

/// What a module reads on the host before it decides, for the executor's read-ahead.
#[derive(Clone, Copy)]
pub struct ReadAhead {
    /// The only arguments `reads` looks at: just these are rendered ahead, so a task whose
    /// other arguments use a result registered just before can still be read ahead.
    pub args: &'static [&'static str],
    /// The queries the module's probe makes with these arguments (`None`: not known
    /// beforehand). The module's own probe is built from the same function, so the two
    /// cannot drift apart.
    pub reads: fn(&Args, ReadMode) -> Option<Vec<PathQuery>>,
}

/// What the probe must fetch beyond metadata.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReadMode {
    /// `--diff`: file contents, to show what changes.
    pub diff: bool,
}

pub struct ModuleDef {
    pub name: &'static str,
    pub spec: &'static ModuleSpec,
    pub runs_on: RunsOn,
    /// Changes nothing, not even variables (`debug`, `assert`, `fail`): read-ahead looks past it.
    pub inert: bool,
    pub source: Option<Source>,
    pub read_ahead: Option<ReadAhead>,
    pub run: RunFn,
}

impl ModuleDef {
    /// A module that runs on the task's host; settings below.
    pub const fn new(name: &'static str, spec: &'static ModuleSpec, run: RunFn) -> Self {
        ModuleDef {
            name,
            spec,
            runs_on: RunsOn::Target,
            inert: false,
            source: None,
            read_ahead: None,
            run,
        }
    }

    pub const fn on_controller(self) -> Self {
        ModuleDef {
            runs_on: RunsOn::Controller,
            ..self
        }
    }

    pub const fn on_controller_unless_delegated(self) -> Self {
        ModuleDef {
            runs_on: RunsOn::ControllerUnlessDelegated,
            ..self
        }
    }

    pub const fn inert(self) -> Self {
        ModuleDef {
            inert: true,
            ..self
        }
    }

    pub const fn source(self, arg: &'static str, kind: SourceKind) -> Self {
        ModuleDef {
            source: Some(Source { arg, kind }),
            ..self
        }
    }

    pub const fn read_ahead(
        self,
        args: &'static [&'static str],
        reads: fn(&Args, ReadMode) -> Option<Vec<PathQuery>>,
    ) -> Self {
        ModuleDef {
            read_ahead: Some(ReadAhead { args, reads }),
            ..self
        }
    }
}

/// A module of the table: a cheap handle on its definition.
#[derive(Clone, Copy)]
pub struct Module(&'static ModuleDef);

impl PartialEq for Module {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.0, other.0)
    }
}

impl Eq for Module {}

impl std::fmt::Debug for Module {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Module({})", self.0.name)
    }
}

impl Module {
    /// Every module eov knows, in alphabetical order.
    pub fn all() -> impl Iterator<Item = Module> {
        super::builtin::ALL.iter().map(Module)
    }

    pub fn from_name(name: &str) -> Option<Module> {
        Module::all().find(|m| m.name() == name)
    }

    pub fn def(self) -> &'static ModuleDef {
        self.0
    }

    pub fn name(self) -> &'static str {
        self.0.name
    }

    pub fn spec(self) -> &'static ModuleSpec {
        self.0.spec
    }

    /// Never touches a host.
    pub fn runs_on_controller(self) -> bool {
        self.0.runs_on == RunsOn::Controller
    }

    pub fn runs_on(self) -> RunsOn {
        self.0.runs_on
    }

    pub fn is_inert(self) -> bool {
        self.0.inert
    }

    pub fn source(self) -> Option<Source> {
        self.0.source
    }

    /// What a task of this module will probe first, from the arguments read-ahead rendered.
    pub fn reads(self, args: &Args, mode: ReadMode) -> Option<Vec<PathQuery>> {
        self.0.read_ahead.and_then(|r| (r.reads)(args, mode))
    }

    /// The arguments [`Module::reads`] looks at (none: the module is not read ahead).
    pub fn read_ahead_args(self) -> &'static [&'static str] {
        self.0.read_ahead.map_or(&[], |r| r.args)
    }

    pub async fn run(self, args: &Args, cx: &ModuleCx<'_>) -> Result<Outcome, ModuleError> {
        (self.0.run)(args, cx).await
    }
}
