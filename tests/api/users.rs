use reqwest::StatusCode;
use reqwest::header::{ETAG, IF_NONE_MATCH, WWW_AUTHENTICATE};

use crate::helpers::{TestApp, body, problem};

#[tokio::test]
async fn me_returns_the_signed_in_user() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let response = app.get("/api/users/me", Some(&user.token)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let me = body(response).await;
    assert_eq!(me["id"], user.id.to_string());
    assert_eq!(me["email"], user.email);
    assert_eq!(me["role"], "user");
    assert_eq!(me["email_verified"], false);
    assert!(me["created_at"].as_str().unwrap().ends_with('Z'));
    assert!(me.get("password_hash").is_none() && me.get("password").is_none());
}

#[tokio::test]
async fn me_supports_conditional_requests() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let first = app.get("/api/users/me", Some(&user.token)).await;
    let etag = first.headers()[ETAG].clone();
    let again = app
        .request(reqwest::Method::GET, "/api/users/me")
        .bearer_auth(&user.token)
        .header(IF_NONE_MATCH, etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert!(again.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn me_without_a_token_is_401_with_a_bearer_challenge() {
    let app = TestApp::spawn().await;
    let response = app.get("/api/users/me", None).await;
    assert_eq!(response.headers()[WWW_AUTHENTICATE], "Bearer");
    problem(response, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn me_of_a_deleted_account_is_401() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    app.sql(
        "DELETE FROM users WHERE id = $1",
        neoforge::params![user.id],
    )
    .await;
    problem(
        app.get("/api/users/me", Some(&user.token)).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
}
