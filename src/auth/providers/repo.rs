//! SQL for the `identities` table. Every query a user's request makes takes the owner's id, so
//! another user's link is indistinguishable from a missing one.

use uuid::Uuid;

use crate::db::{Conn, DbError, Row};
use crate::params;
use crate::time::Timestamp;

/// A link between an account here and an identity at a provider.
#[derive(Debug, Clone)]
pub struct Identity {
    pub id: Uuid,
    pub user_id: Uuid,
    pub provider: String,
    pub subject: String,
    pub email: Option<String>,
    pub created_at: Timestamp,
    pub last_used_at: Timestamp,
}

fn from_row(row: &Row<'_>) -> Result<Identity, DbError> {
    Ok(Identity {
        id: row.uuid(0)?,
        user_id: row.uuid(1)?,
        provider: row.text(2)?,
        subject: row.text(3)?,
        email: row.opt_text(4)?,
        created_at: row.timestamp(5)?,
        last_used_at: row.timestamp(6)?,
    })
}

pub async fn insert(conn: &mut Conn, identity: &Identity) -> Result<(), DbError> {
    conn.execute(
        "INSERT INTO identities (id, user_id, provider, subject, email, created_at, last_used_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        params![
            identity.id,
            identity.user_id,
            &identity.provider,
            &identity.subject,
            identity.email.as_deref(),
            identity.created_at,
            identity.last_used_at,
        ],
    )
    .await
    .map(drop)
}

/// The link of this identity at `provider`, if any.
pub async fn find(
    conn: &mut Conn,
    provider: &str,
    subject: &str,
) -> Result<Option<Identity>, DbError> {
    conn.query_opt(
        "SELECT id, user_id, provider, subject, email, created_at, last_used_at \
         FROM identities WHERE provider = $1 AND subject = $2",
        params![provider, subject],
        from_row,
    )
    .await
}

/// Record a sign-in through the link, with the address the provider reports now.
pub async fn touch(
    conn: &mut Conn,
    id: Uuid,
    email: Option<&str>,
    now: Timestamp,
) -> Result<(), DbError> {
    conn.execute(
        "UPDATE identities SET last_used_at = $2, email = COALESCE($3, email) WHERE id = $1",
        params![id, now, email],
    )
    .await
    .map(drop)
}

/// Every link of the user, oldest first.
pub async fn list(conn: &mut Conn, user_id: Uuid) -> Result<Vec<Identity>, DbError> {
    conn.query_all(
        "SELECT id, user_id, provider, subject, email, created_at, last_used_at \
         FROM identities WHERE user_id = $1 ORDER BY created_at, id",
        params![user_id],
        from_row,
    )
    .await
}

/// Remove one of the user's links; `None` when they have no such link.
pub async fn delete(conn: &mut Conn, user_id: Uuid, id: Uuid) -> Result<Option<Identity>, DbError> {
    conn.query_opt(
        "DELETE FROM identities WHERE id = $1 AND user_id = $2 \
         RETURNING id, user_id, provider, subject, email, created_at, last_used_at",
        params![id, user_id],
        from_row,
    )
    .await
}

/// Hold the user's row until the transaction ends, so that two concurrent unlinks count the
/// ways left one after the other (PostgreSQL; SQLite runs one write transaction at a time).
pub async fn lock_user(conn: &mut Conn, user_id: Uuid) -> Result<(), DbError> {
    conn.execute(
        "UPDATE users SET updated_at = updated_at WHERE id = $1",
        params![user_id],
    )
    .await
    .map(drop)
}

/// One page of the user's links, oldest first, and how many they have in all.
pub async fn page(
    conn: &mut Conn,
    user_id: Uuid,
    page: crate::http::query::Pagination,
) -> Result<(Vec<Identity>, i64), DbError> {
    let items = conn
        .query_all(
            "SELECT id, user_id, provider, subject, email, created_at, last_used_at \
             FROM identities WHERE user_id = $1 ORDER BY created_at, id LIMIT $2 OFFSET $3",
            params![user_id, page.limit, page.offset],
            from_row,
        )
        .await?;
    let total = conn
        .query_one(
            "SELECT COUNT(*) FROM identities WHERE user_id = $1",
            params![user_id],
            |row| row.int(0),
        )
        .await?;
    Ok((items, total))
}
