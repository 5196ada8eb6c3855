//! Bodies of the current-user routes. Only the fields listed can be set: a body naming any
//! other (`role`, `is_active`, `email_verified`, ...) is refused with `422`.

use secrecy::SecretString;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::auth::model::{NewPassword, display_name};
use crate::http::json::{FromJsonFields, JsonFields, string};

/// Longest password a check may send; longer ones cannot match.
const MAX_PASSWORD_BYTES: usize = 1024;

fn password(value: serde_json::Value) -> Result<SecretString, String> {
    let password = string(value)?;
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(format!("must be at most {MAX_PASSWORD_BYTES} bytes"));
    }
    Ok(password.into())
}

/// `PATCH /api/users/me`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = UpdateMeRequest)]
pub struct UpdateMeRequestSchema {
    /// Trimmed, at most 100 characters; `null` or empty clears it.
    #[schema(max_length = 100)]
    pub name: Option<String>,
}

pub struct UpdateMe {
    /// `None`: leave as is; `Some(None)`: clear.
    pub name: Option<Option<String>>,
}

impl FromJsonFields for UpdateMe {
    fn from_fields(fields: &mut JsonFields) -> Option<Self> {
        let name = fields.optional("name", display_name)?;
        Some(Self { name })
    }
}

/// `POST /api/users/me/password`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ChangePasswordRequest)]
pub struct ChangePasswordRequestSchema {
    #[schema(format = Password)]
    pub current_password: String,
    /// 10 to 128 characters, not the email address.
    #[schema(min_length = 10, max_length = 128, format = Password)]
    pub new_password: String,
}

pub struct ChangePassword {
    pub current_password: SecretString,
    pub new_password: NewPassword,
}

impl FromJsonFields for ChangePassword {
    fn from_fields(fields: &mut JsonFields) -> Option<Self> {
        let current_password = fields.required("current_password", password);
        let new_password = fields.required("new_password", |v| NewPassword::parse(string(v)?));
        Some(Self {
            current_password: current_password?,
            new_password: new_password?,
        })
    }
}

/// `DELETE /api/users/me`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = DeleteMeRequest)]
pub struct DeleteMeRequestSchema {
    /// The account's password, to confirm.
    #[schema(format = Password)]
    pub password: String,
}

/// `POST /api/auth/reauthenticate`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ReauthenticateRequest)]
pub struct ReauthenticateRequestSchema {
    /// The account's password.
    #[schema(format = Password)]
    pub password: String,
}

/// A body that is only the account's password, typed again to confirm a sensitive change.
pub struct ConfirmPassword {
    pub password: SecretString,
}

impl FromJsonFields for ConfirmPassword {
    fn from_fields(fields: &mut JsonFields) -> Option<Self> {
        let password = fields.required("password", password)?;
        Some(Self { password })
    }
}
