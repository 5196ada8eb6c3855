//! SQL for the `users` table.

use unicode_normalization::UnicodeNormalization;
use uuid::Uuid;

use crate::db::{Conn, DbError, Row};
use crate::http::query::Pagination;
use crate::params;
use crate::time::Timestamp;
use crate::users::model::{Role, User};

/// `SELECT` of every user column with the given `WHERE` clause; [`from_row`] reads it.
macro_rules! select_users_where {
    ($condition:literal) => {
        concat!(
            "SELECT id, email, name, password_hash, role, is_active, email_verified, ",
            "created_at, updated_at FROM users WHERE ",
            $condition
        )
    };
}

pub async fn insert(conn: &mut Conn, user: &User) -> Result<(), DbError> {
    conn.execute(
        "INSERT INTO users (id, email, name, password_hash, role, is_active, email_verified, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        params![
            user.id,
            &user.email,
            user.name.as_deref(),
            &user.password_hash,
            user.role.as_str(),
            user.is_active,
            user.email_verified,
            user.created_at,
            user.updated_at,
        ],
    )
    .await
    .map(drop)
}

pub async fn find_by_id(conn: &mut Conn, id: Uuid) -> Result<Option<User>, DbError> {
    conn.query_opt(select_users_where!("id = $1"), params![id], from_row)
        .await
}

pub async fn find_by_email(conn: &mut Conn, email: &str) -> Result<Option<User>, DbError> {
    conn.query_opt(select_users_where!("email = $1"), params![email], from_row)
        .await
}

fn from_row(row: &Row<'_>) -> Result<User, DbError> {
    let role = row.text(4)?;
    Ok(User {
        id: row.uuid(0)?,
        email: row.text(1)?,
        name: row.opt_text(2)?,
        password_hash: row.text(3)?,
        role: Role::parse(&role).ok_or_else(|| DbError::Decode {
            column: 4,
            detail: format!("unknown role {role:?}"),
        })?,
        is_active: row.flag(5)?,
        email_verified: row.flag(6)?,
        created_at: row.timestamp(7)?,
        updated_at: row.timestamp(8)?,
    })
}

pub async fn set_password(
    conn: &mut Conn,
    id: Uuid,
    password_hash: &str,
    now: Timestamp,
) -> Result<(), DbError> {
    conn.execute(
        "UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1",
        params![id, password_hash, now],
    )
    .await
    .map(drop)
}

pub async fn mark_email_verified(conn: &mut Conn, id: Uuid, now: Timestamp) -> Result<(), DbError> {
    conn.execute(
        "UPDATE users SET email_verified = 1, updated_at = $2 WHERE id = $1 AND email_verified = 0",
        params![id, now],
    )
    .await
    .map(drop)
}

/// Set the display name; the updated user, or `None` if the account is gone.
pub async fn set_name(
    conn: &mut Conn,
    id: Uuid,
    name: Option<&str>,
    now: Timestamp,
) -> Result<Option<User>, DbError> {
    conn.query_opt(
        concat!(
            "UPDATE users SET name = $2, updated_at = $3 WHERE id = $1 RETURNING ",
            "id, email, name, password_hash, role, is_active, email_verified, created_at, updated_at"
        ),
        params![id, name, now],
        from_row,
    )
    .await
}

/// Change role and/or active flag; the updated user, or `None` if there is no such user.
pub async fn set_role_and_status(
    conn: &mut Conn,
    id: Uuid,
    role: Option<Role>,
    is_active: Option<bool>,
    now: Timestamp,
) -> Result<Option<User>, DbError> {
    conn.query_opt(
        concat!(
            "UPDATE users SET role = COALESCE($2, role), is_active = COALESCE($3, is_active), ",
            "updated_at = $4 WHERE id = $1 RETURNING ",
            "id, email, name, password_hash, role, is_active, email_verified, created_at, updated_at"
        ),
        params![id, role.map(Role::as_str), is_active, now],
        from_row,
    )
    .await
}

/// Delete the account; its todos, sessions and tokens go with it (foreign keys cascade).
pub async fn delete(conn: &mut Conn, id: Uuid) -> Result<bool, DbError> {
    conn.execute("DELETE FROM users WHERE id = $1", params![id])
        .await
        .map(|deleted| deleted > 0)
}

/// Users whose email or name contains `query` (case-insensitive), newest first, and how many
/// match in all.
pub async fn search(
    conn: &mut Conn,
    query: Option<&str>,
    page: Pagination,
) -> Result<(Vec<User>, i64), DbError> {
    let pattern = query.map(like_pattern);
    let users = conn
        .query_all(
            select_users_where!(
                "(CAST($1 AS TEXT) IS NULL OR lower(email) LIKE $1 ESCAPE '\\' OR lower(name) LIKE $1 ESCAPE '\\') \
                 ORDER BY id DESC LIMIT $2 OFFSET $3"
            ),
            params![pattern.as_deref(), page.limit, page.offset],
            from_row,
        )
        .await?;
    let total = conn
        .query_one(
            "SELECT COUNT(*) FROM users WHERE (CAST($1 AS TEXT) IS NULL OR lower(email) LIKE $1 ESCAPE '\\' \
             OR lower(name) LIKE $1 ESCAPE '\\')",
            params![pattern.as_deref()],
            |row| row.int(0),
        )
        .await?;
    Ok((users, total))
}

/// `%query%` with the query's own `%`, `_` and `\` matched literally.
fn like_pattern(query: &str) -> String {
    let mut pattern = String::with_capacity(query.len() + 2);
    pattern.push('%');
    // Normalised like stored addresses, so a full-width query finds them too.
    for c in query.nfkc().collect::<String>().to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// Active admins: there must always be at least one.
pub async fn count_active_admins(conn: &mut Conn) -> Result<i64, DbError> {
    conn.query_one(
        "SELECT COUNT(*) FROM users WHERE role = 'admin' AND is_active = 1",
        &[],
        |row| row.int(0),
    )
    .await
}
