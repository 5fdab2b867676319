//! The commands: each drives the pipeline as far as it needs
//! (syntax -> check -> plan -> executor -> events -> reporter) and returns an exit code.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Parser as _;
use indexmap::IndexMap;
use minijinja::Value;

use crate::check::Checker;
use crate::cli::{CheckArgs, Cli, Command, InventoryArgs, InventorySource, LabCommand, RunArgs};
use crate::event::EventSink;
use crate::executor::{Executor, RunOptions, SshOptions, exit};
use crate::inventory::Inventory;
use crate::plan::{Planner, Selection};
use crate::redact::Secrets;
use crate::report::{self, Reporter};
use crate::template::Templates;

/// Runs the `eov` command line; returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
        }
    };
    match cli.command {
        Command::Run(args) => run(*args),
        Command::Check(args) => check(&args),
        Command::Inventory(args) => inventory(&args),
        Command::Lab(cmd) => lab(&cmd),
    }
}

fn lab(cmd: &LabCommand) -> i32 {
    let name = match cmd {
        LabCommand::Up { lab, .. } | LabCommand::Status { lab } | LabCommand::Down { lab } => lab,
    };
    let lab = match crate::lab::Lab::new(&name.name, &name.state_dir) {
        Ok(l) => l,
        Err(e) => {
            report::error(&e.0);
            return exit::USAGE;
        }
    };
    let progress = |line: &str| report::stderr(&format!("{line}\n"));
    let result = match cmd {
        LabCommand::Up { count, image, .. } => lab.up(*count, *image, &progress).map(|inventory| {
            report::stdout(&report::render_lab_up(&lab.name, &inventory, *count));
        }),
        LabCommand::Status { .. } => lab
            .status()
            .map(|hosts| report::stdout(&report::render_lab_status(&lab.name, &hosts))),
        LabCommand::Down { .. } => lab
            .down()
            .map(|n| report::stdout(&format!("lab `{}`: {n} host(s) removed\n", lab.name))),
    };
    match result {
        Ok(()) => exit::OK,
        Err(e) => {
            report::error(&e.0);
            exit::INTERNAL
        }
    }
}

fn check(args: &CheckArgs) -> i32 {
    let mut checker = Checker::new(args.roles_path.clone());
    let mut files = 0;
    for path in &args.paths {
        files += checker.check_path(path);
    }
    let errors = checker.take_errors();
    if errors.is_empty() {
        report::stdout(&format!(
            "{files} file{} checked, no error\n",
            if files == 1 { "" } else { "s" }
        ));
        exit::OK
    } else {
        report::stderr(&report::render_diagnostics(&errors, &checker.sources));
        exit::INVALID
    }
}

fn load_inventory(source: &InventorySource) -> Result<Inventory, String> {
    let path = match &source.inventory {
        Some(p) => p.clone(),
        None => {
            let default = PathBuf::from("current/hosts");
            if !default.is_file() {
                return Ok(Inventory::localhost());
            }
            default
        }
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read inventory `{}`: {e}", path.display()))?;
    Inventory::parse(&path.display().to_string(), &text).map_err(|e| format!("inventory {e}"))
}

fn inventory(args: &InventoryArgs) -> i32 {
    match load_inventory(&args.source) {
        Ok(inv) => {
            report::stdout(&report::render_inventory(&inv, args.json));
            exit::OK
        }
        Err(e) => {
            report::error(&e);
            exit::INVALID
        }
    }
}

/// `-e` values: `k=v` (typed like inventory values), `@file.yml` or `@file.json`, or a JSON object.
fn extra_vars(specs: &[String]) -> Result<IndexMap<String, Value>, String> {
    let mut out = IndexMap::new();
    for spec in specs {
        if let Some(file) = spec.strip_prefix('@') {
            let text = std::fs::read_to_string(file).map_err(|e| format!("-e @{file}: {e}"))?;
            let map: IndexMap<String, Value> =
                crate::yaml::from_str(&text).map_err(|e| format!("-e @{file}: {e}"))?;
            out.extend(map);
        } else if spec.trim_start().starts_with('{') {
            let map: IndexMap<String, Value> =
                serde_json::from_str(spec).map_err(|e| format!("-e {spec}: {e}"))?;
            out.extend(map);
        } else {
            let (k, v) = spec.split_once('=').ok_or_else(|| {
                format!("-e `{spec}`: expected `name=value`, `@file` or a JSON object")
            })?;
            if k.is_empty() || !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(format!("-e `{spec}`: `{k}` is not a variable name"));
            }
            out.insert(k.to_string(), crate::inventory::typed_value(v));
        }
    }
    Ok(out)
}

fn run(args: RunArgs) -> i32 {
    let mut checker = Checker::new(args.roles_path.clone());
    let program = match checker.check_play_file(&args.play) {
        Ok(p) => p,
        Err(errors) => {
            report::stderr(&report::render_diagnostics(&errors, &checker.sources));
            return exit::INVALID;
        }
    };
    let inventory = match load_inventory(&args.source) {
        Ok(i) => Arc::new(i),
        Err(e) => {
            report::error(&e);
            return exit::INVALID;
        }
    };
    let extra = match extra_vars(&args.extra_vars) {
        Ok(v) => v,
        Err(e) => {
            report::error(&e);
            return exit::USAGE;
        }
    };
    let secrets = Secrets::default();
    let templates = Templates::new();
    let selection = Selection {
        limit: args.limit.clone(),
        tags: args.tags.clone(),
        skip_tags: args.skip_tags.clone(),
    };
    let planner = Planner {
        inventory: &inventory,
        templates: &templates,
        extra_vars: &extra,
        secrets: &secrets,
    };
    let plan = match planner.plan(program, &selection) {
        Ok(p) => p,
        Err(e) => {
            report::error(&e.to_string());
            return exit::INVALID;
        }
    };
    let become_password: Option<Arc<str>> = if args.ssh.ask_become_pass {
        match report::prompt_secret("become password: ") {
            Ok(pw) => Some(pw.into()),
            Err(e) => {
                report::error(&format!("cannot read the become password: {e}"));
                return exit::USAGE;
            }
        }
    } else {
        std::env::var("EOV_BECOME_PASSWORD")
            .ok()
            .filter(|p| !p.is_empty())
            .map(Into::into)
    };
    let ssh = SshOptions {
        user: args.ssh.user.clone(),
        private_key: args.ssh.private_key.clone(),
        known_hosts: args.ssh.known_hosts.clone(),
        accept_new: args.ssh.accept_new_host_keys,
        timeout: std::time::Duration::from_secs(args.ssh.timeout.max(1)),
        retries: 2,
        handshakes: args.ssh.max_handshakes,
    };
    let options = RunOptions {
        ssh,
        become_password,
        check: args.check,
        diff: args.diff,
        forks: args.forks,
        extra_vars: extra,
        workdir: std::env::current_dir().unwrap_or_else(|_| Path::new(".").to_path_buf()),
        read_ahead: std::env::var_os("EOV_NO_READ_AHEAD").is_none(),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            report::error(&format!("cannot start the async runtime: {e}"));
            return exit::INTERNAL;
        }
    };
    runtime.block_on(async move {
        let (sink, rx) = EventSink::new(secrets.clone());
        let reporter = Reporter::new(
            args.output,
            args.verbose,
            args.diff,
            Box::new(std::io::stdout()),
        )
        .with_terminal_progress();
        let printing = tokio::spawn(reporter.drain(rx));
        let executor = Executor::new(inventory, options, secrets, sink);
        let cancel = executor.canceller();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                cancel();
            }
        });
        let code = executor.run(plan).await;
        let _ = printing.await;
        code
    })
}
