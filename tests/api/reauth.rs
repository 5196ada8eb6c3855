//! Fresh sign-in: creating an API key (and any change to how the account signs in) needs a
//! session that signed in, or confirmed its password, within the reauthentication window.
//! Accounts without a password confirm by signing in again.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, TestUser, body, invalid_fields, problem};

async fn create_key(app: &TestApp, token: &str) -> reqwest::Response {
    app.send_json(
        Method::POST,
        "/api/users/me/api-keys",
        Some(token),
        &json!({"name": "script", "scopes": ["todos:read"]}),
    )
    .await
}

async fn reauthenticate(app: &TestApp, token: &str, password: &str) -> reqwest::Response {
    app.send_json(
        Method::POST,
        "/api/auth/reauthenticate",
        Some(token),
        &json!({"password": password}),
    )
    .await
}

/// Asserts the RFC 9470 step-up answer; returns the problem body.
async fn fresh_sign_in_required(response: reqwest::Response) -> Value {
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        challenge,
        r#"Bearer error="insufficient_user_authentication", max_age=600"#
    );
    problem(response, StatusCode::FORBIDDEN).await
}

async fn audit_events(app: &TestApp, user: &TestUser) -> Vec<String> {
    let admin = app.signed_in_admin().await;
    let path = format!("/api/admin/audit-log?user_id={}&limit=100", user.id);
    body(app.get(&path, Some(&admin.token)).await).await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["event"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_session_that_signed_in_long_ago_confirms_its_password_before_creating_a_key() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    assert_eq!(
        create_key(&app, &user.token).await.status(),
        StatusCode::CREATED,
        "a session that has just signed in is fresh"
    );

    app.age_sign_in(&user).await;
    let refused = fresh_sign_in_required(create_key(&app, &user.token).await).await;
    assert!(
        refused["detail"].as_str().unwrap().contains("password"),
        "{refused}"
    );

    // Refreshing the tokens does not make a session fresh: only proving it is the user does.
    let refreshed = body(app.refresh(&user.refresh_token).await).await;
    let token = refreshed["access_token"].as_str().unwrap();
    fresh_sign_in_required(create_key(&app, token).await).await;

    let wrong = reauthenticate(&app, token, "not the password at all").await;
    assert_eq!(invalid_fields(wrong).await, ["password"]);
    fresh_sign_in_required(create_key(&app, token).await).await;

    let confirmed = reauthenticate(&app, token, PASSWORD).await;
    assert_eq!(confirmed.status(), StatusCode::NO_CONTENT);
    assert_eq!(create_key(&app, token).await.status(), StatusCode::CREATED);
    assert!(
        audit_events(&app, &user)
            .await
            .contains(&"reauthenticated".to_owned())
    );
}

#[tokio::test]
async fn confirming_marks_only_the_session_that_confirmed() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let (other_token, _) = app.new_session(&user).await;
    app.age_sign_in(&user).await;

    let confirmed = reauthenticate(&app, &user.token, PASSWORD).await;
    assert_eq!(confirmed.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        create_key(&app, &user.token).await.status(),
        StatusCode::CREATED
    );
    fresh_sign_in_required(create_key(&app, &other_token).await).await;
}

#[tokio::test]
async fn wrong_passwords_when_confirming_count_against_the_sign_in_limits() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    for _ in 0..5 {
        let wrong = reauthenticate(&app, &user.token, "guess guess guess").await;
        assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let limited = reauthenticate(&app, &user.token, PASSWORD).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers().contains_key("retry-after"));
    // The password still signs in from elsewhere only once the window passes: the same
    // per-account-and-address limit guards both.
    assert_eq!(
        app.login(&user.email, PASSWORD).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn confirming_needs_a_signed_in_session() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let anonymous = app
        .send_json(
            Method::POST,
            "/api/auth/reauthenticate",
            None,
            &json!({"password": PASSWORD}),
        )
        .await;
    problem(anonymous, StatusCode::UNAUTHORIZED).await;

    let key = app.api_key(&user, &["todos:read", "todos:write"]).await;
    let with_key = reauthenticate(&app, &key.secret, PASSWORD).await;
    problem(with_key, StatusCode::FORBIDDEN).await;

    let logout = app.post("/api/auth/logout", Some(&user.token)).await;
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    let ended = reauthenticate(&app, &user.token, PASSWORD).await;
    problem(ended, StatusCode::UNAUTHORIZED).await;

    let missing = app
        .send_json(
            Method::POST,
            "/api/auth/reauthenticate",
            Some(&app.signed_in_user().await.token),
            &json!({}),
        )
        .await;
    assert_eq!(invalid_fields(missing).await, ["password"]);
}

#[tokio::test]
async fn an_account_without_a_password_confirms_by_signing_in_again() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    // What an account created through another identity provider looks like.
    app.sql(
        "UPDATE users SET password_hash = '' WHERE id = $1",
        &[user.id.into()],
    )
    .await;
    let me = body(app.get("/api/users/me", Some(&user.token)).await).await;
    assert_eq!(me["has_password"], false);
    for password in ["", PASSWORD] {
        let login = app.login(&user.email, password).await;
        assert!(
            matches!(
                login.status(),
                StatusCode::UNAUTHORIZED | StatusCode::UNPROCESSABLE_ENTITY
            ),
            "an empty hash matches no password: {password:?} got {}",
            login.status()
        );
    }

    // A recent sign-in stands in for the password it does not have...
    assert_eq!(
        create_key(&app, &user.token).await.status(),
        StatusCode::CREATED
    );
    // ...and once it is old, typing anything cannot confirm it.
    app.age_sign_in(&user).await;
    let refused = fresh_sign_in_required(reauthenticate(&app, &user.token, PASSWORD).await).await;
    assert!(
        refused["detail"].as_str().unwrap().contains("no password"),
        "{refused}"
    );
    let delete = app
        .send_json(
            Method::DELETE,
            "/api/users/me",
            Some(&user.token),
            &json!({"password": ""}),
        )
        .await;
    fresh_sign_in_required(delete).await;

    // Fresh again (as after signing in anew): the account can be deleted without a password.
    app.sql(
        "UPDATE sessions SET authenticated_at = $2 WHERE user_id = $1",
        &[user.id.into(), neoforge::time::Timestamp::now().into()],
    )
    .await;
    let delete = app
        .send_json(
            Method::DELETE,
            "/api/users/me",
            Some(&user.token),
            &json!({"password": ""}),
        )
        .await;
    assert_eq!(delete.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn a_user_with_a_password_reads_has_password() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let me = body(app.get("/api/users/me", Some(&user.token)).await).await;
    assert_eq!(me["has_password"], true);
}
