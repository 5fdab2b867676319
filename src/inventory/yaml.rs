//! YAML inventories in Ansible's format: top-level groups (usually `all`), each with `hosts`
//! (name -> variables or nothing; ranges allowed), `vars` and `children` (nested groups).
//! A JSON file is read the same way (JSON is YAML).

use indexmap::IndexMap;
use minijinja::Value;
use serde::Deserialize;

use super::{Inventory, InventoryError, range, sourced, valid_name, yaml_error};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct YamlGroup {
    #[serde(default)]
    hosts: Option<IndexMap<String, Option<IndexMap<String, Value>>>>,
    #[serde(default)]
    vars: Option<IndexMap<String, Value>>,
    #[serde(default)]
    children: Option<IndexMap<String, Option<YamlGroup>>>,
}

/// True for a `.yml`, `.yaml` or `.json` file, or a text whose first line is `---` or a
/// `name:` key (INI and positional lines never end with `:`).
pub(super) fn looks_like(path: &str, text: &str) -> bool {
    if [".yml", ".yaml", ".json"].iter().any(|e| path.ends_with(e)) {
        return true;
    }
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'));
    first
        .is_some_and(|l| l == "---" || l.starts_with('{') || (l.ends_with(':') && !l.contains(' ')))
}

pub(super) fn parse(path: &str, text: &str) -> Result<Inventory, InventoryError> {
    let doc: Option<IndexMap<String, Option<YamlGroup>>> = crate::yaml::from_str(text)
        .map_err(|e| InventoryError::new(path, None, yaml_error(path, &e)))?;
    let mut inv = Inventory::default();
    for (name, group) in doc.unwrap_or_default() {
        add_group(&mut inv, path, &name, group.unwrap_or_default())?;
    }
    Ok(inv)
}

fn add_group(
    inv: &mut Inventory,
    path: &str,
    name: &str,
    group: YamlGroup,
) -> Result<(), InventoryError> {
    let err = |m: String| InventoryError::new(path, None, m);
    if !valid_name(name) {
        return Err(err(format!("`{name}` is not a group name")));
    }
    let from = format!("{path}, group {name}");
    inv.group_mut(name)
        .vars
        .extend(sourced(group.vars.unwrap_or_default(), &from));
    for (pattern, vars) in group.hosts.unwrap_or_default() {
        for host in range::expand(&pattern).map_err(err)? {
            if !valid_name(&host) {
                return Err(err(format!("`{host}` is not a host name")));
            }
            let from = format!("{path}, host {host}");
            let vars = sourced(vars.clone().unwrap_or_default(), &from);
            inv.add_host(&host).vars.extend(vars);
            if name != "all" {
                inv.group_mut(name).hosts.insert(host);
            }
        }
    }
    for (child, sub) in group.children.unwrap_or_default() {
        inv.group_mut(name).children.insert(child.clone());
        add_group(inv, path, &child, sub.unwrap_or_default())?;
    }
    Ok(())
}
