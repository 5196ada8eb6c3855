//! A stand-in for GitHub's OAuth app endpoints and REST API, as much as sign-in uses:
//! `GET /login/oauth/authorize` (approves at once, for the user named by `login`, as
//! GitHub's own `login` hint does), `POST /login/oauth/access_token` (checks the client, the
//! single-use code, the redirect URI and the PKCE verifier; errors as GitHub sends them, with
//! `200`), `GET /user` and `GET /user/emails`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub const CLIENT_ID: &str = "Iv1.fakegithubclient";
pub const CLIENT_SECRET: &str = "fake-github-secret";

/// One GitHub user.
#[derive(Clone)]
pub struct GitHubUser {
    pub id: u64,
    pub login: String,
    pub name: Option<String>,
    /// `(address, primary, verified)`.
    pub emails: Vec<(String, bool, bool)>,
}

struct Grant {
    login: String,
    challenge: String,
    redirect_uri: String,
}

#[derive(Default)]
struct World {
    users: HashMap<String, GitHubUser>,
    codes: HashMap<String, Grant>,
    tokens: HashMap<String, String>,
}

#[derive(Clone, Default)]
struct Shared(Arc<Mutex<World>>);

pub struct FakeGitHub {
    /// Both `NEOFORGE_GITHUB_URL` and `NEOFORGE_GITHUB_API_URL`.
    pub url: String,
    shared: Shared,
}

impl FakeGitHub {
    pub async fn start() -> Self {
        let shared = Shared::default();
        let app = Router::new()
            .route("/login/oauth/authorize", get(authorize))
            .route("/login/oauth/access_token", post(access_token))
            .route("/user", get(user))
            .route("/user/emails", get(emails))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, shared }
    }

    pub fn add_user(&self, user: GitHubUser) {
        let mut world = self.shared.0.lock().unwrap();
        world.users.insert(user.login.clone(), user);
    }
}

async fn authorize(
    State(shared): State<Shared>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let param = |name: &str| params.get(name).cloned().unwrap_or_default();
    assert_eq!(param("client_id"), CLIENT_ID);
    assert_eq!(param("code_challenge_method"), "S256");
    assert!(param("scope").split(' ').any(|scope| scope == "user:email"));
    let code = uuid::Uuid::new_v4().simple().to_string();
    shared.0.lock().unwrap().codes.insert(
        code.clone(),
        Grant {
            login: param("login"),
            challenge: param("code_challenge"),
            redirect_uri: param("redirect_uri"),
        },
    );
    let state = param("state");
    Redirect::to(&format!(
        "{}?code={code}&state={state}",
        param("redirect_uri")
    ))
    .into_response()
}

fn client_authenticated(headers: &HeaderMap, form: &HashMap<String, String>) -> bool {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Basic "))
        .and_then(|encoded| STANDARD.decode(encoded).ok())
        .and_then(|decoded| String::from_utf8(decoded).ok());
    let expected = format!("{CLIENT_ID}:{CLIENT_SECRET}");
    basic.as_deref() == Some(expected.as_str())
        || (form.get("client_id").map(String::as_str) == Some(CLIENT_ID)
            && form.get("client_secret").map(String::as_str) == Some(CLIENT_SECRET))
}

async fn access_token(
    State(shared): State<Shared>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let form: HashMap<String, String> = serde_urlencoded::from_bytes(&body).unwrap();
    let error =
        |code: &str| axum::Json(json!({"error": code, "error_description": code})).into_response();
    if !client_authenticated(&headers, &form) {
        return error("incorrect_client_credentials");
    }
    let mut world = shared.0.lock().unwrap();
    // Single-use: taken out whatever follows.
    let Some(grant) = form.get("code").and_then(|code| world.codes.remove(code)) else {
        return error("bad_verification_code");
    };
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != grant.challenge {
        return error("bad_verification_code");
    }
    if form.get("redirect_uri") != Some(&grant.redirect_uri) {
        return error("redirect_uri_mismatch");
    }
    let token = format!("gho_{}", uuid::Uuid::new_v4().simple());
    world.tokens.insert(token.clone(), grant.login);
    axum::Json(
        json!({"access_token": token, "token_type": "bearer", "scope": "read:user,user:email"}),
    )
    .into_response()
}

fn signed_in_user(shared: &Shared, headers: &HeaderMap) -> Option<GitHubUser> {
    let token = headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")?;
    assert!(
        headers.contains_key(header::USER_AGENT),
        "GitHub requires a User-Agent"
    );
    let world = shared.0.lock().unwrap();
    let login = world.tokens.get(token)?;
    world.users.get(login).cloned()
}

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        axum::Json(json!({"message": "Bad credentials", "status": "401"})),
    )
        .into_response()
}

async fn user(State(shared): State<Shared>, headers: HeaderMap) -> Response {
    let Some(user) = signed_in_user(&shared, &headers) else {
        return unauthorized();
    };
    axum::Json(json!({
        "login": user.login,
        "id": user.id,
        "name": user.name,
        "email": null,
        "type": "User",
    }))
    .into_response()
}

async fn emails(State(shared): State<Shared>, headers: HeaderMap) -> Response {
    let Some(user) = signed_in_user(&shared, &headers) else {
        return unauthorized();
    };
    let emails: Vec<Value> = user
        .emails
        .iter()
        .map(|(email, primary, verified)| {
            json!({"email": email, "primary": primary, "verified": verified, "visibility": null})
        })
        .collect();
    axum::Json(emails).into_response()
}
