//! Personal API keys: created with a secret shown once, listed without it, accepted on the
//! todo and realtime routes within their scopes, refused everywhere else, and revoked at once.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{REDIS_ENV, TestApp, body, invalid_fields, problem, with_token};

async fn create_key(app: &TestApp, token: &str, request: Value) -> reqwest::Response {
    app.send_json(
        Method::POST,
        "/api/users/me/api-keys",
        Some(token),
        &request,
    )
    .await
}

async fn audit_events(app: &TestApp, user_id: impl std::fmt::Display) -> Vec<Value> {
    let admin = app.signed_in_admin().await;
    let path = format!("/api/admin/audit-log?user_id={user_id}&limit=100");
    body(app.get(&path, Some(&admin.token)).await).await["items"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn a_key_is_shown_once_listed_without_its_secret_and_works_within_its_scopes() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let created = create_key(
        &app,
        &user.token,
        json!({"name": "  Claude on my laptop ", "scopes": ["todos:read"], "expires_in_days": 30}),
    )
    .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let created = body(created).await;
    let secret = created["key"].as_str().unwrap();
    assert!(secret.starts_with("nf_") && secret.len() == 46, "{secret}");
    assert!(secret.starts_with(created["prefix"].as_str().unwrap()));
    assert_eq!(created["name"], "Claude on my laptop");
    assert_eq!(created["scopes"], json!(["todos:read"]));
    assert!(created["last_used_at"].is_null());
    assert!(created["expires_at"].is_string());

    let listed = body(app.get("/api/users/me/api-keys", Some(&user.token)).await).await;
    assert_eq!(listed["total"], 1);
    let item = &listed["items"][0];
    assert_eq!(item["id"], created["id"]);
    assert!(
        item.get("key").is_none(),
        "the secret is never listed: {item}"
    );
    assert!(!listed.to_string().contains(secret));

    // Reading is in scope; writing is not.
    let owned = app.todo(&user, "mine").await;
    let list = body(app.get("/api/todos", Some(secret)).await).await;
    assert_eq!(list["items"][0]["id"], owned["id"]);
    let stats = app.get("/api/todos/stats", Some(secret)).await;
    assert_eq!(stats.status(), StatusCode::OK);
    let write = app
        .send_json(
            Method::POST,
            "/api/todos",
            Some(secret),
            &json!({"title": "no"}),
        )
        .await;
    assert_eq!(
        write.headers()["www-authenticate"],
        r#"Bearer error="insufficient_scope", scope="todos:write""#
    );
    let refused = problem(write, StatusCode::FORBIDDEN).await;
    assert!(refused["detail"].as_str().unwrap().contains("todos:write"));

    // The first use is recorded.
    let listed = body(app.get("/api/users/me/api-keys", Some(&user.token)).await).await;
    assert!(listed["items"][0]["last_used_at"].is_string(), "{listed}");

    let events: Vec<String> = audit_events(&app, user.id)
        .await
        .iter()
        .map(|entry| entry["event"].as_str().unwrap().to_owned())
        .collect();
    assert!(events.contains(&"api_key_created".to_owned()), "{events:?}");
    assert!(events.contains(&"api_key_denied".to_owned()), "{events:?}");
}

#[tokio::test]
async fn a_read_write_key_changes_todos_and_counts_as_its_user() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let key = app.api_key(&user, &["todos:read", "todos:write"]).await;
    let created = app
        .send_json(
            Method::POST,
            "/api/todos",
            Some(&key.secret),
            &json!({"title": "by key"}),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    assert!(created.headers().contains_key("ratelimit-limit"));
    let todo = body(created).await;
    let path = format!("/api/todos/{}", todo["id"].as_str().unwrap());
    let updated = app
        .send_json(
            Method::PATCH,
            &path,
            Some(&key.secret),
            &json!({"completed": true}),
        )
        .await;
    assert_eq!(body(updated).await["completed"], true);
    // The user sees it in their own session.
    let seen = body(app.get(&path, Some(&user.token)).await).await;
    assert_eq!(seen["title"], "by key");
    assert_eq!(
        app.delete(&path, Some(&key.secret)).await.status(),
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn keys_are_refused_on_the_account_key_and_admin_routes() {
    let app = TestApp::spawn().await;
    let admin = app.signed_in_admin().await;
    let key = app.api_key(&admin, &["todos:read", "todos:write"]).await;
    for (method, path) in [
        (Method::GET, "/api/users/me"),
        (Method::GET, "/api/users/me/sessions"),
        (Method::GET, "/api/users/me/api-keys"),
        (Method::POST, "/api/users/me/api-keys"),
        (Method::GET, "/api/admin/users"),
        (Method::GET, "/api/admin/audit-log"),
        (Method::POST, "/api/auth/logout"),
    ] {
        let response = with_token(app.request(method.clone(), path), Some(&key.secret))
            .send()
            .await
            .unwrap();
        problem(response, StatusCode::FORBIDDEN).await;
    }
}

/// Every operation of the OpenAPI document that takes a credential, tried with a key that
/// has every scope: the ones documented as open to keys accept it, every other one answers
/// `403`. A new route is covered the day it is added.
#[tokio::test]
async fn every_operation_treats_keys_as_its_document_says() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let key = app.api_key(&user, &["todos:read", "todos:write"]).await;
    let document = body(app.get("/openapi.json", None).await).await;
    let mut tried = 0;
    for (template, item) in document["paths"].as_object().unwrap() {
        let path = template.replace("{id}", &uuid::Uuid::now_v7().to_string());
        for (method, operation) in item.as_object().unwrap() {
            let Ok(method) = method.to_uppercase().parse::<Method>() else {
                continue;
            };
            let takes_credential = operation["security"]
                .as_array()
                .is_some_and(|requirements| !requirements.is_empty());
            if !takes_credential {
                continue;
            }
            let forbidden = &operation["responses"]["403"]["$ref"];
            // No body: the credential is checked before the body is read.
            let response = with_token(app.request(method.clone(), &path), Some(&key.secret))
                .send()
                .await
                .unwrap();
            let status = response.status();
            if forbidden == "#/components/responses/InsufficientScope" {
                assert!(
                    status != StatusCode::FORBIDDEN && status != StatusCode::UNAUTHORIZED,
                    "{method} {template} refused a key with every scope: {status}"
                );
            } else {
                assert_eq!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{method} {template} must refuse API keys"
                );
            }
            tried += 1;
        }
    }
    assert!(tried > 20, "only {tried} operations tried");
}

#[tokio::test]
async fn revoking_a_key_ends_it_at_once_and_strangers_cannot() {
    let app = TestApp::spawn().await;
    let (user, stranger) = (app.signed_in_user().await, app.signed_in_user().await);
    let key = app.api_key(&user, &["todos:read"]).await;
    // Used once, so its grant sits in the cache.
    assert_eq!(
        app.get("/api/todos", Some(&key.secret)).await.status(),
        StatusCode::OK
    );
    let path = format!("/api/users/me/api-keys/{}", key.id);
    problem(
        app.delete(&path, Some(&stranger.token)).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(
        app.get("/api/todos", Some(&key.secret)).await.status(),
        StatusCode::OK
    );

    assert_eq!(
        app.delete(&path, Some(&user.token)).await.status(),
        StatusCode::NO_CONTENT
    );
    let refused = app.get("/api/todos", Some(&key.secret)).await;
    assert_eq!(
        refused.headers()["www-authenticate"],
        r#"Bearer error="invalid_token""#
    );
    problem(refused, StatusCode::UNAUTHORIZED).await;
    problem(
        app.delete(&path, Some(&user.token)).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let listed = body(app.get("/api/users/me/api-keys", Some(&user.token)).await).await;
    assert_eq!(listed["total"], 0);
    let events = audit_events(&app, user.id).await;
    assert!(
        events
            .iter()
            .any(|entry| entry["event"] == "api_key_revoked"
                && entry["details"]["api_key_id"] == key.id.as_str())
    );
}

#[tokio::test]
async fn unknown_expired_and_deactivated_keys_are_refused() {
    let app = TestApp::spawn().await;
    let admin = app.signed_in_admin().await;
    let user = app.signed_in_user().await;
    let forged = format!("nf_{}", "A".repeat(43));
    problem(
        app.get("/api/todos", Some(&forged)).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;

    let expired = create_key(
        &app,
        &user.token,
        json!({"name": "old", "scopes": ["todos:read"], "expires_in_days": 1}),
    )
    .await;
    let expired = body(expired).await;
    app.sql(
        "UPDATE api_keys SET expires_at = 1 WHERE id = $1",
        &[expired["id"].as_str().unwrap().into()],
    )
    .await;
    let secret = expired["key"].as_str().unwrap();
    problem(
        app.get("/api/todos", Some(secret)).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;

    let key = app.api_key(&user, &["todos:read"]).await;
    assert_eq!(
        app.get("/api/todos", Some(&key.secret)).await.status(),
        StatusCode::OK
    );
    let deactivate = app
        .send_json(
            Method::PATCH,
            &format!("/api/admin/users/{}", user.id),
            Some(&admin.token),
            &json!({"is_active": false}),
        )
        .await;
    assert_eq!(deactivate.status(), StatusCode::OK);
    problem(
        app.get("/api/todos", Some(&key.secret)).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

#[tokio::test]
async fn invalid_requests_list_every_field() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let fields = invalid_fields(
        create_key(
            &app,
            &user.token,
            json!({"name": " ", "scopes": [], "expires_in_days": 0, "admin": true}),
        )
        .await,
    )
    .await;
    assert_eq!(fields, ["name", "scopes", "expires_in_days", "admin"]);
    for scopes in [
        json!(["todos:read", "todos:read"]),
        json!(["todos:delete"]),
        json!("todos:read"),
    ] {
        let response = create_key(&app, &user.token, json!({"name": "k", "scopes": scopes})).await;
        assert_eq!(invalid_fields(response).await, ["scopes"]);
    }
    let name = create_key(
        &app,
        &user.token,
        json!({"name": "line\nbreak", "scopes": ["todos:read"]}),
    )
    .await;
    assert_eq!(invalid_fields(name).await, ["name"]);
    let never = create_key(
        &app,
        &user.token,
        json!({"name": "k", "scopes": ["todos:write"], "expires_in_days": null}),
    )
    .await;
    assert!(body(never).await["expires_at"].is_null());
}

#[tokio::test]
async fn a_user_holds_a_bounded_number_of_keys() {
    let app = TestApp::spawn_with(|settings| settings.api_access.api_keys_per_user = 2).await;
    let user = app.signed_in_user().await;
    app.api_key(&user, &["todos:read"]).await;
    app.api_key(&user, &["todos:read"]).await;
    let third = create_key(
        &app,
        &user.token,
        json!({"name": "k", "scopes": ["todos:read"]}),
    )
    .await;
    problem(third, StatusCode::CONFLICT).await;
}

/// Replicas share what a key may do through Redis; without it there is one process.
#[tokio::test]
async fn revocation_reaches_every_replica() {
    if std::env::var(REDIS_ENV).is_err() {
        eprintln!("skipped: replicas share key state through Redis ({REDIS_ENV} unset)");
        return;
    }
    let first = TestApp::spawn().await;
    let second = first.spawn_replica().await;
    let (first, second) = (&first, &second);
    let user = first.signed_in_user().await;
    let key = first.api_key(&user, &["todos:read"]).await;
    assert_eq!(
        second.get("/api/todos", Some(&key.secret)).await.status(),
        StatusCode::OK
    );
    let path = format!("/api/users/me/api-keys/{}", key.id);
    assert_eq!(
        first.delete(&path, Some(&user.token)).await.status(),
        StatusCode::NO_CONTENT
    );
    problem(
        second.get("/api/todos", Some(&key.secret)).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

/// Creations at the same moment count one after the other: the limit holds exactly.
#[tokio::test]
async fn concurrent_creations_do_not_pass_the_limit() {
    let app = TestApp::spawn_with(|settings| settings.api_access.api_keys_per_user = 3).await;
    let user = app.signed_in_user().await;
    let attempts = (0..8).map(|_| {
        create_key(
            &app,
            &user.token,
            json!({"name": "k", "scopes": ["todos:read"]}),
        )
    });
    let statuses: Vec<StatusCode> = futures_util::future::join_all(attempts)
        .await
        .iter()
        .map(reqwest::Response::status)
        .collect();
    let created = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    assert_eq!(created, 3, "{statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::CREATED || *s == StatusCode::CONFLICT)
    );
    let listed = body(app.get("/api/users/me/api-keys", Some(&user.token)).await).await;
    assert_eq!(listed["total"], 3);
}
