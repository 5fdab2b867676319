//! `iptables`: one rule present or absent in a chain, or a built-in chain's policy, in the
//! running tables (as Ansible's `iptables`: saving them for the next boot is another task).
//! `iptables -C` says whether the rule is there, so check mode and a second run are exact.

use crate::diff::FileDiff;
use crate::modules::action::drive;
use crate::modules::action::{Action, Decision};
use crate::modules::choice::{Presence, choice};
use crate::modules::def::ModuleDef;
use crate::modules::spec::{ArgType, ModuleSpec, opt};
use crate::modules::{Args, ModuleCx, ModuleError, Outcome};
use crate::shell::quote;

choice!(
    /// Where a new rule goes.
    RuleAction {
        Append = "append",
        Insert = "insert",
    }
);

choice!(
    /// Which tables: IPv4 (`iptables`) or IPv6 (`ip6tables`).
    IpVersion {
        Ipv4 = "ipv4",
        Ipv6 = "ipv6",
    }
);

choice!(
    /// A built-in chain's policy.
    Policy {
        Accept = "ACCEPT",
        Drop = "DROP",
        Queue = "QUEUE",
        Return = "RETURN",
    }
);

pub const SPEC: ModuleSpec = ModuleSpec {
    args: &[
        opt("chain", ArgType::Str),
        opt(
            "table",
            ArgType::Choice(&["filter", "nat", "mangle", "raw", "security"]),
        ),
        opt("protocol", ArgType::Str),
        opt("source", ArgType::Str),
        opt("destination", ArgType::Str),
        opt("in_interface", ArgType::Str),
        opt("out_interface", ArgType::Str),
        opt("source_port", ArgType::Any),
        opt("destination_port", ArgType::Any),
        opt("ctstate", ArgType::StrOrList),
        opt("comment", ArgType::Str),
        opt("jump", ArgType::Str),
        opt("action", ArgType::Choice(RuleAction::NAMES)),
        opt("rule_num", ArgType::Int),
        opt("policy", ArgType::Choice(Policy::NAMES)),
        opt("ip_version", ArgType::Choice(IpVersion::NAMES)),
        opt("state", ArgType::Choice(Presence::NAMES)),
    ],
    free_form: false,
    one_of: &[&["jump", "policy"]],
    exclusive: &[("jump", "policy")],
};

/// A word that goes into a rule: no whitespace except in a comment, nothing that starts
/// like an option.
fn word(args: &Args, name: &str) -> Result<Option<String>, ModuleError> {
    match args.opt_str(name)? {
        Some(v) if v.is_empty() || v.starts_with('-') || v.contains(char::is_whitespace) => Err(
            ModuleError::argument(name, format!("`{v}` is not a valid {name}")),
        ),
        other => Ok(other),
    }
}

pub struct Iptables {
    binary: &'static str,
    table: String,
    chain: String,
    /// The rule's arguments after the chain, as `iptables -S` would not reorder them.
    rule: Vec<String>,
    policy: Option<Policy>,
    present: bool,
    action: RuleAction,
    rule_num: Option<u32>,
}

impl Iptables {
    pub fn new(args: &Args) -> Result<Self, ModuleError> {
        let chain = word(args, "chain")?.unwrap_or_else(|| "INPUT".into());
        let mut rule: Vec<String> = Vec::new();
        let mut push = |flag: &str, v: Option<String>| {
            if let Some(v) = v {
                rule.extend([flag.to_string(), v]);
            }
        };
        let protocol = word(args, "protocol")?;
        push("-p", protocol.clone());
        push("-s", word(args, "source")?);
        push("-d", word(args, "destination")?);
        push("-i", word(args, "in_interface")?);
        push("-o", word(args, "out_interface")?);
        let sport = word(args, "source_port")?;
        let dport = word(args, "destination_port")?;
        if (sport.is_some() || dport.is_some())
            && !matches!(protocol.as_deref(), Some("tcp" | "udp" | "sctp" | "dccp"))
        {
            return Err(ModuleError::Usage(
                "ports need `protocol` = \"tcp\", \"udp\", \"sctp\" or \"dccp\"".into(),
            ));
        }
        push("--sport", sport);
        push("--dport", dport);
        let states = args.str_list("ctstate")?;
        if !states.is_empty() {
            rule.extend([
                "-m".into(),
                "conntrack".into(),
                "--ctstate".into(),
                states.join(","),
            ]);
        }
        if let Some(c) = args.opt_str("comment")? {
            if c.contains(['\n', '"']) {
                return Err(ModuleError::argument(
                    "comment",
                    "cannot hold `\"` or a line break",
                ));
            }
            rule.extend(["-m".into(), "comment".into(), "--comment".into(), c]);
        }
        if let Some(j) = word(args, "jump")? {
            rule.extend(["-j".into(), j]);
        }
        let rule_num = match args.opt_int("rule_num")? {
            None => None,
            Some(n) => Some(u32::try_from(n).ok().filter(|n| *n > 0).ok_or_else(|| {
                ModuleError::argument("rule_num", "must be a rule number from 1")
            })?),
        };
        Ok(Iptables {
            binary: match args.pick("ip_version", IpVersion::Ipv4)? {
                IpVersion::Ipv4 => "iptables",
                IpVersion::Ipv6 => "ip6tables",
            },
            table: args.str_or("table", "filter")?,
            chain,
            rule,
            policy: match args.get("policy") {
                Some(_) => Some(args.pick("policy", Policy::Accept)?),
                None => None,
            },
            present: args.pick("state", Presence::Present)? == Presence::Present,
            action: args.pick("action", RuleAction::Append)?,
            rule_num,
        })
    }

    fn base(&self) -> String {
        format!("{} -w -t {} ", self.binary, quote(&self.table))
    }

    fn rule_args(&self) -> String {
        let words: Vec<String> = self.rule.iter().map(|w| quote(w)).collect();
        format!("{} {}", quote(&self.chain), words.join(" "))
    }
}

/// What the tables hold: whether the rule is there, or the chain's policy.
pub enum Current {
    Rule(bool),
    Policy(String),
}

impl Action for Iptables {
    type State = Current;
    type Change = String;

    async fn probe(&self, cx: &ModuleCx<'_>) -> Result<Current, ModuleError> {
        let b = self.binary;
        let mut script = format!(
            "command -v {b} >/dev/null || {{ echo '{b} not found: install the iptables package' >&2; exit 3; }}\n"
        );
        if self.policy.is_some() {
            script.push_str(&format!(
                "{}-S {} | head -n 1",
                self.base(),
                quote(&self.chain)
            ));
            let out = cx
                .probe_ok(&script, &format!("cannot read chain `{}`", self.chain))
                .await?;
            // `-P INPUT ACCEPT`; a user chain has `-N NAME` and no policy.
            let words: Vec<&str> = out.split_whitespace().collect();
            return match words.as_slice() {
                ["-P", _, policy] => Ok(Current::Policy((*policy).to_string())),
                _ => Err(ModuleError::State(format!(
                    "chain `{}` has no policy (only built-in chains have one)",
                    self.chain
                ))),
            };
        }
        // `-C` exits 0 when the rule is there, 1 when not, 2 and more on a bad rule.
        script.push_str(&format!(
            "{}-C {} 2>/dev/null; r=$?; [ $r -le 1 ] && echo \"r $r\"; exit 0",
            self.base(),
            self.rule_args()
        ));
        let out = cx.probe_ok(&script, "cannot read the rules").await?;
        match out.trim() {
            "r 0" => Ok(Current::Rule(true)),
            "r 1" => Ok(Current::Rule(false)),
            _ => Err(ModuleError::State(format!(
                "{} refuses the rule `{}`",
                self.binary,
                self.rule.join(" ")
            ))),
        }
    }

    fn decide(&self, cur: Current, _cx: &ModuleCx<'_>) -> Result<Decision<String>, ModuleError> {
        let what = format!("{} {} {}", self.binary, self.table, self.chain);
        let mut diff = FileDiff::new(&what);
        let outcome = Outcome::ok().data("rule", self.rule.join(" "));
        let script = match cur {
            Current::Policy(have) => {
                let want = crate::modules::choice::name_of(self.policy.unwrap_or(Policy::Accept));
                if have == want {
                    return Ok(Decision::Keep(outcome));
                }
                diff = diff.attr("policy", have, want);
                format!("{}-P {} {want}", self.base(), quote(&self.chain))
            }
            Current::Rule(there) if there == self.present => {
                return Ok(Decision::Keep(outcome));
            }
            Current::Rule(_) if !self.present => {
                diff = diff.attr("rule", self.rule.join(" "), "absent");
                format!("{}-D {}", self.base(), self.rule_args())
            }
            Current::Rule(_) => {
                diff = diff.attr("rule", "absent", self.rule.join(" "));
                let at = match (self.action, self.rule_num) {
                    (RuleAction::Insert, Some(n)) => format!("-I {} {n} ", quote(&self.chain)),
                    (RuleAction::Insert, None) => format!("-I {} ", quote(&self.chain)),
                    (RuleAction::Append, _) => format!("-A {} ", quote(&self.chain)),
                };
                let words: Vec<String> = self.rule.iter().map(|w| quote(w)).collect();
                format!("{}{at}{}", self.base(), words.join(" "))
            }
        };
        Ok(Decision::Change(script, outcome.with_diff(diff)))
    }

    async fn apply(
        &self,
        script: String,
        planned: Outcome,
        cx: &ModuleCx<'_>,
    ) -> Result<Outcome, ModuleError> {
        cx.sh_ok(
            &script,
            &format!("cannot change {} chain `{}`", self.binary, self.chain),
        )
        .await?;
        Ok(planned)
    }
}

pub const DEF: ModuleDef = ModuleDef::new("iptables", &SPEC, |args, cx| {
    Box::pin(async move { drive(Iptables::new(args)?, cx).await })
});

#[cfg(test)]
mod tests {
    use super::Iptables;
    use crate::modules::Args;
    use minijinja::Value;

    #[test]
    fn rules_from_arguments() {
        let r = Iptables::new(&Args::from_pairs(&[
            ("protocol", "tcp".into()),
            ("destination_port", 8080.into()),
            ("ctstate", Value::from(vec!["NEW", "ESTABLISHED"])),
            ("comment", "eov web".into()),
            ("jump", "ACCEPT".into()),
        ]))
        .unwrap();
        assert_eq!(
            r.rule.join(" "),
            "-p tcp --dport 8080 -m conntrack --ctstate NEW,ESTABLISHED -m comment --comment eov web -j ACCEPT"
        );
        assert_eq!(r.chain, "INPUT");
        for bad in [
            vec![
                ("destination_port", Value::from(22)),
                ("jump", "ACCEPT".into()),
            ],
            vec![("source", "-j DROP".into()), ("jump", "ACCEPT".into())],
            vec![("comment", "a\"b".into()), ("jump", "ACCEPT".into())],
            vec![("rule_num", Value::from(0)), ("jump", "ACCEPT".into())],
        ] {
            assert!(Iptables::new(&Args::from_pairs(&bad)).is_err(), "{bad:?}");
        }
    }
}
