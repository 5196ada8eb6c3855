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
                    operation["security"].is_array(),
                    "{method} {path} has no security"
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
