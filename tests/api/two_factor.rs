//! Two-factor authentication: setting up an authenticator app, signing in with its codes or
//! a recovery code, the limits on guessing, and turning it off. Codes are computed here with
//! the same RFC 6238 crate the server uses, from the secret the server hands out.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use totp_rs::{Builder, Secret, Totp};

use crate::helpers::{PASSWORD, TestApp, TestUser, body, invalid_fields, problem};

/// The user's authenticator app, which remembers the last time step it gave a code for, as
/// the server does: each code is accepted once.
pub struct Authenticator {
    totp: Totp,
    last_step: u64,
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

impl Authenticator {
    fn new(secret: &str) -> Self {
        let totp = Builder::new()
            .with_secret(Secret::try_from_base32(secret).unwrap())
            .build()
            .unwrap();
        Self { totp, last_step: 0 }
    }

    /// A code the server has not seen, of the earliest time step after the last one used
    /// that the server accepts now (it accepts one step either side of the current one).
    /// The step before is used only when it is not about to fall out of the window.
    pub async fn fresh_code(&mut self) -> String {
        loop {
            let secs = now_secs();
            let current = secs / 30;
            let earliest = if 30 - secs % 30 >= 5 {
                current - 1
            } else {
                current
            };
            let step = (self.last_step + 1).max(earliest);
            if step <= current + 1 {
                self.last_step = step;
                return self.totp.generate(step * 30).to_string();
            }
            tokio::time::sleep(Duration::from_secs(30 - secs % 30)).await;
        }
    }

    /// The code that was accepted last.
    fn used_code(&self) -> String {
        self.totp.generate(self.last_step * 30).to_string()
    }

    /// A code that is no code of the current window.
    fn wrong_code(&self) -> String {
        let step = now_secs() / 30;
        let valid: Vec<String> = (step - 1..=step + 1)
            .map(|step| self.totp.generate(step * 30).to_string())
            .collect();
        (0..)
            .map(|n| format!("{:06}", 100_000 + n))
            .find(|code| !valid.contains(code))
            .unwrap()
    }
}

async fn start(app: &TestApp, token: &str) -> Response {
    app.post("/api/users/me/2fa/totp", Some(token)).await
}

async fn confirm(app: &TestApp, token: &str, code: &str) -> Response {
    app.send_json(
        Method::POST,
        "/api/users/me/2fa/totp/confirm",
        Some(token),
        &json!({"code": code}),
    )
    .await
}

pub async fn mfa(app: &TestApp, mfa_token: &str, code: &str) -> Response {
    app.send_json(
        Method::POST,
        "/api/auth/mfa",
        None,
        &json!({"mfa_token": mfa_token, "code": code}),
    )
    .await
}

async fn disable(app: &TestApp, token: &str, password: &str) -> Response {
    app.send_json(
        Method::DELETE,
        "/api/users/me/2fa/totp",
        Some(token),
        &json!({"password": password}),
    )
    .await
}

/// Turn two-factor on for `user`; returns the app and the recovery codes.
pub async fn enrol(app: &TestApp, user: &TestUser) -> (Authenticator, Vec<String>) {
    let started = start(app, &user.token).await;
    assert_eq!(started.status(), StatusCode::CREATED);
    let mut authenticator = Authenticator::new(body(started).await["secret"].as_str().unwrap());
    let code = authenticator.fresh_code().await;
    let confirmed = confirm(app, &user.token, &code).await;
    assert_eq!(confirmed.status(), StatusCode::OK);
    let codes = body(confirmed).await["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|code| code.as_str().unwrap().to_owned())
        .collect();
    (authenticator, codes)
}

/// Sign in with the password, expecting the second step; returns the `mfa_token`.
async fn first_factor(app: &TestApp, email: &str) -> String {
    let login = app.login(email, PASSWORD).await;
    assert_eq!(login.status(), StatusCode::ACCEPTED);
    assert!(login.headers().get("set-cookie").is_none());
    let pending = body(login).await;
    assert_eq!(pending["mfa_required"], true);
    assert_eq!(pending["expires_in"], 300);
    assert!(pending.get("access_token").is_none(), "{pending}");
    pending["mfa_token"].as_str().unwrap().to_owned()
}

async fn me(app: &TestApp, token: &str) -> Value {
    let me = app.get("/api/users/me", Some(token)).await;
    assert_eq!(me.status(), StatusCode::OK);
    body(me).await
}

/// The user's audit log, newest first: `(event, details)`.
async fn audit(app: &TestApp, user: &TestUser) -> Vec<(String, Value)> {
    let admin = app.signed_in_admin().await;
    let path = format!("/api/admin/audit-log?user_id={}&limit=100", user.id);
    body(app.get(&path, Some(&admin.token)).await).await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            (
                entry["event"].as_str().unwrap().to_owned(),
                entry["details"].clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn with_two_factor_on_the_password_alone_does_not_sign_in() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let profile = me(&app, &user.token).await;
    assert_eq!(profile["mfa_enabled"], false);
    assert_eq!(profile["recovery_codes_remaining"], 0);

    let started = start(&app, &user.token).await;
    assert_eq!(started.status(), StatusCode::CREATED);
    let enrolment = body(started).await;
    let secret = enrolment["secret"].as_str().unwrap();
    let uri = enrolment["otpauth_uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/NeoForge:user-"), "{uri}");
    assert!(uri.contains(&format!("secret={secret}")), "{uri}");
    assert!(uri.contains("issuer=NeoForge"), "{uri}");
    let svg = enrolment["qr_svg"].as_str().unwrap();
    assert!(svg.contains("<svg") && svg.contains("<path"), "{svg}");
    // Pending, not on: the password still signs in by itself.
    assert_eq!(me(&app, &user.token).await["mfa_enabled"], false);
    assert_eq!(
        app.login(&user.email, PASSWORD).await.status(),
        StatusCode::OK
    );

    let mut authenticator = Authenticator::new(secret);
    let code = authenticator.fresh_code().await;
    let confirmed = confirm(&app, &user.token, &code).await;
    assert_eq!(confirmed.status(), StatusCode::OK);
    let codes = body(confirmed).await["recovery_codes"].clone();
    assert_eq!(codes.as_array().unwrap().len(), 10);
    let profile = me(&app, &user.token).await;
    assert_eq!(profile["mfa_enabled"], true);
    assert_eq!(profile["recovery_codes_remaining"], 10);

    let mfa_token = first_factor(&app, &user.email).await;
    let code = authenticator.fresh_code().await;
    let signed_in = mfa(&app, &mfa_token, &code).await;
    assert_eq!(signed_in.status(), StatusCode::OK);
    let cookie = signed_in.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("neoforge_refresh="), "{cookie}");
    for header in ["ratelimit-limit", "ratelimit-remaining"] {
        assert!(signed_in.headers().contains_key(header), "{header}");
    }
    let pair = body(signed_in).await;
    assert_eq!(pair["token_type"], "bearer");
    let token = pair["access_token"].as_str().unwrap();
    assert_eq!(me(&app, token).await["email"], user.email.as_str());
    assert_eq!(
        app.refresh(pair["refresh_token"].as_str().unwrap())
            .await
            .status(),
        StatusCode::OK
    );

    let log = audit(&app, &user).await;
    let (event, details) = &log[0];
    assert_eq!(event, "login_succeeded");
    assert_eq!(details["method"], "second_factor");
    assert_eq!(details["first_factor"], "password");
    assert_eq!(details["second_factor"], "totp");
    assert!(log.iter().any(|(event, _)| event == "two_factor_enabled"));
}

#[tokio::test]
async fn a_new_set_up_replaces_a_pending_one_and_an_active_one_is_kept() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let first = body(start(&app, &user.token).await).await["secret"].clone();
    let second = body(start(&app, &user.token).await).await["secret"].clone();
    assert_ne!(first, second);
    let mut replaced = Authenticator::new(first.as_str().unwrap());
    let stale = confirm(&app, &user.token, &replaced.fresh_code().await).await;
    assert_eq!(invalid_fields(stale).await, ["code"]);
    let mut current = Authenticator::new(second.as_str().unwrap());
    let code = current.fresh_code().await;
    assert_eq!(
        confirm(&app, &user.token, &code).await.status(),
        StatusCode::OK
    );

    let again = problem(start(&app, &user.token).await, StatusCode::CONFLICT).await;
    assert!(again["detail"].as_str().unwrap().contains("already on"));
    let again = confirm(&app, &user.token, &current.fresh_code().await).await;
    problem(again, StatusCode::CONFLICT).await;
    // Nothing to confirm without a set-up.
    let other = app.signed_in_user().await;
    problem(
        confirm(&app, &other.token, "123456").await,
        StatusCode::CONFLICT,
    )
    .await;
    let empty = confirm(&app, &user.token, "").await;
    assert_eq!(invalid_fields(empty).await, ["code"]);
}

#[tokio::test]
async fn wrong_codes_are_refused_and_the_fifth_ends_the_sign_in() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let (mut authenticator, _) = enrol(&app, &user).await;
    let mfa_token = first_factor(&app, &user.email).await;
    for _ in 0..4 {
        let wrong = mfa(&app, &mfa_token, &authenticator.wrong_code()).await;
        assert_eq!(invalid_fields(wrong).await, ["code"]);
    }
    let fifth = mfa(&app, &mfa_token, "0000-0000-0000-0000").await;
    let ended = problem(fifth, StatusCode::UNAUTHORIZED).await;
    assert!(ended["detail"].as_str().unwrap().contains("sign in again"));
    let code = authenticator.fresh_code().await;
    let too_late = mfa(&app, &mfa_token, &code).await;
    assert_eq!(too_late.headers()["www-authenticate"], "Bearer");
    problem(too_late, StatusCode::UNAUTHORIZED).await;

    // A new sign-in gets new attempts, and the code, unused so far, works.
    let mfa_token = first_factor(&app, &user.email).await;
    assert_eq!(mfa(&app, &mfa_token, &code).await.status(), StatusCode::OK);

    let failures: Vec<Value> = audit(&app, &user)
        .await
        .into_iter()
        .filter(|(event, _)| event == "login_failed")
        .map(|(_, details)| details)
        .collect();
    assert_eq!(failures.len(), 5);
    assert_eq!(failures[0]["reason"], "bad_second_factor");
    assert_eq!(failures[0]["attempts_left"], 0);
    assert_eq!(failures[4]["attempts_left"], 4);
}

#[tokio::test]
async fn each_authenticator_code_is_accepted_once() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let (mut authenticator, codes) = enrol(&app, &user).await;
    // The code that confirmed the set-up does not sign in.
    let mfa_token = first_factor(&app, &user.email).await;
    let replay = mfa(&app, &mfa_token, &authenticator.used_code()).await;
    assert_eq!(invalid_fields(replay).await, ["code"]);
    let code = authenticator.fresh_code().await;
    assert_eq!(mfa(&app, &mfa_token, &code).await.status(), StatusCode::OK);
    // Nor does a code that signed in once, from another sign-in.
    let mfa_token = first_factor(&app, &user.email).await;
    let replay = mfa(&app, &mfa_token, &code).await;
    assert_eq!(invalid_fields(replay).await, ["code"]);
    assert_eq!(
        mfa(&app, &mfa_token, &codes[0]).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_recovery_code_signs_in_once_however_it_is_typed() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let (_, codes) = enrol(&app, &user).await;
    assert_eq!(codes.len(), 10);
    for code in &codes {
        assert!(code.len() == 19 && code.matches('-').count() == 3, "{code}");
    }
    let typed = format!("  {}  ", codes[3].to_uppercase().replace('-', " "));
    let mfa_token = first_factor(&app, &user.email).await;
    let signed_in = mfa(&app, &mfa_token, &typed).await;
    assert_eq!(signed_in.status(), StatusCode::OK);
    let token = body(signed_in).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(me(&app, &token).await["recovery_codes_remaining"], 9);

    let mfa_token = first_factor(&app, &user.email).await;
    let again = mfa(&app, &mfa_token, &codes[3].replace('-', "")).await;
    assert_eq!(invalid_fields(again).await, ["code"]);
    // Another user's codes are no use either.
    let other = app.signed_in_user().await;
    let (_, others) = enrol(&app, &other).await;
    let wrong_user = mfa(&app, &mfa_token, &others[0]).await;
    assert_eq!(invalid_fields(wrong_user).await, ["code"]);

    let log = audit(&app, &user).await;
    let used = log
        .iter()
        .find(|(event, _)| event == "recovery_code_used")
        .expect("the use is recorded");
    assert_eq!(used.1["remaining"], 9);
    assert!(log.iter().any(|(event, details)| event == "login_succeeded"
        && details["second_factor"] == "recovery_code"));
}

#[tokio::test]
async fn the_oauth2_token_form_asks_for_the_second_factor_too() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let (_, codes) = enrol(&app, &user).await;
    let form = app
        .request(Method::POST, "/api/auth/token")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "grant_type=password&username={}&password={}",
            user.email.replace('@', "%40"),
            PASSWORD.replace(' ', "+")
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), StatusCode::ACCEPTED);
    let pending = body(form).await;
    assert_eq!(pending["mfa_required"], true);
    assert!(pending.get("access_token").is_none());
    let mfa_token = pending["mfa_token"].as_str().unwrap();
    assert_eq!(
        mfa(&app, mfa_token, &codes[0]).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn turning_it_off_needs_the_password_and_counts_wrong_ones() {
    let app = TestApp::spawn_with(|settings| {
        settings.rate_limits.failed_login_per_account_ip.limit = 2;
    })
    .await;
    let user = app.signed_in_user().await;
    enrol(&app, &user).await;
    let wrong = disable(&app, &user.token, "not the password").await;
    assert_eq!(invalid_fields(wrong).await, ["password"]);
    assert_eq!(me(&app, &user.token).await["mfa_enabled"], true);
    assert_eq!(
        disable(&app, &user.token, "still not it").await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // The failed-login limit tripped: even the right password waits.
    let limited = disable(&app, &user.token, PASSWORD).await;
    assert!(limited.headers().contains_key("retry-after"));
    problem(limited, StatusCode::TOO_MANY_REQUESTS).await;

    let other = app.signed_in_user().await;
    enrol(&app, &other).await;
    let off = disable(&app, &other.token, PASSWORD).await;
    assert_eq!(off.status(), StatusCode::NO_CONTENT);
    let profile = me(&app, &other.token).await;
    assert_eq!(profile["mfa_enabled"], false);
    assert_eq!(profile["recovery_codes_remaining"], 0);
    assert_eq!(
        app.login(&other.email, PASSWORD).await.status(),
        StatusCode::OK
    );
    let log = audit(&app, &other).await;
    assert!(log.iter().any(|(event, _)| event == "two_factor_disabled"));
    // Off is off: once more is harmless, and records nothing more.
    assert_eq!(
        disable(&app, &other.token, PASSWORD).await.status(),
        StatusCode::NO_CONTENT
    );
    let disabled = audit(&app, &other).await;
    let count = disabled
        .iter()
        .filter(|(event, _)| event == "two_factor_disabled")
        .count();
    assert_eq!(count, 1);
}

#[tokio::test]
async fn forged_expired_and_used_sign_in_tokens_are_401() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let (_, codes) = enrol(&app, &user).await;

    let forged = mfa(
        &app,
        "Zm9yZ2VkLXRva2VuLXRoYXQtd2FzLW5ldmVyLWlzc3VlZA",
        &codes[0],
    )
    .await;
    assert_eq!(forged.headers()["www-authenticate"], "Bearer");
    problem(forged, StatusCode::UNAUTHORIZED).await;

    let expired = first_factor(&app, &user.email).await;
    app.sql("UPDATE mfa_challenges SET expires_at = 0", &[])
        .await;
    problem(
        mfa(&app, &expired, &codes[0]).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;

    let used = first_factor(&app, &user.email).await;
    assert_eq!(mfa(&app, &used, &codes[0]).await.status(), StatusCode::OK);
    problem(mfa(&app, &used, &codes[1]).await, StatusCode::UNAUTHORIZED).await;

    let missing = app
        .send_json(
            Method::POST,
            "/api/auth/mfa",
            None,
            &json!({"code": codes[1], "extra": 1}),
        )
        .await;
    let mut fields = invalid_fields(missing).await;
    fields.sort();
    assert_eq!(fields, ["extra", "mfa_token"]);
}

#[tokio::test]
async fn second_factor_attempts_are_limited_per_account() {
    let app = TestApp::spawn_with(|settings| {
        settings.rate_limits.mfa_per_account.limit = 3;
    })
    .await;
    let user = app.signed_in_user().await;
    let (authenticator, codes) = enrol(&app, &user).await;
    let mfa_token = first_factor(&app, &user.email).await;
    for _ in 0..2 {
        let wrong = mfa(&app, &mfa_token, &authenticator.wrong_code()).await;
        assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    // A new sign-in attempt does not get a new allowance.
    let mfa_token = first_factor(&app, &user.email).await;
    let wrong = mfa(&app, &mfa_token, &authenticator.wrong_code()).await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let limited = mfa(&app, &mfa_token, &codes[0]).await;
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3600).contains(&retry_after), "{retry_after}");
    problem(limited, StatusCode::TOO_MANY_REQUESTS).await;

    // Other accounts are not affected.
    let other = app.signed_in_user().await;
    let (_, others) = enrol(&app, &other).await;
    let mfa_token = first_factor(&app, &other.email).await;
    assert_eq!(
        mfa(&app, &mfa_token, &others[0]).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn set_up_and_new_recovery_codes_need_a_fresh_sign_in() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    app.age_sign_in(&user).await;
    let stale = start(&app, &user.token).await;
    assert_eq!(
        stale.headers()["www-authenticate"],
        r#"Bearer error="insufficient_user_authentication", max_age=600"#
    );
    problem(stale, StatusCode::FORBIDDEN).await;
    let reauthenticated = app
        .send_json(
            Method::POST,
            "/api/auth/reauthenticate",
            Some(&user.token),
            &json!({"password": PASSWORD}),
        )
        .await;
    assert_eq!(reauthenticated.status(), StatusCode::NO_CONTENT);
    let (_, old_codes) = enrol(&app, &user).await;

    app.age_sign_in(&user).await;
    let stale = app
        .post("/api/users/me/2fa/recovery-codes", Some(&user.token))
        .await;
    problem(stale, StatusCode::FORBIDDEN).await;
    // A session opened with the second factor is fresh.
    let mfa_token = first_factor(&app, &user.email).await;
    let signed_in = mfa(&app, &mfa_token, &old_codes[0]).await;
    let token = body(signed_in).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let renewed = app
        .post("/api/users/me/2fa/recovery-codes", Some(&token))
        .await;
    assert_eq!(renewed.status(), StatusCode::OK);
    let new_codes = body(renewed).await["recovery_codes"].clone();
    assert_eq!(new_codes.as_array().unwrap().len(), 10);
    assert_eq!(me(&app, &token).await["recovery_codes_remaining"], 10);

    let mfa_token = first_factor(&app, &user.email).await;
    let old = mfa(&app, &mfa_token, &old_codes[1]).await;
    assert_eq!(invalid_fields(old).await, ["code"]);
    let new = mfa(&app, &mfa_token, new_codes[0].as_str().unwrap()).await;
    assert_eq!(new.status(), StatusCode::OK);
    let log = audit(&app, &user).await;
    assert!(
        log.iter()
            .any(|(event, _)| event == "recovery_codes_regenerated")
    );

    // With two-factor off there is nothing to renew.
    let other = app.signed_in_user().await;
    let off = app
        .post("/api/users/me/2fa/recovery-codes", Some(&other.token))
        .await;
    problem(off, StatusCode::CONFLICT).await;
}

#[tokio::test]
async fn concurrent_submissions_of_one_sign_in_open_one_session() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let (mut authenticator, _) = enrol(&app, &user).await;
    let mfa_token = first_factor(&app, &user.email).await;
    let code = authenticator.fresh_code().await;
    let attempts = (0..8).map(|_| mfa(&app, &mfa_token, &code));
    let statuses: Vec<StatusCode> = futures_util::future::join_all(attempts)
        .await
        .iter()
        .map(Response::status)
        .collect();
    let signed_in = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    assert_eq!(signed_in, 1, "{statuses:?}");
    assert!(
        statuses.iter().all(|s| [
            StatusCode::OK,
            StatusCode::UNAUTHORIZED,
            StatusCode::UNPROCESSABLE_ENTITY
        ]
        .contains(s)),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn another_replica_completes_the_sign_in() {
    let app = TestApp::spawn().await;
    let replica = app.spawn_replica().await;
    let user = app.signed_in_user().await;
    let (mut authenticator, _) = enrol(&app, &user).await;
    let mfa_token = first_factor(&app, &user.email).await;
    let code = authenticator.fresh_code().await;
    assert_eq!(
        mfa(&replica, &mfa_token, &code).await.status(),
        StatusCode::OK
    );
    problem(
        mfa(&app, &mfa_token, &authenticator.wrong_code()).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

#[tokio::test]
async fn a_password_reset_leaves_two_factor_on_and_ends_pending_sign_ins() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let (_, codes) = enrol(&app, &user).await;
    let pending = first_factor(&app, &user.email).await;
    app.send_json(
        Method::POST,
        "/api/auth/forgot-password",
        None,
        &json!({"email": user.email}),
    )
    .await;
    let token = app.emailed_token(&user.email, "/reset-password").await;
    let new_password = "a fresh start passphrase";
    let reset = app
        .send_json(
            Method::POST,
            "/api/auth/reset-password",
            None,
            &json!({"token": token, "new_password": new_password}),
        )
        .await;
    assert_eq!(reset.status(), StatusCode::NO_CONTENT);
    problem(
        mfa(&app, &pending, &codes[0]).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let login = app.login(&user.email, new_password).await;
    assert_eq!(login.status(), StatusCode::ACCEPTED);
    let mfa_token = body(login).await["mfa_token"].as_str().unwrap().to_owned();
    assert_eq!(
        mfa(&app, &mfa_token, &codes[0]).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn deleting_the_account_deletes_its_second_factor() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    enrol(&app, &user).await;
    first_factor(&app, &user.email).await;
    let deleted = app
        .send_json(
            Method::DELETE,
            "/api/users/me",
            Some(&user.token),
            &json!({"password": PASSWORD}),
        )
        .await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    for table in [
        "DELETE FROM totp_credentials",
        "DELETE FROM recovery_codes",
        "DELETE FROM mfa_challenges",
    ] {
        assert_eq!(app.sql(table, &[]).await, 0, "{table}");
    }
}
