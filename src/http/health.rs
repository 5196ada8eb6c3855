//! Liveness and readiness probes.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{PROBLEM_JSON, Problem};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health))
        .routes(routes!(ready))
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    status: &'static str,
}

/// Liveness: answers while the process serves.
#[utoipa::path(get, path = "/health", tag = "health",
    responses((status = 200, description = "The process is serving", body = Health)))]
async fn health() -> Json<Health> {
    Json(Health { status: "ok" })
}

#[derive(Serialize, ToSchema)]
pub struct Readiness {
    #[schema(example = "ready")]
    status: &'static str,
    /// Each backing service and whether it answers: `ok` or `error`.
    #[schema(example = json!({"database": "ok", "cache": "ok"}))]
    checks: BTreeMap<&'static str, &'static str>,
}

/// Problem details naming the failing checks.
#[derive(Serialize, ToSchema)]
pub struct NotReady {
    #[serde(flatten)]
    problem: Problem,
    #[schema(example = json!({"database": "error"}))]
    checks: BTreeMap<&'static str, &'static str>,
}

impl IntoResponse for NotReady {
    fn into_response(self) -> Response {
        let mut response = (StatusCode::SERVICE_UNAVAILABLE, Json(self)).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        response
    }
}

/// Readiness: every configured backing service answers.
#[utoipa::path(get, path = "/ready", tag = "health", responses(
    (status = 200, description = "Ready to serve traffic", body = Readiness),
    (status = 503, description = "A backing service is failing; `checks` names it",
        body = NotReady, content_type = "application/problem+json"),
))]
async fn ready(State(state): State<AppState>) -> Result<Json<Readiness>, NotReady> {
    let mut checks = BTreeMap::new();
    let database = match state.db.ping().await {
        // A database that answers but cannot store anything (a full disk, a read-only file
        // system) is not ready either.
        Ok(()) => state.db.check_storage().map_err(|err| {
            tracing::warn!(error = %err, "readiness: the database's storage refuses writes");
        }),
        Err(err) => {
            tracing::warn!(error = %err, "readiness: database check failed");
            Err(())
        }
    };
    checks.insert("database", if database.is_ok() { "ok" } else { "error" });
    // Without Redis the app still serves (cache bypassed, limits in process), but a replica
    // that cannot reach the shared store should not take traffic while others can.
    if state.cache.backend_name() == "redis" {
        let cache = state.cache.ping().await;
        if let Err(err) = &cache {
            tracing::warn!(error = %err, "readiness: cache check failed");
        }
        checks.insert("cache", if cache.is_ok() { "ok" } else { "error" });
    }

    let failing: Vec<_> = checks
        .iter()
        .filter(|(_, v)| **v != "ok")
        .map(|(k, _)| *k)
        .collect();
    if failing.is_empty() {
        return Ok(Json(Readiness {
            status: "ready",
            checks,
        }));
    }
    let detail = format!("Not ready: {} failing.", failing.join(", "));
    Err(NotReady {
        problem: Problem::new(StatusCode::SERVICE_UNAVAILABLE, detail),
        checks,
    })
}
