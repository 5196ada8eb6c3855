//! `/api/users/me/passkeys`: the signed-in user's passkeys. Open to signed-in sessions only
//! (API keys `403`); every change needs a fresh sign-in, like every change to how the account
//! signs in.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::audit::{self, AuditEvent, Entry};
use crate::auth::sign_in_methods;
use crate::auth::{CurrentUser, FreshSession};
use crate::error::{ApiError, ConflictOnDuplicate};
use crate::http::client::ClientInfo;
use crate::http::etag::json_with_etag;
use crate::http::json::ValidJson;
use crate::http::query::{Page, Pagination};
use crate::http::responses;
use crate::passkeys::model::{AddPasskey, CeremonyOptions, PasskeyResponse, RenamePasskey};
use crate::passkeys::{ceremony, relying_party, repo};
use crate::state::AppState;
use crate::time::Timestamp;
use crate::users::model::User;
use crate::users::repo as users_repo;

/// Most passkeys one account may hold.
pub const MAX_PASSKEYS: i64 = 25;

const TOO_MANY: ApiError =
    ApiError::Conflict("You have as many passkeys as allowed; delete one you no longer use first.");

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_passkeys, add_passkey))
        .routes(routes!(start_passkey_registration))
        .routes(routes!(rename_passkey, delete_passkey))
}

const ACCOUNT_GONE: ApiError = ApiError::Unauthorized {
    detail: "The account for this access token no longer exists.",
    token_presented: true,
};

async fn load(state: &AppState, user: CurrentUser) -> Result<User, ApiError> {
    users_repo::find_by_id(&mut state.db.read().await?, user.id)
        .await?
        .ok_or(ACCOUNT_GONE)
}

/// The user's passkeys, oldest first (never their key material).
#[utoipa::path(get, path = "/api/users/me/passkeys", tag = "users",
    security(("bearer" = []), ("oauth2" = [])),
    params(Pagination),
    responses(
        (status = 200, description = "One page of passkeys", body = Page<PasskeyResponse>,
            headers(("ETag" = String, description = "Send it back in `If-None-Match`"))),
        (status = 304, description = "Unchanged since the `If-None-Match` ETag"),
        (status = 401, response = responses::Unauthorized),
        (status = 403, response = responses::Forbidden),
        (status = 422, response = responses::ValidationFailed),
    ))]
#[tracing::instrument(skip_all)]
async fn list_passkeys(
    State(state): State<AppState>,
    user: CurrentUser,
    page: Pagination,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (items, total) = repo::list(&mut state.db.read().await?, user.id, page).await?;
    json_with_etag(&headers, &Page::new(items, total, page))
}

/// Start adding a passkey: the options for `navigator.credentials.create()` and the ceremony
/// id to send back with its answer to `POST /api/users/me/passkeys` within `expires_in`
/// seconds. The passkey is discoverable and verifies its user (PIN, biometrics), so it later
/// signs in alone, without an email address, password or second factor.
#[utoipa::path(post, path = "/api/users/me/passkeys/registration", tag = "users",
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "The ceremony: options for the browser", body = CeremonyOptions),
        (status = 401, response = responses::Unauthorized),
        (status = 403, response = responses::FreshSignInRequired),
        (status = 409, response = responses::Conflict),
        (status = 503, response = responses::ServiceUnavailable),
    ))]
#[tracing::instrument(skip_all)]
async fn start_passkey_registration(
    State(state): State<AppState>,
    FreshSession { user }: FreshSession,
) -> Result<Json<CeremonyOptions>, ApiError> {
    let party = super::relying_party(&state)?;
    let account = load(&state, user).await?;
    let existing = repo::credential_ids(&mut state.db.read().await?, user.id).await?;
    if existing.len() as i64 >= MAX_PASSKEYS {
        return Err(TOO_MANY);
    }
    let (options, registration) = party
        .start_registration(&account, existing)
        .map_err(|err| anyhow::anyhow!("starting a passkey registration: {err}"))?;
    let registration = ceremony::Registration {
        user_id: user.id,
        session_id: user.session_id,
        state: registration,
    };
    let ceremony_id = ceremony::keep(&state, party, &registration).await?;
    Ok(Json(CeremonyOptions {
        ceremony_id,
        expires_in: party.timeout().as_secs(),
        options,
    }))
}

/// Finish adding a passkey with the browser's answer to the ceremony, from the session that
/// started it. A ceremony works once; an unknown, used or expired one is `422` on
/// `ceremony_id`, an answer that does not match it (another challenge, origin or site, no
/// user verification) `422` on `credential`, a passkey registered already `409`.
#[utoipa::path(post, path = "/api/users/me/passkeys", tag = "users",
    security(("bearer" = []), ("oauth2" = [])),
    request_body = crate::passkeys::model::AddPasskeySchema,
    responses(
        (status = 201, description = "Added", body = PasskeyResponse),
        (status = 400, response = responses::BadRequest),
        (status = 401, response = responses::Unauthorized),
        (status = 403, response = responses::Forbidden),
        (status = 409, response = responses::Conflict),
        (status = 415, response = responses::UnsupportedMediaType),
        (status = 422, response = responses::ValidationFailed),
        (status = 503, response = responses::ServiceUnavailable),
    ))]
#[tracing::instrument(skip_all)]
async fn add_passkey(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    ValidJson(request): ValidJson<AddPasskey>,
) -> Result<Response, ApiError> {
    let party = super::relying_party(&state)?;
    let registration = ceremony::take::<ceremony::Registration>(&state, &request.ceremony_id)
        .await
        .filter(|ceremony| ceremony.user_id == user.id && ceremony.session_id == user.session_id)
        .ok_or_else(|| {
            ApiError::invalid_field(
                "ceremony_id",
                "is unknown, expired or already used: start again",
            )
        })?;
    let passkey = party
        .finish_registration(&request.credential, &registration.state)
        .map_err(|err| {
            tracing::info!(error = %err, "passkey registration refused");
            ApiError::invalid_field(
                "credential",
                "does not answer this ceremony (another challenge, site or origin, or no user verification)",
            )
        })?;
    let created = PasskeyResponse {
        id: Uuid::now_v7(),
        name: request.name,
        created_at: Timestamp::now(),
        last_used_at: None,
    };
    let mut conn = state.db.write().await?;
    let mut tx = conn.begin().await?;
    repo::lock_owner(&mut tx, user.id).await?;
    if repo::count(&mut tx, user.id).await? >= MAX_PASSKEYS {
        return Err(TOO_MANY);
    }
    repo::insert(
        &mut tx,
        &repo::NewPasskey {
            id: created.id,
            user_id: user.id,
            name: &created.name,
            passkey: &passkey,
            created_at: created.created_at,
        },
    )
    .await
    .conflict_on_duplicate("This passkey is registered already.")?;
    audit::record(
        &mut tx,
        Entry::by_user(AuditEvent::PasskeyAdded, user.id, &client).details(json!({
            "passkey_id": created.id,
            "name": created.name,
            "credential_id": relying_party::credential_id_text(passkey.cred_id()),
        })),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(passkey_id = %created.id, "passkey added");
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// Rename a passkey. Another user's passkey, or an unknown one, is `404`.
#[utoipa::path(patch, path = "/api/users/me/passkeys/{id}", tag = "users",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "The passkey")),
    request_body = crate::passkeys::model::RenamePasskeySchema,
    responses(
        (status = 200, description = "Renamed", body = PasskeyResponse),
        (status = 400, response = responses::BadRequest),
        (status = 401, response = responses::Unauthorized),
        (status = 403, response = responses::FreshSignInRequired),
        (status = 404, response = responses::NotFound),
        (status = 415, response = responses::UnsupportedMediaType),
        (status = 422, response = responses::ValidationFailed),
    ))]
#[tracing::instrument(skip_all)]
async fn rename_passkey(
    State(state): State<AppState>,
    FreshSession { user }: FreshSession,
    Path(id): Path<String>,
    ValidJson(request): ValidJson<RenamePasskey>,
) -> Result<Json<PasskeyResponse>, ApiError> {
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::NotFound)?;
    let renamed = repo::rename(&mut state.db.write().await?, user.id, id, &request.name)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(renamed))
}

/// Delete a passkey: it no longer signs in. Refused (`409`) when it is the account's last way
/// to sign in (no password, no linked account, no other passkey). Another user's passkey, or an unknown one,
/// is `404`.
#[utoipa::path(delete, path = "/api/users/me/passkeys/{id}", tag = "users",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "The passkey")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, response = responses::Unauthorized),
        (status = 403, response = responses::FreshSignInRequired),
        (status = 404, response = responses::NotFound),
        (status = 409, response = responses::Conflict),
    ))]
#[tracing::instrument(skip_all)]
async fn delete_passkey(
    State(state): State<AppState>,
    FreshSession { user }: FreshSession,
    client: ClientInfo,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::NotFound)?;
    let mut conn = state.db.write().await?;
    let mut tx = conn.begin().await?;
    repo::lock_owner(&mut tx, user.id).await?;
    let account = users_repo::find_by_id(&mut tx, user.id)
        .await?
        .ok_or(ACCOUNT_GONE)?;
    let passkey = repo::find(&mut tx, user.id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    repo::delete(&mut tx, user.id, id).await?;
    if sign_in_methods::ways_left(&mut tx, &state, &account).await? == 0 {
        return Err(ApiError::Conflict(
            "This is the only way left to sign in to your account: set a password (\"Forgot \
             your password?\" on the sign-in page), link another account or add another \
             passkey first.",
        ));
    }
    audit::record(
        &mut tx,
        Entry::by_user(AuditEvent::PasskeyRemoved, user.id, &client)
            .details(json!({"passkey_id": id, "name": passkey.name})),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(passkey_id = %id, "passkey removed");
    Ok(StatusCode::NO_CONTENT)
}
