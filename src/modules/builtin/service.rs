//! `service`: started / stopped / restarted / reloaded, enabled at boot or not. Uses systemd
//! where it runs (PID 1), else the SysV scripts (`service`, `update-rc.d`): containers and
//! minimal hosts without systemd work too. The result's `manager` says which was used.

use crate::diff::FileDiff;
use crate::modules::action::drive;
use crate::modules::action::{Action, Decision};
use crate::modules::choice::choice;
use crate::modules::def::ModuleDef;
use crate::modules::spec::{ArgType, ModuleSpec, opt, req};
use crate::modules::{Args, ModuleCx, ModuleError, Outcome};
use crate::shell::quote;

choice!(
    /// What the service must be, or what must happen to it.
    ServiceState {
        Started = "started",
        Stopped = "stopped",
        Restarted = "restarted",
        Reloaded = "reloaded",
    }
);

pub const SPEC: ModuleSpec = ModuleSpec {
    args: &[
        req("name", ArgType::Str),
        opt("state", ArgType::Choice(ServiceState::NAMES)),
        opt("enabled", ArgType::Bool),
    ],
    free_form: false,
    one_of: &[&["state", "enabled"]],
    exclusive: &[],
};

pub struct Service {
    name: String,
    state: Option<ServiceState>,
    enabled: Option<bool>,
}

impl Service {
    pub fn new(args: &Args) -> Result<Self, ModuleError> {
        let state = match args.get("state") {
            Some(_) => Some(args.pick("state", ServiceState::Started)?),
            None => None,
        };
        let enabled = match args.get("enabled") {
            Some(_) => Some(args.bool_or("enabled", true)?),
            None => None,
        };
        Ok(Service {
            name: args.str("name")?,
            state,
            enabled,
        })
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Manager {
    Systemd,
    Sysv,
}

pub struct Status {
    /// Check mode met a service an earlier task would install.
    absent: Option<String>,
    manager: Manager,
    active: bool,
    enabled: bool,
}

impl Action for Service {
    type State = Status;
    type Change = Vec<&'static str>;

    async fn probe(&self, cx: &ModuleCx<'_>) -> Result<Status, ModuleError> {
        let n = quote(&self.name);
        let script = format!(
            "if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then\n\
               echo systemd\n\
               systemctl cat -- {n} >/dev/null 2>&1 || {{ echo 'unit not found' >&2; exit 4; }}\n\
               if systemctl is-active --quiet -- {n}; then echo active; else echo inactive; fi\n\
               if systemctl is-enabled --quiet -- {n} 2>/dev/null; then echo enabled; else echo disabled; fi\n\
             else\n\
               echo sysv\n\
               [ -x /etc/init.d/{n} ] || {{ echo 'no /etc/init.d script' >&2; exit 4; }}\n\
               if /etc/init.d/{n} status >/dev/null 2>&1; then echo active; else echo inactive; fi\n\
               if ls /etc/rc[2345S].d/S[0-9][0-9]{n} >/dev/null 2>&1; then echo enabled; else echo disabled; fi\n\
             fi"
        );
        let out = cx.sh_probe(&script).await?;
        if out.status == Some(4) {
            let reason = format!(
                "service `{}` not found ({})",
                self.name,
                out.stderr_text().trim()
            );
            if cx.check {
                return Ok(Status {
                    absent: Some(reason),
                    manager: Manager::Sysv,
                    active: false,
                    enabled: false,
                });
            }
            return Err(ModuleError::State(reason));
        }
        if !out.success() {
            return Err(ModuleError::Remote {
                what: format!("cannot query service `{}`", self.name),
                reason: out.failure_reason(),
            });
        }
        let text = out.stdout_text();
        let words: Vec<&str> = text.lines().collect();
        Ok(Status {
            absent: None,
            manager: if words.first() == Some(&"systemd") {
                Manager::Systemd
            } else {
                Manager::Sysv
            },
            active: words.get(1) == Some(&"active"),
            enabled: words.get(2) == Some(&"enabled"),
        })
    }

    fn decide(
        &self,
        st: Status,
        _cx: &ModuleCx<'_>,
    ) -> Result<Decision<Vec<&'static str>>, ModuleError> {
        if let Some(reason) = &st.absent {
            return Ok(Decision::Keep(Outcome::absent_in_check(reason)));
        }
        let mut actions = Vec::new();
        let mut diff = FileDiff::new(&format!("service {}", self.name));
        let running = |b: bool| if b { "running" } else { "stopped" };
        match self.state {
            Some(ServiceState::Started) if !st.active => actions.push("start"),
            Some(ServiceState::Stopped) if st.active => actions.push("stop"),
            Some(ServiceState::Restarted) => actions.push("restart"),
            Some(ServiceState::Reloaded) => {
                actions.push(if st.active { "reload" } else { "start" })
            }
            _ => {}
        }
        if let Some(&first) = actions.first() {
            let after = if first == "stop" {
                "stopped"
            } else if first == "start" {
                "running"
            } else {
                first
            };
            diff = diff.attr("state", running(st.active), after);
        }
        match self.enabled {
            Some(true) if !st.enabled => actions.push("enable"),
            Some(false) if st.enabled => actions.push("disable"),
            _ => {}
        }
        if let Some(e) = self.enabled.filter(|e| *e != st.enabled) {
            diff = diff.attr("enabled", (!e).to_string(), e.to_string());
        }
        let manager = if st.manager == Manager::Systemd {
            "systemd"
        } else {
            "sysv"
        };
        let outcome = Outcome::ok()
            .data("manager", manager)
            .data("running", st.active);
        if actions.is_empty() {
            return Ok(Decision::Keep(outcome));
        }
        let mut o = outcome.with_diff(diff);
        o.data.insert("manager".into(), manager.into());
        if st.manager == Manager::Sysv {
            actions.insert(0, "sysv");
        }
        Ok(Decision::Change(actions, o))
    }

    async fn apply(
        &self,
        actions: Vec<&'static str>,
        planned: Outcome,
        cx: &ModuleCx<'_>,
    ) -> Result<Outcome, ModuleError> {
        let n = quote(&self.name);
        let sysv = actions.first() == Some(&"sysv");
        let mut script = String::from("set -e\n");
        for action in actions.iter().filter(|a| **a != "sysv") {
            let line = match (sysv, *action) {
                (false, a) => format!("systemctl {a} -- {n}\n"),
                // `defaults` makes the links of a new service but leaves the K links of
                // one disabled before; `enable` turns those back into S links.
                (true, "enable") => format!(
                    "update-rc.d {n} defaults >/dev/null\nupdate-rc.d {n} enable >/dev/null\n"
                ),
                (true, "disable") => format!("update-rc.d {n} disable >/dev/null\n"),
                (true, a) => format!("/etc/init.d/{n} {a}\n"),
            };
            script.push_str(&line);
        }
        cx.sh_ok(&script, &format!("cannot change service `{}`", self.name))
            .await?;
        Ok(planned)
    }
}

pub const DEF: ModuleDef = ModuleDef::new("service", &SPEC, |args, cx| {
    Box::pin(async move { drive(Service::new(args)?, cx).await })
});
