//! SQL for the `users` table.

use uuid::Uuid;

use crate::db::{Conn, DbError, Row};
use crate::params;
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
