//! The current user's profile, password and account deletion; nothing privileged can be set.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, body, invalid_fields, problem};

#[tokio::test]
async fn the_profile_name_can_be_changed_and_cleared() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let patch = |value: Value| {
        let token = user.token.clone();
        let app = &app;
        async move {
            app.send_json(Method::PATCH, "/api/users/me", Some(&token), &value)
                .await
        }
    };
    let updated = patch(json!({"name": "  Grace Hopper "})).await;
    assert_eq!(updated.status(), StatusCode::OK);
    assert_eq!(body(updated).await["name"], "Grace Hopper");
    let me = body(app.get("/api/users/me", Some(&user.token)).await).await;
    assert_eq!(me["name"], "Grace Hopper");

    assert_eq!(
        body(patch(json!({"name": null})).await).await["name"],
        Value::Null
    );
    assert_eq!(
        invalid_fields(patch(json!({"name": "x".repeat(101)})).await).await,
        ["name"]
    );
}

#[tokio::test]
async fn no_body_can_set_a_privileged_field() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    for field in [
        "role",
        "is_active",
        "email_verified",
        "email",
        "id",
        "password_hash",
    ] {
        let attempt = app
            .send_json(
                Method::PATCH,
                "/api/users/me",
                Some(&user.token),
                &json!({"name": "Eve", field: "admin"}),
            )
            .await;
        assert_eq!(invalid_fields(attempt).await, [field]);
    }
    let registered = app
        .send_json(
            Method::POST,
            "/api/auth/register",
            None,
            &json!({"email": "eve@example.com", "password": PASSWORD, "role": "admin"}),
        )
        .await;
    assert_eq!(invalid_fields(registered).await, ["role"]);
    let me = body(app.get("/api/users/me", Some(&user.token)).await).await;
    assert_eq!(me["role"], "user");
    assert_eq!(me["email_verified"], false);
    assert_ne!(me["name"], "Eve", "nothing of a refused body is applied");
}

async fn change_password(
    app: &TestApp,
    token: &str,
    current: &str,
    new: &str,
) -> reqwest::Response {
    app.send_json(
        Method::POST,
        "/api/users/me/password",
        Some(token),
        &json!({"current_password": current, "new_password": new}),
    )
    .await
}

#[tokio::test]
async fn changing_the_password_ends_the_other_sessions_only() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let (other_access, other_refresh) = app.new_session(&user).await;
    let new_password = "another fine passphrase";

    let wrong = change_password(&app, &user.token, "not my password", new_password).await;
    assert_eq!(invalid_fields(wrong).await, ["current_password"]);
    let weak = change_password(&app, &user.token, PASSWORD, "short").await;
    assert_eq!(invalid_fields(weak).await, ["new_password"]);
    let email = change_password(&app, &user.token, PASSWORD, &user.email).await;
    assert_eq!(invalid_fields(email).await, ["new_password"]);

    let changed = change_password(&app, &user.token, PASSWORD, new_password).await;
    assert_eq!(changed.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("/api/users/me", Some(&user.token)).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.get("/api/users/me", Some(&other_access)).await.status(),
        StatusCode::UNAUTHORIZED
    );
    problem(app.refresh(&other_refresh).await, StatusCode::UNAUTHORIZED).await;
    assert_eq!(
        app.refresh(&user.refresh_token).await.status(),
        StatusCode::OK
    );
    problem(
        app.login(&user.email, PASSWORD).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(
        app.login(&user.email, new_password).await.status(),
        StatusCode::OK
    );
    let emails = app.emails_to(&user.email).await;
    assert!(
        emails
            .last()
            .unwrap()
            .contains("Subject: Your NeoForge password was changed")
    );
}

async fn delete_me(app: &TestApp, token: &str, password: &str) -> reqwest::Response {
    app.send_json(
        Method::DELETE,
        "/api/users/me",
        Some(token),
        &json!({"password": password}),
    )
    .await
}

#[tokio::test]
async fn deleting_the_account_removes_all_its_data() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let other = app.signed_in_user().await;
    app.todo(&user, "mine").await;
    app.todo(&other, "theirs").await;

    assert_eq!(
        invalid_fields(delete_me(&app, &user.token, "wrong password").await).await,
        ["password"]
    );
    assert_eq!(
        delete_me(&app, &user.token, PASSWORD).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get("/api/users/me", Some(&user.token)).await.status(),
        StatusCode::UNAUTHORIZED
    );
    problem(
        app.login(&user.email, PASSWORD).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let mut conn = app.db.read().await.unwrap();
    for table in ["todos", "sessions", "email_tokens", "idempotency_keys"] {
        let sql: &'static str = match table {
            "todos" => "SELECT COUNT(*) FROM todos WHERE user_id = $1",
            "sessions" => "SELECT COUNT(*) FROM sessions WHERE user_id = $1",
            "email_tokens" => "SELECT COUNT(*) FROM email_tokens WHERE user_id = $1",
            _ => "SELECT COUNT(*) FROM idempotency_keys WHERE user_id = $1",
        };
        let left = conn
            .query_one(sql, &[user.id.into()], |row| row.int(0))
            .await
            .unwrap();
        assert_eq!(left, 0, "{table}");
    }
    let theirs = body(app.get("/api/todos", Some(&other.token)).await).await;
    assert_eq!(theirs["total"], 1);
    // The email is free again.
    assert_eq!(
        app.register(&user.email, PASSWORD).await.status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn the_only_admin_cannot_delete_themself() {
    let app = TestApp::spawn().await;
    let admin = app.signed_in_admin().await;
    problem(
        delete_me(&app, &admin.token, PASSWORD).await,
        StatusCode::CONFLICT,
    )
    .await;
    let second = app.signed_in_admin().await;
    assert_eq!(
        delete_me(&app, &admin.token, PASSWORD).await.status(),
        StatusCode::NO_CONTENT
    );
    problem(
        delete_me(&app, &second.token, PASSWORD).await,
        StatusCode::CONFLICT,
    )
    .await;
}
