//! SQL for the authenticator secrets, recovery codes and pending second-factor sign-ins.
//! Every "use once" is a single conditional `UPDATE`: of two concurrent uses, one wins.

use uuid::Uuid;

use crate::db::{Conn, DbError};
use crate::params;
use crate::time::Timestamp;

/// The account's authenticator, confirmed or waiting for its first code.
pub struct Credential {
    pub secret_encrypted: String,
    pub confirmed: bool,
}

pub async fn find(conn: &mut Conn, user_id: Uuid) -> Result<Option<Credential>, DbError> {
    conn.query_opt(
        "SELECT secret_encrypted, confirmed_at FROM totp_credentials WHERE user_id = $1",
        params![user_id],
        |row| {
            Ok(Credential {
                secret_encrypted: row.text(0)?,
                confirmed: row.opt_int(1)?.is_some(),
            })
        },
    )
    .await
}

/// Whether two-factor sign-in is on for the account.
pub async fn is_enabled(conn: &mut Conn, user_id: Uuid) -> Result<bool, DbError> {
    Ok(find(conn, user_id)
        .await?
        .is_some_and(|credential| credential.confirmed))
}

/// Start (or restart) an enrolment with a new secret; `false` when two-factor is already on,
/// which a pending enrolment never overwrites.
pub async fn upsert_pending(
    conn: &mut Conn,
    user_id: Uuid,
    secret_encrypted: &str,
    now: Timestamp,
) -> Result<bool, DbError> {
    conn.execute(
        "INSERT INTO totp_credentials (user_id, secret_encrypted, created_at) \
         VALUES ($1, $2, $3) \
         ON CONFLICT (user_id) DO UPDATE SET secret_encrypted = excluded.secret_encrypted, \
         created_at = excluded.created_at, last_used_step = NULL \
         WHERE totp_credentials.confirmed_at IS NULL",
        params![user_id, secret_encrypted, now],
    )
    .await
    .map(|changed| changed > 0)
}

/// Turn the pending enrolment with exactly this secret on, recording `step` as used; `false`
/// when it was replaced or confirmed meanwhile.
pub async fn confirm(
    conn: &mut Conn,
    user_id: Uuid,
    secret_encrypted: &str,
    step: i64,
    now: Timestamp,
) -> Result<bool, DbError> {
    conn.execute(
        "UPDATE totp_credentials SET confirmed_at = $3, last_used_step = $4 \
         WHERE user_id = $1 AND secret_encrypted = $2 AND confirmed_at IS NULL",
        params![user_id, secret_encrypted, now, step],
    )
    .await
    .map(|changed| changed > 0)
}

/// Record that the code of time step `step` was used; `false` when that step (or a later
/// one) was used already, so the code is a replay.
pub async fn use_step(conn: &mut Conn, user_id: Uuid, step: i64) -> Result<bool, DbError> {
    conn.execute(
        "UPDATE totp_credentials SET last_used_step = $2 \
         WHERE user_id = $1 AND confirmed_at IS NOT NULL \
         AND (last_used_step IS NULL OR last_used_step < $2)",
        params![user_id, step],
    )
    .await
    .map(|changed| changed > 0)
}

/// Remove the account's authenticator, recovery codes and pending sign-ins; `true` when
/// two-factor was on.
pub async fn delete_all(conn: &mut Conn, user_id: Uuid) -> Result<bool, DbError> {
    let was_on = conn
        .execute(
            "DELETE FROM totp_credentials WHERE user_id = $1 AND confirmed_at IS NOT NULL",
            params![user_id],
        )
        .await?
        > 0;
    conn.execute(
        "DELETE FROM totp_credentials WHERE user_id = $1",
        params![user_id],
    )
    .await?;
    conn.execute(
        "DELETE FROM recovery_codes WHERE user_id = $1",
        params![user_id],
    )
    .await?;
    end_challenges(conn, user_id).await?;
    Ok(was_on)
}

/// Replace the account's recovery codes with these hashes.
pub async fn replace_recovery_codes(
    conn: &mut Conn,
    user_id: Uuid,
    hashes: &[String],
    now: Timestamp,
) -> Result<(), DbError> {
    conn.execute(
        "DELETE FROM recovery_codes WHERE user_id = $1",
        params![user_id],
    )
    .await?;
    for hash in hashes {
        conn.execute(
            "INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES ($1, $2, $3)",
            params![user_id, hash, now],
        )
        .await?;
    }
    Ok(())
}

/// Use up one of the account's recovery codes; `false` when it is not one or was used.
pub async fn use_recovery_code(
    conn: &mut Conn,
    user_id: Uuid,
    hash: &str,
    now: Timestamp,
) -> Result<bool, DbError> {
    conn.execute(
        "UPDATE recovery_codes SET used_at = $3 \
         WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
        params![user_id, hash, now],
    )
    .await
    .map(|changed| changed > 0)
}

/// How many unused recovery codes the account has.
pub async fn recovery_codes_left(conn: &mut Conn, user_id: Uuid) -> Result<i64, DbError> {
    conn.query_one(
        "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL",
        params![user_id],
        |row| row.int(0),
    )
    .await
}

/// A sign-in waiting for its second factor.
pub struct NewChallenge<'a> {
    pub token_hash: &'a str,
    pub user_id: Uuid,
    pub first_factor: &'a str,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

pub async fn insert_challenge(
    conn: &mut Conn,
    challenge: &NewChallenge<'_>,
) -> Result<(), DbError> {
    conn.execute(
        "INSERT INTO mfa_challenges (token_hash, user_id, first_factor, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
        params![
            challenge.token_hash,
            challenge.user_id,
            challenge.first_factor,
            challenge.created_at,
            challenge.expires_at,
        ],
    )
    .await
    .map(drop)
}

/// A pending sign-in, found by its token.
pub struct Challenge {
    pub user_id: Uuid,
    pub first_factor: String,
    /// Attempts counted so far, this one included.
    pub attempts: i64,
}

/// Count one more attempt at the pending sign-in, before its code is checked, so that no
/// number of concurrent attempts gets more than `max_failures` codes checked. `None` when the
/// token is unknown, expired, used, or out of attempts.
pub async fn count_attempt(
    conn: &mut Conn,
    token_hash: &str,
    max_failures: i64,
    now: Timestamp,
) -> Result<Option<Challenge>, DbError> {
    conn.query_opt(
        "UPDATE mfa_challenges SET failures = failures + 1 \
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 AND failures < $3 \
         RETURNING user_id, first_factor, failures",
        params![token_hash, now, max_failures],
        |row| {
            Ok(Challenge {
                user_id: row.uuid(0)?,
                first_factor: row.text(1)?,
                attempts: row.int(2)?,
            })
        },
    )
    .await
}

/// The user of a live pending sign-in, without counting an attempt.
pub async fn find_challenge(
    conn: &mut Conn,
    token_hash: &str,
    max_failures: i64,
    now: Timestamp,
) -> Result<Option<Uuid>, DbError> {
    conn.query_opt(
        "SELECT user_id FROM mfa_challenges \
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 AND failures < $3",
        params![token_hash, now, max_failures],
        |row| row.uuid(0),
    )
    .await
}

/// Complete the pending sign-in: `false` when a concurrent attempt completed it first.
pub async fn complete_challenge(
    conn: &mut Conn,
    token_hash: &str,
    now: Timestamp,
) -> Result<bool, DbError> {
    conn.execute(
        "UPDATE mfa_challenges SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL",
        params![token_hash, now],
    )
    .await
    .map(|changed| changed > 0)
}

/// End every pending sign-in of the account (its password or second factor changed).
pub async fn end_challenges(conn: &mut Conn, user_id: Uuid) -> Result<u64, DbError> {
    conn.execute(
        "DELETE FROM mfa_challenges WHERE user_id = $1",
        params![user_id],
    )
    .await
}

/// Delete pending sign-ins that ended before `cutoff`.
pub async fn purge_challenges(conn: &mut Conn, cutoff: Timestamp) -> Result<u64, DbError> {
    conn.execute(
        "DELETE FROM mfa_challenges WHERE expires_at < $1",
        params![cutoff],
    )
    .await
}
