//! `/api/admin/*`: user management and the audit log. Every route needs role `admin`.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::admin::model::{
    AdminUserResponse, AuditLogParams, AuditQuery, UpdateUser, UserSearch, UserSearchParams,
};
use crate::api_keys;
use crate::audit::repo::AuditRecord;
use crate::audit::{self, AuditEvent, Entry};
use crate::auth::{AdminUser, sessions};
use crate::error::ApiError;
use crate::http::client::ClientInfo;
use crate::http::etag::json_with_etag;
use crate::http::json::ValidJson;
use crate::http::query::{Page, Pagination};
use crate::http::responses;
use crate::state::AppState;
use crate::time::Timestamp;
use crate::users::model::Role;
use crate::users::repo;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users))
        .routes(routes!(update_user, delete_user))
        .routes(routes!(audit_log))
}

fn parse_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ApiError::NotFound)
}

/// Users, newest first; `q` matches part of the email or name.
#[utoipa::path(get, path = "/api/admin/users", tag = "admin",
    security(("bearer" = []), ("oauth2" = [])),
    params(UserSearchParams, Pagination),
    responses(
        (status = 200, description = "One page of users", body = Page<AdminUserResponse>,
            headers(("ETag" = String, description = "Send it back in `If-None-Match`"))),
        (status = 304, description = "Unchanged since the `If-None-Match` ETag"),
        (status = 401, response = responses::Unauthorized),
        (status = 403, response = responses::Forbidden),
        (status = 422, response = responses::ValidationFailed),
    ))]
#[tracing::instrument(skip_all)]
async fn list_users(
    State(state): State<AppState>,
    _admin: AdminUser,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let search = UserSearch::parse(query.as_deref())?;
    let (users, total) = repo::search(
        &mut state.db.read().await?,
        search.q.as_deref(),
        search.page,
    )
    .await?;
    let items: Vec<AdminUserResponse> = users.into_iter().map(Into::into).collect();
    json_with_etag(&headers, &Page::new(items, total, search.page))
}

/// Change a user's role or status. Deactivating ends their sessions at once. An admin cannot
/// demote or deactivate themself (`409`), so there is always an admin.
#[utoipa::path(patch, path = "/api/admin/users/{id}", tag = "admin",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "The user")),
    request_body = crate::admin::model::UpdateUserRequestSchema,
    responses(
        (status = 200, description = "The updated user", body = AdminUserResponse),
        (status = 400, response = responses::BadRequest),
        (status = 401, response = responses::Unauthorized),
        (status = 403, response = responses::Forbidden),
        (status = 404, response = responses::NotFound),
        (status = 409, response = responses::Conflict),
        (status = 415, response = responses::UnsupportedMediaType),
        (status = 422, response = responses::ValidationFailed),
    ))]
#[tracing::instrument(skip_all)]
async fn update_user(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    client: ClientInfo,
    Path(id): Path<String>,
    ValidJson(request): ValidJson<UpdateUser>,
) -> Result<Json<AdminUserResponse>, ApiError> {
    let id = parse_id(&id)?;
    if id == admin.id && (request.role == Some(Role::User) || request.is_active == Some(false)) {
        return Err(ApiError::Conflict(
            "You cannot demote or deactivate yourself; another admin can.",
        ));
    }
    let mut conn = state.db.write().await?;
    let mut tx = conn.begin().await?;
    let before = repo::find_by_id(&mut tx, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let after = repo::set_role_and_status(
        &mut tx,
        id,
        request.role,
        request.is_active,
        Timestamp::now(),
    )
    .await?
    .ok_or(ApiError::NotFound)?;
    let by_admin = |event| Entry {
        event,
        user_id: Some(id),
        actor_id: Some(admin.id),
        client: &client,
        details: json!({}),
    };
    if before.role != after.role {
        let entry = by_admin(AuditEvent::RoleChanged)
            .details(json!({"from": before.role.as_str(), "to": after.role.as_str()}));
        audit::record(&mut tx, entry).await?;
    }
    let (mut ended, mut keys) = (Vec::new(), Vec::new());
    if before.is_active != after.is_active {
        if after.is_active {
            audit::record(&mut tx, by_admin(AuditEvent::UserActivated)).await?;
        } else {
            ended = sessions::revoke_all(&mut tx, id, None).await?;
            // Like its sessions, a deactivated account's keys end for good.
            keys = api_keys::repo::delete_all(&mut tx, id).await?;
            let entry = by_admin(AuditEvent::UserDeactivated)
                .details(json!({"api_keys_revoked": keys.len()}));
            audit::record(&mut tx, entry).await?;
        }
    }
    tx.commit().await?;
    sessions::forget(&state, &ended).await;
    api_keys::grant::forget(&state, &keys).await;
    Ok(Json(after.into()))
}

/// Delete a user and everything they own. An admin cannot delete themself here (`409`).
#[utoipa::path(delete, path = "/api/admin/users/{id}", tag = "admin",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "The user")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, response = responses::Unauthorized),
        (status = 403, response = responses::Forbidden),
        (status = 404, response = responses::NotFound),
        (status = 409, response = responses::Conflict),
    ))]
#[tracing::instrument(skip_all)]
async fn delete_user(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    client: ClientInfo,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = parse_id(&id)?;
    if id == admin.id {
        return Err(ApiError::Conflict(
            "You cannot delete your own account here; another admin can.",
        ));
    }
    let mut conn = state.db.write().await?;
    let mut tx = conn.begin().await?;
    let ended = crate::auth::repo::ids_of_user(&mut tx, id).await?;
    let keys = api_keys::repo::all_of_user(&mut tx, id).await?;
    if !repo::delete(&mut tx, id).await? {
        return Err(ApiError::NotFound);
    }
    let entry = Entry {
        event: AuditEvent::AccountDeleted,
        user_id: Some(id),
        actor_id: Some(admin.id),
        client: &client,
        details: json!({}),
    };
    audit::record(&mut tx, entry).await?;
    tx.commit().await?;
    sessions::forget(&state, &ended).await;
    api_keys::grant::forget(&state, &keys).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Security events, newest first.
#[utoipa::path(get, path = "/api/admin/audit-log", tag = "admin",
    security(("bearer" = []), ("oauth2" = [])),
    params(AuditLogParams, Pagination),
    responses(
        (status = 200, description = "One page of events", body = Page<AuditRecord>),
        (status = 401, response = responses::Unauthorized),
        (status = 403, response = responses::Forbidden),
        (status = 422, response = responses::ValidationFailed),
    ))]
#[tracing::instrument(skip_all)]
async fn audit_log(
    State(state): State<AppState>,
    _admin: AdminUser,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let query = AuditQuery::parse(query.as_deref())?;
    let (items, total) =
        crate::audit::repo::list(&mut state.db.read().await?, &query.filter, query.page).await?;
    json_with_etag(&headers, &Page::new(items, total, query.page))
}
