//! `file`: a path's kind (file, directory, link, absent, touch) and attributes.

use crate::diff::FileDiff;
use crate::modules::action::drive;
use crate::modules::action::{Action, Decision};
use crate::modules::attrs::Attrs;
use crate::modules::choice::choice;
use crate::modules::def::{ModuleDef, ReadMode};
use crate::modules::path_state::PathQuery;
use crate::modules::path_state::{self, PathKind, PathState};
use crate::modules::spec::{ArgType, GROUP, MODE, ModuleSpec, OWNER, opt, req};
use crate::modules::{Args, ModuleCx, ModuleError, Outcome};
use crate::shell::quote;

choice!(
    /// What the path must be.
    FileState {
        File = "file",
        Directory = "directory",
        Link = "link",
        Absent = "absent",
        Touch = "touch",
    }
);

pub const SPEC: ModuleSpec = ModuleSpec::new(&[
    req("path", ArgType::Str),
    opt("state", ArgType::Choice(FileState::NAMES)),
    opt("src", ArgType::Str),
    MODE,
    OWNER,
    GROUP,
]);

pub struct File {
    path: String,
    state: FileState,
    src: Option<String>,
    attrs: Attrs,
}

impl File {
    pub fn new(args: &Args) -> Result<Self, ModuleError> {
        let state = args.pick("state", FileState::File)?;
        let src = args.opt_str("src")?;
        if state == FileState::Link && src.is_none() {
            return Err(ModuleError::Usage(
                "`state = \"link\"` needs `src` (the link target)".into(),
            ));
        }
        Ok(File {
            path: args.str("path")?,
            state,
            src,
            attrs: Attrs::from_args(args)?,
        })
    }
}

impl Action for File {
    type State = PathState;
    type Change = String;

    async fn probe(&self, cx: &ModuleCx<'_>) -> Result<PathState, ModuleError> {
        let mut states = path_state::probe_all(cx, &[query(&self.path)]).await?;
        Ok(states.remove(0))
    }

    fn decide(&self, st: PathState, cx: &ModuleCx<'_>) -> Result<Decision<String>, ModuleError> {
        let p = quote(&self.path);
        let mut diff = FileDiff::new(&self.path);
        let mut script = String::from("set -e\n");
        let wanted = match self.state {
            FileState::Absent => PathKind::Absent,
            FileState::Directory => PathKind::Directory,
            FileState::Link => PathKind::Link,
            FileState::File | FileState::Touch => PathKind::File,
        };
        match (self.state, st.kind) {
            (FileState::Absent, PathKind::Absent) => return Ok(Decision::Keep(Outcome::ok())),
            (FileState::Absent, kind) => {
                diff = diff.attr("state", kind.name(), "absent");
                script.push_str(&format!("rm -rf -- {p}\n"));
                return Ok(Decision::Change(script, Outcome::ok().with_diff(diff)));
            }
            (FileState::File, PathKind::Absent) if cx.check => {
                return Ok(Decision::Keep(Outcome::absent_in_check(&format!(
                    "`{}` does not exist",
                    self.path
                ))));
            }
            (FileState::File, PathKind::Absent) => {
                return Err(ModuleError::State(format!(
                    "`{}` does not exist; use `state = \"touch\"` to create an empty file",
                    self.path
                )));
            }
            (FileState::Touch, PathKind::Absent) => {
                diff = diff.attr("state", "absent", "file");
                script.push_str(&format!("touch -- {p}\n"));
            }
            (FileState::Directory, PathKind::Absent) => {
                diff = diff.attr("state", "absent", "directory");
                // `-m` sets the new directory's mode exactly (not through the umask).
                // A symbolic mode is applied by `chmod` below, relative to the umask's mode
                // (`mkdir -m u+x` would start from a=rwx instead).
                match self.attrs.mode.as_ref().and_then(|m| m.octal()) {
                    Some(m) => script.push_str(&format!("mkdir -p -m {m:o} -- {p}\n")),
                    None => script.push_str(&format!("mkdir -p -- {p}\n")),
                }
            }
            (FileState::Link, kind) => {
                let target = self.src.as_deref().unwrap_or_default();
                if kind == PathKind::Directory {
                    return Err(ModuleError::State(format!(
                        "`{}` is a directory; will not replace it with a link",
                        self.path
                    )));
                }
                if kind != PathKind::Link || st.link_target.as_deref() != Some(target) {
                    let before = st
                        .link_target
                        .clone()
                        .map_or_else(|| kind.name().to_string(), |t| format!("link to {t}"));
                    diff = diff.attr("state", before, format!("link to {target}"));
                    script.push_str(&format!("ln -sfn -- {} {p}\n", quote(target)));
                }
            }
            (_, kind)
                if kind != wanted
                    && !(self.state == FileState::Touch && kind == PathKind::File) =>
            {
                return Err(ModuleError::State(format!(
                    "`{}` is a {}, not a {}",
                    self.path,
                    kind.name(),
                    wanted.name()
                )));
            }
            _ => {}
        }
        if st.kind != PathKind::Absent && st.kind != PathKind::Link {
            self.attrs.diff_into(&st, &mut diff);
        } else if st.kind == PathKind::Absent {
            for (name, value) in [
                ("mode", self.attrs.mode.as_ref().map(|m| m.to_string())),
                ("owner", self.attrs.owner.clone()),
                ("group", self.attrs.group.clone()),
            ] {
                if let Some(v) = value {
                    diff = diff.attr(name, "", v);
                }
            }
        }
        if diff.attrs.is_empty() {
            return Ok(Decision::Keep(Outcome::ok()));
        }
        let attrs = self.attrs.resolved(&st);
        if st.kind == PathKind::Absent
            && self.state == FileState::Directory
            && attrs.mode.as_ref().is_some_and(|m| m.octal().is_some())
        {
            // `mkdir -m` set the octal mode already.
            let owners = Attrs {
                mode: None,
                ..attrs
            };
            script.push_str(&owners.script(&self.path));
        } else if st.kind != PathKind::Link || self.state != FileState::Link {
            script.push_str(&attrs.script(&self.path));
        }
        Ok(Decision::Change(script, Outcome::ok().with_diff(diff)))
    }

    async fn apply(
        &self,
        script: String,
        planned: Outcome,
        cx: &ModuleCx<'_>,
    ) -> Result<Outcome, ModuleError> {
        let out = cx.sh(&script).await?;
        if !out.success() {
            return Err(ModuleError::Remote {
                what: format!("cannot set `{}`", self.path),
                reason: out.failure_reason(),
            });
        }
        Ok(planned)
    }
}

pub const DEF: ModuleDef = ModuleDef::new("file", &SPEC, |args, cx| {
    Box::pin(async move { drive(File::new(args)?, cx).await })
})
.read_ahead(&["path"], reads);

/// What `file` probes: the path's metadata.
fn query(path: &str) -> PathQuery {
    PathQuery::new(path, false, false)
}

fn reads(args: &Args, _: ReadMode) -> Option<Vec<PathQuery>> {
    Some(vec![query(&args.opt_str("path").ok()??)])
}
