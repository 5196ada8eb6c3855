//! The HTTP listener of a `neoforge worker` process: it serves no API, only what monitoring
//! needs, so the worker's job metrics reach Prometheus and an orchestrator can probe it.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use crate::db::Db;
use crate::error::{PROBLEM_JSON, Problem};
use crate::http::metrics;

/// `/metrics`, `/health` and `/ready`, answered like the server's own.
pub fn router(db: Db) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .route("/health", get(health))
        .route("/ready", get(ready))
        .with_state(db)
}

async fn scrape(State(db): State<Db>) -> Response {
    metrics::exposition(&db)
}

async fn health() -> Response {
    Json(serde_json::json!({ "status": "ok" })).into_response()
}

#[derive(Serialize)]
struct NotReady {
    #[serde(flatten)]
    problem: Problem,
    checks: BTreeMap<&'static str, &'static str>,
}

/// Ready while the database, where the jobs wait, answers.
async fn ready(State(db): State<Db>) -> Response {
    match db.ping().await {
        Ok(()) => Json(serde_json::json!({
            "status": "ready",
            "checks": { "database": "ok" },
        }))
        .into_response(),
        Err(err) => {
            tracing::warn!(error = %err, "readiness: database check failed");
            let body = NotReady {
                problem: Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Not ready: database failing.",
                ),
                checks: BTreeMap::from([("database", "error")]),
            };
            let mut response = (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response();
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
            response
        }
    }
}
