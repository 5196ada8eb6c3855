//! SQL for the `sessions` table: one row per signed-in device.

use sqlx::{Any, Executor};
use uuid::Uuid;

use crate::time::Timestamp;

pub struct NewSession<'a> {
    pub id: Uuid,
    pub user_id: Uuid,
    pub refresh_token_hash: &'a str,
    pub user_agent: Option<&'a str>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

pub async fn insert<'c>(
    executor: impl Executor<'c, Database = Any>,
    session: &NewSession<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO sessions (id, user_id, refresh_token_hash, user_agent, created_at, \
         last_used_at, expires_at) VALUES ($1, $2, $3, $4, $5, $5, $6)",
    )
    .bind(session.id.to_string())
    .bind(session.user_id.to_string())
    .bind(session.refresh_token_hash)
    .bind(session.user_agent)
    .bind(session.created_at.as_millis())
    .bind(session.expires_at.as_millis())
    .execute(executor)
    .await
    .map(drop)
}
