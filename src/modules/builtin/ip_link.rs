//! `ip_link`: a network interface as the kernel has it now: made (a bridge or a dummy), with
//! its addresses, MTU and up/down state, or deleted. Read with `ip -j` (iproute2's JSON), set
//! with `ip`. The running state only, as `iptables`: keeping it across reboots is the
//! distribution's network configuration, another task.

use std::net::IpAddr;

use serde_json::Value as Json;

use crate::diff::FileDiff;
use crate::modules::action::drive;
use crate::modules::action::{Action, Decision};
use crate::modules::choice::{Presence, choice};
use crate::modules::def::ModuleDef;
use crate::modules::spec::{ArgType, ModuleSpec, opt, req};
use crate::modules::{Args, ModuleCx, ModuleError, Outcome};
use crate::shell::quote;

choice!(
    /// The interfaces `ip_link` can make (others it can still configure).
    Kind {
        Bridge = "bridge",
        Dummy = "dummy",
    }
);

pub const SPEC: ModuleSpec = ModuleSpec::new(&[
    req("name", ArgType::Str),
    opt("kind", ArgType::Choice(Kind::NAMES)),
    opt("state", ArgType::Choice(Presence::NAMES)),
    opt("up", ArgType::Bool),
    opt("addresses", ArgType::StrOrList),
    opt("exclusive_addresses", ArgType::Bool),
    opt("mtu", ArgType::Int),
]);

pub struct IpLink {
    name: String,
    kind: Option<Kind>,
    present: bool,
    up: bool,
    /// Normalised `address/prefix`.
    addresses: Vec<String>,
    exclusive: bool,
    mtu: Option<u32>,
}

/// What `ip` says of the interface; `None` when there is none of that name.
pub struct Current {
    kind: Option<String>,
    up: bool,
    mtu: u32,
    addresses: Vec<String>,
}

#[derive(Default)]
pub struct Change {
    create: Option<Kind>,
    delete: bool,
    mtu: Option<u32>,
    add: Vec<String>,
    remove: Vec<String>,
    up: Option<bool>,
}

/// Linux's rule for interface names: 1 to 15 bytes, no `/`, no space, not `.` or `..`.
fn valid_name(name: &str) -> bool {
    (1..=15).contains(&name.len())
        && name != "."
        && name != ".."
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c))
}

/// `192.168.42.1/24` or `fd00::1/64`, the address written as `ip` prints it.
fn cidr(text: &str) -> Option<String> {
    let (addr, prefix) = text.split_once('/')?;
    let addr: IpAddr = addr.parse().ok()?;
    let prefix: u8 = prefix.parse().ok()?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    (prefix <= max).then(|| format!("{addr}/{prefix}"))
}

impl IpLink {
    pub fn new(args: &Args) -> Result<Self, ModuleError> {
        let name = args.str("name")?;
        if !valid_name(&name) {
            return Err(ModuleError::argument(
                "name",
                format!("`{name}` is not an interface name (1 to 15 letters, digits, `._-@`)"),
            ));
        }
        let mut addresses = Vec::new();
        for a in args.str_list("addresses")? {
            match cidr(&a) {
                Some(c) if !addresses.contains(&c) => addresses.push(c),
                Some(_) => {}
                None => {
                    return Err(ModuleError::argument(
                        "addresses",
                        format!("`{a}` is not an address with its prefix (`192.168.42.1/24`)"),
                    ));
                }
            }
        }
        let mtu = match args.opt_int("mtu")? {
            None => None,
            Some(m) if (68..=65535).contains(&m) => u32::try_from(m).ok(),
            Some(m) => {
                return Err(ModuleError::argument(
                    "mtu",
                    format!("{m} is not an MTU (68 to 65535)"),
                ));
            }
        };
        let kind = match args.get("kind") {
            Some(_) => Some(args.pick("kind", Kind::Bridge)?),
            None => None,
        };
        Ok(IpLink {
            name,
            kind,
            present: args.pick("state", Presence::Present)? == Presence::Present,
            up: args.bool_or("up", true)?,
            addresses,
            exclusive: args.bool_or("exclusive_addresses", false)?,
            mtu,
        })
    }
}

/// The interface from `ip -d -j link show` and `ip -j addr show` (one line each), or `None`.
fn parse(out: &str) -> Result<Option<Current>, String> {
    let mut lines = out.lines().filter(|l| !l.trim().is_empty());
    let (Some(link), Some(addr)) = (lines.next(), lines.next()) else {
        return Ok(None);
    };
    let link: Json = serde_json::from_str(link).map_err(|e| format!("ip link: {e}"))?;
    let addr: Json = serde_json::from_str(addr).map_err(|e| format!("ip addr: {e}"))?;
    let Some(link) = link.get(0) else {
        return Ok(None);
    };
    let flags: Vec<&str> = link["flags"]
        .as_array()
        .map(|f| f.iter().filter_map(Json::as_str).collect())
        .unwrap_or_default();
    let addresses = addr
        .get(0)
        .and_then(|a| a["addr_info"].as_array())
        .map(|infos| {
            infos
                .iter()
                // The kernel's own IPv6 link-local address is not the play's to manage.
                .filter(|i| i["scope"].as_str() != Some("link"))
                .filter_map(|i| {
                    cidr(&format!(
                        "{}/{}",
                        i["local"].as_str()?,
                        i["prefixlen"].as_u64()?
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Some(Current {
        kind: link["linkinfo"]["info_kind"].as_str().map(str::to_string),
        up: flags.contains(&"UP"),
        mtu: link["mtu"]
            .as_u64()
            .and_then(|m| u32::try_from(m).ok())
            .unwrap_or(0),
        addresses,
    }))
}

impl Action for IpLink {
    type State = Option<Current>;
    type Change = Change;

    async fn probe(&self, cx: &ModuleCx<'_>) -> Result<Option<Current>, ModuleError> {
        let n = quote(&self.name);
        let script = format!(
            "command -v ip >/dev/null || {{ echo 'no ip command (iproute2)' >&2; exit 3; }}\n\
             ip -d -j link show dev {n} 2>/dev/null || exit 0\n\
             echo; ip -j addr show dev {n}"
        );
        let out = cx.probe_ok(&script, "cannot read the interfaces").await?;
        // Some iproute2 versions end their JSON without a newline: the `echo` above separates
        // the two; empty lines are skipped.
        parse(&out).map_err(|e| ModuleError::State(format!("{}: {e}", self.name)))
    }

    fn decide(
        &self,
        cur: Option<Current>,
        _cx: &ModuleCx<'_>,
    ) -> Result<Decision<Change>, ModuleError> {
        let title = format!("interface {}", self.name);
        let outcome = Outcome::ok().data("name", self.name.as_str());
        let Some(cur) = cur else {
            if !self.present {
                return Ok(Decision::Keep(outcome));
            }
            let Some(kind) = self.kind else {
                return Err(ModuleError::State(format!(
                    "there is no interface `{}`, and no `kind` to make it",
                    self.name
                )));
            };
            let change = Change {
                create: Some(kind),
                mtu: self.mtu,
                add: self.addresses.clone(),
                up: self.up.then_some(true),
                ..Change::default()
            };
            let diff = FileDiff::new(&title)
                .attr("state", "absent", crate::modules::choice::name_of(kind))
                .attr("addresses", "", self.addresses.join(" "))
                .attr("up", "false", self.up.to_string());
            return Ok(Decision::Change(
                change,
                outcome
                    .data("addresses", self.addresses.clone())
                    .with_diff(diff),
            ));
        };
        if !self.present {
            let diff = FileDiff::new(&title).attr(
                "state",
                cur.kind.clone().unwrap_or_else(|| "present".into()),
                "absent",
            );
            let change = Change {
                delete: true,
                ..Change::default()
            };
            return Ok(Decision::Change(change, outcome.with_diff(diff)));
        }
        if let (Some(want), Some(have)) = (self.kind, cur.kind.as_deref())
            && crate::modules::choice::name_of(want) != have
        {
            return Err(ModuleError::State(format!(
                "`{}` is a {have}, not a {}: delete it first (`state = \"absent\"`)",
                self.name,
                crate::modules::choice::name_of(want)
            )));
        }
        let change = Change {
            mtu: self.mtu.filter(|m| *m != cur.mtu),
            add: self
                .addresses
                .iter()
                .filter(|a| !cur.addresses.contains(a))
                .cloned()
                .collect(),
            remove: if self.exclusive {
                cur.addresses
                    .iter()
                    .filter(|a| !self.addresses.contains(a))
                    .cloned()
                    .collect()
            } else {
                Vec::new()
            },
            up: (self.up != cur.up).then_some(self.up),
            ..Change::default()
        };
        let after: Vec<String> = cur
            .addresses
            .iter()
            .filter(|a| !change.remove.contains(a))
            .chain(change.add.iter())
            .cloned()
            .collect();
        let outcome = outcome.data("addresses", after.clone());
        if change.mtu.is_none()
            && change.add.is_empty()
            && change.remove.is_empty()
            && change.up.is_none()
        {
            return Ok(Decision::Keep(outcome));
        }
        let mut diff = FileDiff::new(&title);
        if let Some(m) = change.mtu {
            diff = diff.attr("mtu", cur.mtu.to_string(), m.to_string());
        }
        if !change.add.is_empty() || !change.remove.is_empty() {
            diff = diff.attr("addresses", cur.addresses.join(" "), after.join(" "));
        }
        if let Some(up) = change.up {
            diff = diff.attr("up", cur.up.to_string(), up.to_string());
        }
        Ok(Decision::Change(change, outcome.with_diff(diff)))
    }

    async fn apply(
        &self,
        change: Change,
        planned: Outcome,
        cx: &ModuleCx<'_>,
    ) -> Result<Outcome, ModuleError> {
        let n = quote(&self.name);
        let mut script = vec!["set -e".to_string()];
        if change.delete {
            script.push(format!("ip link del dev {n}"));
        }
        if let Some(kind) = change.create {
            script.push(format!(
                "ip link add {n} type {}",
                crate::modules::choice::name_of(kind)
            ));
        }
        if let Some(m) = change.mtu {
            script.push(format!("ip link set dev {n} mtu {m}"));
        }
        for a in &change.remove {
            script.push(format!("ip addr del {} dev {n}", quote(a)));
        }
        for a in &change.add {
            script.push(format!("ip addr add {} dev {n}", quote(a)));
        }
        if let Some(up) = change.up {
            script.push(format!(
                "ip link set dev {n} {}",
                if up { "up" } else { "down" }
            ));
        }
        cx.sh_ok(
            &script.join("\n"),
            &format!("cannot set interface `{}`", self.name),
        )
        .await?;
        Ok(planned)
    }
}

pub const DEF: ModuleDef = ModuleDef::new("ip_link", &SPEC, |args, cx| {
    Box::pin(async move { drive(IpLink::new(args)?, cx).await })
});

#[cfg(test)]
mod tests {
    use super::{cidr, parse, valid_name};

    #[test]
    fn names_and_addresses() {
        for good in [
            "docker0",
            "br-ex",
            "tap0",
            "a",
            "eth0.100",
            "x123456789abcde",
        ] {
            assert!(valid_name(good), "{good}");
        }
        for bad in ["", ".", "..", "a b", "a/b", "x123456789abcdef"] {
            assert!(!valid_name(bad), "{bad}");
        }
        assert_eq!(cidr("192.168.42.1/24").as_deref(), Some("192.168.42.1/24"));
        assert_eq!(cidr("fd00:0::1/64").as_deref(), Some("fd00::1/64"));
        for bad in [
            "192.168.42.1",
            "192.168.42.1/33",
            "fd00::1/129",
            "host/24",
            "1.2.3.4/x",
        ] {
            assert_eq!(cidr(bad), None, "{bad}");
        }
    }

    #[test]
    fn what_ip_says() {
        let link = r#"[{"ifindex":5,"ifname":"docker0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1500,"linkinfo":{"info_kind":"bridge","info_data":{}}}]"#;
        let addr = r#"[{"ifindex":5,"ifname":"docker0","addr_info":[{"family":"inet","local":"192.168.42.1","prefixlen":24,"scope":"global"},{"family":"inet6","local":"fe80::1","prefixlen":64,"scope":"link"}]}]"#;
        let cur = parse(&format!("{link}\n{addr}")).unwrap().unwrap();
        assert_eq!(cur.kind.as_deref(), Some("bridge"));
        assert!(cur.up);
        assert_eq!(cur.mtu, 1500);
        assert_eq!(cur.addresses, vec!["192.168.42.1/24".to_string()]);
        assert!(parse("").unwrap().is_none());
    }
}
