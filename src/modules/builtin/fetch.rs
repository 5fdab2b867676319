//! `fetch`: copy a file from the host to the controller, written atomically.

use std::path::PathBuf;

use crate::diff::FileDiff;
use crate::modules::action::drive;
use crate::modules::action::{Action, Decision};
use crate::modules::def::ModuleDef;
use crate::modules::path_state::{self, PathKind, sha256_hex};
use crate::modules::spec::{ArgType, ModuleSpec, opt, req};
use crate::modules::{Args, ModuleCx, ModuleError, Outcome};
use crate::shell::quote;

pub const SPEC: ModuleSpec = ModuleSpec::new(&[
    req("src", ArgType::Str),
    req("dest", ArgType::Str),
    opt("flat", ArgType::Bool),
    opt("fail_on_missing", ArgType::Bool),
]);

pub struct Fetch {
    src: String,
    dest: PathBuf,
    fail_on_missing: bool,
}

impl Fetch {
    pub fn new(args: &Args, cx: &ModuleCx<'_>) -> Result<Self, ModuleError> {
        let src = args.str("src")?;
        let dest = args.str("dest")?;
        let base = cx.fetch_root.join(&dest);
        let dest = if args.bool_or("flat", false)? {
            if dest.ends_with('/') {
                base.join(std::path::Path::new(&src).file_name().unwrap_or_default())
            } else {
                base
            }
        } else {
            base.join(cx.host).join(src.trim_start_matches('/'))
        };
        Ok(Fetch {
            src,
            dest,
            fail_on_missing: args.bool_or("fail_on_missing", true)?,
        })
    }
}

pub struct Remote {
    sha256: Option<String>,
    local: Option<Vec<u8>>,
}

impl Action for Fetch {
    type State = Remote;
    type Change = ();

    async fn probe(&self, cx: &ModuleCx<'_>) -> Result<Remote, ModuleError> {
        let q = path_state::PathQuery::new(&self.src, true, false);
        let st = path_state::probe_all(cx, &[q]).await?.remove(0);
        match st.kind {
            PathKind::File => {}
            PathKind::Absent if !self.fail_on_missing || cx.check => {
                return Ok(Remote {
                    sha256: None,
                    local: None,
                });
            }
            kind => {
                return Err(ModuleError::State(format!(
                    "cannot fetch `{}`: it is {}",
                    self.src,
                    if kind == PathKind::Absent {
                        "absent".into()
                    } else {
                        format!("a {}", kind.name())
                    }
                )));
            }
        }
        let local = tokio::fs::read(&self.dest).await.ok();
        Ok(Remote {
            sha256: st.sha256,
            local,
        })
    }

    fn decide(&self, r: Remote, cx: &ModuleCx<'_>) -> Result<Decision<()>, ModuleError> {
        let Some(remote) = r.sha256 else {
            if cx.check && self.fail_on_missing {
                return Ok(Decision::Keep(Outcome::absent_in_check(&format!(
                    "`{}` does not exist",
                    self.src
                ))));
            }
            return Ok(Decision::Keep(
                Outcome::ok().msg(format!("`{}` is absent; nothing fetched", self.src)),
            ));
        };
        let shown = self.dest.display().to_string();
        if r.local.as_deref().map(sha256_hex).as_deref() == Some(remote.as_str()) {
            return Ok(Decision::Keep(Outcome::ok().data("dest", shown)));
        }
        let mut diff = FileDiff::new(&shown);
        diff = if r.local.is_some() {
            diff.attr("content", "old", "fetched")
        } else {
            diff.attr("state", "absent", "file")
        };
        Ok(Decision::Change(
            (),
            Outcome::ok().with_diff(diff).data("dest", shown),
        ))
    }

    async fn apply(
        &self,
        _: (),
        planned: Outcome,
        cx: &ModuleCx<'_>,
    ) -> Result<Outcome, ModuleError> {
        let out = cx.sh_probe(&format!("cat -- {}", quote(&self.src))).await?;
        if !out.success() {
            return Err(ModuleError::Remote {
                what: format!("cannot read `{}`", self.src),
                reason: out.failure_reason(),
            });
        }
        crate::fsutil::write_atomic(&self.dest, &out.stdout).map_err(|e| ModuleError::Local {
            action: "write",
            path: self.dest.display().to_string(),
            error: e.to_string(),
        })?;
        Ok(planned)
    }
}

pub const DEF: ModuleDef = ModuleDef::new("fetch", &SPEC, |args, cx| {
    Box::pin(async move { drive(Fetch::new(args, cx)?, cx).await })
});
