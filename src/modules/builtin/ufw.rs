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

/// A word of a rule: an address, a port, an interface. No spaces, nothing like an option.
fn word(args: &Args, name: &str) -> Result<Option<String>, ModuleError> {
    match args.opt_str(name)? {
        Some(v) if v.is_empty() || v.starts_with('-') || v.contains(char::is_whitespace) => Err(
            ModuleError::argument(name, format!("`{v}` is not a valid {name}")),
        ),
        other => Ok(other),
    }
}

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

/// `[route] [delete] [insert N] ACTION [in|out] [on IF | in on IF out on IF] [log] from FROM
/// [port P] to TO [port P] [proto P] [app NAME] [comment C]`: Ansible's order, which ufw's
/// parser accepts.
fn rule_words(args: &Args, direction: Option<Direction>) -> Result<Vec<String>, ModuleError> {
    let action = args.pick("rule", RuleAction::Allow)?;
    let route = args.bool_or("route", false)?;
    let mut w: Vec<String> = Vec::new();
    if route {
        w.push("route".into());
    }
    if args.bool_or("delete", false)? {
        w.push("delete".into());
    }
    if let Some(n) = args.opt_int("insert")? {
        if n < 1 {
            return Err(ModuleError::argument(
                "insert",
                "must be a rule number from 1",
            ));
        }
        w.extend(["insert".into(), n.to_string()]);
    }
    w.push(name_of(action).into());
    let dir = match direction {
        None => None,
        Some(Direction::In | Direction::Incoming) => Some("in"),
        Some(Direction::Out | Direction::Outgoing) => Some("out"),
        Some(Direction::Routed) => {
            return Err(ModuleError::Usage(
                "a rule's `direction` is `in` or `out`; a routed rule is `route = true`".into(),
            ));
        }
    };
    let (interface, iface_in, iface_out) = (
        word(args, "interface")?,
        word(args, "interface_in")?,
        word(args, "interface_out")?,
    );
    if iface_in.is_some() && iface_out.is_some() && !route {
        return Err(ModuleError::Usage(
            "only a routed rule (`route = true`) has both `interface_in` and `interface_out`"
                .into(),
        ));
    }
    if (iface_in.is_some() || iface_out.is_some()) && dir.is_some() {
        return Err(ModuleError::Usage(
            "`interface_in` / `interface_out` say the direction: leave out `direction`".into(),
        ));
    }
    match (dir, interface) {
        (Some(d), Some(i)) => w.extend([d.into(), "on".into(), i]),
        (Some(d), None) => w.push(d.into()),
        (None, Some(_)) => {
            return Err(ModuleError::Usage(
                "`interface` needs `direction` = \"in\" or \"out\"".into(),
            ));
        }
        (None, None) => {}
    }
    if let Some(i) = iface_in {
        w.extend(["in".into(), "on".into(), i]);
    }
    if let Some(i) = iface_out {
        w.extend(["out".into(), "on".into(), i]);
    }
    if args.bool_or("log", false)? {
        w.push("log".into());
    }
    w.extend([
        "from".into(),
        word(args, "from_ip")?.unwrap_or_else(|| "any".into()),
    ]);
    if let Some(p) = word(args, "from_port")? {
        w.extend(["port".into(), p]);
    }
    w.extend([
        "to".into(),
        word(args, "to_ip")?.unwrap_or_else(|| "any".into()),
    ]);
    let to_port = match word(args, "to_port")? {
        Some(p) => Some(p),
        None => word(args, "port")?,
    };
    let app = args.opt_str("name")?;
    if let Some(p) = to_port {
        if app.is_some() {
            return Err(ModuleError::Usage(
                "`name` (an application profile) gives the ports: leave out `port`".into(),
            ));
        }
        w.extend(["port".into(), p]);
    }
    if args.get("proto").is_some() {
        w.extend([
            "proto".into(),
            name_of(args.pick("proto", Proto::Any)?).into(),
        ]);
    }
    if let Some(a) = app {
        if a.trim().is_empty() || a.contains('\n') {
            return Err(ModuleError::argument(
                "name",
                "must name an application profile",
            ));
        }
        w.extend(["app".into(), a]);
    }
    if let Some(c) = args.opt_str("comment")? {
        if c.contains('\n') {
            return Err(ModuleError::argument("comment", "cannot hold a line break"));
        }
        w.extend(["comment".into(), c]);
    }
    Ok(w)
}

/// The rules of one family: `### tuple ###` lines of user.rules (v4) or user6.rules (v6).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rules {
    v4: Vec<String>,
    v6: Vec<String>,
}

impl Rules {
    /// One line per rule, as ufw stores it (`ACTION PROTO TO-PORT TO FROM-PORT FROM
    /// DIRECTION`), IPv6 ones marked, comments decoded.
    fn text(&self) -> String {
        let mut s = String::new();
        for (rules, mark) in [(&self.v4, ""), (&self.v6, " (v6)")] {
            for r in rules {
                s.push_str(&readable(r));
                s.push_str(mark);
                s.push('\n');
            }
        }
        s
    }

    fn list(&self) -> Vec<String> {
        self.text().lines().map(str::to_string).collect()
    }
}

/// A tuple with its `comment=HEX` shown as text.
fn readable(tuple: &str) -> String {
    let Some((head, hex)) = tuple.rsplit_once(" comment=") else {
        return tuple.to_string();
    };
    let bytes: Option<Vec<u8>> = (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|b| u8::from_str_radix(b, 16).ok())
        })
        .collect();
    match bytes.and_then(|b| String::from_utf8(b).ok()) {
        Some(text) => format!("{head} comment='{text}'"),
        None => tuple.to_string(),
    }
}

/// What the probe found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Firewall {
    /// `ENABLED=yes` in ufw.conf.
    enabled: bool,
    /// Its chains are in the running tables.
    running: bool,
    loglevel: String,
    /// (incoming, outgoing, routed) as ufw names them: allow, deny, reject.
    policies: [String; 3],
    rules: Rules,
    /// The rules once the task's rule is applied (from `ufw --dry-run`).
    rules_after: Option<Rules>,
}

fn policy_name(iptables: &str) -> String {
    match iptables {
        "ACCEPT" => "allow".into(),
        "DROP" => "deny".into(),
        "REJECT" => "reject".into(),
        other => other.to_ascii_lowercase(),
    }
}

fn parse(out: &str) -> Firewall {
    let mut fw = Firewall::default();
    let mut after: Option<Rules> = None;
    let mut family: Option<bool> = None;
    let mut touched = (false, false);
    for line in out.lines() {
        let (key, rest) = line.split_once(' ').unwrap_or((line, ""));
        match key {
            "enabled" => fw.enabled = rest.trim() == "yes",
            "running" => fw.running = true,
            "loglevel" => fw.loglevel = rest.trim().to_string(),
            "policy" => {
                if let Some((chain, p)) = rest.split_once(' ') {
                    let i = match chain {
                        "INPUT" => 0,
                        "OUTPUT" => 1,
                        _ => 2,
                    };
                    fw.policies[i] = policy_name(p.trim());
                }
            }
            "t4" => fw.rules.v4.push(rest.to_string()),
            "t6" => fw.rules.v6.push(rest.to_string()),
            "dry" => after = Some(fw.rules.clone()),
            "section" => family = None,
            "chain" => {
                let v6 = rest.trim() == "ufw6";
                family = Some(v6);
                if let Some(a) = after.as_mut() {
                    // A file ufw would write replaces what it holds.
                    if v6 && !touched.1 {
                        a.v6.clear();
                        touched.1 = true;
                    } else if !v6 && !touched.0 {
                        a.v4.clear();
                        touched.0 = true;
                    }
                }
            }
            "d" => {
                if let (Some(a), Some(v6)) = (after.as_mut(), family) {
                    if v6 {
                        a.v6.push(rest.to_string());
                    } else {
                        a.v4.push(rest.to_string());
                    }
                }
            }
            _ => {}
        }
    }
    fw.rules_after = after;
    fw
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

/// How the firewall is now, for the diff.
fn state_name(fw: &Firewall) -> &'static str {
    match (fw.enabled, fw.running) {
        (true, true) => "enabled",
        (true, false) => "enabled (not loaded)",
        (false, true) => "disabled (still loaded)",
        (false, false) => "disabled",
    }
}

pub const DEF: ModuleDef = ModuleDef::new("ufw", &SPEC, |args, cx| {
    Box::pin(async move { drive(Ufw::new(args)?, cx).await })
});

#[cfg(test)]
mod tests {
    use super::{Rules, Ufw, parse, readable};
    use crate::modules::Args;
    use minijinja::Value;

    fn args(pairs: &[(&str, Value)]) -> Args {
        Args::new(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    fn rule(pairs: &[(&str, Value)]) -> String {
        Ufw::new(&args(pairs))
            .unwrap_or_else(|e| panic!("{pairs:?}: {e}"))
            .rule
            .unwrap()
            .join(" ")
    }

    #[test]
    fn rules_from_arguments() {
        assert_eq!(
            rule(&[
                ("rule", "allow".into()),
                ("port", 22.into()),
                ("proto", "tcp".into())
            ]),
            "allow from any to any port 22 proto tcp"
        );
        assert_eq!(
            rule(&[
                ("rule", "limit".into()),
                ("direction", "incoming".into()),
                ("interface", "eth0".into()),
                ("log", true.into()),
                ("from_ip", "10.0.0.0/8".into()),
                ("to_port", "2222".into()),
                ("proto", "tcp".into()),
                ("comment", "ssh it's".into()),
                ("insert", 1.into()),
            ]),
            "insert 1 limit in on eth0 log from 10.0.0.0/8 to any port 2222 proto tcp comment ssh it's"
        );
        assert_eq!(
            rule(&[
                ("rule", "allow".into()),
                ("route", true.into()),
                ("delete", true.into()),
                ("interface_in", "eth0".into()),
                ("interface_out", "eth1".into()),
                ("to_ip", "192.0.2.1".into()),
                ("name", "OpenSSH".into()),
            ]),
            "route delete allow in on eth0 out on eth1 from any to 192.0.2.1 app OpenSSH"
        );
        for bad in [
            vec![("port", Value::from(22))],
            vec![("rule", "allow".into()), ("interface", "eth0".into())],
            vec![("rule", "allow".into()), ("direction", "routed".into())],
            vec![
                ("rule", "allow".into()),
                ("interface_in", "a".into()),
                ("interface_out", "b".into()),
            ],
            vec![("rule", "allow".into()), ("from_ip", "-j".into())],
            vec![("rule", "allow".into()), ("insert", 0.into())],
            vec![
                ("rule", "allow".into()),
                ("name", "X".into()),
                ("port", 1.into()),
            ],
            vec![("state", "reset".into()), ("policy", "deny".into())],
        ] {
            assert!(Ufw::new(&args(&bad)).is_err(), "{bad:?}");
        }
        let p = Ufw::new(&args(&[
            ("policy", "deny".into()),
            ("direction", "out".into()),
        ]))
        .unwrap();
        assert_eq!(p.policy.map(|p| p.1), Some("outgoing"));
    }

    #[test]
    fn what_ufw_keeps_and_what_it_would_write() {
        let out = "enabled yes\nloglevel low\npolicy INPUT DROP\npolicy OUTPUT ACCEPT\npolicy FORWARD REJECT\nrunning\n\
                   t4 allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in\nt6 allow tcp 22 ::/0 any ::/0 in\n\
                   dry\nsection\nchain ufw\nd allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in\nd allow any any 0.0.0.0/0 any 10.0.0.0/8 in\n";
        let fw = parse(out);
        assert!(fw.enabled && fw.running);
        assert_eq!(fw.policies, ["deny", "allow", "reject"]);
        assert_eq!(fw.loglevel, "low");
        let after = fw.rules_after.clone().unwrap();
        assert_eq!(after.v4.len(), 2);
        assert_eq!(
            after.v6, fw.rules.v6,
            "a family ufw would not write is kept"
        );
        // "Skipping adding existing rule": nothing would be written.
        let same = parse("enabled no\nt4 allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in\ndry\n");
        assert_eq!(same.rules_after.as_ref(), Some(&same.rules));
        // A delete that empties a file.
        let empty = parse("t4 x\ndry\nsection\nchain ufw\n");
        assert_eq!(empty.rules_after, Some(Rules::default()));
    }

    #[test]
    fn comments_are_shown_as_text() {
        assert_eq!(
            readable("allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in comment=6c696d20737368"),
            "allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in comment='lim ssh'"
        );
        assert_eq!(
            readable("allow tcp 22 a any b in"),
            "allow tcp 22 a any b in"
        );
    }
}
