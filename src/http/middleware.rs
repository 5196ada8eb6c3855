//! The layers every response passes through, outermost first: request id, observation (the
//! request's span, log line and metrics), security headers, CORS, compression, problem details for bare errors, panic catching,
//! timeout.

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower::util::option_layer;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::timeout::TimeoutLayer;

use crate::config::Settings;
use crate::db::Db;
use crate::error::{DatabaseUnreachable, PROBLEM_JSON, Problem};
use crate::http::request_id;
use crate::http::requests;

/// API.md: request bodies over 64 KiB are refused with `413`.
pub const BODY_LIMIT: usize = 64 * 1024;

const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
    object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
const PERMISSIONS_POLICY: &str =
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()";
const STRICT_TRANSPORT_SECURITY: &str = "max-age=63072000; includeSubDomains";

/// Wrap the application's routes in the standard stack.
pub fn apply(router: Router, settings: &Settings) -> Router {
    let production = settings.is_production();
    router
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            settings.request_timeout,
        ))
        .layer(CatchPanicLayer::custom(|_| {
            Problem::for_status(StatusCode::INTERNAL_SERVER_ERROR).into_response()
        }))
        .layer(middleware::from_fn(problem_details_for_bare_errors))
        .layer(CompressionLayer::new())
        .layer(option_layer(cors(&settings.cors_origins)))
        .layer(middleware::map_response(move |response| {
            security_headers(response, production)
        }))
        .layer(middleware::from_fn_with_state(
            settings.ops.slow_request,
            requests::observe,
        ))
        .layer(middleware::from_fn(request_id::assign))
}

/// A read that failed because the database connection was lost is tried once more, on a
/// fresh connection: a restarted server breaks every pooled connection at once, and a reader
/// should not see that when the server is back. Only bodiless `GET` and `HEAD` requests,
/// which change nothing, are repeated.
pub async fn retry_reads_once(State(db): State<Db>, request: Request, next: Next) -> Response {
    let bodiless = !request.headers().contains_key(header::TRANSFER_ENCODING)
        && request
            .headers()
            .get(header::CONTENT_LENGTH)
            .is_none_or(|length| length == "0");
    if !(matches!(*request.method(), Method::GET | Method::HEAD) && bodiless) {
        return next.run(request).await;
    }
    let mut again = Request::new(Body::empty());
    *again.method_mut() = request.method().clone();
    *again.uri_mut() = request.uri().clone();
    *again.version_mut() = request.version();
    *again.headers_mut() = request.headers().clone();
    *again.extensions_mut() = request.extensions().clone();
    let response = next.clone().run(request).await;
    if response.extensions().get::<DatabaseUnreachable>().is_none() {
        return response;
    }
    db.discard_idle();
    tracing::debug!("database connection lost during a read; trying it once more");
    next.run(again).await
}

/// Cross-origin browser access for the configured origins only. Credentials (cookies) are not
/// allowed across origins: API clients elsewhere authenticate with bearer tokens.
fn cors(origins: &[String]) -> Option<CorsLayer> {
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|origin| HeaderValue::from_str(origin).ok())
        .collect();
    if origins.is_empty() {
        return None;
    }
    let layer = CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_NONE_MATCH,
            HeaderName::from_static(crate::idempotency::HEADER),
            HeaderName::from_static(request_id::HEADER),
        ])
        .expose_headers([
            header::ETAG,
            header::LOCATION,
            header::RETRY_AFTER,
            HeaderName::from_static("ratelimit-limit"),
            HeaderName::from_static("ratelimit-remaining"),
            HeaderName::from_static("ratelimit-reset"),
            HeaderName::from_static(request_id::HEADER),
        ])
        .max_age(Duration::from_secs(60 * 60));
    Some(layer)
}

async fn security_headers(mut response: Response, production: bool) -> Response {
    let headers = response.headers_mut();
    let mut set = |name: HeaderName, value: &'static str| {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    };
    set(header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY);
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::X_FRAME_OPTIONS, "DENY");
    set(header::REFERRER_POLICY, "no-referrer");
    set(
        HeaderName::from_static("permissions-policy"),
        PERMISSIONS_POLICY,
    );
    set(
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    set(header::CACHE_CONTROL, "no-store");
    if production {
        set(header::STRICT_TRANSPORT_SECURITY, STRICT_TRANSPORT_SECURITY);
    }
    response
}

/// Errors produced outside our handlers (unknown route, wrong method, a framework
/// rejection, time-out) become problem details too, keeping headers such as `Allow`.
async fn problem_details_for_bare_errors(request: Request, next: Next) -> Response {
    let is_head = request.method() == Method::HEAD;
    let response = next.run(request).await;
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    // The web app's not-found page is a complete answer already, and so is a JSON-RPC error
    // from `/mcp`, which MCP clients read.
    let is_complete = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| {
            let value = value.as_bytes();
            value.starts_with(b"text/html") || value.starts_with(b"application/json")
        });
    if !(status.is_client_error() || status.is_server_error())
        || is_problem
        || is_head
        || is_complete
    {
        return response;
    }
    let (mut parts, _) = response.into_parts();
    let mut problem = Problem::for_status(status).into_response();
    parts.headers.remove(header::CONTENT_LENGTH);
    for (name, value) in problem
        .headers_mut()
        .drain()
        .filter_map(|(n, v)| n.map(|n| (n, v)))
    {
        parts.headers.insert(name, value);
    }
    Response::from_parts(parts, problem.into_body())
}
