//! `apt`: Debian packages present, absent or latest; the cache refreshed when stale.

use crate::diff::FileDiff;
use crate::modules::action::drive;
use crate::modules::action::{Action, Decision};
use crate::modules::choice::choice;
use crate::modules::def::ModuleDef;
use crate::modules::spec::{ArgType, ModuleSpec, opt};
use crate::modules::{Args, ModuleCx, ModuleError, Outcome};
use crate::shell::quote;

choice!(
    /// Whether the packages must be installed, removed, or at their candidate version.
    AptState {
        Present = "present",
        Absent = "absent",
        Latest = "latest",
    }
);

pub const SPEC: ModuleSpec = ModuleSpec {
    args: &[
        opt("name", ArgType::StrOrList),
        opt("state", ArgType::Choice(AptState::NAMES)),
        opt("update_cache", ArgType::Bool),
        opt("cache_valid_time", ArgType::Duration),
        opt("purge", ArgType::Bool),
    ],
    free_form: false,
    one_of: &[&["name", "update_cache"]],
    exclusive: &[],
};

pub struct Apt {
    names: Vec<String>,
    state: AptState,
    update_cache: bool,
    valid_secs: f64,
    purge: bool,
}

/// The `name` argument: package names, none of which could be read as an option.
pub fn package_names(args: &Args) -> Result<Vec<String>, ModuleError> {
    let names = args.str_list("name")?;
    if let Some(bad) = names
        .iter()
        .find(|n| n.is_empty() || n.starts_with('-') || n.contains(char::is_whitespace))
    {
        return Err(ModuleError::Usage(format!("`{bad}` is not a package name")));
    }
    Ok(names)
}

impl Apt {
    /// What `package` asks of apt: these packages in this state, no cache refresh.
    pub fn packages(names: Vec<String>, state: AptState) -> Self {
        Apt {
            names,
            state,
            update_cache: false,
            valid_secs: 3600.0,
            purge: false,
        }
    }

    pub fn new(args: &Args) -> Result<Self, ModuleError> {
        let names = package_names(args)?;
        Ok(Apt {
            names,
            state: args.pick("state", AptState::Present)?,
            update_cache: args.bool_or("update_cache", false)?,
            valid_secs: args.opt_secs("cache_valid_time")?.unwrap_or(3600.0),
            purge: args.bool_or("purge", false)?,
        })
    }
}

pub struct Installed {
    /// (package, installed version or None, candidate version or None)
    packages: Vec<(String, Option<String>, Option<String>)>,
    cache_stale: bool,
}

pub struct Plan {
    install: Vec<String>,
    remove: Vec<String>,
    refresh: bool,
}

impl Action for Apt {
    type State = Installed;
    type Change = Plan;

    async fn probe(&self, cx: &ModuleCx<'_>) -> Result<Installed, ModuleError> {
        let mut script = String::from(
            "command -v dpkg-query >/dev/null || { echo 'dpkg-query not found: not a Debian system' >&2; exit 3; }\n",
        );
        script.push_str("s=$(stat -c %Y /var/lib/apt/periodic/update-success-stamp /var/lib/apt/lists/partial 2>/dev/null | sort -n | tail -1); echo \"age $(( $(date +%s) - ${s:-0} ))\"\n");
        for name in &self.names {
            let q = quote(name);
            script.push_str(&format!(
                "echo \"pkg {name} $(dpkg-query -W -f='${{db:Status-Status}}=${{Version}}' {q} 2>/dev/null)\"\n"
            ));
            if self.state == AptState::Latest {
                script.push_str(&format!("echo \"cand {name} $(apt-cache policy {q} 2>/dev/null | sed -n 's/^ *Candidate: //p')\"\n"));
            }
        }
        let out = cx.probe_ok(&script, "cannot query packages").await?;
        let mut st = Installed {
            packages: Vec::new(),
            cache_stale: false,
        };
        for line in out.lines() {
            let mut parts = line.splitn(3, ' ');
            match (parts.next(), parts.next(), parts.next()) {
                (Some("age"), Some(age), _) => {
                    st.cache_stale = age.parse::<f64>().map_or(true, |a| a > self.valid_secs)
                }
                (Some("pkg"), Some(name), rest) => {
                    let installed = rest
                        .and_then(|r| r.strip_prefix("installed="))
                        .map(str::to_string);
                    st.packages.push((name.to_string(), installed, None));
                }
                (Some("cand"), Some(name), rest) => {
                    let cand = rest
                        .map(str::trim)
                        .filter(|c| !c.is_empty() && *c != "(none)")
                        .map(str::to_string);
                    if let Some(p) = st.packages.iter_mut().find(|p| p.0 == name) {
                        p.2 = cand;
                    }
                }
                _ => {}
            }
        }
        Ok(st)
    }

    fn decide(&self, st: Installed, _cx: &ModuleCx<'_>) -> Result<Decision<Plan>, ModuleError> {
        let mut plan = Plan {
            install: Vec::new(),
            remove: Vec::new(),
            refresh: self.update_cache && st.cache_stale,
        };
        let mut diff = FileDiff::new("packages");
        for (name, installed, candidate) in &st.packages {
            match (self.state, installed) {
                (AptState::Present | AptState::Latest, None) => {
                    diff = diff.attr(
                        name,
                        "absent",
                        candidate.clone().unwrap_or_else(|| "present".into()),
                    );
                    plan.install.push(name.clone());
                }
                (AptState::Latest, Some(v)) if candidate.as_ref().is_some_and(|c| c != v) => {
                    diff = diff.attr(name, v.clone(), candidate.clone().unwrap_or_default());
                    plan.install.push(name.clone());
                }
                (AptState::Absent, Some(v)) => {
                    diff = diff.attr(name, v.clone(), "absent");
                    plan.remove.push(name.clone());
                }
                _ => {}
            }
        }
        if plan.install.is_empty() && plan.remove.is_empty() {
            // A cache refresh alone does not change what is installed, so it is reported ok.
            return Ok(if plan.refresh {
                Decision::Quiet(plan, Outcome::ok().msg("package cache refreshed"))
            } else {
                Decision::Keep(Outcome::ok())
            });
        }
        Ok(Decision::Change(plan, Outcome::ok().with_diff(diff)))
    }

    async fn apply(
        &self,
        plan: Plan,
        planned: Outcome,
        cx: &ModuleCx<'_>,
    ) -> Result<Outcome, ModuleError> {
        let env = "export DEBIAN_FRONTEND=noninteractive\n";
        let opts = "-y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold";
        let mut script = format!("set -e\n{env}");
        if plan.refresh {
            script.push_str("apt-get update -q\n");
        }
        if !plan.install.is_empty() {
            let names: Vec<String> = plan.install.iter().map(|n| quote(n)).collect();
            script.push_str(&format!("apt-get install {opts} {}\n", names.join(" ")));
        }
        if !plan.remove.is_empty() {
            let names: Vec<String> = plan.remove.iter().map(|n| quote(n)).collect();
            let verb = if self.purge { "purge" } else { "remove" };
            script.push_str(&format!("apt-get {verb} {opts} {}\n", names.join(" ")));
        }
        cx.sh_ok(&script, "apt-get failed").await?;
        Ok(planned)
    }
}

pub const DEF: ModuleDef = ModuleDef::new("apt", &SPEC, |args, cx| {
    Box::pin(async move { drive(Apt::new(args)?, cx).await })
});
