//! The admin area: user search, role and status changes, deletion, the audit log; and that
//! nobody else gets in.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, body, invalid_fields, problem};

async fn patch_user(
    app: &TestApp,
    token: &str,
    id: impl std::fmt::Display,
    body: Value,
) -> reqwest::Response {
    app.send_json(
        Method::PATCH,
        &format!("/api/admin/users/{id}"),
        Some(token),
        &body,
    )
    .await
}

#[tokio::test]
async fn only_admins_get_in() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    for path in ["/api/admin/users", "/api/admin/audit-log"] {
        problem(app.get(path, None).await, StatusCode::UNAUTHORIZED).await;
        problem(
            app.get(path, Some(&user.token)).await,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    problem(
        patch_user(&app, &user.token, user.id, json!({"role": "admin"})).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    problem(
        app.delete(&format!("/api/admin/users/{}", user.id), Some(&user.token))
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let me = body(app.get("/api/users/me", Some(&user.token)).await).await;
    assert_eq!(me["role"], "user");
}

#[tokio::test]
async fn admins_search_users_by_email_or_name() {
    let app = TestApp::spawn().await;
    let admin = app.signed_in_admin().await;
    for (email, name) in [
        ("grace@navy.example", "Grace Hopper"),
        ("ada@engine.example", "Ada Lovelace"),
        ("linus@kernel.example", "100%_sure"),
    ] {
        let registered = app
            .send_json(
                Method::POST,
                "/api/auth/register",
                None,
                &json!({"email": email, "password": PASSWORD, "name": name}),
            )
            .await;
        assert_eq!(registered.status(), StatusCode::CREATED);
    }
    let search = |query: &'static str| {
        let app = &app;
        let token = admin.token.clone();
        async move {
            body(
                app.get(&format!("/api/admin/users{query}"), Some(&token))
                    .await,
            )
            .await
        }
    };
    let all = search("").await;
    assert_eq!(all["total"], 4);
    assert_eq!(
        all["items"][0]["email"], "linus@kernel.example",
        "newest first"
    );
    assert_eq!(all["items"][0]["is_active"], true);
    assert!(all["items"][0].get("password_hash").is_none());

    let hopper = search("?q=HOPPER").await;
    assert_eq!(hopper["total"], 1);
    assert_eq!(hopper["items"][0]["name"], "Grace Hopper");
    assert_eq!(search("?q=engine.example").await["total"], 1);
    // `%` and `_` match themselves, not anything.
    assert_eq!(search("?q=%25_").await["total"], 1);
    assert_eq!(search("?q=_").await["total"], 1);
    let page = search("?limit=2&offset=1").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert_eq!(
        (page["limit"].clone(), page["offset"].clone()),
        (json!(2), json!(1))
    );

    let bad = app
        .get("/api/admin/users?limit=0&sort=name", Some(&admin.token))
        .await;
    assert_eq!(invalid_fields(bad).await, ["limit", "sort"]);
}

#[tokio::test]
async fn admins_change_roles_and_status() {
    let app = TestApp::spawn().await;
    let admin = app.signed_in_admin().await;
    let user = app.signed_in_user().await;

    let promoted = patch_user(&app, &admin.token, user.id, json!({"role": "admin"})).await;
    assert_eq!(promoted.status(), StatusCode::OK);
    assert_eq!(body(promoted).await["role"], "admin");
    // Effective at once, with the same token.
    assert_eq!(
        app.get("/api/admin/users", Some(&user.token))
            .await
            .status(),
        StatusCode::OK
    );
    let demoted = patch_user(&app, &admin.token, user.id, json!({"role": "user"})).await;
    assert_eq!(body(demoted).await["role"], "user");
    problem(
        app.get("/api/admin/users", Some(&user.token)).await,
        StatusCode::FORBIDDEN,
    )
    .await;

    let off = patch_user(&app, &admin.token, user.id, json!({"is_active": false})).await;
    assert_eq!(body(off).await["is_active"], false);
    problem(
        app.login(&user.email, PASSWORD).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let on = patch_user(&app, &admin.token, user.id, json!({"is_active": true})).await;
    assert_eq!(body(on).await["is_active"], true);
    assert_eq!(
        app.login(&user.email, PASSWORD).await.status(),
        StatusCode::OK
    );

    for (invalid, fields) in [
        (json!({}), vec!["body"]),
        (json!({"role": "superuser"}), vec!["role"]),
        (json!({"is_active": "no"}), vec!["is_active"]),
        (
            json!({"role": "user", "email_verified": true}),
            vec!["email_verified"],
        ),
    ] {
        let response = patch_user(&app, &admin.token, user.id, invalid).await;
        assert_eq!(invalid_fields(response).await, fields);
    }
    for id in ["not-a-uuid", "01900000-0000-7000-8000-000000000000"] {
        problem(
            patch_user(&app, &admin.token, id, json!({"role": "admin"})).await,
            StatusCode::NOT_FOUND,
        )
        .await;
    }
}

#[tokio::test]
async fn an_admin_cannot_lock_themself_out() {
    let app = TestApp::spawn().await;
    let admin = app.signed_in_admin().await;
    for change in [json!({"role": "user"}), json!({"is_active": false})] {
        problem(
            patch_user(&app, &admin.token, admin.id, change).await,
            StatusCode::CONFLICT,
        )
        .await;
    }
    problem(
        app.delete(
            &format!("/api/admin/users/{}", admin.id),
            Some(&admin.token),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    // Harmless self-updates are fine.
    let same = patch_user(&app, &admin.token, admin.id, json!({"role": "admin"})).await;
    assert_eq!(same.status(), StatusCode::OK);
    let me = body(app.get("/api/users/me", Some(&admin.token)).await).await;
    assert_eq!(me["role"], "admin");
}

#[tokio::test]
async fn admins_delete_users_and_their_sessions_end() {
    let app = TestApp::spawn().await;
    let admin = app.signed_in_admin().await;
    let user = app.signed_in_user().await;
    app.todo(&user, "doomed").await;
    let path = format!("/api/admin/users/{}", user.id);
    assert_eq!(
        app.delete(&path, Some(&admin.token)).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get("/api/todos", Some(&user.token)).await.status(),
        StatusCode::UNAUTHORIZED
    );
    problem(
        app.delete(&path, Some(&admin.token)).await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

#[tokio::test]
async fn the_audit_log_records_security_events_without_secrets() {
    let app = TestApp::spawn().await;
    let admin = app.signed_in_admin().await;
    let user = app.signed_in_user().await;
    problem(
        app.login(&user.email, "wrong password!").await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    problem(
        app.login("ghost@example.com", PASSWORD).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    app.post("/api/auth/logout", Some(&user.token)).await;
    patch_user(&app, &admin.token, user.id, json!({"role": "admin"})).await;

    let log = app
        .request(Method::GET, "/api/admin/audit-log?limit=100")
        .bearer_auth(&admin.token)
        .header("User-Agent", "audit-test")
        .send()
        .await
        .unwrap();
    assert_eq!(log.status(), StatusCode::OK);
    let text = log.text().await.unwrap();
    assert!(!text.contains(PASSWORD) && !text.contains("wrong password!"));
    assert!(!text.contains(&user.token) && !text.contains(&user.refresh_token));
    let log: Value = serde_json::from_str(&text).unwrap();
    let events: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        events,
        [
            "role_changed",
            "logout",
            "login_failed",
            "login_failed",
            "login_succeeded",
            "signup",
            "login_succeeded",
            "signup",
        ],
        "newest first"
    );
    let role_change = &log["items"][0];
    assert_eq!(role_change["user_id"], user.id.to_string());
    assert_eq!(role_change["actor_id"], admin.id.to_string());
    assert_eq!(
        role_change["details"],
        json!({"from": "user", "to": "admin"})
    );
    assert_eq!(role_change["ip"], "127.0.0.1");
    for field in ["id", "at", "user_agent"] {
        assert!(role_change.get(field).is_some(), "{field}");
    }

    let by_user = body(
        app.get(
            &format!(
                "/api/admin/audit-log?user_id={}&event=login_failed",
                user.id
            ),
            Some(&admin.token),
        )
        .await,
    )
    .await;
    assert_eq!(by_user["total"], 1);
    assert_eq!(by_user["items"][0]["details"]["reason"], "bad_credentials");

    let bad = app
        .get(
            "/api/admin/audit-log?event=nope&user_id=42",
            Some(&admin.token),
        )
        .await;
    assert_eq!(invalid_fields(bad).await, ["user_id", "event"]);
}
