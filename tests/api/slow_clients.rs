//! Clients that hold connections without using them: a request head trickled in slowly is
//! cut off, so is a kept-alive connection left idle, but not a response being streamed; past
//! the connection cap new connections wait until one closes.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;
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

const SHORT: Duration = Duration::from_millis(500);

#[tokio::test]
async fn a_kept_alive_connection_left_idle_is_closed_after_the_header_time_out() {
    let app = TestApp::spawn_with(|settings| {
        settings.client_connections.header_read_timeout = SHORT;
    })
    .await;
    let mut idle = connect(&app).await;
    idle.write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let answer = closed_within(&mut idle, Duration::from_secs(10))
        .await
        .expect("the idle connection is still open after 10 s");
    assert!(String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 200 OK"));
    assert!(started.elapsed() >= SHORT - Duration::from_millis(50));
}

#[tokio::test]
async fn an_event_stream_outlives_the_header_time_out() {
    let app = TestApp::spawn_with(|settings| {
        settings.client_connections.header_read_timeout = SHORT;
    })
    .await;
    let user = app.signed_in_user().await;
    let mut stream = app.get("/api/events", Some(&user.token)).await;
    assert_eq!(stream.status(), StatusCode::OK);

    tokio::time::sleep(SHORT * 3).await;
    let created = app
        .create_todo(&user, &json!({"title": "long after the time-out"}))
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let mut received = String::new();
    while !received.contains("todo.created") {
        let chunk = tokio::time::timeout(Duration::from_secs(5), stream.chunk())
            .await
            .expect("the change arrives on the stream")
            .unwrap()
            .expect("the stream is still open");
        received.push_str(&String::from_utf8_lossy(&chunk));
    }
}
