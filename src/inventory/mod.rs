//! Inventory: hosts, groups and their variables, in the formats Ansible users have: the
//! original positional `current/hosts`, grouped INI, YAML, executable (dynamic) inventories
//! and directories of them, with `group_vars/` and `host_vars/` beside them and beside the play.

mod dynamic;
mod ini;
mod literal;
mod load;
mod pattern;
mod positional;
mod range;
mod vars_dirs;
mod yaml;

use indexmap::{IndexMap, IndexSet};
use minijinja::Value;
use serde::Serialize;

pub use load::{Sources, dir_of};
pub use pattern::PatternError;

/// A variable's value and where it was set (`inv.ini:12`, `group_vars/web.yml`).
#[derive(Clone, Debug)]
pub struct Sourced {
    pub value: Value,
    pub from: String,
}

impl Serialize for Sourced {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(s)
    }
}

/// Variables by name, each with its origin.
pub type Vars = IndexMap<String, Sourced>;

/// One host and its own variables: from the inventory itself, from `host_vars/` beside the
/// inventory, and from `host_vars/` beside the play (Ansible's three layers, lowest first).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Host {
    pub name: String,
    pub vars: Vars,
    pub files: Vars,
    pub play_files: Vars,
}

/// A group: its hosts, child groups and variables (same three layers as a host's).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Group {
    pub hosts: IndexSet<String>,
    pub children: IndexSet<String>,
    pub vars: Vars,
    pub files: Vars,
    pub play_files: Vars,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Inventory {
    pub hosts: IndexMap<String, Host>,
    pub groups: IndexMap<String, Group>,
}

/// A problem in an inventory source, with its line where there is one.
#[derive(Debug, thiserror::Error)]
#[error("{path}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct InventoryError {
    pub path: String,
    pub line: Option<usize>,
    pub message: String,
}

impl InventoryError {
    pub(crate) fn new(path: &str, line: Option<usize>, message: impl Into<String>) -> Self {
        InventoryError {
            path: path.into(),
            line,
            message: message.into(),
        }
    }
}

impl Inventory {
    /// Parses an inventory text: YAML for a `.yml`/`.yaml`/`.json` file or a text that reads
    /// as YAML, grouped INI if it has a `[section]`, else the positional layout.
    pub fn parse(path: &str, text: &str) -> Result<Inventory, InventoryError> {
        let mut inv = Self::parse_unfinished(path, text)?;
        inv.finish(path)?;
        Ok(inv)
    }

    fn parse_unfinished(path: &str, text: &str) -> Result<Inventory, InventoryError> {
        if yaml::looks_like(path, text) {
            return yaml::parse(path, text);
        }
        let grouped = text.lines().any(|l| l.trim_start().starts_with('['));
        if grouped {
            ini::parse(path, text)
        } else {
            positional::parse(path, text)
        }
    }

    /// Refuses an `eov_port` / `ansible_port` that is not a port (1-65535), where it was set;
    /// a template is left to the run.
    pub(crate) fn check_ports(&self) -> Result<(), InventoryError> {
        let layers = self
            .hosts
            .values()
            .flat_map(|h| [&h.vars, &h.files, &h.play_files])
            .chain(
                self.groups
                    .values()
                    .flat_map(|g| [&g.vars, &g.files, &g.play_files]),
            );
        for vars in layers {
            for key in ["eov_port", "ansible_port"] {
                let Some(s) = vars.get(key) else { continue };
                let text = s.value.as_str().map(str::trim);
                if text.is_some_and(|t| t.contains("{{")) {
                    continue;
                }
                let port = s
                    .value
                    .as_i64()
                    .or_else(|| text.and_then(|t| t.parse().ok()));
                if port.is_none_or(|p| !(1..=65535).contains(&p)) {
                    let (path, line) = match s.from.rsplit_once(':') {
                        Some((p, l)) if l.parse::<usize>().is_ok() => (p, l.parse().ok()),
                        _ => (s.from.as_str(), None),
                    };
                    return Err(InventoryError::new(
                        path,
                        line,
                        format!("{key} = {}: not a port (1-65535)", s.value),
                    ));
                }
            }
        }
        Ok(())
    }

    /// An inventory of just `localhost`, run through the local connection.
    pub fn localhost() -> Inventory {
        let mut inv = Inventory::default();
        inv.add_host("localhost");
        let _ = inv.finish("localhost");
        inv
    }

    pub(crate) fn add_host(&mut self, name: &str) -> &mut Host {
        self.hosts.entry(name.to_string()).or_insert_with(|| Host {
            name: name.to_string(),
            ..Host::default()
        })
    }

    pub(crate) fn group_mut(&mut self, name: &str) -> &mut Group {
        self.groups.entry(name.to_string()).or_default()
    }

    /// Adds another source's hosts, groups and variables; its variables win on a tie.
    pub(crate) fn merge(&mut self, other: Inventory) {
        for (name, h) in other.hosts {
            let host = self.add_host(&name);
            host.vars.extend(h.vars);
            host.files.extend(h.files);
            host.play_files.extend(h.play_files);
        }
        for (name, g) in other.groups {
            let group = self.group_mut(&name);
            group.hosts.extend(g.hosts);
            group.children.extend(g.children);
            group.vars.extend(g.vars);
            group.files.extend(g.files);
            group.play_files.extend(g.play_files);
        }
    }

    /// Refuses a cycle in `children`; sets `all` (every host) and `ungrouped` (hosts in no
    /// other group).
    pub(crate) fn finish(&mut self, path: &str) -> Result<(), InventoryError> {
        if let Some(cycle) = self.cycle() {
            return Err(InventoryError::new(
                path,
                None,
                format!(
                    "groups form a cycle through `children`: {}",
                    cycle.join(" -> ")
                ),
            ));
        }
        if let Some(g) = self.groups.get("all").filter(|g| !g.children.is_empty()) {
            // `all` contains every group anyway; its `children` only name groups.
            let kids: Vec<String> = g.children.iter().cloned().collect();
            for k in kids {
                self.group_mut(&k);
            }
            self.group_mut("all").children.clear();
        }
        let in_a_group: IndexSet<String> = self
            .groups
            .iter()
            .filter(|(n, _)| *n != "all" && *n != "ungrouped")
            .flat_map(|(_, g)| g.hosts.iter().cloned())
            .collect();
        let ungrouped: IndexSet<String> = self
            .hosts
            .keys()
            .filter(|h| !in_a_group.contains(*h))
            .cloned()
            .collect();
        if !ungrouped.is_empty() || self.groups.contains_key("ungrouped") {
            self.group_mut("ungrouped").hosts = ungrouped;
        }
        let all: IndexSet<String> = self.hosts.keys().cloned().collect();
        self.group_mut("all").hosts = all;
        Ok(())
    }

    /// A path through `children` that comes back to its start, if there is one.
    fn cycle(&self) -> Option<Vec<String>> {
        fn visit(
            inv: &Inventory,
            g: &str,
            path: &mut Vec<String>,
            done: &mut IndexSet<String>,
        ) -> Option<Vec<String>> {
            if let Some(at) = path.iter().position(|p| p == g) {
                let mut cycle = path[at..].to_vec();
                cycle.push(g.to_string());
                return Some(cycle);
            }
            if done.contains(g) {
                return None;
            }
            path.push(g.to_string());
            for child in inv.groups.get(g).map(|g| &g.children).into_iter().flatten() {
                if let Some(c) = visit(inv, child, path, done) {
                    return Some(c);
                }
            }
            path.pop();
            done.insert(g.to_string());
            None
        }
        let mut done = IndexSet::new();
        self.groups
            .keys()
            .find_map(|g| visit(self, g, &mut Vec::new(), &mut done))
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

    /// A host's variables, each with its origin, in Ansible's order (a later layer wins):
    /// the inventory's own group vars (`all`, then groups, parents before children) <
    /// `group_vars/all` beside the inventory < beside the play < `group_vars/GROUP` beside the
    /// inventory < beside the play < the inventory's host vars < `host_vars/HOST` beside the
    /// inventory < beside the play.
    pub fn host_vars_sourced(&self, host: &str) -> Vars {
        let mut groups = self.groups_of(host);
        groups.sort_by_key(|g| self.depth(g, 0));
        let groups: Vec<&Group> = groups.iter().map(|g| &self.groups[g]).collect();
        let all = self.groups.get("all");
        let mut vars = Vars::new();
        let mut layer = |v: &Vars| vars.extend(v.iter().map(|(k, s)| (k.clone(), s.clone())));
        all.into_iter().for_each(|g| layer(&g.vars));
        groups.iter().for_each(|g| layer(&g.vars));
        all.into_iter().for_each(|g| layer(&g.files));
        all.into_iter().for_each(|g| layer(&g.play_files));
        groups.iter().for_each(|g| layer(&g.files));
        groups.iter().for_each(|g| layer(&g.play_files));
        if let Some(h) = self.hosts.get(host) {
            layer(&h.vars);
            layer(&h.files);
            layer(&h.play_files);
        }
        vars
    }

    /// A host's variables (see [`Inventory::host_vars_sourced`] for the order).
    pub fn host_vars(&self, host: &str) -> IndexMap<String, Value> {
        self.host_vars_sourced(host)
            .into_iter()
            .map(|(k, s)| (k, s.value))
            .collect()
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

/// A value typed as Ansible types INI values (see `literal.rs`); also used for `-e name=value`.
pub(crate) fn typed_value(raw: &str) -> Value {
    literal::typed(raw)
}

/// serde-saphyr's message (line, column and a snippet), naming the file instead of `<input>`.
pub(crate) fn yaml_error(path: &str, e: &serde_saphyr::Error) -> String {
    let text = e.to_string().replace("<input>", path);
    text.strip_prefix("error: ").unwrap_or(&text).to_string()
}

/// Plain variables as variables set in `from`.
pub(crate) fn sourced(vars: IndexMap<String, Value>, from: &str) -> Vars {
    vars.into_iter()
        .map(|(k, value)| {
            let from = from.to_string();
            (k, Sourced { value, from })
        })
        .collect()
}

/// A group or host name as Ansible accepts it: no blanks, no `:`, `[` or `]`... except that a
/// host name may carry a range, which is expanded before this check.
pub(crate) fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, ':' | '[' | ']' | ',' | '='))
}

/// Splits `name k=v k2='a b'  # comment` into the name and its (typed) variables.
pub(crate) fn host_line(line: &str, from: &str) -> Result<(String, Vars), String> {
    let line = strip_comment(line);
    let words = shlex::split(line).ok_or_else(|| "unbalanced quotes".to_string())?;
    let mut words = words.into_iter();
    let name = words.next().ok_or_else(|| "empty line".to_string())?;
    let mut vars = Vars::new();
    for w in words {
        let (k, v) = w
            .split_once('=')
            .ok_or_else(|| format!("`{w}` is not `name=value`"))?;
        vars.insert(
            k.to_string(),
            Sourced {
                value: typed_value(v),
                from: from.to_string(),
            },
        );
    }
    Ok((name, vars))
}

/// Drops a `#` comment that starts a word outside quotes (as Python's shlex with comments).
fn strip_comment(line: &str) -> &str {
    let mut quote = None;
    let mut prev_blank = true;
    for (at, c) in line.char_indices() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '#') if prev_blank => return &line[..at],
            _ => {}
        }
        prev_blank = c.is_whitespace();
    }
    line
}
