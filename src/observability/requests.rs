//! One span and one log line per request, and the HTTP metrics. Routes are labelled by their
//! template (`/api/todos/{id}`), never the raw path: ids must not end up in logs' route field
//! or in metric labels.

use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use crate::http::request_id;
use crate::observability::metrics::{
    HTTP_REQUEST_DURATION, HTTP_REQUESTS, HTTP_REQUESTS_IN_FLIGHT,
};

/// The route label of requests that matched no route.
pub const UNMATCHED: &str = "unmatched";

/// The request span's field that the authentication extractor fills in with the caller's id.
pub const USER_ID_FIELD: &str = "user_id";

/// Measure and log a request. Runs inside the request-id layer, outside everything else, so it
/// sees the final status (time-outs, caught panics, problem details included).
pub async fn observe(State(slow): State<Duration>, request: Request, next: Next) -> Response {
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED, MatchedPath::as_str)
        .to_owned();
    let request_id = request
        .headers()
        .get(request_id::HEADER)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let span = tracing::info_span!(
        "request",
        method = %method,
        route = %route,
        request_id,
        user_id = tracing::field::Empty,
    );

    let in_flight = InFlight::start();
    let started = Instant::now();
    let response = next.run(request).instrument(span.clone()).await;
    let latency = started.elapsed();
    drop(in_flight);

    let status = response.status().as_u16();
    let labels = [
        ("method", method),
        ("route", route),
        ("status", status.to_string()),
    ];
    metrics::counter!(HTTP_REQUESTS, &labels).increment(1);
    metrics::histogram!(HTTP_REQUEST_DURATION, &labels).record(latency.as_secs_f64());

    let latency_ms = latency.as_micros() as f64 / 1000.0;
    span.in_scope(|| {
        if latency >= slow {
            tracing::warn!(
                status,
                latency_ms,
                slow_ms = slow.as_millis() as u64,
                "slow request"
            );
        } else {
            tracing::info!(status, latency_ms, "request completed");
        }
    });
    response
}

/// Counts a request in flight until dropped, also when the client goes away mid-request and
/// the handler's future is dropped.
struct InFlight;

impl InFlight {
    fn start() -> Self {
        metrics::gauge!(HTTP_REQUESTS_IN_FLIGHT).increment(1.0);
        Self
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        metrics::gauge!(HTTP_REQUESTS_IN_FLIGHT).decrement(1.0);
    }
}
