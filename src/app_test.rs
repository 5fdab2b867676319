//! `eov test ROLE`: what molecule does for Ansible. For each scenario in `roles/ROLE/tests/`
//! (a play file applying the role), on throwaway lab hosts: converge, converge again and
//! require `changed=0` (idempotence), then run the scenario's tasks tagged `verify`; a summary
//! per scenario. The lab is removed at the end unless `--keep`.

use std::path::{Path, PathBuf};

use crate::cli::{TestArgs, exit};
use crate::connection::{Cancel, LocalEnv, SshOptions};
use crate::event::Event;
use crate::plan::Selection;
use crate::report::{self, Format, Reporter};
use crate::run::{PrepareError, RunOptions, RunOutcome, RunRequest, RunSummary};

/// One phase of a scenario and what it ended with.
struct Phase {
    name: &'static str,
    summary: Result<RunSummary, String>,
}

pub fn test(args: &TestArgs) -> i32 {
    let search = crate::check::role_search_path(Path::new("."), &args.roles_path);
    let Some(dir) = search
        .iter()
        .map(|d| d.join(&args.role))
        .find(|d| d.join("main.eov").is_file())
    else {
        report::error(&format!(
            "no role `{}` (looked for ROLE/main.eov)",
            args.role
        ));
        return exit::USAGE;
    };
    let mut scenarios: Vec<PathBuf> = std::fs::read_dir(dir.join("tests"))
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "eov"))
                .filter(|p| {
                    args.scenario
                        .as_ref()
                        .is_none_or(|s| p.file_stem().is_some_and(|n| n == s.as_str()))
                })
                .collect()
        })
        .unwrap_or_default();
    scenarios.sort();
    if scenarios.is_empty() {
        report::error(&format!(
            "role `{}` has no scenario: add a play in {}/tests/ (see `eov new role`)",
            args.role,
            dir.display()
        ));
        return exit::USAGE;
    }
    let name = format!(
        "t{}-{}",
        std::process::id() % 10_000,
        args.role.replace('_', "-")
    );
    let name: String = name.chars().take(20).collect();
    let state = match &args.keep_in {
        Some(d) => d.clone(),
        None => std::env::temp_dir().join(format!("eov-test-{name}")),
    };
    let lab = match crate::lab::Lab::new(name.trim_end_matches('-'), &state) {
        Ok(l) => l,
        Err(e) => {
            report::error(&e.to_string());
            return exit::USAGE;
        }
    };
    let progress = |line: &str| report::stderr(&format!("{line}\n"));
    let inventory = match lab.up(args.hosts, args.image, &progress) {
        Ok(i) => i,
        Err(e) => {
            report::error(&format!("cannot start the lab: {e}"));
            let _ = lab.down();
            return exit::INTERNAL;
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            report::error(&format!("cannot start the async runtime: {e}"));
            let _ = lab.down();
            return exit::INTERNAL;
        }
    };
    let mut all_passed = true;
    let mut lines = Vec::new();
    for scenario in &scenarios {
        let phases = run_scenario(&runtime, scenario, &inventory, args);
        let (passed, line) = judge(scenario, &phases);
        all_passed &= passed;
        lines.push(line);
    }
    report::stdout(&format!(
        "\nSCENARIOS of role `{}`\n{}\n",
        args.role,
        lines.join("\n")
    ));
    if args.keep_in.is_some() {
        report::stdout(&format!(
            "lab kept: {} (remove it with `eov lab down --name {} --state-dir {}`)\n",
            inventory.display(),
            lab.name,
            state.display()
        ));
    } else {
        if let Err(e) = lab.down() {
            report::error(&format!("cannot remove the lab: {e}"));
        }
        let _ = std::fs::remove_dir_all(&state);
    }
    if all_passed { exit::OK } else { exit::FAILED }
}

fn run_scenario(
    runtime: &tokio::runtime::Runtime,
    scenario: &Path,
    inventory: &Path,
    args: &TestArgs,
) -> Vec<Phase> {
    let mut phases = Vec::new();
    let steps: [(&'static str, Selection); 3] = [
        ("converge", skip_verify()),
        ("idempotence", skip_verify()),
        (
            "verify",
            Selection {
                tags: vec!["verify".into()],
                ..Selection::default()
            },
        ),
    ];
    for (name, selection) in steps {
        report::stdout(&format!(
            "\n== {}: {name}\n",
            scenario.file_stem().unwrap_or_default().to_string_lossy()
        ));
        let summary = run_once(runtime, scenario, inventory, selection, args);
        let stop = !matches!(&summary, Ok(s) if s.outcome == RunOutcome::Ok);
        phases.push(Phase { name, summary });
        if stop {
            break;
        }
    }
    phases
}

fn skip_verify() -> Selection {
    Selection {
        skip_tags: vec!["verify".into()],
        ..Selection::default()
    }
}

fn run_once(
    runtime: &tokio::runtime::Runtime,
    scenario: &Path,
    inventory: &Path,
    selection: Selection,
    args: &TestArgs,
) -> Result<RunSummary, String> {
    let mut request = RunRequest {
        play: scenario.to_path_buf(),
        roles_path: crate::app::roles_path(&args.roles_path),
        selection,
        options: RunOptions {
            ssh: SshOptions {
                env: LocalEnv::from_process(),
                ..SshOptions::default()
            },
            workdir: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
            ..RunOptions::default()
        },
        ..RunRequest::default()
    };
    request.inventory.paths = vec![inventory.to_path_buf()];
    let prepared = match crate::run::prepare(request) {
        Ok(p) => p,
        Err(PrepareError::Invalid {
            diagnostics,
            sources,
        }) => {
            report::stderr(&report::render_diagnostics(&diagnostics, &sources));
            return Err("the scenario has errors".into());
        }
        Err(e) => return Err(e.to_string()),
    };
    Ok(runtime.block_on(async move {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Event>();
        let reporter = Reporter::new(Format::Human, 0, false, Box::new(std::io::stdout()));
        let printing = tokio::spawn(reporter.drain(rx));
        let summary = prepared.execute(tx, Cancel::default()).await;
        let _ = printing.await;
        summary
    }))
}

/// Whether the scenario passed, and its summary line.
fn judge(scenario: &Path, phases: &[Phase]) -> (bool, String) {
    let name = scenario.file_stem().unwrap_or_default().to_string_lossy();
    let mut words = Vec::new();
    let mut passed = phases.len() == 3;
    for p in phases {
        let word = match &p.summary {
            Err(e) => {
                passed = false;
                format!("{} error ({e})", p.name)
            }
            Ok(s) if s.outcome != RunOutcome::Ok => {
                passed = false;
                format!("{} {:?}", p.name, s.outcome).to_lowercase()
            }
            Ok(s) => {
                let changed: u32 = s.recap.iter().map(|r| r.changed).sum();
                if p.name == "idempotence" && changed > 0 {
                    passed = false;
                    format!("idempotence FAILED (changed={changed})")
                } else if p.name == "converge" {
                    format!("converge ok (changed={changed})")
                } else {
                    format!("{} ok", p.name)
                }
            }
        };
        words.push(word);
    }
    let verdict = if passed { "PASS" } else { "FAIL" };
    (passed, format!("  {verdict} {name}: {}", words.join(", ")))
}
