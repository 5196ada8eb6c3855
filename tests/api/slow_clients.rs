//! Clients that hold connections without using them: a request head trickled in slowly is
//! cut off, and past the connection cap new connections wait until one closes.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::TestApp;

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .unwrap()
}

/// Read until the server closes the connection; `None` if it is still open after `limit`.
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<Vec<u8>> {
    let mut received = Vec::new();
    tokio::time::timeout(limit, stream.read_to_end(&mut received))
        .await
        .ok()
        .map(|read| {
            read.unwrap_or_default();
            received
        })
}

#[tokio::test]
async fn a_request_head_sent_too_slowly_is_cut_off() {
    let app = TestApp::spawn_with(|settings| {
        settings.client_connections.header_read_timeout = Duration::from_secs(1);
    })
    .await;
    let mut slow = connect(&app).await;
    let started = Instant::now();
    slow.write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow: a")
        .await
        .unwrap();
    let answer = closed_within(&mut slow, Duration::from_secs(10)).await;
    let answer = answer.expect("the slow connection is still open after 10 s");
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
    // Whatever hyper says on closing, it is not an answer to the unfinished request.
    assert!(!String::from_utf8_lossy(&answer).contains("200 OK"));

    // Meanwhile, and after, everyone else is served.
    let health = app.get("/health", None).await;
    assert_eq!(health.status(), reqwest::StatusCode::OK);
}

#[tokio::test]
async fn past_the_connection_cap_new_connections_wait_for_a_free_one() {
    let app = TestApp::spawn_with(|settings| {
        settings.client_connections.max_connections = 2;
    })
    .await;
    let idle = [connect(&app).await, connect(&app).await];
    // Accepted in order: the two idle connections hold both slots.
    tokio::time::sleep(Duration::from_millis(100)).await;

    let mut third = connect(&app).await;
    third
        .write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    assert!(
        closed_within(&mut third, Duration::from_millis(500))
            .await
            .is_none(),
        "a third connection was served past a cap of two"
    );

    drop(idle);
    let answer = closed_within(&mut third, Duration::from_secs(10))
        .await
        .expect("served once a slot is free");
    assert!(String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 200 OK"));
}
