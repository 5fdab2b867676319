//! The server's certificate: the one given, or a self-signed one generated once under the
//! state directory. Clients pin it by the SHA-256 of its DER bytes (`sha256:HEX`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest as _, Sha256};

use super::ServeError;

/// Creates the server's directory readable by its owner only: it holds the private key and
/// the token hashes, which are written before their own mode is set.
pub fn private_dir(dir: &Path) -> Result<(), ServeError> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::create_dir_all(dir).map_err(|e| ServeError::io(dir, e))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| ServeError::io(dir, e))
}

/// Where the generated certificate and key live.
pub fn default_paths(serve_dir: &Path) -> (PathBuf, PathBuf) {
    (serve_dir.join("cert.pem"), serve_dir.join("key.pem"))
}

/// The certificate and key files to use: the given ones, or the generated pair (made now if
/// missing, for these subject names).
pub fn ensure(
    given: Option<(&Path, &Path)>,
    serve_dir: &Path,
    names: &[String],
) -> Result<(PathBuf, PathBuf), ServeError> {
    if let Some((cert, key)) = given {
        return Ok((cert.to_path_buf(), key.to_path_buf()));
    }
    let (cert, key) = default_paths(serve_dir);
    if cert.exists() && key.exists() {
        return Ok((cert, key));
    }
    private_dir(serve_dir)?;
    let generated = rcgen::generate_simple_self_signed(names.to_vec())
        .map_err(|e| ServeError::Tls(format!("cannot generate a certificate: {e}")))?;
    write_private(&key, generated.signing_key.serialize_pem().as_bytes())?;
    crate::fsutil::write_atomic(&cert, generated.cert.pem().as_bytes())
        .map_err(|e| ServeError::io(&cert, e))?;
    Ok((cert, key))
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), ServeError> {
    use std::os::unix::fs::PermissionsExt as _;
    crate::fsutil::write_atomic(path, bytes).map_err(|e| ServeError::io(path, e))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| ServeError::io(path, e))
}

/// The certificates of a PEM file, leaf first.
pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, ServeError> {
    let certs: Vec<_> = CertificateDer::pem_file_iter(path)
        .and_then(|it| it.collect::<Result<_, _>>())
        .map_err(|e| ServeError::Tls(format!("{}: {e}", path.display())))?;
    if certs.is_empty() {
        return Err(ServeError::Tls(format!(
            "{}: no certificate in this PEM file",
            path.display()
        )));
    }
    Ok(certs)
}

/// The pin of a certificate: `sha256:` and the hex SHA-256 of its DER bytes.
pub fn pin_of(cert: &CertificateDer<'_>) -> String {
    format!("sha256:{}", hex(&Sha256::digest(cert.as_ref())))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The provider every TLS config of eov uses, named explicitly so that another rustls
/// provider compiled into the binary (reqwest brings `ring`) never makes the choice ambiguous.
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// The rustls server configuration for this certificate and key; also returns the pin.
pub fn server_config(
    cert: &Path,
    key: &Path,
) -> Result<(Arc<rustls::ServerConfig>, String), ServeError> {
    let certs = load_certs(cert)?;
    let pin = pin_of(&certs[0]);
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| ServeError::Tls(format!("{}: {e}", key.display())))?;
    let config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| ServeError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| ServeError::Tls(format!("{}: {e}", cert.display())))?;
    Ok((Arc::new(config), pin))
}
