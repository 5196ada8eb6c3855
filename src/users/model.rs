//! The user as stored and as shown.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::time::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Admin => "admin",
        }
    }

    pub fn parse(stored: &str) -> Option<Self> {
        match stored {
            "user" => Some(Self::User),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }
}

/// A stored account, password hash included: never serialised.
#[derive(Debug, Clone)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub name: Option<String>,
    /// Empty for an account that signs in only another way (see [`User::has_password`]).
    pub password_hash: String,
    pub role: Role,
    pub is_active: bool,
    pub email_verified: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl User {
    /// Whether the account can sign in with a password. Accounts created through another
    /// identity provider have none until they set one with "forgot password".
    pub fn has_password(&self) -> bool {
        !self.password_hash.is_empty()
    }
}

/// A user as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserResponse {
    pub id: Uuid,
    #[schema(format = "email", example = "ada@example.com")]
    pub email: String,
    #[schema(example = "Ada")]
    pub name: Option<String>,
    pub role: Role,
    pub email_verified: bool,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// Whether the account has a password (one created by signing in with another identity
    /// provider has none until it sets one through "forgot password").
    pub has_password: bool,
    /// Whether signing in needs a second factor (an authenticator app code or a recovery
    /// code).
    pub mfa_enabled: bool,
    /// Unused recovery codes; `0` while two-factor is off.
    #[schema(example = 10)]
    pub recovery_codes_remaining: i64,
}

impl UserResponse {
    /// With the account's two-factor status, which the user row does not hold.
    pub fn with_two_factor(mut self, (enabled, recovery_codes_left): (bool, i64)) -> Self {
        self.mfa_enabled = enabled;
        self.recovery_codes_remaining = recovery_codes_left;
        self
    }
}

/// A new or just-loaded account, its two-factor status not looked up (it is off for a new
/// account): see [`UserResponse::with_two_factor`].
impl From<User> for UserResponse {
    fn from(user: User) -> Self {
        Self {
            has_password: user.has_password(),
            id: user.id,
            email: user.email,
            name: user.name,
            role: user.role,
            email_verified: user.email_verified,
            created_at: user.created_at,
            mfa_enabled: false,
            recovery_codes_remaining: 0,
        }
    }
}

/// One of the user's signed-in devices.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionResponse {
    pub id: Uuid,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// When its tokens were last refreshed.
    #[schema(value_type = String, format = DateTime)]
    pub last_used_at: Timestamp,
    pub user_agent: Option<String>,
    /// The device in words, read from `user_agent` ("Chrome on Linux"); `null` when it
    /// names nothing recognisable.
    #[schema(example = "Chrome on Linux")]
    pub device: Option<String>,
    /// Whether this is the session of the access token making the request.
    pub current: bool,
}
