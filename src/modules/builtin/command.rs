//! `command` and `shell`: run a program. `command` quotes every word, so no shell expansion
//! happens; `shell` hands the text to `sh`. `creates` / `removes` make them idempotent.

use crate::modules::action::drive;
use crate::modules::action::{Action, Decision};
use crate::modules::def::{ModuleDef, ReadMode};
use crate::modules::outcome::CommandOutput;
use crate::modules::path_state::{self, PathQuery};
use crate::modules::spec::{ArgType, ModuleSpec, opt};
use crate::modules::{Args, ModuleCx, ModuleError, Outcome};
use crate::shell::quote;

const COMMON: [crate::modules::spec::ArgSpec; 6] = [
    opt("chdir", ArgType::Str),
    opt("creates", ArgType::Str),
    opt("removes", ArgType::Str),
    opt("stdin", ArgType::Str),
    opt("env", ArgType::Map),
    opt("timeout", ArgType::Duration),
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
        COMMON[5],
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
        COMMON[5],
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

/// The paths `creates` / `removes` will test (`true` for `creates`), in probe order.
fn guards(args: &Args) -> Result<Vec<(String, bool)>, ModuleError> {
    let mut out = Vec::new();
    for (name, creates) in [("creates", true), ("removes", false)] {
        if let Some(p) = guard(args, name)? {
            out.push((p, creates));
        }
    }
    Ok(out)
}

/// Both guards in one round trip; `exists` is `test -e`: a dangling link does not count.
fn queries(guards: &[(String, bool)]) -> Vec<PathQuery> {
    guards
        .iter()
        .map(|(p, _)| PathQuery::new(p, false, false))
        .collect()
}

/// Without `creates` / `removes` the command always runs: nothing to read ahead.
fn reads(args: &Args, _: ReadMode) -> Option<Vec<PathQuery>> {
    let guards = guards(args).ok()?;
    (!guards.is_empty()).then(|| queries(&guards))
}

pub struct Command {
    script: String,
    display: String,
    guards: Vec<(String, bool)>,
    stdin: Option<String>,
    timeout: Option<f64>,
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
                ModuleError::Usage(format!(
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
            return Err(ModuleError::Usage("the command is empty".into()));
        }
        let mut script = String::new();
        if let Some(env) = args.get("env") {
            let iter = env
                .try_iter()
                .map_err(|_| ModuleError::argument("env", "must be a map"))?;
            for key in iter {
                let value = env.get_item(&key).unwrap_or_default();
                let name = key.to_string();
                if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    return Err(ModuleError::Usage(format!(
                        "`{name}` is not a valid environment variable name"
                    )));
                }
                script.push_str(&format!("export {name}={}\n", quote(&value.to_string())));
            }
        }
        if let Some(dir) = args.opt_str("chdir")? {
            script.push_str(&format!("cd {} || exit 1\n", quote(&dir)));
        }
        match args.opt_secs("timeout")? {
            // coreutils' timeout: TERM at the limit, KILL 10 s later; its status 124 (or
            // 137) is turned into a message by `apply`.
            Some(secs) if secs > 0.0 => {
                script.push_str(&format!("exec timeout -k 10 {secs} sh -c {}", quote(&body)))
            }
            _ => script.push_str(&body),
        }
        Ok(Command {
            script,
            // As it runs: an empty or spaced word shows its quotes.
            display: if shell {
                body.clone()
            } else {
                words.iter().map(|w| quote(w)).collect::<Vec<_>>().join(" ")
            },
            guards: guards(args)?,
            stdin: args.opt_str("stdin")?,
            timeout: args.opt_secs("timeout")?.filter(|s| *s > 0.0),
        })
    }
}

impl Action for Command {
    /// A reason not to run, if `creates` / `removes` say so.
    type State = Option<String>;
    type Change = ();

    async fn probe(&self, cx: &ModuleCx<'_>) -> Result<Option<String>, ModuleError> {
        let states = path_state::probe_all(cx, &queries(&self.guards)).await?;
        for ((path, creates), state) in self.guards.iter().zip(states) {
            match (*creates, state.exists) {
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
                .msg(format!("not run in check mode: {}", self.display))
                .data("cmd", self.display.as_str());
            o.skipped = true;
            o.unknown = true;
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
        let trimmed = |s: String| {
            s.strip_suffix('\n')
                .map_or_else(|| s.clone(), str::to_string)
        };
        let mut o = Outcome::ok().data("cmd", self.display.as_str());
        o.failed = !out.success();
        let rc = out.status.map_or(-1, i64::from);
        let failure = o.failed.then(|| match self.timeout {
            Some(secs) if rc == 124 || rc == 137 => format!("timed out after {secs} s"),
            _ => out.failure_reason(),
        });
        o.output = Some(CommandOutput {
            rc,
            stdout: trimmed(out.stdout_text()),
            stderr: trimmed(out.stderr_text()),
            failure,
        });
        Ok(o)
    }
}

pub const COMMAND: ModuleDef = ModuleDef::new("command", &COMMAND_SPEC, |args, cx| {
    Box::pin(async move { drive(Command::new(args, false)?, cx).await })
})
.read_ahead(&["creates", "removes", "chdir"], reads);

pub const SHELL: ModuleDef = ModuleDef::new("shell", &SHELL_SPEC, |args, cx| {
    Box::pin(async move { drive(Command::new(args, true)?, cx).await })
})
.read_ahead(&["creates", "removes", "chdir"], reads);
