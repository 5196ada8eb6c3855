//! SQL for the `passkeys` table. Every query a user's request makes takes the owner's id, so
//! another user's passkey is indistinguishable from a missing one; sign-in finds a passkey by
//! its credential id and then checks the owner the authenticator names.

use uuid::Uuid;
use webauthn_rs::prelude::Passkey;

use crate::db::{Conn, DbError, Row};
use crate::http::query::Pagination;
use crate::params;
use crate::passkeys::model::PasskeyResponse;
use crate::passkeys::relying_party::credential_id_text;
use crate::time::Timestamp;

pub struct NewPasskey<'a> {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: &'a str,
    pub passkey: &'a Passkey,
    pub created_at: Timestamp,
}

/// The `credential` column: the crate's own serialisation of the passkey (public key,
/// signature counter, backup flags).
fn to_json(passkey: &Passkey) -> Result<String, DbError> {
    serde_json::to_string(passkey).map_err(|err| DbError::Decode {
        column: 0,
        detail: format!("passkey: {err}"),
    })
}

fn from_json(stored: &str, column: usize) -> Result<Passkey, DbError> {
    serde_json::from_str(stored).map_err(|err| DbError::Decode {
        column,
        detail: format!("passkey: {err}"),
    })
}

/// A unique violation means the credential is registered already (to anyone).
pub async fn insert(conn: &mut Conn, new: &NewPasskey<'_>) -> Result<(), DbError> {
    conn.execute(
        "INSERT INTO passkeys (id, user_id, name, credential_id, credential, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        params![
            new.id,
            new.user_id,
            new.name,
            &credential_id_text(new.passkey.cred_id()),
            &to_json(new.passkey)?,
            new.created_at,
        ],
    )
    .await
    .map(drop)
}

/// Hold the owner's row until the transaction ends, so that concurrent additions and
/// removals of one account's passkeys count one after the other (PostgreSQL; SQLite runs one
/// write transaction at a time anyway).
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
        "SELECT COUNT(*) FROM passkeys WHERE user_id = $1",
        params![user_id],
        |row| row.int(0),
    )
    .await
}

/// How many passkeys the user has besides `except`.
pub async fn count_others(conn: &mut Conn, user_id: Uuid, except: Uuid) -> Result<i64, DbError> {
    conn.query_one(
        "SELECT COUNT(*) FROM passkeys WHERE user_id = $1 AND id <> $2",
        params![user_id, except],
        |row| row.int(0),
    )
    .await
}

/// One page of the user's passkeys, oldest first, and how many they have in all.
pub async fn list(
    conn: &mut Conn,
    user_id: Uuid,
    page: Pagination,
) -> Result<(Vec<PasskeyResponse>, i64), DbError> {
    let items = conn
        .query_all(
            "SELECT id, name, created_at, last_used_at FROM passkeys WHERE user_id = $1 \
             ORDER BY id LIMIT $2 OFFSET $3",
            params![user_id, page.limit, page.offset],
            from_row,
        )
        .await?;
    let total = count(conn, user_id).await?;
    Ok((items, total))
}

fn from_row(row: &Row<'_>) -> Result<PasskeyResponse, DbError> {
    Ok(PasskeyResponse {
        id: row.uuid(0)?,
        name: row.text(1)?,
        created_at: row.timestamp(2)?,
        last_used_at: row.opt_timestamp(3)?,
    })
}

/// The raw credential ids of the user's passkeys: the browser is told not to make a second
/// passkey on an authenticator that holds one already.
pub async fn credential_ids(conn: &mut Conn, user_id: Uuid) -> Result<Vec<Vec<u8>>, DbError> {
    let passkeys = conn
        .query_all(
            "SELECT credential FROM passkeys WHERE user_id = $1",
            params![user_id],
            |row| from_json(&row.text(0)?, 0),
        )
        .await?;
    Ok(passkeys
        .iter()
        .map(|passkey| passkey.cred_id().to_vec())
        .collect())
}

pub async fn find(
    conn: &mut Conn,
    user_id: Uuid,
    id: Uuid,
) -> Result<Option<PasskeyResponse>, DbError> {
    conn.query_opt(
        "SELECT id, name, created_at, last_used_at FROM passkeys WHERE id = $1 AND user_id = $2",
        params![id, user_id],
        from_row,
    )
    .await
}

/// Rename one of the user's passkeys; `None` when they have no such passkey.
pub async fn rename(
    conn: &mut Conn,
    user_id: Uuid,
    id: Uuid,
    name: &str,
) -> Result<Option<PasskeyResponse>, DbError> {
    conn.query_opt(
        "UPDATE passkeys SET name = $3 WHERE id = $1 AND user_id = $2 \
         RETURNING id, name, created_at, last_used_at",
        params![id, user_id, name],
        from_row,
    )
    .await
}

/// Delete one of the user's passkeys; whether there was one.
pub async fn delete(conn: &mut Conn, user_id: Uuid, id: Uuid) -> Result<bool, DbError> {
    conn.execute(
        "DELETE FROM passkeys WHERE id = $1 AND user_id = $2",
        params![id, user_id],
    )
    .await
    .map(|deleted| deleted > 0)
}

/// A passkey as sign-in needs it.
pub struct Stored {
    pub id: Uuid,
    pub user_id: Uuid,
    pub passkey: Passkey,
}

/// The passkey with this credential id, its row held until the transaction ends so that two
/// assertions of one passkey are checked one after the other (PostgreSQL; SQLite runs one
/// write transaction at a time anyway): a replayed or cloned signature counter cannot slip
/// between a check and its update.
pub async fn lock_by_credential_id(
    conn: &mut Conn,
    credential_id: &str,
) -> Result<Option<Stored>, DbError> {
    conn.query_opt(
        "UPDATE passkeys SET last_used_at = last_used_at WHERE credential_id = $1 \
         RETURNING id, user_id, credential",
        params![credential_id],
        |row| {
            Ok(Stored {
                id: row.uuid(0)?,
                user_id: row.uuid(1)?,
                passkey: from_json(&row.text(2)?, 2)?,
            })
        },
    )
    .await
}

/// Record a sign-in: when, and the credential's new counter and backup flags.
pub async fn record_use(
    conn: &mut Conn,
    id: Uuid,
    passkey: &Passkey,
    now: Timestamp,
) -> Result<(), DbError> {
    conn.execute(
        "UPDATE passkeys SET credential = $2, last_used_at = $3 WHERE id = $1",
        params![id, &to_json(passkey)?, now],
    )
    .await
    .map(drop)
}
