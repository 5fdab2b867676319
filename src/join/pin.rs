//! Certificate pinning for `eov join`: the server's certificate is accepted only if the
//! SHA-256 of its DER bytes is the `--ca-cert-hash` given; no CA store is consulted. The
//! handshake signature is still verified, so a copy of the certificate without its key
//! does not pass.

use std::sync::Arc;

use rustls::DigitallySignedStruct;
use rustls::SignatureScheme;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use crate::serve::tls::{hex, provider};

#[derive(Debug)]
pub struct Pinned {
    sha256: [u8; 32],
    provider: Arc<CryptoProvider>,
}

/// `sha256:HEX` (64 hex digits) as bytes.
pub fn parse_pin(text: &str) -> Result<[u8; 32], String> {
    let hexpart = text
        .strip_prefix("sha256:")
        .ok_or_else(|| format!("--ca-cert-hash `{text}`: expected `sha256:` and 64 hex digits"))?;
    if hexpart.len() != 64 || !hexpart.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(format!(
            "--ca-cert-hash `{text}`: expected `sha256:` and 64 hex digits"
        ));
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hexpart[2 * i..2 * i + 2], 16).expect("checked hex");
    }
    Ok(out)
}

/// A rustls client configuration that trusts exactly the pinned certificate.
pub fn client_config(sha256: [u8; 32]) -> Result<rustls::ClientConfig, String> {
    let provider = provider();
    let verifier = Arc::new(Pinned {
        sha256,
        provider: provider.clone(),
    });
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth())
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let got = Sha256::digest(end_entity.as_ref());
        if bool::from(got.as_slice().ct_eq(&self.sha256)) {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(format!(
                "the server's certificate is sha256:{}, not the --ca-cert-hash given",
                hex(&got)
            )))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins() {
        let good = format!("sha256:{}", "ab".repeat(32));
        assert_eq!(parse_pin(&good).unwrap(), [0xab; 32]);
        assert!(parse_pin(&"ab".repeat(32)).is_err());
        assert!(parse_pin("sha256:abc").is_err());
        assert!(parse_pin(&format!("sha256:{}", "zz".repeat(32))).is_err());
    }
}
