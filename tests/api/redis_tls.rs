//! Redis over TLS (`rediss://`), against a private `redis-server` serving a certificate from
//! a CA the test made. Runs in the Redis legs of the suite.

use std::path::PathBuf;
use std::time::Duration;

use neoforge::config::Settings;
use reqwest::StatusCode;

use crate::helpers::{REDIS_ENV, test_settings};
use crate::support::certs::TestCa;
use crate::support::redis_server::RedisServer;
use crate::support::spare_port;

fn settings(data_dir: &std::path::Path, url: &str, ca_file: Option<PathBuf>) -> Settings {
    let mut settings = test_settings(data_dir, None, Some((url, "neoforge-test:")));
    settings.redis.as_mut().unwrap().ca_file = ca_file;
    settings
}

#[tokio::test]
async fn rediss_checks_the_certificate_against_the_configured_ca() {
    if std::env::var(REDIS_ENV).is_err() {
        return;
    }
    let ca = TestCa::new("NeoForge test CA");
    let other_ca = TestCa::new("Another CA");
    let data_dir = tempfile::tempdir().unwrap();
    let ca_file = ca.write(data_dir.path(), "ca.pem");
    let other_ca_file = other_ca.write(data_dir.path(), "other-ca.pem");
    let port = spare_port();
    let _redis = RedisServer::start_tls(port, &ca.server_cert(&["localhost"]), &ca_file);
    let url = format!("rediss://localhost:{port}");

    let app = neoforge::Application::build(settings(data_dir.path(), &url, Some(ca_file)))
        .await
        .unwrap_or_else(|err| panic!("{err:#}"));
    let ready = format!("http://127.0.0.1:{}/ready", app.port());
    let server = tokio::spawn(app.run_until_stopped());
    let response = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
        .get(ready)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let checks: serde_json::Value = response.json().await.unwrap();
    assert_eq!(checks["checks"]["cache"], "ok", "{checks}");
    server.abort();

    for (ca, trusted) in [
        (
            Some(other_ca_file.clone()),
            format!("the CA in {}", other_ca_file.display()),
        ),
        (None, "the built-in public root CAs".to_owned()),
    ] {
        let error = match neoforge::Application::build(settings(data_dir.path(), &url, ca)).await {
            Ok(_) => panic!("an untrusted Redis was accepted"),
            Err(err) => format!("{err:#}"),
        };
        assert!(
            error.starts_with(&format!(
                "could not connect to Redis at localhost:{port}: the server certificate could \
                 not be verified against {trusted}"
            )),
            "{error}"
        );
    }

    // The crate's own convention for a server whose certificate cannot be checked.
    neoforge::Application::build(settings(
        data_dir.path(),
        &format!("rediss://127.0.0.1:{port}/#insecure"),
        None,
    ))
    .await
    .unwrap_or_else(|err| panic!("{err:#}"));
}
