//! Passkeys as shown, and the bodies of the passkey routes.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;
use webauthn_rs::prelude::{PublicKeyCredential, RegisterPublicKeyCredential};

use crate::auth::model::display_name;
use crate::http::json::{FromJsonFields, JsonFields, string};
use crate::time::Timestamp;

/// A passkey as listed (never its key material).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PasskeyResponse {
    pub id: Uuid,
    #[schema(example = "Phone")]
    pub name: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// When it last signed in; `null` until then.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used_at: Option<Timestamp>,
}

/// The start of a ceremony: its id and the options for the browser.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "ceremony_id": "Jq4Yt0e5oK3Xr9bW2c7Vx1sZp8LmN6aQ4uH0fD2gE3k",
    "expires_in": 300,
    "options": {"challenge": "q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c", "rpId": "example.com",
        "timeout": 300000, "userVerification": "required", "allowCredentials": []}
}))]
pub struct CeremonyOptions {
    /// Send it back with the browser's answer; it works once.
    pub ceremony_id: String,
    /// Seconds until the ceremony expires.
    pub expires_in: u64,
    /// WebAuthn options in their JSON form (`PublicKeyCredentialCreationOptionsJSON` or
    /// `PublicKeyCredentialRequestOptionsJSON`, binary members base64url-encoded): pass them to
    /// `PublicKeyCredential.parseCreationOptionsFromJSON` (or `parseRequestOptionsFromJSON`)
    /// and the result to `navigator.credentials.create` (or `get`) as `publicKey`.
    #[schema(value_type = Object)]
    pub options: Value,
}

/// `POST /api/users/me/passkeys`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AddPasskey)]
pub struct AddPasskeySchema {
    /// From `POST /api/users/me/passkeys/registration`.
    pub ceremony_id: String,
    /// 1 to 100 characters after trimming, such as the device it lives on.
    #[schema(min_length = 1, max_length = 100, pattern = "\\S", example = "Phone")]
    pub name: String,
    /// The answer of `navigator.credentials.create()`, as `PublicKeyCredential.toJSON()`
    /// writes it.
    #[schema(value_type = Object, example = json!({
        "id": "AbCd", "rawId": "AbCd", "type": "public-key",
        "response": {"clientDataJSON": "eyJ0", "attestationObject": "o2Nm"},
        "clientExtensionResults": {}
    }))]
    pub credential: Value,
}

pub struct AddPasskey {
    pub ceremony_id: String,
    pub name: String,
    pub credential: RegisterPublicKeyCredential,
}

impl FromJsonFields for AddPasskey {
    fn from_fields(fields: &mut JsonFields) -> Option<Self> {
        let ceremony_id = fields.required("ceremony_id", string);
        let name = fields.required("name", passkey_name);
        let credential = fields.required("credential", |value| {
            credential_json(
                value,
                "a registration response of navigator.credentials.create()",
            )
        });
        Some(Self {
            ceremony_id: ceremony_id?,
            name: name?,
            credential: credential?,
        })
    }
}

/// `PATCH /api/users/me/passkeys/{id}`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RenamePasskey, example = json!({"name": "Work laptop"}))]
pub struct RenamePasskeySchema {
    /// 1 to 100 characters after trimming.
    #[schema(min_length = 1, max_length = 100, pattern = "\\S")]
    pub name: String,
}

pub struct RenamePasskey {
    pub name: String,
}

impl FromJsonFields for RenamePasskey {
    fn from_fields(fields: &mut JsonFields) -> Option<Self> {
        let name = fields.required("name", passkey_name);
        Some(Self { name: name? })
    }
}

/// `POST /api/auth/passkey` and `POST /api/auth/passkey/reauthenticate`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PasskeyAssertion)]
pub struct PasskeyAssertionSchema {
    /// From `POST /api/auth/passkey/options`.
    pub ceremony_id: String,
    /// The answer of `navigator.credentials.get()`, as `PublicKeyCredential.toJSON()` writes
    /// it.
    #[schema(value_type = Object, example = json!({
        "id": "AbCd", "rawId": "AbCd", "type": "public-key",
        "response": {"clientDataJSON": "eyJ0", "authenticatorData": "SZYN", "signature": "MEUC",
            "userHandle": "AZAx"},
        "clientExtensionResults": {}
    }))]
    pub credential: Value,
}

pub struct PasskeyAssertion {
    pub ceremony_id: String,
    pub credential: PublicKeyCredential,
}

impl FromJsonFields for PasskeyAssertion {
    fn from_fields(fields: &mut JsonFields) -> Option<Self> {
        let ceremony_id = fields.required("ceremony_id", string);
        let credential = fields.required("credential", |value| {
            credential_json(value, "an assertion of navigator.credentials.get()")
        });
        Some(Self {
            ceremony_id: ceremony_id?,
            credential: credential?,
        })
    }
}

fn passkey_name(value: Value) -> Result<String, String> {
    display_name(value)?.ok_or_else(|| "must not be empty".to_owned())
}

/// A WebAuthn credential in its JSON form. NUL is refused in it like in every other string.
fn credential_json<T: serde::de::DeserializeOwned>(value: Value, what: &str) -> Result<T, String> {
    if !value.is_object() {
        return Err(format!(
            "must be {what}, as PublicKeyCredential.toJSON() gives it"
        ));
    }
    if value.to_string().contains("\\u0000") {
        return Err("must not contain NUL characters".to_owned());
    }
    serde_json::from_value(value)
        .map_err(|err| format!("must be {what}, as PublicKeyCredential.toJSON() gives it: {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn credentials_must_have_the_webauthn_shape() {
        let what = "an assertion";
        assert!(credential_json::<PublicKeyCredential>(json!("x"), what).is_err());
        assert!(credential_json::<PublicKeyCredential>(json!({"id": "x"}), what).is_err());
        let assertion = json!({
            "id": "AQID", "rawId": "AQID", "type": "public-key",
            "response": {"clientDataJSON": "e30", "authenticatorData": "AA", "signature": "AA",
                "userHandle": "AQID"},
            "clientExtensionResults": {}, "authenticatorAttachment": "platform"
        });
        let parsed: PublicKeyCredential = credential_json(assertion.clone(), what).unwrap();
        assert_eq!(parsed.raw_id, [1, 2, 3]);
        let mut with_nul = assertion;
        with_nul["id"] = json!("a\u{0}b");
        assert_eq!(
            credential_json::<PublicKeyCredential>(with_nul, what).unwrap_err(),
            "must not contain NUL characters"
        );
    }
}
