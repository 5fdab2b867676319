//! Inventory: hosts, groups and their variables, from the original positional `current/hosts`
//! or from a grouped INI file (Ansible's common subset).

mod ini;
mod pattern;
mod positional;

use indexmap::{IndexMap, IndexSet};
use minijinja::Value;
use serde::Serialize;

pub use pattern::PatternError;

/// One host and its own variables.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Host {
    pub name: String,
    pub vars: IndexMap<String, Value>,
}

/// A group: its hosts, child groups and variables.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Group {
    pub hosts: IndexSet<String>,
    pub children: IndexSet<String>,
    pub vars: IndexMap<String, Value>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Inventory {
    pub hosts: IndexMap<String, Host>,
    pub groups: IndexMap<String, Group>,
}

/// A problem in an inventory file, with its line.
#[derive(Debug, thiserror::Error)]
#[error("{path}:{line}: {message}")]
pub struct InventoryError {
    pub path: String,
    pub line: usize,
    pub message: String,
}

impl Inventory {
    /// Parses an inventory file: grouped INI if it has a `[section]`, else positional.
    pub fn parse(path: &str, text: &str) -> Result<Inventory, InventoryError> {
        let grouped = text.lines().any(|l| l.trim_start().starts_with('['));
        let mut inv = if grouped {
            ini::parse(path, text)?
        } else {
            positional::parse(path, text)?
        };
        inv.finish();
        Ok(inv)
    }

    /// An inventory of just `localhost`, run through the local connection.
    pub fn localhost() -> Inventory {
        let mut inv = Inventory::default();
        inv.add_host("localhost");
        inv.finish();
        inv
    }

    pub(crate) fn add_host(&mut self, name: &str) -> &mut Host {
        self.hosts.entry(name.to_string()).or_insert_with(|| Host {
            name: name.to_string(),
            vars: IndexMap::new(),
        })
    }

    pub(crate) fn group_mut(&mut self, name: &str) -> &mut Group {
        self.groups.entry(name.to_string()).or_default()
    }

    /// Adds `all` (every host) and `ungrouped` (hosts in no other group).
    fn finish(&mut self) {
        let in_a_group: IndexSet<String> = self
            .groups
            .iter()
            .filter(|(n, _)| *n != "all")
            .flat_map(|(_, g)| g.hosts.iter().cloned())
            .collect();
        let ungrouped: IndexSet<String> = self
            .hosts
            .keys()
            .filter(|h| !in_a_group.contains(*h))
            .cloned()
            .collect();
        if !ungrouped.is_empty() {
            self.group_mut("ungrouped").hosts.extend(ungrouped);
        }
        let all: IndexSet<String> = self.hosts.keys().cloned().collect();
        self.group_mut("all").hosts = all;
    }

    /// Every host of a group, children included, in inventory order.
    pub fn group_hosts(&self, name: &str) -> Vec<String> {
        let mut seen = IndexSet::new();
        let mut out = IndexSet::new();
        self.collect(name, &mut seen, &mut out);
        self.hosts
            .keys()
            .filter(|h| out.contains(*h))
            .cloned()
            .collect()
    }

    fn collect(&self, name: &str, seen: &mut IndexSet<String>, out: &mut IndexSet<String>) {
        if !seen.insert(name.to_string()) {
            return;
        }
        if let Some(g) = self.groups.get(name) {
            out.extend(g.hosts.iter().cloned());
            for child in &g.children {
                self.collect(child, seen, out);
            }
        }
    }

    /// The groups a host belongs to (directly or through children), `all` excluded.
    pub fn groups_of(&self, host: &str) -> Vec<String> {
        self.groups
            .keys()
            .filter(|g| *g != "all" && self.group_hosts(g).iter().any(|h| h == host))
            .cloned()
            .collect()
    }

    /// A host's variables: `all` < groups (parents before children, in file order) < host.
    pub fn host_vars(&self, host: &str) -> IndexMap<String, Value> {
        let mut vars = IndexMap::new();
        if let Some(all) = self.groups.get("all") {
            vars.extend(all.vars.clone());
        }
        let mut groups = self.groups_of(host);
        groups.sort_by_key(|g| self.depth(g, 0));
        for g in groups {
            vars.extend(self.groups[&g].vars.clone());
        }
        if let Some(h) = self.hosts.get(host) {
            vars.extend(h.vars.clone());
        }
        vars
    }

    fn depth(&self, group: &str, level: usize) -> usize {
        if level > self.groups.len() {
            return level;
        }
        self.groups
            .iter()
            .filter(|(_, g)| g.children.contains(group))
            .map(|(parent, _)| self.depth(parent, level + 1))
            .max()
            .unwrap_or(level)
    }

    /// `groups` as seen from templates: group name -> list of host names.
    pub fn groups_value(&self) -> Value {
        let map: IndexMap<Value, Value> = self
            .groups
            .keys()
            .map(|g| {
                (
                    Value::from(g.as_str()),
                    self.group_hosts(g).into_iter().map(Value::from).collect(),
                )
            })
            .collect();
        Value::from_object(map)
    }

    /// Hosts matching a pattern (`all`, `web`, `a:b`, `a:&b`, `a:!b`, `web*`).
    pub fn select(&self, pattern: &str) -> Result<Vec<String>, PatternError> {
        pattern::select(self, pattern)
    }
}

/// An INI value as a typed value: integers, booleans, quoted strings.
pub(crate) fn typed_value(raw: &str) -> Value {
    let raw = raw.trim();
    for quote in ['"', '\''] {
        if let Some(inner) = raw.strip_prefix(quote).and_then(|r| r.strip_suffix(quote)) {
            return Value::from(inner);
        }
    }
    match raw {
        "true" | "True" => return Value::from(true),
        "false" | "False" => return Value::from(false),
        _ => {}
    }
    raw.parse::<i64>()
        .map_or_else(|_| Value::from(raw), Value::from)
}

/// Splits `name k=v k2='a b'` into the name and its variables.
pub(crate) fn host_line(line: &str) -> Result<(String, IndexMap<String, Value>), String> {
    let words = shlex::split(line).ok_or_else(|| "unbalanced quotes".to_string())?;
    let mut words = words.into_iter();
    let name = words.next().ok_or_else(|| "empty line".to_string())?;
    let mut vars = IndexMap::new();
    for w in words {
        let (k, v) = w
            .split_once('=')
            .ok_or_else(|| format!("`{w}` is not `name=value`"))?;
        vars.insert(k.to_string(), typed_value(v));
    }
    Ok((name, vars))
}
