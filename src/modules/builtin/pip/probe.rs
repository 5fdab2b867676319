//! What the probe prints, read: pip's version, the installed packages (`pip list --format=json`),
//! what a dry run would install (`pip install --dry-run --report -`).

use super::*;

/// What the probe found.
#[derive(Debug, Default)]
pub struct Env {
    pub nochdir: bool,
    pub nopip: bool,
    /// The virtualenv has no `bin/python` yet.
    pub venv_missing: bool,
    /// Why the virtualenv cannot be created (`None`: it can, or there is no need).
    pub creator_problem: Option<String>,
    pub pip: String,
    pub version: Option<(u64, u64, u64)>,
    /// Normalized name -> (name, version).
    pub installed: BTreeMap<String, (String, String)>,
    pub managed: bool,
    pub requirements_missing: bool,
    pub requirements_text: Option<String>,
    /// What `pip install --dry-run` would install: (name, version).
    pub report: Option<Vec<(String, String)>>,
}

/// pip's version as (major, minor, patch): `23.0.1`, `22.2` (patch 0), `24.1b1` (patch 0).
pub(super) fn pip_version(version: &str) -> Option<(u64, u64, u64)> {
    let mut parts = version.trim().split('.').map(|p| {
        p.chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse::<u64>()
            .ok()
    });
    let major = parts.next()??;
    let minor = parts.next().unwrap_or(Some(0))?;
    let patch = parts.next().unwrap_or(Some(0)).unwrap_or(0);
    Some((major, minor, patch))
}

/// `pip list --format=json`: normalized name -> (name, version).
pub(super) fn parse_list(json: &str) -> Result<BTreeMap<String, (String, String)>, String> {
    let items: Vec<serde_json::Value> =
        serde_json::from_str(json).map_err(|e| format!("pip list said no JSON: {e}"))?;
    Ok(items
        .iter()
        .filter_map(|i| {
            let name = i.get("name")?.as_str()?;
            let version = i.get("version")?.as_str()?;
            Some((normalize(name), (name.to_string(), version.to_string())))
        })
        .collect())
}

/// `pip install --dry-run --report -`: what would be installed.
pub(super) fn parse_report(json: &str) -> Result<Vec<(String, String)>, String> {
    let v: serde_json::Value =
        serde_json::from_str(json.trim()).map_err(|e| format!("pip's report is not JSON: {e}"))?;
    let install = v
        .get("install")
        .and_then(|i| i.as_array())
        .ok_or("pip's report has no `install` list")?;
    Ok(install
        .iter()
        .filter_map(|i| {
            let m = i.get("metadata")?;
            Some((
                m.get("name")?.as_str()?.to_string(),
                m.get("version")?.as_str()?.to_string(),
            ))
        })
        .collect())
}

pub(super) fn parse_probe(out: &str) -> Result<Env, String> {
    let mut env = Env::default();
    let mut req: Option<String> = None;
    for line in out.lines() {
        if let Some(text) = line.strip_prefix("| ").or((line == "|").then_some("")) {
            if let Some(r) = req.as_mut() {
                r.push_str(text);
                r.push('\n');
            }
            continue;
        }
        let (key, rest) = line.split_once(' ').unwrap_or((line, ""));
        match key {
            "nochdir" => env.nochdir = true,
            "nopip" => env.nopip = true,
            "venv" => env.venv_missing = rest == "absent",
            "creator" if rest != "ok" => env.creator_problem = Some(rest.to_string()),
            "pip" => env.pip = rest.to_string(),
            "list" => {
                env.installed = parse_list(rest)?;
                if let Some((_, v)) = env.installed.get("pip") {
                    env.version = pip_version(v);
                }
            }
            "version" => env.version = pip_version(rest),
            "managed" => env.managed = true,
            "req" => req = Some(String::new()),
            "req-missing" => env.requirements_missing = true,
            _ => {}
        }
    }
    env.requirements_text = req;
    Ok(env)
}
