//! What an attacker sends: NUL bytes and invalid UTF-8 in every string field, line breaks
//! meant for email headers, path traversal on the web routes, a spoofed client address, and
//! another user's ids on every route that takes one. Oversized and deeply nested bodies are
//! in `docs::unreadable_bodies_get_a_documented_status`, over every operation with a body.

use std::collections::BTreeMap;

use neoforge::cache::Policy;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{PASSWORD, TestApp, TestUser, body, invalid_fields, problem, with_token};
use crate::support::authenticator::Authenticator;

const NUL: &str = "a\u{0}b";

/// Who sends a request in the tables below.
#[derive(Clone, Copy)]
enum As {
    Nobody,
    User,
    Admin,
}

/// One JSON string field of one operation, with a valid body around it.
struct Field {
    method: Method,
    path: &'static str,
    caller: As,
    name: &'static str,
    body: fn(&str) -> Value,
}

/// Every string field of every JSON body in the API.
fn string_fields() -> Vec<Field> {
    let field = |method, path, caller, name, body| Field {
        method,
        path,
        caller,
        name,
        body,
    };
    vec![
        field(
            Method::POST,
            "/api/auth/register",
            As::Nobody,
            "email",
            |v| json!({"email": format!("{v}@example.com"), "password": PASSWORD}),
        ),
        field(
            Method::POST,
            "/api/auth/register",
            As::Nobody,
            "password",
            |v| json!({"email": "new@example.com", "password": format!("{PASSWORD}{v}")}),
        ),
        field(
            Method::POST,
            "/api/auth/register",
            As::Nobody,
            "name",
            |v| json!({"email": "new@example.com", "password": PASSWORD, "name": v}),
        ),
        field(
            Method::POST,
            "/api/auth/login",
            As::Nobody,
            "email",
            |v| json!({"email": format!("{v}@example.com"), "password": PASSWORD}),
        ),
        field(
            Method::POST,
            "/api/auth/login",
            As::Nobody,
            "password",
            |v| json!({"email": "someone@example.com", "password": v}),
        ),
        field(
            Method::POST,
            "/api/auth/forgot-password",
            As::Nobody,
            "email",
            |v| json!({"email": format!("{v}@example.com")}),
        ),
        field(
            Method::POST,
            "/api/auth/reset-password",
            As::Nobody,
            "token",
            |v| json!({"token": v, "new_password": PASSWORD}),
        ),
        field(
            Method::POST,
            "/api/auth/reset-password",
            As::Nobody,
            "new_password",
            |v| json!({"token": "a-token", "new_password": format!("{PASSWORD}{v}")}),
        ),
        field(
            Method::POST,
            "/api/auth/verify-email",
            As::Nobody,
            "token",
            |v| json!({"token": v}),
        ),
        field(
            Method::POST,
            "/api/auth/refresh",
            As::Nobody,
            "refresh_token",
            |v| json!({"refresh_token": v}),
        ),
        field(
            Method::POST,
            "/api/auth/logout",
            As::User,
            "refresh_token",
            |v| json!({"refresh_token": v}),
        ),
        field(
            Method::POST,
            "/api/todos",
            As::User,
            "title",
            |v| json!({"title": v}),
        ),
        field(
            Method::PATCH,
            "/api/users/me",
            As::User,
            "name",
            |v| json!({"name": v}),
        ),
        field(
            Method::DELETE,
            "/api/users/me",
            As::User,
            "password",
            |v| json!({"password": v}),
        ),
        field(
            Method::POST,
            "/api/users/me/password",
            As::User,
            "current_password",
            |v| json!({"current_password": v, "new_password": "another good passphrase"}),
        ),
        field(
            Method::POST,
            "/api/users/me/password",
            As::User,
            "new_password",
            |v| json!({"current_password": PASSWORD, "new_password": format!("{PASSWORD}{v}")}),
        ),
        field(
            Method::PATCH,
            "/api/admin/users/{id}",
            As::Admin,
            "role",
            |v| json!({"role": v}),
        ),
        field(
            Method::POST,
            "/api/users/me/passkeys",
            As::User,
            "ceremony_id",
            |v| json!({"ceremony_id": v, "name": "Phone", "credential": registration_answer()}),
        ),
        field(
            Method::POST,
            "/api/users/me/passkeys",
            As::User,
            "name",
            |v| json!({"ceremony_id": "c", "name": v, "credential": registration_answer()}),
        ),
        field(
            Method::PATCH,
            "/api/users/me/passkeys/{id}",
            As::User,
            "name",
            |v| json!({"name": v}),
        ),
        field(
            Method::POST,
            "/api/auth/passkey",
            As::Nobody,
            "ceremony_id",
            |v| json!({"ceremony_id": v, "credential": passkey_assertion()}),
        ),
        field(
            Method::POST,
            "/api/auth/passkey/reauthenticate",
            As::User,
            "ceremony_id",
            |v| json!({"ceremony_id": v, "credential": passkey_assertion()}),
        ),
    ]
}

/// A well-formed (not valid) answer to `navigator.credentials.create()`.
fn registration_answer() -> Value {
    json!({"id": "AQID", "rawId": "AQID", "type": "public-key",
        "response": {"clientDataJSON": "e30", "attestationObject": "oA"}})
}

/// A well-formed (not valid) answer to `navigator.credentials.get()`.
fn passkey_assertion() -> Value {
    json!({"id": "AQID", "rawId": "AQID", "type": "public-key",
        "response": {"clientDataJSON": "e30", "authenticatorData": "AA", "signature": "AA"}})
}

struct Callers {
    user: TestUser,
    admin: TestUser,
}

impl Callers {
    async fn new(app: &TestApp) -> Self {
        Self {
            user: app.signed_in_user().await,
            admin: app.signed_in_admin().await,
        }
    }

    fn token(&self, caller: As) -> Option<&str> {
        match caller {
            As::Nobody => None,
            As::User => Some(&self.user.token),
            As::Admin => Some(&self.admin.token),
        }
    }

    /// A real path for `template`: the ids are the user's own.
    async fn path(&self, app: &TestApp, template: &str) -> String {
        if template.contains("/api/todos/{id}") {
            let todo = app.todo(&self.user, "mine").await;
            return template.replace("{id}", todo["id"].as_str().unwrap());
        }
        template.replace("{id}", &self.user.id.to_string())
    }
}

#[tokio::test]
async fn nul_in_any_string_field_is_refused_by_name() {
    let app = TestApp::spawn().await;
    let callers = Callers::new(&app).await;
    for field in string_fields() {
        let path = callers.path(&app, field.path).await;
        let response = app
            .send_json(
                field.method.clone(),
                &path,
                callers.token(field.caller),
                &(field.body)(NUL),
            )
            .await;
        let what = format!("{} {} {}", field.method, field.path, field.name);
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{what}"
        );
        assert_eq!(invalid_fields(response).await, [field.name], "{what}");
    }
    // Query strings and the password form are read the same way.
    let token = callers.token(As::Admin);
    for path in [
        "/api/admin/users?q=a%00b",
        "/api/admin/audit-log?event=a%00b",
        "/api/todos?status_filter=a%00b",
    ] {
        let response = app.get(path, token).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path}"
        );
    }
    let form = app
        .request(Method::POST, "/api/auth/token")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=password&username=a%00b%40example.com&password=x")
        .send()
        .await
        .unwrap();
    assert_eq!(invalid_fields(form).await, ["username"]);
}

#[tokio::test]
async fn invalid_utf8_in_any_string_field_is_a_bad_request() {
    let app = TestApp::spawn().await;
    let callers = Callers::new(&app).await;
    for field in string_fields() {
        let path = callers.path(&app, field.path).await;
        // A valid body, then the field's value replaced by bytes that are not UTF-8.
        let valid = serde_json::to_vec(&(field.body)("MARKER")).unwrap();
        let at = valid
            .windows(6)
            .position(|w| w == b"MARKER")
            .expect("the body holds the field's value");
        let mut bytes = valid[..at].to_vec();
        bytes.extend_from_slice(b"\xff\xfe\xc0\xaf");
        bytes.extend_from_slice(&valid[at + 6..]);
        let request = app
            .request(field.method.clone(), &path)
            .header("content-type", "application/json")
            .body(bytes);
        let response = with_token(request, callers.token(field.caller))
            .send()
            .await
            .unwrap();
        problem(response, StatusCode::BAD_REQUEST).await;
    }
}

/// Line breaks are how a value escapes into another email header (`Bcc:`) or a response
/// header: none of the values that reach either may hold one.
#[tokio::test]
async fn values_that_reach_emails_cannot_carry_line_breaks() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let injected = "victim@example.com\r\nBcc: everyone@example.com";
    for (path, request) in [
        (
            "/api/auth/register",
            json!({"email": injected, "password": PASSWORD}),
        ),
        ("/api/auth/forgot-password", json!({"email": injected})),
    ] {
        let response = app.send_json(Method::POST, path, None, &request).await;
        assert_eq!(invalid_fields(response).await, ["email"], "{path}");
    }
    let name = "Eve\r\nBcc: everyone@example.com";
    let register = app
        .send_json(
            Method::POST,
            "/api/auth/register",
            None,
            &json!({"email": "eve@example.com", "password": PASSWORD, "name": name}),
        )
        .await;
    assert_eq!(invalid_fields(register).await, ["name"]);
    let rename = app
        .send_json(
            Method::PATCH,
            "/api/users/me",
            Some(&user.token),
            &json!({"name": name}),
        )
        .await;
    assert_eq!(invalid_fields(rename).await, ["name"]);

    app.run_jobs().await;
    assert!(app.emails_to("everyone@example.com").await.is_empty());
    assert!(app.emails_to("eve@example.com").await.is_empty());
}

/// Raw bytes on a socket: an HTTP client library would normalise `..` and `%2e%2e` away
/// before sending, which is exactly what an attacker does not do.
async fn raw_get(app: &TestApp, target: &str) -> (u16, String) {
    let address = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let request = format!(
        "GET {target} HTTP/1.1\r\nHost: {address}\r\nAccept: text/html\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let response = String::from_utf8_lossy(&response).into_owned();
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    (status, response)
}

#[tokio::test]
async fn web_routes_do_not_walk_out_of_the_embedded_files() {
    let app = TestApp::spawn().await;
    for target in [
        "/../../../../etc/passwd",
        "/..%2f..%2f..%2f..%2fetc%2fpasswd",
        "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/%252e%252e%252f%252e%252e%252fCargo.toml",
        "/assets/..%2f..%2fCargo.toml",
        "/assets/%2e%2e/%2e%2e/src/main.rs",
        "/assets/....//....//Cargo.toml",
        "/assets/..%5c..%5cCargo.toml",
        "/assets/%c0%ae%c0%ae/%c0%ae%c0%ae/Cargo.toml",
        "/app/..%00/Cargo.toml",
    ] {
        let (status, response) = raw_get(&app, target).await;
        assert!(matches!(status, 400 | 404), "{target} answered {status}");
        for secret in ["root:x:0:0", "[package]", "fn main"] {
            assert!(!response.contains(secret), "{target} leaked {secret:?}");
        }
    }
    // The shell and an asset are still served: the checks above did not pass by breaking them.
    assert_eq!(raw_get(&app, "/app").await.0, 200);
}

/// Without a trusted proxy in front, `X-Real-IP` and `X-Forwarded-For` are whatever the
/// client says: they must not buy a fresh sign-in budget.
#[tokio::test]
async fn a_spoofed_client_address_does_not_reset_the_sign_in_limit() {
    let app = TestApp::spawn_with(|settings| {
        settings.trust_proxy = false;
        let limit = &mut settings.rate_limits.login_per_ip;
        *limit = Policy::parse(limit.name, "2/1m").unwrap();
    })
    .await;
    for n in 1..=2 {
        let response = app
            .request(Method::POST, "/api/auth/login")
            .header("x-real-ip", format!("192.0.2.{n}"))
            .header("x-forwarded-for", format!("198.51.100.{n}"))
            .json(&json!({"email": "nobody@example.com", "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let spoofed = app
        .request(Method::POST, "/api/auth/login")
        .header("x-real-ip", "203.0.113.99")
        .header("x-forwarded-for", "203.0.113.98")
        .json(&json!({"email": "nobody@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    problem(spoofed, StatusCode::TOO_MANY_REQUESTS).await;
}

/// What a stranger may get back on someone else's id: a route under `/api/admin/` is closed
/// to non-admins as a whole; elsewhere another user's resource looks like a missing one.
fn expected_for_stranger(path: &str) -> StatusCode {
    if path.starts_with("/api/admin/") {
        StatusCode::FORBIDDEN
    } else {
        StatusCode::NOT_FOUND
    }
}

/// Every operation in the OpenAPI document whose path takes an id, tried by a stranger with
/// the owner's ids. A new route with an id fails here until the table knows how to make one.
#[tokio::test]
async fn no_route_with_an_id_reaches_another_users_data() {
    let app = TestApp::spawn().await;
    let (owner, stranger) = (app.signed_in_user().await, app.signed_in_user().await);
    let todo = app.todo(&owner, "owner's secret").await;
    let sessions = body(app.get("/api/users/me/sessions", Some(&owner.token)).await).await;
    let session_id = sessions["items"][0]["id"].as_str().unwrap().to_owned();
    let key = app.api_key(&owner, &["todos:read"]).await;
    // A linked account at a provider (this app has none configured, so it is written here).
    let identity_id = uuid::Uuid::now_v7();
    app.sql(
        "INSERT INTO identities (id, user_id, provider, subject, email, created_at, last_used_at) \
         VALUES ($1, $2, 'github', '583231', $3, 0, 0)",
        &[
            identity_id.into(),
            owner.id.into(),
            owner.email.as_str().into(),
        ],
    )
    .await;
    let passkey = app
        .passkey(&owner, &mut Authenticator::new(), "owner's phone")
        .await;
    let owner_ids: BTreeMap<&str, String> = BTreeMap::from([
        ("/api/users/me/identities/{id}", identity_id.to_string()),
        // Not the user's own: a provider id, unknown to this app like any other.
        ("/api/auth/providers/{id}/start", "github".to_owned()),
        ("/api/auth/providers/{id}/callback", "github".to_owned()),
        ("/api/todos/{id}", todo["id"].as_str().unwrap().to_owned()),
        ("/api/users/me/sessions/{id}", session_id),
        ("/api/users/me/api-keys/{id}", key.id.clone()),
        (
            "/api/users/me/passkeys/{id}",
            passkey["id"].as_str().unwrap().to_owned(),
        ),
        ("/api/admin/users/{id}", owner.id.to_string()),
    ]);
    let bodies = BTreeMap::from([
        (
            "/api/todos/{id}",
            json!({"title": "taken over", "completed": true}),
        ),
        (
            "/api/admin/users/{id}",
            json!({"is_active": false, "role": "admin"}),
        ),
        ("/api/users/me/passkeys/{id}", json!({"name": "taken over"})),
    ]);

    let document = body(app.get("/openapi.json", None).await).await;
    let mut tried = 0;
    for (template, item) in document["paths"].as_object().unwrap() {
        if !template.contains('{') {
            continue;
        }
        let id = owner_ids
            .get(template.as_str())
            .unwrap_or_else(|| panic!("{template} takes an id: add it to this test's table"));
        let path = template.replace("{id}", id);
        for (method, operation) in item.as_object().unwrap() {
            let Ok(method) = method.to_uppercase().parse::<Method>() else {
                continue;
            };
            let request = with_token(app.request(method.clone(), &path), Some(&stranger.token));
            let request = match (operation.get("requestBody"), bodies.get(template.as_str())) {
                (Some(_), Some(json)) => request.json(json),
                (Some(_), None) => panic!("{method} {template} takes a body: add one here"),
                (None, _) => request,
            };
            let response = request.send().await.unwrap();
            problem(response, expected_for_stranger(template)).await;
            tried += 1;
        }
    }
    assert!(tried >= 6, "only {tried} operations take an id");

    // And the owner's data is as it was.
    let path = format!("/api/todos/{}", todo["id"].as_str().unwrap());
    assert_eq!(body(app.get(&path, Some(&owner.token)).await).await, todo);
    // Still active (the token works) and still a plain user.
    let me = body(app.get("/api/users/me", Some(&owner.token)).await).await;
    assert_eq!(me["role"], "user");
    let sessions_after = body(app.get("/api/users/me/sessions", Some(&owner.token)).await).await;
    assert_eq!(sessions_after["total"], sessions["total"]);
    let identities = body(
        app.get("/api/users/me/identities", Some(&owner.token))
            .await,
    )
    .await;
    assert_eq!(identities["items"][0]["id"], identity_id.to_string());
    let passkeys = body(app.get("/api/users/me/passkeys", Some(&owner.token)).await).await;
    assert_eq!(passkeys["items"], json!([passkey]));
}
