//! eov: a playbook engine with its own language.
//!
//! The pipeline, one stage per module, each a type with one entry point:
//!
//! ```text
//! source files --syntax::parse--> ast::File --Checker--> program::Program
//!   --Planner::plan (+ inventory)--> plan::Plan --Executor::run--> event::Event*
//!   --Reporter--> stdout (human lines or JSON lines)
//! ```
//!
//! Everything before the executor is pure: `eov check` stops after the checker, and no
//! connection is opened before the plan exists. Only `report` prints.

pub mod app;
mod app_author;
mod app_fmt;
pub mod app_serve;
mod app_test;
pub mod ast;
pub mod check;
pub mod cli;
pub mod connection;
pub mod diagnostic;
pub(crate) mod diff;
pub(crate) mod duration;
pub mod event;
pub(crate) mod executor;
pub(crate) mod fsutil;
pub mod inventory;
pub mod join;
pub mod journal;
pub(crate) mod lab;
pub(crate) mod lsp;
pub(crate) mod modules;
pub mod plan;
pub mod program;
pub(crate) mod redact;
pub mod report;
pub mod run;
pub mod serve;
pub(crate) mod shell;
pub mod source;
pub mod syntax;
pub(crate) mod template;
pub(crate) mod vars;
pub(crate) mod yaml;
