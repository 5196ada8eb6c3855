//! Two-factor authentication: a code from an authenticator app (TOTP, RFC 6238) after the
//! first factor, or one of ten single-use recovery codes when the app is lost.
//!
//! Setting it up is two steps (`POST /api/users/me/2fa/totp` hands out the secret, `…/confirm`
//! with its first code turns it on and returns the recovery codes); signing in is two steps
//! too: the first factor answers `202` with an `mfa_token` (see
//! [`crate::auth::signin::after_first_factor`]) and `POST /api/auth/mfa` trades it and a code
//! for a session. A password reset does not turn two-factor off: whoever controls the
//! mailbox still needs the second factor to get in.

pub mod challenge;
pub mod model;
pub mod recovery_codes;
pub mod repo;
pub mod routes;
pub mod totp;

use uuid::Uuid;

use crate::db::{Conn, DbError};
use crate::time::Timestamp;
use totp::SecretSeal;

/// Whether the account signs in with a second factor, and how many recovery codes it has
/// left (`0` when two-factor is off).
pub async fn status(conn: &mut Conn, user_id: Uuid) -> Result<(bool, i64), DbError> {
    if !repo::is_enabled(conn, user_id).await? {
        return Ok((false, 0));
    }
    Ok((true, repo::recovery_codes_left(conn, user_id).await?))
}

/// What a code typed at sign-in turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsedCode {
    /// The authenticator's code of the current time step (give or take one).
    Totp,
    /// An unused recovery code, now used; `left` remain.
    RecoveryCode { left: i64 },
    /// Neither: wrong, replayed, or already used.
    Wrong,
}

impl UsedCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Totp => "totp",
            Self::RecoveryCode { .. } => "recovery_code",
            Self::Wrong => "wrong",
        }
    }
}

/// The current TOTP time base: Unix seconds.
pub fn now_secs() -> u64 {
    u64::try_from(Timestamp::now().as_millis() / 1000).unwrap_or_default()
}

/// A 6-digit code as typed ("123 456" too), or `None` when it is not one.
fn six_digits(typed: &str) -> Option<String> {
    let digits: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    (digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

/// Check `typed` against the account's authenticator (when two-factor is on) or its recovery
/// codes, and use it up when it is right: each authenticator code, and each recovery code,
/// works once. Run it in the transaction that acts on the result.
pub async fn use_code(
    conn: &mut Conn,
    seal: &SecretSeal,
    user_id: Uuid,
    typed: &str,
) -> Result<UsedCode, DbError> {
    let Some(credential) = repo::find(conn, user_id).await? else {
        return Ok(UsedCode::Wrong);
    };
    if !credential.confirmed {
        return Ok(UsedCode::Wrong);
    }
    if let Some(code) = six_digits(typed) {
        let Some(secret) = seal.open(user_id, &credential.secret_encrypted) else {
            // Sealed under another NEOFORGE_SECRET: only recovery codes can help now.
            tracing::error!(%user_id, "the stored authenticator secret does not open");
            return Ok(UsedCode::Wrong);
        };
        let step = secret
            .check(&code, now_secs())
            .and_then(|step| i64::try_from(step).ok());
        return match step {
            Some(step) if repo::use_step(conn, user_id, step).await? => Ok(UsedCode::Totp),
            _ => Ok(UsedCode::Wrong),
        };
    }
    let Some(code) = recovery_codes::normalise(typed) else {
        return Ok(UsedCode::Wrong);
    };
    let hash = recovery_codes::hash(user_id, &code);
    if !repo::use_recovery_code(conn, user_id, &hash, Timestamp::now()).await? {
        return Ok(UsedCode::Wrong);
    }
    let left = repo::recovery_codes_left(conn, user_id).await?;
    Ok(UsedCode::RecoveryCode { left })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn six_digit_codes_may_have_spaces() {
        assert_eq!(six_digits("123456").as_deref(), Some("123456"));
        assert_eq!(six_digits(" 123 456 ").as_deref(), Some("123456"));
        for other in [
            "12345",
            "1234567",
            "12345a",
            "１２３４５６",
            "7k2m-9xq4-ht0c-wv3e",
        ] {
            assert_eq!(six_digits(other), None, "{other:?}");
        }
    }
}
