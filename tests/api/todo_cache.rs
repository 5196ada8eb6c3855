//! The cached todo counts (`/api/todos/stats`, every list's `total`): served from the cache,
//! and never stale after the user's own change, on one replica or across replicas.

use reqwest::header::{ETAG, IF_NONE_MATCH};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{REDIS_ENV, TestApp, TestUser, body};
use crate::support::redis_server::RedisServer;
use crate::support::spare_port;

async fn stats(app: &TestApp, user: &TestUser) -> Value {
    let response = app.get("/api/todos/stats", Some(&user.token)).await;
    assert_eq!(response.status(), StatusCode::OK);
    body(response).await
}

/// The `total` of the list under each filter, as `[all, active, completed]`.
async fn totals(app: &TestApp, user: &TestUser) -> [i64; 3] {
    let mut totals = [0; 3];
    for (total, filter) in totals.iter_mut().zip(["all", "active", "completed"]) {
        let path = format!("/api/todos?status_filter={filter}&limit=1");
        let response = app.get(&path, Some(&user.token)).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        *total = body(response).await["total"].as_i64().unwrap();
    }
    totals
}

/// Both views of the counts agree with `[total, active, completed]`.
async fn assert_counts(app: &TestApp, user: &TestUser, [all, active, completed]: [i64; 3]) {
    assert_eq!(
        stats(app, user).await,
        json!({"total": all, "active": active, "completed": completed})
    );
    assert_eq!(totals(app, user).await, [all, active, completed]);
}

/// Change the user's todos behind the API's back, as no request can: only the cache can
/// then explain an unchanged answer.
async fn complete_all_in_the_database(app: &TestApp, user: &TestUser) {
    app.sql(
        "UPDATE todos SET completed = 1 WHERE user_id = $1",
        neoforge::params![user.id],
    )
    .await;
}

#[tokio::test]
async fn counts_are_right_after_every_kind_of_write() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    assert_counts(&app, &user, [0, 0, 0]).await;

    let first = app.todo(&user, "first").await;
    let first_path = format!("/api/todos/{}", first["id"].as_str().unwrap());
    assert_counts(&app, &user, [1, 1, 0]).await;
    app.create_todo(&user, &json!({"title": "done", "completed": true}))
        .await;
    assert_counts(&app, &user, [2, 1, 1]).await;

    let patched = app
        .send_json(
            Method::PATCH,
            &first_path,
            Some(&user.token),
            &json!({"completed": true}),
        )
        .await;
    assert_eq!(patched.status(), StatusCode::OK);
    assert_counts(&app, &user, [2, 0, 2]).await;
    let put = app
        .send_json(
            Method::PUT,
            &first_path,
            Some(&user.token),
            &json!({"completed": false}),
        )
        .await;
    assert_eq!(put.status(), StatusCode::OK);
    assert_counts(&app, &user, [2, 1, 1]).await;

    let deleted = app.delete(&first_path, Some(&user.token)).await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_counts(&app, &user, [1, 0, 1]).await;
}

#[tokio::test]
async fn counts_come_from_the_cache_until_the_next_write() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    app.todo(&user, "one").await;
    app.todo(&user, "two").await;
    assert_counts(&app, &user, [2, 2, 0]).await;

    complete_all_in_the_database(&app, &user).await;
    assert_counts(&app, &user, [2, 2, 0]).await;
    // A list page itself is read afresh; only its total is cached.
    let page = body(app.get("/api/todos", Some(&user.token)).await).await;
    assert_eq!(page["items"][0]["completed"], true);

    app.todo(&user, "three").await;
    assert_counts(&app, &user, [3, 1, 2]).await;
}

#[tokio::test]
async fn with_the_cache_off_every_count_is_read_from_the_database() {
    let app = TestApp::spawn_with(|settings| settings.todo_cache.enabled = false).await;
    let user = app.signed_in_user().await;
    app.todo(&user, "one").await;
    app.todo(&user, "two").await;
    assert_counts(&app, &user, [2, 2, 0]).await;

    complete_all_in_the_database(&app, &user).await;
    assert_counts(&app, &user, [2, 0, 2]).await;
}

#[tokio::test]
async fn a_cached_stats_etag_changes_with_the_counts() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    app.todo(&user, "one").await;
    let first = app.get("/api/todos/stats", Some(&user.token)).await;
    let etag = first.headers()[ETAG].clone();
    let conditional = || {
        app.request(Method::GET, "/api/todos/stats")
            .bearer_auth(&user.token)
            .header(IF_NONE_MATCH, etag.clone())
            .send()
    };
    // Served from the cache now: the same body, so the same tag.
    let unchanged = conditional().await.unwrap();
    assert_eq!(unchanged.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(unchanged.headers()[ETAG], etag);

    app.todo(&user, "two").await;
    let changed = conditional().await.unwrap();
    assert_eq!(changed.status(), StatusCode::OK);
    assert_ne!(changed.headers()[ETAG], etag);
    assert_eq!(body(changed).await["total"], 2);
}

#[tokio::test]
async fn the_counts_of_each_user_are_their_own() {
    let app = TestApp::spawn().await;
    let ada = app.signed_in_user().await;
    let bob = app.signed_in_user().await;
    app.todo(&ada, "ada's").await;
    assert_counts(&app, &ada, [1, 1, 0]).await;
    assert_counts(&app, &bob, [0, 0, 0]).await;
    app.todo(&bob, "bob's").await;
    app.todo(&bob, "bob's too").await;
    assert_counts(&app, &ada, [1, 1, 0]).await;
    assert_counts(&app, &bob, [2, 2, 0]).await;
}

#[tokio::test]
async fn a_write_through_one_replica_is_counted_through_another_at_once() {
    if std::env::var(REDIS_ENV).is_err() {
        eprintln!("skipped: replicas share cached counts through Redis only");
        return;
    }
    let first = TestApp::spawn().await;
    let second = first.spawn_replica().await;
    let user = first.signed_in_user().await;
    first.todo(&user, "one").await;
    assert_counts(&first, &user, [1, 1, 0]).await;
    assert_counts(&second, &user, [1, 1, 0]).await;

    let todo = second.todo(&user, "two").await;
    assert_counts(&first, &user, [2, 2, 0]).await;
    let path = format!("/api/todos/{}", todo["id"].as_str().unwrap());
    first
        .send_json(
            Method::PATCH,
            &path,
            Some(&user.token),
            &json!({"completed": true}),
        )
        .await;
    assert_counts(&second, &user, [2, 1, 1]).await;
    second.delete(&path, Some(&user.token)).await;
    assert_counts(&first, &user, [1, 1, 0]).await;
    assert_counts(&second, &user, [1, 1, 0]).await;
}

#[tokio::test]
async fn while_redis_is_down_counts_are_read_from_the_database() {
    if std::env::var(REDIS_ENV).is_err() {
        eprintln!("skipped: runs with the Redis legs of the suite");
        return;
    }
    let port = spare_port();
    let redis = RedisServer::start(port);
    let app = TestApp::spawn_on_redis(port).await;
    let user = app.signed_in_user().await;
    app.todo(&user, "before").await;
    assert_counts(&app, &user, [1, 1, 0]).await;

    drop(redis);
    complete_all_in_the_database(&app, &user).await;
    assert_counts(&app, &user, [1, 0, 1]).await;
    app.todo(&user, "during").await;
    assert_counts(&app, &user, [2, 1, 1]).await;

    let _redis = RedisServer::start(port);
    app.todo(&user, "after").await;
    assert_counts(&app, &user, [3, 2, 1]).await;
}
