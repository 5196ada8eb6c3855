use reqwest::StatusCode;

use crate::helpers::{TestApp, body, problem};

#[tokio::test]
async fn health_answers_ok() {
    let app = TestApp::spawn().await;
    let response = app.get("/health", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body(response).await, serde_json::json!({"status": "ok"}));
}

#[tokio::test]
async fn ready_reports_each_check() {
    let app = TestApp::spawn().await;
    let response = app.get("/ready", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        body(response).await,
        serde_json::json!({"status": "ready", "checks": {"database": "ok"}})
    );
}

#[tokio::test]
async fn ready_is_503_naming_the_failing_check_when_the_database_is_gone() {
    let app = TestApp::spawn().await;
    app.db.close();
    let problem = problem(
        app.get("/ready", None).await,
        StatusCode::SERVICE_UNAVAILABLE,
    )
    .await;
    assert_eq!(problem["checks"]["database"], "error");
    assert!(problem["detail"].as_str().unwrap().contains("database"));
    // Liveness does not depend on the database.
    assert_eq!(app.get("/health", None).await.status(), StatusCode::OK);
}
