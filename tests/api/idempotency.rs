use reqwest::header::LOCATION;
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, body, invalid_fields};

async fn create_with_key(app: &TestApp, user: &TestUser, key: &str, request: &Value) -> Response {
    app.request(Method::POST, "/api/todos")
        .bearer_auth(&user.token)
        .header("idempotency-key", key)
        .json(request)
        .send()
        .await
        .unwrap()
}

async fn total(app: &TestApp, user: &TestUser) -> i64 {
    body(app.get("/api/todos", Some(&user.token)).await).await["total"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn a_replayed_key_returns_the_first_response_and_creates_nothing() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let first = create_with_key(&app, &user, "offline-1", &json!({"title": "once"})).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let location = first.headers()[LOCATION].clone();
    let first_body = body(first).await;

    // The same request, re-serialised differently, is the same request.
    let replay = create_with_key(
        &app,
        &user,
        "offline-1",
        &json!({"completed": false, "title": " once "}),
    )
    .await;
    assert_eq!(replay.status(), StatusCode::CREATED);
    assert_eq!(replay.headers()[LOCATION], location);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(body(replay).await, first_body);
    assert_eq!(total(&app, &user).await, 1);

    // Without a key, or with another key, requests are independent.
    app.todo(&user, "once").await;
    create_with_key(&app, &user, "offline-2", &json!({"title": "once"})).await;
    assert_eq!(total(&app, &user).await, 3);
}

#[tokio::test]
async fn the_same_key_with_a_different_body_is_422() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    create_with_key(&app, &user, "k", &json!({"title": "first"})).await;
    let reused = create_with_key(&app, &user, "k", &json!({"title": "second"})).await;
    assert_eq!(invalid_fields(reused).await, ["Idempotency-Key"]);
    assert_eq!(total(&app, &user).await, 1);
}

#[tokio::test]
async fn keys_belong_to_one_user() {
    let app = TestApp::spawn().await;
    let (alice, bob) = (app.signed_in_user().await, app.signed_in_user().await);
    let for_alice =
        body(create_with_key(&app, &alice, "shared", &json!({"title": "a"})).await).await;
    let for_bob = create_with_key(&app, &bob, "shared", &json!({"title": "a"})).await;
    assert_eq!(for_bob.status(), StatusCode::CREATED);
    assert_ne!(body(for_bob).await["id"], for_alice["id"]);
    assert_eq!((total(&app, &alice).await, total(&app, &bob).await), (1, 1));
}

#[tokio::test]
async fn malformed_keys_are_422() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    for key in ["has space".to_owned(), "k".repeat(256)] {
        let response = create_with_key(&app, &user, &key, &json!({"title": "x"})).await;
        assert_eq!(invalid_fields(response).await, ["Idempotency-Key"]);
    }
    assert_eq!(total(&app, &user).await, 0);
}

#[tokio::test]
async fn keys_are_forgotten_after_24_hours() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    create_with_key(&app, &user, "old", &json!({"title": "first"})).await;
    let a_day_ago = neoforge::time::Timestamp::now().as_millis() - 24 * 60 * 60 * 1000 - 1;
    app.sql(
        "UPDATE idempotency_keys SET created_at = $1",
        neoforge::params![a_day_ago],
    )
    .await;
    let reused = create_with_key(&app, &user, "old", &json!({"title": "second"})).await;
    assert_eq!(reused.status(), StatusCode::CREATED);
    assert_eq!(body(reused).await["title"], "second");
    assert_eq!(
        neoforge::idempotency::purge_expired(&app.db).await.unwrap(),
        0,
        "the expired record was replaced"
    );
}

#[tokio::test]
async fn concurrent_replays_create_exactly_one_todo() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let request = json!({"title": "tapped five times"});
    let send = || create_with_key(&app, &user, "burst", &request);
    let (a, b, c, d, e) = tokio::join!(send(), send(), send(), send(), send());
    let mut ids = Vec::new();
    for response in [a, b, c, d, e] {
        assert_eq!(response.status(), StatusCode::CREATED);
        ids.push(body(response).await["id"].clone());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "every response names the same todo");
    assert_eq!(total(&app, &user).await, 1);
}
