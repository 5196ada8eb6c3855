//! The authenticated caller, from `Authorization: Bearer <access token>`: a valid signature
//! is not enough, the token's session must still be live (checked through the cache), so
//! logout and revocation take effect on the very next request.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use uuid::Uuid;

use crate::auth::sessions;
use crate::auth::token::AccessClaims;
use crate::error::ApiError;
use crate::state::AppState;
use crate::users::model::Role;
use crate::users::repo as users_repo;

/// Extracting this is what makes a route require authentication.
#[derive(Debug, Clone, Copy)]
pub struct CurrentUser {
    pub id: Uuid,
    pub session_id: Uuid,
}

const INVALID_TOKEN: ApiError = ApiError::Unauthorized {
    detail: "The access token is invalid or has expired.",
    token_presented: true,
};

impl CurrentUser {
    /// The caller of a request that carries a bearer token; `None` when it carries none.
    pub async fn from_bearer(
        headers: &HeaderMap,
        state: &AppState,
    ) -> Result<Option<Self>, ApiError> {
        match Self::verified_claims(headers, state)? {
            Some(claims) => Self::from_claims(&claims, state).await.map(Some),
            None => Ok(None),
        }
    }

    /// The claims of the bearer token, checked for signature, expiry, issuer and audience
    /// but not yet for a live session; `None` when the request carries no token.
    pub fn verified_claims(
        headers: &HeaderMap,
        state: &AppState,
    ) -> Result<Option<AccessClaims>, ApiError> {
        let Some(value) = headers.get(header::AUTHORIZATION) else {
            return Ok(None);
        };
        value
            .to_str()
            .ok()
            .and_then(|value| value.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .and_then(|(_, token)| state.tokens.verify(token.trim()))
            .map(Some)
            .ok_or(INVALID_TOKEN)
    }

    /// The caller named by verified claims, once its session is found live.
    pub async fn from_claims(claims: &AccessClaims, state: &AppState) -> Result<Self, ApiError> {
        if !sessions::is_live(state, claims.sid, claims.sub).await? {
            return Err(ApiError::Unauthorized {
                detail: "This session has ended; sign in again.",
                token_presented: true,
            });
        }
        tracing::Span::current().record("user_id", tracing::field::display(claims.sub));
        Ok(Self {
            id: claims.sub,
            session_id: claims.sid,
        })
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        // The per-user rate limit authenticated the request already.
        if let Some(user) = parts.extensions.get::<Self>() {
            return Ok(*user);
        }
        Self::from_bearer(&parts.headers, state)
            .await?
            .ok_or(ApiError::Unauthorized {
                detail: "This route needs a bearer access token.",
                token_presented: false,
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
