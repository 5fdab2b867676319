//! `reboot`: reboots the host and waits until it is back, as Ansible's `reboot` does. The
//! probe reads a boot marker (`boot_time_command`: the kernel's boot id by default) and picks
//! the reboot command; the change runs that command detached (its dying with the connection
//! is what a reboot looks like, not an error; its failing at once is one), lets the host's
//! connection go, and polls until a new connection (host key checked as the first time)
//! finds another boot marker and `test_command` succeeds. That connection becomes the host's
//! for the rest of the run ([`crate::connection::Relink`]). Always `changed`; in check mode
//! nothing is run but the probe.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::connection::{Candidate, Connection, ConnectionError, ExecOutput, Reopen};
use crate::diff::FileDiff;
use crate::modules::action::{Action, Decision, drive};
use crate::modules::def::ModuleDef;
use crate::modules::spec::{ArgType, ModuleSpec, opt};
use crate::modules::{Args, ModuleCx, ModuleError, Outcome};
use crate::shell::quote;

pub const SPEC: ModuleSpec = ModuleSpec::new(&[
    opt("reboot_timeout", ArgType::Duration),
    opt("connect_timeout", ArgType::Duration),
    opt("pre_reboot_delay", ArgType::Duration),
    opt("post_reboot_delay", ArgType::Duration),
    opt("test_command", ArgType::Str),
    opt("msg", ArgType::Str),
    opt("reboot_command", ArgType::Str),
    opt("boot_time_command", ArgType::Str),
]);

/// The default boot marker: a random id the kernel draws at each boot. In a container it is
/// the host machine's, so it does not change when the container restarts.
const BOOT_ID: &str = "cat /proc/sys/kernel/random/boot_id";

/// Prints the default reboot command for the host: systemd's where it runs as PID 1.
const DEFAULT_COMMAND: &str = "if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then echo 'systemctl reboot'\n\
     elif command -v shutdown >/dev/null 2>&1; then echo 'shutdown -r now'\n\
     else echo reboot; fi";

/// How long a look at the host waits before the next one, at most.
const MAX_PAUSE: Duration = Duration::from_secs(5);

/// How long the reboot command is given to fail before it is taken as started.
const FAIL_WINDOW_TENTHS: u32 = 20;

pub struct Reboot {
    reboot_timeout: Duration,
    connect_timeout: Option<Duration>,
    pre_delay: Duration,
    post_delay: Duration,
    test_command: String,
    msg: String,
    reboot_command: Option<String>,
    boot_time_command: String,
}

fn duration(args: &Args, name: &str, positive: bool) -> Result<Option<Duration>, ModuleError> {
    let Some(secs) = args.opt_secs(name)? else {
        return Ok(None);
    };
    if !secs.is_finite() || secs < 0.0 || (positive && secs == 0.0) || secs > 7.0 * 86_400.0 {
        let range = if positive { "above 0s" } else { "0s or more" };
        return Err(ModuleError::argument(
            name,
            format!("must be {range} and at most a week, got {secs}s"),
        ));
    }
    Ok(Some(Duration::from_secs_f64(secs)))
}

fn command(args: &Args, name: &str) -> Result<Option<String>, ModuleError> {
    match args.opt_str(name)? {
        Some(c) if c.trim().is_empty() => Err(ModuleError::argument(name, "is empty")),
        other => Ok(other),
    }
}

impl Reboot {
    pub fn new(args: &Args) -> Result<Self, ModuleError> {
        Ok(Reboot {
            reboot_timeout: duration(args, "reboot_timeout", true)?
                .unwrap_or(Duration::from_secs(600)),
            connect_timeout: duration(args, "connect_timeout", true)?,
            pre_delay: duration(args, "pre_reboot_delay", false)?.unwrap_or_default(),
            post_delay: duration(args, "post_reboot_delay", false)?.unwrap_or_default(),
            test_command: command(args, "test_command")?.unwrap_or_else(|| "whoami".into()),
            msg: args.str_or("msg", "Reboot initiated by eov")?,
            reboot_command: command(args, "reboot_command")?,
            boot_time_command: command(args, "boot_time_command")?
                .unwrap_or_else(|| BOOT_ID.into()),
        })
    }

    /// Starts `command` detached from this connection (in a session of its own, so neither
    /// the connection's end nor an interrupted run stops it), after `msg` and
    /// `pre_reboot_delay`. Exits with the command's status if it fails within two seconds,
    /// else 0; leaves no file behind (its output goes to an unlinked temp file).
    fn issue_script(&self, command: &str) -> String {
        let wall = if self.msg.is_empty() {
            String::new()
        } else {
            format!(
                "command -v wall >/dev/null 2>&1 && printf '%s\\n' {} | wall >/dev/null 2>&1\n",
                quote(&self.msg)
            )
        };
        let delay = if self.pre_delay.is_zero() {
            String::new()
        } else {
            format!("sleep {}\n", self.pre_delay.as_secs_f64())
        };
        let cmd = quote(command);
        format!(
            "{wall}{delay}eov_o=$(mktemp) && eov_s=$(mktemp) || exit 1\n\
             exec 3>\"$eov_o\" 4<\"$eov_o\" 5>\"$eov_s\" 6<\"$eov_s\"; rm -f \"$eov_o\" \"$eov_s\"\n\
             if command -v setsid >/dev/null 2>&1; then eov_d=setsid; else eov_d=nohup; fi\n\
             ( $eov_d sh -c {cmd} </dev/null >&3 2>&3 3>&- 4<&- 5>&- 6<&-; echo $? >&5 ) </dev/null >/dev/null 2>&1 4<&- 6<&- &\n\
             eov_i=0; eov_rc=\n\
             while [ $eov_i -lt {FAIL_WINDOW_TENTHS} ] && ! IFS= read -r eov_rc <&6; do sleep 0.1; eov_i=$((eov_i+1)); done\n\
             [ -z \"$eov_rc\" ] || [ \"$eov_rc\" = 0 ] && exit 0\n\
             cat <&4 >&2; exit \"$eov_rc\"\n"
        )
    }

    /// Waits until the host is back from the reboot (`before`: its boot marker before), or
    /// fails after `reboot_timeout`; the connection to it now, and its new boot marker.
    async fn wait_back(
        &self,
        cx: &ModuleCx<'_>,
        before: &str,
        issued: Instant,
    ) -> Result<(Arc<Connection>, String), ModuleError> {
        let deadline = issued + self.reboot_timeout;
        tokio::time::sleep(self.post_delay.min(self.reboot_timeout)).await;
        let mut last = String::from("no look at the host yet");
        let mut pause = Duration::from_secs(1);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(ModuleError::State(format!(
                    "`{}` was not back within {}s of the reboot command; last seen: {last}",
                    cx.relink.host(),
                    secs(self.reboot_timeout)
                )));
            }
            match tokio::time::timeout(left, self.look(cx, before)).await {
                Ok(Ok((candidate, now))) => return Ok((cx.relink.adopt(candidate), now)),
                Ok(Err(Seen::Fatal(e))) => return Err(e),
                Ok(Err(Seen::NotYet(why))) => last = why,
                Err(_) => {
                    last = format!(
                        "{} (no answer before the time was up)",
                        last.trim_end_matches(" (no answer before the time was up)")
                    );
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            tokio::time::sleep(pause.min(left)).await;
            pause = (pause * 2).min(MAX_PAUSE);
        }
    }

    /// One look at the host: a new connection, its boot marker, then `test_command`.
    async fn look(&self, cx: &ModuleCx<'_>, before: &str) -> Result<(Candidate, String), Seen> {
        let candidate = match cx.relink.try_connect(self.connect_timeout).await {
            Ok(c) => c,
            Err(Reopen::NotYet(why)) => return Err(Seen::NotYet(why)),
            Err(Reopen::Refused(e)) => {
                return Err(Seen::Fatal(ModuleError::State(format!(
                    "after the reboot, {e}"
                ))));
            }
        };
        let conn = candidate.connection();
        let marker = &self.boot_time_command;
        // A host on its way down may hold a connection open without a word: the marker, a
        // quick question, must come within the connection's timeout.
        let Ok(out) = tokio::time::timeout(candidate.timeout(), run(cx, conn, marker)).await else {
            return Err(Seen::NotYet(format!(
                "no answer to `{marker}` within {}s",
                secs(candidate.timeout())
            )));
        };
        let out = out?;
        if !out.success() {
            return Err(Seen::NotYet(format!(
                "`{marker}` failed: {}",
                out.failure_reason()
            )));
        }
        let now = out.stdout_text().trim().to_string();
        if now.is_empty() {
            return Err(Seen::NotYet(format!("`{marker}` printed nothing")));
        }
        if now == before {
            let hint = if *marker == BOOT_ID {
                "; in a container the boot id is the host machine's and does not change when \
                 the container restarts: give a `boot_time_command` that does, such as PID 1's \
                 start time (`cut -d' ' -f22 /proc/1/stat`)"
            } else {
                ""
            };
            return Err(Seen::NotYet(format!(
                "the boot marker (`{marker}`) still says `{now}`, as before the reboot command: \
                 the host has not rebooted{hint}"
            )));
        }
        let test = &self.test_command;
        let out = run(cx, conn, test).await?;
        if !out.success() {
            return Err(Seen::NotYet(format!(
                "rebooted (the boot marker says `{now}`), but `{test}` failed: {}",
                out.failure_reason()
            )));
        }
        Ok((candidate, now))
    }
}

/// Why a look did not find the host back.
enum Seen {
    /// Not yet: look again while there is time; what was seen.
    NotYet(String),
    /// Looking again will not help.
    Fatal(ModuleError),
}

/// Runs a command on a connection being tried (with the task's `become`).
async fn run(cx: &ModuleCx<'_>, conn: &Connection, script: &str) -> Result<ExecOutput, Seen> {
    match cx.session.exec(conn, script, None, cx.sudo).await {
        Ok(out) => Ok(out),
        Err(ConnectionError::Interrupted) => Err(Seen::Fatal(ConnectionError::Interrupted.into())),
        Err(e) => Err(Seen::NotYet(e.to_string())),
    }
}

fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{}", d.as_secs())
    } else {
        format!("{s:.1}")
    }
}

/// What the probe found.
pub struct Before {
    /// The boot marker now.
    marker: String,
    /// The reboot command to run.
    command: String,
}

impl Action for Reboot {
    type State = Before;
    type Change = Before;

    async fn probe(&self, cx: &ModuleCx<'_>) -> Result<Before, ModuleError> {
        if matches!(cx.conn, Connection::Local(_)) {
            return Err(ModuleError::State(format!(
                "`{}` is reached with a local connection: rebooting it would reboot the \
                 controller itself; refused",
                cx.conn.host()
            )));
        }
        let choose = match &self.reboot_command {
            Some(_) => "echo",
            None => DEFAULT_COMMAND,
        };
        let script = format!(
            "{choose}\n(eval {}) || exit $?\n",
            quote(&self.boot_time_command)
        );
        let out = cx
            .probe_ok(
                &script,
                &format!("cannot read the boot marker (`{}`)", self.boot_time_command),
            )
            .await?;
        let (first, marker) = out.split_once('\n').unwrap_or((out.as_str(), ""));
        let marker = marker.trim().to_string();
        if marker.is_empty() {
            return Err(ModuleError::State(format!(
                "the boot marker (`{}`) printed nothing: it cannot tell a new boot",
                self.boot_time_command
            )));
        }
        Ok(Before {
            marker,
            command: self
                .reboot_command
                .clone()
                .unwrap_or_else(|| first.trim().to_string()),
        })
    }

    fn decide(&self, before: Before, cx: &ModuleCx<'_>) -> Result<Decision<Before>, ModuleError> {
        let mut planned = Outcome::ok()
            .msg(format!("would reboot with `{}`", before.command))
            .data("rebooted", false)
            .data("elapsed", 0)
            .with_diff(FileDiff::new(&format!("host {}", cx.conn.host())).attr(
                "boot",
                before.marker.as_str(),
                "a new boot",
            ));
        // What a real run registers is known only once the host is back.
        planned.unknown = true;
        Ok(Decision::Change(before, planned))
    }

    async fn apply(
        &self,
        before: Before,
        planned: Outcome,
        cx: &ModuleCx<'_>,
    ) -> Result<Outcome, ModuleError> {
        let command = &before.command;
        match cx.sh_alone(&self.issue_script(command)).await {
            Ok(out) if out.success() => {}
            Ok(out) => {
                return Err(ModuleError::Remote {
                    what: format!("the reboot command `{command}` failed"),
                    reason: out.failure_reason(),
                });
            }
            // The host went down under the command: what a reboot does.
            Err(ModuleError::Connection(ConnectionError::Unreachable { .. })) => {}
            Err(e) => return Err(e),
        }
        let issued = Instant::now();
        cx.relink.retire().await;
        let (_conn, now) = tokio::select! {
            back = self.wait_back(cx, &before.marker, issued) => back?,
            () = cx.relink.cancelled() => return Err(ConnectionError::Interrupted.into()),
        };
        // Nothing read before the reboot holds now.
        cx.session.forget(cx.relink.host());
        let elapsed = issued.elapsed().as_secs();
        let mut done = Outcome::ok()
            .msg(format!("rebooted with `{command}`, back after {elapsed}s"))
            .data("rebooted", true)
            .data("elapsed", elapsed);
        done.diffs = planned.diffs;
        if let Some(d) = done.diffs.last_mut() {
            *d = FileDiff::new(&format!("host {}", cx.relink.host())).attr(
                "boot",
                before.marker.as_str(),
                now.as_str(),
            );
        }
        Ok(done)
    }
}

pub const DEF: ModuleDef = ModuleDef::new("reboot", &SPEC, |args, cx| {
    Box::pin(async move { drive(Reboot::new(args)?, cx).await })
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_refused_values() {
        let r = Reboot::new(&Args::default()).unwrap();
        assert_eq!(r.reboot_timeout, Duration::from_secs(600));
        assert_eq!(r.test_command, "whoami");
        assert_eq!(r.boot_time_command, BOOT_ID);
        assert!(r.reboot_command.is_none() && r.connect_timeout.is_none());
        let bad = |k: &str, v: minijinja::Value| {
            Reboot::new(&Args::from_pairs(&[(k, v)]))
                .err()
                .unwrap()
                .to_string()
        };
        assert!(bad("reboot_timeout", "0s".into()).contains("above 0s"));
        assert!(bad("pre_reboot_delay", (-1).into()).contains("0s or more"));
        assert!(bad("test_command", " ".into()).contains("`test_command` is empty"));
        assert!(bad("connect_timeout", "soon".into()).contains("a duration"));
    }

    /// The script that starts the reboot command, run here with stand-in commands.
    fn issue(command: &str) -> (Option<i32>, String, Duration) {
        let r = Reboot::new(&Args::from_pairs(&[("msg", "".into())])).unwrap();
        let start = Instant::now();
        let out = std::process::Command::new("sh")
            .args(["-c", &r.issue_script(command)])
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
            start.elapsed(),
        )
    }

    #[test]
    fn a_command_that_fails_at_once_is_an_error_one_that_runs_on_is_started() {
        let (rc, err, _) = issue("echo no such unit >&2; exit 3");
        assert_eq!(rc, Some(3));
        assert_eq!(err, "no such unit\n");
        let (rc, _, took) = issue("true");
        assert_eq!(rc, Some(0));
        assert!(took < Duration::from_millis(1500), "{took:?}");
        // Still running after the window: started, and left running on its own.
        let dir = tempfile::tempdir().unwrap();
        let mark = dir.path().join("ran");
        let (rc, _, took) = issue(&format!("sleep 3; touch {}", mark.display()));
        assert_eq!(rc, Some(0));
        assert!(took < Duration::from_secs(3), "{took:?}");
        assert!(!mark.exists());
        std::thread::sleep(Duration::from_millis(1500));
        assert!(mark.exists(), "the detached command was stopped");
    }
}
