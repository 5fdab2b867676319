//! `pip`: Python packages present, absent, at their latest version or reinstalled, in a
//! virtualenv (created if missing) or in the Python of a given pip, as Ansible's `pip`.
//!
//! The probe lists what is installed (`pip list --format=json`, one round trip); whether an
//! installed version satisfies `name>=2,<3` is decided here with PEP 440 (`pep440.rs`).
//! What pip would install (the exact versions, the dependencies, and whether `latest` or a
//! requirements file changes anything) is asked of pip itself, read-only, with
//! `pip install --dry-run --report -` (pip 22.2 and later), so check mode and a second run
//! are exact. A system Python that Debian manages (PEP 668) is refused before anything
//! changes unless `break_system_packages = true`.

mod command;
mod pep440;
#[cfg(test)]
mod pep440_tests;
mod probe;

use std::collections::BTreeMap;

use pep440::{Requirement, normalize, requirement_name};

use crate::diff::FileDiff;
use crate::modules::action::drive;
use crate::modules::action::{Action, Decision};
use crate::modules::choice::choice;
use crate::modules::def::ModuleDef;
use crate::modules::spec::{ArgType, ModuleSpec, opt};
use crate::modules::{Args, ModuleCx, ModuleError, Outcome};
use crate::shell::quote;

choice!(
    /// What the packages must be.
    PipState {
        Present = "present",
        Absent = "absent",
        Latest = "latest",
        ForceReinstall = "forcereinstall",
    }
);

pub const SPEC: ModuleSpec = ModuleSpec {
    args: &[
        opt("name", ArgType::StrOrList),
        opt("version", ArgType::Str),
        opt("requirements", ArgType::Str),
        opt("state", ArgType::Choice(PipState::NAMES)),
        opt("virtualenv", ArgType::Str),
        opt("virtualenv_command", ArgType::Str),
        opt("virtualenv_site_packages", ArgType::Bool),
        opt("executable", ArgType::Str),
        opt("extra_args", ArgType::Str),
        opt("chdir", ArgType::Str),
        opt("umask", ArgType::Any),
        opt("break_system_packages", ArgType::Bool),
    ],
    free_form: false,
    one_of: &[&["name", "requirements"]],
    exclusive: &[
        ("name", "requirements"),
        ("version", "requirements"),
        ("virtualenv", "executable"),
    ],
};

/// The first pip that knows `install --dry-run --report`.
const DRY_RUN: (u64, u64, u64) = (22, 2, 0);
/// The first pip that knows `--break-system-packages` (PEP 668 came in 23.0).
const PEP_668: (u64, u64, u64) = (23, 0, 1);

/// Options every pip command gets: never ask PyPI whether pip is outdated, never prompt.
const QUIET_PIP: &str = "--disable-pip-version-check --no-input";

/// Which pip, in which Python.
enum Target {
    /// A virtualenv, created with `command` if it has no `bin/python`.
    Venv {
        path: String,
        command: Vec<String>,
        site_packages: bool,
    },
    /// A pip command given (`pip3`, `/opt/py/bin/pip`).
    Executable(String),
    /// `python3 -m pip`, else `pip3`.
    Default,
}

pub struct Pip {
    state: PipState,
    reqs: Vec<Requirement>,
    requirements: Option<String>,
    target: Target,
    extra_args: Vec<String>,
    chdir: Option<String>,
    umask: Option<u32>,
    break_system: bool,
}

use probe::{Env, parse_list, parse_probe, parse_report};

/// What the task does.
#[derive(Debug, PartialEq, Eq)]
enum Work {
    Nothing,
    /// `pip install` of these requirements (or of the requirements file); `pip_decides`: only
    /// pip's dry run can tell whether it changes anything.
    Install {
        reqs: Vec<String>,
        pip_decides: bool,
    },
    Uninstall(Vec<String>),
}

pub struct Plan {
    create_venv: bool,
    /// The pip command after `p`: `install ...` or `uninstall -y ...`, quoted.
    pip: String,
}

/// `name==version` lines, sorted by name (a name alone when its version is not known).
fn freeze(set: &BTreeMap<String, (String, String)>) -> String {
    set.values()
        .map(|(n, v)| {
            if v.is_empty() {
                format!("{n}\n")
            } else {
                format!("{n}=={v}\n")
            }
        })
        .collect()
}

fn packages_value(set: &BTreeMap<String, (String, String)>) -> minijinja::Value {
    set.values()
        .map(|(n, v)| (n.clone(), minijinja::Value::from(v.as_str())))
        .collect::<BTreeMap<String, minijinja::Value>>()
        .into()
}

impl Action for Pip {
    type State = Env;
    type Change = Plan;

    async fn probe(&self, cx: &ModuleCx<'_>) -> Result<Env, ModuleError> {
        let out = cx.sh_probe(&self.probe_script()).await?;
        if !out.success() {
            return Err(ModuleError::Remote {
                what: "cannot list the installed Python packages".into(),
                reason: out.failure_reason(),
            });
        }
        let mut env = parse_probe(&out.stdout_text()).map_err(ModuleError::State)?;
        let pip_ready = !(env.nochdir || env.nopip || env.venv_missing || env.requirements_missing);
        if let (true, Work::Install { reqs, pip_decides }) = (pip_ready, self.work(&env)) {
            let can = env.version.is_some_and(|v| v >= DRY_RUN);
            if !can && pip_decides {
                return Err(ModuleError::State(format!(
                    "{} is pip {}: `state = \"latest\"` and `requirements` need pip 22.2 or later (`pip install --dry-run`) to know what would change; upgrade it first, e.g. `pip {{ name = \"pip>=22.2\" }}` on the same target",
                    env.pip,
                    env.version
                        .map_or("(unknown version)".into(), |(a, b, c)| format!(
                            "{a}.{b}.{c}"
                        ))
                )));
            }
            if can {
                let args: Vec<String> = self
                    .install_args(&env, &reqs)
                    .iter()
                    .map(|a| quote(a))
                    .collect();
                let script = format!(
                    "{}{}p install --dry-run -q --report - {QUIET_PIP} {}",
                    self.cd(false),
                    self.pip_function(false),
                    args.join(" ")
                );
                let out = cx.sh_probe(&script).await?;
                if !out.success() {
                    return Err(ModuleError::Remote {
                        what: "pip cannot install what is asked".into(),
                        reason: out.failure_reason(),
                    });
                }
                env.report = Some(parse_report(&out.stdout_text()).map_err(ModuleError::State)?);
            }
        }
        Ok(env)
    }

    fn decide(&self, env: Env, cx: &ModuleCx<'_>) -> Result<Decision<Plan>, ModuleError> {
        let missing = |what: String| -> Result<Decision<Plan>, ModuleError> {
            if cx.check {
                Ok(Decision::Keep(Outcome::absent_in_check(&what)))
            } else {
                Err(ModuleError::State(what))
            }
        };
        if env.nochdir {
            return missing(format!(
                "`chdir` {} does not exist",
                self.chdir.as_deref().unwrap_or_default()
            ));
        }
        if env.nopip {
            return missing(match &self.target {
                Target::Executable(e) => format!("pip `{e}` not found"),
                _ => "pip not found: install python3-pip, or give `virtualenv`".into(),
            });
        }
        if env.requirements_missing && !(self.state == PipState::Absent && env.venv_missing) {
            return missing(format!(
                "requirements file `{}` not found",
                self.requirements.as_deref().unwrap_or_default()
            ));
        }
        let pip = match self.venv() {
            Some(v) => format!("{v}/bin/pip"),
            None => env.pip.clone(),
        };
        let mut outcome = Outcome::ok()
            .data("venv", self.venv().map(str::to_string))
            .data("pip", pip);
        if env.venv_missing && self.state == PipState::Absent {
            return Ok(Decision::Keep(outcome.msg(format!(
                "no virtualenv at {}: nothing to remove",
                self.venv().unwrap_or_default()
            ))));
        }
        let work = if env.venv_missing {
            // A new virtualenv has nothing but pip: everything is to install.
            Work::Install {
                reqs: self.reqs.iter().map(|r| r.text.clone()).collect(),
                pip_decides: false,
            }
        } else {
            self.work(&env)
        };
        let mut after = env.installed.clone();
        // Packages whose version only pip can tell: the requirement as written, for the diff.
        let mut guessed: BTreeMap<String, String> = BTreeMap::new();
        match (&work, &env.report) {
            (Work::Nothing, _) => {
                return Ok(Decision::Keep(
                    outcome.data("packages", packages_value(&env.installed)),
                ));
            }
            // pip would install nothing (its answer wins over ours, which it should agree with).
            (Work::Install { .. }, Some(report))
                if report.is_empty() && self.state != PipState::ForceReinstall =>
            {
                return Ok(Decision::Keep(
                    outcome.data("packages", packages_value(&env.installed)),
                ));
            }
            (Work::Install { .. }, Some(report)) => {
                for (n, v) in report {
                    after.insert(normalize(n), (n.clone(), v.clone()));
                }
            }
            (Work::Install { reqs, .. }, None) => {
                // No pip yet to ask (a virtualenv to create): the requirements as written.
                outcome.unknown = true;
                for r in reqs.iter().filter_map(|r| Requirement::parse(r).ok()) {
                    after.insert(r.key.clone(), (r.name.clone(), String::new()));
                    guessed.insert(r.key, r.text);
                }
            }
            (Work::Uninstall(names), _) => {
                for n in names {
                    after.remove(&normalize(n));
                }
            }
        }
        if env.managed && !self.break_system {
            return Err(ModuleError::State(format!(
                "{} would change the system's Python, which the OS manages (PEP 668: externally-managed-environment): use `virtualenv`, or set `break_system_packages = true` to pass pip --break-system-packages",
                env.pip
            )));
        }
        let create_venv = env.venv_missing;
        if create_venv && let Some(problem) = &env.creator_problem {
            let problem = format!(
                "cannot create virtualenv {}: {problem}",
                self.venv().unwrap_or_default()
            );
            if !cx.check {
                return Err(ModuleError::State(problem));
            }
            outcome = outcome.msg(format!(
                "{problem}; a real run fails unless an earlier task fixes it"
            ));
        }
        let mut diff = FileDiff::new(&self.what(&env));
        if create_venv {
            let Target::Venv { command, .. } = &self.target else {
                unreachable!("only a virtualenv is created")
            };
            diff = diff.attr(
                "state",
                "absent",
                format!("created by {}", command.join(" ")),
            );
        }
        if let Some(file) = &self.requirements
            && env.report.is_none()
        {
            diff = diff.attr("requirements", "", file.clone());
        }
        if self.state == PipState::ForceReinstall {
            diff.note = Some("reinstalled (forcereinstall)".into());
        }
        diff.before = Some(freeze(&env.installed));
        let mut shown = after.clone();
        for (key, text) in guessed {
            shown.insert(key, (text, String::new()));
        }
        diff.after = Some(freeze(&shown));
        let outcome = outcome
            .data("packages", packages_value(&after))
            .with_diff(diff);
        let pip = match &work {
            Work::Install { reqs, .. } => {
                let args: Vec<String> = self
                    .install_args(&env, reqs)
                    .iter()
                    .map(|a| quote(a))
                    .collect();
                format!("install -q {QUIET_PIP} {}", args.join(" "))
            }
            Work::Uninstall(names) => {
                let mut words: Vec<String> = names.iter().map(|n| quote(n)).collect();
                if self.breaks_system(&env) {
                    // pip refuses to uninstall from a managed Python too.
                    words.insert(0, "--break-system-packages".into());
                }
                format!("uninstall -y -q {QUIET_PIP} {}", words.join(" "))
            }
            Work::Nothing => unreachable!("kept above"),
        };
        Ok(Decision::Change(Plan { create_venv, pip }, outcome))
    }

    async fn apply(
        &self,
        plan: Plan,
        planned: Outcome,
        cx: &ModuleCx<'_>,
    ) -> Result<Outcome, ModuleError> {
        let mut s = String::from("set -e\n");
        if let Some(m) = self.umask {
            s.push_str(&format!("umask {m:04o}\n"));
        }
        s.push_str(&self.cd(false));
        if let (
            true,
            Target::Venv {
                path,
                command,
                site_packages,
            },
        ) = (plan.create_venv, &self.target)
        {
            let mut words: Vec<String> = command.iter().map(|w| quote(w)).collect();
            if *site_packages {
                words.push("--system-site-packages".into());
            }
            words.push(quote(path));
            s.push_str(&format!("{} >&2\n", words.join(" ")));
        }
        s.push_str(&self.pip_function(false));
        s.push_str(&format!("p {} >&2\n", plan.pip));
        s.push_str(&format!("p list --format=json {QUIET_PIP}\n"));
        let out = cx.sh(&s).await?;
        if !out.success() {
            let stderr = out.stderr_text();
            if stderr.contains("externally-managed-environment") {
                return Err(ModuleError::State(
                    "pip refuses to change the system's Python, which the OS manages (PEP 668: externally-managed-environment): use `virtualenv`, or set `break_system_packages = true`".into(),
                ));
            }
            return Err(ModuleError::Remote {
                what: "pip failed".into(),
                reason: out.failure_reason(),
            });
        }
        let installed = parse_list(out.stdout_text().trim()).map_err(ModuleError::State)?;
        let mut done = planned.data("packages", packages_value(&installed));
        // What pip did, rather than what was planned (a new virtualenv's pip and setuptools).
        if let Some(diff) = done.diffs.first_mut() {
            diff.after = Some(freeze(&installed));
        }
        done.unknown = false;
        Ok(done)
    }
}

pub const DEF: ModuleDef = ModuleDef::new("pip", &SPEC, |args, cx| {
    Box::pin(async move { drive(Pip::new(args)?, cx).await })
});

#[cfg(test)]
mod tests;
