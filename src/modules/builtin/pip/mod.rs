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

mod pep440;

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

fn word(args: &Args, name: &str) -> Result<Option<String>, ModuleError> {
    match args.opt_str(name)? {
        Some(v) if v.trim().is_empty() || v.starts_with('-') || v.contains('\n') => Err(
            ModuleError::argument(name, format!("`{v}` is not a usable {name}")),
        ),
        other => Ok(other),
    }
}

fn umask(args: &Args) -> Result<Option<u32>, ModuleError> {
    let Some(v) = args.get("umask") else {
        return Ok(None);
    };
    let mask = match v.as_str() {
        Some(s) => u32::from_str_radix(s.trim().trim_start_matches("0o"), 8).ok(),
        None => v.as_i64().and_then(|i| u32::try_from(i).ok()),
    };
    mask.filter(|m| *m <= 0o777).map(Some).ok_or_else(|| {
        ModuleError::argument(
            "umask",
            format!("must be an octal mask like \"0022\", got `{v}`"),
        )
    })
}

impl Pip {
    pub fn new(args: &Args) -> Result<Self, ModuleError> {
        let mut names = args.str_list("name")?;
        if let Some(version) = args.opt_str("version")? {
            let [name] = names.as_mut_slice() else {
                return Err(ModuleError::Usage(
                    "`version` goes with one package in `name`".into(),
                ));
            };
            let version = version.trim();
            if name.contains(|c: char| "=<>!~;@ ".contains(c)) {
                return Err(ModuleError::Usage(format!(
                    "`{name}` has a version already: give it there or in `version`, not both"
                )));
            }
            // Ansible's rule: a bare version means `==`.
            let op = if version.starts_with(|c: char| c.is_ascii_digit()) {
                "=="
            } else {
                ""
            };
            *name = format!("{name}{op}{version}");
        }
        let reqs = names
            .iter()
            .map(|n| Requirement::parse(n).map_err(|e| ModuleError::argument("name", e)))
            .collect::<Result<Vec<_>, _>>()?;
        let requirements = word(args, "requirements")?;
        if reqs.is_empty() && requirements.is_none() {
            return Err(ModuleError::argument("name", "names no package"));
        }
        let site_packages = args.bool_or("virtualenv_site_packages", false)?;
        let target = match (word(args, "virtualenv")?, word(args, "executable")?) {
            (Some(path), _) => {
                let text = args.str_or("virtualenv_command", "python3 -m venv")?;
                let command = shlex::split(&text)
                    .filter(|w| !w.is_empty())
                    .ok_or_else(|| {
                        ModuleError::argument(
                            "virtualenv_command",
                            format!("`{text}` is not a command"),
                        )
                    })?;
                Target::Venv {
                    path,
                    command,
                    site_packages,
                }
            }
            (None, Some(exe)) => Target::Executable(exe),
            (None, None) => Target::Default,
        };
        if !matches!(target, Target::Venv { .. })
            && (args.get("virtualenv_command").is_some()
                || args.get("virtualenv_site_packages").is_some())
        {
            return Err(ModuleError::Usage(
                "`virtualenv_command` and `virtualenv_site_packages` go with `virtualenv`".into(),
            ));
        }
        let extra = args.str_or("extra_args", "")?;
        let extra_args = shlex::split(&extra).ok_or_else(|| {
            ModuleError::argument("extra_args", format!("`{extra}` has unbalanced quotes"))
        })?;
        Ok(Pip {
            state: args.pick("state", PipState::Present)?,
            reqs,
            requirements,
            target,
            extra_args,
            chdir: args.opt_str("chdir")?,
            umask: umask(args)?,
            break_system: args.bool_or("break_system_packages", false)?,
        })
    }

    fn venv(&self) -> Option<&str> {
        match &self.target {
            Target::Venv { path, .. } => Some(path),
            _ => None,
        }
    }

    /// `cd` to `chdir`, for the probe (`nochdir` when missing) or for a change.
    fn cd(&self, probe: bool) -> String {
        match &self.chdir {
            None => String::new(),
            Some(d) if probe => format!(
                "cd {} 2>/dev/null || {{ echo nochdir; exit 0; }}\n",
                quote(d)
            ),
            Some(d) => format!("cd {}\n", quote(d)),
        }
    }

    /// Defines `p`, the pip to run; in a probe, says which (or that there is none).
    fn pip_function(&self, probe: bool) -> String {
        match &self.target {
            Target::Venv { path, command, .. } => {
                let py = quote(&format!("{path}/bin/python"));
                let mut s = format!("p() {{ {py} -m pip \"$@\"; }}\n");
                if probe {
                    s = format!(
                        "if [ -x {py} ]; then echo 'venv present'; echo 'pip '{}; {s}else echo 'venv absent'\n{}exit 0; fi\n",
                        quote(&format!("{path}/bin/pip")),
                        creator_check(command)
                    );
                }
                s
            }
            Target::Executable(exe) => {
                let e = quote(exe);
                let mut s = format!("p() {{ {e} \"$@\"; }}\n");
                if probe {
                    s = format!(
                        "command -v {e} >/dev/null 2>&1 || {{ echo nopip; exit 0; }}\necho 'pip '{e}\n{s}"
                    );
                }
                s
            }
            Target::Default => {
                let say = |w: &str| {
                    if probe {
                        format!("; echo 'pip {w}'")
                    } else {
                        String::new()
                    }
                };
                let none = if probe {
                    "echo nopip; exit 0"
                } else {
                    "echo 'pip not found' >&2; exit 3"
                };
                format!(
                    "if python3 -c 'import pip' >/dev/null 2>&1; then p() {{ python3 -m pip \"$@\"; }}{}\n\
                     elif command -v pip3 >/dev/null 2>&1; then p() {{ pip3 \"$@\"; }}{}\n\
                     else {none}; fi\n",
                    say("python3 -m pip"),
                    say("pip3")
                )
            }
        }
    }

    fn probe_script(&self) -> String {
        let mut s = self.cd(true);
        s.push_str(&self.pip_function(true));
        s.push_str(&format!(
            "l=$(p list --format=json {QUIET_PIP}) || exit 4\n\
             printf 'list %s\\n' \"$(printf '%s' \"$l\" | tr -d '\\n')\"\n\
             case \"$l\" in *'\"name\": \"pip\"'*) ;; *) echo \"version $(p --version 2>/dev/null | cut -d' ' -f2)\";; esac\n"
        ));
        if self.venv().is_none() && !self.break_system {
            // pip decides itself (its marker file, its config, PIP_BREAK_SYSTEM_PACKAGES):
            // a no-op install of pip, offline, says whether it would refuse.
            s.push_str(&format!(
                "if p install --dry-run --no-index --no-deps -q {QUIET_PIP} pip 2>&1 | grep -q externally-managed-environment; then echo managed; fi\n"
            ));
        }
        if let Some(file) = &self.requirements {
            let f = quote(file);
            s.push_str(&format!(
                "if [ -f {f} ]; then echo 'req'; sed 's/^/| /' {f}; else echo 'req-missing'; fi\n"
            ));
        }
        s
    }

    /// `install` and its options, without the dry-run ones.
    fn install_args(&self, env: &Env, reqs: &[String]) -> Vec<String> {
        let mut a: Vec<String> = Vec::new();
        if matches!(self.state, PipState::Latest | PipState::ForceReinstall) {
            a.push("-U".into());
        }
        if self.state == PipState::ForceReinstall {
            a.push("--force-reinstall".into());
        }
        if self.breaks_system(env) {
            a.push("--break-system-packages".into());
        }
        a.extend(self.extra_args.iter().cloned());
        match &self.requirements {
            Some(file) => a.extend(["-r".to_string(), file.clone()]),
            None => a.extend(reqs.iter().cloned()),
        }
        a
    }

    /// What must happen, from what is installed (before pip is asked for the details).
    fn work(&self, env: &Env) -> Work {
        let installed = |r: &Requirement| env.installed.get(&r.key);
        match self.state {
            PipState::Absent => {
                let names: Vec<String> = match &env.requirements_text {
                    Some(text) => text
                        .lines()
                        .filter_map(requirement_name)
                        .filter(|n| env.installed.contains_key(&normalize(n)))
                        .collect(),
                    None => self
                        .reqs
                        .iter()
                        .filter(|r| installed(r).is_some_and(|(_, v)| r.admits(v)))
                        .map(|r| r.name.clone())
                        .collect(),
                };
                if names.is_empty() {
                    Work::Nothing
                } else {
                    Work::Uninstall(names)
                }
            }
            PipState::Present if self.requirements.is_none() => {
                let missing: Vec<String> = self
                    .reqs
                    .iter()
                    .filter(|r| !installed(r).is_some_and(|(_, v)| r.admits(v)))
                    .map(|r| r.text.clone())
                    .collect();
                if missing.is_empty() {
                    Work::Nothing
                } else {
                    Work::Install {
                        reqs: missing,
                        pip_decides: false,
                    }
                }
            }
            // `latest` and requirements files: what changes is pip's answer.
            PipState::Present | PipState::Latest => Work::Install {
                reqs: self.reqs.iter().map(|r| r.text.clone()).collect(),
                pip_decides: true,
            },
            PipState::ForceReinstall => Work::Install {
                reqs: self.reqs.iter().map(|r| r.text.clone()).collect(),
                pip_decides: false,
            },
        }
    }

    /// `--break-system-packages` is passed: asked for, outside a virtualenv, to a pip that
    /// knows it.
    fn breaks_system(&self, env: &Env) -> bool {
        self.break_system && self.venv().is_none() && env.version.is_none_or(|v| v >= PEP_668)
    }

    fn what(&self, env: &Env) -> String {
        match self.venv() {
            Some(v) => format!("virtualenv {v}"),
            None => env.pip.clone(),
        }
    }
}

/// Checks that `command` can create a virtualenv: found, and for `PYTHON -m venv`, a Python
/// with `ensurepip` (Debian ships it apart, in python3-venv).
fn creator_check(command: &[String]) -> String {
    let first = quote(&command[0]);
    let mut s = format!(
        "command -v {first} >/dev/null 2>&1 || {{ echo 'creator '{first}' not found'; exit 0; }}\n"
    );
    if let [python @ .., m, venv] = command
        && m == "-m"
        && venv == "venv"
        && !python.is_empty()
    {
        let py: Vec<String> = python.iter().map(|w| quote(w)).collect();
        s.push_str(&format!(
            "{} -c 'import venv, ensurepip' >/dev/null 2>&1 || {{ echo 'creator '{first}' has no ensurepip: install the python3-venv package'; exit 0; }}\n",
            py.join(" ")
        ));
    }
    s.push_str("echo 'creator ok'\n");
    s
}

/// What the probe found.
#[derive(Debug, Default)]
pub struct Env {
    nochdir: bool,
    nopip: bool,
    /// The virtualenv has no `bin/python` yet.
    venv_missing: bool,
    /// Why the virtualenv cannot be created (`None`: it can, or there is no need).
    creator_problem: Option<String>,
    pip: String,
    version: Option<(u64, u64, u64)>,
    /// Normalized name -> (name, version).
    installed: BTreeMap<String, (String, String)>,
    managed: bool,
    requirements_missing: bool,
    requirements_text: Option<String>,
    /// What `pip install --dry-run` would install: (name, version).
    report: Option<Vec<(String, String)>>,
}

/// pip's version as (major, minor, patch): `23.0.1`, `22.2` (patch 0), `24.1b1` (patch 0).
fn pip_version(version: &str) -> Option<(u64, u64, u64)> {
    let mut parts = version.trim().split('.').map(|p| {
        p.chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse::<u64>()
            .ok()
    });
    let major = parts.next()??;
    let minor = parts.next().unwrap_or(Some(0))?;
    let patch = parts.next().unwrap_or(Some(0)).unwrap_or(0);
    Some((major, minor, patch))
}

/// `pip list --format=json`: normalized name -> (name, version).
fn parse_list(json: &str) -> Result<BTreeMap<String, (String, String)>, String> {
    let items: Vec<serde_json::Value> =
        serde_json::from_str(json).map_err(|e| format!("pip list said no JSON: {e}"))?;
    Ok(items
        .iter()
        .filter_map(|i| {
            let name = i.get("name")?.as_str()?;
            let version = i.get("version")?.as_str()?;
            Some((normalize(name), (name.to_string(), version.to_string())))
        })
        .collect())
}

/// `pip install --dry-run --report -`: what would be installed.
fn parse_report(json: &str) -> Result<Vec<(String, String)>, String> {
    let v: serde_json::Value =
        serde_json::from_str(json.trim()).map_err(|e| format!("pip's report is not JSON: {e}"))?;
    let install = v
        .get("install")
        .and_then(|i| i.as_array())
        .ok_or("pip's report has no `install` list")?;
    Ok(install
        .iter()
        .filter_map(|i| {
            let m = i.get("metadata")?;
            Some((
                m.get("name")?.as_str()?.to_string(),
                m.get("version")?.as_str()?.to_string(),
            ))
        })
        .collect())
}

fn parse_probe(out: &str) -> Result<Env, String> {
    let mut env = Env::default();
    let mut req: Option<String> = None;
    for line in out.lines() {
        if let Some(text) = line.strip_prefix("| ").or((line == "|").then_some("")) {
            if let Some(r) = req.as_mut() {
                r.push_str(text);
                r.push('\n');
            }
            continue;
        }
        let (key, rest) = line.split_once(' ').unwrap_or((line, ""));
        match key {
            "nochdir" => env.nochdir = true,
            "nopip" => env.nopip = true,
            "venv" => env.venv_missing = rest == "absent",
            "creator" if rest != "ok" => env.creator_problem = Some(rest.to_string()),
            "pip" => env.pip = rest.to_string(),
            "list" => {
                env.installed = parse_list(rest)?;
                if let Some((_, v)) = env.installed.get("pip") {
                    env.version = pip_version(v);
                }
            }
            "version" => env.version = pip_version(rest),
            "managed" => env.managed = true,
            "req" => req = Some(String::new()),
            "req-missing" => env.requirements_missing = true,
            _ => {}
        }
    }
    env.requirements_text = req;
    Ok(env)
}

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
