//! `command` and `shell`: run a program. `command` quotes every word, so no shell expansion
//! happens; `shell` hands the text to `sh`. `creates` / `removes` make them idempotent.

use minijinja::Value;

use super::action::{Action, Decision};
use super::path_state::{self, PathQuery};
use super::spec::{ArgType, ModuleSpec, opt};
use super::{Args, ModuleCx, ModuleError, Outcome};
use crate::shell::quote;

const COMMON: [super::spec::ArgSpec; 5] = [
    opt("chdir", ArgType::Str),
    opt("creates", ArgType::Str),
    opt("removes", ArgType::Str),
    opt("stdin", ArgType::Str),
    opt("env", ArgType::Map),
];

pub const COMMAND_SPEC: ModuleSpec = ModuleSpec {
    args: &[
        opt("cmd", ArgType::Str),
        opt("argv", ArgType::List),
        COMMON[0],
        COMMON[1],
        COMMON[2],
        COMMON[3],
        COMMON[4],
    ],
    free_form: false,
    one_of: &[&["cmd", "argv"]],
    exclusive: &[("cmd", "argv")],
};

pub const SHELL_SPEC: ModuleSpec = ModuleSpec {
    args: &[
        opt("cmd", ArgType::Str),
        COMMON[0],
        COMMON[1],
        COMMON[2],
        COMMON[3],
        COMMON[4],
    ],
    free_form: false,
    one_of: &[&["cmd"]],
    exclusive: &[],
};

/// `creates` / `removes`: a relative path is taken from `chdir`, where the command runs.
fn guard(args: &Args, name: &str) -> Result<Option<String>, ModuleError> {
    let Some(path) = args.opt_str(name)? else {
        return Ok(None);
    };
    Ok(Some(match args.opt_str("chdir")? {
        Some(dir) if !path.starts_with('/') => format!("{}/{path}", dir.trim_end_matches('/')),
        _ => path,
    }))
}

/// The paths `creates` / `removes` will test; without them the command always runs.
pub fn lookahead(args: &Args) -> super::Lookahead {
    let paths: Vec<PathQuery> = ["creates", "removes"]
        .into_iter()
        .filter_map(|name| guard(args, name).ok().flatten())
        .map(|p| PathQuery::new(&p, false, false))
        .collect();
    if paths.is_empty() {
        super::Lookahead::Stop
    } else {
        super::Lookahead::Probes(paths)
    }
}

pub struct Command {
    script: String,
    display: String,
    creates: Option<String>,
    removes: Option<String>,
    stdin: Option<String>,
}

impl Command {
    pub fn new(args: &Args, shell: bool) -> Result<Self, ModuleError> {
        let words: Vec<String> = if shell {
            Vec::new()
        } else if args.get("argv").is_some() {
            args.str_list("argv")?
        } else {
            let cmd = args.str("cmd")?;
            shlex::split(&cmd).ok_or_else(|| {
                ModuleError::Failed(format!(
                    "cannot split `{cmd}` into words (unbalanced quotes?)"
                ))
            })?
        };
        let body = if shell {
            args.str("cmd")?
        } else {
            words.iter().map(|w| quote(w)).collect::<Vec<_>>().join(" ")
        };
        if body.trim().is_empty() {
            return Err(ModuleError::Failed("the command is empty".into()));
        }
        let mut script = String::new();
        if let Some(env) = args.get("env") {
            let iter = env
                .try_iter()
                .map_err(|_| ModuleError::Failed("argument `env` must be a map".into()))?;
            for key in iter {
                let value = env.get_item(&key).unwrap_or_default();
                let name = key.to_string();
                if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    return Err(ModuleError::Failed(format!(
                        "`{name}` is not a valid environment variable name"
                    )));
                }
                script.push_str(&format!("export {name}={}\n", quote(&value.to_string())));
            }
        }
        if let Some(dir) = args.opt_str("chdir")? {
            script.push_str(&format!("cd {} || exit 1\n", quote(&dir)));
        }
        script.push_str(&body);
        Ok(Command {
            script,
            display: if shell { body.clone() } else { words.join(" ") },
            creates: guard(args, "creates")?,
            removes: guard(args, "removes")?,
            stdin: args.opt_str("stdin")?,
        })
    }
}

impl Action for Command {
    /// A reason not to run, if `creates` / `removes` say so.
    type State = Option<String>;
    type Change = ();

    async fn probe(&self, cx: &ModuleCx<'_>) -> Result<Option<String>, ModuleError> {
        // Both in one round trip; `exists` is `test -e`: a dangling link does not count.
        let guards: Vec<(&String, bool)> = [(&self.creates, true), (&self.removes, false)]
            .into_iter()
            .filter_map(|(p, creates)| p.as_ref().map(|p| (p, creates)))
            .collect();
        let queries: Vec<PathQuery> = guards
            .iter()
            .map(|(p, _)| PathQuery::new(p, false, false))
            .collect();
        let states = path_state::probe_all(cx, &queries).await?;
        for ((path, creates), state) in guards.into_iter().zip(states) {
            match (creates, state.exists) {
                (true, true) => return Ok(Some(format!("`{path}` exists"))),
                (false, false) => return Ok(Some(format!("`{path}` does not exist"))),
                _ => {}
            }
        }
        Ok(None)
    }

    fn decide(
        &self,
        reason: Option<String>,
        cx: &ModuleCx<'_>,
    ) -> Result<Decision<()>, ModuleError> {
        if let Some(reason) = reason {
            return Ok(Decision::Keep(
                Outcome::ok()
                    .msg(format!("not run: {reason}"))
                    .data("cmd", self.display.as_str()),
            ));
        }
        if cx.check {
            let mut o = Outcome::ok()
                .msg("not run in check mode")
                .data("cmd", self.display.as_str());
            o.skipped = true;
            o.data.insert("unknown".into(), Value::from(true));
            return Ok(Decision::Keep(o));
        }
        Ok(Decision::Change((), Outcome::ok()))
    }

    async fn apply(
        &self,
        _: (),
        _planned: Outcome,
        cx: &ModuleCx<'_>,
    ) -> Result<Outcome, ModuleError> {
        let out = cx
            .sh_user(&self.script, self.stdin.as_ref().map(String::as_bytes))
            .await?;
        let stdout = out.stdout_text();
        let stderr = out.stderr_text();
        let trimmed = |s: &str| s.strip_suffix('\n').unwrap_or(s).to_string();
        let lines = |s: &str| s.lines().map(Value::from).collect::<Value>();
        let mut o = Outcome::ok()
            .data("cmd", self.display.as_str())
            .data("rc", out.status.map_or(-1, i64::from))
            .data("stdout", trimmed(&stdout))
            .data("stderr", trimmed(&stderr))
            .data("stdout_lines", lines(&stdout))
            .data("stderr_lines", lines(&stderr));
        if !out.success() {
            o.failed = true;
            o.msg = Some(format!("command failed: {}", out.failure_reason()));
        }
        Ok(o)
    }
}
