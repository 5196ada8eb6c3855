//! `/api/auth/*` sign-up, sign-in, refresh and logout.

use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use utoipa::IntoResponses;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::audit::{self, AuditEvent, Entry};
use crate::auth::extract::{Caller, Credential};
use crate::auth::model::{Login, Register, TokenPair};
use crate::auth::recovery;
use crate::auth::repo;
use crate::auth::requests::RefreshRequest;
use crate::auth::signin::{self, SignedIn};
use crate::auth::{cookie, sessions, token};
use crate::email::Email;
use crate::error::{ApiError, ConflictOnDuplicate, rate_limit_headers};
use crate::http::client::ClientInfo;
use crate::http::json::{OptionalJson, ValidJson};
use crate::http::responses;
use crate::jobs::{Job, JobQueue};
use crate::state::AppState;
use crate::time::Timestamp;
use crate::two_factor::model::MfaRequired;
use crate::users::model::{Role, User, UserResponse};
use crate::users::repo as users_repo;

/// How long a session lives without being refreshed.
pub const SESSION_TTL: Duration = Duration::from_secs(30 * 24 * 60 * 60);

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(token_form))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .merge(recovery::router())
        .merge(crate::auth::reauth::router())
        .merge(crate::auth::providers::routes::router())
}

/// Create an account; a verification email is queued.
#[utoipa::path(post, path = "/api/auth/register", tag = "auth",
    request_body = crate::auth::model::RegisterRequestSchema,
    responses(
        (status = 201, description = "Account created", body = UserResponse),
        (status = 400, response = responses::BadRequest),
        (status = 409, response = responses::Conflict),
        (status = 413, response = responses::PayloadTooLarge),
        (status = 415, response = responses::UnsupportedMediaType),
        (status = 422, response = responses::ValidationFailed),
        (status = 429, response = responses::TooManyRequests),
    ))]
#[tracing::instrument(skip_all)]
async fn register(
    State(state): State<AppState>,
    client: ClientInfo,
    ValidJson(request): ValidJson<Register>,
) -> Result<Response, ApiError> {
    let limit = state
        .limiter
        .enforce(
            &state.settings.rate_limits.register_per_ip,
            &client.ip_key(),
        )
        .await?;
    let password_hash = state.passwords.hash(request.password.into_secret()).await?;
    let now = Timestamp::now();
    let user = User {
        id: Uuid::now_v7(),
        email: request.email.as_str().to_owned(),
        name: request.name,
        password_hash,
        role: Role::User,
        is_active: true,
        email_verified: false,
        created_at: now,
        updated_at: now,
    };
    let mut conn = state.db.write().await?;
    let mut tx = conn.begin().await?;
    users_repo::insert(&mut tx, &user)
        .await
        .conflict_on_duplicate("An account with this email address already exists.")?;
    recovery::queue_verification_email(&mut tx, &user).await?;
    audit::record(
        &mut tx,
        Entry::by_user(AuditEvent::Signup, user.id, &client),
    )
    .await?;
    tx.commit().await?;
    state.jobs.wake();
    tracing::info!(user_id = %user.id, "account registered");
    let response = (StatusCode::CREATED, Json(UserResponse::from(user))).into_response();
    Ok(rate_limit_headers(limit, response))
}

/// What both sign-in routes answer.
#[derive(IntoResponses)]
pub enum SignInResponses {
    /// Signed in. The refresh token is also set as the `neoforge_refresh` cookie.
    #[response(status = 200, headers(
        ("Set-Cookie" = String, description = "`neoforge_refresh`: HttpOnly, SameSite=Strict, Path=/api/auth"),
        ("RateLimit-Limit" = u64), ("RateLimit-Remaining" = u64), ("RateLimit-Reset" = u64),
    ))]
    SignedIn(TokenPair),
    #[response(status = 400)]
    BadRequest(#[ref_response] responses::BadRequest),
    #[response(status = 401)]
    Unauthorized(#[ref_response] responses::Unauthorized),
    #[response(status = 403)]
    Forbidden(#[ref_response] responses::Forbidden),
    #[response(status = 413)]
    PayloadTooLarge(#[ref_response] responses::PayloadTooLarge),
    #[response(status = 415)]
    UnsupportedMediaType(#[ref_response] responses::UnsupportedMediaType),
    #[response(status = 422)]
    ValidationFailed(#[ref_response] responses::ValidationFailed),
    #[response(status = 429)]
    TooManyRequests(#[ref_response] responses::TooManyRequests),
}

const MFA_REQUIRED: &str = "The password is right and the account has two-factor \
    authentication on: send `mfa_token` with a code to `POST /api/auth/mfa` within `expires_in` \
    seconds";

/// Sign in with email and password. An unknown email and a wrong password get the same
/// answer; repeated failures are rate limited (`429`). With two-factor on, the answer is
/// `202` with an `mfa_token` to complete at `/api/auth/mfa`.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth",
    request_body = crate::auth::model::LoginRequestSchema,
    responses(SignInResponses, (status = 202, description = MFA_REQUIRED, body = MfaRequired)))]
#[tracing::instrument(skip_all)]
async fn login(
    State(state): State<AppState>,
    client: ClientInfo,
    ValidJson(request): ValidJson<Login>,
) -> Response {
    sign_in(&state, request, &client).await
}

/// Sign in with the OAuth2 password form (`username` is the email), so the interactive docs
/// can authorize. Answers exactly like `/api/auth/login`.
#[utoipa::path(post, path = "/api/auth/token", tag = "auth",
    request_body(content = crate::auth::model::TokenFormSchema,
        content_type = "application/x-www-form-urlencoded"),
    responses(SignInResponses, (status = 202, description = MFA_REQUIRED, body = MfaRequired)))]
#[tracing::instrument(skip_all)]
async fn token_form(
    State(state): State<AppState>,
    client: ClientInfo,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request = Login::from_password_form(&headers, &body)?;
    Ok(sign_in(&state, request, &client).await)
}

/// Check the credentials under the brute-force limits and open a session. Every answer
/// carries the per-IP limit's headers.
async fn sign_in(state: &AppState, request: Login, client: &ClientInfo) -> Response {
    let ip_limit = state
        .limiter
        .hit(&state.settings.rate_limits.login_per_ip, &client.ip_key())
        .await;
    let result = if ip_limit.allowed {
        check_and_open_session(state, request, client).await
    } else {
        Err(ApiError::TooManyRequests(ip_limit))
    };
    let response = result.unwrap_or_else(IntoResponse::into_response);
    rate_limit_headers(ip_limit, response)
}

async fn check_and_open_session(
    state: &AppState,
    request: Login,
    client: &ClientInfo,
) -> Result<Response, ApiError> {
    let account_ip_key = format!("{}|{}", request.email, client.ip_key());
    for (policy, key) in [
        (
            &state.settings.rate_limits.failed_login_per_account_ip,
            account_ip_key.as_str(),
        ),
        (
            &state.settings.rate_limits.failed_login_per_account,
            request.email.as_str(),
        ),
    ] {
        let decision = state.limiter.peek(policy, key).await;
        if !decision.allowed {
            record_failed_login(state, None, &request.email, "rate_limited", client).await?;
            return Err(ApiError::TooManyRequests(decision));
        }
    }

    let user = users_repo::find_by_email(&mut state.db.read().await?, &request.email).await?;
    let stored_hash = user.as_ref().map(|user| user.password_hash.clone());
    let password_ok = state
        .passwords
        .verify(request.password, stored_hash)
        .await?;
    let user = match user {
        Some(user) if password_ok => user,
        // Same answer for an unknown email and a wrong password: nobody learns who has an
        // account here.
        user => {
            state
                .limiter
                .hit(
                    &state.settings.rate_limits.failed_login_per_account_ip,
                    &account_ip_key,
                )
                .await;
            state
                .limiter
                .hit(
                    &state.settings.rate_limits.failed_login_per_account,
                    &request.email,
                )
                .await;
            let user_id = user.map(|user| user.id);
            record_failed_login(state, user_id, &request.email, "bad_credentials", client).await?;
            return Err(ApiError::Unauthorized {
                detail: "Incorrect email or password.",
                token_presented: false,
            });
        }
    };
    if !user.is_active {
        record_failed_login(state, Some(user.id), &request.email, "deactivated", client).await?;
        return Err(ApiError::Forbidden("This account has been deactivated."));
    }
    state
        .limiter
        .reset(
            &state.settings.rate_limits.failed_login_per_account_ip,
            &account_ip_key,
        )
        .await;
    signin::password_verified(state, &user, client).await
}

async fn record_failed_login(
    state: &AppState,
    user_id: Option<Uuid>,
    email: &str,
    reason: &str,
    client: &ClientInfo,
) -> Result<(), ApiError> {
    let entry = Entry {
        event: AuditEvent::LoginFailed,
        user_id,
        actor_id: None,
        client,
        details: json!({"email": email, "reason": reason}),
    };
    audit::record(&mut state.db.write().await?, entry).await?;
    Ok(())
}

/// The refresh token from the body, or else from the cookie (with the anti-forgery header).
fn presented_refresh_token(
    body: Option<RefreshRequest>,
    headers: &HeaderMap,
) -> Result<Option<SecretString>, ApiError> {
    match body {
        Some(request) => Ok(Some(request.refresh_token)),
        None => Ok(cookie::refresh_token(headers)?.map(SecretString::from)),
    }
}

const NO_REFRESH_TOKEN: ApiError = ApiError::Unauthorized {
    detail: "The refresh token is invalid, used or expired; sign in again.",
    token_presented: false,
};

/// Exchange a refresh token for a new token pair. Each refresh token works once: presenting
/// one that was already used ends its whole session (it was stolen or replayed). Send no body
/// to use the cookie (then `X-Requested-With: neoforge` is required).
#[utoipa::path(post, path = "/api/auth/refresh", tag = "auth",
    request_body(content = Option<crate::auth::requests::RefreshRequestSchema>,
        description = "Omit the body to use the `neoforge_refresh` cookie"),
    params(("X-Requested-With" = Option<String>, Header,
        description = "`neoforge`; required when the refresh token comes from the cookie")),
    responses(SignInResponses))]
#[tracing::instrument(skip_all)]
async fn refresh(
    State(state): State<AppState>,
    client: ClientInfo,
    headers: HeaderMap,
    OptionalJson(body): OptionalJson<RefreshRequest>,
) -> Result<Response, ApiError> {
    let limit = state
        .limiter
        .enforce(&state.settings.rate_limits.token_per_ip, &client.ip_key())
        .await?;
    let presented = presented_refresh_token(body, &headers)?.ok_or(NO_REFRESH_TOKEN)?;
    let old_hash = token::hash_opaque_token(presented.expose_secret());
    let new_token = token::new_opaque_token();
    let now = Timestamp::now();

    let mut conn = state.db.write().await?;
    let mut tx = conn.begin().await?;
    let rotated = repo::rotate(
        &mut tx,
        &old_hash,
        &token::hash_opaque_token(&new_token),
        now,
        now.plus(SESSION_TTL),
    )
    .await?;
    let Some((session_id, user_id)) = rotated else {
        let reused = repo::find_by_used_token(&mut tx, &old_hash).await?;
        if let Some((session_id, user_id)) = reused {
            let revoked = repo::revoke(&mut tx, user_id, session_id, now).await?;
            if revoked {
                let entry = Entry {
                    event: AuditEvent::RefreshReuseDetected,
                    user_id: Some(user_id),
                    actor_id: None,
                    client: &client,
                    details: json!({"session_id": session_id}),
                };
                audit::record(&mut tx, entry).await?;
            }
            tx.commit().await?;
            sessions::forget(&state, &[session_id]).await;
            tracing::warn!(%user_id, %session_id, "refresh token reused: session revoked");
        }
        return Err(NO_REFRESH_TOKEN);
    };
    let active = users_repo::find_by_id(&mut tx, user_id)
        .await?
        .is_some_and(|user| user.is_active);
    if !active {
        return Err(ApiError::Forbidden("This account has been deactivated."));
    }
    tx.commit().await?;
    let signed_in = SignedIn::for_session(&state, user_id, session_id, new_token)?;
    Ok(rate_limit_headers(limit, signed_in.into_response()))
}

/// End the session: its access and refresh tokens stop working at once, on every replica.
/// Identifies the session by the bearer token, else by the refresh token in the body or the
/// cookie (with `X-Requested-With: neoforge`). Clears the cookie.
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth",
    security((), ("bearer" = []), ("oauth2" = [])),
    request_body(content = Option<crate::auth::requests::RefreshRequestSchema>,
        description = "Only needed without a bearer token or cookie"),
    responses(
        (status = 204, description = "Signed out",
            headers(("Set-Cookie" = String, description = "Clears `neoforge_refresh`"))),
        (status = 401, response = responses::Unauthorized),
        (status = 403, response = responses::Forbidden),
        (status = 415, response = responses::UnsupportedMediaType),
        (status = 422, response = responses::ValidationFailed),
    ))]
#[tracing::instrument(skip_all)]
async fn logout(
    State(state): State<AppState>,
    client: ClientInfo,
    headers: HeaderMap,
    OptionalJson(body): OptionalJson<RefreshRequest>,
) -> Result<Response, ApiError> {
    let session = match Caller::from_bearer(&headers, &state).await? {
        Some(Caller {
            user_id,
            credential: Credential::Session(session_id),
        }) => Some((session_id, user_id)),
        Some(_) => {
            return Err(ApiError::Forbidden(
                "An API key cannot sign out; revoke it in the account settings.",
            ));
        }
        None => match presented_refresh_token(body, &headers)? {
            Some(presented) => {
                let hash = token::hash_opaque_token(presented.expose_secret());
                repo::find_by_token(&mut state.db.read().await?, &hash, Timestamp::now()).await?
            }
            None => {
                return Err(ApiError::Unauthorized {
                    detail: "Sign out needs the bearer token or the refresh token.",
                    token_presented: false,
                });
            }
        },
    };
    let Some((session_id, user_id)) = session else {
        return Err(NO_REFRESH_TOKEN);
    };
    let mut conn = state.db.write().await?;
    let mut tx = conn.begin().await?;
    if repo::revoke(&mut tx, user_id, session_id, Timestamp::now()).await? {
        let entry = Entry::by_user(AuditEvent::Logout, user_id, &client)
            .details(json!({"session_id": session_id}));
        audit::record(&mut tx, entry).await?;
    }
    tx.commit().await?;
    sessions::forget(&state, &[session_id]).await;
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        cookie::clear(state.settings.is_production()),
    );
    Ok(response)
}

/// Queue an email job in `tx`; call [`JobQueue::wake`] after the commit.
pub(crate) async fn queue_email(
    tx: &mut crate::db::Conn,
    email: Email,
) -> Result<(), crate::db::DbError> {
    JobQueue::enqueue(tx, &Job::SendEmail(email))
        .await
        .map(drop)
}
