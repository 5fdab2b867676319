//! Filters and functions beyond minijinja's builtins: shell quoting, CIDR arithmetic
//! (like Ansible's `ipaddr`), YAML/JSON, base64, regex, paths, environment lookup.

use std::net::Ipv4Addr;

use base64::Engine as _;
use minijinja::{Environment, Error, ErrorKind, Value};

fn invalid(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg.into())
}

/// Parses `a.b.c.d/len` into (network address as u32, prefix length).
pub fn parse_cidr(cidr: &str) -> Result<(u32, u32), Error> {
    let (addr, len) = cidr
        .split_once('/')
        .ok_or_else(|| invalid(format!("`{cidr}` is not a CIDR (a.b.c.d/len)")))?;
    let addr: Ipv4Addr = addr
        .parse()
        .map_err(|_| invalid(format!("`{addr}` is not an IPv4 address")))?;
    let len: u32 = len
        .parse()
        .ok()
        .filter(|l| *l <= 32)
        .ok_or_else(|| invalid(format!("`{len}` is not a prefix length (0-32)")))?;
    let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    Ok((u32::from(addr) & mask, len))
}

/// `"11.8.0.0/24" | cidr_host(5)` -> `"11.8.0.5"`; negative counts from the end.
fn cidr_host(cidr: &str, n: i64) -> Result<String, Error> {
    let (net, len) = parse_cidr(cidr)?;
    let size = 1i64 << (32 - len);
    let index = if n < 0 { size + n } else { n };
    if index < 0 || index >= size {
        return Err(invalid(format!("host {n} is outside {cidr}")));
    }
    let index = u32::try_from(index).map_err(|_| invalid("host index too large"))?;
    Ok(Ipv4Addr::from(net + index).to_string())
}

fn cidr_netmask(cidr: &str) -> Result<String, Error> {
    let (_, len) = parse_cidr(cidr)?;
    Ok(Ipv4Addr::from(if len == 0 { 0 } else { u32::MAX << (32 - len) }).to_string())
}

fn cidr_network(cidr: &str) -> Result<String, Error> {
    Ok(Ipv4Addr::from(parse_cidr(cidr)?.0).to_string())
}

fn cidr_prefix(cidr: &str) -> Result<u32, Error> {
    Ok(parse_cidr(cidr)?.1)
}

fn to_yaml(v: Value) -> Result<String, Error> {
    crate::yaml::to_string(&v).map_err(|e| invalid(format!("cannot write YAML: {e}")))
}

fn to_json(v: Value) -> Result<String, Error> {
    serde_json::to_string(&v).map_err(|e| invalid(format!("cannot write JSON: {e}")))
}

fn from_json(s: &str) -> Result<Value, Error> {
    serde_json::from_str::<Value>(s).map_err(|e| invalid(format!("invalid JSON: {e}")))
}

fn from_yaml(s: &str) -> Result<Value, Error> {
    crate::yaml::from_str::<Value>(s).map_err(|e| invalid(format!("invalid YAML: {e}")))
}

fn b64encode(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn b64decode(s: &str) -> Result<String, Error> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .map_err(|e| invalid(format!("invalid base64: {e}")))?;
    String::from_utf8(bytes).map_err(|_| invalid("base64 content is not UTF-8 text"))
}

fn regex_replace(s: &str, pattern: &str, replacement: &str) -> Result<String, Error> {
    let re = regex::Regex::new(pattern).map_err(|e| invalid(format!("invalid regex: {e}")))?;
    Ok(re.replace_all(s, replacement).into_owned())
}

fn regex_search(s: &str, pattern: &str) -> Result<Value, Error> {
    let re = regex::Regex::new(pattern).map_err(|e| invalid(format!("invalid regex: {e}")))?;
    Ok(re
        .find(s)
        .map_or(Value::from(()), |m| Value::from(m.as_str())))
}

fn basename(s: &str) -> String {
    s.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or("")
        .to_string()
}

fn dirname(s: &str) -> String {
    crate::shell::parent(s).to_string()
}

/// `[a, b] | product([x, y])` -> `[[a, x], [a, y], [b, x], [b, y]]`: nested loops as one list.
fn product(state: &minijinja::State, left: Value, right: Value) -> Result<Value, Error> {
    let rights: Vec<Value> = right.try_iter()?.collect();
    let lefts: Vec<Value> = left.try_iter()?.collect();
    // Paid for before it is built: two 10,000-item lists make 10^8 pairs (13 GB).
    let pairs = (lefts.len() as u64).saturating_mul(rights.len() as u64);
    state.consume_fuel(pairs.saturating_mul(2))?;
    let mut out = Vec::new();
    for l in lefts {
        for r in &rights {
            out.push(Value::from(vec![l.clone(), r.clone()]));
        }
    }
    Ok(Value::from(out))
}

/// The position of `item` in a list (an error if it is not there).
fn index_of(list: Value, item: Value) -> Result<usize, Error> {
    list.try_iter()?
        .position(|v| v == item)
        .ok_or_else(|| invalid(format!("`{item}` is not in the list")))
}

fn env_lookup(name: &str, default: Option<String>) -> Result<String, Error> {
    match (std::env::var(name), default) {
        (Ok(v), _) => Ok(v),
        (Err(_), Some(d)) => Ok(d),
        (Err(_), None) => Err(invalid(format!("environment variable `{name}` is not set"))),
    }
}

pub(super) fn register(env: &mut Environment<'static>) {
    env.add_filter("shell_quote", |s: &str| crate::shell::quote(s));
    env.add_filter("cidr_host", cidr_host);
    env.add_filter("cidr_netmask", cidr_netmask);
    env.add_filter("cidr_network", cidr_network);
    env.add_filter("cidr_prefix", cidr_prefix);
    env.add_filter("to_yaml", to_yaml);
    env.add_filter("to_json", to_json);
    env.add_filter("from_json", from_json);
    env.add_filter("from_yaml", from_yaml);
    env.add_filter("b64encode", b64encode);
    env.add_filter("b64decode", b64decode);
    env.add_filter("regex_replace", regex_replace);
    env.add_filter("regex_search", regex_search);
    env.add_filter("basename", basename);
    env.add_filter("dirname", dirname);
    env.add_filter("product", product);
    env.add_filter("index_of", index_of);
    env.add_function("env", env_lookup);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_arithmetic() {
        assert_eq!(cidr_host("11.8.0.0/24", 5).unwrap(), "11.8.0.5");
        assert_eq!(cidr_host("11.8.0.7/24", 1).unwrap(), "11.8.0.1");
        assert_eq!(cidr_host("11.8.0.0/24", -2).unwrap(), "11.8.0.254");
        assert!(cidr_host("11.8.0.0/24", 256).is_err());
        assert_eq!(cidr_netmask("11.8.1.0/24").unwrap(), "255.255.255.0");
        assert_eq!(cidr_prefix("10.0.0.0/8").unwrap(), 8);
        assert_eq!(cidr_network("11.8.1.9/24").unwrap(), "11.8.1.0");
        assert!(parse_cidr("11.8.0.0").is_err());
        assert!(parse_cidr("11.8.0.0/33").is_err());
    }

    #[test]
    fn product_and_index_of() {
        let t = crate::template::Templates::new();
        let ctx = Value::from(());
        let p = t.eval("['a', 'b'] | product([1, 2])", &ctx).unwrap();
        assert_eq!(p.to_string(), "[['a', 1], ['a', 2], ['b', 1], ['b', 2]]");
        assert_eq!(
            index_of(Value::from(vec!["x", "y"]), Value::from("y")).unwrap(),
            1
        );
        assert!(index_of(Value::from(vec!["x"]), Value::from("z")).is_err());
        let err = t
            .eval("range(10000) | product(range(10000)) | length", &ctx)
            .unwrap_err();
        assert!(err.message.contains("budget"), "{}", err.message);
    }
}
