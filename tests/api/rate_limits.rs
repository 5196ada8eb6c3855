//! Every rate-limit policy follows its configured value, and the per-user API limit counts
//! each signed-in user's requests, on every replica when they share Redis.

use neoforge::cache::Policy;
use neoforge::config::Settings;
use reqwest::{Method, Response, StatusCode};
use serde_json::json;

use crate::helpers::{PASSWORD, REDIS_ENV, TestApp, TestUser, problem};

/// Set `policy` to `text` (`COUNT/WINDOW`), keeping its name.
fn set(policy: &mut Policy, text: &str) {
    *policy = Policy::parse(policy.name, text).unwrap();
}

/// An app whose per-user API limit is `text`.
async fn spawn_with_api_limit(text: &str) -> TestApp {
    let policy = Policy::parse("api_user", text).unwrap();
    TestApp::spawn_with(|s: &mut Settings| s.rate_limits.api_per_user = Some(policy)).await
}

fn header(response: &Response, name: &str) -> u64 {
    response.headers()[name]
        .to_str()
        .unwrap()
        .parse()
        .unwrap_or_else(|_| panic!("{name} is not a number"))
}

/// `RateLimit-Limit` and `RateLimit-Remaining` of a response.
fn limit_and_remaining(response: &Response) -> (u64, u64) {
    assert!(
        (1..=3600).contains(&header(response, "ratelimit-reset")),
        "RateLimit-Reset"
    );
    (
        header(response, "ratelimit-limit"),
        header(response, "ratelimit-remaining"),
    )
}

/// A `429` problem with `Retry-After` and the headers of a policy allowing `limit`.
async fn assert_limited(response: Response, limit: u64, window_secs: u64) {
    let retry_after = header(&response, "retry-after");
    assert!(
        (1..=window_secs).contains(&retry_after),
        "Retry-After {retry_after}"
    );
    assert_eq!(limit_and_remaining(&response), (limit, 0));
    problem(response, StatusCode::TOO_MANY_REQUESTS).await;
}

async fn login_from(app: &TestApp, ip: &str, email: &str, password: &str) -> Response {
    app.request(Method::POST, "/api/auth/login")
        .header("x-real-ip", ip)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn sign_ups_per_ip_follow_the_configured_limit() {
    let app = TestApp::spawn_with(|s| set(&mut s.rate_limits.register_per_ip, "2/1h")).await;
    for remaining in [1, 0] {
        let email = format!("new-{remaining}@example.com");
        let created = app.register(&email, PASSWORD).await;
        assert_eq!(created.status(), StatusCode::CREATED);
        assert_eq!(limit_and_remaining(&created), (2, remaining));
    }
    let third = app.register("third@example.com", PASSWORD).await;
    assert_limited(third, 2, 3600).await;
}

#[tokio::test]
async fn sign_in_attempts_per_ip_follow_the_configured_limit() {
    let app = TestApp::spawn_with(|s| set(&mut s.rate_limits.login_per_ip, "2/1m")).await;
    let first = app.login("nobody@example.com", PASSWORD).await;
    assert_eq!(first.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(limit_and_remaining(&first), (2, 1));
    // The OAuth2 password form is the same sign-in and shares the budget.
    let form = app
        .request(Method::POST, "/api/auth/token")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("username=nobody%40example.com&password=whatever+passphrase")
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(limit_and_remaining(&form), (2, 0));
    assert_limited(app.login("nobody@example.com", PASSWORD).await, 2, 60).await;
}

#[tokio::test]
async fn failed_sign_ins_per_account_and_ip_follow_the_configured_limit() {
    let app = TestApp::spawn_with(|s| {
        set(&mut s.rate_limits.failed_login_per_account_ip, "2/15m");
    })
    .await;
    let user = app.signed_in_user().await;
    for _ in 0..2 {
        let failed = app.login(&user.email, "not the password").await;
        assert_eq!(failed.status(), StatusCode::UNAUTHORIZED);
    }
    assert_limited(app.login(&user.email, PASSWORD).await, 2, 15 * 60).await;
}

#[tokio::test]
async fn failed_sign_ins_per_account_follow_the_configured_limit() {
    let app = TestApp::spawn_with(|s| {
        s.trust_proxy = true;
        set(&mut s.rate_limits.failed_login_per_account, "3/1h");
    })
    .await;
    let user = app.signed_in_user().await;
    for n in 1..=3 {
        let ip = format!("192.0.2.{n}");
        let failed = login_from(&app, &ip, &user.email, "not the password").await;
        assert_eq!(failed.status(), StatusCode::UNAUTHORIZED, "from {ip}");
    }
    let elsewhere = login_from(&app, "198.51.100.7", &user.email, PASSWORD).await;
    assert_limited(elsewhere, 3, 3600).await;
}

#[tokio::test]
async fn token_routes_per_ip_follow_the_configured_limit() {
    let app = TestApp::spawn_with(|s| set(&mut s.rate_limits.token_per_ip, "2/1m")).await;
    let refresh = app.refresh("no-such-refresh-token").await;
    assert_eq!(refresh.status(), StatusCode::UNAUTHORIZED);
    let verify = app
        .send_json(
            Method::POST,
            "/api/auth/verify-email",
            None,
            &json!({"token": "no-such-token"}),
        )
        .await;
    assert_ne!(verify.status(), StatusCode::TOO_MANY_REQUESTS);
    let reset = app
        .send_json(
            Method::POST,
            "/api/auth/reset-password",
            None,
            &json!({"token": "no-such-token", "new_password": "a fresh start passphrase"}),
        )
        .await;
    assert_limited(reset, 2, 60).await;
}

#[tokio::test]
async fn password_reset_requests_per_ip_follow_the_configured_limit() {
    let app = TestApp::spawn_with(|s| set(&mut s.rate_limits.forgot_per_ip, "2/15m")).await;
    let request = json!({"email": "someone@example.com"});
    let forgot = || app.send_json(Method::POST, "/api/auth/forgot-password", None, &request);
    for remaining in [1, 0] {
        let accepted = forgot().await;
        assert_eq!(accepted.status(), StatusCode::ACCEPTED);
        assert_eq!(limit_and_remaining(&accepted), (2, remaining));
    }
    assert_limited(forgot().await, 2, 15 * 60).await;
}

#[tokio::test]
async fn reset_emails_per_account_follow_the_configured_limit() {
    let app = TestApp::spawn_with(|s| set(&mut s.rate_limits.forgot_per_account, "1/1h")).await;
    let user = app.signed_in_user().await;
    for _ in 0..2 {
        let accepted = app
            .send_json(
                Method::POST,
                "/api/auth/forgot-password",
                None,
                &json!({"email": user.email}),
            )
            .await;
        assert_eq!(accepted.status(), StatusCode::ACCEPTED);
    }
    let resets = app
        .emails_to(&user.email)
        .await
        .into_iter()
        .filter(|message| crate::helpers::link_token(message, "/reset-password").is_some())
        .count();
    assert_eq!(resets, 1);
}

#[tokio::test]
async fn resent_verification_emails_follow_the_configured_limit() {
    let app = TestApp::spawn_with(|s| set(&mut s.rate_limits.resend_per_user, "1/1h")).await;
    let user = app.signed_in_user().await;
    let resend = || app.post("/api/auth/resend-verification", Some(&user.token));
    let sent = resend().await;
    assert_eq!(sent.status(), StatusCode::NO_CONTENT);
    assert_eq!(limit_and_remaining(&sent), (1, 0));
    assert_limited(resend().await, 1, 3600).await;
}

async fn list_todos(app: &TestApp, user: &TestUser) -> Response {
    app.get("/api/todos?limit=20", Some(&user.token)).await
}

#[tokio::test]
async fn the_api_limit_counts_each_users_requests() {
    let app = spawn_with_api_limit("3/1m").await;
    let user = app.signed_in_user().await;
    for remaining in [2, 1] {
        let listed = list_todos(&app, &user).await;
        assert_eq!(listed.status(), StatusCode::OK);
        assert_eq!(limit_and_remaining(&listed), (3, remaining));
    }
    // Every route outside /api/auth/ draws on the same budget.
    let created = app.create_todo(&user, &json!({"title": "one more"})).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    assert_eq!(limit_and_remaining(&created), (3, 0));
    assert_limited(list_todos(&app, &user).await, 3, 60).await;
    assert_limited(app.get("/api/users/me", Some(&user.token)).await, 3, 60).await;

    let other = app.signed_in_user().await;
    let listed = list_todos(&app, &other).await;
    assert_eq!(listed.status(), StatusCode::OK);
    assert_eq!(limit_and_remaining(&listed), (3, 2));
}

#[tokio::test]
async fn the_api_limit_leaves_auth_routes_and_anonymous_requests_alone() {
    let app = spawn_with_api_limit("1/1m").await;
    let user = app.signed_in_user().await;
    assert_eq!(list_todos(&app, &user).await.status(), StatusCode::OK);
    assert_limited(list_todos(&app, &user).await, 1, 60).await;

    // The auth routes keep their own policies, whatever token they carry.
    let resent = app
        .post("/api/auth/resend-verification", Some(&user.token))
        .await;
    assert_eq!(resent.status(), StatusCode::NO_CONTENT);
    assert_eq!(header(&resent, "ratelimit-limit"), 3);
    // Without a valid token there is no user to count: the route answers 401.
    for token in [None, Some("not-a-token")] {
        let anonymous = app.get("/api/todos", token).await;
        assert!(!anonymous.headers().contains_key("ratelimit-limit"));
        problem(anonymous, StatusCode::UNAUTHORIZED).await;
    }
}

#[tokio::test]
async fn a_routes_own_policy_reports_itself_when_stricter() {
    let app = TestApp::spawn_with(|s| {
        s.rate_limits.api_per_user = Some(Policy::parse("api_user", "100/1m").unwrap());
        set(&mut s.rate_limits.failed_login_per_account_ip, "1/15m");
    })
    .await;
    let user = app.signed_in_user().await;
    let request =
        json!({"current_password": "a wrong guess", "new_password": "whatever passphrase"});
    let change = || {
        app.send_json(
            Method::POST,
            "/api/users/me/password",
            Some(&user.token),
            &request,
        )
    };
    let wrong = change().await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(limit_and_remaining(&wrong), (100, 99));
    assert_limited(change().await, 1, 15 * 60).await;
}

#[tokio::test]
async fn the_api_limit_can_be_turned_off() {
    let app = TestApp::spawn_with(|s| s.rate_limits.api_per_user = None).await;
    let user = app.signed_in_user().await;
    let listed = list_todos(&app, &user).await;
    assert_eq!(listed.status(), StatusCode::OK);
    assert!(!listed.headers().contains_key("ratelimit-limit"));
}

#[tokio::test]
async fn replicas_share_the_api_limit_when_they_share_redis() {
    let app = spawn_with_api_limit("3/1m").await;
    let replica = app.spawn_replica().await;
    let user = app.signed_in_user().await;
    for _ in 0..2 {
        assert_eq!(list_todos(&app, &user).await.status(), StatusCode::OK);
    }
    let on_replica = list_todos(&replica, &user).await;
    assert_eq!(on_replica.status(), StatusCode::OK);
    if std::env::var(REDIS_ENV).is_ok() {
        assert_eq!(limit_and_remaining(&on_replica), (3, 0));
        assert_limited(list_todos(&replica, &user).await, 3, 60).await;
        assert_limited(list_todos(&app, &user).await, 3, 60).await;
    } else {
        // In process, each replica counts only what it serves.
        assert_eq!(limit_and_remaining(&on_replica), (3, 2));
        assert_eq!(list_todos(&app, &user).await.status(), StatusCode::OK);
        assert_limited(list_todos(&app, &user).await, 3, 60).await;
    }
}

/// A key's requests, REST or MCP, are its user's requests: one count for all three.
#[tokio::test]
async fn api_keys_and_mcp_count_against_their_user() {
    let app = spawn_with_api_limit("4/1m").await;
    let user = app.signed_in_user().await;
    // Creating the key is the first request.
    let key = app.api_key(&user, &["todos:read"]).await;
    let by_key = app.get("/api/todos", Some(&key.secret)).await;
    assert_eq!(limit_and_remaining(&by_key), (4, 2));
    let by_session = app.get("/api/todos", Some(&user.token)).await;
    assert_eq!(limit_and_remaining(&by_session), (4, 1));
    let by_mcp = crate::mcp::rpc(&app, Some(&key.secret), "tools/list", json!({})).await;
    assert_eq!(limit_and_remaining(&by_mcp), (4, 0));
    let refused = crate::mcp::rpc(&app, Some(&key.secret), "tools/list", json!({})).await;
    problem(refused, StatusCode::TOO_MANY_REQUESTS).await;
    // An unknown key counts against nobody.
    let forged = format!("nf_{}", "B".repeat(43));
    problem(
        app.get("/api/todos", Some(&forged)).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
}
