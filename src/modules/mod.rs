//! The modules: one alphabetised enum, each variant backed by a file with its spec and its
//! probe -> decide -> apply implementation.

pub mod action;
pub mod args;
mod attrs;
mod content;
pub mod context;
mod outcome;
pub mod path_state;
pub mod prefetch;
pub mod spec;
mod text_edit;

mod apt;
mod assert;
mod authorized_key;
mod blockinfile;
mod command;
mod copy;
mod debug;
mod fail;
mod fetch;
mod file;
mod http;
mod lineinfile;
mod pause;
mod service;
mod set_fact;
mod slurp;
mod stat;
mod sysctl;
mod template;
mod wait_for;

pub use args::Args;
pub use context::ModuleCx;
pub use outcome::{ModuleError, Outcome};
pub use path_state::PathQuery;
pub use prefetch::Prefetch;
pub use spec::ModuleSpec;

/// What a task will do to a host before it decides, for the executor's read-ahead.
pub enum Lookahead {
    /// It reads these paths, and changes the host only if what it reads says so.
    Probes(Vec<PathQuery>),
    /// It may change the host, or its reads are not known beforehand: look no further.
    Stop,
}

/// Every module eov knows, in alphabetical order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Module {
    Apt,
    Assert,
    AuthorizedKey,
    Blockinfile,
    Command,
    Copy,
    Debug,
    Fail,
    Fetch,
    File,
    Http,
    Lineinfile,
    Pause,
    Service,
    SetFact,
    Shell,
    Slurp,
    Stat,
    Sysctl,
    Template,
    WaitFor,
}

impl Module {
    pub const ALL: &[Module] = &[
        Module::Apt,
        Module::Assert,
        Module::AuthorizedKey,
        Module::Blockinfile,
        Module::Command,
        Module::Copy,
        Module::Debug,
        Module::Fail,
        Module::Fetch,
        Module::File,
        Module::Http,
        Module::Lineinfile,
        Module::Pause,
        Module::Service,
        Module::SetFact,
        Module::Shell,
        Module::Slurp,
        Module::Stat,
        Module::Sysctl,
        Module::Template,
        Module::WaitFor,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Module::Apt => "apt",
            Module::Assert => "assert",
            Module::AuthorizedKey => "authorized_key",
            Module::Blockinfile => "blockinfile",
            Module::Command => "command",
            Module::Copy => "copy",
            Module::Debug => "debug",
            Module::Fail => "fail",
            Module::Fetch => "fetch",
            Module::File => "file",
            Module::Http => "http",
            Module::Lineinfile => "lineinfile",
            Module::Pause => "pause",
            Module::Service => "service",
            Module::SetFact => "set_fact",
            Module::Shell => "shell",
            Module::Slurp => "slurp",
            Module::Stat => "stat",
            Module::Sysctl => "sysctl",
            Module::Template => "template",
            Module::WaitFor => "wait_for",
        }
    }

    pub fn from_name(name: &str) -> Option<Module> {
        Module::ALL.iter().copied().find(|m| m.name() == name)
    }

    pub fn spec(self) -> &'static ModuleSpec {
        match self {
            Module::Apt => &apt::SPEC,
            Module::Assert => &assert::SPEC,
            Module::AuthorizedKey => &authorized_key::SPEC,
            Module::Blockinfile => &blockinfile::SPEC,
            Module::Command => &command::COMMAND_SPEC,
            Module::Copy => &copy::SPEC,
            Module::Debug => &debug::SPEC,
            Module::Fail => &fail::SPEC,
            Module::Fetch => &fetch::SPEC,
            Module::File => &file::SPEC,
            Module::Http => &http::SPEC,
            Module::Lineinfile => &lineinfile::SPEC,
            Module::Pause => &pause::SPEC,
            Module::Service => &service::SPEC,
            Module::SetFact => &set_fact::SPEC,
            Module::Shell => &command::SHELL_SPEC,
            Module::Slurp => &slurp::SPEC,
            Module::Stat => &stat::SPEC,
            Module::Sysctl => &sysctl::SPEC,
            Module::Template => &template::SPEC,
            Module::WaitFor => &wait_for::SPEC,
        }
    }

    /// Which local file an argument names, for the checker's "file not found" (kind, arg).
    pub fn local_source(self) -> Option<(&'static str, &'static str)> {
        match self {
            Module::Template => Some(("template", "src")),
            Module::Copy => Some(("file", "src")),
            _ => None,
        }
    }

    /// Modules that change nothing, not even variables.
    pub fn is_inert(self) -> bool {
        matches!(self, Module::Assert | Module::Debug | Module::Fail)
    }

    /// Modules that run on the controller only and never touch the host.
    pub fn is_local_only(self) -> bool {
        matches!(
            self,
            Module::Assert | Module::Debug | Module::Fail | Module::Pause | Module::SetFact
        )
    }

    /// Modules that run on the controller unless the task is delegated (they talk to APIs).
    pub fn runs_on_controller(self) -> bool {
        matches!(self, Module::Http)
    }

    /// The arguments [`Module::lookahead`] reads: only these are rendered ahead, so that a
    /// task whose content uses a result registered just before can still be read ahead.
    pub fn lookahead_args(self) -> &'static [&'static str] {
        match self {
            Module::File | Module::Lineinfile | Module::Blockinfile => &["path"],
            Module::Copy | Module::Template => &["dest"],
            Module::Stat => &["path", "checksum"],
            Module::Command | Module::Shell => &["creates", "removes", "chdir"],
            _ => &[],
        }
    }

    /// What a task of this module with these (rendered) arguments will probe first. Must name
    /// exactly the queries its `probe` makes, or the read-ahead is wasted (never wrong: a
    /// task whose query was not read ahead probes for itself).
    pub fn lookahead(self, args: &Args, diff: bool) -> Lookahead {
        let path = |name: &str| args.opt_str(name).ok().flatten();
        let one = |p: Option<String>, hash: bool, content: bool| match p {
            Some(p) => Lookahead::Probes(vec![PathQuery::new(&p, hash, content)]),
            None => Lookahead::Stop,
        };
        match self {
            Module::File => one(path("path"), false, false),
            Module::Copy | Module::Template => match path("dest") {
                // A directory `dest` takes its file name from `src`.
                Some(d) if d.ends_with('/') => Lookahead::Stop,
                d => one(d, true, diff),
            },
            Module::Lineinfile | Module::Blockinfile => one(path("path"), false, true),
            Module::Stat => match args.bool_or("checksum", true) {
                Ok(hash) => one(path("path"), hash, false),
                Err(_) => Lookahead::Stop,
            },
            Module::Command | Module::Shell => command::lookahead(args),
            _ => Lookahead::Stop,
        }
    }

    pub async fn run(self, args: &Args, cx: &ModuleCx<'_>) -> Result<Outcome, ModuleError> {
        use action::drive;
        match self {
            Module::Apt => drive(apt::Apt::new(args)?, cx).await,
            Module::Assert => assert::run(args, cx),
            Module::AuthorizedKey => drive(authorized_key::AuthorizedKey::new(args)?, cx).await,
            Module::Blockinfile => drive(blockinfile::Blockinfile::new(args)?, cx).await,
            Module::Command => drive(command::Command::new(args, false)?, cx).await,
            Module::Copy => drive(copy::new(args, cx).await?, cx).await,
            Module::Debug => debug::run(args),
            Module::Fail => fail::run(args),
            Module::Fetch => drive(fetch::Fetch::new(args, cx)?, cx).await,
            Module::File => drive(file::File::new(args)?, cx).await,
            Module::Http => http::run(args, cx).await,
            Module::Lineinfile => drive(lineinfile::Lineinfile::new(args)?, cx).await,
            Module::Pause => pause::run(args, cx).await,
            Module::Service => drive(service::Service::new(args)?, cx).await,
            Module::SetFact => Ok(set_fact::run(args)),
            Module::Shell => drive(command::Command::new(args, true)?, cx).await,
            Module::Slurp => slurp::run(args, cx).await,
            Module::Stat => stat::run(args, cx).await,
            Module::Sysctl => drive(sysctl::Sysctl::new(args)?, cx).await,
            Module::Template => drive(template::new(args, cx).await?, cx).await,
            Module::WaitFor => wait_for::run(args, cx).await,
        }
    }
}
