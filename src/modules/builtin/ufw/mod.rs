//! `ufw`: the Uncomplicated Firewall of Debian and Ubuntu, as Ansible's
//! `community.general.ufw`: enabled or disabled (or reloaded, or reset), default policies,
//! logging, and one rule added or deleted per task.
//!
//! The probe reads what ufw keeps: `ENABLED` and `LOGLEVEL` in `/etc/ufw/ufw.conf`, the
//! default policies in `/etc/default/ufw`, the rules as `### tuple ###` lines of
//! `user.rules` and `user6.rules`, and whether the firewall is loaded (its
//! `ufw-user-input` chain). Whether a rule changes anything is ufw's own answer:
//! `ufw --dry-run RULE` prints the rules files it would write (or "Skipping ... existing
//! rule") and writes nothing, so ufw's normalization of addresses, ports and comments is
//! exactly the one compared, and check mode and a second run are exact.

use crate::diff::FileDiff;
use crate::modules::action::drive;
use crate::modules::action::{Action, Decision};
use crate::modules::choice::{choice, name_of};
use crate::modules::def::ModuleDef;
use crate::modules::spec::{ArgType, ModuleSpec, opt};
use crate::modules::{Args, ModuleCx, ModuleError, Outcome};
use crate::shell::quote;

mod rule;
mod state;
#[cfg(test)]
mod tests;

use rule::rule_words;
use state::{Firewall, Rules, parse, state_name};

choice!(
    /// The firewall as a whole.
    UfwState {
        Enabled = "enabled",
        Disabled = "disabled",
        Reloaded = "reloaded",
        Reset = "reset",
    }
);

choice!(
    /// A default policy.
    Policy {
        Allow = "allow",
        Deny = "deny",
        Reject = "reject",
    }
);

choice!(
    /// What a rule does.
    RuleAction {
        Allow = "allow",
        Deny = "deny",
        Limit = "limit",
        Reject = "reject",
    }
);

choice!(
    /// Traffic a policy or a rule applies to.
    Direction {
        In = "in",
        Out = "out",
        Incoming = "incoming",
        Outgoing = "outgoing",
        Routed = "routed",
    }
);

choice!(
    /// `ufw logging`: `on` is any level but `off` (`low` when it was off).
    Logging {
        On = "on",
        Off = "off",
        Low = "low",
        Medium = "medium",
        High = "high",
        Full = "full",
    }
);

choice!(
    /// The protocols ufw knows.
    Proto {
        Any = "any",
        Tcp = "tcp",
        Udp = "udp",
        Ipv6 = "ipv6",
        Esp = "esp",
        Ah = "ah",
        Gre = "gre",
        Igmp = "igmp",
    }
);

/// The arguments that describe a rule, refused without `rule`.
const RULE_ARGS: &[&str] = &[
    "port",
    "to_port",
    "proto",
    "from_ip",
    "from_port",
    "to_ip",
    "interface",
    "interface_in",
    "interface_out",
    "comment",
    "delete",
    "route",
    "insert",
    "log",
    "name",
];

pub const SPEC: ModuleSpec = ModuleSpec {
    args: &[
        opt("state", ArgType::Choice(UfwState::NAMES)),
        opt("policy", ArgType::Choice(Policy::NAMES)),
        opt("direction", ArgType::Choice(Direction::NAMES)),
        opt("logging", ArgType::Choice(Logging::NAMES)),
        opt("rule", ArgType::Choice(RuleAction::NAMES)),
        opt("port", ArgType::Any),
        opt("to_port", ArgType::Any),
        opt("proto", ArgType::Choice(Proto::NAMES)),
        opt("from_ip", ArgType::Str),
        opt("from_port", ArgType::Any),
        opt("to_ip", ArgType::Str),
        opt("interface", ArgType::Str),
        opt("interface_in", ArgType::Str),
        opt("interface_out", ArgType::Str),
        opt("comment", ArgType::Str),
        opt("delete", ArgType::Bool),
        opt("route", ArgType::Bool),
        opt("insert", ArgType::Int),
        opt("log", ArgType::Bool),
        opt("name", ArgType::Str),
    ],
    free_form: false,
    one_of: &[&["state", "policy", "logging", "rule"]],
    exclusive: &[
        ("port", "to_port"),
        ("interface", "interface_in"),
        ("interface", "interface_out"),
    ],
};

pub struct Ufw {
    state: Option<UfwState>,
    /// (policy, `incoming` / `outgoing` / `routed`)
    policy: Option<(Policy, &'static str)>,
    logging: Option<Logging>,
    /// The words after `ufw` (and `--dry-run`) that add or delete the rule.
    rule: Option<Vec<String>>,
}

impl Ufw {
    pub fn new(args: &Args) -> Result<Self, ModuleError> {
        let state = match args.get("state") {
            Some(_) => Some(args.pick("state", UfwState::Enabled)?),
            None => None,
        };
        let direction = match args.get("direction") {
            Some(_) => Some(args.pick("direction", Direction::In)?),
            None => None,
        };
        let policy = match args.get("policy") {
            None => None,
            Some(_) => {
                let p = args.pick("policy", Policy::Deny)?;
                let towards = match direction {
                    None | Some(Direction::In | Direction::Incoming) => "incoming",
                    Some(Direction::Out | Direction::Outgoing) => "outgoing",
                    Some(Direction::Routed) => "routed",
                };
                Some((p, towards))
            }
        };
        let logging = match args.get("logging") {
            Some(_) => Some(args.pick("logging", Logging::On)?),
            None => None,
        };
        let rule = match args.get("rule") {
            None => {
                if let Some(arg) = RULE_ARGS.iter().find(|a| args.get(a).is_some()) {
                    return Err(ModuleError::Usage(format!("`{arg}` goes with `rule`")));
                }
                None
            }
            Some(_) => Some(rule_words(args, direction)?),
        };
        if state == Some(UfwState::Reset)
            && (policy.is_some() || logging.is_some() || rule.is_some())
        {
            return Err(ModuleError::Usage(
                "`state = \"reset\"` goes in a task of its own: it throws the rules and settings away"
                    .into(),
            ));
        }
        Ok(Ufw {
            state,
            policy,
            logging,
            rule,
        })
    }
}

/// What apply runs, in order: policy, rule, logging, then the firewall's state.
pub struct Plan(Vec<String>);

impl Action for Ufw {
    type State = Firewall;
    type Change = Plan;

    async fn probe(&self, cx: &ModuleCx<'_>) -> Result<Firewall, ModuleError> {
        let mut script = String::from(
            "command -v ufw >/dev/null || { echo 'ufw not found: install the ufw package' >&2; exit 3; }\n\
             [ \"$(id -u)\" = 0 ] || { echo 'ufw needs root: add `become = true`' >&2; exit 3; }\n\
             echo \"enabled $(sed -n 's/^ENABLED=//p' /etc/ufw/ufw.conf | tail -n 1)\"\n\
             echo \"loglevel $(sed -n 's/^LOGLEVEL=//p' /etc/ufw/ufw.conf | tail -n 1)\"\n\
             sed -n 's/^DEFAULT_\\(INPUT\\|OUTPUT\\|FORWARD\\)_POLICY=\"\\{0,1\\}\\([A-Za-z]*\\)\"\\{0,1\\}$/policy \\1 \\2/p' /etc/default/ufw\n\
             if iptables -w -n -L ufw-user-input >/dev/null 2>&1 || ip6tables -w -n -L ufw6-user-input >/dev/null 2>&1; then echo running; fi\n\
             for d in /etc/ufw /lib/ufw /var/lib/ufw; do [ -f \"$d/user.rules\" ] && break; done\n\
             sed -n 's/^### tuple ### /t4 /p' \"$d/user.rules\"\n\
             [ ! -f \"$d/user6.rules\" ] || sed -n 's/^### tuple ### /t6 /p' \"$d/user6.rules\"\n",
        );
        if let Some(rule) = &self.rule {
            let words: Vec<String> = rule.iter().map(|w| quote(w)).collect();
            script.push_str(&format!(
                "out=$(ufw --dry-run {} 2>&1) || {{ printf '%s\\n' \"$out\" >&2; exit 4; }}\n\
                 echo dry\n\
                 printf '%s\\n' \"$out\" | sed -n -e 's/^\\*filter$/section/p' -e 's/^:\\(ufw6\\{{0,1\\}}\\)-user-input .*/chain \\1/p' -e 's/^### tuple ### /d /p'\n",
                words.join(" ")
            ));
        }
        let out = cx.sh_probe(&script).await?;
        if !out.success() {
            let what = match (&self.rule, out.status) {
                (Some(rule), Some(4)) => format!("ufw refuses the rule `{}`", rule.join(" ")),
                _ => "cannot read ufw's settings".to_string(),
            };
            return Err(ModuleError::Remote {
                what,
                reason: out.failure_reason(),
            });
        }
        Ok(parse(&out.stdout_text()))
    }

    fn decide(&self, fw: Firewall, _cx: &ModuleCx<'_>) -> Result<Decision<Plan>, ModuleError> {
        let mut diff = FileDiff::new("ufw");
        let mut commands: Vec<String> = Vec::new();
        let mut enabled = fw.enabled;
        let mut loglevel = fw.loglevel.clone();
        let mut policies = fw.policies.clone();
        let mut rules = fw.rules.clone();
        let mut msg = None;
        let mut rule_diff = None;
        if self.state == Some(UfwState::Reset) {
            // Always a change: ufw backs the files up and writes them anew.
            commands.push("ufw --force reset".into());
            diff = diff.attr("state", state_name(&fw), "reset (disabled)");
            enabled = false;
            rules = Rules::default();
            let mut lines = FileDiff::new("ufw rules");
            lines.before = Some(fw.rules.text());
            lines.after = Some(String::new());
            rule_diff = Some(lines);
        }
        if let Some((policy, towards)) = self.policy {
            let i = ["incoming", "outgoing", "routed"]
                .iter()
                .position(|t| *t == towards)
                .unwrap_or(0);
            let want = name_of(policy);
            if policies[i] != want {
                diff = diff.attr(&format!("policy {towards}"), policies[i].clone(), want);
                commands.push(format!("ufw default {want} {towards}"));
                policies[i] = want.to_string();
            }
        }
        if let (Some(rule), Some(after)) = (&self.rule, &fw.rules_after)
            && *after != fw.rules
        {
            let words: Vec<String> = rule.iter().map(|w| quote(w)).collect();
            commands.push(format!("ufw {}", words.join(" ")));
            let mut lines = FileDiff::new("ufw rules");
            lines.before = Some(fw.rules.text());
            lines.after = Some(after.text());
            rule_diff = Some(lines);
            rules = after.clone();
        }
        if let Some(level) = self.logging {
            let want = match level {
                Logging::On if loglevel != "off" && !loglevel.is_empty() => loglevel.clone(),
                Logging::On => "low".to_string(),
                other => name_of(other).to_string(),
            };
            if loglevel != want {
                diff = diff.attr("logging", loglevel.clone(), want.clone());
                commands.push(format!("ufw logging {want}"));
                loglevel = want;
            }
        }
        match self.state {
            Some(UfwState::Enabled) if !(fw.enabled && fw.running) => {
                diff = diff.attr("state", state_name(&fw), "enabled");
                commands.push("ufw --force enable".into());
                enabled = true;
            }
            Some(UfwState::Disabled) if fw.enabled || fw.running => {
                diff = diff.attr("state", state_name(&fw), "disabled");
                commands.push("ufw disable".into());
                enabled = false;
            }
            Some(UfwState::Reloaded) if fw.enabled => {
                // A reload is asked for its effect: always a change, as a service restart.
                diff = diff.attr("state", "enabled", "reloaded");
                commands.push("ufw reload".into());
            }
            Some(UfwState::Reloaded) => {
                msg = Some("ufw is not enabled: nothing to reload".to_string());
            }
            _ => {}
        }
        let mut outcome = Outcome::ok()
            .data("enabled", enabled)
            .data("logging", loglevel)
            .data(
                "policies",
                ["incoming", "outgoing", "routed"]
                    .into_iter()
                    .zip(policies)
                    .map(|(k, v)| (k.to_string(), minijinja::Value::from(v)))
                    .collect::<std::collections::BTreeMap<String, minijinja::Value>>(),
            )
            .data("rules", rules.list());
        if let Some(m) = msg {
            outcome = outcome.msg(m);
        }
        if commands.is_empty() {
            return Ok(Decision::Keep(outcome));
        }
        let mut outcome = outcome.with_diff(diff);
        if let Some(lines) = rule_diff {
            outcome = outcome.with_diff(lines);
        }
        Ok(Decision::Change(Plan(commands), outcome))
    }

    async fn apply(
        &self,
        plan: Plan,
        planned: Outcome,
        cx: &ModuleCx<'_>,
    ) -> Result<Outcome, ModuleError> {
        let mut script = String::from("set -e\n");
        for command in &plan.0 {
            script.push_str(&format!("{command} >/dev/null\n"));
        }
        cx.sh_ok(&script, "ufw failed").await?;
        Ok(planned)
    }
}

pub const DEF: ModuleDef = ModuleDef::new("ufw", &SPEC, |args, cx| {
    Box::pin(async move { drive(Ufw::new(args)?, cx).await })
});
