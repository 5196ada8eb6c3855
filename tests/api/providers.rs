//! Signing in with other identity providers, end to end: the whole redirect flow against a
//! real OpenID Connect provider (node's `oidc-provider`) and against a stand-in for GitHub,
//! the links between identities and accounts, and every way a callback can be refused.

use neoforge::config::providers::{GitHubSettings, OidcSettings};
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Method, StatusCode, Url};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{PASSWORD, TestApp, TestUser, body, problem};
use crate::support::fake_github::{self, FakeGitHub, GitHubUser};
use crate::support::oidc_provider::{self, OidcProvider, Options};

const OIDC_ID: &str = "test";
/// Where the test provider sends browsers back: the app's public URL (the app itself listens
/// elsewhere; [`callback`] takes the path and query to it).
const OIDC_REDIRECT: &str = "http://localhost:8000/api/auth/providers/test/callback";

fn oidc_settings(provider: &OidcProvider) -> OidcSettings {
    OidcSettings {
        id: OIDC_ID.into(),
        name: "Test ID".into(),
        issuer: provider.issuer.clone(),
        client_id: oidc_provider::CLIENT_ID.into(),
        client_secret: oidc_provider::CLIENT_SECRET.into(),
    }
}

async fn provider_and_app(options: Options) -> (OidcProvider, TestApp) {
    let provider = OidcProvider::start(OIDC_REDIRECT, options).await;
    let settings = oidc_settings(&provider);
    let app = TestApp::spawn_with(|config| config.providers.oidc.push(settings)).await;
    (provider, app)
}

/// A sign-in begun in a browser: where `start` sent it, and the flow cookie it set.
struct Started {
    location: String,
    cookie: String,
}

async fn start(app: &TestApp, provider: &str) -> Started {
    let response = app
        .get(&format!("/api/auth/providers/{provider}/start"), None)
        .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = response.headers()[LOCATION].to_str().unwrap().to_owned();
    let set_cookie = response.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    assert!(
        set_cookie.contains(&format!("Path=/api/auth/providers/{provider}/callback"))
            && set_cookie.contains("HttpOnly")
            && set_cookie.contains("SameSite=Lax"),
        "{set_cookie}"
    );
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    Started { location, cookie }
}

/// The browser at the provider signs in as `login` (which makes the test provider skip its
/// forms, as GitHub's `login` hint names the user of the fake): follows the provider's own
/// redirects with its cookies, and returns the URL the provider sends it back to.
async fn at_provider(authorization_url: &str, login: &str) -> String {
    let url = Url::parse(authorization_url).unwrap();
    let origin = (url.host_str().unwrap().to_owned(), url.port());
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::custom(move |attempt| {
            let next = attempt.url();
            if (next.host_str().unwrap_or_default(), next.port()) == (origin.0.as_str(), origin.1) {
                attempt.follow()
            } else {
                attempt.stop()
            }
        }))
        .build()
        .unwrap();
    let response = browser
        .get(format!(
            "{authorization_url}&login_hint={login}&login={login}"
        ))
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_redirection(),
        "the provider answered {}: {}",
        response.status(),
        response.text().await.unwrap_or_default()
    );
    response.headers()[LOCATION].to_str().unwrap().to_owned()
}

/// The browser arrives back at the app's callback with `cookie`.
async fn callback(app: &TestApp, callback_url: &str, cookie: Option<&str>) -> reqwest::Response {
    let url = Url::parse(callback_url).unwrap();
    let path = format!("{}?{}", url.path(), url.query().unwrap_or_default());
    let mut request = app.request(Method::GET, &path);
    if let Some(cookie) = cookie {
        request = request.header(COOKIE, cookie);
    }
    request.send().await.unwrap()
}

/// Where the callback sent the browser: the refresh token it was given, or the sign-in page's
/// error code.
fn landed(response: &reqwest::Response) -> Result<String, String> {
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = response.headers()[LOCATION].to_str().unwrap();
    let cookies: Vec<&str> = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|value| value.to_str().unwrap())
        .collect();
    assert!(
        cookies
            .iter()
            .any(|cookie| cookie.starts_with("neoforge_provider_flow=;")
                && cookie.contains("Max-Age=0")),
        "the flow cookie is cleared: {cookies:?}"
    );
    let refresh = cookies.iter().find_map(|cookie| {
        cookie
            .strip_prefix("neoforge_refresh=")
            .map(|rest| rest.split(';').next().unwrap().to_owned())
    });
    match location.strip_prefix("/login?error=") {
        Some(code) => {
            assert!(refresh.is_none(), "a failure sets no session cookie");
            Err(code.to_owned())
        }
        None => {
            assert_eq!(location, "/app?signed_in=1");
            Ok(refresh.expect("the refresh cookie is set"))
        }
    }
}

/// The whole round trip at the OIDC test provider as `login`.
async fn sign_in(app: &TestApp, login: &str) -> Result<TestUser, String> {
    let started = start(app, OIDC_ID).await;
    let back = at_provider(&started.location, login).await;
    let refresh_token = landed(&callback(app, &back, Some(&started.cookie)).await)?;
    Ok(session(app, refresh_token).await)
}

/// The session behind a refresh cookie, picked up as the web app does.
async fn session(app: &TestApp, refresh_token: String) -> TestUser {
    let refreshed = app
        .request(Method::POST, "/api/auth/refresh")
        .header(COOKIE, format!("neoforge_refresh={refresh_token}"))
        .header("x-requested-with", "neoforge")
        .send()
        .await
        .unwrap();
    assert_eq!(refreshed.status(), StatusCode::OK);
    let pair = body(refreshed).await;
    let token = pair["access_token"].as_str().unwrap().to_owned();
    let me = body(app.get("/api/users/me", Some(&token)).await).await;
    TestUser {
        id: me["id"].as_str().unwrap().parse().unwrap(),
        email: me["email"].as_str().unwrap().to_owned(),
        token,
        refresh_token: pair["refresh_token"].as_str().unwrap().to_owned(),
    }
}

async fn count(app: &TestApp, table_sql: &'static str) -> i64 {
    let mut conn = app.db.read().await.unwrap();
    conn.query_one(table_sql, &[], |row| row.int(0))
        .await
        .unwrap()
}

async fn users(app: &TestApp) -> i64 {
    count(app, "SELECT COUNT(*) FROM users").await
}

async fn identities(app: &TestApp, user: &TestUser) -> Value {
    let response = app.get("/api/users/me/identities", Some(&user.token)).await;
    assert_eq!(response.status(), StatusCode::OK);
    body(response).await
}

/// The audit log's entries of `event`, newest first.
async fn audit(app: &TestApp, event: &str) -> Vec<Value> {
    let admin = app.signed_in_admin().await;
    let response = app
        .get(
            &format!("/api/admin/audit-log?event={event}&limit=100"),
            Some(&admin.token),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    body(response).await["items"].as_array().unwrap().clone()
}

async fn verified_user(app: &TestApp) -> TestUser {
    let user = app.signed_in_user().await;
    let token = app.emailed_token(&user.email, "/verify-email").await;
    let verified = app
        .send_json(
            Method::POST,
            "/api/auth/verify-email",
            None,
            &json!({"token": token}),
        )
        .await;
    assert_eq!(verified.status(), StatusCode::NO_CONTENT);
    user
}

#[tokio::test]
async fn the_providers_are_listed_and_an_unknown_one_is_404() {
    let none = TestApp::spawn().await;
    assert_eq!(
        body(none.get("/api/auth/providers", None).await).await,
        json!([])
    );

    let github = FakeGitHub::start().await;
    let provider = OidcProvider::start(OIDC_REDIRECT, Options::default()).await;
    let app = TestApp::spawn_with(|config| {
        config.providers.oidc.push(oidc_settings(&provider));
        config.providers.github = Some(github_settings(&github));
    })
    .await;
    assert_eq!(
        body(app.get("/api/auth/providers", None).await).await,
        json!([{"id": "github", "name": "GitHub"}, {"id": "test", "name": "Test ID"}])
    );
    for path in [
        "/api/auth/providers/nope/start",
        "/api/auth/providers/nope/callback?code=x&state=y",
        "/api/auth/providers/GitHub/start",
    ] {
        problem(app.get(path, None).await, StatusCode::NOT_FOUND).await;
    }
}

#[tokio::test]
async fn a_first_sign_in_creates_an_account_and_the_next_finds_it() {
    let (provider, app) = provider_and_app(Options::default()).await;
    provider
        .account("ada", "Ada@Example.com", true, Some("Ada Lovelace"))
        .await;
    let before = users(&app).await;

    let started = start(&app, OIDC_ID).await;
    let authorize = Url::parse(&started.location).unwrap();
    let query: std::collections::HashMap<_, _> = authorize.query_pairs().into_owned().collect();
    assert!(
        started
            .location
            .starts_with(&format!("{}/auth?", provider.issuer))
    );
    assert_eq!(query["response_type"], "code");
    assert_eq!(query["client_id"], oidc_provider::CLIENT_ID);
    assert_eq!(query["redirect_uri"], OIDC_REDIRECT);
    assert_eq!(query["code_challenge_method"], "S256");
    assert_eq!(query["code_challenge"].len(), 43);
    assert!(query["state"].len() >= 32 && query["nonce"].len() >= 32);
    assert!(query["scope"].split(' ').any(|scope| scope == "openid"));
    assert!(
        !started.cookie.contains(&query["state"]),
        "the cookie is not the state"
    );
    let back = at_provider(&started.location, "ada").await;
    let refresh = landed(&callback(&app, &back, Some(&started.cookie)).await).unwrap();
    let user = session(&app, refresh).await;

    assert_eq!(users(&app).await, before + 1);
    let me = body(app.get("/api/users/me", Some(&user.token)).await).await;
    assert_eq!(me["email"], "ada@example.com");
    assert_eq!(me["name"], "Ada Lovelace");
    assert_eq!(me["email_verified"], true);
    assert_eq!(me["has_password"], false);
    let linked = identities(&app, &user).await;
    assert_eq!(linked["total"], 1);
    assert_eq!(linked["items"][0]["provider"], "test");
    assert_eq!(linked["items"][0]["provider_name"], "Test ID");
    assert_eq!(linked["items"][0]["email"], "ada@example.com");
    // No password: none signs in.
    assert_eq!(
        app.login("ada@example.com", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );

    let again = sign_in(&app, "ada").await.unwrap();
    assert_eq!(again.id, user.id);
    assert_eq!(users(&app).await, before + 1);
    assert_eq!(identities(&app, &again).await["total"], 1);

    let logins = audit(&app, "login_succeeded").await;
    let by_provider: Vec<_> = logins
        .iter()
        .filter(|entry| entry["user_id"] == json!(user.id))
        .collect();
    assert_eq!(by_provider.len(), 2);
    for entry in by_provider {
        assert_eq!(entry["details"]["method"], "provider");
        assert_eq!(entry["details"]["provider"], "test");
    }
    let linked = audit(&app, "identity_linked").await;
    assert_eq!(linked[0]["details"]["via"], "new_account");
}

#[tokio::test]
async fn a_verified_email_links_the_identity_to_the_existing_account() {
    // The email claims ride in the ID token here; elsewhere they come from userinfo.
    let (provider, app) = provider_and_app(Options {
        id_token_claims: true,
        ..Options::default()
    })
    .await;
    let owner = verified_user(&app).await;
    provider
        .account("owner-sub", &owner.email, true, None)
        .await;
    let before = users(&app).await;

    let signed_in = sign_in(&app, "owner-sub").await.unwrap();
    assert_eq!(signed_in.id, owner.id);
    assert_eq!(users(&app).await, before);
    // The password and the existing session still work.
    assert_eq!(
        app.login(&owner.email, PASSWORD).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.get("/api/users/me", Some(&owner.token)).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        identities(&app, &owner).await["items"][0]["provider"],
        "test"
    );
    let linked = audit(&app, "identity_linked").await;
    assert_eq!(linked[0]["user_id"], json!(owner.id));
    assert_eq!(linked[0]["details"]["via"], "verified_email");
    assert_eq!(linked[0]["details"]["unverified_account_secured"], false);
}

#[tokio::test]
async fn an_account_whose_address_was_never_verified_is_taken_back_by_its_owner() {
    let (provider, app) = provider_and_app(Options::default()).await;
    // Someone registered the address first, without ever proving it was theirs.
    let squatter = app.signed_in_user().await;
    let key = app.api_key(&squatter, &["todos:read"]).await;
    provider
        .account("real-owner", &squatter.email, true, None)
        .await;

    let owner = sign_in(&app, "real-owner").await.unwrap();
    assert_eq!(owner.id, squatter.id);
    let me = body(app.get("/api/users/me", Some(&owner.token)).await).await;
    assert_eq!(me["email_verified"], true);
    assert_eq!(me["has_password"], false);
    // The squatter's password, session and key no longer work.
    assert_eq!(
        app.login(&squatter.email, PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    problem(
        app.get("/api/users/me", Some(&squatter.token)).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    problem(
        app.get("/api/todos", Some(&key.secret)).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let linked = audit(&app, "identity_linked").await;
    assert_eq!(linked[0]["details"]["unverified_account_secured"], true);
}

#[tokio::test]
async fn an_unverified_provider_address_never_links() {
    let (provider, app) = provider_and_app(Options::default()).await;
    let owner = verified_user(&app).await;
    provider
        .account("impostor", &owner.email, false, None)
        .await;
    let before = users(&app).await;

    assert_eq!(
        sign_in(&app, "impostor").await.err().unwrap(),
        "email_unverified"
    );
    assert_eq!(users(&app).await, before);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM identities").await, 0);
    assert_eq!(identities(&app, &owner).await["total"], 0);
    let failed = audit(&app, "login_failed").await;
    assert_eq!(failed[0]["user_id"], json!(owner.id));
    assert_eq!(failed[0]["details"]["reason"], "email_unverified");
    assert_eq!(failed[0]["details"]["provider"], "test");

    // An unverified address nobody has here makes a new account, unverified, and the usual
    // verification email goes to it.
    provider
        .account("newcomer", "newcomer@example.com", false, None)
        .await;
    let newcomer = sign_in(&app, "newcomer").await.unwrap();
    let me = body(app.get("/api/users/me", Some(&newcomer.token)).await).await;
    assert_eq!(me["email_verified"], false);
    assert_eq!(app.emails_to("newcomer@example.com").await.len(), 1);
}

#[tokio::test]
async fn with_two_factor_on_the_provider_hands_over_the_second_step() {
    let (provider, app) = provider_and_app(Options::default()).await;
    provider
        .account("careful", "careful@example.com", true, None)
        .await;
    let user = sign_in(&app, "careful").await.unwrap();
    let (mut authenticator, _) = crate::two_factor::enrol(&app, &user).await;
    let sessions = count(&app, "SELECT COUNT(*) FROM sessions").await;

    let started = start(&app, OIDC_ID).await;
    let back = at_provider(&started.location, "careful").await;
    let response = callback(&app, &back, Some(&started.cookie)).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = response.headers()[LOCATION].to_str().unwrap().to_owned();
    let fragment = location
        .strip_prefix("/login#")
        .unwrap_or_else(|| panic!("the second step, not {location}"));
    let handed: std::collections::HashMap<String, String> =
        serde_urlencoded::from_str(fragment).unwrap();
    assert_eq!(handed["expires_in"], "300");
    assert!(
        response
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .all(|cookie| !cookie.to_str().unwrap().starts_with("neoforge_refresh=")),
        "no session before the second factor"
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM sessions").await, sessions);

    let code = authenticator.fresh_code().await;
    let completed = crate::two_factor::mfa(&app, &handed["mfa_token"], &code).await;
    assert_eq!(completed.status(), StatusCode::OK);
    let token = body(completed).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let me = body(app.get("/api/users/me", Some(&token)).await).await;
    assert_eq!(me["id"], json!(user.id));
    let logins = audit(&app, "login_succeeded").await;
    let latest = logins
        .iter()
        .find(|entry| entry["user_id"] == json!(user.id))
        .unwrap();
    assert_eq!(latest["details"]["method"], "second_factor");
    assert_eq!(latest["details"]["first_factor"], "provider");
}

#[tokio::test]
async fn a_deactivated_account_cannot_sign_in_through_a_provider() {
    let (provider, app) = provider_and_app(Options::default()).await;
    provider
        .account("gone", "gone@example.com", true, None)
        .await;
    let user = sign_in(&app, "gone").await.unwrap();
    app.sql(
        "UPDATE users SET is_active = 0 WHERE id = $1",
        &[user.id.into()],
    )
    .await;
    assert_eq!(
        sign_in(&app, "gone").await.err().unwrap(),
        "account_disabled"
    );
}

#[tokio::test]
async fn the_callback_needs_the_browser_that_started_and_its_state() {
    let (_provider, app) = provider_and_app(Options::default()).await;
    let before = users(&app).await;

    // No flow cookie: another browser, or a link someone was sent.
    let started = start(&app, OIDC_ID).await;
    let back = at_provider(&started.location, "mallory").await;
    assert_eq!(
        landed(&callback(&app, &back, None).await).err().unwrap(),
        "invalid_state"
    );

    // Another flow's state.
    let started = start(&app, OIDC_ID).await;
    let other = start(&app, OIDC_ID).await;
    let back = at_provider(&started.location, "mallory").await;
    assert_eq!(
        landed(&callback(&app, &back, Some(&other.cookie)).await)
            .err()
            .unwrap(),
        "invalid_state"
    );

    // A state changed on the way.
    let started = start(&app, OIDC_ID).await;
    let back = at_provider(&started.location, "mallory").await;
    let url = Url::parse(&back).unwrap();
    let tampered: Vec<(String, String)> = url
        .query_pairs()
        .map(|(name, value)| {
            let value = if name == "state" {
                format!("{value}x")
            } else {
                value.into_owned()
            };
            (name.into_owned(), value)
        })
        .collect();
    let tampered = format!(
        "{}?{}",
        OIDC_REDIRECT,
        serde_urlencoded::to_string(&tampered).unwrap()
    );
    assert_eq!(
        landed(&callback(&app, &tampered, Some(&started.cookie)).await)
            .err()
            .unwrap(),
        "invalid_state"
    );
    // A forged cookie.
    let forged = format!("{}A", started.cookie);
    assert_eq!(
        landed(&callback(&app, &back, Some(&forged)).await)
            .err()
            .unwrap(),
        "invalid_state"
    );

    assert_eq!(users(&app).await, before);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM sessions").await, 0);
    let failed = audit(&app, "login_failed").await;
    let reasons: Vec<&str> = failed
        .iter()
        .map(|entry| entry["details"]["reason"].as_str().unwrap())
        .collect();
    assert!(reasons.contains(&"flow_cookie_missing"), "{reasons:?}");
    assert!(reasons.contains(&"state_mismatch"), "{reasons:?}");
    assert!(reasons.contains(&"flow_cookie_invalid"), "{reasons:?}");
}

#[tokio::test]
async fn callbacks_count_against_the_sign_in_limit() {
    let provider = OidcProvider::start(OIDC_REDIRECT, Options::default()).await;
    let settings = oidc_settings(&provider);
    let app = TestApp::spawn_with(|config| {
        config.providers.oidc.push(settings);
        let limit = &mut config.rate_limits.login_per_ip;
        *limit = neoforge::config::Policy::parse(limit.name, "2/1m").unwrap();
    })
    .await;
    sign_in(&app, "first").await.unwrap();
    assert_eq!(
        landed(&callback(&app, &format!("{OIDC_REDIRECT}?code=x&state=y"), None).await)
            .err()
            .unwrap(),
        "invalid_state"
    );
    // The third within the minute: refused before anything else is looked at.
    assert_eq!(
        sign_in(&app, "third").await.err().unwrap(),
        "too_many_attempts"
    );
    // Password sign-ins from the same address share the budget.
    problem(
        app.login("anyone@example.com", PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS,
    )
    .await;
}

#[tokio::test]
async fn a_code_works_once() {
    let (_provider, app) = provider_and_app(Options::default()).await;
    let started = start(&app, OIDC_ID).await;
    let back = at_provider(&started.location, "replayed").await;
    landed(&callback(&app, &back, Some(&started.cookie)).await).unwrap();
    let (users_before, sessions_before) = (
        users(&app).await,
        count(&app, "SELECT COUNT(*) FROM sessions").await,
    );

    // The same callback again, flow cookie and all: the provider refuses the used code.
    let replayed = callback(&app, &back, Some(&started.cookie)).await;
    assert_eq!(landed(&replayed).err().unwrap(), "provider_error");
    assert_eq!(users(&app).await, users_before);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM sessions").await,
        sessions_before
    );
}

#[tokio::test]
async fn an_id_token_for_another_nonce_is_refused() {
    let (_provider, app) = provider_and_app(Options::default()).await;
    let started = start(&app, OIDC_ID).await;
    // The authorization request is changed on its way to the provider, which then puts that
    // nonce in the ID token.
    let url = Url::parse(&started.location).unwrap();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(name, value)| {
            let value = if name == "nonce" {
                "attacker-nonce".to_owned()
            } else {
                value.into_owned()
            };
            (name.into_owned(), value)
        })
        .collect();
    let changed = format!(
        "{}/auth?{}",
        url.origin().ascii_serialization(),
        serde_urlencoded::to_string(&pairs).unwrap()
    );
    let back = at_provider(&changed, "nonce-victim").await;
    assert_eq!(
        landed(&callback(&app, &back, Some(&started.cookie)).await)
            .err()
            .unwrap(),
        "provider_error"
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM users").await, 0);
}

#[tokio::test]
async fn an_id_token_signed_with_a_key_the_provider_does_not_publish_is_refused() {
    let provider = OidcProvider::start(OIDC_REDIRECT, Options::default()).await;
    // The key set the app fetches holds another key under the signing key's id.
    provider.publish_foreign_keys().await;
    let settings = oidc_settings(&provider);
    let app = TestApp::spawn_with(|config| config.providers.oidc.push(settings)).await;

    assert_eq!(
        sign_in(&app, "forged").await.err().unwrap(),
        "provider_error"
    );
    assert_eq!(users(&app).await, 0);
    let failed = audit(&app, "login_failed").await;
    assert_eq!(failed[0]["details"]["reason"], "provider_rejected");
}

#[tokio::test]
async fn an_error_from_the_provider_signs_nobody_in() {
    let (_provider, app) = provider_and_app(Options::default()).await;
    let started = start(&app, OIDC_ID).await;
    let state = Url::parse(&started.location)
        .unwrap()
        .query_pairs()
        .find(|(name, _)| name == "state")
        .unwrap()
        .1
        .into_owned();
    for (error, code) in [
        ("access_denied", "cancelled"),
        ("server_error", "provider_error"),
    ] {
        let back = format!("{OIDC_REDIRECT}?error={error}&error_description=nope&state={state}");
        let response = callback(&app, &back, Some(&started.cookie)).await;
        assert_eq!(landed(&response).err().unwrap(), code);
    }
    // A response naming another issuer (a mix-up) is refused too.
    let back = at_provider(&started.location, "mixed-up").await;
    let mixed = back.replace("iss=", "iss=https%3A%2F%2Fevil.example&was=");
    assert_eq!(
        landed(&callback(&app, &mixed, Some(&started.cookie)).await)
            .err()
            .unwrap(),
        "provider_error"
    );
    assert_eq!(users(&app).await, 0);
}

#[tokio::test]
async fn a_provider_that_is_down_costs_only_its_own_sign_ins() {
    let port = crate::support::spare_port();
    let issuer = format!("http://127.0.0.1:{port}");
    let app = TestApp::spawn_with(|config| {
        config.providers.oidc.push(OidcSettings {
            id: OIDC_ID.into(),
            name: "Test ID".into(),
            issuer: issuer.clone(),
            client_id: oidc_provider::CLIENT_ID.into(),
            client_secret: oidc_provider::CLIENT_SECRET.into(),
        })
    })
    .await;
    // The server started, lists the provider, and sends a sign-in back with a reason.
    assert_eq!(
        body(app.get("/api/auth/providers", None).await).await[0]["id"],
        "test"
    );
    let response = app.get("/api/auth/providers/test/start", None).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(
        response.headers()[LOCATION],
        "/login?error=provider_unavailable"
    );
    let user = app.signed_in_user().await;
    assert_eq!(
        app.get("/api/users/me", Some(&user.token)).await.status(),
        StatusCode::OK
    );

    // Once it is up, sign-in works without a restart.
    let provider = OidcProvider::start(
        OIDC_REDIRECT,
        Options {
            port: Some(port),
            ..Options::default()
        },
    )
    .await;
    assert_eq!(provider.issuer, issuer);
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let response = app.get("/api/auth/providers/test/start", None).await;
        let location = response.headers()[LOCATION].to_str().unwrap().to_owned();
        if location.starts_with(&issuer) {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "still {location}");
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    sign_in(&app, "patient").await.unwrap();
}

#[tokio::test]
async fn the_last_way_to_sign_in_cannot_be_unlinked() {
    let (provider, app) = provider_and_app(Options::default()).await;
    provider
        .account("only", "only@example.com", true, None)
        .await;
    let user = sign_in(&app, "only").await.unwrap();
    let id = identities(&app, &user).await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/users/me/identities/{id}");

    let conflict = problem(
        app.delete(&path, Some(&user.token)).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(
        conflict["detail"].as_str().unwrap().contains("only way"),
        "{conflict}"
    );
    assert_eq!(identities(&app, &user).await["total"], 1);

    // Another user's or an unknown link is not theirs to see.
    let stranger = app.signed_in_user().await;
    problem(
        app.delete(&path, Some(&stranger.token)).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let unknown = format!("/api/users/me/identities/{}", Uuid::now_v7());
    problem(
        app.delete(&unknown, Some(&user.token)).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    problem(
        app.delete("/api/users/me/identities/not-an-id", Some(&user.token))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

#[tokio::test]
async fn a_passkey_and_a_link_each_count_as_a_way_to_sign_in() {
    let (provider, app) = provider_and_app(Options::default()).await;
    provider
        .account("keyed", "keyed@example.com", true, None)
        .await;
    // An account without a password: its link, then a passkey too.
    let user = sign_in(&app, "keyed").await.unwrap();
    let mut authenticator = crate::support::authenticator::Authenticator::new();
    let passkey = app.passkey(&user, &mut authenticator, "Phone").await;
    let id = identities(&app, &user).await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // The passkey remains: the link may go.
    let unlinked = app
        .delete(&format!("/api/users/me/identities/{id}"), Some(&user.token))
        .await;
    assert_eq!(unlinked.status(), StatusCode::NO_CONTENT);
    // Now the passkey is all there is.
    let path = format!("/api/users/me/passkeys/{}", passkey["id"].as_str().unwrap());
    let conflict = problem(
        app.delete(&path, Some(&user.token)).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(
        conflict["detail"].as_str().unwrap().contains("only way"),
        "{conflict}"
    );
}

#[tokio::test]
async fn a_link_can_go_while_a_password_remains_after_a_fresh_sign_in() {
    let (provider, app) = provider_and_app(Options::default()).await;
    let owner = verified_user(&app).await;
    provider.account("linked", &owner.email, true, None).await;
    sign_in(&app, "linked").await.unwrap();
    let id = identities(&app, &owner).await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/users/me/identities/{id}");

    // An old sign-in must be confirmed first.
    app.age_sign_in(&owner).await;
    let stale = app.delete(&path, Some(&owner.token)).await;
    let challenge = stale.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        challenge.contains("insufficient_user_authentication"),
        "{challenge}"
    );
    problem(stale, StatusCode::FORBIDDEN).await;
    let confirmed = app
        .send_json(
            Method::POST,
            "/api/auth/reauthenticate",
            Some(&owner.token),
            &json!({"password": PASSWORD}),
        )
        .await;
    assert_eq!(confirmed.status(), StatusCode::NO_CONTENT);

    let unlinked = app.delete(&path, Some(&owner.token)).await;
    assert_eq!(unlinked.status(), StatusCode::NO_CONTENT);
    assert_eq!(identities(&app, &owner).await["total"], 0);
    problem(
        app.delete(&path, Some(&owner.token)).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let entries = audit(&app, "identity_unlinked").await;
    assert_eq!(entries[0]["user_id"], json!(owner.id));
    assert_eq!(entries[0]["details"]["provider"], "test");
    assert_eq!(entries[0]["details"]["identity_id"], json!(id));
    assert_eq!(
        app.login(&owner.email, PASSWORD).await.status(),
        StatusCode::OK
    );
}

fn github_settings(github: &FakeGitHub) -> GitHubSettings {
    GitHubSettings {
        client_id: fake_github::CLIENT_ID.into(),
        client_secret: fake_github::CLIENT_SECRET.into(),
        web_url: github.url.clone(),
        api_url: github.url.clone(),
    }
}

async fn github_sign_in(app: &TestApp, login: &str) -> Result<TestUser, String> {
    let started = start(app, "github").await;
    let back = at_provider(&started.location, login).await;
    let refresh_token = landed(&callback(app, &back, Some(&started.cookie)).await)?;
    Ok(session(app, refresh_token).await)
}

#[tokio::test]
async fn github_signs_in_with_its_verified_primary_address() {
    let github = FakeGitHub::start().await;
    github.add_user(GitHubUser {
        id: 583_231,
        login: "octocat".into(),
        name: Some("The Octocat".into()),
        emails: vec![
            ("octo@old.example".into(), false, true),
            ("octocat@example.com".into(), true, true),
        ],
    });
    let settings = github_settings(&github);
    let app = TestApp::spawn_with(|config| config.providers.github = Some(settings)).await;

    let started = start(&app, "github").await;
    let authorize = Url::parse(&started.location).unwrap();
    assert_eq!(authorize.path(), "/login/oauth/authorize");
    assert!(started.location.contains(
        "redirect_uri=http%3A%2F%2Flocalhost%3A8000%2Fapi%2Fauth%2Fproviders%2Fgithub%2Fcallback"
    ));
    let user = github_sign_in(&app, "octocat").await.unwrap();
    let me = body(app.get("/api/users/me", Some(&user.token)).await).await;
    assert_eq!(me["email"], "octocat@example.com");
    assert_eq!(me["name"], "The Octocat");
    assert_eq!(me["email_verified"], true);
    let linked = identities(&app, &user).await;
    assert_eq!(linked["items"][0]["provider"], "github");
    assert_eq!(linked["items"][0]["provider_name"], "GitHub");

    let again = github_sign_in(&app, "octocat").await.unwrap();
    assert_eq!(again.id, user.id);
    let stored = {
        let mut conn = app.db.read().await.unwrap();
        conn.query_one(
            "SELECT subject FROM identities WHERE provider = 'github'",
            &[],
            |row| row.text(0),
        )
        .await
        .unwrap()
    };
    assert_eq!(stored, "583231", "GitHub's numeric id, which never changes");

    // An unverified primary address that an account here holds is refused.
    let owner = verified_user(&app).await;
    github.add_user(GitHubUser {
        id: 99,
        login: "claimer".into(),
        name: None,
        emails: vec![(owner.email.clone(), true, false)],
    });
    assert_eq!(
        github_sign_in(&app, "claimer").await.err().unwrap(),
        "email_unverified"
    );
    // No address at all (GitHub lists none): nothing to make an account with.
    github.add_user(GitHubUser {
        id: 100,
        login: "no-address".into(),
        name: None,
        emails: Vec::new(),
    });
    assert_eq!(
        github_sign_in(&app, "no-address").await.err().unwrap(),
        "email_missing"
    );
    // A code that does not redeem (GitHub answers 200 with an error) is refused.
    let started = start(&app, "github").await;
    let state = Url::parse(&started.location)
        .unwrap()
        .query_pairs()
        .find(|(name, _)| name == "state")
        .unwrap()
        .1
        .into_owned();
    let back = format!(
        "http://localhost:8000/api/auth/providers/github/callback?code=made-up&state={state}"
    );
    assert_eq!(
        landed(&callback(&app, &back, Some(&started.cookie)).await)
            .err()
            .unwrap(),
        "provider_error"
    );
}
