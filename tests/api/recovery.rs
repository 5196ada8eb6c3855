//! Email verification and password reset, read from the real outbox (`<data dir>/mail`).

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, body, invalid_fields, problem};

async fn verify(app: &TestApp, token: &str) -> reqwest::Response {
    app.send_json(
        Method::POST,
        "/api/auth/verify-email",
        None,
        &json!({"token": token}),
    )
    .await
}

async fn forgot(app: &TestApp, email: &str) -> reqwest::Response {
    app.send_json(
        Method::POST,
        "/api/auth/forgot-password",
        None,
        &json!({"email": email}),
    )
    .await
}

async fn reset(app: &TestApp, token: &str, new_password: &str) -> reqwest::Response {
    app.send_json(
        Method::POST,
        "/api/auth/reset-password",
        None,
        &json!({"token": token, "new_password": new_password}),
    )
    .await
}

#[tokio::test]
async fn sign_up_emails_a_single_use_verification_link() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let emails = app.emails_to(&user.email).await;
    assert_eq!(emails.len(), 1, "one verification email");
    let message = &emails[0];
    assert!(message.contains("Subject: Confirm your email address"));
    assert!(message.contains("Content-Type: text/plain"));
    assert!(message.contains("Content-Type: text/html"));
    let token = app.emailed_token(&user.email, "/verify-email").await;

    assert_eq!(verify(&app, &token).await.status(), StatusCode::NO_CONTENT);
    let me = body(app.get("/api/users/me", Some(&user.token)).await).await;
    assert_eq!(me["email_verified"], true);
    // A welcome message follows.
    let emails = app.emails_to(&user.email).await;
    assert!(
        emails
            .last()
            .unwrap()
            .contains("Subject: Welcome to NeoForge")
    );

    assert_eq!(invalid_fields(verify(&app, &token).await).await, ["token"]);
    assert_eq!(
        invalid_fields(verify(&app, "made-up").await).await,
        ["token"]
    );
}

#[tokio::test]
async fn verification_links_expire_and_only_the_latest_works() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let first = app.emailed_token(&user.email, "/verify-email").await;

    let resent = app
        .post("/api/auth/resend-verification", Some(&user.token))
        .await;
    assert_eq!(resent.status(), StatusCode::NO_CONTENT);
    let second = app.emailed_token(&user.email, "/verify-email").await;
    assert_ne!(first, second);
    assert_eq!(invalid_fields(verify(&app, &first).await).await, ["token"]);

    app.sql("UPDATE email_tokens SET expires_at = 0", &[]).await;
    assert_eq!(invalid_fields(verify(&app, &second).await).await, ["token"]);
}

#[tokio::test]
async fn resend_verification_is_rate_limited_and_needs_a_token() {
    let app = TestApp::spawn().await;
    problem(
        app.post("/api/auth/resend-verification", None).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let user = app.signed_in_user().await;
    for _ in 0..3 {
        let resent = app
            .post("/api/auth/resend-verification", Some(&user.token))
            .await;
        assert_eq!(resent.status(), StatusCode::NO_CONTENT);
        assert!(resent.headers().contains_key("ratelimit-remaining"));
    }
    let limited = app
        .post("/api/auth/resend-verification", Some(&user.token))
        .await;
    assert!(limited.headers().contains_key("retry-after"));
    problem(limited, StatusCode::TOO_MANY_REQUESTS).await;
    assert_eq!(app.emails_to(&user.email).await.len(), 4);
}

#[tokio::test]
async fn forgot_password_answers_202_whether_or_not_the_account_exists() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    for email in [user.email.as_str(), "nobody@example.com"] {
        let response = forgot(&app, email).await;
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        assert_eq!(response.text().await.unwrap(), "");
    }
    assert!(app.emails_to("nobody@example.com").await.is_empty());
    let emails = app.emails_to(&user.email).await;
    assert!(
        emails
            .last()
            .unwrap()
            .contains("Subject: Reset your NeoForge password")
    );
    assert_eq!(
        invalid_fields(forgot(&app, "not an email").await).await,
        ["email"]
    );
}

#[tokio::test]
async fn reset_password_changes_it_once_and_ends_every_session() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let (other_access, _) = app.new_session(&user).await;
    forgot(&app, &user.email).await;
    let token = app.emailed_token(&user.email, "/reset-password").await;

    let new_password = "a brand new passphrase";
    assert_eq!(
        invalid_fields(reset(&app, &token, "short").await).await,
        ["new_password"]
    );
    assert_eq!(
        invalid_fields(reset(&app, &token, &user.email).await).await,
        ["new_password"],
        "the refused password did not use up the link"
    );
    assert_eq!(
        reset(&app, &token, new_password).await.status(),
        StatusCode::NO_CONTENT
    );

    for access in [&user.token, &other_access] {
        let me = app.get("/api/users/me", Some(access)).await;
        assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
    }
    problem(
        app.refresh(&user.refresh_token).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
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

    // Single use.
    assert_eq!(
        invalid_fields(reset(&app, &token, "yet another passphrase").await).await,
        ["token"]
    );
}

#[tokio::test]
async fn expired_reset_links_are_refused() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    forgot(&app, &user.email).await;
    let token = app.emailed_token(&user.email, "/reset-password").await;
    app.sql(
        "UPDATE email_tokens SET expires_at = 1 WHERE purpose = 'reset_password'",
        &[],
    )
    .await;
    assert_eq!(
        invalid_fields(reset(&app, &token, "a brand new passphrase").await).await,
        ["token"]
    );
    assert_eq!(
        app.login(&user.email, PASSWORD).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn reset_emails_per_account_are_capped_silently() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    app.emails_to(&user.email).await;
    for _ in 0..5 {
        assert_eq!(
            forgot(&app, &user.email).await.status(),
            StatusCode::ACCEPTED
        );
    }
    let resets = app
        .emails_to(&user.email)
        .await
        .into_iter()
        .filter(|message| message.contains("Subject: Reset your"))
        .count();
    assert_eq!(resets, 3);
}
