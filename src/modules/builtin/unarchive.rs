//! `unarchive`: a tar archive (plain, gz, bz2, xz or zstd) extracted into a directory, from
//! the controller (`files/`, sent on stdin: nothing is left on the host) or already on the
//! host (`remote_src`). Whether it is extracted already is GNU tar's `--compare` of the
//! archive with the directory (as Ansible does): contents, sizes, modes, owners and mtimes.

use crate::diff::FileDiff;
use crate::modules::action::drive;
use crate::modules::action::{Action, Decision};
use crate::modules::def::{ModuleDef, SourceKind};
use crate::modules::spec::{ArgType, ModuleSpec, opt, req};
use crate::modules::{Args, ModuleCx, ModuleError, Outcome};
use crate::shell::quote;

pub const SPEC: ModuleSpec = ModuleSpec::new(&[
    req("src", ArgType::Str),
    req("dest", ArgType::Str),
    opt("remote_src", ArgType::Bool),
    opt("creates", ArgType::Str),
]);

/// tar's flag for the archive's compression, from its name.
fn compression(src: &str) -> Result<&'static str, ModuleError> {
    let lower = src.to_ascii_lowercase();
    let ends = |sfx: &[&str]| sfx.iter().any(|s| lower.ends_with(s));
    if ends(&[".tar.gz", ".tgz"]) {
        Ok("-z")
    } else if ends(&[".tar.bz2", ".tbz2", ".tbz"]) {
        Ok("-j")
    } else if ends(&[".tar.xz", ".txz"]) {
        Ok("-J")
    } else if ends(&[".tar.zst", ".tzst"]) {
        Ok("--zstd")
    } else if ends(&[".tar"]) {
        Ok("")
    } else {
        Err(ModuleError::argument(
            "src",
            format!(
                "`{src}` is not a tar archive eov extracts (.tar, .tar.gz/.tgz, .tar.bz2, \
                 .tar.xz, .tar.zst); zip is not supported"
            ),
        ))
    }
}

pub struct Unarchive {
    dest: String,
    /// The archive on the host, or `None` when it comes from the controller.
    remote: Option<String>,
    /// The archive's bytes, from the controller.
    bytes: Vec<u8>,
    flag: &'static str,
    creates: Option<String>,
}

impl Unarchive {
    pub async fn new(args: &Args, cx: &ModuleCx<'_>) -> Result<Self, ModuleError> {
        let src = args.str("src")?;
        let flag = compression(&src)?;
        let (remote, bytes) = if args.bool_or("remote_src", false)? {
            (Some(src), Vec::new())
        } else {
            let path = cx.find_source(&src, SourceKind::File)?;
            let bytes = tokio::fs::read(&path)
                .await
                .map_err(|e| ModuleError::Local {
                    action: "read",
                    path: path.display().to_string(),
                    error: e.to_string(),
                })?;
            (None, bytes)
        };
        Ok(Unarchive {
            dest: args.str("dest")?,
            remote,
            bytes,
            flag,
            creates: args.opt_str("creates")?,
        })
    }

    /// `tar` with the archive: its path, or stdin.
    fn tar(&self, op: &str) -> String {
        let f = self
            .remote
            .as_deref()
            .map_or_else(|| "-".to_string(), quote);
        format!("tar {op} {} -f {f} -C {}", self.flag, quote(&self.dest))
    }

    async fn run(
        &self,
        cx: &ModuleCx<'_>,
        script: &str,
        change: bool,
    ) -> Result<crate::connection::ExecOutput, ModuleError> {
        let stdin = self.remote.is_none().then_some(self.bytes.as_slice());
        Ok(match (stdin, change) {
            (Some(b), true) => cx.sh_in(script, b).await?,
            (None, true) => cx.sh(script).await?,
            (Some(b), false) => cx.sh_probe_in(script, b).await?,
            (None, false) => cx.sh_probe(script).await?,
        })
    }
}

/// What the comparison found.
pub enum Found {
    /// `creates` exists.
    Created,
    Same,
    /// tar's lines about what differs.
    Differs(Vec<String>),
    /// In check mode, `dest` or the host's archive is missing: an earlier task may make it.
    Missing(String),
}

/// Exit statuses of the probe.
const NO_DEST: i32 = 3;
const NO_SRC: i32 = 4;
const CREATED: i32 = 5;

impl Action for Unarchive {
    type State = Found;
    type Change = ();

    async fn probe(&self, cx: &ModuleCx<'_>) -> Result<Found, ModuleError> {
        let d = quote(&self.dest);
        let mut script = String::new();
        if let Some(c) = &self.creates {
            script.push_str(&format!(
                "if [ -e {} ]; then exit {CREATED}; fi\n",
                quote(c)
            ));
        }
        script.push_str(&format!(
            "[ -d {d} ] || {{ echo {d}': no such directory' >&2; exit {NO_DEST}; }}\n"
        ));
        if let Some(src) = &self.remote {
            let s = quote(src);
            script.push_str(&format!(
                "[ -f {s} ] || {{ echo {s}': no such archive on the host' >&2; exit {NO_SRC}; }}\n"
            ));
        }
        // `--compare` exits 1 when something differs, 2 when the archive cannot be read.
        script.push_str(&format!(
            "{} 2>&1; r=$?; [ $r -le 1 ] && echo \"eov-compare $r\"; exit $r",
            self.tar("--compare")
        ));
        let out = self.run(cx, &script, false).await?;
        let text = out.stdout_text();
        match out.status {
            Some(CREATED) => return Ok(Found::Created),
            Some(NO_DEST | NO_SRC) => {
                let reason = out.stderr_text().trim().to_string();
                // An earlier task may create it: a real run decides.
                return if cx.check {
                    Ok(Found::Missing(reason))
                } else {
                    Err(ModuleError::State(reason))
                };
            }
            _ => {}
        }
        let lines: Vec<String> = text
            .lines()
            .filter(|l| !l.starts_with("eov-compare "))
            .map(str::to_string)
            .collect();
        match text.lines().last() {
            Some("eov-compare 0") => Ok(Found::Same),
            Some("eov-compare 1") => Ok(Found::Differs(lines)),
            _ => Err(ModuleError::Remote {
                what: format!("cannot read the archive for `{}`", self.dest),
                reason: lines
                    .last()
                    .cloned()
                    .unwrap_or_else(|| out.failure_reason()),
            }),
        }
    }

    fn decide(&self, found: Found, _cx: &ModuleCx<'_>) -> Result<Decision<()>, ModuleError> {
        let outcome = Outcome::ok().data("dest", self.dest.as_str());
        let lines = match found {
            Found::Created => {
                return Ok(Decision::Keep(outcome.msg(format!(
                    "`{}` exists",
                    self.creates.as_deref().unwrap_or_default()
                ))));
            }
            Found::Same => return Ok(Decision::Keep(outcome)),
            Found::Missing(reason) => return Ok(Decision::Keep(Outcome::absent_in_check(&reason))),
            Found::Differs(lines) => lines,
        };
        let mut diff = FileDiff::new(&self.dest);
        const SHOWN: usize = 10;
        let mut note: Vec<String> = lines.iter().take(SHOWN).cloned().collect();
        if lines.len() > SHOWN {
            note.push(format!("... and {} more", lines.len() - SHOWN));
        }
        diff.note = Some(format!("extracted, as it differs:\n{}", note.join("\n")));
        Ok(Decision::Change((), outcome.with_diff(diff)))
    }

    async fn apply(
        &self,
        _: (),
        planned: Outcome,
        cx: &ModuleCx<'_>,
    ) -> Result<Outcome, ModuleError> {
        let out = self.run(cx, &self.tar("-x"), true).await?;
        if !out.success() {
            return Err(ModuleError::Remote {
                what: format!("cannot extract into `{}`", self.dest),
                reason: out.failure_reason(),
            });
        }
        Ok(planned)
    }
}

pub const DEF: ModuleDef = ModuleDef::new("unarchive", &SPEC, |args, cx| {
    Box::pin(async move { drive(Unarchive::new(args, cx).await?, cx).await })
});

#[cfg(test)]
mod tests {
    use super::compression;

    #[test]
    fn compression_from_the_name() {
        for (name, flag) in [
            ("a.tar", ""),
            ("a.TGZ", "-z"),
            ("a.tar.xz", "-J"),
            ("a.tar.bz2", "-j"),
            ("a.tar.zst", "--zstd"),
        ] {
            assert_eq!(compression(name).unwrap(), flag, "{name}");
        }
        assert!(compression("a.zip").is_err());
        assert!(compression("a.gz").is_err());
    }
}
