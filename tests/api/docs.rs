use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, body};

/// Every route of this part of API.md, with its methods.
const ROUTES: &[(&str, &[&str])] = &[
    ("/health", &["get"]),
    ("/ready", &["get"]),
    ("/api/auth/register", &["post"]),
    ("/api/auth/login", &["post"]),
    ("/api/auth/token", &["post"]),
    ("/api/users/me", &["get"]),
    ("/api/todos", &["get", "post"]),
    ("/api/todos/stats", &["get"]),
    ("/api/todos/{id}", &["get", "put", "patch", "delete"]),
];

#[tokio::test]
async fn openapi_describes_every_route_with_errors_and_bearer_auth() {
    let app = TestApp::spawn().await;
    let response = app.get("/openapi.json", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let document = body(response).await;
    assert!(document["openapi"].as_str().unwrap().starts_with("3.1"));
    assert_eq!(document["servers"], serde_json::json!([{ "url": "/" }]));
    assert_eq!(
        document["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );

    for (path, methods) in ROUTES {
        for method in *methods {
            let operation = &document["paths"][path][method];
            assert!(operation.is_object(), "{method} {path} is not documented");
            let responses = operation["responses"].as_object().unwrap();
            assert!(
                responses.keys().any(|status| status.starts_with('2')),
                "{method} {path}"
            );
            if path.starts_with("/api/") && !path.starts_with("/api/auth/") {
                assert!(
                    responses.contains_key("401"),
                    "{method} {path} documents no 401"
                );
                assert!(
                    operation["security"]
                        .as_array()
                        .is_some_and(|schemes| !schemes.is_empty()),
                    "{method} {path} names no security scheme"
                );
            }
            if matches!(
                *path,
                "/health" | "/ready" | "/api/auth/register" | "/api/auth/login"
            ) {
                // Public, and said so: linters and gateways read a missing list as unknown.
                assert_eq!(
                    operation["security"],
                    serde_json::json!([]),
                    "{method} {path}"
                );
            }
            if matches!(*method, "post" | "put" | "patch") {
                assert!(
                    operation["requestBody"].is_object(),
                    "{method} {path} has no request body"
                );
                assert!(
                    responses.contains_key("422"),
                    "{method} {path} documents no 422"
                );
            }
        }
    }
    let problem = &document["components"]["schemas"]["Problem"];
    assert!(problem["properties"]["errors"].is_object(), "{problem}");
}

/// Every `$ref` must name a component that exists, or clients fail to resolve the document.
#[test]
fn every_reference_resolves() {
    fn refs<'a>(value: &'a Value, found: &mut Vec<&'a str>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(target)) = map.get("$ref") {
                    found.push(target);
                }
                map.values().for_each(|v| refs(v, found));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
            _ => {}
        }
    }
    let document: Value = serde_json::from_str(&neoforge::http::openapi::document_json()).unwrap();
    let mut found = Vec::new();
    refs(&document, &mut found);
    assert!(!found.is_empty());
    for target in found {
        let pointer = target.strip_prefix('#').expect("local references only");
        assert!(
            document.pointer(pointer).is_some(),
            "{target} does not resolve"
        );
    }
}

/// Any change to the published contract shows up here and must be accepted on purpose
/// (`INSTA_UPDATE=always cargo test`, then review the snapshot's diff).
#[test]
fn openapi_document_is_unchanged() {
    let document: Value = serde_json::from_str(&neoforge::http::openapi::document_json()).unwrap();
    insta::assert_json_snapshot!("openapi", document);
}

#[tokio::test]
async fn interactive_docs_are_served_from_the_binary() {
    let app = TestApp::spawn().await;
    let redirect = app.get("/docs", None).await;
    assert!(redirect.status().is_redirection() || redirect.status() == StatusCode::OK);
    let page = app.get("/docs/", None).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("swagger"), "{html}");
    assert!(
        !html.contains("https://") && !html.contains("http://"),
        "the docs page loads nothing remote"
    );

    for asset in [
        "/docs/swagger-ui.css",
        "/docs/swagger-ui-bundle.js",
        "/docs/swagger-initializer.js",
    ] {
        assert_eq!(
            app.get(asset, None).await.status(),
            StatusCode::OK,
            "{asset}"
        );
    }
    let initializer = app
        .get("/docs/swagger-initializer.js", None)
        .await
        .text()
        .await
        .unwrap();
    assert!(initializer.contains("/openapi.json"));
}

#[tokio::test]
async fn openapi_command_prints_the_same_document() {
    let app = TestApp::spawn().await;
    let served: Value = body(app.get("/openapi.json", None).await).await;
    let output = std::process::Command::new(crate::helpers::binary())
        .arg("openapi")
        .output()
        .unwrap();
    assert!(output.status.success());
    let printed: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(printed, served);
}

/// A body the server cannot read gets a status its operation documents, as problem details:
/// checked on every operation that takes a body, so a new route cannot forget one.
#[tokio::test]
async fn unreadable_bodies_get_a_documented_status() {
    let app = TestApp::spawn().await;
    let admin = app.signed_in_admin().await;
    let document: Value = body(app.get("/openapi.json", None).await).await;
    let oversize = format!(r#"{{"title": "{}"}}"#, "a".repeat(70 * 1024));
    let cases: [(&str, &str, Vec<u8>); 5] = [
        ("malformed", "application/json", br#"{"title": "#.to_vec()),
        ("oversize", "application/json", oversize.into_bytes()),
        (
            "deeply nested",
            "application/json",
            "[".repeat(10_000).into_bytes(),
        ),
        (
            "invalid UTF-8",
            "application/json",
            b"{\"title\": \"\xff\xfe\"}".to_vec(),
        ),
        ("another media type", "text/plain", b"title=x".to_vec()),
    ];
    let mut checked = 0;
    for (path, item) in document["paths"].as_object().unwrap() {
        let url = path
            .replace("{id}", &uuid::Uuid::new_v4().to_string())
            .replace("{session_id}", &uuid::Uuid::new_v4().to_string());
        assert!(!url.contains('{'), "no value for a parameter of {path}");
        for (method, operation) in item.as_object().unwrap() {
            if operation.get("requestBody").is_none() {
                continue;
            }
            let documented = operation["responses"].as_object().unwrap();
            for (case, content_type, bytes) in &cases {
                let response = app
                    .request(method.to_uppercase().parse().unwrap(), &url)
                    .bearer_auth(&admin.token)
                    .header("content-type", *content_type)
                    .header("x-requested-with", "neoforge")
                    .body(bytes.clone())
                    .send()
                    .await
                    .unwrap();
                let status = response.status();
                assert!(
                    documented.contains_key(status.as_str()),
                    "{method} {path} answered a {case} body with an undocumented {status}"
                );
                assert!(
                    status.is_client_error(),
                    "{method} {path}, {case}: {status}"
                );
                assert_eq!(
                    response.headers()["content-type"],
                    "application/problem+json",
                    "{method} {path}, {case}"
                );
                checked += 1;
            }
        }
    }
    assert!(
        checked >= 5 * 10,
        "only {checked} requests: were the body routes found?"
    );
}
