//! `systemd`: a unit masked or not, enabled or not, started / stopped / restarted / reloaded,
//! after an optional `daemon-reload`. Unit files (enable, disable, mask, unmask) are managed
//! with or without a running systemd (`systemctl` edits the links itself), so an image or a
//! container is prepared for its next boot; `state` needs systemd running as PID 1, and where
//! it is not the module says so rather than pretend (the `service` module falls back to SysV).

use crate::diff::FileDiff;
use crate::modules::action::drive;
use crate::modules::action::{Action, Decision};
use crate::modules::def::ModuleDef;
use crate::modules::spec::{ArgType, ModuleSpec, opt};
use crate::modules::{Args, ModuleCx, ModuleError, Outcome};
use crate::shell::quote;

use super::service::ServiceState;

pub const SPEC: ModuleSpec = ModuleSpec {
    args: &[
        opt("name", ArgType::Str),
        opt("state", ArgType::Choice(ServiceState::NAMES)),
        opt("enabled", ArgType::Bool),
        opt("masked", ArgType::Bool),
        opt("daemon_reload", ArgType::Bool),
    ],
    free_form: false,
    one_of: &[&["name", "daemon_reload"]],
    exclusive: &[],
};

pub struct Systemd {
    name: Option<String>,
    state: Option<ServiceState>,
    enabled: Option<bool>,
    masked: Option<bool>,
    daemon_reload: bool,
}

fn opt_bool(args: &Args, name: &str) -> Result<Option<bool>, ModuleError> {
    match args.get(name) {
        Some(_) => args.bool_or(name, false).map(Some),
        None => Ok(None),
    }
}

impl Systemd {
    pub fn new(args: &Args) -> Result<Self, ModuleError> {
        let name = args.opt_str("name")?;
        if let Some(n) = &name
            && (n.is_empty() || n.starts_with('-') || n.contains(char::is_whitespace))
        {
            return Err(ModuleError::argument(
                "name",
                format!("`{n}` is not a unit name"),
            ));
        }
        let state = match args.get("state") {
            Some(_) => Some(args.pick("state", ServiceState::Started)?),
            None => None,
        };
        let s = Systemd {
            state,
            enabled: opt_bool(args, "enabled")?,
            masked: opt_bool(args, "masked")?,
            daemon_reload: args.bool_or("daemon_reload", false)?,
            name,
        };
        if s.name.is_none() && (s.state.is_some() || s.enabled.is_some() || s.masked.is_some()) {
            return Err(ModuleError::Usage(
                "`state`, `enabled` and `masked` need the unit's `name`".into(),
            ));
        }
        if s.masked == Some(true)
            && (s.enabled == Some(true) || s.state.is_some_and(|st| st != ServiceState::Stopped))
        {
            return Err(ModuleError::Usage(
                "a masked unit cannot be enabled or started: drop `masked = true` or the other"
                    .into(),
            ));
        }
        Ok(s)
    }
}

/// What systemctl says.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Unit {
    /// systemd runs as PID 1 (else only unit files can be managed).
    running: bool,
    /// `systemctl is-enabled`'s word (`enabled`, `disabled`, `static`, `masked`...); empty when
    /// the unit does not exist.
    file_state: String,
    /// `is-enabled` exited 0.
    enabled_rc0: bool,
    /// `systemctl is-active`'s word, when systemd runs.
    active: Option<String>,
}

impl Unit {
    fn masked(&self) -> bool {
        self.file_state.starts_with("masked")
    }

    /// Enabled as Ansible counts it: `is-enabled` succeeds, except for mere aliases and
    /// units only pulled in by others.
    fn enabled(&self) -> bool {
        self.enabled_rc0 && !matches!(self.file_state.as_str(), "indirect" | "alias")
    }
}

impl Unit {
    /// Whether `enable` / `disable` can make the unit `want`: a unit without an [Install]
    /// section (static, generated, transient) is as enabled as it gets and cannot be
    /// disabled; one that is only pulled in by others (indirect) cannot be enabled. Running
    /// the command anyway would change nothing, and every run would report a change.
    fn can_switch(&self, name: &str, want: bool) -> Result<(), String> {
        match (self.file_state.as_str(), want) {
            ("static" | "generated" | "transient", false) => Err(format!(
                "unit `{name}` is {} (it has no [Install] section): it cannot be disabled;                  mask it (`masked = true`) to keep it from starting",
                self.file_state
            )),
            ("indirect", true) => Err(format!(
                "unit `{name}` is indirect (only other units' Also= enable it): it cannot be                  enabled by itself"
            )),
            _ => Ok(()),
        }
    }
}

fn parse(out: &str) -> Unit {
    let mut u = Unit::default();
    for line in out.lines() {
        let mut w = line.split_whitespace();
        match w.next() {
            Some("running") => u.running = true,
            Some("enabled") => {
                u.enabled_rc0 = w.next() == Some("0");
                u.file_state = w.next().unwrap_or_default().to_string();
            }
            Some("active") => u.active = w.next().map(str::to_string),
            _ => {}
        }
    }
    u
}

impl Action for Systemd {
    type State = Unit;
    type Change = Vec<String>;

    async fn probe(&self, cx: &ModuleCx<'_>) -> Result<Unit, ModuleError> {
        let mut script = String::from(
            "command -v systemctl >/dev/null || { echo 'systemctl not found: systemd is not installed' >&2; exit 3; }\n\
             r=; if [ -d /run/systemd/system ]; then r=1; echo running; fi\n",
        );
        if let Some(name) = &self.name {
            let n = quote(name);
            script.push_str(&format!(
                "e=$(systemctl is-enabled -- {n} 2>/dev/null); echo \"enabled $? $e\"\n\
                 if [ -n \"$r\" ]; then echo \"active $(systemctl is-active -- {n})\"; fi\n"
            ));
        }
        let out = cx.probe_ok(&script, "cannot query systemd").await?;
        Ok(parse(&out))
    }

    fn decide(&self, u: Unit, cx: &ModuleCx<'_>) -> Result<Decision<Vec<String>>, ModuleError> {
        let mut steps: Vec<String> = Vec::new();
        let mut outcome = Outcome::ok().data("systemd_running", u.running);
        let Some(name) = &self.name else {
            return Ok(self.reload_only(&u, outcome));
        };
        let n = quote(name);
        let unit = format!("unit {name}");
        let mut diff = FileDiff::new(&unit);
        if u.file_state.is_empty() && self.masked != Some(true) {
            let reason = format!("unit `{name}` not found");
            // An earlier task may install it: a real run decides.
            if cx.check {
                return Ok(Decision::Keep(Outcome::absent_in_check(&reason)));
            }
            return Err(ModuleError::State(reason));
        }
        if self.state.is_some() && !u.running {
            return Err(ModuleError::State(format!(
                "systemd is not running as PID 1 on this host (a container?): cannot make `{name}` \
                 {}; enabled and masked can be managed without it, and the `service` module \
                 falls back to SysV scripts",
                self.state.map_or("", crate::modules::choice::name_of)
            )));
        }
        let mut now_masked = u.masked();
        match self.masked {
            Some(true) if !now_masked => {
                diff = diff.attr("masked", "false", "true");
                steps.push(format!("systemctl mask -- {n}"));
                now_masked = true;
            }
            Some(false) if now_masked => {
                diff = diff.attr("masked", "true", "false");
                steps.push(format!("systemctl unmask -- {n}"));
                now_masked = false;
            }
            _ => {}
        }
        // While a unit is masked `is-enabled` says only that, yet its links stay: once it is
        // unmasked, whether it is enabled is not known beforehand, so the wanted state is
        // set whatever it is (`enable` / `disable` change nothing when it already is).
        let unknown = u.masked() && !now_masked;
        let verb = |e: bool| if e { "enable" } else { "disable" };
        match self.enabled {
            Some(e) if unknown => {
                diff = diff.attr("enabled", "(unknown while masked)", e.to_string());
                steps.push(format!("systemctl {} -- {n}", verb(e)));
            }
            Some(true) if now_masked => {
                return Err(ModuleError::State(format!(
                    "unit `{name}` is masked: add `masked = false` to enable it"
                )));
            }
            Some(e) if e != u.enabled() && !now_masked => {
                u.can_switch(name, e).map_err(ModuleError::State)?;
                diff = diff.attr("enabled", (!e).to_string(), e.to_string());
                steps.push(format!("systemctl {} -- {n}", verb(e)));
            }
            _ => {}
        }
        let active = u.active.as_deref() == Some("active");
        let verb = match self.state {
            Some(ServiceState::Started) if !active => Some("start"),
            Some(ServiceState::Stopped) if active => Some("stop"),
            Some(ServiceState::Restarted) => Some("restart"),
            Some(ServiceState::Reloaded) => Some(if active { "reload" } else { "start" }),
            _ => None,
        };
        if let Some(v) = verb {
            let running = |b: bool| if b { "running" } else { "stopped" };
            let after = match v {
                "stop" => "stopped",
                "start" => "running",
                other => other,
            };
            diff = diff.attr("state", running(active), after);
            steps.push(format!("systemctl {v} -- {n}"));
        }
        outcome = outcome
            .data("status", u.file_state.as_str())
            .data("active", u.active.clone().unwrap_or_default());
        if steps.is_empty() {
            return Ok(self.reload_only(&u, outcome));
        }
        if self.daemon_reload && u.running {
            steps.insert(0, "systemctl daemon-reload".into());
        }
        Ok(Decision::Change(steps, outcome.with_diff(diff)))
    }

    async fn apply(
        &self,
        steps: Vec<String>,
        planned: Outcome,
        cx: &ModuleCx<'_>,
    ) -> Result<Outcome, ModuleError> {
        let script = format!("set -e\n{}\n", steps.join("\n"));
        let unit = self.name.as_deref().unwrap_or("systemd");
        cx.sh_ok(&script, &format!("cannot change `{unit}`"))
            .await?;
        Ok(planned)
    }
}

impl Systemd {
    /// Nothing to change in the unit: a `daemon-reload` if asked (it changes no managed
    /// state, so it is reported ok, as Ansible does), which needs systemd running.
    fn reload_only(&self, u: &Unit, outcome: Outcome) -> Decision<Vec<String>> {
        match (self.daemon_reload, u.running) {
            (true, true) => Decision::Quiet(vec!["systemctl daemon-reload".into()], outcome),
            (true, false) => Decision::Keep(outcome.msg(
                "systemd is not running as PID 1: no manager to reload (unit files are read at its next start)",
            )),
            (false, _) => Decision::Keep(outcome),
        }
    }
}

pub const DEF: ModuleDef = ModuleDef::new("systemd", &SPEC, |args, cx| {
    Box::pin(async move { drive(Systemd::new(args)?, cx).await })
});

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn probe_answers() {
        let u = parse("running\nenabled 0 enabled\nactive active\n");
        assert!(u.running && u.enabled() && !u.masked());
        assert_eq!(u.active.as_deref(), Some("active"));
        let u = parse("enabled 1 masked\n");
        assert!(!u.running && u.masked() && !u.enabled());
        assert!(!parse("enabled 0 indirect\n").enabled());
        assert!(parse("enabled 0 static\n").enabled());
        assert_eq!(parse("enabled 1 \n").file_state, "");
    }

    #[test]
    fn units_that_enable_or_disable_cannot_change() {
        let err = parse("enabled 0 static\n")
            .can_switch("x", false)
            .unwrap_err();
        assert!(err.contains("cannot be disabled"), "{err}");
        assert!(parse("enabled 0 indirect\n").can_switch("x", true).is_err());
        assert!(parse("enabled 1 disabled\n").can_switch("x", true).is_ok());
        assert!(parse("enabled 0 enabled\n").can_switch("x", false).is_ok());
    }
}
