//! "Rewrite this file's text with a pure function": the engine of `lineinfile`, `blockinfile`
//! and the persistent part of `sysctl`. Probe reads the file, decide runs the edit on the
//! controller, apply writes the result atomically.

use super::action::{Action, Decision};
use super::attrs::Attrs;
use super::def::ReadMode;
use super::path_state::{self, PathKind, PathQuery, PathState};
use super::{Args, ModuleCx, ModuleError, Outcome};
use crate::diff::FileDiff;
use crate::shell::quote;

/// An edit: the old text (`None` if the file is absent) to the new text (`None` to leave it).
pub type Edit = Box<dyn Fn(Option<&str>) -> Result<Option<String>, ModuleError> + Send + Sync>;

pub struct TextEdit {
    pub path: String,
    pub edit: Edit,
    pub attrs: Attrs,
}

pub struct Probed {
    state: PathState,
    text: Option<String>,
}

/// What a text edit probes: the file with its content.
fn query(path: &str) -> PathQuery {
    PathQuery::new(path, false, true)
}

/// Read ahead for `lineinfile` and `blockinfile`: their `path`.
pub fn reads(args: &Args, _: ReadMode) -> Option<Vec<PathQuery>> {
    Some(vec![query(&args.opt_str("path").ok()??)])
}

/// Reads a whole text file (probe with content; a second read only for large files).
pub async fn read_text(
    cx: &ModuleCx<'_>,
    path: &str,
) -> Result<(PathState, Option<String>), ModuleError> {
    let mut state = path_state::probe_all(cx, &[query(path)]).await?.remove(0);
    if state.kind == PathKind::File && state.content.is_none() {
        let out = cx.sh_probe(&format!("cat -- {}", quote(path))).await?;
        if !out.success() {
            return Err(ModuleError::Remote {
                what: format!("cannot read `{path}`"),
                reason: out.failure_reason(),
            });
        }
        state.content = Some(out.stdout);
    }
    let text = match state.content.take() {
        Some(bytes) => Some(
            String::from_utf8(bytes)
                .map_err(|_| ModuleError::State(format!("`{path}` is not a text file")))?,
        ),
        None => None,
    };
    Ok((state, text))
}

impl Action for TextEdit {
    type State = Probed;
    /// The new text, what the file held, and the attributes resolved against it.
    type Change = (String, crate::shell::Before, Attrs);

    async fn probe(&self, cx: &ModuleCx<'_>) -> Result<Probed, ModuleError> {
        let (state, text) = read_text(cx, &self.path).await?;
        if !matches!(state.kind, PathKind::Absent | PathKind::File) {
            return Err(ModuleError::State(format!(
                "`{}` is a {}, not a file",
                self.path,
                state.kind.name()
            )));
        }
        Ok(Probed { state, text })
    }

    fn decide(&self, p: Probed, cx: &ModuleCx<'_>) -> Result<Decision<Self::Change>, ModuleError> {
        // The edit is computed from this content: it is written only over this content.
        let before = match &p.text {
            Some(text) => crate::shell::Before::Sha256(crate::shell::sha256_hex(text.as_bytes())),
            None => crate::shell::Before::Absent,
        };
        let new = match (self.edit)(p.text.as_deref()) {
            Ok(new) => new,
            Err(e) if cx.check && p.state.kind == PathKind::Absent => {
                return Ok(Decision::Keep(Outcome::absent_in_check(&e)));
            }
            Err(e) => return Err(e),
        };
        let mut diff = FileDiff::new(&self.path);
        let content_changes = new.is_some() && new != p.text;
        if p.state.kind == PathKind::Absent {
            if !content_changes {
                return Ok(Decision::Keep(Outcome::ok()));
            }
            diff = diff.attr("state", "absent", "file");
        } else {
            self.attrs.diff_into(&p.state, &mut diff);
        }
        if content_changes {
            diff.before.clone_from(&p.text);
            diff.after.clone_from(&new);
        }
        if !content_changes && diff.attrs.is_empty() {
            return Ok(Decision::Keep(Outcome::ok()));
        }
        Ok(Decision::Change(
            (
                if content_changes {
                    new.unwrap_or_default()
                } else {
                    String::new()
                },
                before,
                self.attrs.resolved(&p.state),
            ),
            Outcome::ok().with_diff(diff),
        ))
    }

    async fn apply(
        &self,
        (text, before, attrs): Self::Change,
        planned: Outcome,
        cx: &ModuleCx<'_>,
    ) -> Result<Outcome, ModuleError> {
        let content_changes = planned.diffs.iter().any(|d| d.before != d.after);
        super::attrs::write_replacing(
            cx,
            &self.path,
            &attrs,
            content_changes.then_some(text.as_bytes()),
            before,
        )
        .await?;
        Ok(planned)
    }
}

/// Where to insert when nothing matches: after the last line matching `after`, before the last
/// line matching `before`, or at the end / beginning.
pub enum Anchor {
    Eof,
    Bof,
    After(regex::Regex),
    Before(regex::Regex),
}

impl Anchor {
    pub fn from_args(after: Option<String>, before: Option<String>) -> Result<Anchor, ModuleError> {
        Ok(match (after.as_deref(), before.as_deref()) {
            (Some(_), Some(_)) => {
                return Err(ModuleError::Usage(
                    "give at most one of `insertafter` and `insertbefore`".into(),
                ));
            }
            (Some("EOF") | None, None) => Anchor::Eof,
            (None, Some("BOF")) => Anchor::Bof,
            (Some(re), None) => Anchor::After(compile(re, "insertafter")?),
            (None, Some(re)) => Anchor::Before(compile(re, "insertbefore")?),
        })
    }

    /// The index in `lines` at which to insert.
    pub fn position(&self, lines: &[&str]) -> usize {
        match self {
            Anchor::Eof => lines.len(),
            Anchor::Bof => 0,
            Anchor::After(re) => lines
                .iter()
                .rposition(|l| re.is_match(l))
                .map_or(lines.len(), |i| i + 1),
            Anchor::Before(re) => lines
                .iter()
                .rposition(|l| re.is_match(l))
                .unwrap_or(lines.len()),
        }
    }
}

pub fn compile(re: &str, arg: &str) -> Result<regex::Regex, ModuleError> {
    regex::Regex::new(re)
        .map_err(|e| ModuleError::argument(arg, format!("is not a valid regex: {e}")))
}

/// A file that does not exist: nothing to do when removing, created with `lines` when
/// `create` allows it, else an error that says how to allow it.
pub fn when_missing(
    path: &str,
    present: bool,
    create: bool,
    lines: &[String],
) -> Result<Option<String>, ModuleError> {
    match (present, create) {
        (false, _) => Ok(None),
        (true, true) => Ok(Some(join_lines(lines))),
        (true, false) => Err(ModuleError::State(format!(
            "`{path}` does not exist (set `create = true` to create it)"
        ))),
    }
}

/// The new text for edited `lines`; a file that only lacked its final newline is not
/// rewritten for that alone.
pub fn rewritten(old: &str, lines: &[String]) -> String {
    let new = join_lines(lines);
    if new.trim_end_matches('\n') == old.trim_end_matches('\n') {
        old.to_string()
    } else {
        new
    }
}

/// Splits text into lines, remembering whether it ended with a newline.
pub fn split_lines(text: &str) -> Vec<&str> {
    text.lines().collect()
}

/// Joins lines back, always ending with a newline (as editors do).
pub fn join_lines(lines: &[String]) -> String {
    let mut out = lines.join("\n");
    if !lines.is_empty() {
        out.push('\n');
    }
    out
}
