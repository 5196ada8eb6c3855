//! The audit log: one row per security event, with who did it, to whom, from where. Written in
//! the transaction of the change it records. Never holds a password or a token.

pub mod repo;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::{Conn, DbError};
use crate::http::client::ClientInfo;
use crate::time::Timestamp;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuditEvent {
    Signup,
    LoginSucceeded,
    LoginFailed,
    Logout,
    SessionRevoked,
    RefreshReuseDetected,
    PasswordChanged,
    PasswordResetRequested,
    PasswordReset,
    EmailVerified,
    RoleChanged,
    UserActivated,
    UserDeactivated,
    AccountDeleted,
    ApiKeyCreated,
    ApiKeyRevoked,
    /// An API key used beyond its scopes, or on a route closed to keys.
    ApiKeyDenied,
    /// A session confirmed its password again before a sensitive change.
    Reauthenticated,
    TwoFactorEnabled,
    TwoFactorDisabled,
    /// A recovery code stood in for the authenticator app at sign-in.
    RecoveryCodeUsed,
    RecoveryCodesRegenerated,
    /// An identity at another provider was linked to the account.
    IdentityLinked,
    IdentityUnlinked,
    PasskeyAdded,
    PasskeyRemoved,
}

impl AuditEvent {
    pub const ALL: [Self; 26] = [
        Self::Signup,
        Self::LoginSucceeded,
        Self::LoginFailed,
        Self::Logout,
        Self::SessionRevoked,
        Self::RefreshReuseDetected,
        Self::PasswordChanged,
        Self::PasswordResetRequested,
        Self::PasswordReset,
        Self::EmailVerified,
        Self::RoleChanged,
        Self::UserActivated,
        Self::UserDeactivated,
        Self::AccountDeleted,
        Self::ApiKeyCreated,
        Self::ApiKeyRevoked,
        Self::ApiKeyDenied,
        Self::Reauthenticated,
        Self::TwoFactorEnabled,
        Self::TwoFactorDisabled,
        Self::RecoveryCodeUsed,
        Self::RecoveryCodesRegenerated,
        Self::IdentityLinked,
        Self::IdentityUnlinked,
        Self::PasskeyAdded,
        Self::PasskeyRemoved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Signup => "signup",
            Self::LoginSucceeded => "login_succeeded",
            Self::LoginFailed => "login_failed",
            Self::Logout => "logout",
            Self::SessionRevoked => "session_revoked",
            Self::RefreshReuseDetected => "refresh_reuse_detected",
            Self::PasswordChanged => "password_changed",
            Self::PasswordResetRequested => "password_reset_requested",
            Self::PasswordReset => "password_reset",
            Self::EmailVerified => "email_verified",
            Self::RoleChanged => "role_changed",
            Self::UserActivated => "user_activated",
            Self::UserDeactivated => "user_deactivated",
            Self::AccountDeleted => "account_deleted",
            Self::ApiKeyCreated => "api_key_created",
            Self::ApiKeyRevoked => "api_key_revoked",
            Self::ApiKeyDenied => "api_key_denied",
            Self::Reauthenticated => "reauthenticated",
            Self::TwoFactorEnabled => "two_factor_enabled",
            Self::TwoFactorDisabled => "two_factor_disabled",
            Self::RecoveryCodeUsed => "recovery_code_used",
            Self::RecoveryCodesRegenerated => "recovery_codes_regenerated",
            Self::IdentityLinked => "identity_linked",
            Self::IdentityUnlinked => "identity_unlinked",
            Self::PasskeyAdded => "passkey_added",
            Self::PasskeyRemoved => "passkey_removed",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|event| event.as_str() == name)
    }
}

/// One event to record.
pub struct Entry<'a> {
    pub event: AuditEvent,
    /// The account the event is about.
    pub user_id: Option<Uuid>,
    /// Who caused it, when not the user themself (an admin).
    pub actor_id: Option<Uuid>,
    pub client: &'a ClientInfo,
    /// Event-specific facts (never secrets).
    pub details: Value,
}

impl<'a> Entry<'a> {
    /// An event the user caused about their own account.
    pub fn by_user(event: AuditEvent, user_id: Uuid, client: &'a ClientInfo) -> Self {
        Self {
            event,
            user_id: Some(user_id),
            actor_id: Some(user_id),
            client,
            details: Value::Object(Default::default()),
        }
    }

    pub fn details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }
}

/// Record an event (on `conn`, usually the transaction of the change) and count it.
pub async fn record(conn: &mut Conn, entry: Entry<'_>) -> Result<(), DbError> {
    repo::insert(conn, &entry, Timestamp::now()).await?;
    metrics::counter!("neoforge_auth_events_total", "event" => entry.event.as_str()).increment(1);
    Ok(())
}
