//! The original `current/hosts`: one host per line. Line 1 is the OpenVPN and Enos node,
//! line 2 control, line 3 network, the rest computes.

use super::{Inventory, InventoryError, host_line};

pub(super) fn parse(path: &str, text: &str) -> Result<Inventory, InventoryError> {
    let mut inv = Inventory::default();
    let mut position = 0;
    for (index, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let from = format!("{path}:{}", index + 1);
        let (name, vars) = host_line(line, &from)
            .map_err(|message| InventoryError::new(path, Some(index + 1), message))?;
        if inv.hosts.contains_key(&name) {
            return Err(InventoryError::new(
                path,
                Some(index + 1),
                format!("host `{name}` is listed twice"),
            ));
        }
        inv.add_host(&name).vars.extend(vars);
        position += 1;
        let groups: &[&str] = match position {
            1 => &["openvpn", "enos"],
            2 => &["control"],
            3 => &["network"],
            _ => &["compute"],
        };
        for g in groups {
            inv.group_mut(g).hosts.insert(name.clone());
        }
    }
    Ok(inv)
}
