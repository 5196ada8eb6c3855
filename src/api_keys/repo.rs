//! SQL for the `api_keys` table. Every query that a user's request makes takes the owner's
//! id, so another user's key is indistinguishable from a missing one.

use uuid::Uuid;

use crate::api_keys::model::{ApiKey, Scopes};
use crate::db::{Conn, DbError, Row};
use crate::http::query::Pagination;
use crate::params;
use crate::time::Timestamp;

pub struct NewApiKey<'a> {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: &'a str,
    pub prefix: &'a str,
    pub secret_hash: &'a str,
    pub scopes: Scopes,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
}

pub async fn insert(conn: &mut Conn, key: &NewApiKey<'_>) -> Result<(), DbError> {
    conn.execute(
        "INSERT INTO api_keys (id, user_id, name, prefix, secret_hash, scopes, created_at, \
         expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        params![
            key.id,
            key.user_id,
            key.name,
            key.prefix,
            key.secret_hash,
            &key.scopes.to_stored(),
            key.created_at,
            key.expires_at,
        ],
    )
    .await
    .map(drop)
}

/// Hold the owner's row until the transaction ends, so that two concurrent creations count
/// one after the other (PostgreSQL; SQLite runs one write transaction at a time anyway).
pub async fn lock_owner(conn: &mut Conn, user_id: Uuid) -> Result<(), DbError> {
    conn.execute(
        "UPDATE users SET updated_at = updated_at WHERE id = $1",
        params![user_id],
    )
    .await
    .map(drop)
}

pub async fn count(conn: &mut Conn, user_id: Uuid) -> Result<i64, DbError> {
    conn.query_one(
        "SELECT COUNT(*) FROM api_keys WHERE user_id = $1",
        params![user_id],
        |row| row.int(0),
    )
    .await
}

/// One page of the user's keys, newest first, and how many they have in all.
pub async fn list(
    conn: &mut Conn,
    user_id: Uuid,
    page: Pagination,
) -> Result<(Vec<ApiKey>, i64), DbError> {
    let items = conn
        .query_all(
            "SELECT id, name, prefix, scopes, created_at, last_used_at, expires_at \
             FROM api_keys WHERE user_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3",
            params![user_id, page.limit, page.offset],
            from_row,
        )
        .await?;
    let total = count(conn, user_id).await?;
    Ok((items, total))
}

fn from_row(row: &Row<'_>) -> Result<ApiKey, DbError> {
    Ok(ApiKey {
        id: row.uuid(0)?,
        name: row.text(1)?,
        prefix: row.text(2)?,
        scopes: Scopes::from_stored(&row.text(3)?).names(),
        created_at: row.timestamp(4)?,
        last_used_at: row.opt_timestamp(5)?,
        expires_at: row.opt_timestamp(6)?,
    })
}

/// A key's id and the hash of its secret: what the cache needs to forget it.
pub struct Ended {
    pub id: Uuid,
    pub secret_hash: String,
}

fn ended_from_row(row: &Row<'_>) -> Result<Ended, DbError> {
    Ok(Ended {
        id: row.uuid(0)?,
        secret_hash: row.text(1)?,
    })
}

/// Delete one of the user's keys; `None` when they have no such key.
pub async fn delete(conn: &mut Conn, user_id: Uuid, id: Uuid) -> Result<Option<Ended>, DbError> {
    conn.query_opt(
        "DELETE FROM api_keys WHERE id = $1 AND user_id = $2 RETURNING id, secret_hash",
        params![id, user_id],
        ended_from_row,
    )
    .await
}

/// Delete every key of the user (deactivation).
pub async fn delete_all(conn: &mut Conn, user_id: Uuid) -> Result<Vec<Ended>, DbError> {
    conn.query_all(
        "DELETE FROM api_keys WHERE user_id = $1 RETURNING id, secret_hash",
        params![user_id],
        ended_from_row,
    )
    .await
}

/// Every key of the user, before the account (and with it the keys) is deleted.
pub async fn all_of_user(conn: &mut Conn, user_id: Uuid) -> Result<Vec<Ended>, DbError> {
    conn.query_all(
        "SELECT id, secret_hash FROM api_keys WHERE user_id = $1",
        params![user_id],
        ended_from_row,
    )
    .await
}

/// What authenticating with a key needs to know of it.
pub struct KeyRecord {
    pub id: Uuid,
    pub user_id: Uuid,
    pub scopes: Scopes,
    pub expires_at: Option<Timestamp>,
}

/// The key with this secret hash, when its account is active (expiry is the caller's check,
/// so an expired key can be told apart in the cache too).
pub async fn find_by_hash(
    conn: &mut Conn,
    secret_hash: &str,
) -> Result<Option<KeyRecord>, DbError> {
    conn.query_opt(
        "SELECT api_keys.id, api_keys.user_id, api_keys.scopes, api_keys.expires_at \
         FROM api_keys JOIN users ON users.id = api_keys.user_id \
         WHERE api_keys.secret_hash = $1 AND users.is_active = 1",
        params![secret_hash],
        |row| {
            Ok(KeyRecord {
                id: row.uuid(0)?,
                user_id: row.uuid(1)?,
                scopes: Scopes::from_stored(&row.text(2)?),
                expires_at: row.opt_timestamp(3)?,
            })
        },
    )
    .await
}

/// Whether the key still exists, is unexpired and its account active (for long-lived event
/// streams, which hold the key's id rather than its secret).
pub async fn is_live(conn: &mut Conn, id: Uuid, now: Timestamp) -> Result<bool, DbError> {
    conn.query_opt(
        "SELECT 1 FROM api_keys JOIN users ON users.id = api_keys.user_id \
         WHERE api_keys.id = $1 AND users.is_active = 1 \
         AND (api_keys.expires_at IS NULL OR api_keys.expires_at > $2)",
        params![id, now],
        |row| row.int(0),
    )
    .await
    .map(|found| found.is_some())
}

/// Record a use, unless one was recorded within the last `resolution`.
pub async fn touch(
    conn: &mut Conn,
    id: Uuid,
    now: Timestamp,
    resolution: std::time::Duration,
) -> Result<(), DbError> {
    let stale_before = Timestamp::from_millis(now.as_millis() - resolution.as_millis() as i64);
    conn.execute(
        "UPDATE api_keys SET last_used_at = $2 \
         WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $3)",
        params![id, now, stale_before],
    )
    .await
    .map(drop)
}
