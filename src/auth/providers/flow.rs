//! One sign-in at a provider, bound to the browser that started it. `start` sets a short-lived
//! cookie holding a random seed, signed with a key derived from `NEOFORGE_SECRET` and scoped
//! to the provider's callback path; the `state`, the OIDC `nonce` and the PKCE verifier are
//! derived from that seed with the same key. So the callback accepts only the browser that
//! started the flow, within its time, at that provider, and the cookie alone does not give
//! away the PKCE verifier (deriving it needs the server's secret).

use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

use crate::time::Timestamp;

pub const COOKIE: &str = "neoforge_provider_flow";
/// Time to sign in at the provider (its login, maybe a second factor there, its consent).
pub const TTL: Duration = Duration::from_secs(10 * 60);

type HmacSha256 = Hmac<Sha256>;

/// What the authorization request carries and the callback checks.
pub struct FlowSecrets {
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// The key that signs flow cookies and derives their secrets: not the secret itself, so that
/// nothing here can be replayed as an access-token signature.
struct FlowKey(Vec<u8>);

impl FlowKey {
    fn new(secret: &SecretString) -> Self {
        let mut mac = HmacSha256::new_from_slice(secret.expose_secret().as_bytes())
            .expect("HMAC takes a key of any length");
        mac.update(b"neoforge provider flow v1");
        Self(mac.finalize().into_bytes().to_vec())
    }

    fn mac(&self, parts: &[&str]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.0).expect("HMAC takes a key of any length");
        for part in parts {
            // Length-prefixed, so no two lists of parts sign the same bytes.
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
        mac
    }

    fn derive(&self, label: &str, provider: &str, seed: &str) -> String {
        URL_SAFE_NO_PAD.encode(self.mac(&[label, provider, seed]).finalize().into_bytes())
    }

    fn secrets(&self, provider: &str, seed: &str) -> FlowSecrets {
        FlowSecrets {
            state: self.derive("state", provider, seed),
            nonce: self.derive("nonce", provider, seed),
            // 43 characters of base64url: a valid PKCE verifier (RFC 7636: 43 to 128).
            pkce_verifier: self.derive("pkce", provider, seed),
        }
    }
}

/// `Path` of the flow cookie: only the provider's callback receives it.
fn path(provider: &str) -> String {
    format!("/api/auth/providers/{provider}/callback")
}

/// Begin a flow at `provider`: its secrets and the `Set-Cookie` that binds them to the browser.
pub fn begin(secret: &SecretString, provider: &str, secure: bool) -> (FlowSecrets, HeaderValue) {
    begin_until(secret, provider, secure, Timestamp::now().plus(TTL))
}

fn begin_until(
    secret: &SecretString,
    provider: &str,
    secure: bool,
    expires: Timestamp,
) -> (FlowSecrets, HeaderValue) {
    let key = FlowKey::new(secret);
    let seed = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let expires = expires.as_millis().to_string();
    let signature = URL_SAFE_NO_PAD.encode(
        key.mac(&["cookie", provider, &seed, &expires])
            .finalize()
            .into_bytes(),
    );
    let value = format!("{seed}.{expires}.{signature}");
    // SameSite=Lax, not Strict: the provider sends the browser back with a cross-site
    // top-level GET, which must carry the cookie.
    let cookie = format!(
        "{COOKIE}={value}; Max-Age={}; Path={}; HttpOnly; SameSite=Lax{}",
        TTL.as_secs(),
        path(provider),
        if secure { "; Secure" } else { "" }
    );
    let cookie =
        HeaderValue::try_from(cookie).expect("a provider id and base64url are header-safe");
    (key.secrets(provider, &seed), cookie)
}

/// Why the callback's request does not continue a flow of this browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowRefused {
    /// No flow cookie: another browser, or cookies off.
    Missing,
    /// A cookie that was not signed here, or for another provider.
    Forged,
    Expired,
    /// The `state` parameter is not this flow's.
    StateMismatch,
}

impl FlowRefused {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Missing => "flow_cookie_missing",
            Self::Forged => "flow_cookie_invalid",
            Self::Expired => "flow_expired",
            Self::StateMismatch => "state_mismatch",
        }
    }
}

/// The flow this browser began at `provider`, if the request's cookie and `state` prove it.
pub fn resume(
    secret: &SecretString,
    provider: &str,
    headers: &HeaderMap,
    state: Option<&str>,
) -> Result<FlowSecrets, FlowRefused> {
    let value = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == COOKIE && !value.is_empty())
        .map(|(_, value)| value)
        .ok_or(FlowRefused::Missing)?;
    let mut parts = value.split('.');
    let (Some(seed), Some(expires), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(FlowRefused::Forged);
    };
    let key = FlowKey::new(secret);
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| FlowRefused::Forged)?;
    key.mac(&["cookie", provider, seed, expires])
        .verify_slice(&signature)
        .map_err(|_| FlowRefused::Forged)?;
    let expires: i64 = expires.parse().map_err(|_| FlowRefused::Forged)?;
    if expires <= Timestamp::now().as_millis() {
        return Err(FlowRefused::Expired);
    }
    let secrets = key.secrets(provider, seed);
    let state_matches = state.is_some_and(|state| {
        // Compared as MACs, in constant time.
        key.mac(&["compare", state])
            .verify_slice(
                &key.mac(&["compare", &secrets.state])
                    .finalize()
                    .into_bytes(),
            )
            .is_ok()
    });
    if !state_matches {
        return Err(FlowRefused::StateMismatch);
    }
    Ok(secrets)
}

/// `Set-Cookie` that ends the flow: a callback is answered once.
pub fn clear(provider: &str, secure: bool) -> HeaderValue {
    let cookie = format!(
        "{COOKIE}=; Max-Age=0; Path={}; HttpOnly; SameSite=Lax{}",
        path(provider),
        if secure { "; Secure" } else { "" }
    );
    HeaderValue::try_from(cookie).expect("a provider id is header-safe")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> SecretString {
        "a test secret that is long enough to sign".into()
    }

    fn request_with(cookie: &HeaderValue) -> HeaderMap {
        let pair = cookie.to_str().unwrap().split(';').next().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_str(pair).unwrap());
        headers
    }

    #[test]
    fn the_browser_that_began_resumes_with_the_same_secrets() {
        let (began, cookie) = begin(&secret(), "google", true);
        let text = cookie.to_str().unwrap();
        assert!(
            text.contains("Path=/api/auth/providers/google/callback"),
            "{text}"
        );
        assert!(text.contains("HttpOnly; SameSite=Lax; Secure"), "{text}");
        let headers = request_with(&cookie);
        let resumed = resume(&secret(), "google", &headers, Some(&began.state)).unwrap();
        assert_eq!(resumed.nonce, began.nonce);
        assert_eq!(resumed.pkce_verifier, began.pkce_verifier);
        assert_eq!(began.pkce_verifier.len(), 43);
        assert!(!text.contains(&began.pkce_verifier));
        assert_ne!(began.state, began.nonce);
    }

    #[test]
    fn anything_else_is_refused() {
        let (began, cookie) = begin(&secret(), "google", false);
        let headers = request_with(&cookie);
        let refused = |provider: &str, headers: &HeaderMap, state: Option<&str>| {
            resume(&secret(), provider, headers, state).err().unwrap()
        };
        assert_eq!(
            refused("google", &HeaderMap::new(), Some(&began.state)),
            FlowRefused::Missing
        );
        assert_eq!(
            refused("google", &headers, Some("another")),
            FlowRefused::StateMismatch
        );
        assert_eq!(
            refused("google", &headers, None),
            FlowRefused::StateMismatch
        );
        assert_eq!(
            refused("github", &headers, Some(&began.state)),
            FlowRefused::Forged
        );
        let other_key = resume(
            &"another secret, just as long as the other".into(),
            "google",
            &headers,
            Some(&began.state),
        );
        assert_eq!(other_key.err().unwrap(), FlowRefused::Forged);
        let value = cookie.to_str().unwrap().split(';').next().unwrap();
        let (seed, rest) = value.split_once('.').unwrap();
        let (_, signature) = rest.split_once('.').unwrap();
        let mut stretched = HeaderMap::new();
        stretched.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("{seed}.99999999999999.{signature}")).unwrap(),
        );
        assert_eq!(
            refused("google", &stretched, Some(&began.state)),
            FlowRefused::Forged
        );
        let (old, expired) = begin_until(
            &secret(),
            "google",
            false,
            Timestamp::from_millis(Timestamp::now().as_millis() - 1),
        );
        assert_eq!(
            refused("google", &request_with(&expired), Some(&old.state)),
            FlowRefused::Expired
        );
        let cleared = clear("google", false);
        assert!(
            cleared
                .to_str()
                .unwrap()
                .starts_with(&format!("{COOKIE}=; Max-Age=0"))
        );
    }
}
