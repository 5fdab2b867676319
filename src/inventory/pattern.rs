//! Host patterns: `all`, a group or host name, globs (`web*`), and `:` (union), `:&`
//! (intersection), `:!` (exclusion), applied left to right as Ansible does.

use indexmap::IndexSet;

use super::Inventory;

#[derive(Debug, thiserror::Error)]
#[error("pattern `{pattern}`: no host or group matches `{part}`")]
pub struct PatternError {
    pub pattern: String,
    pub part: String,
}

fn glob_match(glob: &str, text: &str) -> bool {
    let re = format!(
        "^{}$",
        regex::escape(glob).replace(r"\*", ".*").replace(r"\?", ".")
    );
    regex::Regex::new(&re).is_ok_and(|r| r.is_match(text))
}

/// The host a pattern may name without the inventory listing it.
const IMPLICIT: &str = "localhost";

fn resolve(inv: &Inventory, part: &str) -> Option<IndexSet<String>> {
    if part == "all" || part == "*" {
        return Some(inv.hosts.keys().cloned().collect());
    }
    if inv.groups.contains_key(part) {
        return Some(inv.group_hosts(part).into_iter().collect());
    }
    if inv.hosts.contains_key(part) {
        return Some(std::iter::once(part.to_string()).collect());
    }
    if part == IMPLICIT {
        // The controller, as Ansible's implicit localhost: plays that talk to APIs (roles/g5k)
        // run whatever the inventory lists. It is in no group, so `all` never includes it.
        return Some(std::iter::once(part.to_string()).collect());
    }
    if part.contains(['*', '?']) {
        let mut out: IndexSet<String> = inv
            .hosts
            .keys()
            .filter(|h| glob_match(part, h))
            .cloned()
            .collect();
        for g in inv.groups.keys().filter(|g| glob_match(part, g)) {
            out.extend(inv.group_hosts(g));
        }
        return Some(out);
    }
    None
}

pub(super) fn select(inv: &Inventory, pattern: &str) -> Result<Vec<String>, PatternError> {
    let mut selected: IndexSet<String> = IndexSet::new();
    for raw in pattern
        .split([':', ','])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let (op, name) = match raw.as_bytes()[0] {
            b'&' => ('&', &raw[1..]),
            b'!' => ('!', &raw[1..]),
            _ => ('+', raw),
        };
        let hosts = resolve(inv, name).ok_or_else(|| PatternError {
            pattern: pattern.into(),
            part: name.into(),
        })?;
        match op {
            '&' => selected.retain(|h| hosts.contains(h)),
            '!' => selected.retain(|h| !hosts.contains(h)),
            _ => selected.extend(hosts),
        }
    }
    let mut hosts: Vec<String> = inv
        .hosts
        .keys()
        .filter(|h| selected.contains(*h))
        .cloned()
        .collect();
    if selected.contains(IMPLICIT) && !inv.hosts.contains_key(IMPLICIT) {
        hosts.push(IMPLICIT.to_string());
    }
    Ok(hosts)
}

#[cfg(test)]
mod tests {
    use super::super::Inventory;

    fn inv() -> Inventory {
        Inventory::parse("t", "[web]\nw1\nw2\n[db]\nd1\n[prod:children]\nweb\n").unwrap()
    }

    #[test]
    fn patterns() {
        let inv = inv();
        assert_eq!(inv.select("all").unwrap(), ["w1", "w2", "d1"]);
        assert_eq!(inv.select("web:db").unwrap(), ["w1", "w2", "d1"]);
        assert_eq!(inv.select("prod:!w2").unwrap(), ["w1"]);
        assert_eq!(inv.select("all:&web").unwrap(), ["w1", "w2"]);
        assert_eq!(inv.select("w*").unwrap(), ["w1", "w2"]);
        assert!(inv.select("nope").is_err());
    }

    #[test]
    fn localhost_is_implicit_and_in_no_group() {
        let inv = inv();
        assert_eq!(inv.select("localhost").unwrap(), ["localhost"]);
        assert_eq!(
            inv.select("web:localhost").unwrap(),
            ["w1", "w2", "localhost"]
        );
        assert!(
            !inv.select("all")
                .unwrap()
                .contains(&"localhost".to_string())
        );
    }
}
