//! `~/.ssh/config`: the `Host` blocks that apply to a host, first value wins (OpenSSH rules).
//! Honoured: HostName (with `%h`), User, Port, IdentityFile, UserKnownHostsFile, ProxyJump.
//! `Match` blocks are skipped.

use std::path::{Path, PathBuf};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostConfig {
    pub host_name: Option<String>,
    pub user: Option<String>,
    pub port: Option<u16>,
    pub identity_files: Vec<PathBuf>,
    pub known_hosts: Option<PathBuf>,
    pub proxy_jump: Option<String>,
}

fn expand(path: &str, home: &Path) -> PathBuf {
    match path.strip_prefix("~/") {
        Some(rest) => home.join(rest),
        None => PathBuf::from(path),
    }
}

fn matches(patterns: &[&str], host: &str) -> bool {
    let re = |p: &str| {
        format!(
            "^{}$",
            regex::escape(p).replace(r"\*", ".*").replace(r"\?", ".")
        )
    };
    let mut any = false;
    for p in patterns {
        if let Some(neg) = p.strip_prefix('!') {
            if regex::Regex::new(&re(neg)).is_ok_and(|r| r.is_match(host)) {
                return false;
            }
        } else if regex::Regex::new(&re(p)).is_ok_and(|r| r.is_match(host)) {
            any = true;
        }
    }
    any
}

/// The settings for `host` from config text.
pub fn resolve(text: &str, host: &str, home: &Path) -> HostConfig {
    let mut cfg = HostConfig::default();
    let mut active = true;
    for raw in text.lines() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = match line.split_once(|c: char| c.is_whitespace() || c == '=') {
            Some((k, v)) => (
                k.to_ascii_lowercase(),
                v.trim_start_matches(|c: char| c.is_whitespace() || c == '=')
                    .trim()
                    .trim_matches('"'),
            ),
            None => continue,
        };
        match key.as_str() {
            "host" => {
                let patterns: Vec<&str> = value.split_whitespace().collect();
                active = matches(&patterns, host);
            }
            "match" => active = false,
            _ if !active => {}
            "hostname" if cfg.host_name.is_none() => {
                cfg.host_name = Some(value.replace("%h", host))
            }
            "user" if cfg.user.is_none() => cfg.user = Some(value.to_string()),
            "port" if cfg.port.is_none() => cfg.port = value.parse().ok(),
            "identityfile" => cfg.identity_files.push(expand(value, home)),
            "userknownhostsfile" if cfg.known_hosts.is_none() => {
                cfg.known_hosts = value.split_whitespace().next().map(|p| expand(p, home));
            }
            "proxyjump" if cfg.proxy_jump.is_none() && value != "none" => {
                cfg.proxy_jump = Some(value.to_string())
            }
            _ => {}
        }
    }
    cfg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_value_wins_and_patterns_apply() {
        let text = "Host web*\n  User deploy\n  Port 2222\n  IdentityFile ~/.ssh/web\n\nHost *\n  User root\n  HostName %h.example\n  IdentityFile ~/.ssh/id_ed25519\n\nHost !db *.lab\n  Port 22\n";
        let c = resolve(text, "web1", Path::new("/home/u"));
        assert_eq!(c.user.as_deref(), Some("deploy"));
        assert_eq!(c.port, Some(2222));
        assert_eq!(c.host_name.as_deref(), Some("web1.example"));
        assert_eq!(
            c.identity_files,
            vec![
                PathBuf::from("/home/u/.ssh/web"),
                PathBuf::from("/home/u/.ssh/id_ed25519")
            ]
        );
        let d = resolve(text, "x.lab", Path::new("/h"));
        assert_eq!(d.port, Some(22));
        assert_eq!(d.user.as_deref(), Some("root"));
    }
}
