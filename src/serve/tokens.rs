//! Join and admin tokens, as kubeadm does them: `ID.SECRET`, the secret stored only as its
//! SHA-256 and compared in constant time, limited in time and in uses. The file
//! (`serve/tokens.json`) is shared by `eov token` and a running server, so every change is a
//! locked read-modify-write followed by an atomic replace.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use super::ServeError;
use super::tls::hex;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// May fetch the controller key and post joins.
    Join,
    /// May do everything: remove, rejoin, list nodes and jobs, and join.
    Admin,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TokenRecord {
    pub id: String,
    pub secret_sha256: String,
    pub kind: TokenKind,
    pub created: u64,
    /// Unix seconds after which the token is refused; none: never expires.
    pub expires: Option<u64>,
    /// Joins left; none: unlimited.
    pub uses_left: Option<u32>,
    #[serde(default)]
    pub description: String,
}

/// What a request needs from its token.
#[derive(Clone, Copy, Debug)]
pub enum Need {
    /// A usable join (or admin) token, not consumed.
    Peek,
    /// A usable join (or admin) token; one use is taken.
    Consume,
    /// An admin token.
    Admin,
    /// The token that created a job may follow it even when its uses are spent.
    Owner,
}

/// Who a request is.
#[derive(Clone, Debug)]
pub struct Principal {
    pub id: String,
    pub kind: TokenKind,
}

pub struct TokenStore {
    path: PathBuf,
    lock: PathBuf,
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl TokenStore {
    pub fn new(serve_dir: &Path) -> TokenStore {
        TokenStore {
            path: serve_dir.join("tokens.json"),
            lock: serve_dir.join("tokens.lock"),
        }
    }

    /// Runs `f` on the records under the file lock; writes them back when `f` says so.
    fn locked<T>(
        &self,
        f: impl FnOnce(&mut Vec<TokenRecord>) -> (bool, T),
    ) -> Result<T, ServeError> {
        if let Some(dir) = self.lock.parent().filter(|d| !d.exists()) {
            super::tls::private_dir(dir)?;
        }
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&self.lock)
            .map_err(|e| ServeError::io(&self.lock, e))?;
        lock.lock().map_err(|e| ServeError::io(&self.lock, e))?;
        let mut records: Vec<TokenRecord> = match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| ServeError::State(format!("{}: {e}", self.path.display())))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(ServeError::io(&self.path, e)),
        };
        let (write, out) = f(&mut records);
        if write {
            let json = serde_json::to_vec_pretty(&records).expect("token records serialize");
            crate::fsutil::write_atomic(&self.path, &json)
                .map_err(|e| ServeError::io(&self.path, e))?;
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&self.path, std::fs::Permissions::from_mode(0o600))
                .map_err(|e| ServeError::io(&self.path, e))?;
        }
        Ok(out)
    }

    /// A new token; the only time its secret is known.
    pub fn create(
        &self,
        kind: TokenKind,
        ttl_secs: Option<u64>,
        uses: Option<u32>,
        description: &str,
    ) -> Result<(String, TokenRecord), ServeError> {
        let id = random_text(6)?;
        let secret = random_text(16)?;
        let created = now();
        let record = TokenRecord {
            id: id.clone(),
            secret_sha256: hex(&Sha256::digest(secret.as_bytes())),
            kind,
            created,
            expires: ttl_secs.map(|t| created + t),
            uses_left: uses,
            description: description.to_string(),
        };
        let stored = record.clone();
        self.locked(move |records| {
            records.push(stored);
            (true, ())
        })?;
        Ok((format!("{id}.{secret}"), record))
    }

    pub fn list(&self) -> Result<Vec<TokenRecord>, ServeError> {
        self.locked(|records| (false, records.clone()))
    }

    /// Removes a token by id; false when there was none.
    pub fn delete(&self, id: &str) -> Result<bool, ServeError> {
        self.locked(|records| {
            let before = records.len();
            records.retain(|r| r.id != id);
            (records.len() != before, records.len() != before)
        })
    }

    /// The principal of a presented token, if it may do what `need` says; `owner` is the id
    /// of the token that created the job, for `Need::Owner`. A use is taken only on success.
    pub fn authenticate(
        &self,
        presented: &str,
        need: Need,
        owner: Option<&str>,
    ) -> Result<Option<Principal>, ServeError> {
        let Some((id, secret)) = presented.split_once('.') else {
            return Ok(None);
        };
        let presented_hash = hex(&Sha256::digest(secret.as_bytes()));
        let now = now();
        self.locked(|records| {
            let found = records.iter_mut().find(|r| r.id == id);
            // Compare against something even for an unknown id, so both cost the same.
            let stored = found
                .as_ref()
                .map_or("0".repeat(64), |r| r.secret_sha256.clone());
            let equal: bool = stored.as_bytes().ct_eq(presented_hash.as_bytes()).into();
            let Some(record) = found.filter(|_| equal) else {
                return (false, None);
            };
            if record.expires.is_some_and(|e| now >= e) {
                return (false, None);
            }
            let admin = record.kind == TokenKind::Admin;
            let spent = record.uses_left == Some(0);
            let allowed = match need {
                Need::Admin => admin,
                Need::Peek | Need::Consume => admin || !spent,
                Need::Owner => admin || owner == Some(record.id.as_str()),
            };
            if !allowed {
                return (false, None);
            }
            let mut write = false;
            if let (Need::Consume, Some(left)) = (need, record.uses_left.as_mut()) {
                *left = left.saturating_sub(1);
                write = true;
            }
            let principal = Principal {
                id: record.id.clone(),
                kind: record.kind,
            };
            (write, Some(principal))
        })
    }
}

/// Lower-case letters and digits from the system's random source.
pub fn random_text(len: usize) -> Result<String, ServeError> {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::with_capacity(len);
    while out.len() < len {
        let mut buf = [0u8; 32];
        getrandom::fill(&mut buf).map_err(|e| ServeError::State(format!("random source: {e}")))?;
        // 252 = 7 * 36: rejecting the rest keeps every character equally likely.
        for b in buf.iter().filter(|b| **b < 252) {
            if out.len() < len {
                out.push(ALPHABET[usize::from(*b) % ALPHABET.len()] as char);
            }
        }
    }
    Ok(out)
}

/// `30s`, `15m`, `1h`, `2d`, or `0` (never expires).
pub fn parse_ttl(text: &str) -> Result<Option<u64>, String> {
    let text = text.trim();
    if text == "0" {
        return Ok(None);
    }
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("`{text}`: expected a duration such as 30m, 1h or 2d, or 0"))?;
    let scale = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86400,
        _ => return Err(format!("`{text}`: unknown unit `{unit}` (s, m, h or d)")),
    };
    Ok(Some(n.saturating_mul(scale)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_units() {
        assert_eq!(parse_ttl("90"), Ok(Some(90)));
        assert_eq!(parse_ttl("15m"), Ok(Some(900)));
        assert_eq!(parse_ttl("1h"), Ok(Some(3600)));
        assert_eq!(parse_ttl("2d"), Ok(Some(172800)));
        assert_eq!(parse_ttl("0"), Ok(None));
        assert!(parse_ttl("1w").is_err());
        assert!(parse_ttl("h").is_err());
    }

    #[test]
    fn random_text_is_in_the_alphabet() {
        let t = random_text(40).unwrap();
        assert_eq!(t.len(), 40);
        assert!(
            t.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        );
        assert_ne!(t, random_text(40).unwrap());
    }
}
