//! `eov inventory`: hosts, groups and variables.

use std::fmt::Write as _;

use crate::inventory::Inventory;

pub fn render(inv: &Inventory, json: bool) -> String {
    if json {
        let hosts: serde_json::Map<String, serde_json::Value> = inv
            .hosts
            .keys()
            .map(|h| {
                let v = serde_json::json!({ "groups": inv.groups_of(h), "vars": inv.host_vars(h) });
                (h.clone(), v)
            })
            .collect();
        let groups: serde_json::Map<String, serde_json::Value> = inv
            .groups
            .iter()
            .map(|(name, g)| {
                let v = serde_json::json!({ "hosts": inv.group_hosts(name), "children": g.children, "vars": g.vars });
                (name.clone(), v)
            })
            .collect();
        let doc = serde_json::json!({ "hosts": hosts, "groups": groups });
        return serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n";
    }
    let mut s = String::from("HOSTS\n");
    for h in inv.hosts.keys() {
        let _ = writeln!(s, "  {h}  [{}]", inv.groups_of(h).join(", "));
        for (k, v) in inv.host_vars(h) {
            let _ = writeln!(
                s,
                "      {k} = {}",
                serde_json::to_string(&v).unwrap_or_default()
            );
        }
    }
    s.push_str("GROUPS\n");
    for (name, g) in &inv.groups {
        let _ = write!(s, "  {name}: {}", inv.group_hosts(name).join(", "));
        if !g.children.is_empty() {
            let _ = write!(
                s,
                "  (children: {})",
                g.children.iter().cloned().collect::<Vec<_>>().join(", ")
            );
        }
        s.push('\n');
    }
    s
}

/// `eov inventory --graph [GROUP]`: the tree of groups, as `ansible-inventory --graph` draws
/// it (child groups, then the group's own hosts, each sorted by name).
pub fn render_graph(inv: &Inventory, group: &str) -> Result<String, String> {
    if !inv.groups.contains_key(group) {
        return Err(format!("no group `{group}` in the inventory"));
    }
    let mut s = String::new();
    graph(inv, group, 0, &mut s);
    Ok(s)
}

fn graph(inv: &Inventory, group: &str, depth: usize, s: &mut String) {
    let prefix = |d: usize| {
        if d == 0 {
            String::new()
        } else {
            "  |".repeat(d) + "--"
        }
    };
    let _ = writeln!(s, "{}@{group}:", prefix(depth));
    let Some(g) = inv.groups.get(group) else {
        return;
    };
    let mut kids: Vec<&String> = if group == "all" {
        // `all` holds every group that no other group holds.
        inv.groups
            .keys()
            .filter(|k| *k != "all" && !inv.groups.values().any(|p| p.children.contains(*k)))
            .collect()
    } else {
        g.children.iter().collect()
    };
    kids.sort();
    for kid in kids {
        graph(inv, kid, depth + 1, s);
    }
    if group != "all" {
        let mut hosts: Vec<&String> = g.hosts.iter().collect();
        hosts.sort();
        for h in hosts {
            let _ = writeln!(s, "{}{h}", prefix(depth + 1));
        }
    }
}

/// `eov inventory --host NAME`: the host's variables after every layer is merged; in text,
/// each with where it was set. The JSON is the variables alone, as `ansible-inventory --host`.
pub fn render_host(inv: &Inventory, host: &str, json: bool) -> Result<String, String> {
    if !inv.hosts.contains_key(host) {
        return Err(format!("no host `{host}` in the inventory"));
    }
    let vars = inv.host_vars_sourced(host);
    if json {
        return Ok(serde_json::to_string_pretty(&vars).unwrap_or_default() + "\n");
    }
    let mut s = format!("{host}  [{}]\n", inv.groups_of(host).join(", "));
    let width = vars.keys().map(String::len).max().unwrap_or(0);
    for (k, v) in &vars {
        let value = serde_json::to_string(&v.value).unwrap_or_default();
        let _ = writeln!(s, "  {k:width$} = {value}    # {}", v.from);
    }
    Ok(s)
}
