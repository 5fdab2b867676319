//! Loading inventories from the command line's sources (`-i`, repeatable): files of any
//! format, executables (dynamic), directories of them, and `host1,host2,` lists, merged in
//! order; then `group_vars/` and `host_vars/` beside each source.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::vars_dirs::{self, Beside};
use super::{Inventory, InventoryError, dynamic};

/// Where the inventory comes from.
#[derive(Clone, Debug)]
pub struct Sources {
    /// In order; a later source wins on a variable both set. Empty: `current/hosts` if it
    /// exists, else `localhost` alone.
    pub paths: Vec<PathBuf>,
    /// How long a dynamic inventory may run.
    pub timeout: Duration,
}

/// Files in an inventory directory that are not inventories (Ansible's ignore list).
const IGNORED_ENDINGS: &[&str] = &[
    "~", ".orig", ".bak", ".cfg", ".retry", ".pyc", ".pyo", ".swp", ".rpm", ".md", ".txt", ".rst",
];

impl Default for Sources {
    fn default() -> Self {
        Sources {
            paths: Vec::new(),
            timeout: Duration::from_secs(30),
        }
    }
}

impl Inventory {
    /// Reads and merges every source; nothing is returned if any of them is wrong.
    pub fn load(sources: &Sources) -> Result<Inventory, InventoryError> {
        let mut paths = sources.paths.clone();
        if paths.is_empty() {
            let default = PathBuf::from("current/hosts");
            if !default.exists() {
                return Ok(Inventory::localhost());
            }
            paths.push(default);
        }
        let mut inv = Inventory::default();
        let mut vars_dirs = Vec::new();
        for path in &paths {
            let shown = path.display().to_string();
            if !path.exists() && shown.contains(',') {
                inv.merge(host_list(&shown)?);
                continue;
            }
            if path.is_dir() {
                load_dir(&mut inv, path, sources.timeout)?;
                vars_dirs.push(path.clone());
            } else {
                inv.merge(load_file(path, sources.timeout)?);
                vars_dirs.push(dir_of(path));
            }
        }
        let label: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        inv.finish(&label.join(", "))?;
        for dir in vars_dirs {
            vars_dirs::load(&mut inv, &dir, Beside::Inventory)?;
        }
        inv.check_ports()?;
        Ok(inv)
    }

    /// Adds `group_vars/` and `host_vars/` found beside the play (they win over the ones beside
    /// the inventory).
    pub fn load_play_vars(&mut self, play_dir: &Path) -> Result<(), InventoryError> {
        vars_dirs::load(self, play_dir, Beside::Play)?;
        self.check_ports()
    }
}

/// The directory a file is in (`.` for a bare file name): where its `group_vars/` would be.
pub fn dir_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// One file: dynamic if it is an executable program, else parsed by its text.
fn load_file(path: &Path, timeout: Duration) -> Result<Inventory, InventoryError> {
    let shown = path.display().to_string();
    let inv = if dynamic::is_script(path) {
        dynamic::parse(path, timeout)?
    } else {
        let text = crate::fsutil::read_text(path)
            .map_err(|e| InventoryError::new(&shown, None, format!("cannot read: {e}")))?;
        if text.starts_with("#!") {
            let message = "starts with `#!` but is not executable: `chmod +x` it to use it \
                           as a dynamic inventory";
            return Err(InventoryError::new(&shown, Some(1), message));
        }
        Inventory::parse_unfinished(&shown, &text)?
    };
    if let Some(cycle) = inv.cycle() {
        let message = format!(
            "groups form a cycle through `children`: {}",
            cycle.join(" -> ")
        );
        return Err(InventoryError::new(&shown, None, message));
    }
    Ok(inv)
}

/// Every inventory in a directory, in name order (subdirectories too); `group_vars/`,
/// `host_vars/`, hidden files and Ansible's ignored endings are skipped.
fn load_dir(inv: &mut Inventory, dir: &Path, timeout: Duration) -> Result<(), InventoryError> {
    load_below(inv, dir, timeout, &mut Vec::new())
}

/// `ancestors`: the real paths of the directories being read; a symbolic link back to one of
/// them is an error (reading would never end).
fn load_below(
    inv: &mut Inventory,
    dir: &Path,
    timeout: Duration,
    ancestors: &mut Vec<PathBuf>,
) -> Result<(), InventoryError> {
    let shown = dir.display().to_string();
    let real = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    if let Some(first) = ancestors.iter().find(|a| **a == real) {
        return Err(InventoryError::new(
            &shown,
            None,
            format!(
                "a symbolic link cycle: it leads back to `{}`",
                first.display()
            ),
        ));
    }
    let entries = std::fs::read_dir(dir)
        .map_err(|e| InventoryError::new(&shown, None, format!("cannot read: {e}")))?;
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.')
            || name == "group_vars"
            || name == "host_vars"
            || IGNORED_ENDINGS.iter().any(|e| name.ends_with(e))
        {
            continue;
        }
        if path.is_dir() {
            ancestors.push(real.clone());
            let loaded = load_below(inv, &path, timeout, ancestors);
            ancestors.pop();
            loaded?;
        } else {
            inv.merge(load_file(&path, timeout)?);
        }
    }
    Ok(())
}

/// `-i web1,web2,`: hosts named on the command line (a trailing comma makes one host a list).
fn host_list(list: &str) -> Result<Inventory, InventoryError> {
    let mut inv = Inventory::default();
    for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        if !super::valid_name(name) {
            return Err(InventoryError::new(
                list,
                None,
                format!("`{name}` is not a host name"),
            ));
        }
        inv.add_host(name);
    }
    Ok(inv)
}
