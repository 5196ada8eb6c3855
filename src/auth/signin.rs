//! Opening a session once the user has proved who they are, whichever way they did: a
//! password, another identity provider, a passkey or a second factor. Every way ends here,
//! so every session is recorded, audited and answered alike.

use axum::Json;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::audit::{self, AuditEvent, Entry};
use crate::auth::model::TokenPair;
use crate::auth::routes::SESSION_TTL;
use crate::auth::{cookie, repo, token};
use crate::error::ApiError;
use crate::http::client::ClientInfo;
use crate::state::AppState;
use crate::time::Timestamp;
use crate::two_factor;
use crate::two_factor::model::MfaRequired;
use crate::users::model::User;

/// How the user proved who they are, as the audit log records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignInMethod {
    Password,
    Provider,
    Passkey,
    SecondFactor,
}

impl SignInMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Password => "password",
            Self::Provider => "provider",
            Self::Passkey => "passkey",
            Self::SecondFactor => "second_factor",
        }
    }
}

/// A new token pair: the access token and the refresh token, which is also set as the
/// browser's refresh cookie.
pub struct SignedIn {
    pub pair: TokenPair,
    pub cookie: HeaderValue,
}

impl SignedIn {
    /// A fresh access token for the session, with `refresh_token` as its refresh token.
    pub fn for_session(
        state: &AppState,
        user_id: Uuid,
        session_id: Uuid,
        refresh_token: String,
    ) -> Result<Self, ApiError> {
        let access_token = state.tokens.issue(user_id, session_id)?;
        Ok(Self {
            pair: TokenPair {
                access_token,
                refresh_token: refresh_token.clone(),
                token_type: "bearer",
                expires_in: state.tokens.ttl().as_secs(),
            },
            cookie: cookie::set(&refresh_token, SESSION_TTL, state.settings.is_production()),
        })
    }
}

impl IntoResponse for SignedIn {
    fn into_response(self) -> Response {
        let mut response = Json(self.pair).into_response();
        response
            .headers_mut()
            .insert(header::SET_COOKIE, self.cookie);
        response
    }
}

/// Open a session for `user`, who has just proved who they are by `method`. The caller has
/// checked that the account is active and, where it applies, its second factor. `details`
/// are added to the audit record (the provider's id, say).
pub async fn open_session(
    state: &AppState,
    user: &User,
    client: &ClientInfo,
    method: SignInMethod,
    details: serde_json::Value,
) -> Result<SignedIn, ApiError> {
    let refresh_token = token::new_opaque_token();
    let refresh_token_hash = token::hash_opaque_token(&refresh_token);
    let now = Timestamp::now();
    let session = repo::NewSession {
        id: Uuid::now_v7(),
        user_id: user.id,
        refresh_token_hash: &refresh_token_hash,
        user_agent: client.user_agent.as_deref(),
        created_at: now,
        expires_at: now.plus(SESSION_TTL),
    };
    let mut audit_details = json!({"session_id": session.id, "method": method.as_str()});
    if let (Some(extra), Some(all)) = (details.as_object(), audit_details.as_object_mut()) {
        all.extend(extra.clone());
    }
    let mut conn = state.db.write().await?;
    let mut tx = conn.begin().await?;
    repo::insert(&mut tx, &session).await?;
    audit::record(
        &mut tx,
        Entry::by_user(AuditEvent::LoginSucceeded, user.id, client).details(audit_details),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(user_id = %user.id, session_id = %session.id, method = method.as_str(), "signed in");
    SignedIn::for_session(state, user.id, session.id, refresh_token)
}

/// Where a first factor leads: a session, or, with two-factor on, the second step. A first
/// factor that answers with a redirect (a provider's callback) hands the second step to the
/// web app as `/login#mfa_token=…&expires_in=…`, which the login page picks up.
pub enum FirstFactorOutcome {
    SignedIn(SignedIn),
    /// `202 {"mfa_required": true, "mfa_token", "expires_in"}`: complete the sign-in with
    /// `POST /api/auth/mfa`.
    MfaRequired(MfaRequired),
}

impl IntoResponse for FirstFactorOutcome {
    fn into_response(self) -> Response {
        match self {
            Self::SignedIn(signed_in) => signed_in.into_response(),
            Self::MfaRequired(pending) => pending.into_response(),
        }
    }
}

/// `user` has just passed a first factor (`method`): open the session, unless the account
/// has two-factor on, in which case hand out the token for the second step. Every way of
/// signing in that is not itself a second factor goes through here. The caller has checked
/// that the account is active; `details` go into the audit record of the session.
pub async fn after_first_factor(
    state: &AppState,
    user: &User,
    client: &ClientInfo,
    method: SignInMethod,
    details: serde_json::Value,
) -> Result<FirstFactorOutcome, ApiError> {
    if two_factor::challenge::required(state, user.id).await? {
        let pending = two_factor::challenge::issue(state, user, method).await?;
        return Ok(FirstFactorOutcome::MfaRequired(pending));
    }
    open_session(state, user, client, method, details)
        .await
        .map(FirstFactorOutcome::SignedIn)
}

/// What a correct email and password lead to: a session, or the second step.
pub async fn password_verified(
    state: &AppState,
    user: &User,
    client: &ClientInfo,
) -> Result<Response, ApiError> {
    after_first_factor(state, user, client, SignInMethod::Password, json!({}))
        .await
        .map(IntoResponse::into_response)
}
