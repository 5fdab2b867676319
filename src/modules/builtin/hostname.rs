//! `hostname`: the host's name, now (the kernel's, with `hostname`) and at boot
//! (`/etc/hostname`). A container usually may not change its own name (no CAP_SYS_ADMIN:
//! the runtime owns it), which the module detects and says, changing nothing.

use crate::diff::FileDiff;
use crate::modules::action::drive;
use crate::modules::action::{Action, Decision};
use crate::modules::attrs::{Attrs, write};
use crate::modules::def::ModuleDef;
use crate::modules::spec::{ArgType, ModuleSpec, req};
use crate::modules::{Args, ModuleCx, ModuleError, Outcome};
use crate::shell::quote;

pub const SPEC: ModuleSpec = ModuleSpec::new(&[req("name", ArgType::Str)]);

const FILE: &str = "/etc/hostname";

/// The exit status of the apply script when the kernel refuses the new name.
const REFUSED: i32 = 77;

pub struct Hostname {
    name: String,
}

/// A host name as RFC 1123 has it: dot-separated labels of letters, digits and `-` (not at
/// either end), each at most 63 characters, 253 in all.
fn valid(name: &str) -> bool {
    name.len() <= 253
        && name.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

impl Hostname {
    pub fn new(args: &Args) -> Result<Self, ModuleError> {
        let name = args.str("name")?;
        if !valid(&name) {
            return Err(ModuleError::argument(
                "name",
                format!("`{name}` is not a host name (letters, digits, `-` and dots)"),
            ));
        }
        Ok(Hostname { name })
    }
}

/// The running name and the first line of /etc/hostname (`None`: no file).
pub struct Names {
    running: String,
    file: Option<String>,
}

pub struct Change {
    running: bool,
    file: bool,
}

impl Action for Hostname {
    type State = Names;
    type Change = Change;

    async fn probe(&self, cx: &ModuleCx<'_>) -> Result<Names, ModuleError> {
        let script = format!(
            "echo \"running $(hostname)\"\nif [ -f {FILE} ]; then echo \"file $(head -n 1 {FILE})\"; fi"
        );
        let out = cx.probe_ok(&script, "cannot read the host name").await?;
        let mut names = Names {
            running: String::new(),
            file: None,
        };
        for line in out.lines() {
            if let Some(n) = line.strip_prefix("running ") {
                names.running = n.trim().to_string();
            } else if let Some(n) = line.strip_prefix("file ") {
                names.file = Some(n.trim().to_string());
            }
        }
        Ok(names)
    }

    fn decide(&self, n: Names, _cx: &ModuleCx<'_>) -> Result<Decision<Change>, ModuleError> {
        let change = Change {
            running: n.running != self.name,
            file: n.file.as_deref() != Some(self.name.as_str()),
        };
        let outcome = Outcome::ok().data("name", self.name.as_str());
        if !change.running && !change.file {
            return Ok(Decision::Keep(outcome));
        }
        let mut diff = FileDiff::new("hostname");
        if change.running {
            diff = diff.attr("running", n.running, self.name.clone());
        }
        if change.file {
            diff = diff.attr(
                FILE,
                n.file.unwrap_or_else(|| "absent".into()),
                self.name.clone(),
            );
        }
        Ok(Decision::Change(change, outcome.with_diff(diff)))
    }

    async fn apply(
        &self,
        change: Change,
        planned: Outcome,
        cx: &ModuleCx<'_>,
    ) -> Result<Outcome, ModuleError> {
        // The running name first: where the kernel refuses it, /etc/hostname stays as it was.
        if change.running {
            let script = format!(
                "if ! err=$(hostname {} 2>&1); then echo \"$err\" >&2; exit {REFUSED}; fi",
                quote(&self.name)
            );
            let out = cx.sh(&script).await?;
            if out.status == Some(REFUSED) {
                return Err(ModuleError::State(format!(
                    "the host refused to change its name to `{}` ({}): a container cannot \
                     rename itself without CAP_SYS_ADMIN; its runtime sets the name \
                     (`podman run --hostname`). Nothing was changed",
                    self.name,
                    out.stderr_text().trim()
                )));
            }
            if !out.success() {
                return Err(ModuleError::Remote {
                    what: "cannot set the host name".into(),
                    reason: out.failure_reason(),
                });
            }
        }
        if change.file {
            let text = format!("{}\n", self.name);
            write(cx, FILE, &Attrs::default(), Some(text.as_bytes())).await?;
        }
        Ok(planned)
    }
}

pub const DEF: ModuleDef = ModuleDef::new("hostname", &SPEC, |args, cx| {
    Box::pin(async move { drive(Hostname::new(args)?, cx).await })
});

#[cfg(test)]
mod tests {
    use super::valid;

    #[test]
    fn host_names() {
        for good in ["h1", "node-1.example.org", "A1", &"a".repeat(63)] {
            assert!(valid(good), "{good}");
        }
        for bad in ["", "-a", "a-", "a..b", "a b", "a_b", "é", &"a".repeat(64)] {
            assert!(!valid(bad), "{bad}");
        }
    }
}
