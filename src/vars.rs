//! Variables: the layers a task sees, lowest first —
//! inventory < role defaults < play vars < role vars < block vars < task vars < facts
//! (`register`, `set_fact`, gathered) < role arguments < extra vars (`-e`) — plus `inventory_hostname`,
//! `groups`, `group_names`, `hostvars`, `play_hosts`, `eov_check_mode` and loop variables.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use indexmap::IndexMap;
use minijinja::Value;
use minijinja::value::{Enumerator, Object};

use crate::inventory::Inventory;

pub type VarMap = IndexMap<String, Value>;

pub fn to_value(map: &VarMap) -> Value {
    let m: IndexMap<Value, Value> = map
        .iter()
        .map(|(k, v)| (Value::from(k.as_str()), v.clone()))
        .collect();
    Value::from_object(m)
}

/// Facts set during the run, per host; read by every host through `hostvars`.
#[derive(Debug, Default)]
pub struct FactStore {
    hosts: RwLock<HashMap<String, VarMap>>,
}

impl FactStore {
    pub fn get(&self, host: &str) -> VarMap {
        self.hosts
            .read()
            .expect("fact store lock is never poisoned")
            .get(host)
            .cloned()
            .unwrap_or_default()
    }

    pub fn set(&self, host: &str, name: &str, value: Value) {
        self.hosts
            .write()
            .expect("fact store lock is never poisoned")
            .entry(host.to_string())
            .or_default()
            .insert(name.to_string(), value);
    }
}

/// `hostvars`: any host's inventory variables and facts, as they are when read.
#[derive(Debug)]
pub struct HostVars {
    pub inventory: Arc<Inventory>,
    pub facts: Arc<FactStore>,
}

impl Object for HostVars {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let host = key.as_str()?;
        let mut vars = if self.inventory.hosts.contains_key(host) {
            self.inventory.host_vars(host)
        } else if host == "localhost" {
            // The implicit controller, as in Ansible: what its plays registered and set.
            VarMap::default()
        } else {
            return None;
        };
        vars.extend(self.facts.get(host));
        vars.insert("inventory_hostname".into(), Value::from(host));
        Some(to_value(&vars))
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        let keys: Vec<Value> = self
            .inventory
            .hosts
            .keys()
            .map(|h| Value::from(h.as_str()))
            .collect();
        Enumerator::Values(keys)
    }
}
