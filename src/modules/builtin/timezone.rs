//! `timezone`: the host's time zone, as glibc reads it (`/etc/localtime`, a link into
//! `/usr/share/zoneinfo`) and as Debian records it (`/etc/timezone`). The same files
//! `timedatectl set-timezone` writes, so it works with or without a running systemd.

use crate::diff::FileDiff;
use crate::modules::action::drive;
use crate::modules::action::{Action, Decision};
use crate::modules::attrs::{Attrs, write};
use crate::modules::def::ModuleDef;
use crate::modules::spec::{ArgType, ModuleSpec, req};
use crate::modules::{Args, ModuleCx, ModuleError, Outcome};
use crate::shell::quote;

pub const SPEC: ModuleSpec = ModuleSpec::new(&[req("name", ArgType::Str)]);

const ZONEINFO: &str = "/usr/share/zoneinfo";
const LOCALTIME: &str = "/etc/localtime";
const TIMEZONE: &str = "/etc/timezone";

pub struct Timezone {
    name: String,
}

/// A zone name as the tz database writes them (`Europe/Paris`, `Etc/GMT+1`, `UTC`): it is a
/// path under /usr/share/zoneinfo, so no `..` and no leading `/`.
fn valid(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('/')
        && name
            .split('/')
            .all(|p| !p.is_empty() && p != "." && p != "..")
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/_+-".contains(c))
}

impl Timezone {
    pub fn new(args: &Args) -> Result<Self, ModuleError> {
        let name = args.str("name")?;
        if !valid(&name) {
            return Err(ModuleError::argument(
                "name",
                format!("`{name}` is not a time zone name like `Europe/Paris` or `UTC`"),
            ));
        }
        Ok(Timezone { name })
    }

    fn zone_file(&self) -> String {
        format!("{ZONEINFO}/{}", self.name)
    }
}

pub struct Current {
    /// Whether the zone exists in the host's tz database.
    known: bool,
    /// Where /etc/localtime points (empty: not a link).
    link: String,
    /// /etc/timezone's first line, if the file exists.
    recorded: Option<String>,
    /// A Debian system (where /etc/timezone is kept).
    debian: bool,
}

pub struct Change {
    link: bool,
    recorded: bool,
}

impl Action for Timezone {
    type State = Current;
    type Change = Change;

    async fn probe(&self, cx: &ModuleCx<'_>) -> Result<Current, ModuleError> {
        let script = format!(
            "if [ -f {z} ]; then echo known; fi\n\
             echo \"link $(readlink {LOCALTIME} || true)\"\n\
             if [ -f {TIMEZONE} ]; then echo \"recorded $(head -n 1 {TIMEZONE})\"; fi\n\
             if [ -f /etc/debian_version ]; then echo debian; fi",
            z = quote(&self.zone_file())
        );
        let out = cx.probe_ok(&script, "cannot read the time zone").await?;
        let mut cur = Current {
            known: false,
            link: String::new(),
            recorded: None,
            debian: false,
        };
        for line in out.lines() {
            match line.split_once(' ') {
                Some(("link", l)) => cur.link = l.trim().to_string(),
                Some(("recorded", r)) => cur.recorded = Some(r.trim().to_string()),
                _ if line == "known" => cur.known = true,
                _ if line == "debian" => cur.debian = true,
                _ => {}
            }
        }
        Ok(cur)
    }

    fn decide(&self, cur: Current, _cx: &ModuleCx<'_>) -> Result<Decision<Change>, ModuleError> {
        if !cur.known {
            return Err(ModuleError::State(format!(
                "unknown time zone `{}`: {} does not exist (is tzdata installed?)",
                self.name,
                self.zone_file()
            )));
        }
        // A relative link (`../usr/share/zoneinfo/UTC`) names the same zone.
        let linked = cur
            .link
            .rsplit_once("zoneinfo/")
            .is_some_and(|(_, z)| z == self.name);
        let change = Change {
            link: !linked,
            recorded: (cur.debian || cur.recorded.is_some())
                && cur.recorded.as_deref() != Some(self.name.as_str()),
        };
        let outcome = Outcome::ok().data("name", self.name.as_str());
        if !change.link && !change.recorded {
            return Ok(Decision::Keep(outcome));
        }
        let mut diff = FileDiff::new("timezone");
        if change.link {
            let before = if cur.link.is_empty() {
                "(not a link)".to_string()
            } else {
                cur.link.clone()
            };
            diff = diff.attr(LOCALTIME, before, self.zone_file());
        }
        if change.recorded {
            diff = diff.attr(
                TIMEZONE,
                cur.recorded.unwrap_or_else(|| "absent".into()),
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
        if change.link {
            // A new link renamed over the old one: /etc/localtime never goes missing.
            let tmp = quote(&format!("/etc/.eov.{:016x}", crate::shell::random()));
            let script = format!(
                "set -e\nt={tmp}\ntrap 'rm -f \"$t\"' EXIT\nln -s {} \"$t\"\nmv -fT \"$t\" {LOCALTIME}",
                quote(&self.zone_file())
            );
            cx.sh_ok(&script, "cannot set /etc/localtime").await?;
        }
        if change.recorded {
            let text = format!("{}\n", self.name);
            write(cx, TIMEZONE, &Attrs::default(), Some(text.as_bytes())).await?;
        }
        Ok(planned)
    }
}

pub const DEF: ModuleDef = ModuleDef::new("timezone", &SPEC, |args, cx| {
    Box::pin(async move { drive(Timezone::new(args)?, cx).await })
});

#[cfg(test)]
mod tests {
    use super::valid;

    #[test]
    fn zone_names() {
        for good in [
            "UTC",
            "Europe/Paris",
            "America/Argentina/Buenos_Aires",
            "Etc/GMT+1",
            "Etc/GMT-14",
        ] {
            assert!(valid(good), "{good}");
        }
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "Europe/../../etc",
            "a b",
            "Europe//Paris",
        ] {
            assert!(!valid(bad), "{bad}");
        }
    }
}
