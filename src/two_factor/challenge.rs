//! The second step of signing in: the `mfa_token` a first factor earns, and
//! `POST /api/auth/mfa`, which trades it and a code for a session.
//!
//! Pending sign-ins live in the database, so any replica can complete one, and each is
//! single-use under any concurrency: attempts are counted before a code is checked, and
//! completing is one conditional update. Guessing is bounded three ways: five wrong codes end
//! the token, every attempt counts against the account (`NEOFORGE_RATE_MFA`), and against the
//! client IP like any sign-in attempt.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;
use serde_json::json;
use utoipa::IntoResponses;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::audit::{self, AuditEvent, Entry};
use crate::auth::model::TokenPair;
use crate::auth::signin::{self, SignInMethod};
use crate::auth::token;
use crate::error::{ApiError, rate_limit_headers};
use crate::http::client::ClientInfo;
use crate::http::json::ValidJson;
use crate::http::responses;
use crate::state::AppState;
use crate::time::Timestamp;
use crate::two_factor::model::{MfaRequired, MfaSubmission};
use crate::two_factor::totp::SecretSeal;
use crate::two_factor::{UsedCode, repo, use_code};
use crate::users::model::User;
use crate::users::repo as users_repo;

/// How long a first factor's `mfa_token` waits for the second.
pub const MFA_TOKEN_TTL: Duration = Duration::from_secs(5 * 60);
/// Wrong codes that end an `mfa_token`.
pub const MAX_FAILURES: i64 = 5;

const SIGN_IN_ENDED: ApiError = ApiError::Unauthorized {
    detail: "This sign-in has expired, was completed, or had too many wrong codes; sign in again.",
    token_presented: false,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(complete_mfa))
}

/// Start the second step for `user`, who passed `first_factor`: a new single-use token.
pub async fn issue(
    state: &AppState,
    user: &User,
    first_factor: SignInMethod,
) -> Result<MfaRequired, ApiError> {
    let mfa_token = token::new_opaque_token();
    let now = Timestamp::now();
    let challenge = repo::NewChallenge {
        token_hash: &token::hash_opaque_token(&mfa_token),
        user_id: user.id,
        first_factor: first_factor.as_str(),
        created_at: now,
        expires_at: now.plus(MFA_TOKEN_TTL),
    };
    repo::insert_challenge(&mut state.db.write().await?, &challenge).await?;
    tracing::info!(user_id = %user.id, "first factor passed; waiting for the second");
    Ok(MfaRequired {
        mfa_required: true,
        mfa_token,
        expires_in: MFA_TOKEN_TTL.as_secs(),
    })
}

/// What `POST /api/auth/mfa` answers.
#[derive(IntoResponses)]
pub enum MfaResponses {
    /// Signed in, exactly as by `login`. The refresh token is also set as the
    /// `neoforge_refresh` cookie.
    #[response(status = 200, headers(
        ("Set-Cookie" = String, description = "`neoforge_refresh`: HttpOnly, SameSite=Strict, Path=/api/auth"),
        ("RateLimit-Limit" = u64), ("RateLimit-Remaining" = u64), ("RateLimit-Reset" = u64),
    ))]
    SignedIn(TokenPair),
    /// The `mfa_token` is unknown, expired, used, or ended by too many wrong codes (the last
    /// wrong code gets this too): sign in again.
    #[response(status = 401)]
    Unauthorized(#[ref_response] responses::Unauthorized),
    #[response(status = 403)]
    Forbidden(#[ref_response] responses::Forbidden),
    /// A wrong code (`errors[].field` is `code`): try again while attempts remain.
    #[response(status = 422)]
    ValidationFailed(#[ref_response] responses::ValidationFailed),
    #[response(status = 429)]
    TooManyRequests(#[ref_response] responses::TooManyRequests),
}

/// Complete a sign-in that answered `202 mfa_required`: the `mfa_token` with the current code
/// of the authenticator app, or an unused recovery code. Each authenticator code works once.
/// A wrong code is `422`; the fifth ends the token (`401`: sign in again). Attempts are
/// limited per account and per client IP (`429`).
#[utoipa::path(post, path = "/api/auth/mfa", tag = "auth",
    request_body = crate::two_factor::model::MfaRequestSchema,
    responses(MfaResponses))]
#[tracing::instrument(skip_all)]
async fn complete_mfa(
    State(state): State<AppState>,
    client: ClientInfo,
    ValidJson(request): ValidJson<MfaSubmission>,
) -> Response {
    let ip_limit = state
        .limiter
        .hit(&state.settings.rate_limits.login_per_ip, &client.ip_key())
        .await;
    let result = if ip_limit.allowed {
        second_factor(&state, request, &client).await
    } else {
        Err(ApiError::TooManyRequests(ip_limit))
    };
    rate_limit_headers(ip_limit, result.unwrap_or_else(IntoResponse::into_response))
}

async fn second_factor(
    state: &AppState,
    request: MfaSubmission,
    client: &ClientInfo,
) -> Result<Response, ApiError> {
    let token_hash = token::hash_opaque_token(request.mfa_token.expose_secret());
    let now = Timestamp::now();
    let user_id = repo::find_challenge(&mut state.db.read().await?, &token_hash, MAX_FAILURES, now)
        .await?
        .ok_or(SIGN_IN_ENDED)?;
    let user = users_repo::find_by_id(&mut state.db.read().await?, user_id)
        .await?
        .ok_or(SIGN_IN_ENDED)?;
    if !user.is_active {
        record_failure(state, &user, "deactivated", client, json!({})).await?;
        return Err(ApiError::Forbidden("This account has been deactivated."));
    }
    let account_limit = state
        .limiter
        .hit(
            &state.settings.rate_limits.mfa_per_account,
            &user.id.to_string(),
        )
        .await;
    if !account_limit.allowed {
        record_failure(state, &user, "rate_limited", client, json!({})).await?;
        return Err(ApiError::TooManyRequests(account_limit));
    }

    let seal = SecretSeal::new(&state.settings);
    let (first_factor, used) = {
        let mut conn = state.db.write().await?;
        let challenge = repo::count_attempt(&mut conn, &token_hash, MAX_FAILURES, now)
            .await?
            .ok_or(SIGN_IN_ENDED)?;
        let mut tx = conn.begin().await?;
        let used = use_code(&mut tx, &seal, user.id, request.code.expose_secret()).await?;
        if used == UsedCode::Wrong {
            tx.rollback().await?;
            drop(conn);
            let attempts_left = MAX_FAILURES - challenge.attempts;
            let details = json!({"attempts_left": attempts_left});
            record_failure(state, &user, "bad_second_factor", client, details).await?;
            if attempts_left <= 0 {
                return Err(SIGN_IN_ENDED);
            }
            return Err(ApiError::invalid_field(
                "code",
                "is not the current code of your authenticator app, nor an unused recovery code",
            ));
        }
        // Of two right codes sent at once, one signs in.
        if !repo::complete_challenge(&mut tx, &token_hash, now).await? {
            return Err(SIGN_IN_ENDED);
        }
        if let UsedCode::RecoveryCode { left } = used {
            let entry = Entry::by_user(AuditEvent::RecoveryCodeUsed, user.id, client)
                .details(json!({"remaining": left}));
            audit::record(&mut tx, entry).await?;
        }
        tx.commit().await?;
        (challenge.first_factor, used)
    };
    let details = json!({"first_factor": first_factor, "second_factor": used.as_str()});
    let signed_in =
        signin::open_session(state, &user, client, SignInMethod::SecondFactor, details).await?;
    Ok(signed_in.into_response())
}

/// A failed second step, in the audit log as a failed sign-in with its reason.
async fn record_failure(
    state: &AppState,
    user: &User,
    reason: &str,
    client: &ClientInfo,
    extra: serde_json::Value,
) -> Result<(), ApiError> {
    let mut details = json!({"email": user.email, "reason": reason, "step": "second_factor"});
    if let (Some(all), Some(extra)) = (details.as_object_mut(), extra.as_object()) {
        all.extend(extra.clone());
    }
    let entry = Entry {
        event: AuditEvent::LoginFailed,
        user_id: Some(user.id),
        actor_id: None,
        client,
        details,
    };
    audit::record(&mut state.db.write().await?, entry).await?;
    Ok(())
}

/// What a first factor leads to once two-factor is on: `202` and the token for the second.
impl IntoResponse for MfaRequired {
    fn into_response(self) -> Response {
        (StatusCode::ACCEPTED, Json(self)).into_response()
    }
}

/// Whether `user_id` must pass a second factor to sign in.
pub async fn required(state: &AppState, user_id: Uuid) -> Result<bool, ApiError> {
    Ok(repo::is_enabled(&mut state.db.read().await?, user_id).await?)
}
