//! Grouped INI inventories: `[group]`, `host k=v`, `[group:vars]`, `[group:children]`.

use super::{Inventory, InventoryError, host_line, typed_value};

enum Section {
    Hosts(String),
    Vars(String),
    Children(String),
}

pub(super) fn parse(path: &str, text: &str) -> Result<Inventory, InventoryError> {
    let mut inv = Inventory::default();
    let mut section = Section::Hosts("ungrouped".into());
    let err = |line: usize, message: String| InventoryError {
        path: path.into(),
        line,
        message,
    };
    let mut child_refs: Vec<(usize, String)> = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let n = index + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(header) = line.strip_prefix('[') {
            let header = header
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
                let (name, vars) = host_line(line).map_err(|m| err(n, m))?;
                inv.add_host(&name).vars.extend(vars);
                if g != "ungrouped" {
                    inv.group_mut(g).hosts.insert(name);
                }
            }
            Section::Vars(g) => {
                let (k, v) = line
                    .split_once('=')
                    .ok_or_else(|| err(n, format!("`{line}` is not `name=value`")))?;
                inv.group_mut(g)
                    .vars
                    .insert(k.trim().to_string(), typed_value(v));
            }
            Section::Children(g) => {
                inv.group_mut(g).children.insert(line.to_string());
                child_refs.push((n, line.to_string()));
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
