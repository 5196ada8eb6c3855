//! The web app, embedded in the binary at build time (see `build.rs` and `web/build.mjs`).
//!
//! Hashed files under `/assets/` are cached for a year as immutable; the HTML documents, the
//! manifest and the service worker are revalidated on every use (`no-cache` with an ETag), so
//! a deploy reaches every browser at its next visit. Each text file has brotli and gzip
//! variants compressed once at build time and chosen by `Accept-Encoding`.
//!
//! The server answers the app's routes (`/login`, `/app`, …) with the HTML shell so deep links
//! and reloads work, and any other path a browser navigates to with the same shell and a `404`
//! status (the shell shows the not-found page). API and tooling paths are never answered with
//! HTML: they keep their problem-details `404`.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// One embedded file.
pub struct Asset {
    pub path: &'static str,
    pub content_type: &'static str,
    pub cache_control: &'static str,
    pub etag: &'static str,
    pub body: &'static [u8],
    pub br: Option<&'static [u8]>,
    pub gzip: Option<&'static [u8]>,
}

include!(concat!(env!("OUT_DIR"), "/web/assets.rs"));

/// Paths the client-side router knows; anything else gets the shell with a `404`.
pub const APP_ROUTES: &[&str] = &[
    "/register",
    "/login",
    "/verify-email",
    "/forgot-password",
    "/reset-password",
    "/app",
    "/settings",
    "/admin",
];

/// Prefixes that belong to the API and the server's tooling: never answered with HTML.
const RESERVED: &[&str] = &[
    "/api",
    "/health",
    "/ready",
    "/metrics",
    "/docs",
    "/openapi.json",
];

const SHELL: &str = "/app";

/// The router's fallback: embedded files, the landing page, the shell for app routes, and
/// problem details for everything else.
pub async fn serve(method: Method, uri: Uri, headers: HeaderMap) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return ApiError::NotFound.into_response();
    }
    let path = uri.path();
    if let Some(asset) = find(path) {
        return respond(asset, &headers, StatusCode::OK);
    }
    if is_reserved(path) || !accepts_html(&headers) {
        return ApiError::NotFound.into_response();
    }
    let status = if APP_ROUTES.contains(&path) {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    match find(SHELL) {
        Some(shell) => respond(shell, &headers, status),
        None => ApiError::NotFound.into_response(),
    }
}

/// An embedded file by its URL path.
pub fn find(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|asset| asset.path == path)
}

fn is_reserved(path: &str) -> bool {
    RESERVED.iter().any(|prefix| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

/// Browsers ask for `text/html` when they navigate; API clients do not.
fn accepts_html(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|item| item.trim().starts_with("text/html"))
}

/// The encodings the client accepts (`br`, `gzip`), ignoring those it gave `q=0`.
fn accepts_encoding(headers: &HeaderMap, wanted: &str) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let coding = parts.next().unwrap_or("");
            let refused = parts.any(|param| {
                param
                    .strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q == 0.0)
            });
            (coding.eq_ignore_ascii_case(wanted) || coding == "*") && !refused
        })
}

fn respond(asset: &'static Asset, headers: &HeaderMap, status: StatusCode) -> Response {
    let not_modified = status == StatusCode::OK
        && headers
            .get(header::IF_NONE_MATCH)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|tags| {
                tags.split(',')
                    .any(|tag| tag.trim().trim_start_matches("W/") == asset.etag)
            });
    let (body, encoding) = if not_modified {
        (None, None)
    } else if let Some(br) = asset.br.filter(|_| accepts_encoding(headers, "br")) {
        (Some(br), Some("br"))
    } else if let Some(gzip) = asset.gzip.filter(|_| accepts_encoding(headers, "gzip")) {
        (Some(gzip), Some("gzip"))
    } else {
        (Some(asset.body), None)
    };
    let mut response = match body {
        Some(bytes) => (status, Body::from(bytes)).into_response(),
        None => StatusCode::NOT_MODIFIED.into_response(),
    };
    let out = response.headers_mut();
    out.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    out.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(asset.cache_control),
    );
    out.insert(header::ETAG, HeaderValue::from_static(asset.etag));
    if asset.br.is_some() || asset.gzip.is_some() {
        out.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    if let Some(encoding) = encoding {
        out.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
    }
    response
}

#[cfg(test)]
mod tests;
