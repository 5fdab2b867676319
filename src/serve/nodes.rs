//! What the server knows of the nodes it enrolled (`serve/nodes.json`): their state as the
//! last job on each left it. Changed only by jobs, which run one at a time.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::ServeError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeState {
    Joining,
    Up,
    Removing,
    Removed,
    Rejoining,
    /// The last job on the node failed or was interrupted.
    Failed,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NodeRecord {
    pub name: String,
    pub state: NodeState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ssh_public_key: Option<String>,
    pub last_job: String,
    pub updated: u64,
}

pub struct Nodes {
    path: PathBuf,
    records: Mutex<IndexMap<String, NodeRecord>>,
}

impl Nodes {
    pub fn load(serve_dir: &Path) -> Result<Nodes, ServeError> {
        let path = serve_dir.join("nodes.json");
        let records = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| ServeError::State(format!("{}: {e}", path.display())))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => IndexMap::new(),
            Err(e) => return Err(ServeError::io(&path, e)),
        };
        Ok(Nodes {
            path,
            records: Mutex::new(records),
        })
    }

    pub fn get(&self, name: &str) -> Option<NodeRecord> {
        self.records.lock().expect("nodes lock").get(name).cloned()
    }

    pub fn list(&self) -> Vec<NodeRecord> {
        self.records
            .lock()
            .expect("nodes lock")
            .values()
            .cloned()
            .collect()
    }

    /// Creates or updates a node and saves the file.
    pub fn update(
        &self,
        name: &str,
        f: impl FnOnce(&mut NodeRecord),
        job: &str,
    ) -> Result<(), ServeError> {
        let mut records = self.records.lock().expect("nodes lock");
        let record = records
            .entry(name.to_string())
            .or_insert_with(|| NodeRecord {
                name: name.to_string(),
                state: NodeState::Joining,
                address: None,
                ssh_public_key: None,
                last_job: job.to_string(),
                updated: 0,
            });
        f(record);
        record.last_job = job.to_string();
        record.updated = super::tokens::now();
        let json = serde_json::to_vec_pretty(&*records).expect("nodes serialize");
        crate::fsutil::write_atomic(&self.path, &json).map_err(|e| ServeError::io(&self.path, e))
    }
}

/// Where the compute plays keep the cloud's nodes, from the server's working directory.
pub const CLOUD_STATE: &str = "current/cloud/nodes.json";

/// The server's records with what the cloud's state says of each node (`alias`, `vpn_slot`,
/// `vpn_address` on the default management network 11.8.0.0/24 from .10, `member`), and the
/// cloud's other computes (added without the server) after them, with `state` from the cloud.
pub fn with_cloud(records: Vec<NodeRecord>, cloud: &Path) -> Vec<serde_json::Value> {
    let nodes: Vec<serde_json::Value> = std::fs::read(cloud)
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|v| v.get("nodes").and_then(|n| n.as_array()).cloned())
        .unwrap_or_default();
    let cloud_of = |name: &str| nodes.iter().find(|n| n["name"] == name);
    let enrich = |out: &mut serde_json::Value, n: &serde_json::Value| {
        out["alias"] = n["alias"].clone();
        out["member"] = n["member"].clone();
        out["vpn_slot"] = n["slot"].clone();
        if let Some(slot) = n["slot"].as_u64().filter(|s| *s < 245) {
            out["vpn_address"] = format!("11.8.0.{}", 10 + slot).into();
        }
    };
    let mut out: Vec<serde_json::Value> = Vec::new();
    for r in &records {
        let mut v = serde_json::to_value(r).unwrap_or_default();
        if let Some(n) = cloud_of(&r.name) {
            enrich(&mut v, n);
        }
        out.push(v);
    }
    for n in nodes.iter().filter(|n| n["role"] == "compute") {
        let name = n["name"].as_str().unwrap_or_default();
        if records.iter().any(|r| r.name == name) {
            continue;
        }
        let mut v = serde_json::json!({
            "name": name,
            "state": if n["member"] == true { "member" } else { "removed" },
        });
        enrich(&mut v, n);
        out.push(v);
    }
    out
}
