//! SQL for sessions (one row per signed-in device), their rotated-out refresh tokens, and the
//! single-use tokens sent by email.

use uuid::Uuid;

use crate::db::{Conn, DbError, Row};
use crate::http::query::Pagination;
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
         last_used_at, authenticated_at, expires_at) VALUES ($1, $2, $3, $4, $5, $5, $5, $6)",
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

/// Whether the session is live and its account active.
pub async fn is_live(
    conn: &mut Conn,
    session_id: Uuid,
    user_id: Uuid,
    now: Timestamp,
) -> Result<bool, DbError> {
    conn.query_opt(
        "SELECT 1 FROM sessions JOIN users ON users.id = sessions.user_id \
         WHERE sessions.id = $1 AND sessions.user_id = $2 AND sessions.revoked_at IS NULL \
         AND sessions.expires_at > $3 AND users.is_active = 1",
        params![session_id, user_id, now],
        |row| row.int(0),
    )
    .await
    .map(|found| found.is_some())
}

/// When the live session last proved who its user is; `None` when it is not live.
pub async fn authenticated_at(
    conn: &mut Conn,
    session_id: Uuid,
    now: Timestamp,
) -> Result<Option<Timestamp>, DbError> {
    conn.query_opt(
        "SELECT authenticated_at FROM sessions \
         WHERE id = $1 AND revoked_at IS NULL AND expires_at > $2",
        params![session_id, now],
        |row| row.timestamp(0),
    )
    .await
}

/// Record that the live session just proved who its user is again; `false` when it ended.
pub async fn mark_authenticated(
    conn: &mut Conn,
    session_id: Uuid,
    now: Timestamp,
) -> Result<bool, DbError> {
    conn.execute(
        "UPDATE sessions SET authenticated_at = $2 \
         WHERE id = $1 AND revoked_at IS NULL AND expires_at > $2",
        params![session_id, now],
    )
    .await
    .map(|changed| changed > 0)
}

/// The live session of this refresh token, with its token swapped for the next one.
/// Returns `(session id, user id)`; `None` when the token is not any live session's current
/// token. Atomic: of two concurrent rotations of one token, only one succeeds.
pub async fn rotate(
    conn: &mut Conn,
    old_hash: &str,
    new_hash: &str,
    now: Timestamp,
    expires_at: Timestamp,
) -> Result<Option<(Uuid, Uuid)>, DbError> {
    let rotated = conn
        .query_opt(
            "UPDATE sessions SET refresh_token_hash = $2, last_used_at = $3, expires_at = $4 \
             WHERE refresh_token_hash = $1 AND revoked_at IS NULL AND expires_at > $3 \
             RETURNING id, user_id",
            params![old_hash, new_hash, now, expires_at],
            |row| Ok((row.uuid(0)?, row.uuid(1)?)),
        )
        .await?;
    if let Some((session_id, _)) = rotated {
        conn.execute(
            "INSERT INTO used_refresh_tokens (token_hash, session_id, used_at) VALUES ($1, $2, $3)",
            params![old_hash, session_id, now],
        )
        .await?;
    }
    Ok(rotated)
}

/// The session and user a rotated-out refresh token belonged to.
pub async fn find_by_used_token(
    conn: &mut Conn,
    hash: &str,
) -> Result<Option<(Uuid, Uuid)>, DbError> {
    conn.query_opt(
        "SELECT sessions.id, sessions.user_id FROM used_refresh_tokens \
         JOIN sessions ON sessions.id = used_refresh_tokens.session_id \
         WHERE used_refresh_tokens.token_hash = $1",
        params![hash],
        |row| Ok((row.uuid(0)?, row.uuid(1)?)),
    )
    .await
}

/// The live session whose current refresh token this is: `(session id, user id)`.
pub async fn find_by_token(
    conn: &mut Conn,
    hash: &str,
    now: Timestamp,
) -> Result<Option<(Uuid, Uuid)>, DbError> {
    conn.query_opt(
        "SELECT id, user_id FROM sessions \
         WHERE refresh_token_hash = $1 AND revoked_at IS NULL AND expires_at > $2",
        params![hash, now],
        |row| Ok((row.uuid(0)?, row.uuid(1)?)),
    )
    .await
}

/// Revoke one of the user's sessions; `false` when it is not theirs or already ended.
pub async fn revoke(
    conn: &mut Conn,
    user_id: Uuid,
    session_id: Uuid,
    now: Timestamp,
) -> Result<bool, DbError> {
    conn.execute(
        "UPDATE sessions SET revoked_at = $3 \
         WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > $3",
        params![session_id, user_id, now],
    )
    .await
    .map(|changed| changed > 0)
}

/// Revoke every live session of the user except `keep`; returns the revoked ids.
pub async fn revoke_all(
    conn: &mut Conn,
    user_id: Uuid,
    keep: Option<Uuid>,
    now: Timestamp,
) -> Result<Vec<Uuid>, DbError> {
    conn.query_all(
        "UPDATE sessions SET revoked_at = $3 \
         WHERE user_id = $1 AND revoked_at IS NULL AND (CAST($2 AS TEXT) IS NULL OR id <> $2) \
         RETURNING id",
        params![user_id, keep, now],
        |row| row.uuid(0),
    )
    .await
}

/// Every session id of the user, ended or not (to forget them all from the cache).
pub async fn ids_of_user(conn: &mut Conn, user_id: Uuid) -> Result<Vec<Uuid>, DbError> {
    conn.query_all(
        "SELECT id FROM sessions WHERE user_id = $1",
        params![user_id],
        |row| row.uuid(0),
    )
    .await
}

/// A live session as its user sees it.
pub struct SessionRow {
    pub id: Uuid,
    pub created_at: Timestamp,
    pub last_used_at: Timestamp,
    pub user_agent: Option<String>,
}

/// The user's live sessions, most recently used first, and how many there are.
pub async fn list_live(
    conn: &mut Conn,
    user_id: Uuid,
    now: Timestamp,
    page: Pagination,
) -> Result<(Vec<SessionRow>, i64), DbError> {
    let sessions = conn
        .query_all(
            "SELECT id, created_at, last_used_at, user_agent FROM sessions \
             WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 \
             ORDER BY last_used_at DESC, id DESC LIMIT $3 OFFSET $4",
            params![user_id, now, page.limit, page.offset],
            session_from_row,
        )
        .await?;
    let total = conn
        .query_one(
            "SELECT COUNT(*) FROM sessions \
             WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2",
            params![user_id, now],
            |row| row.int(0),
        )
        .await?;
    Ok((sessions, total))
}

fn session_from_row(row: &Row<'_>) -> Result<SessionRow, DbError> {
    Ok(SessionRow {
        id: row.uuid(0)?,
        created_at: row.timestamp(1)?,
        last_used_at: row.timestamp(2)?,
        user_agent: row.opt_text(3)?,
    })
}

/// Delete sessions that ended before `cutoff` (their rotated tokens go with them).
pub async fn purge_ended(conn: &mut Conn, cutoff: Timestamp) -> Result<u64, DbError> {
    conn.execute(
        "DELETE FROM sessions WHERE expires_at < $1 OR revoked_at < $1",
        params![cutoff],
    )
    .await
}

/// Forget refresh tokens rotated out before `cutoff`: older than a session can live, they
/// could not be presented to a live session anyway.
pub async fn purge_used_tokens(conn: &mut Conn, cutoff: Timestamp) -> Result<u64, DbError> {
    conn.execute(
        "DELETE FROM used_refresh_tokens WHERE used_at < $1",
        params![cutoff],
    )
    .await
}

/// What an email token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    VerifyEmail,
    ResetPassword,
}

impl TokenPurpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::VerifyEmail => "verify_email",
            Self::ResetPassword => "reset_password",
        }
    }
}

/// Store a new email token, retiring the user's earlier unused ones of the same purpose, so
/// only the latest link works.
pub async fn insert_email_token(
    conn: &mut Conn,
    user_id: Uuid,
    purpose: TokenPurpose,
    hash: &str,
    now: Timestamp,
    expires_at: Timestamp,
) -> Result<(), DbError> {
    conn.execute(
        "UPDATE email_tokens SET used_at = $3 \
         WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL",
        params![user_id, purpose.as_str(), now],
    )
    .await?;
    conn.execute(
        "INSERT INTO email_tokens (token_hash, user_id, purpose, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
        params![hash, user_id, purpose.as_str(), now, expires_at],
    )
    .await
    .map(drop)
}

/// Use up an email token: the user it was for, or `None` if it is unknown, used or expired.
pub async fn consume_email_token(
    conn: &mut Conn,
    purpose: TokenPurpose,
    hash: &str,
    now: Timestamp,
) -> Result<Option<Uuid>, DbError> {
    conn.query_opt(
        "UPDATE email_tokens SET used_at = $3 \
         WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3 \
         RETURNING user_id",
        params![hash, purpose.as_str(), now],
        |row| row.uuid(0),
    )
    .await
}

/// Delete email tokens that expired before `cutoff`.
pub async fn purge_email_tokens(conn: &mut Conn, cutoff: Timestamp) -> Result<u64, DbError> {
    conn.execute(
        "DELETE FROM email_tokens WHERE expires_at < $1",
        params![cutoff],
    )
    .await
}
