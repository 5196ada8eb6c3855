//! `/api/users/me/identities`: the accounts at other providers linked to the user's, each
//! removable as long as some way to sign in is left.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::audit::{self, AuditEvent, Entry};
use crate::auth::CurrentUser;
use crate::auth::extract::FreshSession;
use crate::auth::providers::repo;
use crate::auth::sign_in_methods;
use crate::error::ApiError;
use crate::http::client::ClientInfo;
use crate::http::etag::json_with_etag;
use crate::http::query::{Page, Pagination};
use crate::http::responses;
use crate::state::AppState;
use crate::time::Timestamp;
use crate::users::repo as users_repo;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_identities))
        .routes(routes!(unlink_identity))
}

/// An account at another provider that signs in to this one.
#[derive(Debug, Serialize, ToSchema)]
pub struct IdentityResponse {
    pub id: Uuid,
    /// The provider's id (`google`, `github`).
    #[schema(example = "google")]
    pub provider: String,
    /// The provider's name, or its id when it is no longer configured.
    #[schema(example = "Google")]
    pub provider_name: String,
    /// The address the provider reported at the last sign-in.
    #[schema(example = "ada@example.com")]
    pub email: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// When it was last used to sign in.
    #[schema(value_type = String, format = DateTime)]
    pub last_used_at: Timestamp,
}

/// The user's linked accounts at other providers, oldest first.
#[utoipa::path(get, path = "/api/users/me/identities", tag = "users",
    security(("bearer" = []), ("oauth2" = [])),
    params(Pagination),
    responses(
        (status = 200, description = "One page of linked accounts", body = Page<IdentityResponse>,
            headers(("ETag" = String, description = "Send it back in `If-None-Match`"))),
        (status = 304, description = "Unchanged since the `If-None-Match` ETag"),
        (status = 401, response = responses::Unauthorized),
        (status = 422, response = responses::ValidationFailed),
    ))]
#[tracing::instrument(skip_all)]
async fn list_identities(
    State(state): State<AppState>,
    user: CurrentUser,
    page: Pagination,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (rows, total) = repo::page(&mut state.db.read().await?, user.id, page).await?;
    let items = rows
        .into_iter()
        .map(|identity| IdentityResponse {
            provider_name: state.providers.name_of(&identity.provider),
            id: identity.id,
            provider: identity.provider,
            email: identity.email,
            created_at: identity.created_at,
            last_used_at: identity.last_used_at,
        })
        .collect();
    json_with_etag(&headers, &Page::new(items, total, page))
}

/// Unlink an account at another provider: it no longer signs in here. Needs a recent sign-in
/// (`403` with the `insufficient_user_authentication` challenge otherwise), and `409` when it
/// is the last way left to sign in (no password, no other linked account). Another user's
/// link, or an unknown one, is `404`.
#[utoipa::path(delete, path = "/api/users/me/identities/{id}", tag = "users",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "The linked account")),
    responses(
        (status = 204, description = "Unlinked"),
        (status = 401, response = responses::Unauthorized),
        (status = 403, response = responses::Forbidden),
        (status = 404, response = responses::NotFound),
        (status = 409, response = responses::Conflict),
    ))]
#[tracing::instrument(skip_all)]
async fn unlink_identity(
    State(state): State<AppState>,
    FreshSession { user }: FreshSession,
    client: ClientInfo,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::NotFound)?;
    let mut conn = state.db.write().await?;
    let mut tx = conn.begin().await?;
    repo::lock_user(&mut tx, user.id).await?;
    let account = users_repo::find_by_id(&mut tx, user.id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let removed = repo::delete(&mut tx, user.id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if sign_in_methods::ways_left(&mut tx, &state, &account).await? == 0 {
        return Err(ApiError::Conflict(
            "This is the only way left to sign in to your account: set a password (\"Forgot \
             your password?\" on the sign-in page) or link another account first.",
        ));
    }
    audit::record(
        &mut tx,
        Entry::by_user(AuditEvent::IdentityUnlinked, user.id, &client).details(json!({
            "identity_id": removed.id,
            "provider": removed.provider,
        })),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(identity_id = %removed.id, provider = removed.provider, "identity unlinked");
    Ok(StatusCode::NO_CONTENT)
}
