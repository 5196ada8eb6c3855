//! SQL for the `idempotency_keys` table.

use sqlx::{Any, AnyConnection, Executor, Row};
use uuid::Uuid;

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
    conn: &mut AnyConnection,
    user_id: Uuid,
    key: &str,
    not_before: Timestamp,
) -> Result<Option<Record>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT fingerprint, status, location, body FROM idempotency_keys \
         WHERE user_id = $1 AND idempotency_key = $2 AND created_at >= $3",
    )
    .bind(user_id.to_string())
    .bind(key)
    .bind(not_before.as_millis())
    .fetch_optional(conn)
    .await?;
    row.map(|row| {
        Ok(Record {
            fingerprint: row.try_get("fingerprint")?,
            response: StoredResponse {
                status: u16::try_from(row.try_get::<i32, _>("status")?).unwrap_or(500),
                location: row.try_get("location")?,
                body: row.try_get("body")?,
            },
        })
    })
    .transpose()
}

pub async fn insert(
    conn: &mut AnyConnection,
    user_id: Uuid,
    key: &str,
    fingerprint: &str,
    response: &StoredResponse,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO idempotency_keys (user_id, idempotency_key, fingerprint, status, location, \
         body, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(user_id.to_string())
    .bind(key)
    .bind(fingerprint)
    .bind(i32::from(response.status))
    .bind(response.location.as_deref())
    .bind(&response.body)
    .bind(Timestamp::now().as_millis())
    .execute(conn)
    .await
    .map(drop)
}

/// Forget records stored before `cutoff`; returns how many.
pub async fn delete_older_than<'c>(
    executor: impl Executor<'c, Database = Any>,
    cutoff: Timestamp,
) -> Result<u64, sqlx::Error> {
    let result = sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
        .bind(cutoff.as_millis())
        .execute(executor)
        .await?;
    Ok(result.rows_affected())
}

/// Forget the user's expired record for `key`, so the key can be used afresh.
pub async fn delete_expired(
    conn: &mut AnyConnection,
    user_id: Uuid,
    key: &str,
    cutoff: Timestamp,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM idempotency_keys WHERE user_id = $1 AND idempotency_key = $2 AND created_at < $3")
        .bind(user_id.to_string())
        .bind(key)
        .bind(cutoff.as_millis())
        .execute(conn)
        .await
        .map(drop)
}
