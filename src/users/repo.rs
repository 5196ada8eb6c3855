//! SQL for the `users` table.

use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};
use uuid::Uuid;

use crate::db::flag;
use crate::time::Timestamp;
use crate::users::model::{Role, User};

/// `SELECT` of every user column with the given `WHERE` clause.
macro_rules! select_users_where {
    ($condition:literal) => {
        concat!(
            "SELECT id, email, name, password_hash, role, is_active, email_verified, ",
            "created_at, updated_at FROM users WHERE ",
            $condition
        )
    };
}

pub async fn insert<'c>(
    executor: impl Executor<'c, Database = Any>,
    user: &User,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO users (id, email, name, password_hash, role, is_active, email_verified, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(user.id.to_string())
    .bind(&user.email)
    .bind(&user.name)
    .bind(&user.password_hash)
    .bind(user.role.as_str())
    .bind(flag::encode(user.is_active))
    .bind(flag::encode(user.email_verified))
    .bind(user.created_at.as_millis())
    .bind(user.updated_at.as_millis())
    .execute(executor)
    .await
    .map(drop)
}

pub async fn find_by_id<'c>(
    executor: impl Executor<'c, Database = Any>,
    id: Uuid,
) -> Result<Option<User>, sqlx::Error> {
    sqlx::query(select_users_where!("id = $1"))
        .bind(id.to_string())
        .fetch_optional(executor)
        .await?
        .map(|row| from_row(&row))
        .transpose()
}

pub async fn find_by_email<'c>(
    executor: impl Executor<'c, Database = Any>,
    email: &str,
) -> Result<Option<User>, sqlx::Error> {
    sqlx::query(select_users_where!("email = $1"))
        .bind(email)
        .fetch_optional(executor)
        .await?
        .map(|row| from_row(&row))
        .transpose()
}

fn from_row(row: &AnyRow) -> Result<User, sqlx::Error> {
    let role: String = row.try_get("role")?;
    Ok(User {
        id: crate::db::uuid_column(row, "id")?,
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        password_hash: row.try_get("password_hash")?,
        role: Role::parse(&role).ok_or_else(|| crate::db::bad_column("role", &role))?,
        is_active: flag::decode(row.try_get("is_active")?),
        email_verified: flag::decode(row.try_get("email_verified")?),
        created_at: Timestamp::from_millis(row.try_get("created_at")?),
        updated_at: Timestamp::from_millis(row.try_get("updated_at")?),
    })
}
