//! `/api/users/me/api-keys`: the signed-in user's personal API keys. Open to signed-in
//! sessions only: a key cannot list, mint or revoke keys.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::api_keys::model::{self, ApiKey, CreateApiKey, CreatedApiKey};
use crate::api_keys::{grant, repo};
use crate::audit::{self, AuditEvent, Entry};
use crate::auth::token::hash_opaque_token;
use crate::auth::{CurrentUser, FreshSession};
use crate::error::ApiError;
use crate::http::client::ClientInfo;
use crate::http::etag::json_with_etag;
use crate::http::json::ValidJson;
use crate::http::query::{Page, Pagination};
use crate::http::responses;
use crate::state::AppState;
use crate::time::Timestamp;

const DAY: std::time::Duration = std::time::Duration::from_secs(24 * 60 * 60);

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_api_keys, create_api_key))
        .routes(routes!(revoke_api_key))
}

/// The user's API keys, newest first (never their secrets).
#[utoipa::path(get, path = "/api/users/me/api-keys", tag = "users",
    security(("bearer" = []), ("oauth2" = [])),
    params(Pagination),
    responses(
        (status = 200, description = "One page of API keys", body = Page<ApiKey>,
            headers(("ETag" = String, description = "Send it back in `If-None-Match`"))),
        (status = 304, description = "Unchanged since the `If-None-Match` ETag"),
        (status = 401, response = responses::Unauthorized),
        (status = 422, response = responses::ValidationFailed),
    ))]
#[tracing::instrument(skip_all)]
async fn list_api_keys(
    State(state): State<AppState>,
    user: CurrentUser,
    page: Pagination,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (items, total) = repo::list(&mut state.db.read().await?, user.id, page).await?;
    json_with_etag(&headers, &Page::new(items, total, page))
}

/// Create a key for a program acting for the user within `scopes`. The answer holds the
/// secret (`key`) this once; only its hash is stored, so it cannot be shown again (and a
/// repeated request creates another key rather than replaying the secret). The session must
/// have signed in or confirmed its password recently (`403` otherwise, see
/// `/api/auth/reauthenticate`): a key is a standing credential to the account's data.
#[utoipa::path(post, path = "/api/users/me/api-keys", tag = "users",
    security(("bearer" = []), ("oauth2" = [])),
    request_body = crate::api_keys::model::CreateApiKeySchema,
    responses(
        (status = 201, description = "Created; `key` is the secret, shown only now", body = CreatedApiKey),
        (status = 401, response = responses::Unauthorized),
        (status = 403, response = responses::FreshSignInRequired),
        (status = 409, response = responses::Conflict),
        (status = 422, response = responses::ValidationFailed),
    ))]
#[tracing::instrument(skip_all)]
async fn create_api_key(
    State(state): State<AppState>,
    FreshSession { user }: FreshSession,
    client: ClientInfo,
    ValidJson(request): ValidJson<CreateApiKey>,
) -> Result<Response, ApiError> {
    let secret = model::new_secret();
    let now = Timestamp::now();
    let key = ApiKey {
        id: Uuid::now_v7(),
        name: request.name,
        prefix: model::shown_prefix(&secret),
        scopes: request.scopes.names(),
        created_at: now,
        last_used_at: None,
        expires_at: request
            .expires_in_days
            .map(|days| now.plus(DAY * days as u32)),
    };
    let mut conn = state.db.write().await?;
    let mut tx = conn.begin().await?;
    let limit = state.settings.api_access.api_keys_per_user;
    repo::lock_owner(&mut tx, user.id).await?;
    if repo::count(&mut tx, user.id).await? >= i64::from(limit) {
        return Err(ApiError::Conflict(
            "You have as many API keys as allowed; revoke one you no longer use first.",
        ));
    }
    repo::insert(
        &mut tx,
        &repo::NewApiKey {
            id: key.id,
            user_id: user.id,
            name: &key.name,
            prefix: &key.prefix,
            secret_hash: &hash_opaque_token(&secret),
            scopes: request.scopes,
            created_at: key.created_at,
            expires_at: key.expires_at,
        },
    )
    .await?;
    audit::record(
        &mut tx,
        Entry::by_user(AuditEvent::ApiKeyCreated, user.id, &client).details(json!({
            "api_key_id": key.id,
            "name": key.name,
            "scopes": key.scopes,
        })),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(api_key_id = %key.id, "API key created");
    Ok((StatusCode::CREATED, Json(CreatedApiKey { key, secret })).into_response())
}

/// Revoke a key: it stops working at once, on every replica, and the event streams opened
/// with it end. Another user's key, or an unknown one, is `404`.
#[utoipa::path(delete, path = "/api/users/me/api-keys/{id}", tag = "users",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "The key")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, response = responses::Unauthorized),
        (status = 404, response = responses::NotFound),
    ))]
#[tracing::instrument(skip_all)]
async fn revoke_api_key(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::NotFound)?;
    let mut conn = state.db.write().await?;
    let mut tx = conn.begin().await?;
    let ended = repo::delete(&mut tx, user.id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    audit::record(
        &mut tx,
        Entry::by_user(AuditEvent::ApiKeyRevoked, user.id, &client)
            .details(json!({"api_key_id": id})),
    )
    .await?;
    tx.commit().await?;
    grant::forget(&state, &[ended]).await;
    Ok(StatusCode::NO_CONTENT)
}
