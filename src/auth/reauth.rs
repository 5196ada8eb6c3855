//! Confirming that the person at the keyboard is still the account's owner before a
//! sensitive change: the password typed again, or a recent sign-in. A session counts as
//! fresh for `NEOFORGE_REAUTH_WINDOW_SECS` after it signed in or last confirmed.

use axum::extract::State;
use axum::http::StatusCode;
use secrecy::SecretString;
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::audit::{self, AuditEvent, Entry};
use crate::auth::CurrentUser;
use crate::auth::repo;
use crate::error::ApiError;
use crate::http::client::ClientInfo;
use crate::http::json::ValidJson;
use crate::http::responses;
use crate::state::AppState;
use crate::time::Timestamp;
use crate::users::model::User;
use crate::users::repo as users_repo;
use crate::users::requests::ConfirmPassword;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(reauthenticate))
}

const SESSION_ENDED: ApiError = ApiError::Unauthorized {
    detail: "This session has ended; sign in again.",
    token_presented: true,
};

/// `Ok` when the session signed in or confirmed its password within the window; otherwise
/// `403` with an RFC 9470 challenge telling the client to confirm first.
pub async fn require_fresh(state: &AppState, session_id: Uuid) -> Result<(), ApiError> {
    let now = Timestamp::now();
    let authenticated_at = repo::authenticated_at(&mut state.db.read().await?, session_id, now)
        .await?
        .ok_or(SESSION_ENDED)?;
    let window = state.settings.sign_in.reauth_window;
    if now.as_millis() - authenticated_at.as_millis() <= window.as_millis() as i64 {
        return Ok(());
    }
    Err(ApiError::FreshSignInRequired {
        detail: "Confirm it is you: enter your password again, or sign in again.",
        max_age: window.as_secs(),
    })
}

/// A sensitive change about to be made to `account` from the session `session_id`.
pub struct Confirmation<'a> {
    account: &'a User,
    session_id: Uuid,
}

impl<'a> Confirmation<'a> {
    pub fn of(account: &'a User, session_id: Uuid) -> Self {
        Self {
            account,
            session_id,
        }
    }

    /// Check the password the user typed again (the body's `field`); wrong guesses count
    /// against the same brute-force limits as sign-in. An account without a password has
    /// nothing to type: a recent sign-in confirms it instead.
    pub async fn password(
        &self,
        state: &AppState,
        password: SecretString,
        field: &'static str,
        client: &ClientInfo,
    ) -> Result<(), ApiError> {
        if !self.account.has_password() {
            return require_fresh(state, self.session_id).await.map_err(|err| match err {
                ApiError::FreshSignInRequired { max_age, .. } => ApiError::FreshSignInRequired {
                    detail: "This account has no password: sign in again to confirm it is you.",
                    max_age,
                },
                other => other,
            });
        }
        let policy = &state.settings.rate_limits.failed_login_per_account_ip;
        let key = format!("{}|{}", self.account.email, client.ip_key());
        let decision = state.limiter.peek(policy, &key).await;
        if !decision.allowed {
            return Err(ApiError::TooManyRequests(decision));
        }
        let matches = state
            .passwords
            .verify(password, Some(self.account.password_hash.clone()))
            .await?;
        if matches {
            return Ok(());
        }
        state.limiter.hit(policy, &key).await;
        Err(ApiError::invalid_field(
            field,
            "is not the account's password",
        ))
    }
}

/// Confirm the password again, so that this session may change the account's sign-in
/// methods (and create API keys) for the next `NEOFORGE_REAUTH_WINDOW_SECS`. A wrong
/// password is `422` and counts against the sign-in brute-force limits. An account without
/// a password confirms by signing in again.
#[utoipa::path(post, path = "/api/auth/reauthenticate", tag = "auth",
    security(("bearer" = []), ("oauth2" = [])),
    request_body = crate::users::requests::ReauthenticateRequestSchema,
    responses(
        (status = 204, description = "Confirmed: the session counts as freshly signed in"),
        (status = 400, response = responses::BadRequest),
        (status = 401, response = responses::Unauthorized),
        (status = 403, response = responses::Forbidden),
        (status = 415, response = responses::UnsupportedMediaType),
        (status = 422, response = responses::ValidationFailed),
        (status = 429, response = responses::TooManyRequests),
    ))]
#[tracing::instrument(skip_all)]
async fn reauthenticate(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    ValidJson(request): ValidJson<ConfirmPassword>,
) -> Result<StatusCode, ApiError> {
    let account = users_repo::find_by_id(&mut state.db.read().await?, user.id)
        .await?
        .filter(|account| account.is_active)
        .ok_or(SESSION_ENDED)?;
    Confirmation::of(&account, user.session_id)
        .password(&state, request.password, "password", &client)
        .await?;
    let mut conn = state.db.write().await?;
    let mut tx = conn.begin().await?;
    if !repo::mark_authenticated(&mut tx, user.session_id, Timestamp::now()).await? {
        return Err(SESSION_ENDED);
    }
    audit::record(
        &mut tx,
        Entry::by_user(AuditEvent::Reauthenticated, account.id, &client)
            .details(json!({"session_id": user.session_id})),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
