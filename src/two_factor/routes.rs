//! `/api/users/me/2fa/*`: turning two-factor sign-in on and off, and new recovery codes.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::audit::{self, AuditEvent, Entry};
use crate::auth::reauth::Confirmation;
use crate::auth::{CurrentUser, FreshSession};
use crate::db::Conn;
use crate::error::ApiError;
use crate::http::client::ClientInfo;
use crate::http::json::ValidJson;
use crate::http::responses;
use crate::state::AppState;
use crate::time::Timestamp;
use crate::two_factor::model::{ConfirmTotp, RecoveryCodes, TotpEnrolment};
use crate::two_factor::totp::{SecretSeal, TotpSecret, qr_svg};
use crate::two_factor::{challenge, now_secs, recovery_codes, repo};
use crate::users::model::User;
use crate::users::repo as users_repo;
use crate::users::requests::ConfirmPassword;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(start_totp, disable_totp))
        .routes(routes!(confirm_totp))
        .routes(routes!(regenerate_recovery_codes))
        .merge(challenge::router())
}

const ALREADY_ON: ApiError = ApiError::Conflict(
    "Two-factor authentication is already on. Turn it off first to move to another authenticator.",
);

async fn load(state: &AppState, user_id: Uuid) -> Result<User, ApiError> {
    users_repo::find_by_id(&mut state.db.read().await?, user_id)
        .await?
        .ok_or(ApiError::Unauthorized {
            detail: "The account for this access token no longer exists.",
            token_presented: true,
        })
}

/// Start setting up an authenticator app: a new secret, as text, as an `otpauth://` URI and
/// as a QR code. Nothing changes at sign-in until `…/confirm` receives its first code; calling
/// this again replaces an unconfirmed secret. `409` when two-factor is on already. The session
/// must have signed in or confirmed its password recently (`403` otherwise).
#[utoipa::path(post, path = "/api/users/me/2fa/totp", tag = "users",
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 201, description = "Enrolment started, not yet on", body = TotpEnrolment),
        (status = 401, response = responses::Unauthorized),
        (status = 403, response = responses::FreshSignInRequired),
        (status = 409, response = responses::Conflict),
    ))]
#[tracing::instrument(skip_all)]
async fn start_totp(
    State(state): State<AppState>,
    FreshSession { user }: FreshSession,
) -> Result<Response, ApiError> {
    let account = load(&state, user.id).await?;
    let secret = TotpSecret::generate();
    let sealed = SecretSeal::new(&state.settings).seal(account.id, &secret);
    let mut conn = state.db.write().await?;
    if !repo::upsert_pending(&mut conn, account.id, &sealed, Timestamp::now()).await? {
        return Err(ALREADY_ON);
    }
    drop(conn);
    let otpauth_uri = secret.otpauth_uri(&account.email);
    let enrolment = TotpEnrolment {
        secret: secret.base32().expose_secret().to_owned(),
        qr_svg: qr_svg(otpauth_uri.expose_secret()),
        otpauth_uri: otpauth_uri.expose_secret().to_owned(),
    };
    Ok((StatusCode::CREATED, Json(enrolment)).into_response())
}

/// Turn two-factor sign-in on with the first code of the authenticator app set up by
/// `POST /api/users/me/2fa/totp`. The answer holds ten recovery codes, shown this once.
/// A wrong code is `422`; `409` when no set-up is waiting.
#[utoipa::path(post, path = "/api/users/me/2fa/totp/confirm", tag = "users",
    security(("bearer" = []), ("oauth2" = [])),
    request_body = crate::two_factor::model::ConfirmTotpRequestSchema,
    responses(
        (status = 200, description = "Two-factor is on; the recovery codes are shown only now", body = RecoveryCodes),
        (status = 401, response = responses::Unauthorized),
        (status = 409, response = responses::Conflict),
        (status = 422, response = responses::ValidationFailed),
    ))]
#[tracing::instrument(skip_all)]
async fn confirm_totp(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    ValidJson(request): ValidJson<ConfirmTotp>,
) -> Result<Json<RecoveryCodes>, ApiError> {
    const NOT_STARTED: ApiError =
        ApiError::Conflict("No authenticator is being set up: start again.");
    let credential = repo::find(&mut state.db.read().await?, user.id)
        .await?
        .ok_or(NOT_STARTED)?;
    if credential.confirmed {
        return Err(ALREADY_ON);
    }
    let secret = SecretSeal::new(&state.settings)
        .open(user.id, &credential.secret_encrypted)
        .ok_or(NOT_STARTED)?;
    let typed: String = request
        .code
        .expose_secret()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let step = secret
        .check(&typed, now_secs())
        .and_then(|step| i64::try_from(step).ok())
        .ok_or_else(|| {
            ApiError::invalid_field("code", "is not the code your authenticator app shows now")
        })?;
    let now = Timestamp::now();
    let mut conn = state.db.write().await?;
    let mut tx = conn.begin().await?;
    // The set-up may have been restarted meanwhile: only the secret the code is for turns on.
    if !repo::confirm(&mut tx, user.id, &credential.secret_encrypted, step, now).await? {
        return Err(NOT_STARTED);
    }
    let codes = new_recovery_codes(&mut tx, user.id, now).await?;
    audit::record(
        &mut tx,
        Entry::by_user(AuditEvent::TwoFactorEnabled, user.id, &client)
            .details(json!({"method": "totp"})),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(user_id = %user.id, "two-factor authentication turned on");
    Ok(Json(RecoveryCodes {
        recovery_codes: codes,
    }))
}

/// Replace the account's recovery codes with `COUNT` new ones; returns them as shown.
async fn new_recovery_codes(
    tx: &mut Conn,
    user_id: Uuid,
    now: Timestamp,
) -> Result<Vec<String>, ApiError> {
    let codes = recovery_codes::generate();
    let hashes: Vec<String> = codes
        .iter()
        .filter_map(|code| recovery_codes::normalise(code))
        .map(|code| recovery_codes::hash(user_id, &code))
        .collect();
    repo::replace_recovery_codes(tx, user_id, &hashes, now).await?;
    Ok(codes)
}

/// Turn two-factor sign-in off (and cancel a set-up in progress), confirmed with the
/// account's password; a wrong one counts against the sign-in brute-force limits. The
/// recovery codes go too. An account without a password confirms by a recent sign-in.
#[utoipa::path(delete, path = "/api/users/me/2fa/totp", tag = "users",
    security(("bearer" = []), ("oauth2" = [])),
    request_body = crate::two_factor::model::DisableTotpRequestSchema,
    responses(
        (status = 204, description = "Two-factor sign-in is off"),
        (status = 401, response = responses::Unauthorized),
        (status = 403, response = responses::FreshSignInRequired),
        (status = 422, response = responses::ValidationFailed),
        (status = 429, response = responses::TooManyRequests),
    ))]
#[tracing::instrument(skip_all)]
async fn disable_totp(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    ValidJson(request): ValidJson<ConfirmPassword>,
) -> Result<StatusCode, ApiError> {
    let account = load(&state, user.id).await?;
    Confirmation::of(&account, user.session_id)
        .password(&state, request.password, "password", &client)
        .await?;
    let mut conn = state.db.write().await?;
    let mut tx = conn.begin().await?;
    if repo::delete_all(&mut tx, account.id).await? {
        audit::record(
            &mut tx,
            Entry::by_user(AuditEvent::TwoFactorDisabled, account.id, &client)
                .details(json!({"method": "totp"})),
        )
        .await?;
        tracing::info!(user_id = %account.id, "two-factor authentication turned off");
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ten new recovery codes, shown this once; the old ones stop working. `409` when two-factor
/// is off. The session must have signed in or confirmed its password recently (`403`
/// otherwise).
#[utoipa::path(post, path = "/api/users/me/2fa/recovery-codes", tag = "users",
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "The new codes, shown only now", body = RecoveryCodes),
        (status = 401, response = responses::Unauthorized),
        (status = 403, response = responses::FreshSignInRequired),
        (status = 409, response = responses::Conflict),
    ))]
#[tracing::instrument(skip_all)]
async fn regenerate_recovery_codes(
    State(state): State<AppState>,
    FreshSession { user }: FreshSession,
    client: ClientInfo,
) -> Result<Json<RecoveryCodes>, ApiError> {
    let now = Timestamp::now();
    let mut conn = state.db.write().await?;
    let mut tx = conn.begin().await?;
    if !repo::is_enabled(&mut tx, user.id).await? {
        return Err(ApiError::Conflict(
            "Two-factor authentication is off: there are no recovery codes to replace.",
        ));
    }
    let codes = new_recovery_codes(&mut tx, user.id, now).await?;
    audit::record(
        &mut tx,
        Entry::by_user(AuditEvent::RecoveryCodesRegenerated, user.id, &client),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(RecoveryCodes {
        recovery_codes: codes,
    }))
}
