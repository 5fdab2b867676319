//! Command-line arguments (clap). Parsing only: `app.rs` does the work.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::report::Format;

#[derive(Debug, Parser)]
#[command(
    name = "eov",
    version,
    about = "A playbook engine with its own language: grow an OpenStack over an OpenVPN flat network"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a play file.
    Run(RunArgs),
    /// Check plays and roles without touching any host.
    Check(CheckArgs),
    /// Show the inventory: hosts, groups and variables.
    Inventory(InventoryArgs),
}

#[derive(Debug, Args)]
pub struct InventorySource {
    /// Inventory file (positional `current/hosts` or grouped INI). Default: `current/hosts`
    /// if it exists, else `localhost` alone.
    #[arg(short, long, env = "EOV_INVENTORY")]
    pub inventory: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The play file.
    pub play: PathBuf,
    #[command(flatten)]
    pub source: InventorySource,
    /// Only these hosts (a host pattern: `web`, `a:b`, `all:!db`).
    #[arg(short, long)]
    pub limit: Option<String>,
    /// Only steps with these tags (comma-separated; repeatable).
    #[arg(short, long, value_delimiter = ',')]
    pub tags: Vec<String>,
    /// Skip steps with these tags.
    #[arg(long, value_delimiter = ',')]
    pub skip_tags: Vec<String>,
    /// Extra variables, highest precedence: `name=value`, `@vars.yml` or a JSON object.
    #[arg(short = 'e', long = "extra-vars")]
    pub extra_vars: Vec<String>,
    /// How many hosts run at once.
    #[arg(short, long, default_value_t = 100, env = "EOV_FORKS")]
    pub forks: usize,
    /// Probe and decide, change nothing.
    #[arg(long)]
    pub check: bool,
    /// Show what changes (or would change) in each file.
    #[arg(long)]
    pub diff: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub output: Format,
    /// Show command output for every task, not only failed ones.
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// More directories to look for roles in.
    #[arg(long, env = "EOV_EXTRA_ROLES_PATH", value_delimiter = ':')]
    pub roles_path: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files or directories (every `.eov` below them).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// More directories to look for roles in.
    #[arg(long, value_delimiter = ':')]
    pub roles_path: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct InventoryArgs {
    #[command(flatten)]
    pub source: InventorySource,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}
