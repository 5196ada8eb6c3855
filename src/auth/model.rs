//! Request and response types of the auth routes, and the domain newtypes whose
//! constructors are the only way in: an invalid email or password cannot exist past here.

use axum::http::{HeaderMap, header};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::http::json::{FromJsonFields, JsonFields, string};
use crate::http::query::QueryFields;

const MAX_EMAIL_LEN: usize = 254;
const MIN_PASSWORD_CHARS: usize = 10;
const MAX_PASSWORD_CHARS: usize = 128;
const MAX_NAME_CHARS: usize = 100;

/// A normalised email address of a plausible shape: NFKC, then trimmed and lower-cased, so
/// full-width or otherwise compatible spellings of one address are one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let email = Self::normalise(raw);
        // Invisible characters (zero-width spaces, bidi controls, soft hyphens) would make
        // look-alike accounts: refuse them by name rather than as a bad shape.
        if email.chars().any(is_invisible_or_control) {
            return Err("must not contain invisible or control characters".to_owned());
        }
        let valid_shape = email.len() <= MAX_EMAIL_LEN
            && email.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            })
            && !email.chars().any(char::is_whitespace)
            // What the mailer can send to (a local part of at most 64 characters, a
            // well-formed domain): an account must be able to receive its own emails.
            && email.parse::<lettre::Address>().is_ok();
        if valid_shape {
            Ok(Self(email))
        } else {
            Err("must be a valid email address".to_owned())
        }
    }

    /// The form every address is stored and looked up in, checked or not: sign-in compares
    /// what the user typed in this form without judging its shape.
    pub fn normalise(raw: &str) -> String {
        raw.nfkc().collect::<String>().trim().to_lowercase()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Control characters and the invisible format characters (Unicode category Cf).
fn is_invisible_or_control(c: char) -> bool {
    matches!(
        c.general_category(),
        GeneralCategory::Control | GeneralCategory::Format
    )
}

/// The explicit text-direction marks, embeddings, overrides and isolates (Unicode bidi
/// control characters).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A new password: 10 to 128 characters. Never printed.
pub struct NewPassword(SecretString);

impl NewPassword {
    pub fn parse(raw: String) -> Result<Self, String> {
        let chars = raw.chars().count();
        if (MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&chars) {
            Ok(Self(raw.into()))
        } else {
            Err(format!(
                "must be {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters"
            ))
        }
    }

    pub fn into_secret(self) -> SecretString {
        self.0
    }

    pub fn as_secret(&self) -> &SecretString {
        &self.0
    }

    /// Whether this is the account's (normalised) email address: refused, as the first
    /// thing an attacker tries.
    pub fn is_email(&self, email: &str) -> bool {
        self.0.expose_secret().trim().to_lowercase() == email
    }
}

/// A display name: trimmed, at most 100 characters; empty means none.
pub fn display_name(value: Value) -> Result<Option<String>, String> {
    if value.is_null() {
        return Ok(None);
    }
    let name = string(value)?.trim().to_owned();
    // Shown to admins and written into emails: no line breaks or controls, and no bidi
    // overrides that would make it read as something else. Joiners stay (scripts need them).
    if name.chars().any(|c| c.is_control() || is_bidi_control(c)) {
        return Err("must not contain control or text-direction characters".to_owned());
    }
    match name.chars().count() {
        0 => Ok(None),
        n if n <= MAX_NAME_CHARS => Ok(Some(name)),
        _ => Err(format!("must be at most {MAX_NAME_CHARS} characters")),
    }
}

/// `POST /api/auth/register`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RegisterRequest, example = json!({"email": "ada@example.com", "password": "correct horse battery", "name": "Ada"}))]
pub struct RegisterRequestSchema {
    /// Trimmed and lower-cased before use.
    #[schema(format = "email", max_length = 254)]
    pub email: String,
    /// 10 to 128 characters, not the email address.
    #[schema(min_length = 10, max_length = 128, format = Password)]
    pub password: String,
    #[schema(max_length = 100)]
    pub name: Option<String>,
}

pub struct Register {
    pub email: Email,
    pub password: NewPassword,
    pub name: Option<String>,
}

impl FromJsonFields for Register {
    fn from_fields(fields: &mut JsonFields) -> Option<Self> {
        let email = fields.required("email", |v| Email::parse(&string(v)?));
        let password = fields.required("password", |v| NewPassword::parse(string(v)?));
        let name = fields.optional("name", display_name);
        let (email, password) = (email?, password?);
        if password.is_email(email.as_str()) {
            fields.reject("password", "must not be the email address");
            return None;
        }
        Some(Self {
            email,
            password,
            name: name?.flatten(),
        })
    }
}

/// `POST /api/auth/login`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = LoginRequest, example = json!({"email": "ada@example.com", "password": "correct horse battery"}))]
pub struct LoginRequestSchema {
    #[schema(format = "email")]
    pub email: String,
    #[schema(format = Password, max_length = 1024)]
    pub password: String,
}

pub struct Login {
    /// Not validated beyond being a string: a malformed email simply matches no account.
    pub email: String,
    pub password: SecretString,
}

/// Longest password a login attempt may send; longer ones cannot match any account.
const MAX_LOGIN_PASSWORD_BYTES: usize = 1024;

impl FromJsonFields for Login {
    fn from_fields(fields: &mut JsonFields) -> Option<Self> {
        let email = fields.required("email", string);
        let password = fields.required("password", |v| {
            let password = string(v)?;
            if password.len() > MAX_LOGIN_PASSWORD_BYTES {
                return Err(format!("must be at most {MAX_LOGIN_PASSWORD_BYTES} bytes"));
            }
            Ok(SecretString::from(password))
        });
        Some(Self {
            email: Email::normalise(&email?),
            password: password?,
        })
    }
}

impl Login {
    /// The OAuth2 password grant form (`grant_type=password&username=...&password=...`, as the
    /// interactive docs send it). `scope` and client credentials mean nothing here and are
    /// ignored; any other field is an error, as in JSON bodies.
    pub fn from_password_form(headers: &HeaderMap, body: &[u8]) -> Result<Self, ApiError> {
        let is_form = headers
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .is_some_and(|essence| {
                essence
                    .trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            });
        if !is_form {
            return Err(ApiError::UnsupportedMediaType);
        }
        let body =
            std::str::from_utf8(body).map_err(|_| ApiError::MalformedBody("not UTF-8".into()))?;
        let mut fields = QueryFields::parse(Some(body))?;
        let grant_type = fields.optional("grant_type", |raw| {
            if raw == "password" {
                Ok(())
            } else {
                Err("must be password".to_owned())
            }
        });
        for ignored in ["scope", "client_id", "client_secret"] {
            fields.optional(ignored, |_| Ok(()));
        }
        let email = fields.required("username", |raw| Ok(Email::normalise(raw)));
        let password = fields.required("password", |raw| {
            if raw.len() > MAX_LOGIN_PASSWORD_BYTES {
                return Err(format!("must be at most {MAX_LOGIN_PASSWORD_BYTES} bytes"));
            }
            Ok(SecretString::from(raw.to_owned()))
        });
        let login = grant_type
            .and(email)
            .zip(password)
            .map(|(email, password)| Self { email, password });
        fields.finish(login)
    }
}

/// `POST /api/auth/token`: the OAuth2 password grant form.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = TokenForm)]
pub struct TokenFormSchema {
    /// `password`, if sent.
    #[schema(required = false, pattern = "^password$")]
    pub grant_type: String,
    /// The account's email address.
    pub username: String,
    #[schema(format = Password, max_length = 1024)]
    pub password: String,
    /// Ignored.
    #[schema(required = false)]
    pub scope: String,
    /// Ignored.
    #[schema(required = false)]
    pub client_id: String,
    /// Ignored.
    #[schema(required = false)]
    pub client_secret: String,
}

/// A signed-in session's credentials.
#[derive(Serialize, ToSchema)]
pub struct TokenPair {
    /// Short-lived JWT for `Authorization: Bearer`.
    pub access_token: String,
    /// Opaque, single-use token for getting a new pair.
    pub refresh_token: String,
    #[schema(example = "bearer")]
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    #[schema(example = 900)]
    pub expires_in: u64,
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn email_normalisation_is_idempotent(raw in "\\PC{0,40}") {
            if let Ok(email) = Email::parse(&raw) {
                prop_assert_eq!(Email::parse(email.as_str()).unwrap(), email.clone());
                prop_assert_eq!(email.as_str(), email.as_str().trim().to_lowercase());
                prop_assert!(!email.as_str().chars().any(is_invisible_or_control));
            }
        }

        #[test]
        fn plausible_addresses_are_accepted(
            local in "[a-z0-9_+-]{1,10}(\\.[a-z0-9_+-]{1,9})?",
            domain in "[a-z0-9]([a-z0-9-]{0,18}[a-z0-9])?\\.[a-z]{2,6}",
        ) {
            let raw = format!(" {}@{} ", local.to_uppercase(), domain);
            let email = Email::parse(&raw).unwrap();
            prop_assert_eq!(email.as_str(), format!("{local}@{domain}"));
        }
    }

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            Email::parse("  Ada@Example.COM ").unwrap().as_str(),
            "ada@example.com"
        );
        for bad in [
            "",
            "ada",
            "@example.com",
            "ada@",
            "ada@example",
            "a b@example.com",
            "a@b@c.com",
            "ada@.com",
            // RFC 5321: a local part has at most 64 characters.
            &format!("{}@example.com", "a".repeat(65)),
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be rejected");
        }
        assert!(Email::parse(&format!("{}@example.com", "a".repeat(64))).is_ok());
    }

    #[test]
    fn look_alike_emails_are_one_address_or_refused() {
        // Full-width letters and the full-width at sign are compatibility forms.
        assert_eq!(
            Email::parse("ｃａｓｅ＠ｅｘａｍｐｌｅ．ｃｏｍ")
                .unwrap()
                .as_str(),
            "case@example.com"
        );
        for invisible in [
            "case@example.com\u{200B}",
            "ca\u{200D}se@example.com",
            "case@exam\u{00AD}ple.com",
            "\u{202E}case@example.com",
            "\u{FEFF}case@example.com",
            "case\u{0000}@example.com",
        ] {
            assert_eq!(
                Email::parse(invisible).unwrap_err(),
                "must not contain invisible or control characters",
                "{invisible:?}"
            );
        }
    }

    #[test]
    fn passwords_are_10_to_128_characters() {
        assert!(NewPassword::parse("123456789".into()).is_err());
        assert!(NewPassword::parse("1234567890".into()).is_ok());
        assert!(NewPassword::parse("é".repeat(128)).is_ok());
        assert!(NewPassword::parse("x".repeat(129)).is_err());
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(display_name(Value::from("  Ada ")), Ok(Some("Ada".into())));
        assert_eq!(display_name(Value::from("   ")), Ok(None));
        assert_eq!(display_name(Value::Null), Ok(None));
        assert!(display_name(Value::from("x".repeat(101))).is_err());
        assert!(display_name(Value::from(3)).is_err());
    }

    #[test]
    fn names_refuse_line_breaks_controls_and_direction_overrides() {
        for bad in [
            "Eve\r\nBcc: x@example.com",
            "tab\there",
            "\u{202E}evE",
            "a\u{2066}b",
        ] {
            assert_eq!(
                display_name(Value::from(bad)).unwrap_err(),
                "must not contain control or text-direction characters",
                "{bad:?}"
            );
        }
        // Joiners are part of how some scripts and emoji are written.
        for good in ["می\u{200C}خواهم", "👩\u{200D}💻 Ada"] {
            assert_eq!(display_name(Value::from(good)), Ok(Some(good.to_owned())));
        }
    }
}
