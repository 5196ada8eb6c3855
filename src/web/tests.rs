use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::Response;

use super::{ASSETS, serve};

async fn get(path: &str, headers: &[(header::HeaderName, &'static str)]) -> Response {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        map.insert(name.clone(), HeaderValue::from_static(value));
    }
    serve(Method::GET, path.parse::<Uri>().unwrap(), map).await
}

fn header(response: &Response, name: header::HeaderName) -> &str {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap())
        .unwrap_or("")
}

const HTML: (header::HeaderName, &str) = (header::ACCEPT, "text/html,application/xhtml+xml");

fn hashed_script() -> &'static str {
    ASSETS
        .iter()
        .find(|a| a.path.starts_with("/assets/main-") && a.path.ends_with(".js"))
        .expect("the main bundle is embedded")
        .path
}

#[tokio::test]
async fn hashed_assets_are_immutable_and_precompressed() {
    let path = hashed_script();
    let br = get(path, &[(header::ACCEPT_ENCODING, "gzip, deflate, br")]).await;
    assert_eq!(br.status(), StatusCode::OK);
    assert_eq!(
        header(&br, header::CACHE_CONTROL),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(header(&br, header::CONTENT_ENCODING), "br");
    assert_eq!(header(&br, header::VARY), "accept-encoding");
    assert!(header(&br, header::CONTENT_TYPE).starts_with("text/javascript"));

    let gzip = get(path, &[(header::ACCEPT_ENCODING, "gzip, br;q=0")]).await;
    assert_eq!(header(&gzip, header::CONTENT_ENCODING), "gzip");
    let identity = get(path, &[]).await;
    assert_eq!(header(&identity, header::CONTENT_ENCODING), "");
}

#[tokio::test]
async fn documents_manifest_and_service_worker_are_revalidated() {
    for path in ["/", "/login", "/manifest.webmanifest", "/sw.js"] {
        let response = get(path, &[HTML]).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(
            header(&response, header::CACHE_CONTROL),
            "no-cache",
            "{path}"
        );
        let etag = header(&response, header::ETAG).to_owned();
        assert!(!etag.is_empty(), "{path}");
        let mut map = HeaderMap::new();
        map.insert(header::ACCEPT, HeaderValue::from_static(HTML.1));
        map.insert(header::IF_NONE_MATCH, etag.parse().unwrap());
        let again = serve(Method::GET, path.parse().unwrap(), map).await;
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
    }
    let manifest = get("/manifest.webmanifest", &[]).await;
    assert_eq!(
        header(&manifest, header::CONTENT_TYPE),
        "application/manifest+json"
    );
}

#[tokio::test]
async fn app_routes_get_the_shell_and_unknown_pages_a_404_shell() {
    for path in ["/app", "/settings", "/verify-email?token=abc", "/admin"] {
        let response = get(path, &[HTML]).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(header(&response, header::CONTENT_TYPE).starts_with("text/html"));
    }
    let missing = get("/no-such-page", &[HTML]).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert!(header(&missing, header::CONTENT_TYPE).starts_with("text/html"));
}

#[tokio::test]
async fn api_and_tooling_paths_never_fall_back_to_html() {
    for path in [
        "/api/nope",
        "/api",
        "/health/x",
        "/ready/x",
        "/metrics/x",
        "/docs/x",
        "/openapi.json/x",
        "/no-such-page",
    ] {
        let accept = if path == "/no-such-page" {
            (header::ACCEPT, "application/json")
        } else {
            HTML
        };
        let response = get(path, &[accept]).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        assert_eq!(
            header(&response, header::CONTENT_TYPE),
            "application/problem+json",
            "{path}"
        );
    }
    let post = serve(Method::POST, "/login".parse().unwrap(), HeaderMap::new()).await;
    assert_eq!(post.status(), StatusCode::NOT_FOUND);
}
