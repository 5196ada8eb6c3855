//! `/mcp`: a Model Context Protocol server over the streamable HTTP transport, through the
//! official SDK (`rmcp`). Stateless (no MCP session is kept between requests), so any replica
//! can answer any request. Each request is authenticated like every other route, by a bearer
//! access token or a personal API key, and its tools run the same todo code as the HTTP
//! routes, within the key's scopes.

mod server;
mod tools;

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRequestParts, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::http::client::ClientInfo;
use crate::state::AppState;

pub const PATH: &str = "/mcp";

/// The `/mcp` route, or nothing when `NEOFORGE_MCP=off`.
pub fn router(state: &AppState) -> Router<AppState> {
    if !state.settings.api_access.mcp_enabled {
        return Router::new();
    }
    let config = StreamableHttpServerConfig::default()
        // No MCP sessions: every POST is answered on its own, by whichever replica gets it.
        .with_legacy_session_mode(false)
        // A tool call is one request and one answer: plain JSON, no event stream.
        .with_json_response(true)
        .with_max_request_body_bytes(crate::http::middleware::BODY_LIMIT)
        // Browsers may call only from the app's own origin and the configured CORS origins
        // (the spec's defence against DNS rebinding); programs send no `Origin`. The Host
        // check is off: the server is reached under whatever names the deployer picks, and
        // every request must carry a bearer credential, which a rebound page cannot present.
        .with_allowed_origins(allowed_origins(state))
        .disable_allowed_hosts();
    let tools_state = state.clone();
    let service = StreamableHttpService::new(
        move || Ok(server::TodoTools::new(tools_state.clone())),
        Arc::new(NeverSessionManager::default()),
        config,
    );
    Router::new()
        .route_service(PATH, service)
        .route_layer(axum::middleware::from_fn(json_rpc_body))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            authenticate,
        ))
}

/// The app's own origin and the CORS origins, with the port spelled out as the SDK wants.
fn allowed_origins(state: &AppState) -> Vec<String> {
    let settings = &state.settings;
    std::iter::once(settings.public_url.as_str())
        .chain(settings.cors_origins.iter().map(String::as_str))
        .map(with_port)
        .collect()
}

/// `scheme://host[:port]` with the scheme's default port when none is given.
fn with_port(origin: &str) -> String {
    let origin = origin.trim_end_matches('/');
    let Some((scheme, rest)) = origin.split_once("://") else {
        return origin.to_owned();
    };
    let authority = rest.split('/').next().unwrap_or(rest);
    // `host:port` or `[v6]:port`; a bracketed address alone has no port.
    let has_port = !authority.ends_with(']')
        && authority
            .rsplit_once(':')
            .is_some_and(|(_, port)| !port.is_empty() && port.chars().all(|c| c.is_ascii_digit()));
    if has_port {
        return format!("{scheme}://{authority}");
    }
    let port = if scheme == "https" { 443 } else { 80 };
    format!("{scheme}://{authority}:{port}")
}

/// A `POST` body that is not JSON-RPC is refused as JSON-RPC says (`-32700` parse error,
/// `-32600` invalid request) with `400`, as the API's other malformed bodies are, before the
/// SDK (which answers `415`) reads it. One extra parse of a body of at most 64 KiB.
async fn json_rpc_body(request: Request, next: Next) -> Response {
    if request.method() != axum::http::Method::POST {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, crate::http::middleware::BODY_LIMIT).await else {
        return ApiError::PayloadTooLarge.into_response();
    };
    let refusal = match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Err(_) => Some((-32700, "Parse error: the body is not JSON.")),
        Ok(message) if message.get("jsonrpc").and_then(|v| v.as_str()) != Some("2.0") => Some((
            -32600,
            "Invalid request: send one JSON-RPC 2.0 object (batches are not part of MCP).",
        )),
        Ok(_) => None,
    };
    if let Some((code, message)) = refusal {
        let body = serde_json::json!({
            "jsonrpc": "2.0",
            "id": null,
            "error": {"code": code, "message": message},
        });
        return (axum::http::StatusCode::BAD_REQUEST, axum::Json(body)).into_response();
    }
    next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
        .await
}

/// Every MCP request needs a credential; the tools read the caller (and the client, for the
/// audit log) from the request's extensions.
async fn authenticate(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let caller = match parts.extensions.get::<Caller>() {
        // The per-user rate limit authenticated the request already.
        Some(caller) => *caller,
        None => match Caller::from_bearer(&parts.headers, &state).await {
            Ok(Some(caller)) => caller,
            Ok(None) => {
                return ApiError::Unauthorized {
                    detail: "The MCP endpoint needs a bearer access token or API key.",
                    token_presented: false,
                }
                .into_response();
            }
            Err(err) => return err.into_response(),
        },
    };
    let client = match ClientInfo::from_request_parts(&mut parts, &state).await {
        Ok(client) => client,
        Err(err) => return err.into_response(),
    };
    parts.extensions.insert(caller);
    parts.extensions.insert(client);
    next.run(Request::from_parts(parts, body)).await
}

#[cfg(test)]
mod tests {
    use super::with_port;

    #[test]
    fn origins_get_their_default_port_spelled_out() {
        assert_eq!(
            with_port("https://app.example.com"),
            "https://app.example.com:443"
        );
        assert_eq!(with_port("http://localhost:8000/"), "http://localhost:8000");
        assert_eq!(with_port("http://[::1]"), "http://[::1]:80");
        assert_eq!(with_port("http://[::1]:8000"), "http://[::1]:8000");
        assert_eq!(
            with_port("https://example.com/app"),
            "https://example.com:443"
        );
    }
}
