//! The authenticated caller, from `Authorization: Bearer <credential>`: an access token,
//! whose session must still be live (checked through the cache, so logout and revocation
//! take effect on the very next request), or a personal API key (`nf_…`), checked the same
//! way and limited to its scopes.
//!
//! Routes say what they accept by what they extract: [`CurrentUser`] is a signed-in person
//! (API keys are refused with `403`); [`Authorized`] is anyone allowed the route's scope.

use std::marker::PhantomData;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use serde_json::json;
use uuid::Uuid;

use crate::api_keys::{self, KeyGrant, Scope, Scopes};
use crate::audit::{self, AuditEvent, Entry};
use crate::auth::sessions;
use crate::auth::token::AccessClaims;
use crate::error::ApiError;
use crate::http::client::ClientInfo;
use crate::state::AppState;
use crate::users::model::Role;
use crate::users::repo as users_repo;

/// Who is calling, and with which credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    pub user_id: Uuid,
    pub credential: Credential,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    /// A signed-in session: everything the account may do.
    Session(Uuid),
    /// A personal API key: only its scopes.
    ApiKey { id: Uuid, scopes: Scopes },
}

/// What a bearer header holds, before it is checked against the session or key store.
pub enum Bearer {
    AccessToken(AccessClaims),
    ApiKey(String),
}

const INVALID_TOKEN: ApiError = ApiError::Unauthorized {
    detail: "The access token is invalid or has expired.",
    token_presented: true,
};

const INVALID_KEY: ApiError = ApiError::Unauthorized {
    detail: "The API key is invalid, expired or revoked.",
    token_presented: true,
};

impl Bearer {
    /// The request's bearer credential, an access token already checked for signature,
    /// expiry, issuer and audience; `None` when the request carries none.
    pub fn from_headers(headers: &HeaderMap, state: &AppState) -> Result<Option<Self>, ApiError> {
        let Some(value) = headers.get(header::AUTHORIZATION) else {
            return Ok(None);
        };
        let credential = value
            .to_str()
            .ok()
            .and_then(|value| value.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, credential)| credential.trim())
            .ok_or(INVALID_TOKEN)?;
        if api_keys::grant::looks_like_key(credential) {
            return Ok(Some(Self::ApiKey(credential.to_owned())));
        }
        state
            .tokens
            .verify(credential)
            .map(|claims| Some(Self::AccessToken(claims)))
            .ok_or(INVALID_TOKEN)
    }

    /// The user the credential claims to act for, before the store is asked: what the
    /// per-user rate limit counts against. An API key's user is known only once it is found.
    pub fn claimed_user(&self) -> Option<Uuid> {
        match self {
            Self::AccessToken(claims) => Some(claims.sub),
            Self::ApiKey(_) => None,
        }
    }

    /// The caller, once the session is found live or the key valid.
    pub async fn authenticate(&self, state: &AppState) -> Result<Caller, ApiError> {
        let caller = match self {
            Self::AccessToken(claims) => {
                if !sessions::is_live(state, claims.sid, claims.sub).await? {
                    return Err(ApiError::Unauthorized {
                        detail: "This session has ended; sign in again.",
                        token_presented: true,
                    });
                }
                Caller {
                    user_id: claims.sub,
                    credential: Credential::Session(claims.sid),
                }
            }
            Self::ApiKey(secret) => {
                let KeyGrant {
                    key_id,
                    user_id,
                    scopes,
                } = api_keys::grant::authenticate(state, secret)
                    .await?
                    .ok_or(INVALID_KEY)?;
                Caller {
                    user_id,
                    credential: Credential::ApiKey { id: key_id, scopes },
                }
            }
        };
        tracing::Span::current().record("user_id", tracing::field::display(caller.user_id));
        Ok(caller)
    }
}

impl Caller {
    /// The caller of a request that carries a bearer credential; `None` when it carries none.
    pub async fn from_bearer(
        headers: &HeaderMap,
        state: &AppState,
    ) -> Result<Option<Self>, ApiError> {
        match Bearer::from_headers(headers, state)? {
            Some(bearer) => bearer.authenticate(state).await.map(Some),
            None => Ok(None),
        }
    }

    /// The session or key: ending it ends the event streams opened with it.
    pub fn credential_id(&self) -> Uuid {
        match self.credential {
            Credential::Session(id) | Credential::ApiKey { id, .. } => id,
        }
    }

    pub fn allows(&self, scope: Scope) -> bool {
        match self.credential {
            Credential::Session(_) => true,
            Credential::ApiKey { scopes, .. } => scopes.contains(scope),
        }
    }

    /// Whether the session or key still works (for long-lived event streams).
    pub async fn is_live(&self, state: &AppState) -> Result<bool, crate::db::DbError> {
        match self.credential {
            Credential::Session(session_id) => {
                sessions::is_live(state, session_id, self.user_id).await
            }
            Credential::ApiKey { id, .. } => api_keys::grant::is_live(state, id).await,
        }
    }

    /// `Ok` when the caller may use `scope`; otherwise the refusal, recorded in the audit log.
    pub async fn require(
        &self,
        scope: Scope,
        state: &AppState,
        client: &ClientInfo,
    ) -> Result<(), ApiError> {
        if self.allows(scope) {
            return Ok(());
        }
        record_denied(state, self, client, json!({"scope": scope.as_str()})).await;
        Err(ApiError::InsufficientScope(scope))
    }

    async fn from_request(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        // The per-user rate limit authenticated the request already.
        if let Some(caller) = parts.extensions.get::<Self>() {
            return Ok(*caller);
        }
        Self::from_bearer(&parts.headers, state)
            .await?
            .ok_or(ApiError::Unauthorized {
                detail: "This route needs a bearer access token.",
                token_presented: false,
            })
    }
}

/// A key used beyond what it grants: kept in the audit log, so the user can see which
/// program tried what. Failing to record it does not change the answer.
async fn record_denied(
    state: &AppState,
    caller: &Caller,
    client: &ClientInfo,
    details: serde_json::Value,
) {
    let Credential::ApiKey { id, .. } = caller.credential else {
        return;
    };
    let mut details = details;
    details["api_key_id"] = json!(id);
    let result = async {
        let mut conn = state.db.write().await?;
        audit::record(
            &mut conn,
            Entry::by_user(AuditEvent::ApiKeyDenied, caller.user_id, client).details(details),
        )
        .await
    }
    .await;
    if let Err(err) = result {
        tracing::warn!(error = %err, "could not record a refused API key");
    }
}

/// A signed-in person. API keys are refused (`403`): the account, its keys and the admin
/// area are never open to a program holding a key.
#[derive(Debug, Clone, Copy)]
pub struct CurrentUser {
    pub id: Uuid,
    pub session_id: Uuid,
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let caller = Caller::from_request(parts, state).await?;
        match caller.credential {
            Credential::Session(session_id) => Ok(Self {
                id: caller.user_id,
                session_id,
            }),
            Credential::ApiKey { .. } => {
                let client = ClientInfo::from_request_parts(parts, state).await?;
                let route = json!({"route": format!("{} {}", parts.method, parts.uri.path())});
                record_denied(state, &caller, &client, route).await;
                Err(ApiError::Forbidden(
                    "API keys cannot be used here; this route needs a signed-in session.",
                ))
            }
        }
    }
}

/// A signed-in session that proved who its user is within `NEOFORGE_REAUTH_WINDOW_SECS`
/// (signing in, or `POST /api/auth/reauthenticate`): what changes to the account's sign-in
/// methods need. A stale session gets `403` with `WWW-Authenticate: Bearer
/// error="insufficient_user_authentication", max_age=…`; API keys `403` like [`CurrentUser`].
#[derive(Debug, Clone, Copy)]
pub struct FreshSession {
    pub user: CurrentUser,
}

impl FromRequestParts<AppState> for FreshSession {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let user = CurrentUser::from_request_parts(parts, state).await?;
        crate::auth::reauth::require_fresh(state, user.session_id).await?;
        Ok(Self { user })
    }
}

/// The scope a route needs, as a type: `Authorized<ReadTodos>`.
pub trait RequiredScope {
    const SCOPE: Scope;
}

/// Reading the user's todos and following their changes.
pub struct ReadTodos;
impl RequiredScope for ReadTodos {
    const SCOPE: Scope = Scope::TodosRead;
}

/// Creating, changing and deleting the user's todos.
pub struct WriteTodos;
impl RequiredScope for WriteTodos {
    const SCOPE: Scope = Scope::TodosWrite;
}

/// A caller allowed scope `S`: a signed-in session, or an API key granting it (else `403`
/// with `WWW-Authenticate: Bearer error="insufficient_scope"`).
#[derive(Debug, Clone, Copy)]
pub struct Authorized<S> {
    pub caller: Caller,
    scope: PhantomData<fn() -> S>,
}

impl<S> Authorized<S> {
    pub fn user_id(&self) -> Uuid {
        self.caller.user_id
    }
}

impl<S: RequiredScope> FromRequestParts<AppState> for Authorized<S> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let caller = Caller::from_request(parts, state).await?;
        if !caller.allows(S::SCOPE) {
            let client = ClientInfo::from_request_parts(parts, state).await?;
            caller.require(S::SCOPE, state, &client).await?;
        }
        Ok(Self {
            caller,
            scope: PhantomData,
        })
    }
}

/// An authenticated admin; anyone else signed in gets `403`. The role is read from the
/// database on each request, so a demotion takes effect at once.
#[derive(Debug, Clone, Copy)]
pub struct AdminUser(pub CurrentUser);

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let user = CurrentUser::from_request_parts(parts, state).await?;
        let account = users_repo::find_by_id(&mut state.db.read().await?, user.id).await?;
        match account {
            Some(account) if account.is_active && account.role == Role::Admin => Ok(Self(user)),
            _ => Err(ApiError::Forbidden("This route is for administrators.")),
        }
    }
}
