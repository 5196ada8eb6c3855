//! Ceremony state: what the server must remember between handing out a challenge and
//! checking the browser's answer. Kept in the shared cache under a random id, so any replica
//! can finish a ceremony another started; taken out when used, so each works once, and
//! forgotten after the ceremony's timeout.

use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;
use webauthn_rs::prelude::{DiscoverableAuthentication, PasskeyRegistration};

use crate::auth::token::{hash_opaque_token, new_opaque_token};
use crate::passkeys::RelyingParty;
use crate::state::AppState;

/// Adding a passkey: who started it, from which session.
#[derive(Serialize, serde::Deserialize)]
pub struct Registration {
    pub user_id: Uuid,
    pub session_id: Uuid,
    pub state: PasskeyRegistration,
}

/// Signing in (or confirming it is you) with a passkey.
#[derive(Serialize, serde::Deserialize)]
pub struct SignIn {
    pub state: DiscoverableAuthentication,
}

/// Each kind of ceremony names its own keys, so one kind's id cannot finish another.
pub trait Kind: Serialize + DeserializeOwned {
    const NAME: &'static str;
}

impl Kind for Registration {
    const NAME: &'static str = "passkey_registration";
}

impl Kind for SignIn {
    const NAME: &'static str = "passkey_sign_in";
}

/// Ids are 43 characters; anything far off is not worth a cache round trip.
const MAX_ID_LEN: usize = 128;

fn key<K: Kind>(id: &str) -> String {
    // Hashed like every other bearer of a right: the cache's keys may be listed by whoever
    // operates Redis.
    format!("{}:{}", K::NAME, hash_opaque_token(id))
}

/// Remember a ceremony; returns its id for the client to send back.
pub async fn keep<K: Kind>(
    state: &AppState,
    party: &RelyingParty,
    ceremony: &K,
) -> anyhow::Result<String> {
    let id = new_opaque_token();
    let value = serde_json::to_string(ceremony)?;
    state
        .cache
        .set(&key::<K>(&id), &value, party.timeout())
        .await;
    Ok(id)
}

/// The ceremony with this id, taken out so no one can use it again; `None` when it is
/// unknown, expired or already used.
pub async fn take<K: Kind>(state: &AppState, id: &str) -> Option<K> {
    if id.is_empty() || id.len() > MAX_ID_LEN {
        return None;
    }
    let value = state.cache.take(K::NAME, &key::<K>(id)).await?;
    match serde_json::from_str(&value) {
        Ok(ceremony) => Some(ceremony),
        Err(err) => {
            tracing::warn!(error = %err, kind = K::NAME, "unreadable passkey ceremony");
            None
        }
    }
}
