//! `wait_for`: wait until a TCP port opens (or closes) or a path appears (or goes), checked
//! from the host itself. In check mode it looks once and does not wait.

use std::time::{Duration, Instant};

use crate::modules::choice::choice;
use crate::modules::def::ModuleDef;
use crate::modules::spec::{ArgType, ModuleSpec, opt};
use crate::modules::{Args, ModuleCx, ModuleError, Outcome};
use crate::shell::quote;

choice!(
    /// What to wait for: a port open (`started`) or closed, a path there or gone.
    WaitState {
        Started = "started",
        Stopped = "stopped",
        Present = "present",
        Absent = "absent",
    }
);

pub const SPEC: ModuleSpec = ModuleSpec {
    args: &[
        opt("port", ArgType::Int),
        opt("host", ArgType::Str),
        opt("path", ArgType::Str),
        opt("state", ArgType::Choice(WaitState::NAMES)),
        opt("timeout", ArgType::Duration),
        opt("delay", ArgType::Duration),
        opt("sleep", ArgType::Duration),
    ],
    free_form: false,
    one_of: &[&["port", "path"]],
    exclusive: &[("port", "path")],
};

/// Exit 0 if the port accepts connections, 1 if not, 3 if the host has no tool to test it.
fn port_script(host: &str, port: i64) -> String {
    let h = quote(host);
    format!(
        "if command -v nc >/dev/null 2>&1; then nc -z -w 1 {h} {port} >/dev/null 2>&1\n\
         elif command -v bash >/dev/null 2>&1; then timeout 2 bash -c 'exec 3<>/dev/tcp/'{h}'/{port}' >/dev/null 2>&1\n\
         elif command -v python3 >/dev/null 2>&1; then python3 -c 'import socket,sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), 1)' {h} {port} >/dev/null 2>&1\n\
         else exit 3; fi"
    )
}

pub async fn run(args: &Args, cx: &ModuleCx<'_>) -> Result<Outcome, ModuleError> {
    let want_present = matches!(
        args.pick("state", WaitState::Started)?,
        WaitState::Started | WaitState::Present
    );
    let timeout = Duration::from_secs_f64(args.opt_secs("timeout")?.unwrap_or(300.0));
    let sleep = Duration::from_secs_f64(args.opt_secs("sleep")?.unwrap_or(1.0).max(0.05));
    let (script, what) = match (args.opt_int("port")?, args.opt_str("path")?) {
        (Some(port), None) => {
            let host = args.str_or("host", "127.0.0.1")?;
            (port_script(&host, port), format!("port {host}:{port}"))
        }
        (None, Some(path)) => (format!("[ -e {} ]", quote(&path)), format!("path `{path}`")),
        _ => {
            return Err(ModuleError::Usage(
                "give exactly one of `port` and `path`".into(),
            ));
        }
    };
    if let Some(delay) = args.opt_secs("delay")?.filter(|d| *d > 0.0 && !cx.check) {
        tokio::time::sleep(Duration::from_secs_f64(delay)).await;
    }
    let goal = if want_present { "up" } else { "gone" };
    let start = Instant::now();
    loop {
        let out = cx.sh_probe(&script).await?;
        if out.status == Some(3) {
            return Err(ModuleError::State(
                "cannot test ports on this host: it has none of nc, bash or python3".into(),
            ));
        }
        if out.success() == want_present {
            let secs = start.elapsed().as_secs_f64();
            return Ok(Outcome::ok()
                .msg(format!("{what} is {goal}"))
                .data("elapsed", secs));
        }
        if cx.check {
            let mut o =
                Outcome::ok().msg(format!("{what} is not {goal} yet; a real run would wait"));
            o.skipped = true;
            return Ok(o);
        }
        if start.elapsed() >= timeout {
            return Err(ModuleError::State(format!(
                "timed out after {}s waiting for {what} to be {goal}",
                timeout.as_secs()
            )));
        }
        tokio::time::sleep(sleep).await;
    }
}

pub const DEF: ModuleDef = ModuleDef::new("wait_for", &SPEC, |args, cx| Box::pin(run(args, cx)));
