//! Brute-force protection on sign-in: limited per account and per IP, with the rate-limit
//! headers, and never a permanent lock-out.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, problem};

#[tokio::test]
async fn repeated_failures_on_an_account_are_429_with_retry_after() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    for attempt in 0..5 {
        let failed = app.login(&user.email, "not the password").await;
        assert_eq!(
            failed.status(),
            StatusCode::UNAUTHORIZED,
            "attempt {attempt}"
        );
        for header in ["ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"] {
            assert!(failed.headers().contains_key(header), "{header}");
        }
    }
    // Locked now, even with the right password.
    let locked = app.login(&user.email, PASSWORD).await;
    let retry_after: u64 = locked.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=15 * 60).contains(&retry_after), "{retry_after}");
    let problem = problem(locked, StatusCode::TOO_MANY_REQUESTS).await;
    assert!(problem["detail"].as_str().unwrap().contains("Try again"));
    // Unknown accounts are limited the same way: no difference to observe.
    for _ in 0..5 {
        app.login("ghost@example.com", PASSWORD).await;
    }
    assert_eq!(
        app.login("ghost@example.com", PASSWORD).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    // Other accounts are not affected.
    let other = app.signed_in_user().await;
    assert_eq!(
        app.login(&other.email, PASSWORD).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_password_reset_lifts_the_lock() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    for _ in 0..6 {
        app.login(&user.email, "not the password").await;
    }
    assert_eq!(
        app.login(&user.email, PASSWORD).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    app.send_json(
        Method::POST,
        "/api/auth/forgot-password",
        None,
        &json!({"email": user.email}),
    )
    .await;
    let token = app.emailed_token(&user.email, "/reset-password").await;
    let new_password = "a fresh start passphrase";
    let reset = app
        .send_json(
            Method::POST,
            "/api/auth/reset-password",
            None,
            &json!({"token": token, "new_password": new_password}),
        )
        .await;
    assert_eq!(reset.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.login(&user.email, new_password).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_flood_of_sign_ins_from_one_ip_is_limited() {
    let app = TestApp::spawn().await;
    let mut statuses = Vec::new();
    for n in 0..31 {
        let email = format!("nobody-{n}@example.com");
        statuses.push(app.login(&email, PASSWORD).await.status());
    }
    assert!(
        statuses[..30]
            .iter()
            .all(|s| *s == StatusCode::UNAUTHORIZED)
    );
    assert_eq!(statuses[30], StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn wrong_current_passwords_count_as_failures() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let attempt = |password: &'static str| {
        let body = json!({"current_password": password, "new_password": "whatever passphrase"});
        let (app, token) = (&app, user.token.clone());
        async move {
            app.send_json(Method::POST, "/api/users/me/password", Some(&token), &body)
                .await
        }
    };
    for _ in 0..5 {
        assert_eq!(
            attempt("guess guess guess").await.status(),
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
    problem(attempt(PASSWORD).await, StatusCode::TOO_MANY_REQUESTS).await;
}
