//! Forward-only migrations, embedded in the binary and shared by both databases. Each is
//! applied once, in order, in one transaction with its bookkeeping row; an applied migration
//! whose text later changes is refused, so a database never silently drifts from the code.

use anyhow::{Context, bail};
use sha2::{Digest, Sha256};

use crate::db::{Backend, Db};
use crate::params;
use crate::time::Timestamp;

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
    (
        4,
        "accounts, jobs and audit log",
        include_str!("../../migrations/0004_accounts_jobs_audit.sql"),
    ),
    (
        5,
        "api keys",
        include_str!("../../migrations/0005_api_keys.sql"),
    ),
    (
        6,
        "fresh sign-in",
        include_str!("../../migrations/0006_fresh_sign_in.sql"),
    ),
    (
        7,
        "two-factor authentication",
        include_str!("../../migrations/0007_two_factor.sql"),
    ),
    (
        8,
        "identities at other providers",
        include_str!("../../migrations/0008_identities.sql"),
    ),
    (
        9,
        "passkeys",
        include_str!("../../migrations/0009_passkeys.sql"),
    ),
];

/// What only PostgreSQL needs, made idempotently after the migrations under their lock: the
/// sequence that numbers realtime events on the `LISTEN`/`NOTIFY` bus (SQLite has no
/// sequences and no use for one).
const POSTGRES_ONLY: &str = "CREATE SEQUENCE IF NOT EXISTS neoforge_event_seq";

/// Any constant that no other advisory lock of ours uses.
const POSTGRES_LOCK_KEY: i64 = 0x6e65_6f66_6f72_6765;

pub async fn run(db: &Db) -> anyhow::Result<()> {
    let mut conn = db.write().await.context("connecting to apply migrations")?;
    let mut tx = conn.begin().await?;
    // Replicas starting together queue here, before anything is created: two concurrent
    // `CREATE TABLE IF NOT EXISTS` can both miss the table and one fail. SQLite's
    // BEGIN IMMEDIATE already serialises.
    if db.backend() == Backend::Postgres {
        tx.execute(
            "SELECT pg_advisory_xact_lock($1)",
            params![POSTGRES_LOCK_KEY],
        )
        .await?;
    }
    tx.execute_script(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, \
         description TEXT NOT NULL, checksum TEXT NOT NULL, applied_at BIGINT NOT NULL)",
    )
    .await?;
    let applied = tx
        .query_all(
            "SELECT version, checksum FROM schema_migrations ORDER BY version",
            &[],
            |row| Ok((row.int(0)?, row.text(1)?)),
        )
        .await?;
    for &(version, description, sql) in MIGRATIONS {
        let checksum = checksum(sql);
        match applied.iter().find(|(applied, _)| *applied == version) {
            Some((_, recorded)) if *recorded == checksum => continue,
            Some(_) => bail!("migration {version} ({description}) changed after it was applied"),
            None => {}
        }
        tx.execute_script(sql)
            .await
            .with_context(|| format!("applying migration {version} ({description})"))?;
        tx.execute(
            "INSERT INTO schema_migrations (version, description, checksum, applied_at) VALUES ($1, $2, $3, $4)",
            params![version, description, &checksum, Timestamp::now()],
        )
        .await?;
        tracing::info!(version, description, "migration applied");
    }
    if db.backend() == Backend::Postgres {
        tx.execute_script(POSTGRES_ONLY).await?;
    }
    // During a rolling deploy an older replica may meet a newer schema: migrations are
    // written to stay compatible with the previous release, so this is worth a note only.
    if let Some((newest, _)) = applied.iter().max_by_key(|(version, _)| *version)
        && !MIGRATIONS.iter().any(|(version, _, _)| version == newest)
    {
        tracing::warn!(
            newest,
            "the database has a migration this binary does not know"
        );
    }
    tx.commit().await?;
    Ok(())
}

fn checksum(sql: &str) -> String {
    Sha256::digest(sql.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}
