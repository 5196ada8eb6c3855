//! TLS for PostgreSQL with rustls, checking the server's certificate exactly as much as
//! libpq's `sslmode` asks: not at all for `prefer`/`require` (encryption against passive
//! eavesdropping only), the chain for `verify-ca`, the chain and the host name for
//! `verify-full`. As in libpq, a given `sslrootcert` turns on the chain check in every mode
//! that encrypts.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, bail};
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::config::{PgConfig, SslMode};

/// How much of the server's certificate is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Check {
    Nothing,
    Chain,
    ChainAndName,
}

fn check(config: &PgConfig) -> Check {
    match config.ssl_mode {
        SslMode::VerifyFull => Check::ChainAndName,
        SslMode::VerifyCa => Check::Chain,
        SslMode::Disable => Check::Nothing,
        SslMode::Allow | SslMode::Prefer | SslMode::Require => {
            if config.root_cert.is_some() {
                Check::Chain
            } else {
                Check::Nothing
            }
        }
    }
}

/// The connector tokio-postgres uses to start TLS when `sslmode` asks for it.
pub fn connector(config: &PgConfig) -> anyhow::Result<MakeRustlsConnect> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .context("setting up TLS")?;
    let check = check(config);
    let verifier: Arc<dyn ServerCertVerifier> = match check {
        Check::Nothing => Arc::new(EncryptOnly {
            algorithms: provider.signature_verification_algorithms,
        }),
        Check::Chain | Check::ChainAndName => {
            let roots = match &config.root_cert {
                Some(path) => roots_from(path)?,
                None => RootCertStore {
                    roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
                },
            };
            let full = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .context("setting up TLS certificate checks")?;
            if check == Check::ChainAndName {
                full
            } else {
                Arc::new(ChainOnly { full })
            }
        }
    };
    let tls = builder
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(tls))
}

/// What the server's certificate is checked against, in an operator's words.
pub fn trusted(config: &PgConfig) -> String {
    match &config.root_cert {
        Some(path) => format!("the CA in sslrootcert {}", path.display()),
        None => "the built-in public root CAs (set sslrootcert for a private CA)".to_owned(),
    }
}

fn roots_from(path: &Path) -> anyhow::Result<RootCertStore> {
    let mut roots = RootCertStore::empty();
    let certificates = CertificateDer::pem_file_iter(path)
        .with_context(|| format!("reading sslrootcert {}", path.display()))?;
    for certificate in certificates {
        let certificate = certificate
            .with_context(|| format!("sslrootcert {} is not a PEM file", path.display()))?;
        roots.add(certificate).with_context(|| {
            format!(
                "sslrootcert {} holds an unusable certificate",
                path.display()
            )
        })?;
    }
    if roots.is_empty() {
        bail!("sslrootcert {} holds no certificate", path.display());
    }
    Ok(roots)
}

/// `require` without a CA: the connection is encrypted, whoever the server is. The handshake
/// signatures are still checked, so the session keys belong to the certificate presented.
#[derive(Debug)]
struct EncryptOnly {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for EncryptOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// `verify-ca`: the full check, less the host name. rustls checks the chain before the name,
/// so a name mismatch means the chain was trusted.
#[derive(Debug)]
struct ChainOnly {
    full: Arc<WebPkiServerVerifier>,
}

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.full.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.full.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.full.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.full.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_of(url: &str) -> Check {
        check(&PgConfig::parse(url).unwrap())
    }

    #[test]
    fn modes_check_what_libpq_checks() {
        assert_eq!(check_of("postgres://db/app"), Check::Nothing);
        assert_eq!(
            check_of("postgres://db/app?sslmode=require"),
            Check::Nothing
        );
        assert_eq!(
            check_of("postgres://db/app?sslmode=require&sslrootcert=/ca.pem"),
            Check::Chain
        );
        assert_eq!(
            check_of("postgres://db/app?sslmode=prefer&sslrootcert=/ca.pem"),
            Check::Chain
        );
        assert_eq!(
            check_of("postgres://db/app?sslmode=verify-ca"),
            Check::Chain
        );
        assert_eq!(
            check_of("postgres://db/app?sslmode=verify-full"),
            Check::ChainAndName
        );
    }

    #[test]
    fn a_missing_root_certificate_file_is_named() {
        let config =
            PgConfig::parse("postgres://db/app?sslmode=verify-full&sslrootcert=/nowhere/ca.pem")
                .unwrap();
        let error = connector(&config).err().expect("no such file");
        assert!(
            format!("{error:#}").starts_with("reading sslrootcert /nowhere/ca.pem"),
            "{error:#}"
        );
    }
}
