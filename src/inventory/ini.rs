//! Grouped INI inventories: `[group]`, `host k=v`, `[group:vars]`, `[group:children]`, host
//! ranges (`web[01:20]`) and `host:port`. Values are typed as Ansible types them.

use super::{Inventory, InventoryError, Sourced, host_line, range, typed_value, valid_name};

enum Section {
    Hosts(String),
    Vars(String),
    Children(String),
}

pub(super) fn parse(path: &str, text: &str) -> Result<Inventory, InventoryError> {
    let mut inv = Inventory::default();
    let mut section = Section::Hosts("ungrouped".into());
    let err = |line: usize, message: String| InventoryError::new(path, Some(line), message);
    let mut child_refs: Vec<(usize, String)> = Vec::new();
    // (group, host) -> the line that listed it first.
    let mut listed: std::collections::HashMap<(String, String), usize> =
        std::collections::HashMap::new();
    for (index, raw) in text.lines().enumerate() {
        let n = index + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(header) = line.strip_prefix('[') {
            let header = super::strip_comment(header)
                .trim_end()
                .strip_suffix(']')
                .ok_or_else(|| err(n, format!("`{line}` lacks a closing `]`")))?
                .trim();
            section = match header.split_once(':') {
                None => Section::Hosts(header.into()),
                Some((g, "vars")) => Section::Vars(g.into()),
                Some((g, "children")) => Section::Children(g.into()),
                Some((_, other)) => {
                    return Err(err(
                        n,
                        format!("unknown section kind `:{other}` (use `:vars` or `:children`)"),
                    ));
                }
            };
            let (Section::Hosts(g) | Section::Vars(g) | Section::Children(g)) = &section;
            if g.is_empty()
                || !g
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return Err(err(n, format!("`{g}` is not a group name")));
            }
            inv.group_mut(g);
            continue;
        }
        match &section {
            Section::Hosts(g) => {
                let from = format!("{path}:{n}");
                let (pattern, mut vars) = host_line(line, &from).map_err(|m| err(n, m))?;
                let (pattern, port) = split_port(&pattern);
                if let Some(port) = port {
                    let value = port.parse::<i64>().map_err(|_| {
                        err(n, format!("`{pattern}:{port}`: the port is not a number"))
                    })?;
                    if !(1..=65535).contains(&value) {
                        return Err(err(
                            n,
                            format!("`{pattern}:{port}`: the port is out of range (1-65535)"),
                        ));
                    }
                    vars.insert(
                        "eov_port".into(),
                        Sourced {
                            value: value.into(),
                            from: from.clone(),
                        },
                    );
                }
                for name in range::expand(pattern).map_err(|m| err(n, m))? {
                    if !valid_name(&name) {
                        return Err(err(n, format!("`{name}` is not a host name")));
                    }
                    if let Some(first) = listed.insert((g.clone(), name.clone()), n) {
                        return Err(err(
                            n,
                            format!(
                                "host `{name}` is listed twice in `[{g}]` (first at line {first})"
                            ),
                        ));
                    }
                    inv.add_host(&name).vars.extend(vars.clone());
                    if g != "ungrouped" {
                        inv.group_mut(g).hosts.insert(name);
                    }
                }
            }
            Section::Vars(g) => {
                let (k, v) = line
                    .split_once('=')
                    .ok_or_else(|| err(n, format!("`{line}` is not `name=value`")))?;
                inv.group_mut(g).vars.insert(
                    k.trim().to_string(),
                    Sourced {
                        value: typed_value(v),
                        from: format!("{path}:{n}"),
                    },
                );
            }
            Section::Children(g) => {
                let child = super::strip_comment(line).trim().to_string();
                inv.group_mut(g).children.insert(child.clone());
                child_refs.push((n, child));
            }
        }
    }
    for (n, child) in child_refs {
        if !inv.groups.contains_key(&child) {
            return Err(err(n, format!("child group `{child}` is not defined")));
        }
    }
    Ok(inv)
}

/// `host:2222` -> (`host`, Some(`2222`)); an IPv6 address (several `:`) is left whole.
fn split_port(pattern: &str) -> (&str, Option<&str>) {
    match pattern.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') && !host.contains('[') || host.ends_with(']') => {
            (host, Some(port))
        }
        _ => (pattern, None),
    }
}
