//! Ansible's `ipaddr`, `ipv4` and `ipv6` filters, for the queries roles use, on IPv4 and
//! IPv6 alike.

use std::net::IpAddr;

use minijinja::value::ValueKind;
use minijinja::{Environment, Error, ErrorKind, Value};

fn invalid(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg.into())
}

/// An address with an optional prefix: `11.8.0.5`, `11.8.0.0/24`, `fd00::1/64`.
fn parse_net(text: &str) -> Option<(IpAddr, u8)> {
    let (addr, len) = match text.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (text, None),
    };
    let addr: IpAddr = addr.trim().parse().ok()?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let len = match len {
        Some(l) => l.parse::<u8>().ok().filter(|l| *l <= max)?,
        None => max,
    };
    Some((addr, len))
}

fn to_bits(a: IpAddr) -> u128 {
    match a {
        IpAddr::V4(v) => u128::from(u32::from(v)),
        IpAddr::V6(v) => u128::from(v),
    }
}

fn from_bits(v4: bool, bits: u128) -> IpAddr {
    if v4 {
        IpAddr::V4(std::net::Ipv4Addr::from(
            u32::try_from(bits & 0xffff_ffff).unwrap_or(0),
        ))
    } else {
        IpAddr::V6(std::net::Ipv6Addr::from(bits))
    }
}

/// Ansible's `ipaddr` for the queries roles use: no argument (the value if it is an address
/// or network, else `false`), `address`, `network`, `netmask`, `prefix`, `broadcast`,
/// `host` (address/prefix), `net` (a network only), and an integer (that host of the network,
/// as `address/prefix`). A list is filtered element by element.
fn ipaddr(v: Value, query: Option<Value>) -> Result<Value, Error> {
    if v.kind() == ValueKind::Seq {
        let out: Vec<Value> = v
            .try_iter()?
            .map(|i| ipaddr(i, query.clone()))
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .filter(|r| r.kind() != ValueKind::Bool || r.is_true())
            .collect();
        return Ok(Value::from(out));
    }
    let Some(text) = v.as_str() else {
        return Ok(Value::from(false));
    };
    let Some((addr, len)) = parse_net(text) else {
        return Ok(Value::from(false));
    };
    let v4 = addr.is_ipv4();
    let width: u32 = if v4 { 32 } else { 128 };
    let host_bits = width - u32::from(len);
    let mask: u128 = if host_bits >= 128 {
        0
    } else {
        (u128::MAX >> (128 - width)) & !((1u128 << host_bits) - 1)
    };
    let net = to_bits(addr) & mask;
    let size: u128 = if host_bits >= 128 {
        u128::MAX
    } else {
        1u128 << host_bits
    };
    let has_prefix = text.contains('/');
    Ok(match query {
        None => v,
        Some(q) if q.as_i64().is_some() => {
            let n = q.as_i64().unwrap_or(0);
            let index = if n < 0 {
                size.wrapping_sub(n.unsigned_abs().into())
            } else {
                n as u128
            };
            if index >= size {
                return Ok(Value::from(false));
            }
            Value::from(format!("{}/{len}", from_bits(v4, net + index)))
        }
        Some(q) => match q.as_str().unwrap_or_default() {
            "address" => Value::from(addr.to_string()),
            "network" => Value::from(from_bits(v4, net).to_string()),
            "netmask" => Value::from(from_bits(v4, mask).to_string()),
            "prefix" => Value::from(len),
            "broadcast" => Value::from(from_bits(v4, net + size - 1).to_string()),
            "host" => Value::from(format!("{addr}/{len}")),
            "net" if has_prefix && to_bits(addr) == net => Value::from(format!("{addr}/{len}")),
            "net" => Value::from(false),
            other => return Err(invalid(format!("unsupported ipaddr query `{other}`"))),
        },
    })
}

fn ipv4(v: Value, query: Option<Value>) -> Result<Value, Error> {
    family(v, query, true)
}

fn ipv6(v: Value, query: Option<Value>) -> Result<Value, Error> {
    family(v, query, false)
}

fn family(v: Value, query: Option<Value>, want_v4: bool) -> Result<Value, Error> {
    let keep = |x: &Value| {
        x.as_str()
            .and_then(parse_net)
            .is_some_and(|(a, _)| a.is_ipv4() == want_v4)
    };
    if v.kind() == ValueKind::Seq {
        let kept: Vec<Value> = v.try_iter()?.filter(keep).collect();
        return ipaddr(Value::from(kept), query);
    }
    if !keep(&v) {
        return Ok(Value::from(false));
    }
    ipaddr(v, query)
}

pub(super) fn register(env: &mut Environment<'static>) {
    env.add_filter("ipaddr", ipaddr);
    env.add_filter("ipv4", ipv4);
    env.add_filter("ipv6", ipv6);
}
