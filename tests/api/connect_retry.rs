//! Start-up against a database or Redis that is not up yet: wait for it with backoff, for a
//! bounded time, then give up with one clear line.

use std::process::Command;
use std::time::Duration;

use neoforge::config::RedisSettings;

use crate::helpers::{POSTGRES_ENV, REDIS_ENV, binary, test_settings};
use crate::support::pg_cluster::PgCluster;
use crate::support::redis_server::RedisServer;
use crate::support::spare_port;

#[tokio::test]
async fn start_up_waits_for_a_postgres_that_comes_up_later_and_survives_a_restart() {
    if std::env::var(POSTGRES_ENV).is_err() {
        return;
    }
    let mut cluster = PgCluster::init(None);
    let data_dir = tempfile::tempdir().unwrap();
    let url = format!("postgres://postgres@127.0.0.1:{}/postgres", cluster.port());
    let settings = test_settings(data_dir.path(), Some(url), None);
    let build = tokio::spawn(neoforge::Application::build(settings));

    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        !build.is_finished(),
        "start-up gave up while nothing listened"
    );
    cluster.start();
    let app = build.await.unwrap().unwrap_or_else(|err| panic!("{err:#}"));
    app.db().ping().await.unwrap();

    // A restart of the database later is survived too: the pool replaces dead connections.
    cluster.stop();
    assert!(app.db().ping().await.is_err(), "the database is down");
    cluster.start();
    let mut answered = false;
    for _ in 0..40 {
        if app.db().ping().await.is_ok() {
            answered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(answered, "the pool did not reconnect after the restart");
}

#[tokio::test]
async fn start_up_waits_for_a_redis_that_comes_up_later() {
    if std::env::var(REDIS_ENV).is_err() {
        return;
    }
    let port = spare_port();
    let data_dir = tempfile::tempdir().unwrap();
    let url = format!("redis://127.0.0.1:{port}");
    let settings = test_settings(data_dir.path(), None, Some((&url, "neoforge-test:")));
    let build = tokio::spawn(neoforge::Application::build(settings));

    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        !build.is_finished(),
        "start-up gave up while nothing listened"
    );
    let _redis = RedisServer::start(port);
    build.await.unwrap().unwrap_or_else(|err| panic!("{err:#}"));
}

#[tokio::test]
async fn start_up_gives_up_after_the_connect_timeout() {
    let port = spare_port();
    let data_dir = tempfile::tempdir().unwrap();
    let url = format!("postgres://app:hunter2@127.0.0.1:{port}/app");
    let mut settings = test_settings(data_dir.path(), Some(url), None);
    settings.connect_timeout = Duration::from_secs(2);
    let error = match neoforge::Application::build(settings).await {
        Ok(_) => panic!("connected to a port where nothing listens"),
        Err(err) => format!("{err:#}"),
    };
    assert!(
        error.starts_with(&format!(
            "could not connect to PostgreSQL at 127.0.0.1:{port} within 2 s: "
        )),
        "{error}"
    );
    assert!(error.contains("Connection refused"), "{error}");
    assert!(!error.contains("hunter2"), "{error}");

    let redis_url = format!("redis://:hunter2@127.0.0.1:{port}");
    let mut settings = test_settings(data_dir.path(), None, Some((&redis_url, "x:")));
    let redis: &mut RedisSettings = settings.redis.as_mut().unwrap();
    redis.connect_timeout = Duration::from_secs(1);
    let error = match neoforge::Application::build(settings).await {
        Ok(_) => panic!("connected to a port where nothing listens"),
        Err(err) => format!("{err:#}"),
    };
    assert!(
        error.starts_with(&format!(
            "could not connect to Redis at 127.0.0.1:{port} within 1 s: "
        )),
        "{error}"
    );
    assert!(!error.contains("hunter2"), "{error}");
}

#[test]
fn the_binary_reports_a_failed_start_in_one_line() {
    let port = spare_port();
    let data_dir = tempfile::tempdir().unwrap();
    let output = Command::new(binary())
        .env_clear()
        .env("NEOFORGE_DATA_DIR", data_dir.path())
        .env(
            "DATABASE_URL",
            format!("postgres://app:hunter2@127.0.0.1:{port}/app"),
        )
        .env("NEOFORGE_CONNECT_TIMEOUT", "0")
        .arg("migrate")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].starts_with(&format!(
            "error: could not connect to PostgreSQL at 127.0.0.1:{port}: "
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");
}
