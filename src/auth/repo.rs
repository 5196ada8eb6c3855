//! SQL for the `sessions` table: one row per signed-in device.

use uuid::Uuid;

use crate::db::{Conn, DbError};
use crate::params;
use crate::time::Timestamp;

pub struct NewSession<'a> {
    pub id: Uuid,
    pub user_id: Uuid,
    pub refresh_token_hash: &'a str,
    pub user_agent: Option<&'a str>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

pub async fn insert(conn: &mut Conn, session: &NewSession<'_>) -> Result<(), DbError> {
    conn.execute(
        "INSERT INTO sessions (id, user_id, refresh_token_hash, user_agent, created_at, \
         last_used_at, expires_at) VALUES ($1, $2, $3, $4, $5, $5, $6)",
        params![
            session.id,
            session.user_id,
            session.refresh_token_hash,
            session.user_agent,
            session.created_at,
            session.expires_at,
        ],
    )
    .await
    .map(drop)
}
