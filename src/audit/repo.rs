//! SQL for the `audit_log` table.

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{AuditEvent, Entry};
use crate::db::{Conn, DbError, Param, Row};
use crate::http::query::Pagination;
use crate::params;
use crate::time::Timestamp;

/// An audit-log entry as admins read it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditRecord {
    pub id: Uuid,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    pub event: AuditEvent,
    /// The account the event is about.
    pub user_id: Option<Uuid>,
    /// Who caused it.
    pub actor_id: Option<Uuid>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// Event-specific facts, e.g. `{"role": "admin"}`.
    #[schema(value_type = Object)]
    pub details: Value,
}

pub async fn insert(conn: &mut Conn, entry: &Entry<'_>, at: Timestamp) -> Result<(), DbError> {
    let ip = entry.client.ip.map(|ip| ip.to_string());
    let details = entry.details.to_string();
    conn.execute(
        "INSERT INTO audit_log (id, at, event, user_id, actor_id, ip, user_agent, details) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        params![
            Uuid::now_v7(),
            at,
            entry.event.as_str(),
            entry.user_id,
            entry.actor_id,
            ip.as_deref(),
            entry.client.user_agent.as_deref(),
            details.as_str(),
        ],
    )
    .await
    .map(drop)
}

/// Filters of the admin's audit-log view.
pub struct AuditFilter {
    pub user_id: Option<Uuid>,
    pub event: Option<AuditEvent>,
}

/// Newest first, with the total matching the filter.
pub async fn list(
    conn: &mut Conn,
    filter: &AuditFilter,
    page: Pagination,
) -> Result<(Vec<AuditRecord>, i64), DbError> {
    let params: &[Param<'_>; 4] = params![
        filter.user_id,
        filter.event.map(AuditEvent::as_str),
        page.limit,
        page.offset,
    ];
    let records = conn
        .query_all(
            "SELECT id, at, event, user_id, actor_id, ip, user_agent, details FROM audit_log \
             WHERE (CAST($1 AS TEXT) IS NULL OR user_id = $1) AND (CAST($2 AS TEXT) IS NULL OR event = $2) \
             ORDER BY id DESC LIMIT $3 OFFSET $4",
            params,
            from_row,
        )
        .await?;
    let total = conn
        .query_one(
            "SELECT COUNT(*) FROM audit_log \
             WHERE (CAST($1 AS TEXT) IS NULL OR user_id = $1) AND (CAST($2 AS TEXT) IS NULL OR event = $2)",
            &params[..2],
            |row| row.int(0),
        )
        .await?;
    Ok((records, total))
}

fn from_row(row: &Row<'_>) -> Result<AuditRecord, DbError> {
    let event = row.text(2)?;
    let user_id = row.opt_text(3)?;
    let actor_id = row.opt_text(4)?;
    let details = row.text(7)?;
    Ok(AuditRecord {
        id: row.uuid(0)?,
        at: row.timestamp(1)?,
        event: AuditEvent::parse(&event).ok_or_else(|| DbError::Decode {
            column: 2,
            detail: format!("unknown audit event {event:?}"),
        })?,
        user_id: user_id.and_then(|id| id.parse().ok()),
        actor_id: actor_id.and_then(|id| id.parse().ok()),
        ip: row.opt_text(5)?,
        user_agent: row.opt_text(6)?,
        details: serde_json::from_str(&details).unwrap_or(Value::Null),
    })
}
