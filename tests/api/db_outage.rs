//! A PostgreSQL restart under load: while the server is away requests answer `503` with
//! `Retry-After`, never `500`; `/ready` says so; the pool reconnects without help.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use neoforge::config::DatabaseSettings;
use reqwest::{Method, StatusCode, header};
use serde_json::json;
use tokio::sync::Mutex;

use crate::helpers::{POSTGRES_ENV, TestApp, TestUser, with_token};
use crate::support::pg_cluster::PgCluster;

const CLIENTS: usize = 4;

/// What one client saw: each status, and whether every `503` was a well-formed one.
#[derive(Default)]
struct Seen {
    statuses: Vec<StatusCode>,
    malformed_503: Vec<String>,
}

async fn client_loop(
    app: Arc<TestApp>,
    user: Arc<TestUser>,
    n: usize,
    stop: Arc<AtomicBool>,
) -> Seen {
    let mut seen = Seen::default();
    let mut i = 0;
    while !stop.load(Ordering::Relaxed) {
        i += 1;
        // Half the clients read, half write.
        let request = if n.is_multiple_of(2) {
            with_token(app.request(Method::GET, "/api/todos"), Some(&user.token))
        } else {
            with_token(app.request(Method::POST, "/api/todos"), Some(&user.token))
                .json(&json!({"title": format!("client {n} todo {i}")}))
        };
        let response = match request.send().await {
            Ok(response) => response,
            Err(err) => panic!("the server did not answer: {err}"),
        };
        let status = response.status();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            let retry_after = response.headers().get(header::RETRY_AFTER).cloned();
            let content_type = response.headers().get(header::CONTENT_TYPE).cloned();
            let problem: serde_json::Value = response.json().await.unwrap_or_default();
            let well_formed = retry_after.is_some()
                && content_type.is_some_and(|value| value == "application/problem+json")
                && problem["status"] == 503
                && problem["request_id"].is_string();
            if !well_formed {
                seen.malformed_503
                    .push(format!("{retry_after:?} {problem}"));
            }
        }
        seen.statuses.push(status);
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_postgres_restart_under_load_answers_503_not_500_and_the_pool_recovers() {
    if std::env::var(POSTGRES_ENV).is_err() {
        return;
    }
    let mut cluster = PgCluster::init(None);
    cluster.start();
    let url = format!("postgres://postgres@127.0.0.1:{}/postgres", cluster.port());
    let app = Arc::new(
        TestApp::spawn_with(|settings| {
            settings.database = DatabaseSettings::Postgres { url: url.into() };
        })
        .await,
    );
    let user = Arc::new(app.signed_in_user().await);
    app.todo(&user, "before the restart").await;

    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|n| {
            tokio::spawn(client_loop(
                Arc::clone(&app),
                Arc::clone(&user),
                n,
                Arc::clone(&stop),
            ))
        })
        .collect();
    let readiness = Arc::new(Mutex::new(Vec::new()));
    let probe = {
        let (app, stop, readiness) = (Arc::clone(&app), Arc::clone(&stop), Arc::clone(&readiness));
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let status = app.get("/ready", None).await.status();
                let mut seen = readiness.lock().await;
                if seen.last() != Some(&status) {
                    seen.push(status);
                }
                drop(seen);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };

    tokio::time::sleep(Duration::from_millis(300)).await;
    // A fast restart, as an orchestrator moving the server does it.
    let mut cluster = tokio::task::spawn_blocking(move || {
        cluster.stop();
        std::thread::sleep(Duration::from_millis(200));
        cluster
    })
    .await
    .unwrap();
    // Let the clients run into the outage before the server is back.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let cluster = tokio::task::spawn_blocking(move || {
        cluster.start();
        cluster
    })
    .await
    .unwrap();

    // The pool reconnects by itself: reads answer again within seconds.
    let back = Instant::now();
    loop {
        let status = app.get("/api/todos", Some(&user.token)).await.status();
        if status == StatusCode::OK {
            break;
        }
        assert!(
            back.elapsed() < Duration::from_secs(5),
            "reads still answer {status} 5 s after the server came back"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let recovered = back.elapsed();
    // Give the readiness probe time to see it too.
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    probe.await.unwrap();

    let mut statuses = Vec::new();
    for client in clients {
        let seen = client.await.unwrap();
        assert!(
            seen.malformed_503.is_empty(),
            "503 without Retry-After or problem details: {:?}",
            seen.malformed_503
        );
        statuses.extend(seen.statuses);
    }
    let unexpected: Vec<_> = statuses
        .iter()
        .filter(|status| {
            ![
                StatusCode::OK,
                StatusCode::CREATED,
                StatusCode::SERVICE_UNAVAILABLE,
            ]
            .contains(status)
        })
        .collect();
    assert!(
        unexpected.is_empty(),
        "answers other than 200, 201 or 503: {unexpected:?}"
    );
    assert!(
        statuses.contains(&StatusCode::SERVICE_UNAVAILABLE),
        "no request ran into the outage; the test proves nothing"
    );
    let count = |wanted: StatusCode| statuses.iter().filter(|s| **s == wanted).count();
    eprintln!(
        "{} requests: {} answered 503; reads back {} ms after the server",
        statuses.len(),
        count(StatusCode::SERVICE_UNAVAILABLE),
        recovered.as_millis()
    );
    let readiness = readiness.lock().await.clone();
    assert_eq!(
        readiness,
        [
            StatusCode::OK,
            StatusCode::SERVICE_UNAVAILABLE,
            StatusCode::OK
        ],
        "/ready did not follow the outage"
    );
    drop(cluster);
}
