//! `group`: a local group present (with a given gid) or absent, through `getent`, `groupadd`,
//! `groupmod` and `groupdel`.

use crate::diff::FileDiff;
use crate::modules::action::drive;
use crate::modules::action::{Action, Decision};
use crate::modules::choice::Presence;
use crate::modules::def::ModuleDef;
use crate::modules::spec::{ArgType, ModuleSpec, opt, req};
use crate::modules::{Args, ModuleCx, ModuleError, Outcome};
use crate::shell::quote;

pub const SPEC: ModuleSpec = ModuleSpec::new(&[
    req("name", ArgType::Str),
    opt("gid", ArgType::Int),
    opt("system", ArgType::Bool),
    opt("state", ArgType::Choice(Presence::NAMES)),
]);

/// A user or group name the shadow tools accept (and that no shell or option can misread):
/// what Debian's `useradd` allows by default, at most 32 characters.
pub fn account_name(arg: &str, name: &str) -> Result<(), ModuleError> {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_');
    let rest_ok = name
        .trim_end_matches('$')
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_-.".contains(c));
    if first_ok && rest_ok && name.len() <= 32 {
        Ok(())
    } else {
        Err(ModuleError::argument(
            arg,
            format!(
                "`{name}` is not a valid account name (lowercase letters, digits, `_`, `-`, `.`, \
                 starting with a letter or `_`, at most 32 characters)"
            ),
        ))
    }
}

/// A numeric id argument (`uid`, `gid`): 0 up to 2^32 - 2 (-1 is "no id").
pub fn account_id(args: &Args, arg: &str) -> Result<Option<u32>, ModuleError> {
    match args.opt_int(arg)? {
        None => Ok(None),
        Some(id) => u32::try_from(id)
            .ok()
            .filter(|id| *id != u32::MAX)
            .map(Some)
            .ok_or_else(|| ModuleError::argument(arg, format!("`{id}` is not a valid id"))),
    }
}

pub struct Group {
    name: String,
    gid: Option<u32>,
    system: bool,
    present: bool,
}

impl Group {
    pub fn new(args: &Args) -> Result<Self, ModuleError> {
        let name = args.str("name")?;
        account_name("name", &name)?;
        Ok(Group {
            name,
            gid: account_id(args, "gid")?,
            system: args.bool_or("system", false)?,
            present: args.pick("state", Presence::Present)? == Presence::Present,
        })
    }
}

/// The group's gid, if it exists.
pub struct Current(Option<u32>);

impl Action for Group {
    type State = Current;
    type Change = String;

    async fn probe(&self, cx: &ModuleCx<'_>) -> Result<Current, ModuleError> {
        // `getent` exits 2 for "no such group": anything else is a failure to look.
        let n = quote(&self.name);
        let script = format!("getent group -- {n}; r=$?; [ $r -eq 2 ] && exit 0; exit $r");
        let out = cx
            .probe_ok(&script, &format!("cannot look up group `{}`", self.name))
            .await?;
        let gid = match out.lines().next() {
            None => None,
            Some(line) => Some(
                line.split(':')
                    .nth(2)
                    .and_then(|g| g.parse().ok())
                    .ok_or_else(|| ModuleError::State(format!("cannot read `{line}`")))?,
            ),
        };
        Ok(Current(gid))
    }

    fn decide(&self, cur: Current, _cx: &ModuleCx<'_>) -> Result<Decision<String>, ModuleError> {
        let n = quote(&self.name);
        let diff = FileDiff::new(&format!("group {}", self.name));
        let outcome = |gid: Option<u32>| {
            let o = Outcome::ok().data("name", self.name.as_str());
            match gid {
                Some(g) => o.data("gid", g),
                None => o,
            }
        };
        let (script, diff) = match (cur.0, self.present) {
            (None, false) => return Ok(Decision::Keep(outcome(None))),
            (Some(g), true) if self.gid.is_none_or(|want| want == g) => {
                return Ok(Decision::Keep(outcome(Some(g))));
            }
            (Some(g), false) => (
                format!("groupdel -- {n}"),
                diff.attr("state", format!("present (gid {g})"), "absent"),
            ),
            (Some(g), true) => {
                let want = self.gid.unwrap_or(g);
                (
                    format!("groupmod -g {want} -- {n}"),
                    diff.attr("gid", g.to_string(), want.to_string()),
                )
            }
            (None, true) => {
                let mut s = String::from("groupadd");
                if let Some(g) = self.gid {
                    s.push_str(&format!(" -g {g}"));
                }
                if self.system {
                    s.push_str(" -r");
                }
                s.push_str(&format!(" -- {n}"));
                let after = self
                    .gid
                    .map_or_else(|| "present".into(), |g| format!("present (gid {g})"));
                (s, diff.attr("state", "absent", after))
            }
        };
        Ok(Decision::Change(script, outcome(self.gid).with_diff(diff)))
    }

    async fn apply(
        &self,
        script: String,
        planned: Outcome,
        cx: &ModuleCx<'_>,
    ) -> Result<Outcome, ModuleError> {
        cx.sh_ok(&script, &format!("cannot change group `{}`", self.name))
            .await?;
        Ok(planned)
    }
}

pub const DEF: ModuleDef = ModuleDef::new("group", &SPEC, |args, cx| {
    Box::pin(async move { drive(Group::new(args)?, cx).await })
});

#[cfg(test)]
mod tests {
    use super::account_name;

    #[test]
    fn account_names() {
        for good in ["eov", "_apt", "www-data", "a.b", "host$", "u1"] {
            assert!(account_name("name", good).is_ok(), "{good}");
        }
        for bad in ["", "-rf", "Root", "a b", "a:b", "1abc", &"x".repeat(33)] {
            assert!(account_name("name", bad).is_err(), "{bad}");
        }
    }
}
