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
