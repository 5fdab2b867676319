//! The commands: each drives the pipeline as far as it needs
//! (syntax -> check -> plan -> executor -> events -> reporter) and returns an exit code.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Parser as _;
use indexmap::IndexMap;
use minijinja::Value;

use crate::check::Checker;
use crate::cli::{
    CheckArgs, Cli, Command, InventoryArgs, InventorySource, LabCommand, RunArgs, exit,
};
use crate::connection::{Cancel, LocalEnv, SshOptions};
use crate::plan::Selection;
use crate::report::{self, Reporter};
use crate::run::{PrepareError, RunOptions, RunRequest};

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
        Command::Serve(args) => crate::app_serve::serve(*args),
        Command::Token(cmd) => crate::app_serve::token(cmd),
        Command::Join(args) => crate::app_serve::join(args),
        Command::Doc(args) => crate::app_author::doc(&args),
        Command::Fmt(args) => crate::app_fmt::fmt(&args),
        Command::Lsp => crate::lsp::run(),
        Command::New(args) => crate::app_author::new(&args),
        Command::Test(args) => crate::app_test::test(&args),
        Command::Completions { shell } => crate::app_author::completions(shell),
    }
}

fn lab(cmd: &LabCommand) -> i32 {
    let name = match cmd {
        LabCommand::Up { lab, .. } | LabCommand::Status { lab } | LabCommand::Down { lab } => lab,
    };
    let lab = match crate::lab::Lab::new(&name.name, &name.state_dir) {
        Ok(l) => l,
        Err(e) => {
            report::error(&e.to_string());
            return exit::USAGE;
        }
    };
    let progress = |line: &str| report::stderr(&format!("{line}\n"));
    let result = match cmd {
        LabCommand::Up {
            count,
            image,
            restart,
            ..
        } => lab
            .up(*count, *image, *restart, &progress)
            .map(|inventory| {
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
            report::error(&e.to_string());
            exit::INTERNAL
        }
    }
}

fn check(args: &CheckArgs) -> i32 {
    let mut checker = Checker::new(roles_path(&args.roles_path));
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

fn inventory(args: &InventoryArgs) -> i32 {
    let shown = crate::run::load_inventory(
        &inventory_sources(&args.source),
        args.playbook_dir.as_deref(),
    )
    .and_then(|inv| match (&args.graph, &args.host) {
        (Some(group), _) => report::render_inventory_graph(&inv, group),
        (None, Some(host)) => report::render_inventory_host(&inv, host, args.json),
        (None, None) => Ok(report::render_inventory(&inv, args.json)),
    });
    match shown {
        Ok(text) => {
            report::stdout(&text);
            exit::OK
        }
        Err(e) => {
            report::error(&e);
            exit::INVALID
        }
    }
}

/// `-e` values: `k=v` (typed like inventory values), `@file.yml` or `@file.json`, or a JSON object.
pub(crate) fn extra_vars(specs: &[String]) -> Result<IndexMap<String, Value>, String> {
    let mut out = IndexMap::new();
    for spec in specs {
        if let Some(file) = spec.strip_prefix('@') {
            let text = crate::fsutil::read_text(std::path::Path::new(file))
                .map_err(|e| format!("-e @{file}: {e}"))?;
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
    let extra_vars = match extra_vars(&args.extra_vars) {
        Ok(v) => v,
        Err(e) => {
            report::error(&e);
            return exit::USAGE;
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
        env_text("EOV_BECOME_PASSWORD").map(Into::into)
    };
    let workdir = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let request = RunRequest {
        play: args.play.clone(),
        roles_path: roles_path(&args.roles_path),
        inventory: inventory_sources(&args.source),
        extra_vars,
        selection: Selection {
            limit: args.limit.clone(),
            tags: args.tags.clone(),
            skip_tags: args.skip_tags.clone(),
        },
        options: RunOptions {
            check: args.check,
            diff: args.diff,
            forks: args.forks,
            ssh: ssh_options(&args.ssh),
            become_password,
            read_ahead: std::env::var_os("EOV_NO_READ_AHEAD").is_none(),
            workdir,
            journal_dir: Some(args.state_dir.join("runs")),
            resume: args.resume,
        },
    };
    let prepared = match crate::run::prepare(request) {
        Ok(p) => p,
        Err(PrepareError::Invalid {
            diagnostics,
            sources,
        }) => {
            report::stderr(&report::render_diagnostics(&diagnostics, &sources));
            return exit::INVALID;
        }
        Err(e) => {
            report::error(&e.to_string());
            return exit::INVALID;
        }
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
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let reporter = Reporter::new(
            args.output,
            args.verbose,
            args.diff,
            Box::new(std::io::stdout()),
        )
        .with_terminal_progress();
        let printing = tokio::spawn(reporter.drain(rx));
        let cancel = Cancel::default();
        tokio::spawn(cancel_on_signals(cancel.clone()));
        let summary = prepared.execute(tx, cancel).await;
        let _ = printing.await;
        exit::of(summary.outcome)
    })
}

/// SSH settings from the command line and the environment.
pub(crate) fn ssh_options(ssh: &crate::cli::SshArgs) -> SshOptions {
    SshOptions {
        user: ssh.user.clone(),
        private_key: ssh.private_key.clone(),
        known_hosts: ssh.known_hosts.clone(),
        accept_new: ssh.accept_new_host_keys,
        timeout: std::time::Duration::from_secs(ssh.timeout.max(1)),
        retries: 2,
        handshakes: ssh.max_handshakes,
        key_passphrase: env_text("EOV_KEY_PASSPHRASE").map(Into::into),
        session: std::env::var_os("EOV_SSH_NO_SESSION").is_none(),
        env: LocalEnv::from_process(),
        pool: None,
    }
}

/// Ctrl-C or SIGTERM: the run stops what it started and reports what it did.
async fn cancel_on_signals(cancel: Cancel) {
    use tokio::signal::unix::{SignalKind, signal};
    let Ok(mut term) = signal(SignalKind::terminate()) else {
        if tokio::signal::ctrl_c().await.is_ok() {
            cancel.cancel();
        }
        return;
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    cancel.cancel();
}

/// The inventories named by `-i` (see `inventory::Sources`).
pub(crate) fn inventory_sources(source: &InventorySource) -> crate::inventory::Sources {
    crate::inventory::Sources {
        paths: source.inventory.clone(),
        timeout: std::time::Duration::from_secs(source.inventory_timeout.max(1)),
    }
}

/// A non-empty environment variable.
pub(crate) fn env_text(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Role directories: `EOV_ROLES_PATH` (colon-separated), then `--roles-path`.
pub(crate) fn roles_path(args: &[PathBuf]) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = env_text("EOV_ROLES_PATH")
        .map(|v| {
            v.split(':')
                .filter(|s| !s.is_empty())
                .map(PathBuf::from)
                .collect()
        })
        .unwrap_or_default();
    out.extend(args.iter().cloned());
    out
}
