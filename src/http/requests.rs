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

/// Measure and log a request. Runs inside the request-id layer, outside everything else, so it
/// sees the final status (time-outs, caught panics, problem details included). The span's
/// `user_id` starts empty: the authentication extractor records the caller's id into it.
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
    #[cfg(not(feature = "otel"))]
    let span = tracing::info_span!(
        "request",
        method = %method,
        route = %route,
        request_id,
        user_id = tracing::field::Empty,
    );
    #[cfg(feature = "otel")]
    let span = {
        let span = tracing::info_span!(
            "request",
            method = %method,
            route = %route,
            request_id,
            user_id = tracing::field::Empty,
            otel.name = %format_args!("{method} {route}"),
            otel.kind = "server",
            http.response.status_code = tracing::field::Empty,
        );
        continue_trace(&span, request.headers());
        span
    };

    let in_flight = InFlight::start();
    let started = Instant::now();
    let response = next.run(request).instrument(span.clone()).await;
    let latency = started.elapsed();
    drop(in_flight);

    let status = response.status().as_u16();
    #[cfg(feature = "otel")]
    span.record("http.response.status_code", status);
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

/// Make the request's span a child of the caller's trace when it sent a W3C `traceparent`.
#[cfg(feature = "otel")]
fn continue_trace(span: &tracing::Span, headers: &axum::http::HeaderMap) {
    use tracing_opentelemetry::OpenTelemetrySpanExt;

    struct Headers<'a>(&'a axum::http::HeaderMap);

    impl opentelemetry::propagation::Extractor for Headers<'_> {
        fn get(&self, key: &str) -> Option<&str> {
            self.0.get(key).and_then(|value| value.to_str().ok())
        }

        fn keys(&self) -> Vec<&str> {
            self.0.keys().map(axum::http::HeaderName::as_str).collect()
        }
    }

    let parent = opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.extract(&Headers(headers))
    });
    let _ = span.set_parent(parent);
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
