//! Authenticating with a key: the hash of the presented secret is looked up through the
//! shared cache (`api-key:<hash>`), and revoking a key overwrites that entry with a
//! `revoked` marker, as ending a session does, so it stops working at once on every replica.

use std::time::Duration;

use uuid::Uuid;

use crate::api_keys::model::{KEY_PREFIX, Scopes};
use crate::api_keys::repo::{self, Ended};
use crate::auth::token::hash_opaque_token;
use crate::db::DbError;
use crate::state::AppState;
use crate::time::Timestamp;

/// How long a key's state is trusted from the cache; revocation overwrites it sooner. Also
/// how often `last_used_at` moves at most: it is written when the cache entry is refilled.
const GRANT_TTL: Duration = Duration::from_secs(60);
const REVOKED: &str = "revoked";
/// A key is `nf_` and 43 characters; anything much longer is not worth hashing.
const MAX_KEY_LEN: usize = 128;

fn key(secret_hash: &str) -> String {
    format!("api-key:{secret_hash}")
}

/// What a valid key lets its holder do, and as whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyGrant {
    pub key_id: Uuid,
    pub user_id: Uuid,
    pub scopes: Scopes,
}

/// Whether a bearer credential is shaped like an API key (rather than an access token).
pub fn looks_like_key(credential: &str) -> bool {
    credential.starts_with(KEY_PREFIX)
}

/// The grant of a presented key; `None` when it is unknown, revoked, expired, or its account
/// is inactive.
pub async fn authenticate(state: &AppState, secret: &str) -> Result<Option<KeyGrant>, DbError> {
    if !looks_like_key(secret) || secret.len() > MAX_KEY_LEN {
        return Ok(None);
    }
    let hash = hash_opaque_token(secret);
    let cache_key = key(&hash);
    let now = Timestamp::now();
    if let Some(cached) = state.cache.get("api_key", &cache_key).await {
        return Ok(decode(&cached)
            .filter(|entry| entry.is_valid_at(now))
            .map(|entry| entry.grant));
    }
    let mut conn = state.db.read().await?;
    let Some(record) = repo::find_by_hash(&mut conn, &hash).await? else {
        drop(conn);
        state.cache.add(&cache_key, REVOKED, GRANT_TTL).await;
        return Ok(None);
    };
    drop(conn);
    let entry = Entry {
        grant: KeyGrant {
            key_id: record.id,
            user_id: record.user_id,
            scopes: record.scopes,
        },
        expires_at: record.expires_at,
    };
    state
        .cache
        .add(&cache_key, &entry.encode(), GRANT_TTL)
        .await;
    if !entry.is_valid_at(now) {
        return Ok(None);
    }
    record_use(state, record.id, now).await;
    Ok(Some(entry.grant))
}

/// `last_used_at`, written when the grant is read from the database: at most once a minute
/// per replica, and the statement itself skips a use recorded within the minute. A failed
/// write (storage full) costs the request nothing.
async fn record_use(state: &AppState, key_id: Uuid, now: Timestamp) {
    let result = async {
        let mut conn = state.db.write().await?;
        repo::touch(&mut conn, key_id, now, GRANT_TTL).await
    }
    .await;
    if let Err(err) = result {
        tracing::warn!(error = %err, %key_id, "could not record an API key's use");
    }
}

/// Whether the key behind a long-lived event stream still works.
pub async fn is_live(state: &AppState, key_id: Uuid) -> Result<bool, DbError> {
    repo::is_live(&mut state.db.read().await?, key_id, Timestamp::now()).await
}

/// Mark keys revoked in the cache and close their event streams on every replica; call after
/// the transaction that deleted them commits.
pub async fn forget(state: &AppState, ended: &[Ended]) {
    for key in ended {
        state
            .cache
            .set(&self::key(&key.secret_hash), REVOKED, GRANT_TTL)
            .await;
    }
    let ids: Vec<Uuid> = ended.iter().map(|key| key.id).collect();
    state.events.sessions_ended(&ids).await;
}

/// A cached grant: `<key id> <user id> <scope bits> <expiry millis or ->`.
struct Entry {
    grant: KeyGrant,
    expires_at: Option<Timestamp>,
}

impl Entry {
    fn is_valid_at(&self, now: Timestamp) -> bool {
        self.expires_at.is_none_or(|expires_at| expires_at > now)
    }

    fn encode(&self) -> String {
        let expires = self
            .expires_at
            .map_or_else(|| "-".to_owned(), |at| at.as_millis().to_string());
        format!(
            "{} {} {} {expires}",
            self.grant.key_id,
            self.grant.user_id,
            self.grant.scopes.bits()
        )
    }
}

fn decode(cached: &str) -> Option<Entry> {
    let mut parts = cached.split(' ');
    let key_id = parts.next()?.parse().ok()?;
    let user_id = parts.next()?.parse().ok()?;
    let scopes = Scopes::from_bits(parts.next()?.parse().ok()?);
    let expires_at = match parts.next()? {
        "-" => None,
        millis => Some(Timestamp::from_millis(millis.parse().ok()?)),
    };
    Some(Entry {
        grant: KeyGrant {
            key_id,
            user_id,
            scopes,
        },
        expires_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api_keys::Scope;

    #[test]
    fn cached_grants_round_trip_and_markers_grant_nothing() {
        let entry = Entry {
            grant: KeyGrant {
                key_id: Uuid::now_v7(),
                user_id: Uuid::now_v7(),
                scopes: [Scope::TodosRead].into_iter().collect(),
            },
            expires_at: Some(Timestamp::from_millis(1_000)),
        };
        let decoded = decode(&entry.encode()).unwrap();
        assert_eq!(decoded.grant, entry.grant);
        assert!(decoded.is_valid_at(Timestamp::from_millis(999)));
        assert!(!decoded.is_valid_at(Timestamp::from_millis(1_000)));
        assert!(decode(REVOKED).is_none());
    }
}
