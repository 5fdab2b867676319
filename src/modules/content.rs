//! "This path holds exactly these bytes": the engine of `copy` and `template`.

use super::action::{Action, Decision};
use super::attrs::Attrs;
use super::def::ReadMode;
use super::path_state::{self, PathKind, PathQuery, PathState};
use super::{Args, ModuleCx, ModuleError, Outcome};
use crate::diff::FileDiff;

/// What `copy` and `template` probe at `dest`: its checksum, and its content for a diff.
fn query(dest: &str, mode: ReadMode) -> PathQuery {
    PathQuery::new(dest, true, mode.diff)
}

/// Read ahead unless `dest` is a directory, whose file name comes from `src`.
pub fn reads(args: &Args, mode: ReadMode) -> Option<Vec<PathQuery>> {
    let dest = args.opt_str("dest").ok()??;
    (!dest.ends_with('/')).then(|| vec![query(&dest, mode)])
}

pub struct EnsureContent {
    pub dest: String,
    pub content: Vec<u8>,
    pub attrs: Attrs,
    /// When `dest` is an existing directory, the file goes into it under this name (`copy`
    /// with `src`, as in Ansible); `None`: a directory there is an error.
    pub into_dir: Option<String>,
}

/// Where the content goes, and whether it must be written (else only attributes change).
pub struct Write {
    path: String,
    content: bool,
    /// The attributes with a symbolic mode resolved against what is there.
    attrs: Attrs,
}

impl Action for EnsureContent {
    /// The path the content goes to, and what is there.
    type State = (String, PathState);
    type Change = Write;

    async fn probe(&self, cx: &ModuleCx<'_>) -> Result<(String, PathState), ModuleError> {
        let mode = ReadMode { diff: cx.diff };
        let state = path_state::probe_all(cx, &[query(&self.dest, mode)])
            .await?
            .remove(0);
        match &self.into_dir {
            Some(name) if state.kind == PathKind::Directory => {
                let inside = format!("{}/{name}", self.dest.trim_end_matches('/'));
                let state = path_state::probe_all(cx, &[query(&inside, mode)])
                    .await?
                    .remove(0);
                Ok((inside, state))
            }
            _ => Ok((self.dest.clone(), state)),
        }
    }

    fn decide(
        &self,
        (path, state): (String, PathState),
        cx: &ModuleCx<'_>,
    ) -> Result<Decision<Write>, ModuleError> {
        if !matches!(state.kind, PathKind::Absent | PathKind::File) {
            return Err(ModuleError::State(format!(
                "`{path}` is a {}, not a file",
                state.kind.name()
            )));
        }
        let mut diff = FileDiff::new(&path);
        let wanted_hash = path_state::sha256_hex(&self.content);
        let write =
            state.kind == PathKind::Absent || state.sha256.as_deref() != Some(wanted_hash.as_str());
        if state.kind == PathKind::Absent {
            diff = diff.attr("state", "absent", "file");
        } else {
            self.attrs.diff_into(&state, &mut diff);
        }
        if !write && diff.attrs.is_empty() {
            return Ok(Decision::Keep(Outcome::ok()));
        }
        if write && cx.diff {
            diff.after = FileDiff::text(&self.content);
            diff.before = match (&state.kind, &state.content) {
                (PathKind::Absent, _) => None,
                (_, Some(bytes)) => FileDiff::text(bytes),
                (_, None) => None,
            };
            let readable = |b: &Option<String>, exists: bool| b.is_some() || !exists;
            if !readable(&diff.before, state.kind == PathKind::File) || diff.after.is_none() {
                diff.note =
                    Some("content differs (binary or larger than 256 KiB, not shown)".into());
                diff.before = None;
                diff.after = None;
            }
        } else if write {
            diff.note = Some("content differs".into());
        }
        Ok(Decision::Change(
            Write {
                path,
                content: write,
                attrs: self.attrs.resolved(&state),
            },
            Outcome::ok().with_diff(diff),
        ))
    }

    async fn apply(
        &self,
        change: Write,
        planned: Outcome,
        cx: &ModuleCx<'_>,
    ) -> Result<Outcome, ModuleError> {
        super::attrs::write(
            cx,
            &change.path,
            &change.attrs,
            change.content.then_some(self.content.as_slice()),
        )
        .await?;
        Ok(planned)
    }
}
