//! Passkeys: adding one in the settings and signing in with it, no email address or password,
//! driven by a software authenticator that answers the server's WebAuthn options as a
//! browser would. Ceremonies work once and only for their own challenge, on any replica.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{REDIS_ENV, TestApp, TestUser, body, invalid_fields, problem};
use crate::support::authenticator::Authenticator;

const REGISTRATION: &str = "/api/users/me/passkeys/registration";
const PASSKEYS: &str = "/api/users/me/passkeys";
const OPTIONS: &str = "/api/auth/passkey/options";
const SIGN_IN: &str = "/api/auth/passkey";
const REAUTHENTICATE: &str = "/api/auth/passkey/reauthenticate";

/// A sign-in ceremony: `(ceremony id, options)`.
async fn sign_in_options(app: &TestApp) -> (String, Value) {
    let response = app.post(OPTIONS, None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().contains_key("ratelimit-remaining"));
    let started = body(response).await;
    (
        started["ceremony_id"].as_str().unwrap().to_owned(),
        started["options"].clone(),
    )
}

async fn sign_in(app: &TestApp, ceremony_id: &str, credential: &Value) -> reqwest::Response {
    app.send_json(
        Method::POST,
        SIGN_IN,
        None,
        &json!({"ceremony_id": ceremony_id, "credential": credential}),
    )
    .await
}

/// A registration ceremony of `user`: `(ceremony id, options)`.
async fn registration(app: &TestApp, user: &TestUser) -> (String, Value) {
    let response = app.post(REGISTRATION, Some(&user.token)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let started = body(response).await;
    (
        started["ceremony_id"].as_str().unwrap().to_owned(),
        started["options"].clone(),
    )
}

async fn add(
    app: &TestApp,
    user: &TestUser,
    ceremony_id: &str,
    credential: &Value,
) -> reqwest::Response {
    app.send_json(
        Method::POST,
        PASSKEYS,
        Some(&user.token),
        &json!({"ceremony_id": ceremony_id, "name": "Phone", "credential": credential}),
    )
    .await
}

async fn passkeys(app: &TestApp, user: &TestUser) -> Vec<Value> {
    let list = body(app.get(PASSKEYS, Some(&user.token)).await).await;
    list["items"].as_array().unwrap().clone()
}

/// The audit log of `user`, newest first: `(event, details)`.
async fn audit(app: &TestApp, user_id: &str) -> Vec<(String, Value)> {
    let admin = app.signed_in_admin().await;
    let path = format!("/api/admin/audit-log?user_id={user_id}&limit=100");
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
async fn a_passkey_added_in_the_settings_signs_in_without_a_password() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let mut authenticator = Authenticator::new();

    let (ceremony_id, options) = registration(&app, &user).await;
    // What the browser is asked for: a discoverable passkey that verifies its user, for this
    // site, for this account.
    assert_eq!(options["rp"]["id"], "localhost");
    assert_eq!(options["user"]["name"], user.email.as_str());
    assert_eq!(options["authenticatorSelection"]["residentKey"], "required");
    assert_eq!(
        options["authenticatorSelection"]["userVerification"],
        "required"
    );
    assert!(options["challenge"].as_str().unwrap().len() >= 43);
    let credential = authenticator.create(&options);
    let added = add(&app, &user, &ceremony_id, &credential).await;
    assert_eq!(added.status(), StatusCode::CREATED);
    let added = body(added).await;
    assert_eq!(added["name"], "Phone");
    assert!(added["last_used_at"].is_null());
    let listed = passkeys(&app, &user).await;
    assert_eq!(listed, std::slice::from_ref(&added));
    assert_eq!(
        body(app.get(PASSKEYS, Some(&user.token)).await).await["total"],
        1
    );

    // Usernameless: the options name no account and allow any passkey of this site.
    let (ceremony_id, options) = sign_in_options(&app).await;
    assert_eq!(options["rpId"], "localhost");
    assert_eq!(options["allowCredentials"], json!([]));
    assert_eq!(options["userVerification"], "required");
    let signed_in = sign_in(&app, &ceremony_id, &authenticator.get(&options)).await;
    assert_eq!(signed_in.status(), StatusCode::OK);
    let cookie = signed_in.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("neoforge_refresh="), "{cookie}");
    assert!(signed_in.headers().contains_key("ratelimit-remaining"));
    let pair = body(signed_in).await;
    assert_eq!(pair["token_type"], "bearer");
    let token = pair["access_token"].as_str().unwrap();
    let me = body(app.get("/api/users/me", Some(token)).await).await;
    assert_eq!(me["id"], user.id.to_string());
    // The refresh token works like any other.
    assert_eq!(
        app.refresh(pair["refresh_token"].as_str().unwrap())
            .await
            .status(),
        StatusCode::OK
    );
    let used = &passkeys(&app, &user).await[0];
    assert!(used["last_used_at"].is_string(), "{used}");

    let events = audit(&app, &user.id.to_string()).await;
    let (event, details) = &events[0];
    assert_eq!(event, "login_succeeded");
    assert_eq!(details["method"], "passkey");
    assert_eq!(details["passkey_id"], added["id"]);
    let (event, details) = events
        .iter()
        .find(|(event, _)| event == "passkey_added")
        .expect("the addition is audited");
    assert_eq!(event, "passkey_added");
    assert_eq!(details["passkey_id"], added["id"]);

    // A second passkey: the browser is told which one the account has already.
    let (_, options) = registration(&app, &user).await;
    let excluded = options["excludeCredentials"].as_array().unwrap();
    assert_eq!(excluded.len(), 1);
    assert_eq!(excluded[0]["id"], credential["rawId"]);
}

#[tokio::test]
async fn each_sign_in_moves_the_counter_and_a_copied_key_is_refused() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let mut authenticator = Authenticator::new();
    app.passkey(&user, &mut authenticator, "Phone").await;
    let mut copy = authenticator.clone();
    for _ in 0..2 {
        let (ceremony_id, options) = sign_in_options(&app).await;
        let response = sign_in(&app, &ceremony_id, &authenticator.get(&options)).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    // The copy still counts from where the key was copied: behind the original.
    let (ceremony_id, options) = sign_in_options(&app).await;
    let refused = sign_in(&app, &ceremony_id, &copy.get(&options)).await;
    let refusal = problem(refused, StatusCode::UNAUTHORIZED).await;
    assert_eq!(refusal["detail"], "The passkey could not be verified.");
    let (event, details) = &audit(&app, &user.id.to_string()).await[0];
    assert_eq!(event, "login_failed");
    assert_eq!(details["reason"], "passkey_possible_clone");
    // The original goes on.
    let (ceremony_id, options) = sign_in_options(&app).await;
    let response = sign_in(&app, &ceremony_id, &authenticator.get(&options)).await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_sign_in_ceremony_works_once_and_only_for_its_own_challenge() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let mut authenticator = Authenticator::new();
    app.passkey(&user, &mut authenticator, "Phone").await;

    let (ceremony_id, options) = sign_in_options(&app).await;
    let assertion = authenticator.get(&options);
    assert_eq!(
        sign_in(&app, &ceremony_id, &assertion).await.status(),
        StatusCode::OK
    );
    // Replayed: the ceremony is gone.
    let replayed = problem(
        sign_in(&app, &ceremony_id, &assertion).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(
        replayed["detail"],
        "This passkey sign-in expired or was already used; start again."
    );

    // An answer to one ceremony's challenge, sent with another ceremony.
    let (_, first) = sign_in_options(&app).await;
    let (second_id, _) = sign_in_options(&app).await;
    let wrong = sign_in(&app, &second_id, &authenticator.get(&first)).await;
    problem(wrong, StatusCode::UNAUTHORIZED).await;
    // And the second ceremony was used up by the failure.
    let (_, third) = sign_in_options(&app).await;
    let retried = sign_in(&app, &second_id, &authenticator.get(&third)).await;
    problem(retried, StatusCode::UNAUTHORIZED).await;

    // Another origin (a phishing site relaying the challenge).
    let mut phished = authenticator.clone();
    phished.origin = "https://localhost.evil.example".to_owned();
    let (ceremony_id, options) = sign_in_options(&app).await;
    problem(
        sign_in(&app, &ceremony_id, &phished.get(&options)).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;

    // A passkey that did not verify its user is not enough.
    let mut unverified = authenticator.clone();
    unverified.user_verified = false;
    unverified.credentials[0].counter += 10;
    let (ceremony_id, options) = sign_in_options(&app).await;
    problem(
        sign_in(&app, &ceremony_id, &unverified.get(&options)).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;

    // Malformed answers are validation errors.
    let response = app
        .send_json(
            Method::POST,
            SIGN_IN,
            None,
            &json!({"ceremony_id": "x", "credential": {"id": "AQID"}, "extra": 1}),
        )
        .await;
    assert_eq!(invalid_fields(response).await, ["credential", "extra"]);
}

#[tokio::test]
async fn an_unknown_passkey_is_refused() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let mut authenticator = Authenticator::new();
    // Made for a registration that was never finished: the server does not know it.
    let (_, options) = registration(&app, &user).await;
    authenticator.create(&options);
    let (ceremony_id, options) = sign_in_options(&app).await;
    let refused = sign_in(&app, &ceremony_id, &authenticator.get(&options)).await;
    let refusal = problem(refused, StatusCode::UNAUTHORIZED).await;
    assert_eq!(refusal["detail"], "This passkey is not registered here.");

    // Known, but presented as another account's (the user handle is the account's id).
    app.passkey(&user, &mut authenticator, "Phone").await;
    let stranger = app.signed_in_user().await;
    let stranger_handle = base64_url(stranger.id.as_bytes());
    authenticator.credentials.last_mut().unwrap().user_handle = stranger_handle;
    let (ceremony_id, options) = sign_in_options(&app).await;
    let refused = sign_in(&app, &ceremony_id, &authenticator.get(&options)).await;
    problem(refused, StatusCode::UNAUTHORIZED).await;
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[tokio::test]
async fn a_registration_ceremony_works_once_for_its_own_session() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let mut authenticator = Authenticator::new();

    let (ceremony_id, options) = registration(&app, &user).await;
    let credential = authenticator.create(&options);
    assert_eq!(
        add(&app, &user, &ceremony_id, &credential).await.status(),
        StatusCode::CREATED
    );
    let reused = add(&app, &user, &ceremony_id, &credential).await;
    assert_eq!(invalid_fields(reused).await, ["ceremony_id"]);

    // An answer made for another ceremony's challenge.
    let (_, first) = registration(&app, &user).await;
    let (second_id, _) = registration(&app, &user).await;
    let wrong = add(&app, &user, &second_id, &authenticator.create(&first)).await;
    assert_eq!(invalid_fields(wrong).await, ["credential"]);

    // Another user cannot finish this user's ceremony, nor this user from another session.
    let (ceremony_id, options) = registration(&app, &user).await;
    let credential = authenticator.create(&options);
    let stranger = app.signed_in_user().await;
    let stolen = add(&app, &stranger, &ceremony_id, &credential).await;
    assert_eq!(invalid_fields(stolen).await, ["ceremony_id"]);
    let (ceremony_id, options) = registration(&app, &user).await;
    let credential = authenticator.create(&options);
    let (other_session, _) = app.new_session(&user).await;
    let elsewhere = app
        .send_json(
            Method::POST,
            PASSKEYS,
            Some(&other_session),
            &json!({"ceremony_id": ceremony_id, "name": "Phone", "credential": credential}),
        )
        .await;
    assert_eq!(invalid_fields(elsewhere).await, ["ceremony_id"]);

    // No user verification.
    let mut unverified = Authenticator::new();
    unverified.user_verified = false;
    let (ceremony_id, options) = registration(&app, &user).await;
    let refused = add(&app, &user, &ceremony_id, &unverified.create(&options)).await;
    assert_eq!(invalid_fields(refused).await, ["credential"]);

    // The same authenticator again: the browser was told to exclude it, and the server
    // refuses it all the same.
    let (ceremony_id, options) = registration(&app, &user).await;
    authenticator.next_id = Some(authenticator.credentials[0].id.clone());
    let again = add(&app, &user, &ceremony_id, &authenticator.create(&options)).await;
    assert_eq!(invalid_fields(again).await, ["credential"]);

    // Names are checked like other names; every bad field at once.
    let (ceremony_id, options) = registration(&app, &user).await;
    let response = app
        .send_json(
            Method::POST,
            PASSKEYS,
            Some(&user.token),
            &json!({"ceremony_id": ceremony_id, "name": "  ", "credential": "x"}),
        )
        .await;
    assert_eq!(invalid_fields(response).await, ["name", "credential"]);
    // The ceremony was not used by a request that never reached it.
    let credential = authenticator.create(&options);
    assert_eq!(
        add(&app, &user, &ceremony_id, &credential).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(passkeys(&app, &user).await.len(), 2);
}

#[tokio::test]
async fn a_credential_belongs_to_one_account_only() {
    let app = TestApp::spawn().await;
    let (user, stranger) = (app.signed_in_user().await, app.signed_in_user().await);
    let mut authenticator = Authenticator::new();
    app.passkey(&user, &mut authenticator, "Phone").await;
    let (ceremony_id, options) = registration(&app, &stranger).await;
    authenticator.next_id = Some(authenticator.credentials[0].id.clone());
    let taken = add(
        &app,
        &stranger,
        &ceremony_id,
        &authenticator.create(&options),
    )
    .await;
    problem(taken, StatusCode::CONFLICT).await;
    assert!(passkeys(&app, &stranger).await.is_empty());
}

#[tokio::test]
async fn passkeys_are_renamed_and_deleted_by_their_owner_only() {
    let app = TestApp::spawn().await;
    let (user, stranger) = (app.signed_in_user().await, app.signed_in_user().await);
    let mut authenticator = Authenticator::new();
    let passkey = app.passkey(&user, &mut authenticator, "Phone").await;
    let path = format!("{PASSKEYS}/{}", passkey["id"].as_str().unwrap());

    // A stranger's requests find nothing.
    let renamed = app
        .send_json(
            Method::PATCH,
            &path,
            Some(&stranger.token),
            &json!({"name": "Mine"}),
        )
        .await;
    problem(renamed, StatusCode::NOT_FOUND).await;
    problem(
        app.delete(&path, Some(&stranger.token)).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert!(passkeys(&app, &stranger).await.is_empty());

    let renamed = app
        .send_json(
            Method::PATCH,
            &path,
            Some(&user.token),
            &json!({"name": " Work laptop "}),
        )
        .await;
    assert_eq!(renamed.status(), StatusCode::OK);
    assert_eq!(body(renamed).await["name"], "Work laptop");
    let bad = app
        .send_json(
            Method::PATCH,
            &path,
            Some(&user.token),
            &json!({"name": "a\nb"}),
        )
        .await;
    assert_eq!(invalid_fields(bad).await, ["name"]);
    let unknown = format!("{PASSKEYS}/{}", uuid::Uuid::now_v7());
    problem(
        app.delete(&unknown, Some(&user.token)).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    problem(
        app.delete(&format!("{PASSKEYS}/not-an-id"), Some(&user.token))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;

    assert_eq!(
        app.delete(&path, Some(&user.token)).await.status(),
        StatusCode::NO_CONTENT
    );
    assert!(passkeys(&app, &user).await.is_empty());
    problem(
        app.delete(&path, Some(&user.token)).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let (event, details) = &audit(&app, &user.id.to_string()).await[0];
    assert_eq!(event, "passkey_removed");
    assert_eq!(details["passkey_id"], passkey["id"]);

    // A deleted passkey no longer signs in.
    let (ceremony_id, options) = sign_in_options(&app).await;
    problem(
        sign_in(&app, &ceremony_id, &authenticator.get(&options)).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

#[tokio::test]
async fn the_last_way_to_sign_in_cannot_be_deleted() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let mut authenticator = Authenticator::new();
    let first = app.passkey(&user, &mut authenticator, "Phone").await;
    let second = app.passkey(&user, &mut authenticator, "Laptop").await;
    // An account that signs in only with passkeys.
    app.sql(
        "UPDATE users SET password_hash = '' WHERE id = $1",
        &[user.id.into()],
    )
    .await;
    let path = |passkey: &Value| format!("{PASSKEYS}/{}", passkey["id"].as_str().unwrap());
    assert_eq!(
        app.delete(&path(&first), Some(&user.token)).await.status(),
        StatusCode::NO_CONTENT
    );
    let refused = problem(
        app.delete(&path(&second), Some(&user.token)).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("only way left to sign in"),
        "{refused}"
    );
    assert_eq!(passkeys(&app, &user).await.len(), 1);
    // And it still signs in with it.
    let (ceremony_id, options) = sign_in_options(&app).await;
    let signed_in = sign_in(&app, &ceremony_id, &authenticator.get(&options)).await;
    assert_eq!(signed_in.status(), StatusCode::OK);
}

#[tokio::test]
async fn changes_need_a_fresh_sign_in_which_a_passkey_can_give() {
    let app = TestApp::spawn().await;
    let (user, stranger) = (app.signed_in_user().await, app.signed_in_user().await);
    let mut authenticator = Authenticator::new();
    let passkey = app.passkey(&user, &mut authenticator, "Phone").await;
    let path = format!("{PASSKEYS}/{}", passkey["id"].as_str().unwrap());
    app.age_sign_in(&user).await;

    let stale = [
        app.post(REGISTRATION, Some(&user.token)).await,
        app.send_json(
            Method::PATCH,
            &path,
            Some(&user.token),
            &json!({"name": "x"}),
        )
        .await,
        app.delete(&path, Some(&user.token)).await,
    ];
    for response in stale {
        let challenge = response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            challenge.contains("insufficient_user_authentication"),
            "{challenge}"
        );
        problem(response, StatusCode::FORBIDDEN).await;
    }
    // Listing needs no fresh sign-in.
    assert_eq!(passkeys(&app, &user).await.len(), 1);

    // Confirming with another account's passkey does nothing.
    let mut strangers_authenticator = Authenticator::new();
    app.passkey(&stranger, &mut strangers_authenticator, "Theirs")
        .await;
    let (ceremony_id, options) = sign_in_options(&app).await;
    let assertion = strangers_authenticator.get(&options);
    let refused = app
        .send_json(
            Method::POST,
            REAUTHENTICATE,
            Some(&user.token),
            &json!({"ceremony_id": ceremony_id, "credential": assertion}),
        )
        .await;
    problem(refused, StatusCode::FORBIDDEN).await;
    // Nor does a used ceremony.
    let replayed = app
        .send_json(
            Method::POST,
            REAUTHENTICATE,
            Some(&user.token),
            &json!({"ceremony_id": ceremony_id, "credential": assertion}),
        )
        .await;
    problem(replayed, StatusCode::FORBIDDEN).await;
    problem(
        app.post(REGISTRATION, Some(&user.token)).await,
        StatusCode::FORBIDDEN,
    )
    .await;

    // The account's own passkey confirms it: the session is fresh again.
    let (ceremony_id, options) = sign_in_options(&app).await;
    let confirmed = app
        .send_json(
            Method::POST,
            REAUTHENTICATE,
            Some(&user.token),
            &json!({"ceremony_id": ceremony_id, "credential": authenticator.get(&options)}),
        )
        .await;
    assert_eq!(confirmed.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.post(REGISTRATION, Some(&user.token)).await.status(),
        StatusCode::OK
    );
    let (event, details) = &audit(&app, &user.id.to_string()).await[0];
    assert_eq!(event, "reauthenticated");
    assert_eq!(details["method"], "passkey");

    // Confirming needs a signed-in session.
    let (ceremony_id, options) = sign_in_options(&app).await;
    let anonymous = app
        .send_json(
            Method::POST,
            REAUTHENTICATE,
            None,
            &json!({"ceremony_id": ceremony_id, "credential": authenticator.get(&options)}),
        )
        .await;
    problem(anonymous, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn a_deactivated_account_cannot_sign_in_with_its_passkey() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let mut authenticator = Authenticator::new();
    app.passkey(&user, &mut authenticator, "Phone").await;
    app.sql(
        "UPDATE users SET is_active = 0 WHERE id = $1",
        &[user.id.into()],
    )
    .await;
    let (ceremony_id, options) = sign_in_options(&app).await;
    let refused = sign_in(&app, &ceremony_id, &authenticator.get(&options)).await;
    let refusal = problem(refused, StatusCode::FORBIDDEN).await;
    assert_eq!(refusal["detail"], "This account has been deactivated.");
    let (event, details) = &audit(&app, &user.id.to_string()).await[0];
    assert_eq!(event, "login_failed");
    assert_eq!(details["reason"], "deactivated");
    assert_eq!(details["method"], "passkey");
}

#[tokio::test]
async fn passkey_sign_in_is_rate_limited_per_ip() {
    let app = TestApp::spawn_with(|settings| {
        settings.rate_limits.login_per_ip =
            neoforge::cache::Policy::parse("login_ip", "2/1m").unwrap();
        settings.rate_limits.passkey_challenges_per_ip =
            neoforge::cache::Policy::parse("passkey_challenge_ip", "3/1m").unwrap();
    })
    .await;
    // Well-formed, but from no passkey this server knows.
    let forged = json!({
        "id": "AQID", "rawId": "AQID", "type": "public-key",
        "response": {"clientDataJSON": "e30", "authenticatorData": "AA", "signature": "AA",
            "userHandle": "AQID"},
    });
    for _ in 0..2 {
        let (ceremony_id, _) = sign_in_options(&app).await;
        let response = sign_in(&app, &ceremony_id, &forged).await;
        problem(response, StatusCode::UNAUTHORIZED).await;
    }
    let (ceremony_id, _) = sign_in_options(&app).await;
    let limited = sign_in(&app, &ceremony_id, &forged).await;
    assert!(limited.headers().contains_key("retry-after"));
    problem(limited, StatusCode::TOO_MANY_REQUESTS).await;
    // Asking for options is limited too.
    let limited = app.post(OPTIONS, None).await;
    assert!(limited.headers().contains_key("retry-after"));
    problem(limited, StatusCode::TOO_MANY_REQUESTS).await;
}

#[tokio::test]
async fn a_ceremony_started_on_one_replica_finishes_on_another() {
    // Replicas share ceremonies through Redis; in process each replica has its own cache.
    if std::env::var(REDIS_ENV).is_err() {
        return;
    }
    let app = TestApp::spawn().await;
    let replica = app.spawn_replica().await;
    let user = app.signed_in_user().await;
    let mut authenticator = Authenticator::new();
    let (ceremony_id, options) = registration(&app, &user).await;
    let credential = authenticator.create(&options);
    assert_eq!(
        add(&replica, &user, &ceremony_id, &credential)
            .await
            .status(),
        StatusCode::CREATED
    );
    let (ceremony_id, options) = sign_in_options(&replica).await;
    let assertion = authenticator.get(&options);
    assert_eq!(
        sign_in(&app, &ceremony_id, &assertion).await.status(),
        StatusCode::OK
    );
    // Used on one replica, gone on both.
    problem(
        sign_in(&replica, &ceremony_id, &assertion).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

#[tokio::test]
async fn without_a_domain_name_passkeys_are_unavailable() {
    let app = TestApp::spawn_with(|settings| settings.passkeys.relying_party = None).await;
    let user = app.signed_in_user().await;
    let unavailable = problem(
        app.post(OPTIONS, None).await,
        StatusCode::SERVICE_UNAVAILABLE,
    )
    .await;
    assert_eq!(
        unavailable["detail"],
        "Passkeys are not available on this server."
    );
    problem(
        app.post(REGISTRATION, Some(&user.token)).await,
        StatusCode::SERVICE_UNAVAILABLE,
    )
    .await;
    assert!(passkeys(&app, &user).await.is_empty());
}

#[tokio::test]
async fn a_passkey_signs_in_without_the_second_factor_of_an_account_that_has_one() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let mut authenticator = Authenticator::new();
    app.passkey(&user, &mut authenticator, "Phone").await;
    // Two-factor on: the authenticator app's current code confirms the set-up.
    let started = body(app.post("/api/users/me/2fa/totp", Some(&user.token)).await).await;
    let secret = totp_rs::Secret::try_from_base32(started["secret"].as_str().unwrap()).unwrap();
    let totp = totp_rs::Builder::new().with_secret(secret).build().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let confirmed = app
        .send_json(
            Method::POST,
            "/api/users/me/2fa/totp/confirm",
            Some(&user.token),
            &json!({"code": totp.generate(now).to_string()}),
        )
        .await;
    assert_eq!(confirmed.status(), StatusCode::OK);
    // The password alone is not enough any more...
    let login = app.login(&user.email, crate::helpers::PASSWORD).await;
    assert_eq!(login.status(), StatusCode::ACCEPTED);
    // ...a passkey is: it verified its user on the device.
    let (ceremony_id, options) = sign_in_options(&app).await;
    let signed_in = sign_in(&app, &ceremony_id, &authenticator.get(&options)).await;
    assert_eq!(signed_in.status(), StatusCode::OK);
    assert!(body(signed_in).await["access_token"].is_string());
    let (event, details) = &audit(&app, &user.id.to_string()).await[0];
    assert_eq!(event, "login_succeeded");
    assert_eq!(details["method"], "passkey");
}
