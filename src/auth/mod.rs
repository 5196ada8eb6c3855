//! Accounts and sign-in: registration, login, sessions with rotating refresh tokens, email
//! verification and password reset, and the authenticated-user extractors every protected
//! route uses.

pub mod cookie;
pub mod extract;
pub mod model;
pub mod password;
pub mod providers;
pub mod reauth;
pub mod recovery;
pub mod repo;
pub mod requests;
pub mod routes;
pub mod sessions;
pub mod sign_in_methods;
pub mod signin;
pub mod token;

pub use extract::{
    AdminUser, Authorized, Caller, Credential, CurrentUser, FreshSession, ReadTodos, WriteTodos,
};

use std::time::Duration;

use crate::db::{Db, DbError};
use crate::time::Timestamp;

/// Ended sessions and used email tokens are kept this long for the record, then deleted.
const KEEP_ENDED: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// Delete sessions and email tokens that ended over a week ago, rotated-out refresh tokens
/// older than a session can live, and expired second-factor sign-ins.
pub async fn purge_expired(db: &Db) -> Result<u64, DbError> {
    let now = Timestamp::now().as_millis();
    let cutoff = Timestamp::from_millis(now - KEEP_ENDED.as_millis() as i64);
    let rotated_cutoff = Timestamp::from_millis(now - routes::SESSION_TTL.as_millis() as i64);
    let now_ts = Timestamp::from_millis(now);
    let mut conn = db.write().await?;
    Ok(repo::purge_ended(&mut conn, cutoff).await?
        + repo::purge_email_tokens(&mut conn, cutoff).await?
        + repo::purge_used_tokens(&mut conn, rotated_cutoff).await?
        + crate::two_factor::repo::purge_challenges(&mut conn, now_ts).await?)
}
