//! The task's arguments read into a [`Pip`], and the shell it runs: which pip, the venv it
//! makes, the probe script, the install and uninstall command lines.

use super::*;

pub(super) fn word(args: &Args, name: &str) -> Result<Option<String>, ModuleError> {
    match args.opt_str(name)? {
        Some(v) if v.trim().is_empty() || v.starts_with('-') || v.contains('\n') => Err(
            ModuleError::argument(name, format!("`{v}` is not a usable {name}")),
        ),
        other => Ok(other),
    }
}

pub(super) fn umask(args: &Args) -> Result<Option<u32>, ModuleError> {
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

    pub(super) fn venv(&self) -> Option<&str> {
        match &self.target {
            Target::Venv { path, .. } => Some(path),
            _ => None,
        }
    }

    /// `cd` to `chdir`, for the probe (`nochdir` when missing) or for a change.
    pub(super) fn cd(&self, probe: bool) -> String {
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
    pub(super) fn pip_function(&self, probe: bool) -> String {
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

    pub(super) fn probe_script(&self) -> String {
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
    pub(super) fn install_args(&self, env: &Env, reqs: &[String]) -> Vec<String> {
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
    pub(super) fn work(&self, env: &Env) -> Work {
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
    pub(super) fn breaks_system(&self, env: &Env) -> bool {
        self.break_system && self.venv().is_none() && env.version.is_none_or(|v| v >= PEP_668)
    }

    pub(super) fn what(&self, env: &Env) -> String {
        match self.venv() {
            Some(v) => format!("virtualenv {v}"),
            None => env.pip.clone(),
        }
    }
}

/// Checks that `command` can create a virtualenv: found, and for `PYTHON -m venv`, a Python
/// with `ensurepip` (Debian ships it apart, in python3-venv).
pub(super) fn creator_check(command: &[String]) -> String {
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
