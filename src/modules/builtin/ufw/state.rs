//! What ufw keeps (its files and whether its chains are loaded), as the probe reads it.

/// The rules of one family: `### tuple ###` lines of user.rules (v4) or user6.rules (v6).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rules {
    pub v4: Vec<String>,
    pub v6: Vec<String>,
}

impl Rules {
    /// One line per rule, as ufw stores it (`ACTION PROTO TO-PORT TO FROM-PORT FROM
    /// DIRECTION`), IPv6 ones marked, comments decoded.
    pub(super) fn text(&self) -> String {
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

    pub(super) fn list(&self) -> Vec<String> {
        self.text().lines().map(str::to_string).collect()
    }
}

/// A tuple with its `comment=HEX` shown as text.
pub(super) fn readable(tuple: &str) -> String {
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
    pub enabled: bool,
    /// Its chains are in the running tables.
    pub running: bool,
    pub loglevel: String,
    /// (incoming, outgoing, routed) as ufw names them: allow, deny, reject.
    pub policies: [String; 3],
    pub rules: Rules,
    /// The rules once the task's rule is applied (from `ufw --dry-run`).
    pub rules_after: Option<Rules>,
}

pub(super) fn policy_name(iptables: &str) -> String {
    match iptables {
        "ACCEPT" => "allow".into(),
        "DROP" => "deny".into(),
        "REJECT" => "reject".into(),
        other => other.to_ascii_lowercase(),
    }
}

pub(super) fn parse(out: &str) -> Firewall {
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

/// How the firewall is now, for the diff.
pub(super) fn state_name(fw: &Firewall) -> &'static str {
    match (fw.enabled, fw.running) {
        (true, true) => "enabled",
        (true, false) => "enabled (not loaded)",
        (false, true) => "disabled (still loaded)",
        (false, false) => "disabled",
    }
}
