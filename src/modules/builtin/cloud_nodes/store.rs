//! The state file on the controller: read and written under an exclusive lock on a
//! neighbouring `.lock` file (other runs and `eov serve` wait for it), written whole to a
//! temp file, synced, then renamed: a run killed at any point leaves the old state or the
//! new one, never a mix.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::state::CloudState;

/// The state file, locked for as long as this lives.
pub struct Locked {
    path: PathBuf,
    _lock: File,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot {action} `{path}`: {error}")]
    Io {
        action: &'static str,
        path: String,
        error: std::io::Error,
    },
    #[error("`{path}` is not a cloud state file: {error}")]
    Corrupt { path: String, error: String },
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> StoreError {
    let path = path.display().to_string();
    move |error| StoreError::Io {
        action,
        path,
        error,
    }
}

impl Locked {
    /// Takes the lock, waiting for whoever holds it; makes the directory if needed.
    pub fn open(path: &Path) -> Result<Locked, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io("create the directory of", path))?;
        }
        let lock_path = lock_path(path);
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io("open", &lock_path))?;
        lock.lock().map_err(io("lock", &lock_path))?;
        Ok(Locked {
            path: path.to_path_buf(),
            _lock: lock,
        })
    }

    /// The state, or None if there is none yet.
    pub fn read(&self) -> Result<Option<CloudState>, StoreError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io("read", &self.path)(e)),
        };
        let state: CloudState = serde_json::from_str(&text).map_err(|e| StoreError::Corrupt {
            path: self.path.display().to_string(),
            error: e.to_string(),
        })?;
        if state.version != super::state::VERSION {
            return Err(StoreError::Corrupt {
                path: self.path.display().to_string(),
                error: format!(
                    "version {} (this eov reads version {})",
                    state.version,
                    super::state::VERSION
                ),
            });
        }
        Ok(Some(state))
    }

    pub fn write(&self, state: &CloudState) -> Result<(), StoreError> {
        write_atomically(&self.path, &render(state))
    }
}

/// The file's text: pretty JSON, one node per few lines, for people who read it.
pub fn render(state: &CloudState) -> String {
    let mut text = serde_json::to_string_pretty(state).expect("the state serializes");
    text.push('\n');
    text
}

fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    path.with_file_name(name)
}

/// Temp file beside `path`, synced, renamed over it, directory synced.
pub fn write_atomically(path: &Path, text: &str) -> Result<(), StoreError> {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".tmp.{}", std::process::id()));
    let tmp = path.with_file_name(name);
    let result = (|| {
        let mut f = File::create(&tmp).map_err(io("create", &tmp))?;
        f.write_all(text.as_bytes()).map_err(io("write", &tmp))?;
        f.sync_all().map_err(io("sync", &tmp))?;
        std::fs::rename(&tmp, path).map_err(io("replace", path))?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            // Makes the rename itself durable; a directory that cannot be opened is no error.
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
