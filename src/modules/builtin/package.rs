//! `package`: packages present, absent or latest with whatever manager the host has: apt
//! (Debian, Ubuntu: the `apt` module's engine, without its cache options) or dnf (Fedora,
//! RHEL). The result's `manager` says which.

use super::apt::{Apt, AptState, package_names};
use crate::diff::FileDiff;
use crate::modules::action::drive;
use crate::modules::action::{Action, Decision};
use crate::modules::def::ModuleDef;
use crate::modules::spec::{ArgType, ModuleSpec, opt, req};
use crate::modules::{Args, ModuleCx, ModuleError, Outcome};
use crate::shell::quote;

pub const SPEC: ModuleSpec = ModuleSpec::new(&[
    req("name", ArgType::StrOrList),
    opt("state", ArgType::Choice(AptState::NAMES)),
]);

pub struct Package {
    names: Vec<String>,
    state: AptState,
}

/// What dnf says of one package: installed (its version) and whether an update exists.
#[derive(Debug, PartialEq, Eq)]
pub struct RpmPackage {
    name: String,
    installed: Option<String>,
    update: bool,
}

pub enum Found {
    Apt(<Apt as Action>::State),
    Dnf(Vec<RpmPackage>),
}

pub enum Plan {
    Apt(<Apt as Action>::Change),
    /// dnf verbs and their packages: install, upgrade, remove.
    Dnf(Vec<(&'static str, Vec<String>)>),
}

impl Package {
    pub fn new(args: &Args) -> Result<Self, ModuleError> {
        let names = package_names(args)?;
        if names.is_empty() {
            return Err(ModuleError::argument("name", "names no package"));
        }
        Ok(Package {
            names,
            state: args.pick("state", AptState::Present)?,
        })
    }

    fn apt(&self) -> Apt {
        Apt::packages(self.names.clone(), self.state)
    }

    fn dnf_probe(&self) -> String {
        let mut s = String::new();
        for name in &self.names {
            let q = quote(name);
            s.push_str(&format!(
                "echo \"pkg {name} $(rpm -q --qf '%{{VERSION}}-%{{RELEASE}}' -- {q} 2>/dev/null || true)\"\n"
            ));
            if self.state == AptState::Latest {
                // `check-update` exits 100 when an update is available.
                s.push_str(&format!(
                    "dnf -q check-update -- {q} >/dev/null 2>&1; echo \"upd {name} $?\"\n"
                ));
            }
        }
        s
    }
}

/// Parses the dnf probe's lines (`pkg NAME VERSION`, `upd NAME STATUS`).
fn parse_dnf(out: &str) -> Vec<RpmPackage> {
    let mut found: Vec<RpmPackage> = Vec::new();
    for line in out.lines() {
        let mut parts = line.splitn(3, ' ');
        match (parts.next(), parts.next(), parts.next().map(str::trim)) {
            (Some("pkg"), Some(name), rest) => found.push(RpmPackage {
                name: name.to_string(),
                // rpm says "package x is not installed" on stdout when it is not.
                installed: rest
                    .filter(|v| !v.is_empty() && !v.contains(' '))
                    .map(str::to_string),
                update: false,
            }),
            (Some("upd"), Some(name), Some(status)) => {
                if let Some(p) = found.iter_mut().find(|p| p.name == name) {
                    p.update = status == "100";
                }
            }
            _ => {}
        }
    }
    found
}

impl Action for Package {
    type State = Found;
    type Change = Plan;

    async fn probe(&self, cx: &ModuleCx<'_>) -> Result<Found, ModuleError> {
        let script = format!(
            "if command -v apt-get >/dev/null && command -v dpkg-query >/dev/null; then echo apt\n\
             elif command -v dnf >/dev/null && command -v rpm >/dev/null; then echo dnf\n{}\
             else echo 'neither apt nor dnf found' >&2; exit 3; fi",
            self.dnf_probe()
        );
        let out = cx
            .probe_ok(&script, "cannot find a package manager")
            .await?;
        match out.lines().next() {
            // apt's own probe (versions and candidates) is the `apt` module's.
            Some("apt") => Ok(Found::Apt(self.apt().probe(cx).await?)),
            _ => Ok(Found::Dnf(parse_dnf(&out))),
        }
    }

    fn decide(&self, found: Found, cx: &ModuleCx<'_>) -> Result<Decision<Plan>, ModuleError> {
        let packages = match found {
            Found::Apt(st) => {
                return Ok(match self.apt().decide(st, cx)? {
                    Decision::Keep(o) => Decision::Keep(o.data("manager", "apt")),
                    Decision::Change(p, o) => {
                        Decision::Change(Plan::Apt(p), o.data("manager", "apt"))
                    }
                    Decision::Quiet(p, o) => {
                        Decision::Quiet(Plan::Apt(p), o.data("manager", "apt"))
                    }
                });
            }
            Found::Dnf(packages) => packages,
        };
        let mut diff = FileDiff::new("packages");
        let (mut install, mut upgrade, mut remove) = (Vec::new(), Vec::new(), Vec::new());
        for p in packages {
            match (self.state, &p.installed) {
                (AptState::Present | AptState::Latest, None) => {
                    diff = diff.attr(&p.name, "absent", "present");
                    install.push(p.name);
                }
                (AptState::Latest, Some(v)) if p.update => {
                    diff = diff.attr(&p.name, v.clone(), "latest");
                    upgrade.push(p.name);
                }
                (AptState::Absent, Some(v)) => {
                    diff = diff.attr(&p.name, v.clone(), "absent");
                    remove.push(p.name);
                }
                _ => {}
            }
        }
        let verbs: Vec<(&'static str, Vec<String>)> = [
            ("install", install),
            ("upgrade", upgrade),
            ("remove", remove),
        ]
        .into_iter()
        .filter(|(_, names)| !names.is_empty())
        .collect();
        let outcome = Outcome::ok().data("manager", "dnf");
        if verbs.is_empty() {
            return Ok(Decision::Keep(outcome));
        }
        Ok(Decision::Change(Plan::Dnf(verbs), outcome.with_diff(diff)))
    }

    async fn apply(
        &self,
        plan: Plan,
        planned: Outcome,
        cx: &ModuleCx<'_>,
    ) -> Result<Outcome, ModuleError> {
        match plan {
            Plan::Apt(p) => self.apt().apply(p, planned, cx).await,
            Plan::Dnf(verbs) => {
                let mut script = String::from("set -e\n");
                for (verb, names) in verbs {
                    let names: Vec<String> = names.iter().map(|n| quote(n)).collect();
                    script.push_str(&format!("dnf -y -q {verb} -- {}\n", names.join(" ")));
                }
                cx.sh_ok(&script, "dnf failed").await?;
                Ok(planned)
            }
        }
    }
}

pub const DEF: ModuleDef = ModuleDef::new("package", &SPEC, |args, cx| {
    Box::pin(async move { drive(Package::new(args)?, cx).await })
});

#[cfg(test)]
mod tests {
    use super::{RpmPackage, parse_dnf};

    #[test]
    fn dnf_answers() {
        let out = "dnf\npkg vim 9.0-1.fc39\nupd vim 100\npkg nano package nano is not installed\npkg tar 1.35-2\nupd tar 0\n";
        let rpm = |name: &str, installed: Option<&str>, update| RpmPackage {
            name: name.into(),
            installed: installed.map(str::to_string),
            update,
        };
        assert_eq!(
            parse_dnf(out),
            vec![
                rpm("vim", Some("9.0-1.fc39"), true),
                rpm("nano", None, false),
                rpm("tar", Some("1.35-2"), false),
            ]
        );
    }
}
