//! `get_url`: a file downloaded by the host (curl, else wget, else python3: minimal images
//! have at least one) to `dest`. As in Ansible, an existing `dest` is kept unless `force` or a
//! `checksum` it does not match; with a checksum the download must match it. The file comes
//! into a temp file beside `dest` and is renamed over it only when its content differs, so
//! `changed` is honest even for a forced download.

use crate::diff::FileDiff;
use crate::modules::action::drive;
use crate::modules::action::{Action, Decision};
use crate::modules::attrs::Attrs;
use crate::modules::def::{ModuleDef, ReadMode};
use crate::modules::path_state::{self, PathKind, PathQuery, PathState};
use crate::modules::spec::{ArgType, GROUP, MODE, ModuleSpec, OWNER, opt, req};
use crate::modules::{Args, ModuleCx, ModuleError, Outcome};
use crate::shell::{owner_spec, quote};

pub const SPEC: ModuleSpec = ModuleSpec::new(&[
    req("url", ArgType::Str),
    req("dest", ArgType::Str),
    opt("checksum", ArgType::Str),
    opt("force", ArgType::Bool),
    opt("timeout", ArgType::Duration),
    MODE,
    OWNER,
    GROUP,
]);

/// Exit statuses of the download script.
const NO_CLIENT: i32 = 3;
const MISMATCH: i32 = 4;

pub struct GetUrl {
    url: String,
    dest: String,
    /// Lowercase hex sha256 the file must have.
    sha256: Option<String>,
    force: bool,
    timeout: f64,
    attrs: Attrs,
}

/// `sha256:HEX` (the one algorithm eov checks; Ansible's form).
fn checksum(text: &str) -> Result<String, ModuleError> {
    let hex = text
        .strip_prefix("sha256:")
        .map(str::to_ascii_lowercase)
        .filter(|h| h.len() == 64 && h.chars().all(|c| c.is_ascii_hexdigit()));
    hex.ok_or_else(|| {
        ModuleError::argument(
            "checksum",
            format!("`{text}` is not `sha256:` followed by 64 hex digits"),
        )
    })
}

impl GetUrl {
    pub fn new(args: &Args) -> Result<Self, ModuleError> {
        let url = args.str("url")?;
        let scheme_ok = ["http://", "https://", "ftp://"]
            .iter()
            .any(|s| url.starts_with(s));
        if !scheme_ok || url.contains(char::is_whitespace) {
            return Err(ModuleError::argument(
                "url",
                format!("`{url}` is not an http://, https:// or ftp:// URL"),
            ));
        }
        let dest = args.str("dest")?;
        if dest.ends_with('/') {
            return Err(ModuleError::argument(
                "dest",
                "must name the file, not a directory",
            ));
        }
        Ok(GetUrl {
            url,
            dest,
            sha256: args
                .opt_str("checksum")?
                .as_deref()
                .map(checksum)
                .transpose()?,
            force: args.bool_or("force", false)?,
            timeout: args.opt_secs("timeout")?.unwrap_or(10.0),
            attrs: Attrs::from_args(args)?,
        })
    }

    /// Downloads into a temp file, checks it, and renames it over `dest` only if it differs
    /// (else only the attributes are applied). Prints `replaced` or `same`, then the sha256.
    fn script(&self, attrs: &Attrs, exists: bool) -> String {
        let d = quote(&self.dest);
        let dir = self
            .dest
            .rsplit_once('/')
            .map_or(".", |(p, _)| if p.is_empty() { "/" } else { p });
        let t = quote(&format!("{dir}/.eov.{:016x}", crate::shell::random()));
        let (u, secs) = (quote(&self.url), self.timeout.ceil().max(1.0) as u64);
        let want = quote(self.sha256.as_deref().unwrap_or(""));
        let mut chmod = match &attrs.mode {
            Some(m) => format!("chmod {} \"$t\"\n", quote(&m.chmod_arg())),
            None if exists => format!("chmod --reference={d} \"$t\"\n"),
            None => String::new(),
        };
        match (&attrs.owner, &attrs.group) {
            (None, None) if exists => chmod.push_str(&format!("chown --reference={d} \"$t\"\n")),
            (None, None) => {}
            (o, g) => chmod.push_str(&format!(
                "chown {} \"$t\"\n",
                quote(&owner_spec(o.as_deref(), g.as_deref()))
            )),
        }
        let on_dest = attrs.script(&self.dest);
        format!(
            "set -e\nt={t}\ntrap 'rm -f \"$t\"' EXIT\n\
             if command -v curl >/dev/null; then curl -fsSL --max-time {secs} -o \"$t\" {u}\n\
             elif command -v wget >/dev/null; then wget -q -T {secs} -O \"$t\" {u}\n\
             elif command -v python3 >/dev/null; then python3 -c 'import sys, shutil, urllib.request\n\
with urllib.request.urlopen(sys.argv[1], timeout=float(sys.argv[3])) as r, open(sys.argv[2], \"xb\") as f: shutil.copyfileobj(r, f)' {u} \"$t\" {secs}\n\
             else echo 'no curl, wget or python3 on the host to download with' >&2; exit {NO_CLIENT}; fi\n\
             s=$(sha256sum < \"$t\"); s=${{s%% *}}\n\
             w={want}\n\
             if [ -n \"$w\" ] && [ \"$s\" != \"$w\" ]; then echo \"checksum mismatch: the download's sha256 is $s\" >&2; exit {MISMATCH}; fi\n\
             if [ -f {d} ] && o=$(sha256sum < {d}) && [ \"${{o%% *}}\" = \"$s\" ]; then echo same\n{on_dest}else\n\
             {chmod}mv -f \"$t\" {d}\necho replaced; fi\necho \"$s\"\n"
        )
    }
}

/// What `get_url` probes at `dest`: its checksum.
fn query(dest: &str) -> PathQuery {
    PathQuery::new(dest, true, false)
}

fn reads(args: &Args, _: ReadMode) -> Option<Vec<PathQuery>> {
    Some(vec![query(&args.opt_str("dest").ok()??)])
}

pub enum Change {
    /// Download (the file is absent or its checksum is wrong, or `force`).
    Download { exists: bool, attrs: Attrs },
    /// Only mode / owner / group.
    Attrs(Attrs),
}

impl Action for GetUrl {
    type State = PathState;
    type Change = Change;

    async fn probe(&self, cx: &ModuleCx<'_>) -> Result<PathState, ModuleError> {
        Ok(path_state::probe_all(cx, &[query(&self.dest)])
            .await?
            .remove(0))
    }

    fn decide(&self, st: PathState, _cx: &ModuleCx<'_>) -> Result<Decision<Change>, ModuleError> {
        if !matches!(st.kind, PathKind::Absent | PathKind::File) {
            return Err(ModuleError::State(format!(
                "`{}` is a {}, not a file",
                self.dest,
                st.kind.name()
            )));
        }
        let attrs = self.attrs.resolved(&st);
        let outcome = Outcome::ok()
            .data("dest", self.dest.as_str())
            .data("url", self.url.as_str());
        let mut diff = FileDiff::new(&self.dest);
        let exists = st.kind == PathKind::File;
        if !exists {
            diff = diff.attr("state", "absent", "file");
            if let Some(m) = &self.attrs.mode {
                diff = diff.attr("mode", "", m.to_string());
            }
            diff.note = Some(format!("downloaded from {}", self.url));
            return Ok(Decision::Change(
                Change::Download { exists, attrs },
                outcome.with_diff(diff),
            ));
        }
        let have = st.sha256.clone().unwrap_or_default();
        if let Some(want) = self.sha256.as_ref().filter(|w| **w != have) {
            diff = diff.attr("sha256", have, want.clone());
            return Ok(Decision::Change(
                Change::Download { exists, attrs },
                outcome.with_diff(diff),
            ));
        }
        let outcome = outcome.data("checksum", have.as_str());
        let attrs_differ = self.attrs.diff_into(&st, &mut diff);
        if self.force && self.sha256.is_none() {
            let change = Change::Download { exists, attrs };
            if attrs_differ {
                return Ok(Decision::Change(change, outcome.with_diff(diff)));
            }
            // Whether the content differs is known only once downloaded: `apply` says.
            let mut o = outcome.msg(
                "force: downloaded again and compared; in check mode only a real run can tell",
            );
            o.unknown = true;
            return Ok(Decision::Quiet(change, o));
        }
        if attrs_differ {
            return Ok(Decision::Change(
                Change::Attrs(attrs),
                outcome.with_diff(diff),
            ));
        }
        Ok(Decision::Keep(outcome))
    }

    async fn apply(
        &self,
        change: Change,
        mut planned: Outcome,
        cx: &ModuleCx<'_>,
    ) -> Result<Outcome, ModuleError> {
        let (exists, attrs) = match change {
            Change::Attrs(attrs) => {
                crate::modules::attrs::write(cx, &self.dest, &attrs, None).await?;
                return Ok(planned);
            }
            Change::Download { exists, attrs } => (exists, attrs),
        };
        let out = cx.sh(&self.script(&attrs, exists)).await?;
        let what = format!("cannot download `{}`", self.url);
        match out.status {
            Some(0) => {}
            Some(MISMATCH) | Some(NO_CLIENT) => {
                return Err(ModuleError::State(format!(
                    "{what}: {}",
                    out.stderr_text().trim()
                )));
            }
            _ => {
                return Err(ModuleError::Remote {
                    what,
                    reason: out.failure_reason(),
                });
            }
        }
        let text = out.stdout_text();
        let mut lines = text.lines();
        let replaced = lines.next() == Some("replaced");
        let sum = lines.next().unwrap_or_default().to_string();
        planned.unknown = false;
        planned.msg = None;
        planned = planned.data("checksum", sum.as_str());
        if !replaced {
            // The same content (a forced download): changed only if the attributes were.
            return Ok(planned);
        }
        if planned.diffs.is_empty() {
            let mut diff = FileDiff::new(&self.dest);
            diff.note = Some("content differs".into());
            planned = planned.with_diff(diff);
        }
        planned.changed = true;
        Ok(planned)
    }
}

pub const DEF: ModuleDef = ModuleDef::new("get_url", &SPEC, |args, cx| {
    Box::pin(async move { drive(GetUrl::new(args)?, cx).await })
})
.read_ahead(&["dest"], reads);

#[cfg(test)]
mod tests {
    use super::checksum;

    #[test]
    fn checksums() {
        let hex = "AB".repeat(32);
        assert_eq!(
            checksum(&format!("sha256:{hex}")).unwrap(),
            hex.to_lowercase()
        );
        for bad in ["md5:abc", "sha256:xyz", "sha256:", &hex] {
            assert!(checksum(bad).is_err(), "{bad}");
        }
    }
}
