//! Requests this server makes to other services (the assistant's model, identity providers):
//! one TLS set-up for all of them.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// HTTPS (or plain HTTP) over rustls with the crypto provider and roots the rest of the
/// server uses (ring, webpki-roots): the same TLS everywhere, and nothing read from the
/// host's certificate store.
pub fn https_connector(purpose: &str) -> anyhow::Result<HttpsConnector<HttpConnector>> {
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .with_context(|| format!("setting up TLS for {purpose}"))?
    .with_root_certificates(rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    })
    .with_no_client_auth();
    let mut tcp = HttpConnector::new();
    tcp.enforce_http(false);
    tcp.set_connect_timeout(Some(CONNECT_TIMEOUT));
    tcp.set_nodelay(true);
    Ok(hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .wrap_connector(tcp))
}
