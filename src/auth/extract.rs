//! The authenticated caller, from `Authorization: Bearer <access token>`.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use uuid::Uuid;

use crate::error::ApiError;
use crate::state::AppState;

/// Extracting this is what makes a route require authentication.
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
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Err(ApiError::Unauthorized {
                detail: "This route needs a bearer access token.",
                token_presented: false,
            });
        };
        let claims = value
            .to_str()
            .ok()
            .and_then(|value| value.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .and_then(|(_, token)| state.tokens.verify(token.trim()))
            .ok_or(ApiError::Unauthorized {
                detail: "The access token is invalid or has expired.",
                token_presented: true,
            })?;
        Ok(Self {
            id: claims.sub,
            session_id: claims.sid,
        })
    }
}
