//! Access tokens (short-lived HS256 JWTs) and opaque refresh tokens.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::config::Settings;
use crate::time::Timestamp;

const AUDIENCE: &str = "neoforge";

/// What an access token asserts.
#[derive(Debug, Serialize, Deserialize)]
pub struct AccessClaims {
    /// The user.
    pub sub: Uuid,
    /// The session the token was issued for.
    pub sid: Uuid,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
}

pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    ttl: Duration,
}

impl TokenKeys {
    pub fn new(settings: &Settings) -> Self {
        // A key of its own, derived from the master secret, so other uses of the secret
        // (later: email links) can never verify as access tokens.
        let key = Sha256::new()
            .chain_update(b"neoforge access token v1\0")
            .chain_update(settings.secret.expose_secret().as_bytes())
            .finalize();
        // Only HS256 is accepted: `alg: none` and algorithm substitution are refused.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[&settings.public_url]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = 5;
        Self {
            encoding: EncodingKey::from_secret(&key),
            decoding: DecodingKey::from_secret(&key),
            validation,
            issuer: settings.public_url.clone(),
            ttl: settings.access_token_ttl,
        }
    }

    /// Lifetime of an access token, as `expires_in` reports it.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    pub fn issue(&self, user_id: Uuid, session_id: Uuid) -> anyhow::Result<String> {
        self.issue_at(user_id, session_id, Timestamp::now())
    }

    /// A token as if issued at `issued_at` (tests use it to make expired tokens).
    pub fn issue_at(
        &self,
        user_id: Uuid,
        session_id: Uuid,
        issued_at: Timestamp,
    ) -> anyhow::Result<String> {
        let iat = issued_at.as_millis() / 1000;
        let claims = AccessClaims {
            sub: user_id,
            sid: session_id,
            iat,
            exp: iat + self.ttl.as_secs() as i64,
            iss: self.issuer.clone(),
            aud: AUDIENCE.to_owned(),
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    /// The claims of a valid token; `None` for anything forged, expired or malformed.
    pub fn verify(&self, token: &str) -> Option<AccessClaims> {
        jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &self.validation)
            .ok()
            .map(|data| data.claims)
    }
}

/// An opaque token (refresh tokens, email links): 256 random bits, URL-safe. Only its hash
/// is stored.
pub fn new_opaque_token() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

/// What the database keeps of an opaque token: a leaked table grants nothing.
pub fn hash_opaque_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}
