//! `eov test ROLE`: what molecule does for Ansible. For each scenario in `roles/ROLE/tests/`
//! (a play file applying the role), on throwaway lab hosts: run what is tagged `prepare` once
//! (what the role needs and does not do itself), converge, converge again and require
//! `changed=0` (idempotence), then run the scenario's tasks tagged `verify`; a summary per
//! scenario. The lab is what the scenarios' `lab = { hosts, image }` ask for (or the flags);
//! it is removed at the end unless `--keep`.

use std::path::{Path, PathBuf};

use crate::cli::{TestArgs, exit};
use crate::connection::{Cancel, LocalEnv, SshOptions};
use crate::event::Event;
use crate::lab::Variant;
use crate::plan::Selection;
use crate::program::{LabNeeds, Step};
use crate::report::{self, Format, Reporter};
use crate::run::{PrepareError, RunOptions, RunOutcome, RunRequest, RunSummary};

/// One phase of a scenario and what it ended with.
struct Phase {
    name: &'static str,
    summary: Result<RunSummary, String>,
}

pub fn test(args: &TestArgs) -> i32 {
    // Absolute: the scenarios run from the lab's state directory (below).
    let roles_path: Vec<PathBuf> = crate::app::roles_path(&args.roles_path)
        .iter()
        .map(|p| std::path::absolute(p).unwrap_or_else(|_| p.clone()))
        .collect();
    let here = std::path::absolute(".").unwrap_or_else(|_| PathBuf::from("."));
    let search = crate::check::role_search_path(&here, &roles_path);
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
    let mut scenarios: Vec<(PathBuf, bool)> = std::fs::read_dir(dir.join("tests"))
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "eov"))
                .filter(|p| {
                    args.scenario
                        .as_ref()
                        .is_none_or(|s| p.file_stem().is_some_and(|n| n == s.as_str()))
                })
                .map(|p| (p, false))
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
        Some(d) => std::path::absolute(d).unwrap_or_else(|_| d.clone()),
        None => std::env::temp_dir().join(format!("eov-test-{name}")),
    };
    let lab = match crate::lab::Lab::new(name.trim_end_matches('-'), &state) {
        Ok(l) => l,
        Err(e) => {
            report::error(&e.to_string());
            return exit::USAGE;
        }
    };
    let needs = match needs(&mut scenarios, &roles_path) {
        Ok(n) => n,
        Err(rendered) => {
            report::stderr(&rendered);
            return exit::USAGE;
        }
    };
    let hosts = args.hosts.or(needs.hosts).unwrap_or(1);
    let image = args.image.or(needs.image).unwrap_or_default();
    let restart = if needs.restart {
        crate::lab::Restart::Always
    } else {
        crate::lab::Restart::No
    };
    let progress = |line: &str| report::stderr(&format!("{line}\n"));
    let inventory = match lab.up(hosts, image, restart, &progress) {
        Ok(i) => i,
        Err(e) => {
            report::error(&format!("cannot start the lab: {e}"));
            let _ = lab.down();
            return exit::INTERNAL;
        }
    };
    if let Err(e) = add_groups(&inventory, &needs.groups, hosts) {
        report::error(&format!("{}: {e}", inventory.display()));
        let _ = lab.down();
        return exit::INTERNAL;
    }
    // What a scenario writes on the controller (`current/...`: passwords, openrc, fetched
    // files) goes to the lab's state, not the project's, and goes away with the lab.
    if let Err(e) = std::env::set_current_dir(&state) {
        report::error(&format!("{}: {e}", state.display()));
        let _ = lab.down();
        return exit::INTERNAL;
    }
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
    for (scenario, prepare) in &scenarios {
        let phases = run_scenario(&runtime, scenario, *prepare, &inventory, &roles_path);
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

/// What the scenarios' `lab` settings ask for, together (the most hosts, `openstack` if any
/// wants it), and each scenario with whether it has anything tagged `prepare`; a scenario
/// that does not check is reported here, before any host starts.
fn needs(scenarios: &mut [(PathBuf, bool)], roles_path: &[PathBuf]) -> Result<LabNeeds, String> {
    let mut all = LabNeeds::default();
    let mut checker = crate::check::Checker::new(roles_path.to_vec());
    for (path, prepare) in scenarios.iter_mut() {
        let program = checker
            .check_play_file(path)
            .map_err(|diagnostics| report::render_diagnostics(&diagnostics, &checker.sources))?;
        *prepare = program.plays.iter().any(|p| tagged(&p.body, PREPARE));
        for lab in program.plays.iter().filter_map(|p| p.lab.as_ref()) {
            all.hosts = all.hosts.max(lab.hosts);
            if lab.image == Some(Variant::Openstack) {
                all.image = Some(Variant::Openstack);
            }
            all.image = all.image.or(lab.image);
            all.restart |= lab.restart;
            for (group, hosts) in &lab.groups {
                match all.groups.iter_mut().find(|(g, _)| g == group) {
                    Some((_, have)) => have.extend(hosts.iter().cloned()),
                    None => all.groups.push((group.clone(), hosts.clone())),
                }
            }
        }
    }
    Ok(all)
}

/// The scenarios' groups, written after the lab's own inventory (a host named twice is listed
/// once; a host the lab does not have is an error, not an empty group).
fn add_groups(
    inventory: &Path,
    groups: &[(String, Vec<String>)],
    hosts: usize,
) -> Result<(), String> {
    use std::io::Write;
    if groups.is_empty() {
        return Ok(());
    }
    let mut text = String::new();
    for (group, members) in groups {
        text.push_str(&format!("\n[{group}]\n"));
        let mut seen = Vec::new();
        for h in members {
            let n: usize = h[1..].parse().unwrap_or(0);
            if n == 0 || n > hosts {
                return Err(format!(
                    "group `{group}` names {h}, but the lab has h1 to h{hosts}"
                ));
            }
            if !seen.contains(h) {
                text.push_str(&format!("{h}\n"));
                seen.push(h.clone());
            }
        }
    }
    std::fs::OpenOptions::new()
        .append(true)
        .open(inventory)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| e.to_string())
}

/// Whether a step (or a step inside a block) carries `tag` (play tags are on its tasks).
fn tagged(steps: &[Step], tag: &str) -> bool {
    steps.iter().any(|s| match s {
        Step::Task(t) => t.tags.iter().any(|t| t == tag),
        Step::Block(b) => {
            b.tags.iter().any(|t| t == tag)
                || tagged(&b.body, tag)
                || tagged(&b.rescue, tag)
                || tagged(&b.always, tag)
        }
    })
}

const PREPARE: &str = "prepare";
const VERIFY: &str = "verify";

fn run_scenario(
    runtime: &tokio::runtime::Runtime,
    scenario: &Path,
    prepare: bool,
    inventory: &Path,
    roles_path: &[PathBuf],
) -> Vec<Phase> {
    let mut phases = Vec::new();
    let only = |tag: &str| Selection {
        tags: vec![tag.into()],
        ..Selection::default()
    };
    let mut steps: Vec<(&'static str, Selection)> = Vec::new();
    if prepare {
        steps.push(("prepare", only(PREPARE)));
    }
    steps.push(("converge", converge()));
    steps.push(("idempotence", converge()));
    steps.push(("verify", only(VERIFY)));
    for (name, selection) in steps {
        report::stdout(&format!(
            "\n== {}: {name}\n",
            scenario.file_stem().unwrap_or_default().to_string_lossy()
        ));
        let summary = run_once(runtime, scenario, inventory, selection, roles_path);
        let stop = !matches!(&summary, Ok(s) if s.outcome == RunOutcome::Ok);
        phases.push(Phase { name, summary });
        if stop {
            break;
        }
    }
    phases
}

fn converge() -> Selection {
    Selection {
        skip_tags: vec![PREPARE.into(), VERIFY.into()],
        ..Selection::default()
    }
}

fn run_once(
    runtime: &tokio::runtime::Runtime,
    scenario: &Path,
    inventory: &Path,
    selection: Selection,
    roles_path: &[PathBuf],
) -> Result<RunSummary, String> {
    let mut request = RunRequest {
        play: scenario.to_path_buf(),
        roles_path: roles_path.to_vec(),
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
    let mut passed = phases.last().is_some_and(|p| p.name == "verify");
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
