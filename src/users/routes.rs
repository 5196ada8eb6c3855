//! `/api/users/me`: the signed-in user's profile, password and account.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::audit::{self, AuditEvent, Entry};
use crate::auth::reauth::Confirmation;
use crate::auth::routes::queue_email;
use crate::auth::{CurrentUser, sessions};
use crate::email::Email;
use crate::error::ApiError;
use crate::http::client::ClientInfo;
use crate::http::etag::json_with_etag;
use crate::http::json::ValidJson;
use crate::http::responses;
use crate::state::AppState;
use crate::time::Timestamp;
use crate::two_factor;
use crate::users::model::{Role, User, UserResponse};
use crate::users::repo;
use crate::users::requests::{ChangePassword, ConfirmPassword, UpdateMe};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_me, update_me, delete_me))
        .routes(routes!(change_password))
        .merge(crate::users::sessions::router())
        .merge(crate::api_keys::routes::router())
        .merge(crate::auth::providers::identities::router())
}

const ACCOUNT_GONE: ApiError = ApiError::Unauthorized {
    detail: "The account for this access token no longer exists.",
    token_presented: true,
};

async fn load(state: &AppState, user: CurrentUser) -> Result<User, ApiError> {
    repo::find_by_id(&mut state.db.read().await?, user.id)
        .await?
        .ok_or(ACCOUNT_GONE)
}

/// The account as its owner sees it, two-factor status included.
async fn profile(state: &AppState, account: User) -> Result<UserResponse, ApiError> {
    let two_factor = two_factor::status(&mut state.db.read().await?, account.id).await?;
    Ok(UserResponse::from(account).with_two_factor(two_factor))
}

/// The signed-in user's profile.
#[utoipa::path(get, path = "/api/users/me", tag = "users",
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "The current user", body = UserResponse,
            headers(("ETag" = String, description = "Send it back in `If-None-Match`"))),
        (status = 304, description = "Unchanged since the `If-None-Match` ETag"),
        (status = 401, response = responses::Unauthorized),
    ))]
#[tracing::instrument(skip_all)]
async fn get_me(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let account = load(&state, user).await?;
    json_with_etag(&headers, &profile(&state, account).await?)
}

/// Update the profile. Only `name` can be changed here.
#[utoipa::path(patch, path = "/api/users/me", tag = "users",
    security(("bearer" = []), ("oauth2" = [])),
    request_body = crate::users::requests::UpdateMeRequestSchema,
    responses(
        (status = 200, description = "The updated user", body = UserResponse),
        (status = 400, response = responses::BadRequest),
        (status = 401, response = responses::Unauthorized),
        (status = 415, response = responses::UnsupportedMediaType),
        (status = 422, response = responses::ValidationFailed),
    ))]
#[tracing::instrument(skip_all)]
async fn update_me(
    State(state): State<AppState>,
    user: CurrentUser,
    ValidJson(request): ValidJson<UpdateMe>,
) -> Result<Json<UserResponse>, ApiError> {
    let account = match request.name {
        None => load(&state, user).await?,
        Some(name) => repo::set_name(
            &mut state.db.write().await?,
            user.id,
            name.as_deref(),
            Timestamp::now(),
        )
        .await?
        .ok_or(ACCOUNT_GONE)?,
    };
    Ok(Json(profile(&state, account).await?))
}

/// Change the password. Every other session of the account ends; this one stays signed in.
#[utoipa::path(post, path = "/api/users/me/password", tag = "users",
    security(("bearer" = []), ("oauth2" = [])),
    request_body = crate::users::requests::ChangePasswordRequestSchema,
    responses(
        (status = 204, description = "Changed; other sessions have ended"),
        (status = 400, response = responses::BadRequest),
        (status = 401, response = responses::Unauthorized),
        (status = 415, response = responses::UnsupportedMediaType),
        (status = 422, response = responses::ValidationFailed),
        (status = 429, response = responses::TooManyRequests),
    ))]
#[tracing::instrument(skip_all)]
async fn change_password(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    ValidJson(request): ValidJson<ChangePassword>,
) -> Result<StatusCode, ApiError> {
    let account = load(&state, user).await?;
    if request.new_password.is_email(&account.email) {
        return Err(ApiError::invalid_field(
            "new_password",
            "must not be the email address",
        ));
    }
    let confirmation = Confirmation::of(&account, user.session_id);
    confirmation
        .password(
            &state,
            request.current_password,
            "current_password",
            &client,
        )
        .await?;
    let password_hash = state
        .passwords
        .hash(request.new_password.into_secret())
        .await?;
    let mut conn = state.db.write().await?;
    let mut tx = conn.begin().await?;
    repo::set_password(&mut tx, account.id, &password_hash, Timestamp::now()).await?;
    let ended = sessions::revoke_all(&mut tx, account.id, Some(user.session_id)).await?;
    audit::record(
        &mut tx,
        Entry::by_user(AuditEvent::PasswordChanged, account.id, &client),
    )
    .await?;
    let notice = Email::PasswordChanged {
        to: account.email,
        name: account.name,
    };
    queue_email(&mut tx, notice).await?;
    tx.commit().await?;
    sessions::forget(&state, &ended).await;
    state.jobs.wake();
    Ok(StatusCode::NO_CONTENT)
}

/// Delete the account and everything it owns, confirmed with its password. The last active
/// admin cannot delete themself (`409`).
#[utoipa::path(delete, path = "/api/users/me", tag = "users",
    security(("bearer" = []), ("oauth2" = [])),
    request_body = crate::users::requests::DeleteMeRequestSchema,
    responses(
        (status = 204, description = "The account and all its data are deleted"),
        (status = 400, response = responses::BadRequest),
        (status = 401, response = responses::Unauthorized),
        (status = 409, response = responses::Conflict),
        (status = 415, response = responses::UnsupportedMediaType),
        (status = 422, response = responses::ValidationFailed),
        (status = 429, response = responses::TooManyRequests),
    ))]
#[tracing::instrument(skip_all)]
async fn delete_me(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    ValidJson(request): ValidJson<ConfirmPassword>,
) -> Result<StatusCode, ApiError> {
    let account = load(&state, user).await?;
    Confirmation::of(&account, user.session_id)
        .password(&state, request.password, "password", &client)
        .await?;
    let mut conn = state.db.write().await?;
    let mut tx = conn.begin().await?;
    if account.role == Role::Admin && repo::count_active_admins(&mut tx).await? <= 1 {
        return Err(ApiError::Conflict(
            "You are the only administrator: make someone else an admin first.",
        ));
    }
    let ended = crate::auth::repo::ids_of_user(&mut tx, account.id).await?;
    let keys = crate::api_keys::repo::all_of_user(&mut tx, account.id).await?;
    repo::delete(&mut tx, account.id).await?;
    audit::record(
        &mut tx,
        Entry::by_user(AuditEvent::AccountDeleted, account.id, &client),
    )
    .await?;
    tx.commit().await?;
    sessions::forget(&state, &ended).await;
    crate::api_keys::grant::forget(&state, &keys).await;
    crate::todos::cache::invalidate(&state, account.id).await;
    tracing::info!(user_id = %account.id, "account deleted");
    Ok(StatusCode::NO_CONTENT)
}
