//! Forward-only migrations, embedded in the binary and shared by both databases.

use std::borrow::Cow;

use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};

/// `(version, description, sql)`, in order. Never edit an applied migration: add a new one.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "users and sessions",
        include_str!("../../migrations/0001_users_and_sessions.sql"),
    ),
    (2, "todos", include_str!("../../migrations/0002_todos.sql")),
    (
        3,
        "idempotency keys",
        include_str!("../../migrations/0003_idempotency_keys.sql"),
    ),
];

pub fn migrator() -> Migrator {
    let migrations = MIGRATIONS
        .iter()
        .map(|&(version, description, sql)| {
            Migration::new(
                version,
                Cow::Borrowed(description),
                MigrationType::Simple,
                sql.into_sql_str(),
                false,
            )
        })
        .collect::<Vec<_>>();
    Migrator {
        migrations: Cow::Owned(migrations),
        ..Migrator::DEFAULT
    }
}
