//! SQL for the `idempotency_keys` table.

use uuid::Uuid;

use crate::db::{Conn, DbError};
use crate::params;
use crate::time::Timestamp;

/// A response kept for replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

pub struct Record {
    pub fingerprint: String,
    pub response: StoredResponse,
}

/// The record for `key`, if one was stored at or after `not_before`.
pub async fn find(
    conn: &mut Conn,
    user_id: Uuid,
    key: &str,
    not_before: Timestamp,
) -> Result<Option<Record>, DbError> {
    conn.query_opt(
        "SELECT fingerprint, status, location, body FROM idempotency_keys \
         WHERE user_id = $1 AND idempotency_key = $2 AND created_at >= $3",
        params![user_id, key, not_before],
        |row| {
            Ok(Record {
                fingerprint: row.text(0)?,
                response: StoredResponse {
                    status: u16::try_from(row.int(1)?).unwrap_or(500),
                    location: row.opt_text(2)?,
                    body: row.text(3)?,
                },
            })
        },
    )
    .await
}

pub async fn insert(
    conn: &mut Conn,
    user_id: Uuid,
    key: &str,
    fingerprint: &str,
    response: &StoredResponse,
) -> Result<(), DbError> {
    conn.execute(
        "INSERT INTO idempotency_keys (user_id, idempotency_key, fingerprint, status, location, \
         body, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        params![
            user_id,
            key,
            fingerprint,
            i64::from(response.status),
            response.location.as_deref(),
            &response.body,
            Timestamp::now(),
        ],
    )
    .await
    .map(drop)
}

/// Forget every record stored before `cutoff`; returns how many.
pub async fn delete_older_than(conn: &mut Conn, cutoff: Timestamp) -> Result<u64, DbError> {
    conn.execute(
        "DELETE FROM idempotency_keys WHERE created_at < $1",
        params![cutoff],
    )
    .await
}

/// Forget the user's expired record for `key`, so the key can be used afresh.
pub async fn delete_expired(
    conn: &mut Conn,
    user_id: Uuid,
    key: &str,
    cutoff: Timestamp,
) -> Result<(), DbError> {
    conn.execute(
        "DELETE FROM idempotency_keys WHERE user_id = $1 AND idempotency_key = $2 AND created_at < $3",
        params![user_id, key, cutoff],
    )
    .await
    .map(drop)
}
