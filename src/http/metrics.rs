//! `GET /metrics`: the Prometheus exposition of the process's recorder (see
//! `observability::metrics`), with the database pool gauges brought up to date first.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::db::Db;
use crate::observability::metrics::{CONTENT_TYPE, DB_POOL_CONNECTIONS, render};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(scrape))
}

/// Prometheus metrics
///
/// Every metric family in the text exposition format. Keep it away from the public internet:
/// the reverse proxy should answer it only to the monitoring network.
#[utoipa::path(get, path = "/metrics", tag = "metrics", operation_id = "metrics", responses(
    (status = 200, description = "Every metric family in the Prometheus text format",
        body = String, content_type = "text/plain"),
))]
async fn scrape(State(state): State<AppState>) -> Response {
    exposition(&state.db)
}

/// The `/metrics` response of any process: the pool gauges brought up to date, then every
/// family.
pub fn exposition(db: &Db) -> Response {
    let pool = db.pool_status();
    metrics::gauge!(DB_POOL_CONNECTIONS, "state" => "size").set(pool.size as f64);
    metrics::gauge!(DB_POOL_CONNECTIONS, "state" => "idle").set(pool.idle as f64);
    let mut response = render().into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    response
}
