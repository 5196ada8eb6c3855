//! Bodies of the session and account-recovery routes.

use secrecy::SecretString;
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::auth::model::{Email, NewPassword};
use crate::http::json::{FromJsonFields, JsonFields, string};

/// Longest opaque token accepted; ours are 43 characters.
const MAX_TOKEN_LEN: usize = 256;

/// Field parser: an opaque token (refresh token, email link token).
pub fn opaque_token(value: Value) -> Result<SecretString, String> {
    let token = string(value)?;
    if token.is_empty() || token.len() > MAX_TOKEN_LEN {
        return Err(format!("must be 1 to {MAX_TOKEN_LEN} characters"));
    }
    Ok(token.into())
}

/// `POST /api/auth/refresh` and `/logout` (the cookie may carry the token instead).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RefreshRequest)]
pub struct RefreshRequestSchema {
    /// Omit it (send no body) to use the `neoforge_refresh` cookie.
    #[schema(min_length = 1, max_length = 256)]
    pub refresh_token: String,
}

pub struct RefreshRequest {
    pub refresh_token: SecretString,
}

impl FromJsonFields for RefreshRequest {
    fn from_fields(fields: &mut JsonFields) -> Option<Self> {
        let refresh_token = fields.required("refresh_token", opaque_token)?;
        Some(Self { refresh_token })
    }
}

/// `POST /api/auth/verify-email`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = VerifyEmailRequest)]
pub struct VerifyEmailRequestSchema {
    /// The `token` of the link in the verification email.
    #[schema(min_length = 1, max_length = 256)]
    pub token: String,
}

pub struct VerifyEmail {
    pub token: SecretString,
}

impl FromJsonFields for VerifyEmail {
    fn from_fields(fields: &mut JsonFields) -> Option<Self> {
        let token = fields.required("token", opaque_token)?;
        Some(Self { token })
    }
}

/// `POST /api/auth/forgot-password`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ForgotPasswordRequest)]
pub struct ForgotPasswordRequestSchema {
    #[schema(format = "email")]
    pub email: String,
}

pub struct ForgotPassword {
    pub email: Email,
}

impl FromJsonFields for ForgotPassword {
    fn from_fields(fields: &mut JsonFields) -> Option<Self> {
        let email = fields.required("email", |v| Email::parse(&string(v)?))?;
        Some(Self { email })
    }
}

/// `POST /api/auth/reset-password`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ResetPasswordRequest)]
pub struct ResetPasswordRequestSchema {
    /// The `token` of the link in the reset email.
    #[schema(min_length = 1, max_length = 256)]
    pub token: String,
    /// 10 to 128 characters, not the email address.
    #[schema(min_length = 10, max_length = 128, format = Password)]
    pub new_password: String,
}

pub struct ResetPassword {
    pub token: SecretString,
    pub new_password: NewPassword,
}

impl FromJsonFields for ResetPassword {
    fn from_fields(fields: &mut JsonFields) -> Option<Self> {
        let token = fields.required("token", opaque_token);
        let new_password = fields.required("new_password", |v| NewPassword::parse(string(v)?));
        Some(Self {
            token: token?,
            new_password: new_password?,
        })
    }
}
