//! `Idempotency-Key` on create routes: the same key from the same user within 24 hours
//! returns the first response again (same status and body) without repeating the effect; the
//! same key with a different request is `422`. The effect and the stored response commit in
//! one transaction, so a crash can never leave one without the other.

pub mod repo;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use axum::extract::OptionalFromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

pub use repo::StoredResponse;

use crate::db::{Conn, Db, DbError};
use crate::error::ApiError;
use crate::time::Timestamp;

pub const HEADER: &str = "idempotency-key";
/// How long a key is remembered.
pub const RETENTION: Duration = Duration::from_secs(24 * 60 * 60);
const MAX_KEY_LEN: usize = 255;

/// A client-chosen key: 1 to 255 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(raw: &[u8]) -> Result<Self, ApiError> {
        let visible_ascii = raw.iter().all(|b| (0x21..=0x7e).contains(b));
        if raw.is_empty() || raw.len() > MAX_KEY_LEN || !visible_ascii {
            return Err(ApiError::invalid_field(
                "Idempotency-Key",
                "must be 1 to 255 visible ASCII characters",
            ));
        }
        Ok(Self(String::from_utf8_lossy(raw).into_owned()))
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, Self::Rejection> {
        parts
            .headers
            .get(HEADER)
            .map(|value| Self::parse(value.as_bytes()))
            .transpose()
    }
}

/// The effect of a create request, run on the caller's connection (inside a transaction when
/// a key is given).
pub type Effect = Box<
    dyn for<'c> FnOnce(
            &'c mut Conn,
        ) -> Pin<
            Box<dyn Future<Output = Result<StoredResponse, ApiError>> + Send + 'c>,
        > + Send,
>;

/// The answer to a create request, and whether it is a replay (the effect did not run now,
/// or ran and was undone because a concurrent request with the same key won).
pub struct Outcome {
    pub response: Response,
    pub replayed: bool,
}

/// Run `effect` once per `(user, key)`: without a key it simply runs; with one, a replay of the
/// same request (same `fingerprint`) gets the stored response back.
pub async fn run_once(
    db: &Db,
    user_id: Uuid,
    key: Option<IdempotencyKey>,
    fingerprint: String,
    effect: Effect,
) -> Result<Outcome, ApiError> {
    let mut conn = db.write().await?;
    let Some(IdempotencyKey(key)) = key else {
        return Ok(into_response(effect(&mut conn).await?, false));
    };
    let cutoff =
        Timestamp::from_millis(Timestamp::now().as_millis() - RETENTION.as_millis() as i64);
    let mut tx = conn.begin().await?;
    if let Some(record) = repo::find(&mut tx, user_id, &key, cutoff).await? {
        tx.commit().await?;
        return replay(record, &fingerprint);
    }
    repo::delete_expired(&mut tx, user_id, &key, cutoff).await?;
    let response = effect(&mut tx).await?;
    match repo::insert(&mut tx, user_id, &key, &fingerprint, &response).await {
        Ok(()) => {
            tx.commit().await?;
            Ok(into_response(response, false))
        }
        Err(err) if err.is_unique_violation() => {
            // A concurrent request with the same key committed first (PostgreSQL; SQLite has
            // one writer). Undo this attempt's effect and answer as that request did.
            tx.rollback().await?;
            let record = repo::find(&mut conn, user_id, &key, cutoff)
                .await?
                .ok_or_else(|| anyhow::anyhow!("idempotency record vanished after a conflict"))?;
            replay(record, &fingerprint)
        }
        Err(err) => Err(err.into()),
    }
}

fn replay(record: repo::Record, fingerprint: &str) -> Result<Outcome, ApiError> {
    if record.fingerprint == fingerprint {
        Ok(into_response(record.response, true))
    } else {
        Err(ApiError::invalid_field(
            "Idempotency-Key",
            "was already used for a different request",
        ))
    }
}

fn into_response(stored: StoredResponse, replayed: bool) -> Outcome {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, stored.body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Some(location) = stored.location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        headers.insert(header::LOCATION, location);
    }
    if replayed {
        headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Outcome { response, replayed }
}

/// Delete records past retention; run periodically.
pub async fn purge_expired(db: &Db) -> Result<u64, DbError> {
    let cutoff =
        Timestamp::from_millis(Timestamp::now().as_millis() - RETENTION.as_millis() as i64);
    repo::delete_older_than(&mut db.write().await?, cutoff).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_1_to_255_visible_ascii_characters() {
        assert!(IdempotencyKey::parse(b"a").is_ok());
        assert!(IdempotencyKey::parse("k".repeat(255).as_bytes()).is_ok());
        assert!(IdempotencyKey::parse(b"offline-queue:42/\"x\"~").is_ok());
        for bad in [
            &b""[..],
            b"has space",
            b"tab\t",
            "é".as_bytes(),
            &[b'k'; 256],
        ] {
            assert!(IdempotencyKey::parse(bad).is_err(), "{bad:?}");
        }
    }
}
