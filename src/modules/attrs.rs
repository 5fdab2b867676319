//! Mode, owner and group of a path: what differs, and the commands that fix it.

use super::ModuleError;
use super::args::Args;
use super::mode::FileMode;
use super::path_state::PathState;
use crate::diff::FileDiff;
use crate::shell::{owner_spec, quote};

#[derive(Clone, Debug, Default)]
pub struct Attrs {
    pub mode: Option<FileMode>,
    pub owner: Option<String>,
    pub group: Option<String>,
}

impl Attrs {
    pub fn from_args(args: &Args) -> Result<Self, ModuleError> {
        Ok(Attrs {
            mode: args.opt_mode("mode")?,
            owner: args.opt_str("owner")?,
            group: args.opt_str("group")?,
        })
    }

    fn owner_differs(wanted: Option<&String>, name: &str, id: u32) -> bool {
        wanted.is_some_and(|w| w != name && *w != id.to_string())
    }

    /// Adds the attribute changes needed on an existing path to `diff`; true if any.
    pub fn diff_into(&self, state: &PathState, diff: &mut FileDiff) -> bool {
        let before = diff.attrs.len();
        let is_dir = state.kind == super::path_state::PathKind::Directory;
        if let Some(m) = self
            .mode
            .as_ref()
            .map(|m| m.resolve(state.mode, is_dir))
            .filter(|m| *m != state.mode)
        {
            diff.attrs.push(crate::diff::AttrChange {
                name: "mode".into(),
                before: format!("{:04o}", state.mode),
                after: format!("{m:04o}"),
            });
        }
        if Self::owner_differs(self.owner.as_ref(), &state.owner, state.uid) {
            diff.attrs.push(crate::diff::AttrChange {
                name: "owner".into(),
                before: state.owner.clone(),
                after: self.owner.clone().unwrap_or_default(),
            });
        }
        if Self::owner_differs(self.group.as_ref(), &state.group, state.gid) {
            diff.attrs.push(crate::diff::AttrChange {
                name: "group".into(),
                before: state.group.clone(),
                after: self.group.clone().unwrap_or_default(),
            });
        }
        diff.attrs.len() > before
    }

    /// These attributes for a path in `state`: a symbolic mode becomes the octal mode it
    /// gives there, so the change made is exactly the one the diff showed. A path that does
    /// not exist keeps its symbolic mode, applied by `chmod` once the path is created.
    pub fn resolved(&self, state: &PathState) -> Attrs {
        let mode = match &self.mode {
            Some(m) if state.kind != super::path_state::PathKind::Absent => {
                Some(FileMode::Octal(m.resolve(
                    state.mode,
                    state.kind == super::path_state::PathKind::Directory,
                )))
            }
            other => other.clone(),
        };
        Attrs {
            mode,
            ..self.clone()
        }
    }

    /// chmod / chown commands for `path` (link itself not followed for ownership).
    pub fn script(&self, path: &str) -> String {
        let p = quote(path);
        let mut s = String::new();
        if let Some(m) = &self.mode {
            s.push_str(&format!("chmod {} -- {p}\n", quote(&m.chmod_arg())));
        }
        if self.owner.is_some() || self.group.is_some() {
            let spec = owner_spec(self.owner.as_deref(), self.group.as_deref());
            s.push_str(&format!("chown -h {} -- {p}\n", quote(&spec)));
        }
        s
    }
}

/// Writes `content` to `path` atomically with these attributes, or, with no content, only
/// applies the attributes: the apply step of every file-writing module.
pub async fn write(
    cx: &super::ModuleCx<'_>,
    path: &str,
    attrs: &Attrs,
    content: Option<&[u8]>,
) -> Result<(), ModuleError> {
    write_replacing(cx, path, attrs, content, crate::shell::Before::Any).await
}

/// [`write`], only if the file still is as `before` says (an edit computed from its content):
/// else [`ModuleError::Conflict`].
pub async fn write_replacing(
    cx: &super::ModuleCx<'_>,
    path: &str,
    attrs: &Attrs,
    content: Option<&[u8]>,
    before: crate::shell::Before,
) -> Result<(), ModuleError> {
    let out = match content {
        Some(bytes) => {
            let mode = match &attrs.mode {
                None => None,
                Some(FileMode::Octal(m)) => Some(crate::shell::WriteMode::Octal(*m)),
                Some(sym) => Some(crate::shell::WriteMode::Chmod(sym.chmod_arg())),
            };
            let script = crate::shell::atomic_write_with(
                path,
                &crate::shell::Expected::of(bytes).replacing(before),
                mode,
                attrs.owner.as_deref(),
                attrs.group.as_deref(),
            );
            cx.sh_in(&script, bytes).await?
        }
        None => cx.sh(&format!("set -e\n{}", attrs.script(path))).await?,
    };
    if out.success() {
        Ok(())
    } else if out.status == Some(crate::shell::CHANGED_SINCE_READ) {
        Err(ModuleError::Conflict(format!(
            "`{path}` changed while it was edited"
        )))
    } else {
        Err(ModuleError::Remote {
            what: format!("cannot write `{path}`"),
            reason: out.failure_reason(),
        })
    }
}
