//! The browser's refresh-token cookie: `HttpOnly` so script injection cannot read it,
//! `SameSite=Strict` and scoped to `/api/auth`, `Secure` outside development. A call that
//! authenticates with it must also send `X-Requested-With: neoforge`, which a cross-site form
//! or simple request cannot.

use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue, header};

use crate::error::ApiError;

pub const NAME: &str = "neoforge_refresh";
const PATH: &str = "/api/auth";
pub const CSRF_HEADER: &str = "x-requested-with";
const CSRF_VALUE: &str = "neoforge";

/// `Set-Cookie` carrying a refresh token that lives `max_age`.
pub fn set(token: &str, max_age: Duration, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let value = format!(
        "{NAME}={token}; Max-Age={}; Path={PATH}; HttpOnly; SameSite=Strict{secure}",
        max_age.as_secs()
    );
    HeaderValue::try_from(value).expect("a refresh token is URL-safe base64")
}

/// `Set-Cookie` that deletes the cookie.
pub fn clear(secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::try_from(format!(
        "{NAME}=; Max-Age=0; Path={PATH}; HttpOnly; SameSite=Strict{secure}"
    ))
    .expect("a static cookie is a valid header")
}

/// The refresh token from the cookie, if the request has one; `403` when it has one but not
/// the anti-forgery header.
pub fn refresh_token(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let token = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == NAME && !value.is_empty())
        .map(|(_, value)| value.to_owned());
    if token.is_some() && !has_csrf_header(headers) {
        return Err(ApiError::Forbidden(
            "A request authenticated by cookie must send the header X-Requested-With: neoforge.",
        ));
    }
    Ok(token)
}

fn has_csrf_header(headers: &HeaderMap) -> bool {
    headers
        .get(CSRF_HEADER)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.trim().eq_ignore_ascii_case(CSRF_VALUE))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn reads_the_cookie_only_with_the_guard_header() {
        assert_eq!(refresh_token(&headers(&[])).unwrap(), None);
        let cookie = ("cookie", "theme=dark; neoforge_refresh=abc; x=1");
        assert!(refresh_token(&headers(&[cookie])).is_err());
        assert_eq!(
            refresh_token(&headers(&[cookie, ("x-requested-with", "neoforge")])).unwrap(),
            Some("abc".to_owned())
        );
        assert_eq!(
            refresh_token(&headers(&[("cookie", "neoforge_refresh=")])).unwrap(),
            None
        );
    }

    #[test]
    fn cookie_attributes() {
        let set = set("tok", Duration::from_secs(60), true);
        assert_eq!(
            set,
            "neoforge_refresh=tok; Max-Age=60; Path=/api/auth; HttpOnly; SameSite=Strict; Secure"
        );
        assert!(!clear(false).to_str().unwrap().contains("Secure"));
    }
}
