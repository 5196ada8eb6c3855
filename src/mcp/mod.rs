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
        // The Host check protects servers that trust whoever reaches them (DNS rebinding);
        // this one authenticates every request with a bearer credential, which a rebound
        // page cannot present, and is reached under whatever host name the deployer picks.
        .disable_allowed_hosts();
    let tools_state = state.clone();
    let service = StreamableHttpService::new(
        move || Ok(server::TodoTools::new(tools_state.clone())),
        Arc::new(NeverSessionManager::default()),
        config,
    );
    Router::new()
        .route_service(PATH, service)
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            authenticate,
        ))
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
