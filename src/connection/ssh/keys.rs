//! Private key files, read (and decrypted: bcrypt with a passphrase costs ~0.1 s) once per
//! run for all the hosts that use them. The cache belongs to one run, so a key fixed on disk
//! is read again by the next run of a long-lived process (`eov serve`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use russh::keys::PrivateKey;

type Cell = Arc<tokio::sync::OnceCell<Result<Arc<PrivateKey>, String>>>;

#[derive(Default)]
pub struct KeyCache {
    /// The passphrase of encrypted key files, if one was given.
    passphrase: Option<Arc<str>>,
    keys: Mutex<HashMap<PathBuf, Cell>>,
}

impl std::fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyCache")
    }
}

impl KeyCache {
    pub fn new(passphrase: Option<Arc<str>>) -> Self {
        KeyCache {
            passphrase,
            keys: Mutex::default(),
        }
    }

    /// The key in `path`, read on first use.
    pub async fn load(&self, path: &Path) -> Result<Arc<PrivateKey>, String> {
        let cell = self
            .keys
            .lock()
            .expect("the key cache lock is never poisoned")
            .entry(path.to_path_buf())
            .or_default()
            .clone();
        cell.get_or_init(|| async {
            russh::keys::load_secret_key(path, self.passphrase.as_deref())
                .map(Arc::new)
                .map_err(|e| e.to_string())
        })
        .await
        .clone()
    }
}
