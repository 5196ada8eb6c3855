//! Session liveness, checked on every authenticated request through the cache, and ended at
//! once on logout, revoke, password change or reset, deactivation and deletion: ending a
//! session leaves a `revoked` marker in the (shared) cache, which a concurrent read of the
//! old state cannot overwrite.

use std::time::Duration;

use uuid::Uuid;

use crate::auth::repo;
use crate::db::{Conn, DbError};
use crate::state::AppState;
use crate::time::Timestamp;

/// How long a session's state is trusted from the cache. Ending a session overwrites it, so
/// this bounds only how long a deleted cache entry's absence costs a database read.
const LIVENESS_TTL: Duration = Duration::from_secs(60);
const LIVE: &str = "live";
const REVOKED: &str = "revoked";

fn key(session_id: Uuid) -> String {
    format!("session:{session_id}")
}

/// Whether the session is live and its account active.
pub async fn is_live(state: &AppState, session_id: Uuid, user_id: Uuid) -> Result<bool, DbError> {
    let key = key(session_id);
    if let Some(cached) = state.cache.get("session", &key).await {
        return Ok(cached == LIVE);
    }
    let live = repo::is_live(
        &mut state.db.read().await?,
        session_id,
        user_id,
        Timestamp::now(),
    )
    .await?;
    let value = if live { LIVE } else { REVOKED };
    state.cache.add(&key, value, LIVENESS_TTL).await;
    Ok(live)
}

/// Mark sessions ended in the cache and close their event streams on every replica; call
/// after the transaction that ended them commits.
pub async fn forget(state: &AppState, session_ids: &[Uuid]) {
    for session_id in session_ids {
        state
            .cache
            .set(&key(*session_id), REVOKED, LIVENESS_TTL)
            .await;
    }
    state.events.sessions_ended(session_ids).await;
}

/// End every session of the user (except `keep`) in this transaction, and every sign-in
/// still waiting for its second factor (a password change or reset ends those too); returns
/// the ids to [`forget`] once it commits.
pub async fn revoke_all(
    conn: &mut Conn,
    user_id: Uuid,
    keep: Option<Uuid>,
) -> Result<Vec<Uuid>, DbError> {
    crate::two_factor::repo::end_challenges(conn, user_id).await?;
    repo::revoke_all(conn, user_id, keep, Timestamp::now()).await
}
