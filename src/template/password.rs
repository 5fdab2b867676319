//! `password(path)`: a password made once and kept in a file on the controller (0600), like
//! Ansible's `password` lookup, so a cloud's service passwords survive across runs.

use std::io::{Read as _, Write as _};
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::Path;

use minijinja::{Error, ErrorKind};

const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

fn failed(path: &str, what: &str, e: &std::io::Error) -> Error {
    Error::new(
        ErrorKind::InvalidOperation,
        format!("password file `{path}`: cannot {what}: {e}"),
    )
}

/// Letters and digits from /dev/urandom (rejection sampling keeps them uniform); safe in
/// URLs, INI files and shell words without quoting.
fn generate(length: usize) -> std::io::Result<String> {
    let mut random = std::fs::File::open("/dev/urandom")?;
    let mut out = String::with_capacity(length);
    let mut buf = [0u8; 64];
    while out.len() < length {
        random.read_exact(&mut buf)?;
        for b in buf {
            // 248 = 4 * 62: bytes above it would favour the first letters.
            if b < 248 && out.len() < length {
                out.push(char::from(ALPHABET[usize::from(b) % ALPHABET.len()]));
            }
        }
    }
    Ok(out)
}

/// The password stored at `path`, secret in every output of the run (relative to the working directory); made and stored with
/// mode 0600 the first time. Concurrent first uses agree: the file is linked into place only
/// if absent, and whoever loses reads the winner's.
pub(super) fn password(
    secrets: &crate::redact::Secrets,
    path: &str,
    length: Option<usize>,
) -> Result<String, Error> {
    let secret = stored_or_new(path, length)?;
    secrets.add(&secret);
    Ok(secret)
}

fn stored_or_new(path: &str, length: Option<usize>) -> Result<String, Error> {
    let length = length.unwrap_or(24);
    if !(8..=128).contains(&length) {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("password length {length} is out of range (8 to 128)"),
        ));
    }
    let target = Path::new(path);
    if let Ok(text) = std::fs::read_to_string(target) {
        return Ok(text.trim_end_matches('\n').to_string());
    }
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.exists() {
        std::fs::create_dir_all(dir).map_err(|e| failed(path, "create its directory", &e))?;
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    }
    let secret = generate(length).map_err(|e| failed(path, "read /dev/urandom", &e))?;
    let temp = dir.join(format!(
        ".{}.{}.tmp",
        target.file_name().unwrap_or_default().to_string_lossy(),
        std::process::id()
    ));
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&temp)?;
        f.write_all(format!("{secret}\n").as_bytes())?;
        f.sync_all()
    };
    let linked = write().and_then(|()| std::fs::hard_link(&temp, target));
    let _ = std::fs::remove_file(&temp);
    match linked {
        Ok(()) => Ok(secret),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => std::fs::read_to_string(target)
            .map(|t| t.trim_end_matches('\n').to_string())
            .map_err(|e| failed(path, "read it", &e)),
        Err(e) => Err(failed(path, "write it", &e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_once_then_read_back_with_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cloud/db");
        let p = path.to_str().unwrap();
        let secrets = crate::redact::Secrets::default();
        let first = password(&secrets, p, None).unwrap();
        assert_eq!(first.len(), 24);
        assert!(first.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(
            password(&secrets, p, Some(40)).unwrap(),
            first,
            "a stored password is kept"
        );
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let other = password(
            &secrets,
            dir.path().join("cloud/mq").to_str().unwrap(),
            Some(32),
        )
        .unwrap();
        assert_eq!(other.len(), 32);
        assert_ne!(other, first);
        assert!(password(&secrets, p, Some(4)).is_err());
        let masked = secrets.redact(&format!("pw={first}"));
        assert_eq!(
            masked, "pw=********",
            "a password is secret in its run without `secret`"
        );
        assert_eq!(
            crate::redact::Secrets::default().redact(&first),
            first,
            "another run's secrets are its own"
        );
    }
}
