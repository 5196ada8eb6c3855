//! The per-user API limit (`NEOFORGE_RATE_API`): one layer in front of every route, so no
//! route can forget it. It counts each request to `/api/` outside `/api/auth/` (whose routes
//! have policies of their own) that carries a validly signed access token against the token's
//! user, in Redis when configured so every replica shares the count.
//!
//! The layer authenticates the request once, for itself and the handler: the session check
//! and the counting run at the same time, so with Redis the limit costs no extra round trip
//! of waiting, and the handler's [`crate::auth::Caller`] reuses the result. API keys count against
//! their user, as that user's own requests do.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use utoipa::PartialSchema;
use utoipa::openapi::path::Operation;
use utoipa::openapi::{Header, OpenApi, Ref, RefOr};

use crate::auth::extract::Bearer;
use crate::error::{ApiError, rate_limit_headers};
use crate::state::AppState;

/// Whether the per-user limit applies to requests to `path` (a path or a path template).
pub fn is_limited(path: &str) -> bool {
    (path.starts_with("/api/") && !path.starts_with("/api/auth/")) || path == crate::mcp::PATH
}

/// The middleware: `axum::middleware::from_fn_with_state(state, limit_per_user)`.
pub async fn limit_per_user(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let Some(policy) = state.settings.rate_limits.api_per_user else {
        return next.run(request).await;
    };
    if !is_limited(request.uri().path()) {
        return next.run(request).await;
    }
    // No credential, or an invalid one: the route answers as it would anyway.
    let Ok(Some(bearer)) = Bearer::from_headers(request.headers(), &state) else {
        return next.run(request).await;
    };
    let (caller, decision) = match bearer.claimed_user() {
        // An access token names its user: check the session and count at the same time.
        Some(user_id) => {
            let key = user_id.to_string();
            tokio::join!(
                bearer.authenticate(&state),
                state.limiter.hit(&policy, &key)
            )
        }
        // An API key's user is known once the key is found; an unknown key counts nothing.
        None => match bearer.authenticate(&state).await {
            Ok(caller) => {
                let key = caller.user_id.to_string();
                (Ok(caller), state.limiter.hit(&policy, &key).await)
            }
            Err(_) => return next.run(request).await,
        },
    };
    if let Ok(caller) = caller {
        request.extensions_mut().insert(caller);
    }
    if !decision.allowed {
        return ApiError::TooManyRequests(decision).into_response();
    }
    // A route's own policy, when it reported itself, is the closer one.
    rate_limit_headers(decision, next.run(request).await)
}

/// The headers every limited route answers with, described once as components.
const HEADERS: [(&str, &str); 3] = [
    ("RateLimit-Limit", "Requests allowed in the window"),
    ("RateLimit-Remaining", "Requests left in the window"),
    ("RateLimit-Reset", "Seconds until the window resets"),
];

/// Document the limit on every limited operation: `429`, and the `RateLimit-*` headers on
/// each success.
pub fn document(openapi: &mut OpenApi) {
    let components = openapi.components.get_or_insert_with(Default::default);
    for (name, description) in HEADERS {
        let mut header = Header::new(u64::schema());
        header.description = Some(description.to_owned());
        components.headers.insert(name.to_owned(), RefOr::T(header));
    }
    for (path, item) in openapi.paths.paths.iter_mut() {
        if !is_limited(path) {
            continue;
        }
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            document_operation(operation);
        }
    }
}

fn document_operation(operation: &mut Operation) {
    let responses = &mut operation.responses.responses;
    responses
        .entry("429".to_owned())
        .or_insert_with(|| RefOr::Ref(Ref::from_response_name("TooManyRequests")));
    for (status, response) in responses.iter_mut() {
        let RefOr::T(response) = response else {
            continue;
        };
        if !status.starts_with('2') {
            continue;
        }
        for (name, _) in HEADERS {
            response
                .headers
                .entry(name.to_owned())
                .or_insert_with(|| RefOr::Ref(Ref::new(format!("#/components/headers/{name}"))));
        }
    }
}
