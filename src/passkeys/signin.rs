//! `/api/auth/passkey*`: signing in with a passkey, without an email address or password
//! (a discoverable credential names its account), and confirming it is you with one.
//!
//! A passkey verifies its user (PIN, biometrics) on the device that holds the key: it is
//! both factors at once, so passkey sign-in asks for no second factor even when the account
//! has one.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use utoipa::IntoResponses;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::audit::{self, AuditEvent, Entry};
use crate::auth::signin::{self, SignInMethod};
use crate::auth::{CurrentUser, repo as sessions_repo};
use crate::error::{ApiError, rate_limit_headers};
use crate::http::client::ClientInfo;
use crate::http::json::ValidJson;
use crate::http::responses;
use crate::passkeys::model::{CeremonyOptions, PasskeyAssertion};
use crate::passkeys::relying_party::AssertionRefused;
use crate::passkeys::{RelyingParty, ceremony, repo};
use crate::state::AppState;
use crate::time::Timestamp;
use crate::users::repo as users_repo;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(passkey_options))
        .routes(routes!(sign_in_with_passkey))
        .routes(routes!(reauthenticate_with_passkey))
}

/// Start a passkey sign-in (or confirmation): options for `navigator.credentials.get()` that
/// let the user pick any of their passkeys for this site, and the ceremony id to send back
/// with the answer within `expires_in` seconds. Rate limited per client IP.
#[utoipa::path(post, path = "/api/auth/passkey/options", tag = "auth",
    responses(
        (status = 200, description = "The ceremony: options for the browser", body = CeremonyOptions,
            headers(("RateLimit-Limit" = u64), ("RateLimit-Remaining" = u64), ("RateLimit-Reset" = u64))),
        (status = 429, response = responses::TooManyRequests),
        (status = 503, response = responses::ServiceUnavailable),
    ))]
#[tracing::instrument(skip_all)]
async fn passkey_options(
    State(state): State<AppState>,
    client: ClientInfo,
) -> Result<Response, ApiError> {
    let limit = state
        .limiter
        .enforce(
            &state.settings.rate_limits.passkey_challenges_per_ip,
            &client.ip_key(),
        )
        .await?;
    let party = super::relying_party(&state)?;
    let (options, authentication) = party
        .start_sign_in()
        .map_err(|err| anyhow::anyhow!("starting a passkey sign-in: {err}"))?;
    let ceremony_id = ceremony::keep(
        &state,
        party,
        &ceremony::SignIn {
            state: authentication,
        },
    )
    .await?;
    let body = CeremonyOptions {
        ceremony_id,
        expires_in: party.timeout().as_secs(),
        options,
    };
    Ok(rate_limit_headers(limit, Json(body).into_response()))
}

/// What passkey sign-in answers: what password sign-in does, and `503` when passkeys are off.
#[derive(IntoResponses)]
#[allow(dead_code)]
enum PasskeySignInResponses {
    /// Signed in. The refresh token is also set as the `neoforge_refresh` cookie.
    #[response(status = 200, headers(
        ("Set-Cookie" = String, description = "`neoforge_refresh`: HttpOnly, SameSite=Strict, Path=/api/auth"),
        ("RateLimit-Limit" = u64), ("RateLimit-Remaining" = u64), ("RateLimit-Reset" = u64),
    ))]
    SignedIn(crate::auth::model::TokenPair),
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
    #[response(status = 503)]
    ServiceUnavailable(#[ref_response] responses::ServiceUnavailable),
}

/// Sign in with a passkey: the browser's answer to a ceremony of
/// `/api/auth/passkey/options`. Answers like `/api/auth/login` (token pair and refresh
/// cookie), and asks for no second factor: the passkey verified its user. A ceremony works
/// once; an unknown, used or expired ceremony, an unknown passkey or a signature that does
/// not verify (or whose counter went backwards: a copied key) is `401`; a deactivated
/// account `403`. Rate limited per client IP like password sign-in.
#[utoipa::path(post, path = "/api/auth/passkey", tag = "auth",
    request_body = crate::passkeys::model::PasskeyAssertionSchema,
    responses(PasskeySignInResponses))]
#[tracing::instrument(skip_all)]
async fn sign_in_with_passkey(
    State(state): State<AppState>,
    client: ClientInfo,
    ValidJson(request): ValidJson<PasskeyAssertion>,
) -> Response {
    let ip_limit = state
        .limiter
        .hit(&state.settings.rate_limits.login_per_ip, &client.ip_key())
        .await;
    let response = if ip_limit.allowed {
        match sign_in(&state, request, &client).await {
            Ok(response) => response,
            Err(err) => err.into_response(),
        }
    } else {
        ApiError::TooManyRequests(ip_limit).into_response()
    };
    rate_limit_headers(ip_limit, response)
}

async fn sign_in(
    state: &AppState,
    request: PasskeyAssertion,
    client: &ClientInfo,
) -> Result<Response, ApiError> {
    let party = super::relying_party(state)?;
    let verified = match verify(state, party, &request).await? {
        Ok(verified) => verified,
        Err((refusal, user_id)) => {
            record_failure(state, user_id, refusal.reason(), client).await?;
            return Err(ApiError::Unauthorized {
                detail: refusal.detail(),
                token_presented: false,
            });
        }
    };
    let user = users_repo::find_by_id(&mut state.db.read().await?, verified.user_id)
        .await?
        .ok_or(ApiError::Unauthorized {
            detail: Refusal::UnknownPasskey.detail(),
            token_presented: false,
        })?;
    if !user.is_active {
        record_failure(state, Some(user.id), "deactivated", client).await?;
        return Err(ApiError::Forbidden("This account has been deactivated."));
    }
    let details = json!({"passkey_id": verified.passkey_id});
    let signed_in =
        signin::open_session(state, &user, client, SignInMethod::Passkey, details).await?;
    Ok(signed_in.into_response())
}

/// Confirm it is you with a passkey of this account (the answer to a ceremony of
/// `/api/auth/passkey/options`), so that this session may change the account's sign-in
/// methods for the next `NEOFORGE_REAUTH_WINDOW_SECS`: the way for accounts without a
/// password. An unknown, used or expired ceremony, a passkey of another account or one that
/// does not verify is `403` (the session itself stays valid). Rate limited per client IP.
#[utoipa::path(post, path = "/api/auth/passkey/reauthenticate", tag = "auth",
    security(("bearer" = []), ("oauth2" = [])),
    request_body = crate::passkeys::model::PasskeyAssertionSchema,
    responses(
        (status = 204, description = "Confirmed: the session counts as freshly signed in"),
        (status = 400, response = responses::BadRequest),
        (status = 401, response = responses::Unauthorized),
        (status = 403, response = responses::Forbidden),
        (status = 415, response = responses::UnsupportedMediaType),
        (status = 422, response = responses::ValidationFailed),
        (status = 429, response = responses::TooManyRequests),
        (status = 503, response = responses::ServiceUnavailable),
    ))]
#[tracing::instrument(skip_all)]
async fn reauthenticate_with_passkey(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    ValidJson(request): ValidJson<PasskeyAssertion>,
) -> Result<Response, ApiError> {
    let limit = state
        .limiter
        .enforce(&state.settings.rate_limits.login_per_ip, &client.ip_key())
        .await?;
    let party = super::relying_party(&state)?;
    let verified = match verify(&state, party, &request).await? {
        Ok(verified) if verified.user_id == user.id => verified,
        Ok(_) => {
            return Err(ApiError::Forbidden(
                "That passkey belongs to another account.",
            ));
        }
        Err((refusal, _)) => return Err(ApiError::Forbidden(refusal.detail())),
    };
    let mut conn = state.db.write().await?;
    let mut tx = conn.begin().await?;
    if !sessions_repo::mark_authenticated(&mut tx, user.session_id, Timestamp::now()).await? {
        return Err(ApiError::Unauthorized {
            detail: "This session has ended; sign in again.",
            token_presented: true,
        });
    }
    audit::record(
        &mut tx,
        Entry::by_user(AuditEvent::Reauthenticated, user.id, &client).details(json!({
            "session_id": user.session_id,
            "method": SignInMethod::Passkey.as_str(),
            "passkey_id": verified.passkey_id,
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(rate_limit_headers(
        limit,
        StatusCode::NO_CONTENT.into_response(),
    ))
}

/// A passkey whose assertion verified.
struct Verified {
    user_id: Uuid,
    passkey_id: Uuid,
}

/// Why an assertion was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    Ceremony,
    UnknownPasskey,
    Invalid,
    PossibleClone,
}

impl Refusal {
    /// As the audit log records it.
    fn reason(self) -> &'static str {
        match self {
            Self::Ceremony => "passkey_ceremony_unknown",
            Self::UnknownPasskey => "passkey_unknown",
            Self::Invalid => "passkey_invalid",
            Self::PossibleClone => "passkey_possible_clone",
        }
    }

    fn detail(self) -> &'static str {
        match self {
            Self::Ceremony => "This passkey sign-in expired or was already used; start again.",
            Self::UnknownPasskey => "This passkey is not registered here.",
            Self::Invalid | Self::PossibleClone => "The passkey could not be verified.",
        }
    }
}

/// Check an assertion: its ceremony (taken, so it works once), the passkey it names, whose
/// owner must be the account the authenticator names, and its signature and counter. The
/// passkey's counter, backup flags and last use are updated in the same transaction as the
/// check. A refusal carries the account when one is known, for the audit log.
async fn verify(
    state: &AppState,
    party: &RelyingParty,
    request: &PasskeyAssertion,
) -> Result<Result<Verified, (Refusal, Option<Uuid>)>, ApiError> {
    let Some(ceremony) = ceremony::take::<ceremony::SignIn>(state, &request.ceremony_id).await
    else {
        return Ok(Err((Refusal::Ceremony, None)));
    };
    let Some((user_handle, credential_id)) = party.identify(&request.credential) else {
        return Ok(Err((Refusal::UnknownPasskey, None)));
    };
    let mut conn = state.db.write().await?;
    let mut tx = conn.begin().await?;
    let stored = repo::lock_by_credential_id(&mut tx, &credential_id)
        .await?
        .filter(|stored| stored.user_id == user_handle);
    let Some(mut stored) = stored else {
        return Ok(Err((Refusal::UnknownPasskey, None)));
    };
    let result = match party.finish_sign_in(&request.credential, ceremony.state, &stored.passkey) {
        Ok(result) => result,
        Err(refused) => {
            let refusal = match refused {
                AssertionRefused::PossibleClone => Refusal::PossibleClone,
                AssertionRefused::Invalid => Refusal::Invalid,
            };
            if refusal == Refusal::PossibleClone {
                tracing::warn!(passkey_id = %stored.id, user_id = %stored.user_id,
                    "passkey refused: its signature counter did not increase (a copied key?)");
            }
            return Ok(Err((refusal, Some(stored.user_id))));
        }
    };
    stored.passkey.update_credential(&result);
    repo::record_use(&mut tx, stored.id, &stored.passkey, Timestamp::now()).await?;
    tx.commit().await?;
    Ok(Ok(Verified {
        user_id: stored.user_id,
        passkey_id: stored.id,
    }))
}

async fn record_failure(
    state: &AppState,
    user_id: Option<Uuid>,
    reason: &str,
    client: &ClientInfo,
) -> Result<(), ApiError> {
    let entry = Entry {
        event: AuditEvent::LoginFailed,
        user_id,
        actor_id: None,
        client,
        details: json!({"method": SignInMethod::Passkey.as_str(), "reason": reason}),
    };
    audit::record(&mut state.db.write().await?, entry).await?;
    Ok(())
}
