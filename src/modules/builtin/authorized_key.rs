//! `authorized_key`: an SSH public key in (or out of) a user's authorized_keys.

use crate::diff::FileDiff;
use crate::modules::action::drive;
use crate::modules::action::{Action, Decision};
use crate::modules::choice::Presence;
use crate::modules::def::ModuleDef;
use crate::modules::spec::{ArgType, ModuleSpec, opt, req};
use crate::modules::text_edit::{join_lines, read_text};
use crate::modules::{Args, ModuleCx, ModuleError, Outcome};
use crate::shell::{Expected, atomic_write, quote};

pub const SPEC: ModuleSpec = ModuleSpec::new(&[
    req("user", ArgType::Str),
    req("key", ArgType::Str),
    opt("state", ArgType::Choice(Presence::NAMES)),
    opt("path", ArgType::Str),
]);

pub struct AuthorizedKey {
    user: String,
    keys: Vec<String>,
    present: bool,
    path: Option<String>,
}

/// The part of a key line that identifies it: type and base64 blob, without options or comment.
fn identity(line: &str) -> Option<(String, String)> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let i = words
        .iter()
        .position(|w| w.starts_with("ssh-") || w.starts_with("ecdsa-") || w.starts_with("sk-"))?;
    Some((words[i].to_string(), (*words.get(i + 1)?).to_string()))
}

impl AuthorizedKey {
    pub fn new(args: &Args) -> Result<Self, ModuleError> {
        let keys: Vec<String> = args
            .str("key")?
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_string)
            .collect();
        if let Some(bad) = keys.iter().find(|k| identity(k).is_none()) {
            return Err(ModuleError::Usage(format!(
                "`{bad}` is not an SSH public key"
            )));
        }
        Ok(AuthorizedKey {
            user: args.str("user")?,
            keys,
            present: args.pick("state", Presence::Present)? == Presence::Present,
            path: args.opt_str("path")?,
        })
    }
}

pub struct Current {
    path: String,
    text: Option<String>,
}

impl Action for AuthorizedKey {
    type State = Current;
    type Change = (String, String, crate::shell::Before);

    async fn probe(&self, cx: &ModuleCx<'_>) -> Result<Current, ModuleError> {
        let path = match &self.path {
            Some(p) => p.clone(),
            None => {
                let home = cx
                    .probe_ok(
                        &format!("getent passwd {} | cut -d: -f6", quote(&self.user)),
                        "cannot look up user",
                    )
                    .await?;
                let home = home.trim();
                if home.is_empty() {
                    return Err(ModuleError::State(format!(
                        "user `{}` does not exist",
                        self.user
                    )));
                }
                format!("{home}/.ssh/authorized_keys")
            }
        };
        let (_, text) = read_text(cx, &path).await?;
        Ok(Current { path, text })
    }

    fn decide(
        &self,
        cur: Current,
        _cx: &ModuleCx<'_>,
    ) -> Result<Decision<Self::Change>, ModuleError> {
        let old = cur.text.clone().unwrap_or_default();
        let wanted: Vec<(String, String)> = self.keys.iter().filter_map(|k| identity(k)).collect();
        let mut lines: Vec<String> = old.lines().map(str::to_string).collect();
        if self.present {
            for key in &self.keys {
                if !lines.iter().any(|l| identity(l) == identity(key)) {
                    lines.push(key.clone());
                }
            }
        } else {
            lines.retain(|l| identity(l).is_none_or(|id| !wanted.contains(&id)));
        }
        let new = join_lines(&lines);
        if new.trim_end() == old.trim_end() {
            return Ok(Decision::Keep(Outcome::ok()));
        }
        let mut diff = FileDiff::new(&cur.path);
        diff.before = cur.text.clone();
        diff.after = Some(new.clone());
        let before = match &cur.text {
            Some(t) => crate::shell::Before::Sha256(crate::shell::sha256_hex(t.as_bytes())),
            None => crate::shell::Before::Absent,
        };
        Ok(Decision::Change(
            (cur.path, new, before),
            Outcome::ok().with_diff(diff),
        ))
    }

    async fn apply(
        &self,
        (path, text, before): Self::Change,
        planned: Outcome,
        cx: &ModuleCx<'_>,
    ) -> Result<Outcome, ModuleError> {
        let dir = crate::shell::parent(&path).to_string();
        let mut script = format!(
            "set -e\nif [ ! -d {d} ]; then mkdir -p {d}; chmod 700 {d}; chown {u}: {d}; fi\n",
            d = quote(&dir),
            u = quote(&self.user)
        );
        let group = cx
            .probe_ok(
                &format!("id -gn {}", quote(&self.user)),
                "cannot look up user",
            )
            .await?;
        script.push_str(&atomic_write(
            &path,
            &Expected::of(text.as_bytes()).replacing(before),
            Some(0o600),
            Some(&self.user),
            Some(group.trim()),
        ));
        let out = cx.sh_in(&script, text.as_bytes()).await?;
        if out.status == Some(crate::shell::CHANGED_SINCE_READ) {
            return Err(ModuleError::Conflict(format!(
                "`{path}` changed while it was edited"
            )));
        }
        if !out.success() {
            return Err(ModuleError::Remote {
                what: format!("cannot write `{path}`"),
                reason: out.failure_reason(),
            });
        }
        Ok(planned)
    }
}

pub const DEF: ModuleDef = ModuleDef::new("authorized_key", &SPEC, |args, cx| {
    Box::pin(async move { drive(AuthorizedKey::new(args)?, cx).await })
});
