//! known_hosts, as OpenSSH reads it: plain and hashed (`|1|salt|hash`) host fields, `*` / `?`
//! wildcards, `!` negation, `[host]:port`, and `@revoked`. (`@cert-authority` lines are
//! skipped: host certificates are not accepted.) A host key is never trusted silently.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use russh::keys::{HashAlg, PublicKey};

/// What known_hosts says about a host's key.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Trusted,
    Unknown,
    /// The host is known with another key (line of the first entry for it).
    Changed {
        line: usize,
        known: String,
    },
    Revoked {
        line: usize,
    },
}

struct Entry {
    line: usize,
    revoked: bool,
    hosts: String,
    key: PublicKey,
}

pub struct KnownHosts {
    path: PathBuf,
    entries: Mutex<Vec<Entry>>,
}

/// `host` or `[host]:port`, the name known_hosts stores.
pub fn host_key_name(host: &str, port: u16) -> String {
    if port == 22 {
        host.to_string()
    } else {
        format!("[{host}]:{port}")
    }
}

pub fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

fn glob(pattern: &str, text: &str) -> bool {
    fn go(p: &[u8], t: &[u8]) -> bool {
        match (p.first(), t.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(&p[1..], t) || (!t.is_empty() && go(p, &t[1..])),
            (Some(b'?'), Some(_)) => go(&p[1..], &t[1..]),
            (Some(a), Some(b)) if a.eq_ignore_ascii_case(b) => go(&p[1..], &t[1..]),
            _ => false,
        }
    }
    go(pattern.as_bytes(), text.as_bytes())
}

/// Whether a host field (one line's first column) names `name`.
fn hosts_match(field: &str, name: &str) -> bool {
    if let Some(rest) = field.strip_prefix("|1|") {
        let Some((salt, hash)) = rest.split_once('|') else {
            return false;
        };
        let b64 = base64::engine::general_purpose::STANDARD;
        let (Ok(salt), Ok(hash)) = (b64.decode(salt), b64.decode(hash)) else {
            return false;
        };
        let Ok(mut mac) = Hmac::<sha1::Sha1>::new_from_slice(&salt) else {
            return false;
        };
        mac.update(name.as_bytes());
        return mac.verify_slice(&hash).is_ok();
    }
    let mut matched = false;
    for pattern in field.split(',') {
        if let Some(negated) = pattern.strip_prefix('!') {
            if glob(negated, name) {
                return false;
            }
        } else if glob(pattern, name) {
            matched = true;
        }
    }
    matched
}

fn parse(text: &str) -> Vec<Entry> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut words = line.split_whitespace();
        let mut first = words.next().unwrap_or_default();
        let mut revoked = false;
        if first.starts_with('@') {
            match first {
                "@revoked" => revoked = true,
                _ => continue,
            }
            first = words.next().unwrap_or_default();
        }
        let (Some(kind), Some(blob)) = (words.next(), words.next()) else {
            continue;
        };
        if let Ok(key) = PublicKey::from_openssh(&format!("{kind} {blob}")) {
            out.push(Entry {
                line: i + 1,
                revoked,
                hosts: first.to_string(),
                key,
            });
        }
    }
    out
}

impl KnownHosts {
    /// Reads a known_hosts file; a missing file is an empty one.
    pub fn load(path: &Path) -> std::io::Result<Self> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(e),
        };
        Ok(KnownHosts {
            path: path.to_path_buf(),
            entries: Mutex::new(parse(&text)),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn check(&self, host: &str, port: u16, key: &PublicKey) -> Verdict {
        let name = host_key_name(host, port);
        let entries = self
            .entries
            .lock()
            .expect("known_hosts lock is never poisoned");
        let for_host: Vec<&Entry> = entries
            .iter()
            .filter(|e| hosts_match(&e.hosts, &name))
            .collect();
        if let Some(e) = for_host
            .iter()
            .find(|e| e.revoked && e.key.key_data() == key.key_data())
        {
            return Verdict::Revoked { line: e.line };
        }
        if for_host
            .iter()
            .any(|e| !e.revoked && e.key.key_data() == key.key_data())
        {
            return Verdict::Trusted;
        }
        match for_host.iter().find(|e| !e.revoked) {
            Some(e) => Verdict::Changed {
                line: e.line,
                known: fingerprint(&e.key),
            },
            None => Verdict::Unknown,
        }
    }

    /// Records a new host key (accept-new), appending one line.
    pub fn learn(&self, host: &str, port: u16, key: &PublicKey) -> std::io::Result<()> {
        let mut entries = self
            .entries
            .lock()
            .expect("known_hosts lock is never poisoned");
        let line = format!(
            "{} {}\n",
            host_key_name(host, port),
            key.to_openssh().map_err(std::io::Error::other)?
        );
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(&self.path)?;
        // Other runs may learn the same host at the same moment: one writes, under a lock,
        // and the others find its line.
        f.lock()?;
        let mut text = String::new();
        std::io::Read::read_to_string(&mut f, &mut text)?;
        if !text.lines().any(|l| format!("{l}\n") == line) {
            if !text.is_empty() && !text.ends_with('\n') {
                f.write_all(b"\n")?;
            }
            f.write_all(line.as_bytes())?;
        }
        let count = std::fs::read_to_string(&self.path)
            .map(|t| t.lines().count())
            .unwrap_or(0);
        f.unlock()?;
        entries.push(Entry {
            line: count,
            revoked: false,
            hosts: host_key_name(host, port),
            key: key.clone(),
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ED: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
    const ED2: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBb1oKAmW7nRjc7sgAu1gA6S2rmTPGvOv2k3Khb4rPpc";

    fn key(s: &str) -> PublicKey {
        PublicKey::from_openssh(s).unwrap()
    }

    fn kh(text: &str) -> KnownHosts {
        KnownHosts {
            path: PathBuf::from("/dev/null"),
            entries: Mutex::new(parse(text)),
        }
    }

    #[test]
    fn plain_wildcard_negation_and_ports() {
        let k = kh(&format!(
            "web1,web2 {ED}\n*.lab,!bad.lab {ED}\n[vpn]:2222 {ED}\n"
        ));
        assert_eq!(k.check("web2", 22, &key(ED)), Verdict::Trusted);
        assert_eq!(k.check("a.lab", 22, &key(ED)), Verdict::Trusted);
        assert_eq!(k.check("bad.lab", 22, &key(ED)), Verdict::Unknown);
        assert_eq!(k.check("vpn", 2222, &key(ED)), Verdict::Trusted);
        assert_eq!(k.check("vpn", 22, &key(ED)), Verdict::Unknown);
    }

    #[test]
    fn changed_key_names_the_line() {
        let k = kh(&format!("# comment\nweb1 {ED}\n"));
        assert_eq!(
            k.check("web1", 22, &key(ED2)),
            Verdict::Changed {
                line: 2,
                known: fingerprint(&key(ED))
            }
        );
    }

    #[test]
    fn hashed_entries() {
        // `ssh-keygen -H` form of "web1", salt = 20 zero bytes.
        let salt = [0u8; 20];
        let mut mac = Hmac::<sha1::Sha1>::new_from_slice(&salt).unwrap();
        mac.update(b"web1");
        let b64 = base64::engine::general_purpose::STANDARD;
        let line = format!(
            "|1|{}|{} {ED}\n",
            b64.encode(salt),
            b64.encode(mac.finalize().into_bytes())
        );
        let k = kh(&line);
        assert_eq!(k.check("web1", 22, &key(ED)), Verdict::Trusted);
        assert_eq!(k.check("web2", 22, &key(ED)), Verdict::Unknown);
    }

    #[test]
    fn revoked_wins() {
        let k = kh(&format!(
            "@revoked * {ED}\nweb1 {ED}\n@cert-authority *.lab {ED2}\n"
        ));
        assert_eq!(k.check("web1", 22, &key(ED)), Verdict::Revoked { line: 1 });
    }

    #[test]
    fn runs_learning_the_same_host_at_once_write_it_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("known_hosts");
        std::fs::write(&path, format!("web1 {ED2}")).unwrap();
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    let k = KnownHosts::load(&path).unwrap();
                    k.learn("web9", 2222, &key(ED)).unwrap();
                });
            }
        });
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, format!("web1 {ED2}\n[web9]:2222 {ED}\n"));
    }
}
