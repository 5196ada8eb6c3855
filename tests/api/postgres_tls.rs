//! PostgreSQL over TLS, against a private cluster that serves a certificate from a CA the
//! test made and refuses unencrypted connections, as managed PostgreSQL services do. Runs in
//! the PostgreSQL legs of the suite (it needs root and the server binaries).

use std::path::Path;
use std::time::Duration;

use futures_util::StreamExt;
use neoforge::config::{DatabaseSettings, Settings};
use neoforge::db::Db;
use reqwest::StatusCode;
use tokio_postgres::AsyncMessage;

use crate::helpers::{POSTGRES_ENV, test_settings};
use crate::support::certs::TestCa;
use crate::support::pg_cluster::PgCluster;

fn settings(data_dir: &Path, url: String) -> Settings {
    test_settings(data_dir, Some(url), None)
}

/// Start the real app on `url` and ask it whether it is ready.
async fn ready_status(data_dir: &Path, url: String) -> StatusCode {
    let app = neoforge::Application::build(settings(data_dir, url))
        .await
        .expect("the app builds");
    let address = format!("http://127.0.0.1:{}/ready", app.port());
    let server = tokio::spawn(app.run_until_stopped());
    let status = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
        .get(address)
        .send()
        .await
        .unwrap()
        .status();
    server.abort();
    status
}

/// Connecting through the database layer works; the pool is closed again.
async fn connects(data_dir: &Path, url: String) {
    let db = Db::connect(&settings(data_dir, url.clone()))
        .await
        .unwrap_or_else(|err| panic!("{url}: {err:#}"));
    db.ping().await.unwrap();
    db.close();
}

/// Why the app refused to start on `url`.
async fn build_error(data_dir: &Path, url: String) -> String {
    match neoforge::Application::build(settings(data_dir, url.clone())).await {
        Ok(_) => panic!("{url} connected"),
        Err(err) => format!("{err:#}"),
    }
}

#[tokio::test]
async fn postgres_over_tls_checks_the_server_as_sslmode_says() {
    if std::env::var(POSTGRES_ENV).is_err() {
        return;
    }
    let ca = TestCa::new("NeoForge test CA");
    let other_ca = TestCa::new("Another CA");
    let mut cluster = PgCluster::init(Some(&ca.server_cert(&["localhost", "127.0.0.1"])));
    cluster.start();
    let ca_file = ca.write(cluster.dir(), "ca.pem");
    let other_ca_file = other_ca.write(cluster.dir(), "other-ca.pem");
    let port = cluster.port();
    let url =
        |host: &str, query: String| format!("postgres://postgres@{host}:{port}/postgres?{query}");
    let trusting =
        |file: &Path, mode: &str| format!("sslmode={mode}&sslrootcert={}", file.display());
    let data_dir = tempfile::tempdir().unwrap();
    let dir = data_dir.path();

    // Encrypted, certificate unchecked: what `?sslmode=require` asks of a managed database.
    assert_eq!(
        ready_status(dir, url("127.0.0.1", "sslmode=require".into())).await,
        StatusCode::OK
    );
    // Chain and host name checked against the test's CA.
    assert_eq!(
        ready_status(dir, url("localhost", trusting(&ca_file, "verify-full"))).await,
        StatusCode::OK
    );
    // 127.0.0.2 is not a name in the certificate: verify-ca does not mind, verify-full does.
    connects(dir, url("127.0.0.2", trusting(&ca_file, "verify-ca"))).await;
    let wrong_name = build_error(dir, url("127.0.0.2", trusting(&ca_file, "verify-full"))).await;
    assert!(
        wrong_name.starts_with(&format!(
            "could not connect to PostgreSQL at 127.0.0.2:{port}: the server certificate could \
             not be verified against the CA in sslrootcert {}",
            ca_file.display()
        )),
        "{wrong_name}"
    );
    assert!(wrong_name.contains("127.0.0.2"), "{wrong_name}");
    // The libpq key/value form works too.
    connects(
        dir,
        format!(
            "host=localhost port={port} user=postgres dbname=postgres sslmode=verify-full \
             sslrootcert='{}'",
            ca_file.display()
        ),
    )
    .await;

    // A certificate from another CA: refused at once, with a line that says why.
    let untrusted = build_error(
        dir,
        url("localhost", trusting(&other_ca_file, "verify-full")),
    )
    .await;
    assert!(
        untrusted.starts_with(&format!(
            "could not connect to PostgreSQL at localhost:{port}: the server certificate could \
             not be verified against the CA in sslrootcert {}",
            other_ca_file.display()
        )),
        "{untrusted}"
    );
    assert!(!untrusted.contains("within"), "not retried: {untrusted}");
    // As in libpq, `require` with a root certificate checks the chain.
    let required = build_error(dir, url("localhost", trusting(&other_ca_file, "require"))).await;
    assert!(required.contains("could not be verified"), "{required}");

    // Unencrypted: the server refuses, and that is not retried either.
    let plain = build_error(dir, url("127.0.0.1", "sslmode=disable".into())).await;
    assert!(
        plain.starts_with(&format!(
            "could not connect to PostgreSQL at 127.0.0.1:{port}: FATAL: "
        )),
        "{plain}"
    );
    assert!(plain.contains("no encryption"), "{plain}");
}

#[tokio::test]
async fn backups_and_dedicated_connections_use_the_same_tls_checks() {
    if std::env::var(POSTGRES_ENV).is_err() {
        return;
    }
    let ca = TestCa::new("NeoForge test CA");
    let mut cluster = PgCluster::init(Some(&ca.server_cert(&["localhost"])));
    cluster.start();
    let ca_file = ca.write(cluster.dir(), "ca.pem");
    let url = format!(
        "postgres://postgres@localhost:{}/postgres?sslmode=verify-full&sslrootcert={}",
        cluster.port(),
        ca_file.display()
    );

    // pg_dump and pg_restore get the same sslmode and CA: without them libpq would find no
    // root certificate for verify-full and refuse.
    let data_dir = tempfile::tempdir().unwrap();
    let settings = settings(data_dir.path(), url.clone());
    assert!(matches!(
        settings.database,
        DatabaseSettings::Postgres { .. }
    ));
    let db = Db::connect(&settings).await.unwrap();
    db.migrate().await.unwrap();
    let backup = neoforge::backup::create(&settings, Some(data_dir.path().join("tls.dump")))
        .await
        .unwrap_or_else(|err| panic!("{err:#}"));
    neoforge::backup::verify(&settings, &backup)
        .await
        .unwrap_or_else(|err| panic!("{err:#}"));
    db.close();

    // A dedicated connection hears notifications, over the same verified TLS.
    let (listener, mut messages) =
        neoforge::db::postgres::connect_dedicated(&url.clone().into(), "neoforge-tests")
            .await
            .unwrap();
    let listening = async {
        listener
            .batch_execute("LISTEN neoforge_test")
            .await
            .unwrap();
        let (notifier, mut notifier_messages) =
            neoforge::db::postgres::connect_dedicated(&url.into(), "neoforge-tests")
                .await
                .unwrap();
        let drive = tokio::spawn(async move { while notifier_messages.next().await.is_some() {} });
        notifier
            .batch_execute("NOTIFY neoforge_test, 'hello'")
            .await
            .unwrap();
        drop(notifier);
        drive.await.unwrap();
    };
    let (_, notification) = tokio::join!(listening, async {
        loop {
            match messages.next().await {
                Some(Ok(AsyncMessage::Notification(notification))) => break notification,
                Some(Ok(_)) => continue,
                other => panic!("the connection ended: {other:?}"),
            }
        }
    });
    assert_eq!(notification.channel(), "neoforge_test");
    assert_eq!(notification.payload(), "hello");
}
