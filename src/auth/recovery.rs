//! Email verification and password reset: single-use, expiring links whose tokens are stored
//! hashed. `forgot-password` answers the same, in about the same time, whether or not the
//! account exists.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;
use tokio::time::Instant;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::audit::{self, AuditEvent, Entry};
use crate::auth::repo::{self, TokenPurpose};
use crate::auth::requests::{ForgotPassword, ResetPassword, VerifyEmail};
use crate::auth::routes::queue_email;
use crate::auth::{CurrentUser, sessions, token};
use crate::db::{Conn, DbError};
use crate::email::Email;
use crate::email::templates::{RESET_LINK_MINUTES, VERIFY_LINK_HOURS};
use crate::error::{ApiError, rate_limit_headers};
use crate::http::client::ClientInfo;
use crate::http::json::ValidJson;
use crate::http::responses;
use crate::state::AppState;
use crate::time::Timestamp;
use crate::users::model::User;
use crate::users::repo as users_repo;

const VERIFY_TTL: Duration = Duration::from_secs(VERIFY_LINK_HOURS * 60 * 60);
const RESET_TTL: Duration = Duration::from_secs(RESET_LINK_MINUTES * 60);
/// `forgot-password` never answers faster than this, so its timing does not tell whether
/// the account exists (the work for an existing one takes a few milliseconds).
const FORGOT_MIN_DURATION: Duration = Duration::from_millis(150);

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(verify_email))
        .routes(routes!(resend_verification))
        .routes(routes!(forgot_password))
        .routes(routes!(reset_password))
}

/// Store a new verification token for `user` and queue its email, in `tx`.
pub async fn queue_verification_email(tx: &mut Conn, user: &User) -> Result<(), DbError> {
    let token = issue_token(tx, user, TokenPurpose::VerifyEmail, VERIFY_TTL).await?;
    let email = Email::VerifyAddress {
        to: user.email.clone(),
        name: user.name.clone(),
        token,
    };
    queue_email(tx, email).await
}

async fn issue_token(
    tx: &mut Conn,
    user: &User,
    purpose: TokenPurpose,
    ttl: Duration,
) -> Result<String, DbError> {
    let token = token::new_opaque_token();
    let now = Timestamp::now();
    repo::insert_email_token(
        tx,
        user.id,
        purpose,
        &token::hash_opaque_token(&token),
        now,
        now.plus(ttl),
    )
    .await?;
    Ok(token)
}

fn invalid_link() -> ApiError {
    ApiError::invalid_field(
        "token",
        "this link is invalid, was already used or has expired",
    )
}

/// Confirm the email address with the token from the verification email.
#[utoipa::path(post, path = "/api/auth/verify-email", tag = "auth",
    request_body = crate::auth::requests::VerifyEmailRequestSchema,
    responses(
        (status = 204, description = "The address is verified"),
        (status = 400, response = responses::BadRequest),
        (status = 415, response = responses::UnsupportedMediaType),
        (status = 422, response = responses::ValidationFailed),
        (status = 429, response = responses::TooManyRequests),
    ))]
#[tracing::instrument(skip_all)]
async fn verify_email(
    State(state): State<AppState>,
    client: ClientInfo,
    ValidJson(request): ValidJson<VerifyEmail>,
) -> Result<Response, ApiError> {
    let limit = state
        .limiter
        .enforce(&state.settings.rate_limits.token_per_ip, &client.ip_key())
        .await?;
    let hash = token::hash_opaque_token(request.token.expose_secret());
    let now = Timestamp::now();
    let mut conn = state.db.write().await?;
    let mut tx = conn.begin().await?;
    let user_id = repo::consume_email_token(&mut tx, TokenPurpose::VerifyEmail, &hash, now)
        .await?
        .ok_or_else(invalid_link)?;
    let user = users_repo::find_by_id(&mut tx, user_id)
        .await?
        .ok_or_else(invalid_link)?;
    if !user.email_verified {
        users_repo::mark_email_verified(&mut tx, user.id, now).await?;
        audit::record(
            &mut tx,
            Entry::by_user(AuditEvent::EmailVerified, user.id, &client),
        )
        .await?;
        let welcome = Email::Welcome {
            to: user.email,
            name: user.name,
        };
        queue_email(&mut tx, welcome).await?;
    }
    tx.commit().await?;
    state.jobs.wake();
    Ok(rate_limit_headers(
        limit,
        StatusCode::NO_CONTENT.into_response(),
    ))
}

/// Send the verification email again (nothing is sent when the address is already
/// verified). Rate limited per user.
#[utoipa::path(post, path = "/api/auth/resend-verification", tag = "auth",
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 204, description = "A new verification email is queued"),
        (status = 401, response = responses::Unauthorized),
        (status = 429, response = responses::TooManyRequests),
    ))]
#[tracing::instrument(skip_all)]
async fn resend_verification(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Response, ApiError> {
    let limit = state
        .limiter
        .enforce(
            &state.settings.rate_limits.resend_per_user,
            &user.id.to_string(),
        )
        .await?;
    let mut conn = state.db.write().await?;
    let mut tx = conn.begin().await?;
    let account = users_repo::find_by_id(&mut tx, user.id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if !account.email_verified {
        queue_verification_email(&mut tx, &account).await?;
    }
    tx.commit().await?;
    state.jobs.wake();
    Ok(rate_limit_headers(
        limit,
        StatusCode::NO_CONTENT.into_response(),
    ))
}

/// Ask for a password-reset email. Always `202`, whether or not the account exists.
#[utoipa::path(post, path = "/api/auth/forgot-password", tag = "auth",
    request_body = crate::auth::requests::ForgotPasswordRequestSchema,
    responses(
        (status = 202, description = "If the account exists, a reset email is on its way"),
        (status = 400, response = responses::BadRequest),
        (status = 415, response = responses::UnsupportedMediaType),
        (status = 422, response = responses::ValidationFailed),
        (status = 429, response = responses::TooManyRequests),
    ))]
#[tracing::instrument(skip_all)]
async fn forgot_password(
    State(state): State<AppState>,
    client: ClientInfo,
    ValidJson(request): ValidJson<ForgotPassword>,
) -> Result<Response, ApiError> {
    let started = Instant::now();
    let limit = state
        .limiter
        .enforce(&state.settings.rate_limits.forgot_per_ip, &client.ip_key())
        .await?;
    let outcome = queue_reset_email(&state, &request.email, &client).await;
    tokio::time::sleep_until(started + FORGOT_MIN_DURATION).await;
    outcome?;
    Ok(rate_limit_headers(
        limit,
        StatusCode::ACCEPTED.into_response(),
    ))
}

async fn queue_reset_email(
    state: &AppState,
    email: &crate::auth::model::Email,
    client: &ClientInfo,
) -> Result<(), ApiError> {
    let mut conn = state.db.write().await?;
    let Some(user) = users_repo::find_by_email(&mut conn, email.as_str()).await? else {
        return Ok(());
    };
    // More requests are answered the same but send nothing: no mailbox flooding.
    let allowed = state
        .limiter
        .hit(
            &state.settings.rate_limits.forgot_per_account,
            &user.id.to_string(),
        )
        .await
        .allowed;
    if !user.is_active || !allowed {
        return Ok(());
    }
    let mut tx = conn.begin().await?;
    let token = issue_token(&mut tx, &user, TokenPurpose::ResetPassword, RESET_TTL).await?;
    audit::record(
        &mut tx,
        Entry {
            actor_id: None,
            ..Entry::by_user(AuditEvent::PasswordResetRequested, user.id, client)
        },
    )
    .await?;
    let message = Email::ResetPassword {
        to: user.email,
        name: user.name,
        token,
    };
    queue_email(&mut tx, message).await?;
    tx.commit().await?;
    state.jobs.wake();
    Ok(())
}

/// Choose a new password with the token from the reset email. Every session of the account
/// ends, and its failed-login counters are cleared.
#[utoipa::path(post, path = "/api/auth/reset-password", tag = "auth",
    request_body = crate::auth::requests::ResetPasswordRequestSchema,
    responses(
        (status = 204, description = "The password is changed; every session has ended"),
        (status = 400, response = responses::BadRequest),
        (status = 415, response = responses::UnsupportedMediaType),
        (status = 422, response = responses::ValidationFailed),
        (status = 429, response = responses::TooManyRequests),
    ))]
#[tracing::instrument(skip_all)]
async fn reset_password(
    State(state): State<AppState>,
    client: ClientInfo,
    ValidJson(request): ValidJson<ResetPassword>,
) -> Result<Response, ApiError> {
    let limit = state
        .limiter
        .enforce(&state.settings.rate_limits.token_per_ip, &client.ip_key())
        .await?;
    let hash = token::hash_opaque_token(request.token.expose_secret());
    // Hashed before the transaction: it must not hold the write lock for a hash.
    let new_password = request.new_password;
    let password_hash = state
        .passwords
        .hash(new_password.as_secret().clone())
        .await?;
    let now = Timestamp::now();
    let mut conn = state.db.write().await?;
    let mut tx = conn.begin().await?;
    let user_id = repo::consume_email_token(&mut tx, TokenPurpose::ResetPassword, &hash, now)
        .await?
        .ok_or_else(invalid_link)?;
    let user = users_repo::find_by_id(&mut tx, user_id)
        .await?
        .ok_or_else(invalid_link)?;
    if new_password.is_email(&user.email) {
        return Err(ApiError::invalid_field(
            "new_password",
            "must not be the email address",
        ));
    }
    users_repo::set_password(&mut tx, user.id, &password_hash, now).await?;
    // Following the link proves the address is theirs.
    users_repo::mark_email_verified(&mut tx, user.id, now).await?;
    let ended = sessions::revoke_all(&mut tx, user.id, None).await?;
    audit::record(
        &mut tx,
        Entry {
            actor_id: None,
            ..Entry::by_user(AuditEvent::PasswordReset, user.id, &client)
        },
    )
    .await?;
    let notice = Email::PasswordChanged {
        to: user.email.clone(),
        name: user.name,
    };
    queue_email(&mut tx, notice).await?;
    tx.commit().await?;
    sessions::forget(&state, &ended).await;
    state.jobs.wake();
    // Whoever controls the mailbox gets back in at once, even while the account is under
    // attack: clear its failure counters (the per-IP one for the IP that reset it).
    state
        .limiter
        .reset(
            &state.settings.rate_limits.failed_login_per_account,
            &user.email,
        )
        .await;
    state
        .limiter
        .reset(
            &state.settings.rate_limits.failed_login_per_account_ip,
            &format!("{}|{}", user.email, client.ip_key()),
        )
        .await;
    tracing::info!(user_id = %user.id, "password reset");
    Ok(rate_limit_headers(
        limit,
        StatusCode::NO_CONTENT.into_response(),
    ))
}
