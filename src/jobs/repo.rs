//! SQL for the `jobs` table.

use uuid::Uuid;

use crate::db::{Backend, Conn, DbError};
use crate::jobs::Job;
use crate::params;
use crate::time::Timestamp;

/// A claimed job.
pub struct Claimed {
    pub id: Uuid,
    pub kind: String,
    pub payload: String,
    /// Including this one.
    pub attempts: i64,
    pub max_attempts: i64,
}

pub async fn insert(conn: &mut Conn, job: &Job, now: Timestamp) -> Result<Uuid, DbError> {
    let id = Uuid::now_v7();
    let payload = serde_json::to_string(job).expect("a job serialises");
    conn.execute(
        "INSERT INTO jobs (id, kind, payload, status, attempts, max_attempts, run_at, \
         created_at, updated_at) VALUES ($1, $2, $3, 'pending', 0, $4, $5, $5, $5)",
        params![id, job.kind(), payload.as_str(), job.max_attempts(), now],
    )
    .await?;
    Ok(id)
}

/// Claim the next due job: a pending one whose time has come, or a running one whose
/// worker's lease ran out (it crashed). One statement, so two workers never claim the same
/// job: PostgreSQL skips rows another worker is claiming; SQLite has one writer.
pub async fn claim(
    conn: &mut Conn,
    backend: Backend,
    now: Timestamp,
    lease_until: Timestamp,
) -> Result<Option<Claimed>, DbError> {
    let sql = match backend {
        Backend::Postgres => concat!(
            "UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_until = $2, ",
            "updated_at = $1 WHERE id = (SELECT id FROM jobs WHERE ",
            "(status = 'pending' AND run_at <= $1) OR (status = 'running' AND locked_until <= $1) ",
            "ORDER BY run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) ",
            "RETURNING id, kind, payload, attempts, max_attempts"
        ),
        Backend::Sqlite => concat!(
            "UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_until = $2, ",
            "updated_at = $1 WHERE id = (SELECT id FROM jobs WHERE ",
            "(status = 'pending' AND run_at <= $1) OR (status = 'running' AND locked_until <= $1) ",
            "ORDER BY run_at, id LIMIT 1) ",
            "RETURNING id, kind, payload, attempts, max_attempts"
        ),
    };
    conn.query_opt(sql, params![now, lease_until], |row| {
        Ok(Claimed {
            id: row.uuid(0)?,
            kind: row.text(1)?,
            payload: row.text(2)?,
            attempts: row.int(3)?,
            max_attempts: row.int(4)?,
        })
    })
    .await
}

/// A finished job leaves the queue.
pub async fn complete(conn: &mut Conn, id: Uuid) -> Result<(), DbError> {
    conn.execute("DELETE FROM jobs WHERE id = $1", params![id])
        .await
        .map(drop)
}

/// Schedule another attempt at `run_at`.
pub async fn retry(
    conn: &mut Conn,
    id: Uuid,
    error: &str,
    now: Timestamp,
    run_at: Timestamp,
) -> Result<(), DbError> {
    conn.execute(
        "UPDATE jobs SET status = 'pending', run_at = $3, locked_until = NULL, last_error = $2, \
         updated_at = $4 WHERE id = $1",
        params![id, error, run_at, now],
    )
    .await
    .map(drop)
}

/// Give up on a job: it stays in the table, `dead`, for an operator to inspect.
pub async fn bury(conn: &mut Conn, id: Uuid, error: &str, now: Timestamp) -> Result<(), DbError> {
    conn.execute(
        "UPDATE jobs SET status = 'dead', locked_until = NULL, last_error = $2, updated_at = $3 \
         WHERE id = $1",
        params![id, error, now],
    )
    .await
    .map(drop)
}

/// Jobs waiting (pending or running) and dead, for the queue-depth metric.
pub async fn depth(conn: &mut Conn) -> Result<(i64, i64), DbError> {
    conn.query_one(
        "SELECT COALESCE(SUM(CASE WHEN status <> 'dead' THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN status = 'dead' THEN 1 ELSE 0 END), 0) FROM jobs",
        &[],
        |row| Ok((row.int(0)?, row.int(1)?)),
    )
    .await
}
