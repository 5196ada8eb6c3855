//! Conditional GETs: every single resource and list carries a strong `ETag` computed from the
//! body, and a matching `If-None-Match` is answered `304 Not Modified` with no body.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::error::ApiError;

/// Private: the data belongs to the caller. `no-cache` makes clients revalidate with the ETag
/// every time, so nobody sees stale data after their own change.
const CACHE_CONTROL: &str = "private, no-cache";

/// Serialise `body` as JSON with an `ETag`, or `304` if the client already has it.
pub fn json_with_etag<T: Serialize>(
    request_headers: &HeaderMap,
    body: &T,
) -> Result<Response, ApiError> {
    let bytes = serde_json::to_vec(body).map_err(anyhow::Error::from)?;
    let etag = format!("\"{:032x}\"", xxhash_rust::xxh3::xxh3_128(&bytes));
    let etag = HeaderValue::from_str(&etag).expect("hex digits are a valid header value");
    let cache_control = HeaderValue::from_static(CACHE_CONTROL);

    if if_none_match_matches(request_headers, &etag) {
        let headers = [(header::ETAG, etag), (header::CACHE_CONTROL, cache_control)];
        return Ok((StatusCode::NOT_MODIFIED, headers).into_response());
    }
    let headers = [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        ),
        (header::ETAG, etag),
        (header::CACHE_CONTROL, cache_control),
    ];
    Ok((headers, bytes).into_response())
}

/// RFC 9110 weak comparison: `W/"x"` matches `"x"`, and `*` matches anything.
fn if_none_match_matches(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    let etag = etag.to_str().unwrap_or_default();
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|candidate| candidate.trim())
        .any(|candidate| candidate == "*" || candidate.trim_start_matches("W/") == etag)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(if_none_match: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_str(if_none_match).unwrap(),
        );
        headers
    }

    #[test]
    fn matches_listed_weak_and_wildcard_tags() {
        let etag = HeaderValue::from_static("\"abc\"");
        assert!(if_none_match_matches(&headers("\"abc\""), &etag));
        assert!(if_none_match_matches(&headers("\"x\", W/\"abc\""), &etag));
        assert!(if_none_match_matches(&headers("*"), &etag));
        assert!(!if_none_match_matches(&headers("\"abd\""), &etag));
        assert!(!if_none_match_matches(&HeaderMap::new(), &etag));
    }

    #[test]
    fn same_body_same_tag_and_304() {
        let first = json_with_etag(&HeaderMap::new(), &serde_json::json!({"a": 1})).unwrap();
        let tag = first.headers()[header::ETAG].to_str().unwrap().to_owned();
        let again = json_with_etag(&headers(&tag), &serde_json::json!({"a": 1})).unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        let changed = json_with_etag(&headers(&tag), &serde_json::json!({"a": 2})).unwrap();
        assert_eq!(changed.status(), StatusCode::OK);
    }
}
