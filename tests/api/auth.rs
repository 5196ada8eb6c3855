use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use neoforge::auth::token::TokenKeys;
use neoforge::time::Timestamp;
use reqwest::header::WWW_AUTHENTICATE;
use reqwest::{Method, StatusCode};
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{PASSWORD, TestApp, body, invalid_fields, problem};

#[tokio::test]
async fn register_creates_a_user_with_a_normalised_email() {
    let app = TestApp::spawn().await;
    let body_sent = json!({"email": "  Ada@Example.COM ", "password": PASSWORD, "name": " Ada "});
    let response = app
        .send_json(Method::POST, "/api/auth/register", None, &body_sent)
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let user = body(response).await;
    assert_eq!(user["email"], "ada@example.com");
    assert_eq!(user["name"], "Ada");
    assert_eq!(user["role"], "user");
    assert_eq!(user["email_verified"], false);
    assert_eq!(
        Uuid::parse_str(user["id"].as_str().unwrap())
            .unwrap()
            .get_version_num(),
        7
    );
    assert!(user.get("password_hash").is_none());

    let login = app.login("ADA@example.com", PASSWORD).await;
    assert_eq!(login.status(), StatusCode::OK);
}

#[tokio::test]
async fn register_with_a_taken_email_is_409() {
    let app = TestApp::spawn().await;
    assert_eq!(
        app.register("ada@example.com", PASSWORD).await.status(),
        StatusCode::CREATED
    );
    problem(
        app.register("ADA@example.com ", "another password").await,
        StatusCode::CONFLICT,
    )
    .await;
}

/// Look-alike spellings of a taken address are that address, or refused: never a second
/// account that reads the same in the admin list and the audit log.
#[tokio::test]
async fn look_alike_emails_cannot_make_a_second_account() {
    let app = TestApp::spawn().await;
    assert_eq!(
        app.register("case@example.com", PASSWORD).await.status(),
        StatusCode::CREATED
    );
    problem(
        app.register("ｃａｓｅ@example.com", "another password")
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(
        app.login("ｃａｓｅ@ｅｘａｍｐｌｅ.ｃｏｍ", PASSWORD)
            .await
            .status(),
        StatusCode::OK
    );
    for invisible in ["case@example.com\u{200B}", "\u{202E}case@example.com"] {
        let response = app.register(invisible, "another password").await;
        assert_eq!(invalid_fields(response).await, ["email"], "{invisible:?}");
    }
}

#[tokio::test]
async fn register_lists_every_invalid_field() {
    let app = TestApp::spawn().await;
    let cases = [
        (json!({}), vec!["email", "password"]),
        (
            json!({"email": "not-an-email", "password": "short"}),
            vec!["email", "password"],
        ),
        (
            json!({"email": "ada@example.com", "password": "x".repeat(129)}),
            vec!["password"],
        ),
        (
            json!({"email": "ada@example.com", "password": PASSWORD, "role": "admin"}),
            vec!["role"],
        ),
        (
            json!({"email": "ada@example.com", "password": PASSWORD, "name": 5}),
            vec!["name"],
        ),
        (
            json!({"email": 1, "password": true}),
            vec!["email", "password"],
        ),
        (
            json!({"email": "ada.lovelace@example.com", "password": "Ada.Lovelace@example.com"}),
            vec!["password"],
        ),
    ];
    for (request, expected) in cases {
        let response = app
            .send_json(Method::POST, "/api/auth/register", None, &request)
            .await;
        assert_eq!(invalid_fields(response).await, expected, "for {request}");
    }
    // Mass assignment of privileged fields is impossible: nothing was created.
    problem(
        app.login("ada@example.com", PASSWORD).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

#[tokio::test]
async fn login_returns_a_working_token_pair() {
    let app = TestApp::spawn().await;
    app.register("ada@example.com", PASSWORD).await;
    let response = app.login("ada@example.com", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
    let tokens = body(response).await;
    assert_eq!(tokens["token_type"], "bearer");
    assert_eq!(tokens["expires_in"], 900);
    assert!(tokens["refresh_token"].as_str().unwrap().len() >= 43);
    let token = tokens["access_token"].as_str().unwrap();
    assert_eq!(
        app.get("/api/users/me", Some(token)).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn login_failures_do_not_reveal_whether_the_account_exists() {
    let app = TestApp::spawn().await;
    app.register("ada@example.com", PASSWORD).await;
    let wrong_password = problem(
        app.login("ada@example.com", "wrong password!").await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let unknown_email = problem(
        app.login("bob@example.com", PASSWORD).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(wrong_password, unknown_email);
}

#[tokio::test]
async fn login_of_a_deactivated_account_is_403() {
    let app = TestApp::spawn().await;
    app.register("ada@example.com", PASSWORD).await;
    app.sql(
        "UPDATE users SET is_active = 0 WHERE email = $1",
        neoforge::params!["ada@example.com"],
    )
    .await;
    problem(
        app.login("ada@example.com", PASSWORD).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    // A wrong password still says nothing about the account's state.
    problem(
        app.login("ada@example.com", "wrong password!").await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

#[tokio::test]
async fn login_with_missing_fields_is_422() {
    let app = TestApp::spawn().await;
    let response = app
        .send_json(
            Method::POST,
            "/api/auth/login",
            None,
            &json!({"username": "x"}),
        )
        .await;
    assert_eq!(
        invalid_fields(response).await,
        ["email", "password", "username"]
    );
}

/// Every way a bad token can arrive gets `401` with an `invalid_token` challenge.
#[tokio::test]
async fn forged_expired_and_malformed_tokens_are_401() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let keys = TokenKeys::new(&app.settings);
    let an_hour_ago = Timestamp::from_millis(Timestamp::now().as_millis() - 3_600_000);
    let expired = keys.issue_at(user.id, Uuid::now_v7(), an_hour_ago).unwrap();

    let mut other_settings = app.settings.clone();
    other_settings.secret = "another secret that is long enough to be accepted"
        .to_owned()
        .into();
    let other_key = TokenKeys::new(&other_settings)
        .issue(user.id, Uuid::now_v7())
        .unwrap();

    let (_, payload) = user.token.split_once('.').unwrap();
    let payload = payload.split('.').next().unwrap();
    let alg_none = format!(
        "{}.{payload}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#)
    );
    let tampered = {
        let mut claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        claims["sub"] = json!(Uuid::now_v7());
        let signature = user.token.rsplit('.').next().unwrap();
        let header = user.token.split('.').next().unwrap();
        format!(
            "{header}.{}.{signature}",
            URL_SAFE_NO_PAD.encode(claims.to_string())
        )
    };

    // Algorithm substitution: the same key with another HMAC, and an RS256 header over the
    // HS256 signature (the classic public-key confusion).
    let hs512 = {
        use jsonwebtoken::{Algorithm, EncodingKey, Header};
        use secrecy::ExposeSecret;
        use sha2::{Digest, Sha256};
        let key = Sha256::new()
            .chain_update(b"neoforge access token v1\0")
            .chain_update(app.settings.secret.expose_secret().as_bytes())
            .finalize();
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS512),
            &claims,
            &EncodingKey::from_secret(&key),
        )
        .unwrap()
    };
    let rs256_header = {
        let signature = user.token.rsplit('.').next().unwrap();
        format!(
            "{}.{payload}.{signature}",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","typ":"JWT"}"#)
        )
    };

    for token in [
        expired,
        other_key,
        alg_none,
        hs512,
        rs256_header,
        tampered,
        "garbage".to_owned(),
        String::new(),
    ] {
        let response = app.get("/api/users/me", Some(&token)).await;
        assert_eq!(
            response.headers()[WWW_AUTHENTICATE],
            r#"Bearer error="invalid_token""#,
            "{token}"
        );
        problem(response, StatusCode::UNAUTHORIZED).await;
    }
    let wrong_scheme = app
        .request(Method::GET, "/api/users/me")
        .header("authorization", format!("Basic {}", user.token))
        .send()
        .await
        .unwrap();
    problem(wrong_scheme, StatusCode::UNAUTHORIZED).await;
}

async fn token_form(app: &TestApp, form: &'static str) -> reqwest::Response {
    app.request(Method::POST, "/api/auth/token")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_password_form_signs_in_like_login() {
    let app = TestApp::spawn().await;
    app.register("ada@example.com", PASSWORD).await;
    let response = token_form(
        &app,
        "grant_type=password&username=Ada%40example.com&password=correct+horse+battery&scope=",
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let tokens = body(response).await;
    assert_eq!(tokens["token_type"], "bearer");
    let token = tokens["access_token"].as_str().unwrap();
    assert_eq!(
        app.get("/api/users/me", Some(token)).await.status(),
        StatusCode::OK
    );

    let wrong = token_form(&app, "username=ada%40example.com&password=wrong+password").await;
    problem(wrong, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn the_password_form_rejects_bad_forms() {
    let app = TestApp::spawn().await;
    let missing = token_form(&app, "grant_type=password").await;
    assert_eq!(invalid_fields(missing).await, ["username", "password"]);
    let wrong_grant = token_form(&app, "grant_type=client_credentials&username=a&password=b").await;
    assert_eq!(invalid_fields(wrong_grant).await, ["grant_type"]);
    let unknown = token_form(&app, "username=a&password=b&role=admin").await;
    assert_eq!(invalid_fields(unknown).await, ["role"]);
    let json = app
        .send_json(
            Method::POST,
            "/api/auth/token",
            None,
            &json!({"username": "a", "password": "b"}),
        )
        .await;
    problem(json, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
}
