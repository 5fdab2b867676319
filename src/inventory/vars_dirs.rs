//! `group_vars/` and `host_vars/` directories, as Ansible reads them: for a group (or host)
//! NAME, the file `NAME`, `NAME.yml`, `NAME.yaml` or `NAME.json`, and every `.yml`, `.yaml`
//! or `.json` file below a directory `NAME/` (sorted). Each file is a YAML mapping.
//! Files for groups or hosts the inventory does not have are not read, as in Ansible.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use minijinja::Value;

use super::{Inventory, InventoryError, Vars, sourced};

/// Which layer the files fill: beside the inventory, or beside the play.
#[derive(Clone, Copy, Debug)]
pub enum Beside {
    Inventory,
    Play,
}

/// Reads `dir/group_vars` and `dir/host_vars` into the inventory's groups and hosts.
pub(super) fn load(inv: &mut Inventory, dir: &Path, beside: Beside) -> Result<(), InventoryError> {
    let groups: Vec<String> = inv.groups.keys().cloned().collect();
    for name in groups {
        let vars = read_for(&dir.join("group_vars"), &name)?;
        let g = inv.group_mut(&name);
        match beside {
            Beside::Inventory => g.files.extend(vars),
            Beside::Play => g.play_files.extend(vars),
        }
    }
    let hosts: Vec<String> = inv.hosts.keys().cloned().collect();
    for name in hosts {
        let vars = read_for(&dir.join("host_vars"), &name)?;
        let h = inv.add_host(&name);
        match beside {
            Beside::Inventory => h.files.extend(vars),
            Beside::Play => h.play_files.extend(vars),
        }
    }
    Ok(())
}

fn read_for(dir: &Path, name: &str) -> Result<Vars, InventoryError> {
    let mut vars = Vars::new();
    if !dir.is_dir() {
        return Ok(vars);
    }
    let base = dir.join(name);
    let mut files = Vec::new();
    if base.is_dir() {
        walk(&base, &mut files);
    } else if base.is_file() {
        files.push(base.clone());
    }
    for ext in ["yml", "yaml", "json"] {
        let f = dir.join(format!("{name}.{ext}"));
        if f.is_file() {
            files.push(f);
        }
    }
    for file in files {
        vars.extend(read_file(&file)?);
    }
    Ok(vars)
}

/// Every variables file below `dir`, sorted, hidden files skipped.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    walk_below(dir, out, &mut Vec::new());
}

/// A symbolic link back to a directory being walked (in `ancestors`) is not followed.
fn walk_below(dir: &Path, out: &mut Vec<PathBuf>, ancestors: &mut Vec<PathBuf>) {
    let real = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    if ancestors.contains(&real) {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') {
            continue;
        }
        if p.is_dir() {
            ancestors.push(real.clone());
            walk_below(&p, out, ancestors);
            ancestors.pop();
        } else if [".yml", ".yaml", ".json"].iter().any(|e| name.ends_with(e)) {
            out.push(p);
        }
    }
}

fn read_file(file: &Path) -> Result<Vars, InventoryError> {
    let shown = file.display().to_string();
    let text = crate::fsutil::read_text(file)
        .map_err(|e| InventoryError::new(&shown, None, format!("cannot read: {e}")))?;
    let map: Option<IndexMap<String, Value>> = crate::yaml::from_str(&text)
        .map_err(|e| InventoryError::new(&shown, None, super::yaml_error(&shown, &e)))?;
    Ok(sourced(map.unwrap_or_default(), &shown))
}
