//! `git`: a clone of `repo` at `dest`, checked out at `version` (a branch, a tag or a commit;
//! the remote's HEAD by default). The probe asks the remote what `version` is now
//! (`git ls-remote`, read-only), so check mode and a second run are exact; local changes are
//! never thrown away unless `force`.

use crate::diff::FileDiff;
use crate::modules::action::drive;
use crate::modules::action::{Action, Decision};
use crate::modules::def::ModuleDef;
use crate::modules::spec::{ArgType, ModuleSpec, opt, req};
use crate::modules::{Args, ModuleCx, ModuleError, Outcome};
use crate::shell::quote;

pub const SPEC: ModuleSpec = ModuleSpec::new(&[
    req("repo", ArgType::Str),
    req("dest", ArgType::Str),
    opt("version", ArgType::Str),
    opt("update", ArgType::Bool),
    opt("force", ArgType::Bool),
]);

pub struct Git {
    repo: String,
    dest: String,
    version: String,
    update: bool,
    force: bool,
}

/// A commit id as written (`3f2a9c1`...): checked out as it is, not asked of the remote.
fn is_sha(v: &str) -> bool {
    (7..=40).contains(&v.len()) && v.chars().all(|c| c.is_ascii_hexdigit())
}

impl Git {
    pub fn new(args: &Args) -> Result<Self, ModuleError> {
        let version = args.str_or("version", "HEAD")?;
        if version.is_empty() || version.starts_with('-') || version.contains(char::is_whitespace) {
            return Err(ModuleError::argument(
                "version",
                format!("`{version}` is not a branch, tag or commit"),
            ));
        }
        let repo = args.str("repo")?;
        if repo.starts_with('-') {
            return Err(ModuleError::argument(
                "repo",
                format!("`{repo}` is not a repository"),
            ));
        }
        Ok(Git {
            repo,
            dest: args.str("dest")?,
            version,
            update: args.bool_or("update", true)?,
            force: args.bool_or("force", false)?,
        })
    }
}

/// What is at `dest`, and what `version` is on the remote.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Checkout {
    /// `dest` holds something that is not a clone.
    foreign: bool,
    /// The clone's HEAD commit (`None`: no clone yet).
    head: Option<String>,
    origin: String,
    dirty: bool,
    /// The commit `version` names on the remote (or the commit given).
    target: Option<String>,
    /// `version` is a branch of the remote.
    branch: bool,
}

fn parse(out: &str, version: &str) -> Checkout {
    let mut c = Checkout::default();
    let mut tag = None;
    let mut peeled = None;
    for line in out.lines() {
        let (key, rest) = line.split_once(' ').unwrap_or((line, ""));
        match key {
            "foreign" => c.foreign = true,
            "head" => c.head = Some(rest.trim().to_string()),
            "origin" => c.origin = rest.trim().to_string(),
            "dirty" => c.dirty = true,
            "ref" => {
                // `ls-remote` lines: `SHA\tREF`.
                let Some((sha, r)) = rest.split_once('\t') else {
                    continue;
                };
                if r == format!("refs/heads/{version}") || (version == "HEAD" && r == "HEAD") {
                    c.target = Some(sha.to_string());
                    c.branch = version != "HEAD";
                } else if r == format!("refs/tags/{version}") {
                    tag = Some(sha.to_string());
                } else if r == format!("refs/tags/{version}^{{}}") {
                    peeled = Some(sha.to_string());
                }
            }
            _ => {}
        }
    }
    if c.target.is_none() {
        // An annotated tag's commit is its peeled (`^{}`) line.
        c.target = peeled.or(tag);
    }
    if c.target.is_none() && is_sha(version) {
        c.target = Some(version.to_string());
    }
    c
}

pub enum Change {
    Clone,
    Update,
}

impl Action for Git {
    type State = Checkout;
    type Change = Change;

    async fn probe(&self, cx: &ModuleCx<'_>) -> Result<Checkout, ModuleError> {
        let (d, r) = (quote(&self.dest), quote(&self.repo));
        let script = format!(
            "command -v git >/dev/null || {{ echo 'git not found: install the git package' >&2; exit 3; }}\n\
             if [ -d {d}/.git ]; then\n\
             echo \"head $(git -C {d} rev-parse HEAD 2>/dev/null)\"\n\
             echo \"origin $(git -C {d} config --get remote.origin.url)\"\n\
             [ -z \"$(git -C {d} status --porcelain --untracked-files=no)\" ] || echo dirty\n\
             elif [ -e {d} ] && [ -n \"$(ls -A {d} 2>/dev/null)\" ]; then echo foreign; fi\n\
             refs=$(git ls-remote -- {r}) || {{ echo 'cannot reach the repository' >&2; exit 4; }}\n\
             printf '%s\\n' \"$refs\" | sed 's/^/ref /'"
        );
        let out = cx
            .probe_ok(&script, &format!("cannot read `{}`", self.repo))
            .await?;
        Ok(parse(&out, &self.version))
    }

    fn decide(&self, c: Checkout, _cx: &ModuleCx<'_>) -> Result<Decision<Change>, ModuleError> {
        if c.foreign {
            return Err(ModuleError::State(format!(
                "`{}` exists and is not a git clone: will not clone into it",
                self.dest
            )));
        }
        let target = c.target.clone().ok_or_else(|| {
            ModuleError::State(format!(
                "`{}` has no branch or tag `{}`",
                self.repo, self.version
            ))
        })?;
        let outcome = Outcome::ok().data("after", target.as_str());
        let mut diff = FileDiff::new(&self.dest);
        let Some(head) = c.head else {
            diff = diff.attr(
                "state",
                "absent",
                format!("clone of {} at {}", self.repo, self.version),
            );
            return Ok(Decision::Change(Change::Clone, outcome.with_diff(diff)));
        };
        let outcome = outcome.data("before", head.as_str());
        if c.origin != self.repo {
            return Err(ModuleError::State(format!(
                "`{}` is a clone of `{}`, not of `{}`",
                self.dest, c.origin, self.repo
            )));
        }
        if head.starts_with(&target) || !self.update {
            return Ok(Decision::Keep(outcome.data("after", head.as_str())));
        }
        if c.dirty && !self.force {
            return Err(ModuleError::State(format!(
                "`{}` has local changes: they would be lost (`force = true` discards them)",
                self.dest
            )));
        }
        diff = diff.attr("commit", head, target);
        Ok(Decision::Change(Change::Update, outcome.with_diff(diff)))
    }

    async fn apply(
        &self,
        change: Change,
        planned: Outcome,
        cx: &ModuleCx<'_>,
    ) -> Result<Outcome, ModuleError> {
        let (d, r, v) = (quote(&self.dest), quote(&self.repo), quote(&self.version));
        let mut script = String::from("set -e\n");
        if let Change::Clone = change {
            script.push_str(&format!("git clone -q --origin origin -- {r} {d}\n"));
        } else {
            script.push_str(&format!("git -C {d} fetch -q --tags --force origin\n"));
        }
        // A branch is checked out as a local branch following the remote's; anything else
        // (a tag, a commit, the remote's HEAD) is checked out detached.
        let remote_branch = format!("refs/remotes/origin/{}", self.version);
        script.push_str(&format!(
            "if [ {v} != HEAD ] && git -C {d} show-ref -q --verify {rb}; then\n\
             git -C {d} checkout -q --force -B {v} {rb}\n\
             elif [ {v} = HEAD ]; then git -C {d} checkout -q --force --detach origin/HEAD 2>/dev/null || git -C {d} reset -q --hard origin/HEAD\n\
             else git -C {d} checkout -q --force --detach {v}; fi\n\
             git -C {d} rev-parse HEAD\n",
            rb = quote(&remote_branch)
        ));
        let out = cx
            .sh_ok(&script, &format!("cannot check out `{}`", self.repo))
            .await?;
        let after = out.lines().last().unwrap_or_default().trim().to_string();
        Ok(planned.data("after", after))
    }
}

pub const DEF: ModuleDef = ModuleDef::new("git", &SPEC, |args, cx| {
    Box::pin(async move { drive(Git::new(args)?, cx).await })
});

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn remote_refs() {
        let out = "head aaa\norigin /srv/r.git\nref 111\tHEAD\nref 222\trefs/heads/main\nref 333\trefs/tags/v1\nref 444\trefs/tags/v1^{}\n";
        let main = parse(out, "main");
        assert_eq!((main.target.as_deref(), main.branch), (Some("222"), true));
        assert_eq!(
            parse(out, "v1").target.as_deref(),
            Some("444"),
            "the peeled commit"
        );
        assert_eq!(parse(out, "HEAD").target.as_deref(), Some("111"));
        assert_eq!(parse(out, "nope").target, None);
        assert_eq!(parse(out, "abcdef12").target.as_deref(), Some("abcdef12"));
        assert!(parse("foreign\n", "HEAD").foreign);
    }
}
