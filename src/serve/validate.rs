//! What the API accepts from outside: node names, addresses, SSH keys. A node name becomes an
//! inventory name, a certificate CN and file names in the plays, so only hostname characters.

/// A host name or FQDN: letters, digits, `-`, `.` and `_`, 1..=253 characters, starting with
/// a letter or digit, no `..`.
pub fn node_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 253 {
        return Err(format!(
            "node name must be 1 to 253 characters, got {}",
            name.len()
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_')))
    {
        return Err(format!(
            "node name `{}` contains {c:?}: only letters, digits, `-`, `.` and `_` are allowed",
            name.escape_debug()
        ));
    }
    if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(format!(
            "node name `{name}` must start with a letter or a digit"
        ));
    }
    if name.contains("..") {
        return Err(format!("node name `{name}` contains `..`"));
    }
    Ok(())
}

/// An IP address or a host name the controller can reach the node at.
pub fn address(address: &str) -> Result<(), String> {
    if address.parse::<std::net::IpAddr>().is_ok() {
        return Ok(());
    }
    node_name(address).map_err(|e| format!("address: {e}"))
}

/// One OpenSSH public key line: `TYPE BASE64 [COMMENT]`, printable, at most 16 KiB.
pub fn ssh_public_key(key: &str) -> Result<(), String> {
    if key.len() > 16 * 1024 {
        return Err("ssh_public_key is longer than 16 KiB".into());
    }
    if key.chars().any(|c| c.is_control()) {
        return Err("ssh_public_key must be one line of printable characters".into());
    }
    let mut words = key.split_whitespace();
    let kind = words.next().unwrap_or("");
    let body = words.next().unwrap_or("");
    let known =
        kind.starts_with("ssh-") || kind.starts_with("ecdsa-sha2-") || kind.starts_with("sk-");
    if !known
        || body.is_empty()
        || !body
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '='))
    {
        return Err("ssh_public_key is not an OpenSSH public key (`ssh-ed25519 AAAA...`)".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for good in [
            "compute-1",
            "ecotype-47.nantes.grid5000.fr",
            "a",
            "n_2",
            "10.0.0.1",
        ] {
            assert!(node_name(good).is_ok(), "{good}");
        }
        for bad in [
            "", "a/b", "..", "a..b", "a b", "a;b", "$(id)", "`x`", ".hidden", "-rf", "a\nb", "x|y",
            "é",
        ] {
            assert!(node_name(bad).is_err(), "{bad}");
        }
        assert!(node_name(&"a".repeat(254)).is_err());
    }

    #[test]
    fn keys() {
        assert!(ssh_public_key("ssh-ed25519 AAAAC3Nza+/= me@host").is_ok());
        assert!(ssh_public_key("ssh-ed25519").is_err());
        assert!(ssh_public_key("hello world").is_err());
        assert!(ssh_public_key("ssh-rsa AAAA\nssh-rsa BBBB").is_err());
    }
}
