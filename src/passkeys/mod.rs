//! Passkeys (WebAuthn): public-key credentials on the user's devices that sign in without a
//! password. A user adds them in the settings (`/api/users/me/passkeys`) and signs in with
//! one without typing an email address (`/api/auth/passkey`): each is a discoverable
//! credential whose user handle is the account's id. The relying party is the public URL's
//! host (or `NEOFORGE_WEBAUTHN_RP_ID`); ceremony state waits in the shared cache, so any
//! replica finishes what another started.

pub mod ceremony;
pub mod model;
pub mod relying_party;
pub mod repo;
pub mod routes;
pub mod signin;

pub use relying_party::RelyingParty;

use axum::http::StatusCode;

use crate::error::ApiError;
use crate::state::AppState;

/// The relying party, or `503` when passkeys are off (see [`crate::config::PasskeySettings`]).
pub fn relying_party(state: &AppState) -> Result<&RelyingParty, ApiError> {
    state.passkeys.as_ref().ok_or(ApiError::Upstream {
        status: StatusCode::SERVICE_UNAVAILABLE,
        detail: "Passkeys are not available on this server.",
        retry_after: None,
    })
}
