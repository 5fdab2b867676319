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
