//! `/api/users/me/sessions`: the user's signed-in devices, each revocable.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::audit::{self, AuditEvent, Entry};
use crate::auth::{CurrentUser, repo, sessions};
use crate::error::ApiError;
use crate::http::client::ClientInfo;
use crate::http::etag::json_with_etag;
use crate::http::query::{Page, Pagination};
use crate::http::responses;
use crate::state::AppState;
use crate::time::Timestamp;
use crate::users::model::SessionResponse;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_sessions))
        .routes(routes!(revoke_session))
}

/// The user's live sessions, most recently used first; `current` marks the caller's.
#[utoipa::path(get, path = "/api/users/me/sessions", tag = "users",
    security(("bearer" = []), ("oauth2" = [])),
    params(Pagination),
    responses(
        (status = 200, description = "One page of sessions", body = Page<SessionResponse>,
            headers(("ETag" = String, description = "Send it back in `If-None-Match`"))),
        (status = 304, description = "Unchanged since the `If-None-Match` ETag"),
        (status = 401, response = responses::Unauthorized),
        (status = 422, response = responses::ValidationFailed),
    ))]
#[tracing::instrument(skip_all)]
async fn list_sessions(
    State(state): State<AppState>,
    user: CurrentUser,
    page: Pagination,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (rows, total) =
        repo::list_live(&mut state.db.read().await?, user.id, Timestamp::now(), page).await?;
    let items = rows
        .into_iter()
        .map(|row| SessionResponse {
            current: row.id == user.session_id,
            id: row.id,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            device: row
                .user_agent
                .as_deref()
                .and_then(crate::users::device::describe),
            user_agent: row.user_agent,
        })
        .collect();
    json_with_etag(&headers, &Page::new(items, total, page))
}

/// End one of the user's sessions at once (their current one too, which signs them out).
/// Another user's session, or an unknown one, is `404`.
#[utoipa::path(delete, path = "/api/users/me/sessions/{id}", tag = "users",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "The session")),
    responses(
        (status = 204, description = "The session has ended"),
        (status = 401, response = responses::Unauthorized),
        (status = 404, response = responses::NotFound),
    ))]
#[tracing::instrument(skip_all)]
async fn revoke_session(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let session_id = Uuid::parse_str(&id).map_err(|_| ApiError::NotFound)?;
    let mut conn = state.db.write().await?;
    let mut tx = conn.begin().await?;
    if !repo::revoke(&mut tx, user.id, session_id, Timestamp::now()).await? {
        return Err(ApiError::NotFound);
    }
    audit::record(
        &mut tx,
        Entry::by_user(AuditEvent::SessionRevoked, user.id, &client)
            .details(json!({"session_id": session_id})),
    )
    .await?;
    tx.commit().await?;
    sessions::forget(&state, &[session_id]).await;
    Ok(StatusCode::NO_CONTENT)
}
