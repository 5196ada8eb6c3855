//! API keys as stored, parsed and shown, and the scopes they grant.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::model::display_name;
use crate::http::json::{FromJsonFields, JsonFields};
use crate::time::Timestamp;

/// Every key starts with this, so secret scanners and people can recognise one.
pub const KEY_PREFIX: &str = "nf_";
/// How much of a key is kept in clear and shown in lists: `nf_` and 8 characters.
const SHOWN_CHARS: usize = KEY_PREFIX.len() + 8;
/// `expires_in_days` at most (ten years).
const MAX_EXPIRY_DAYS: i64 = 3650;

/// What a key may do. A signed-in session may do everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    TodosRead,
    TodosWrite,
}

impl Scope {
    pub const ALL: [Self; 2] = [Self::TodosRead, Self::TodosWrite];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::TodosRead => "todos:read",
            Self::TodosWrite => "todos:write",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|scope| scope.as_str() == name)
    }

    fn bit(self) -> u8 {
        match self {
            Self::TodosRead => 1,
            Self::TodosWrite => 2,
        }
    }
}

/// A set of scopes: small and `Copy`, so it travels with the caller of every request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Scopes(u8);

impl Scopes {
    pub fn contains(self, scope: Scope) -> bool {
        self.0 & scope.bit() != 0
    }

    pub fn iter(self) -> impl Iterator<Item = Scope> {
        Scope::ALL
            .into_iter()
            .filter(move |scope| self.contains(*scope))
    }

    pub fn names(self) -> Vec<&'static str> {
        self.iter().map(Scope::as_str).collect()
    }

    /// As stored: the names, space-separated (the OAuth 2 convention).
    pub fn to_stored(self) -> String {
        self.names().join(" ")
    }

    /// A stored value; names this version does not know are ignored (they grant nothing).
    pub fn from_stored(stored: &str) -> Self {
        stored
            .split_ascii_whitespace()
            .filter_map(Scope::parse)
            .collect()
    }

    pub fn bits(self) -> u8 {
        self.0
    }

    pub fn from_bits(bits: u8) -> Self {
        Scope::ALL
            .into_iter()
            .filter(|scope| bits & scope.bit() != 0)
            .collect()
    }
}

impl FromIterator<Scope> for Scopes {
    fn from_iter<I: IntoIterator<Item = Scope>>(scopes: I) -> Self {
        Self(scopes.into_iter().fold(0, |bits, scope| bits | scope.bit()))
    }
}

/// A new key's secret: `nf_` and 256 random bits, URL-safe.
pub fn new_secret() -> String {
    format!("{KEY_PREFIX}{}", crate::auth::token::new_opaque_token())
}

/// What lists show of a key: its first characters.
pub fn shown_prefix(secret: &str) -> String {
    secret.chars().take(SHOWN_CHARS).collect()
}

/// A key as listed (never its secret).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiKey {
    pub id: Uuid,
    #[schema(example = "Claude on my laptop")]
    pub name: String,
    /// The key's first characters, to tell keys apart.
    #[schema(example = "nf_q3Zt8xKa")]
    pub prefix: String,
    #[schema(value_type = Vec<ScopeName>)]
    pub scopes: Vec<&'static str>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// Updated at most once a minute; `null` until first used.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used_at: Option<Timestamp>,
    /// `null`: never expires.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<Timestamp>,
}

/// A scope's name.
#[derive(ToSchema)]
#[schema(as = ApiKeyScope)]
#[allow(dead_code)]
pub enum ScopeName {
    /// List and read todos, and follow their changes.
    #[schema(rename = "todos:read")]
    TodosRead,
    /// Create, change and delete todos.
    #[schema(rename = "todos:write")]
    TodosWrite,
}

/// The answer to creating a key: the key and, this once, its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiKey {
    #[serde(flatten)]
    pub key: ApiKey,
    /// The secret, `nf_…`: send it as `Authorization: Bearer nf_…`. Shown only now.
    #[schema(example = "nf_q3Zt8xKaH2mV0cQw9eLr7yTn4uBp1sDf6gJk5hZx3Ao")]
    #[serde(rename = "key")]
    pub secret: String,
}

/// `POST /api/users/me/api-keys`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CreateApiKey, example = json!({"name": "Claude on my laptop", "scopes": ["todos:read", "todos:write"], "expires_in_days": 90}))]
pub struct CreateApiKeySchema {
    /// 1 to 100 characters after trimming; no control characters.
    #[schema(min_length = 1, max_length = 100, pattern = "\\S")]
    pub name: String,
    /// At least one; each at most once.
    #[schema(value_type = Vec<ScopeName>, min_items = 1, max_items = 2)]
    pub scopes: Vec<String>,
    /// Days until the key stops working, 1 to 3650; absent or `null`: never.
    #[schema(required = false, minimum = 1, maximum = 3650, nullable)]
    pub expires_in_days: Option<i64>,
}

pub struct CreateApiKey {
    pub name: String,
    pub scopes: Scopes,
    pub expires_in_days: Option<i64>,
}

impl FromJsonFields for CreateApiKey {
    fn from_fields(fields: &mut JsonFields) -> Option<Self> {
        let name = fields.required("name", |value| {
            display_name(value)?.ok_or_else(|| "must not be empty".to_owned())
        });
        let scopes = fields.required("scopes", parse_scopes);
        let expires_in_days = fields.optional("expires_in_days", |value| match value {
            Value::Null => Ok(None),
            value => value
                .as_i64()
                .filter(|days| (1..=MAX_EXPIRY_DAYS).contains(days))
                .map(Some)
                .ok_or_else(|| format!("must be a whole number of days, 1 to {MAX_EXPIRY_DAYS}")),
        });
        Some(Self {
            name: name?,
            scopes: scopes?,
            expires_in_days: expires_in_days?.flatten(),
        })
    }
}

fn parse_scopes(value: Value) -> Result<Scopes, String> {
    let allowed = || Scope::ALL.map(Scope::as_str).join(", ");
    let Value::Array(items) = value else {
        return Err(format!("must be a list of scopes: {}", allowed()));
    };
    if items.is_empty() {
        return Err(format!("must name at least one of {}", allowed()));
    }
    let mut scopes = Vec::with_capacity(items.len());
    for item in items {
        let scope = item
            .as_str()
            .and_then(Scope::parse)
            .ok_or_else(|| format!("each must be one of {}", allowed()))?;
        if scopes.contains(&scope) {
            return Err(format!("names {} twice", scope.as_str()));
        }
        scopes.push(scope);
    }
    Ok(scopes.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_round_trip_through_storage_and_bits() {
        let both: Scopes = Scope::ALL.into_iter().collect();
        assert_eq!(both.to_stored(), "todos:read todos:write");
        assert_eq!(Scopes::from_stored(&both.to_stored()), both);
        assert_eq!(Scopes::from_bits(both.bits()), both);
        let read: Scopes = [Scope::TodosRead].into_iter().collect();
        assert!(read.contains(Scope::TodosRead) && !read.contains(Scope::TodosWrite));
        assert_eq!(Scopes::from_stored("todos:read admin:all"), read);
    }

    #[test]
    fn scope_lists_are_checked() {
        assert!(parse_scopes(serde_json::json!([])).is_err());
        assert!(parse_scopes(serde_json::json!(["todos:read", "todos:read"])).is_err());
        assert!(parse_scopes(serde_json::json!(["admin"])).is_err());
        assert!(parse_scopes(serde_json::json!("todos:read")).is_err());
        assert!(parse_scopes(serde_json::json!(["todos:write"])).is_ok());
    }

    #[test]
    fn secrets_are_prefixed_long_and_distinct() {
        let (a, b) = (new_secret(), new_secret());
        assert!(a.starts_with("nf_") && a.len() == 3 + 43);
        assert_ne!(a, b);
        assert_eq!(shown_prefix(&a).len(), 11);
        assert!(a.starts_with(&shown_prefix(&a)));
    }
}
