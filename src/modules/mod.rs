//! The modules. Each is defined once (`def.rs`: name, arguments, where it runs, what it reads
//! ahead, how it runs) in the table of `builtin/`; every built-in follows
//! `probe -> decide -> apply` (`action.rs`) through the host's session (`context.rs`).

pub mod action;
pub mod args;
mod attrs;
mod builtin;
pub(crate) mod choice;
mod content;
pub mod context;
pub mod def;
pub mod mode;
pub mod outcome;
pub mod path_state;
pub mod session;
pub mod spec;
mod text_edit;

pub use args::Args;
pub use context::ModuleCx;
pub use def::{Module, ReadMode, RunsOn, SourceKind};
pub use outcome::{ModuleError, Outcome};
pub use session::HostSession;
