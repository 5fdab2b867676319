//! Dynamic inventories, as Ansible's `script` plugin runs them: an executable file run with
//! `--list`, printing JSON (`{"group": {"hosts": [...], "vars": {...}, "children": [...]},
//! "other": ["h1", "h2"], "_meta": {"hostvars": {"h1": {...}}}}`). Without `_meta`, it is run
//! again with `--host NAME` for each host. Each run must finish within the timeout.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use indexmap::IndexMap;
use minijinja::Value;
use serde_json::Value as Json;

use super::{Inventory, InventoryError, sourced, valid_name};

/// An executable file that starts like a program (`#!` or an ELF header): INI or YAML files
/// that happen to carry an executable bit are still read as text.
pub(super) fn is_script(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    let executable =
        std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0);
    if !executable {
        return false;
    }
    let mut head = [0u8; 4];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    head[..n].starts_with(b"#!") || head[..n].starts_with(b"\x7fELF")
}

pub(super) fn parse(path: &Path, timeout: Duration) -> Result<Inventory, InventoryError> {
    let shown = path.display().to_string();
    let err = |m: String| InventoryError::new(&shown, None, m);
    let list = run(path, &["--list"], timeout).map_err(err)?;
    let doc: IndexMap<String, Json> = serde_json::from_slice(&list)
        .map_err(|e| err(format!("`--list` printed no JSON object: {e}")))?;
    let mut inv = Inventory::default();
    let mut hostvars: Option<IndexMap<String, Json>> = None;
    for (name, group) in doc {
        if name == "_meta" {
            let vars = group.get("hostvars").cloned().unwrap_or(Json::Null);
            hostvars = Some(
                serde_json::from_value(vars)
                    .map_err(|e| err(format!("`_meta.hostvars` is not an object: {e}")))?,
            );
            continue;
        }
        add_group(&mut inv, &shown, &name, group).map_err(err)?;
    }
    let hosts: Vec<String> = inv.hosts.keys().cloned().collect();
    for host in hosts {
        let vars = match &hostvars {
            Some(all) => all.get(&host).cloned().unwrap_or(Json::Null),
            None => {
                let out = run(path, &["--host", &host], timeout).map_err(err)?;
                serde_json::from_slice(&out)
                    .map_err(|e| err(format!("`--host {host}` printed no JSON: {e}")))?
            }
        };
        let vars = object(vars).map_err(|m| err(format!("variables of host `{host}`: {m}")))?;
        let from = format!("{shown}, host {host}");
        inv.add_host(&host).vars.extend(sourced(vars, &from));
    }
    Ok(inv)
}

/// A group: a list of hosts, or `{"hosts": [...], "vars": {...}, "children": [...]}`.
fn add_group(inv: &mut Inventory, shown: &str, name: &str, group: Json) -> Result<(), String> {
    if !valid_name(name) {
        return Err(format!("`{name}` is not a group name"));
    }
    inv.group_mut(name);
    let (hosts, vars, children) = match group {
        Json::Array(hosts) => (Json::Array(hosts), Json::Null, Json::Null),
        Json::Object(mut o) => {
            if let Some(k) = o
                .keys()
                .find(|k| !matches!(k.as_str(), "hosts" | "vars" | "children"))
            {
                return Err(format!(
                    "group `{name}`: unknown key `{k}` (use `hosts`, `vars` or `children`)"
                ));
            }
            let mut take = |k: &str| o.remove(k).unwrap_or(Json::Null);
            (take("hosts"), take("vars"), take("children"))
        }
        Json::Null => (Json::Null, Json::Null, Json::Null),
        other => {
            return Err(format!(
                "group `{name}` is neither a list nor an object: {other}"
            ));
        }
    };
    for host in names(hosts).map_err(|m| format!("group `{name}` hosts: {m}"))? {
        if !valid_name(&host) {
            return Err(format!("group `{name}`: `{host}` is not a host name"));
        }
        inv.add_host(&host);
        if name != "all" {
            inv.group_mut(name).hosts.insert(host);
        }
    }
    let vars = object(vars).map_err(|m| format!("group `{name}` vars: {m}"))?;
    let from = format!("{shown}, group {name}");
    inv.group_mut(name).vars.extend(sourced(vars, &from));
    for child in names(children).map_err(|m| format!("group `{name}` children: {m}"))? {
        inv.group_mut(&child);
        inv.group_mut(name).children.insert(child);
    }
    Ok(())
}

fn names(list: Json) -> Result<Vec<String>, String> {
    if list.is_null() {
        return Ok(Vec::new());
    }
    serde_json::from_value(list).map_err(|e| format!("not a list of names: {e}"))
}

fn object(vars: Json) -> Result<IndexMap<String, Value>, String> {
    if vars.is_null() {
        return Ok(IndexMap::new());
    }
    serde_json::from_value(vars).map_err(|e| format!("not an object: {e}"))
}

/// Runs the inventory program with `args`; its stdout, or why it failed.
fn run(path: &Path, args: &[&str], timeout: Duration) -> Result<Vec<u8>, String> {
    use std::os::unix::process::CommandExt as _;
    let shown_cmd = format!("`{}`", args.join(" "));
    // A bare name would be looked up in PATH; the inventory is a file.
    let program = if path.is_relative() {
        PathBuf::from(".").join(path)
    } else {
        path.to_path_buf()
    };
    let mut child = Command::new(&program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, so a timeout ends the script and whatever it started.
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot run it with {shown_cmd}: {e}"))?;
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    let out = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(pipe) = stdout.as_mut() {
            // A read error leaves what was read so far; the exit status tells the rest.
            let _ = pipe.read_to_end(&mut buf);
        }
        buf
    });
    let err = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(pipe) = stderr.as_mut() {
            // A read error leaves what was read so far; the exit status tells the rest.
            let _ = pipe.read_to_end(&mut buf);
        }
        buf
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                let group = format!("-{}", child.id());
                let _ = Command::new("kill")
                    .args(["-KILL", "--", &group])
                    .stderr(Stdio::null())
                    .status();
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "{shown_cmd} did not finish within {} s (stopped; raise --inventory-timeout)",
                    timeout.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(format!("waiting for {shown_cmd}: {e}")),
        }
    };
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    if !status.success() {
        let said = String::from_utf8_lossy(&stderr);
        let said = said.trim();
        let code = status.code().map_or_else(
            || "was killed by a signal".to_string(),
            |c| format!("exited with status {c}"),
        );
        return Err(if said.is_empty() {
            format!("{shown_cmd} {code}")
        } else {
            format!("{shown_cmd} {code}: {said}")
        });
    }
    Ok(stdout)
}
