//! Request and response bodies of the two-factor routes.

use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::auth::requests::opaque_token;
use crate::http::json::{FromJsonFields, JsonFields, string};
use crate::two_factor::recovery_codes;

/// A code as typed: a 6-digit authenticator code or a recovery code, spaces allowed.
fn code(value: Value) -> Result<SecretString, String> {
    let code = string(value)?;
    let length = code.trim().chars().count();
    if length == 0 || length > recovery_codes::MAX_INPUT_LEN {
        return Err(format!(
            "must be 1 to {} characters",
            recovery_codes::MAX_INPUT_LEN
        ));
    }
    Ok(code.into())
}

/// `201` of `POST /api/users/me/2fa/totp`: what the authenticator app needs. Nothing is on
/// until the first code is confirmed.
#[derive(Serialize, ToSchema)]
pub struct TotpEnrolment {
    /// The shared secret in base32, for typing into the app by hand.
    #[schema(example = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")]
    pub secret: String,
    /// `otpauth://totp/…`: what the QR code holds (SHA-1, 6 digits, 30 seconds).
    #[schema(
        example = "otpauth://totp/NeoForge:ada%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=NeoForge"
    )]
    pub otpauth_uri: String,
    /// The `otpauth_uri` as a QR code: an SVG document drawn by the server, to show as an
    /// image (`data:image/svg+xml,…`) for the app to scan.
    pub qr_svg: String,
}

/// `POST /api/users/me/2fa/totp/confirm`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ConfirmTotpRequest, example = json!({"code": "123456"}))]
pub struct ConfirmTotpRequestSchema {
    /// The code the authenticator app shows now.
    #[schema(min_length = 1, max_length = 64)]
    pub code: String,
}

pub struct ConfirmTotp {
    pub code: SecretString,
}

impl FromJsonFields for ConfirmTotp {
    fn from_fields(fields: &mut JsonFields) -> Option<Self> {
        let code = fields.required("code", code)?;
        Some(Self { code })
    }
}

/// Fresh recovery codes, shown this once: only their hashes are kept.
#[derive(Serialize, ToSchema)]
pub struct RecoveryCodes {
    /// Ten single-use codes, each a way to sign in without the authenticator app.
    #[schema(example = json!(["7k2m-9xq4-ht0c-wv3e", "…"]))]
    pub recovery_codes: Vec<String>,
}

/// `DELETE /api/users/me/2fa/totp`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = DisableTotpRequest)]
pub struct DisableTotpRequestSchema {
    /// The account's password, to confirm.
    #[schema(format = Password)]
    pub password: String,
}

/// `202` of a sign-in that needs its second factor.
#[derive(Serialize, ToSchema)]
pub struct MfaRequired {
    /// Always `true`.
    pub mfa_required: bool,
    /// Send it with a code to `POST /api/auth/mfa`. Single-use.
    pub mfa_token: String,
    /// Seconds until `mfa_token` expires.
    #[schema(example = 300)]
    pub expires_in: u64,
}

/// `POST /api/auth/mfa`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = MfaRequest, example = json!({"mfa_token": "q4Yh…", "code": "123456"}))]
pub struct MfaRequestSchema {
    /// From the `202` of the sign-in.
    #[schema(min_length = 1, max_length = 256)]
    pub mfa_token: String,
    /// The 6-digit code the authenticator app shows now, or an unused recovery code (case,
    /// spaces and dashes do not matter).
    #[schema(min_length = 1, max_length = 64)]
    pub code: String,
}

pub struct MfaSubmission {
    pub mfa_token: SecretString,
    pub code: SecretString,
}

impl FromJsonFields for MfaSubmission {
    fn from_fields(fields: &mut JsonFields) -> Option<Self> {
        let mfa_token = fields.required("mfa_token", opaque_token);
        let code = fields.required("code", code);
        Some(Self {
            mfa_token: mfa_token?,
            code: code?,
        })
    }
}
