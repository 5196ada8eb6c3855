//! The cross-cutting conventions of API.md, checked on real routes.

use std::time::Duration;

use reqwest::header::{ACCEPT_ENCODING, ALLOW, CONTENT_ENCODING, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{TestApp, body, invalid_fields, problem};

#[tokio::test]
async fn unknown_routes_are_404_problems() {
    let app = TestApp::spawn().await;
    for path in ["/nope", "/api/nope", "/api/todos/a/b"] {
        problem(app.get(path, None).await, StatusCode::NOT_FOUND).await;
    }
}

#[tokio::test]
async fn undeclared_methods_on_declared_paths_are_405_with_allow() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let cases = [
        (Method::DELETE, "/health"),
        (Method::PUT, "/api/todos"),
        (Method::POST, "/api/todos/stats"),
        (
            Method::POST,
            "/api/todos/00000000-0000-7000-8000-000000000000",
        ),
        (Method::GET, "/api/auth/login"),
        (Method::TRACE, "/api/todos"),
        (Method::from_bytes(b"QUERY").unwrap(), "/api/todos"),
    ];
    for (method, path) in cases {
        let response = app
            .request(method.clone(), path)
            .bearer_auth(&user.token)
            .send()
            .await
            .unwrap();
        assert!(response.headers().contains_key(ALLOW), "{method} {path}");
        problem(response, StatusCode::METHOD_NOT_ALLOWED).await;
    }
}

#[tokio::test]
async fn request_ids_are_echoed_when_valid_and_generated_otherwise() {
    let app = TestApp::spawn().await;
    let echoed = app
        .request(Method::GET, "/health")
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "abc-123");

    let replaced = app
        .request(Method::GET, "/health")
        .header("x-request-id", "bad id!")
        .send()
        .await
        .unwrap();
    let generated = replaced.headers()["x-request-id"].to_str().unwrap();
    assert_ne!(generated, "bad id!");
    assert!(uuid::Uuid::parse_str(generated).is_ok());

    let errors_too = app.get("/nope", None).await;
    assert!(errors_too.headers().contains_key("x-request-id"));
}

#[tokio::test]
async fn bodies_over_64_kib_are_413() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let huge = json!({"title": "x".repeat(65 * 1024)});
    problem(
        app.create_todo(&user, &huge).await,
        StatusCode::PAYLOAD_TOO_LARGE,
    )
    .await;
    // Just under the limit is parsed (and then rejected as a too-long title).
    let big = json!({"title": "x".repeat(60 * 1024)});
    assert_eq!(
        invalid_fields(app.create_todo(&user, &big).await).await,
        ["title"]
    );
}

#[tokio::test]
async fn non_json_bodies_are_415_or_400() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let post = |content_type: Option<&'static str>, payload: &'static str| {
        let request = app
            .request(Method::POST, "/api/todos")
            .bearer_auth(&user.token)
            .body(payload);
        match content_type {
            Some(value) => request.header(CONTENT_TYPE, value),
            None => request,
        }
        .send()
    };
    problem(
        post(Some("text/plain"), r#"{"title":"x"}"#).await.unwrap(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
    )
    .await;
    problem(
        post(None, r#"{"title":"x"}"#).await.unwrap(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
    )
    .await;
    problem(
        post(Some("application/json"), r#"{"title":"#)
            .await
            .unwrap(),
        StatusCode::BAD_REQUEST,
    )
    .await;
    problem(
        post(Some("application/json"), "").await.unwrap(),
        StatusCode::BAD_REQUEST,
    )
    .await;
    let array = post(Some("application/json"), r#"["x"]"#).await.unwrap();
    assert_eq!(invalid_fields(array).await, ["body"]);
    let charset = post(Some("application/json; charset=utf-8"), r#"{"title":"x"}"#)
        .await
        .unwrap();
    assert_eq!(charset.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn security_headers_are_on_every_response() {
    let app = TestApp::spawn().await;
    for path in ["/health", "/nope", "/api/users/me"] {
        let response = app.get(path, None).await;
        let headers = response.headers();
        for name in [
            "content-security-policy",
            "x-content-type-options",
            "x-frame-options",
            "referrer-policy",
            "permissions-policy",
        ] {
            assert!(headers.contains_key(name), "{name} missing on {path}");
        }
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert!(
            headers["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("frame-ancestors 'none'")
        );
        // HSTS only in production: development runs on plain http://localhost.
        assert!(!headers.contains_key("strict-transport-security"));
    }
}

#[tokio::test]
async fn production_adds_hsts() {
    let app = TestApp::spawn_with(|settings| {
        settings.environment = neoforge::config::Environment::Production
    })
    .await;
    let response = app.get("/health", None).await;
    assert!(
        response.headers()["strict-transport-security"]
            .to_str()
            .unwrap()
            .starts_with("max-age=")
    );
}

#[tokio::test]
async fn responses_are_compressed_when_the_client_accepts_it() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    for i in 0..20 {
        app.todo(
            &user,
            &format!("todo number {i} with a reasonably long title"),
        )
        .await;
    }
    let response = app
        .request(Method::GET, "/api/todos")
        .bearer_auth(&user.token)
        .header(ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[CONTENT_ENCODING], "gzip");
}

#[tokio::test]
async fn slow_requests_time_out_with_503() {
    // Password hashing takes far longer than a millisecond.
    let app =
        TestApp::spawn_with(|settings| settings.request_timeout = Duration::from_millis(1)).await;
    let response = app
        .register("ada@example.com", crate::helpers::PASSWORD)
        .await;
    problem(response, StatusCode::SERVICE_UNAVAILABLE).await;
}

#[tokio::test]
async fn list_bodies_follow_the_pagination_shape() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let page = body(app.get("/api/todos", Some(&user.token)).await).await;
    assert_eq!(
        page,
        json!({"items": [], "total": 0, "limit": 20, "offset": 0})
    );
}

#[tokio::test]
async fn cors_answers_only_configured_origins() {
    let app = TestApp::spawn_with(|settings| {
        settings.cors_origins = vec!["https://app.example.com".into()];
    })
    .await;
    let preflight = |origin: &'static str| {
        app.request(Method::OPTIONS, "/api/todos")
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type, idempotency-key",
            )
            .send()
    };
    let allowed = preflight("https://app.example.com").await.unwrap();
    assert!(allowed.status().is_success());
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    let allowed_headers = allowed.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap();
    assert!(
        allowed_headers.contains("idempotency-key"),
        "{allowed_headers}"
    );

    let foreign = preflight("https://evil.example.com").await.unwrap();
    assert!(
        !foreign
            .headers()
            .contains_key("access-control-allow-origin")
    );

    let simple = app
        .request(Method::GET, "/health")
        .header("origin", "https://app.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(
        simple.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    let exposed = simple.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap();
    for header in [
        "etag",
        "retry-after",
        "ratelimit-remaining",
        "ratelimit-reset",
    ] {
        assert!(
            exposed.contains(header),
            "{header} is not exposed: {exposed}"
        );
    }
}

#[tokio::test]
async fn without_configured_origins_there_is_no_cross_origin_access() {
    let app = TestApp::spawn().await;
    let response = app
        .request(Method::GET, "/health")
        .header("origin", "https://app.example.com")
        .send()
        .await
        .unwrap();
    assert!(
        !response
            .headers()
            .contains_key("access-control-allow-origin")
    );
}
