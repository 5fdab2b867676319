//! One connection per host for the whole run, opened on first use.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::Mutex;

use crate::connection::{Connection, ConnectionError, Local};
use crate::inventory::Inventory;

/// Names that mean "the controller itself" in `delegate_to`.
pub const CONTROLLER: &[&str] = &["localhost", "127.0.0.1", "controller"];

pub struct Connections {
    inventory: Arc<Inventory>,
    open: Mutex<HashMap<String, Arc<Connection>>>,
}

impl Connections {
    pub fn new(inventory: Arc<Inventory>) -> Self {
        Connections {
            inventory,
            open: Mutex::new(HashMap::new()),
        }
    }

    /// The connection to `host`, opened if needed.
    pub async fn get(&self, host: &str) -> Result<Arc<Connection>, ConnectionError> {
        let mut open = self.open.lock().await;
        if let Some(c) = open.get(host) {
            return Ok(c.clone());
        }
        let conn = Arc::new(self.connect(host)?);
        open.insert(host.to_string(), conn.clone());
        Ok(conn)
    }

    fn connect(&self, host: &str) -> Result<Connection, ConnectionError> {
        let vars = self.inventory.host_vars(host);
        let kind = vars
            .get("eov_connection")
            .or_else(|| vars.get("ansible_connection"))
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_else(|| {
                if CONTROLLER.contains(&host) {
                    "local".into()
                } else {
                    "ssh".into()
                }
            });
        match kind.as_str() {
            "local" => Ok(Connection::Local(Local::new(host))),
            other => Err(ConnectionError::Unreachable {
                host: host.to_string(),
                reason: format!(
                    "connection type `{other}` is not available in this version of eov (only `local`); set `eov_connection=local` for hosts that are this machine"
                ),
            }),
        }
    }
}
