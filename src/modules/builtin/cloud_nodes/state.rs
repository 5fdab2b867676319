//! The cloud's nodes (`current/cloud/nodes.json`): which machine is which alias and VPN slot,
//! whether it is in the cloud now. A node keeps its alias and slot forever, so one that leaves
//! and comes back gets the same names and addresses; every derived inventory is rendered from
//! this. Pure data and edits: reading, locking and writing are in `store.rs`.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

pub const VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CloudState {
    pub version: u32,
    /// `packages` or `kolla`: how computes are deployed.
    pub backend: String,
    pub nodes: Vec<Node>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Node {
    pub name: String,
    pub role: Role,
    /// `compute-node3`, `control-node`, ...: the name Enos and Kolla know it by.
    pub alias: String,
    /// Position in the OpenVPN address book: its address in every VPN network is
    /// `first_host + slot`. None for the OpenVPN server.
    pub slot: Option<usize>,
    /// In the cloud now (false once removed: alias and slot stay reserved).
    pub member: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fqdn: Option<String>,
    /// How eov reaches it (`eov_*`/`ansible_*` inventory variables), for the derived inventory.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub vars: IndexMap<String, serde_json::Value>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Openvpn,
    Control,
    Network,
    Compute,
    /// On the VPN only (in the address book, not part of OpenStack).
    Vpn,
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Role::Openvpn => "the OpenVPN server",
            Role::Control => "the control node",
            Role::Network => "the network node",
            Role::Compute => "a compute",
            Role::Vpn => "a VPN node",
        }
    }
}

/// What the inventory says the cloud is, used once, when there is no state yet.
#[derive(Debug, Default)]
pub struct Seed {
    pub backend: String,
    /// Group name -> hosts (`openvpn`, `control`, `network`, `compute`).
    pub groups: IndexMap<String, Vec<String>>,
    /// The OpenVPN address book (node names; a node's position is its slot).
    pub book: Vec<String>,
    /// Host name -> its inventory variables.
    pub hosts: IndexMap<String, IndexMap<String, serde_json::Value>>,
}

/// What a play asks of the state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Read,
    Add,
    Remove,
    Rejoin,
}

/// One edit: the node, how it is reached and named.
#[derive(Debug, Default)]
pub struct Request {
    pub node: String,
    pub vars: IndexMap<String, serde_json::Value>,
    pub hostname: Option<String>,
    pub fqdn: Option<String>,
}

/// Refused edits: said before anything changes.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum StateError {
    #[error(
        "node name `{0}` is not a host name (letters, digits, `-`, `_` and `.`, starting with a letter or digit, at most 253 characters)"
    )]
    BadName(String),
    #[error("`{name}` is {role} of the cloud, not a compute: it cannot be {what}")]
    NotCompute {
        name: String,
        role: &'static str,
        what: &'static str,
    },
    #[error(
        "`{name}` left the cloud (it was {alias}): bring it back with plays/rejoin_compute.eov -e node={name}"
    )]
    UseRejoin { name: String, alias: String },
    #[error(
        "`{name}` is already {alias} of the cloud, reached at {known}; this run reaches it at {given}: remove it first, or use another name"
    )]
    OtherMachine {
        name: String,
        alias: String,
        known: String,
        given: String,
    },
    #[error("`{name}` is not a node of the cloud (computes: {known})")]
    Unknown { name: String, known: String },
}

/// Inventory variables worth keeping to reach a node again.
pub fn connection_vars(
    vars: &IndexMap<String, serde_json::Value>,
) -> IndexMap<String, serde_json::Value> {
    vars.iter()
        .filter(|(k, v)| {
            (k.starts_with("eov_") || k.starts_with("ansible_")) && !k.ends_with("password") && {
                // Scalars only: facts (`ansible_default_ipv4`, ...) are not how to reach it.
                matches!(
                    v,
                    serde_json::Value::String(_)
                        | serde_json::Value::Number(_)
                        | serde_json::Value::Bool(_)
                )
            }
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        && !name.contains("..")
}

impl CloudState {
    /// The state the inventory describes: the address book's nodes keep their slots, the
    /// OpenVPN server has none, computes are numbered in inventory order.
    pub fn seed(seed: &Seed) -> CloudState {
        let group = |g: &str| seed.groups.get(g).cloned().unwrap_or_default();
        let (openvpn, control, network, compute) = (
            group("openvpn"),
            group("control"),
            group("network"),
            group("compute"),
        );
        let role_of = |name: &str| {
            if openvpn.iter().any(|h| h == name) {
                Role::Openvpn
            } else if control.iter().any(|h| h == name) {
                Role::Control
            } else if network.iter().any(|h| h == name) {
                Role::Network
            } else if compute.iter().any(|h| h == name) {
                Role::Compute
            } else {
                Role::Vpn
            }
        };
        let mut state = CloudState {
            version: VERSION,
            backend: if seed.backend.is_empty() {
                "packages".into()
            } else {
                seed.backend.clone()
            },
            nodes: Vec::new(),
        };
        let mut names: Vec<String> = openvpn.iter().take(1).cloned().collect();
        names.extend(seed.book.iter().cloned());
        names.extend(control.iter().chain(&network).chain(&compute).cloned());
        for name in names {
            if state.find(&name).is_some() {
                continue;
            }
            let role = role_of(&name);
            let slot = match role {
                Role::Openvpn => None,
                _ => Some(state.next_slot_for(&name, &seed.book)),
            };
            let vars = seed
                .hosts
                .get(&name)
                .map(connection_vars)
                .unwrap_or_default();
            let alias = state.alias_for(role, &name);
            state.nodes.push(Node {
                name,
                role,
                alias,
                slot,
                member: true,
                hostname: None,
                fqdn: None,
                vars,
            });
        }
        state
    }

    pub fn find(&self, name: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.name == name)
    }

    fn next_slot_for(&self, name: &str, book: &[String]) -> usize {
        if let Some(i) = book.iter().position(|b| b == name) {
            return i;
        }
        let used = self.nodes.iter().filter_map(|n| n.slot).max();
        used.map_or(0, |m| m + 1).max(book.len())
    }

    fn alias_for(&self, role: Role, name: &str) -> String {
        match role {
            Role::Openvpn => "openvpn-node".into(),
            Role::Control => "control-node".into(),
            Role::Network => "network-node".into(),
            Role::Vpn => name.to_string(),
            Role::Compute => {
                let n = self
                    .nodes
                    .iter()
                    .filter_map(|n| n.alias.strip_prefix("compute-node"))
                    .filter_map(|k| k.parse::<usize>().ok())
                    .max()
                    .unwrap_or(0);
                format!("compute-node{}", n + 1)
            }
        }
    }

    /// Applies `action` for `req`; `book` is the address book as it is on disk (a node
    /// already in it keeps its slot). Returns a message saying what it did or why nothing.
    pub fn apply(
        &mut self,
        action: Action,
        req: &Request,
        book: &[String],
    ) -> Result<String, StateError> {
        if action == Action::Read {
            return Ok(format!("{} node(s)", self.nodes.len()));
        }
        if !valid_name(&req.node) {
            return Err(StateError::BadName(req.node.clone()));
        }
        let known_computes = || {
            let names: Vec<&str> = self
                .nodes
                .iter()
                .filter(|n| n.role == Role::Compute)
                .map(|n| n.name.as_str())
                .collect();
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        };
        let index = self.nodes.iter().position(|n| n.name == req.node);
        if let Some(i) = index {
            let node = &self.nodes[i];
            if node.role != Role::Compute && node.role != Role::Vpn {
                return Err(StateError::NotCompute {
                    name: node.name.clone(),
                    role: node.role.as_str(),
                    what: match action {
                        Action::Add => "added",
                        Action::Remove => "removed",
                        _ => "rejoined",
                    },
                });
            }
        }
        match (action, index) {
            (Action::Add, None) => {
                let slot = self.next_slot_for(&req.node, book);
                let alias = self.alias_for(Role::Compute, &req.node);
                self.nodes.push(Node {
                    name: req.node.clone(),
                    role: Role::Compute,
                    alias: alias.clone(),
                    slot: Some(slot),
                    member: true,
                    hostname: req.hostname.clone(),
                    fqdn: req.fqdn.clone(),
                    vars: connection_vars(&req.vars),
                });
                Ok(format!("{} added as {alias}", req.node))
            }
            (Action::Add, Some(i)) if self.nodes[i].role == Role::Vpn => {
                // A VPN node becomes a compute: it keeps its slot (its addresses).
                let alias = self.alias_for(Role::Compute, &req.node);
                let node = &mut self.nodes[i];
                node.role = Role::Compute;
                node.alias = alias.clone();
                node.member = true;
                node.refresh(req);
                Ok(format!("{} (a VPN node) added as {alias}", req.node))
            }
            (Action::Add, Some(i)) => {
                let node = &self.nodes[i];
                if !node.member {
                    return Err(StateError::UseRejoin {
                        name: node.name.clone(),
                        alias: node.alias.clone(),
                    });
                }
                let known = node.address();
                let given = address_of(&connection_vars(&req.vars));
                if let (Some(known), Some(given)) = (known, given)
                    && known != given
                {
                    return Err(StateError::OtherMachine {
                        name: node.name.clone(),
                        alias: node.alias.clone(),
                        known,
                        given,
                    });
                }
                let alias = node.alias.clone();
                self.nodes[i].refresh(req);
                Ok(format!("{} is already {alias}: nothing to add", req.node))
            }
            (Action::Remove | Action::Rejoin, None) => Err(StateError::Unknown {
                name: req.node.clone(),
                known: known_computes(),
            }),
            (Action::Remove | Action::Rejoin, Some(i)) if self.nodes[i].role == Role::Vpn => {
                Err(StateError::Unknown {
                    name: req.node.clone(),
                    known: known_computes(),
                })
            }
            (Action::Remove, Some(i)) => {
                let node = &mut self.nodes[i];
                if !node.member {
                    return Ok(format!("{} ({}) already left", node.name, node.alias));
                }
                node.member = false;
                Ok(format!(
                    "{} removed; {} stays reserved for it",
                    node.name, node.alias
                ))
            }
            (Action::Rejoin, Some(i)) => {
                let node = &mut self.nodes[i];
                let back = !node.member;
                node.member = true;
                node.refresh(req);
                Ok(if back {
                    format!("{} back as {}", node.name, node.alias)
                } else {
                    format!("{} is in the cloud as {}", node.name, node.alias)
                })
            }
            (Action::Read, _) => unreachable!("handled above"),
        }
    }
}

impl Node {
    /// Where eov reaches it, if recorded.
    pub fn address(&self) -> Option<String> {
        address_of(&self.vars)
    }

    /// Keeps what a run learnt of the node (names, how to reach it); never its alias or slot.
    fn refresh(&mut self, req: &Request) {
        if req.hostname.is_some() {
            self.hostname = req.hostname.clone();
        }
        if req.fqdn.is_some() {
            self.fqdn = req.fqdn.clone();
        }
        let vars = connection_vars(&req.vars);
        if !vars.is_empty() {
            self.vars = vars;
        }
    }
}

fn address_of(vars: &IndexMap<String, serde_json::Value>) -> Option<String> {
    ["eov_host", "ansible_host"]
        .iter()
        .find_map(|k| vars.get(*k))
        .map(|v| match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        })
}
