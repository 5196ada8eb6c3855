//! Sessions: refresh-token rotation and reuse detection, logout, the browser cookie flow,
//! the session list and revocation, all taking effect on the very next request.

use reqwest::header::{COOKIE, SET_COOKIE};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{TestApp, body, problem};

async fn me_status(app: &TestApp, token: &str) -> StatusCode {
    app.get("/api/users/me", Some(token)).await.status()
}

#[tokio::test]
async fn refresh_rotates_the_pair_and_each_refresh_token_works_once() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;

    let refreshed = app.refresh(&user.refresh_token).await;
    assert_eq!(refreshed.status(), StatusCode::OK);
    let pair = body(refreshed).await;
    let (access, refresh) = (
        pair["access_token"].as_str().unwrap(),
        pair["refresh_token"].as_str().unwrap(),
    );
    assert_ne!(refresh, user.refresh_token);
    assert_eq!(pair["token_type"], "bearer");
    assert_eq!(me_status(&app, access).await, StatusCode::OK);

    // The next refresh token works; it is a chain.
    let again = app.refresh(refresh).await;
    assert_eq!(again.status(), StatusCode::OK);
}

#[tokio::test]
async fn reusing_a_refresh_token_revokes_the_whole_session() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let pair = body(app.refresh(&user.refresh_token).await).await;
    let new_access = pair["access_token"].as_str().unwrap();
    let new_refresh = pair["refresh_token"].as_str().unwrap();

    // The old token again: stolen. The whole session ends.
    let reused = app.refresh(&user.refresh_token).await;
    problem(reused, StatusCode::UNAUTHORIZED).await;
    assert_eq!(me_status(&app, new_access).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me_status(&app, &user.token).await, StatusCode::UNAUTHORIZED);
    problem(app.refresh(new_refresh).await, StatusCode::UNAUTHORIZED).await;

    // Other sessions of the user are untouched.
    let (other, _) = app.new_session(&user).await;
    assert_eq!(me_status(&app, &other).await, StatusCode::OK);
}

#[tokio::test]
async fn unknown_and_malformed_refresh_tokens_are_refused() {
    let app = TestApp::spawn().await;
    problem(app.refresh("not-a-token").await, StatusCode::UNAUTHORIZED).await;
    let empty = app
        .send_json(
            Method::POST,
            "/api/auth/refresh",
            None,
            &json!({"refresh_token": ""}),
        )
        .await;
    problem(empty, StatusCode::UNPROCESSABLE_ENTITY).await;
    let extra = app
        .send_json(
            Method::POST,
            "/api/auth/refresh",
            None,
            &json!({"refresh_token": "x", "user_id": "y"}),
        )
        .await;
    problem(extra, StatusCode::UNPROCESSABLE_ENTITY).await;
    // No body and no cookie: nothing to refresh.
    problem(
        app.post("/api/auth/refresh", None).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

#[tokio::test]
async fn logout_ends_the_session_at_once() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let (other_access, _) = app.new_session(&user).await;

    let logout = app.post("/api/auth/logout", Some(&user.token)).await;
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    let cleared = logout.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    assert!(cleared.starts_with("neoforge_refresh=;") && cleared.contains("Max-Age=0"));

    assert_eq!(me_status(&app, &user.token).await, StatusCode::UNAUTHORIZED);
    problem(
        app.refresh(&user.refresh_token).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    // Only that session.
    assert_eq!(me_status(&app, &other_access).await, StatusCode::OK);
    // Logging out twice: the token no longer names a live session.
    problem(
        app.post("/api/auth/logout", Some(&user.token)).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

#[tokio::test]
async fn logout_accepts_the_refresh_token_in_the_body() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let logout = app
        .send_json(
            Method::POST,
            "/api/auth/logout",
            None,
            &json!({"refresh_token": user.refresh_token}),
        )
        .await;
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    assert_eq!(me_status(&app, &user.token).await, StatusCode::UNAUTHORIZED);
    problem(
        app.post("/api/auth/logout", None).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

/// The refresh token's cookie, as the browser would send it back.
fn refresh_cookie(response: &reqwest::Response) -> String {
    let set_cookie = response.headers()[SET_COOKIE].to_str().unwrap();
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Strict"), "{set_cookie}");
    assert!(set_cookie.contains("Path=/api/auth"), "{set_cookie}");
    // Development serves plain HTTP on localhost; production adds `Secure`.
    assert!(!set_cookie.contains("Secure"), "{set_cookie}");
    set_cookie.split(';').next().unwrap().to_owned()
}

#[tokio::test]
async fn the_browser_refreshes_and_logs_out_with_the_cookie() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let login = app.login(&user.email, crate::helpers::PASSWORD).await;
    let cookie = refresh_cookie(&login);
    let login_body = body(login).await;
    assert_eq!(
        cookie,
        format!(
            "neoforge_refresh={}",
            login_body["refresh_token"].as_str().unwrap()
        )
    );

    // Without the anti-forgery header the cookie is refused.
    let forged = app
        .request(Method::POST, "/api/auth/refresh")
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    problem(forged, StatusCode::FORBIDDEN).await;

    let refreshed = app
        .request(Method::POST, "/api/auth/refresh")
        .header(COOKIE, &cookie)
        .header("X-Requested-With", "neoforge")
        .send()
        .await
        .unwrap();
    assert_eq!(refreshed.status(), StatusCode::OK);
    let new_cookie = refresh_cookie(&refreshed);
    assert_ne!(new_cookie, cookie, "the cookie rotates with the token");
    let access = body(refreshed).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();

    let logout = app
        .request(Method::POST, "/api/auth/logout")
        .header(COOKIE, &new_cookie)
        .header("X-Requested-With", "neoforge")
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    assert_eq!(me_status(&app, &access).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn production_cookies_are_secure() {
    let app = TestApp::spawn_with(|settings| {
        settings.environment = neoforge::config::Environment::Production;
    })
    .await;
    let user = app.signed_in_user().await;
    let login = app.login(&user.email, crate::helpers::PASSWORD).await;
    let set_cookie = login.headers()[SET_COOKIE].to_str().unwrap();
    assert!(set_cookie.ends_with("; Secure"), "{set_cookie}");
}

#[tokio::test]
async fn the_session_list_marks_the_current_one_and_each_can_be_revoked() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let (other_access, other_refresh) = app.new_session(&user).await;

    let list = app.get("/api/users/me/sessions", Some(&user.token)).await;
    assert_eq!(list.status(), StatusCode::OK);
    let list = body(list).await;
    assert_eq!(list["total"], 2);
    let items = list["items"].as_array().unwrap();
    let current: Vec<_> = items.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    for session in items {
        for field in [
            "id",
            "created_at",
            "last_used_at",
            "user_agent",
            "device",
            "current",
        ] {
            assert!(session.get(field).is_some(), "{field} in {session}");
        }
    }
    let other_id = items.iter().find(|s| s["current"] == false).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let revoked = app
        .delete(
            &format!("/api/users/me/sessions/{other_id}"),
            Some(&user.token),
        )
        .await;
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        me_status(&app, &other_access).await,
        StatusCode::UNAUTHORIZED
    );
    problem(app.refresh(&other_refresh).await, StatusCode::UNAUTHORIZED).await;
    assert_eq!(me_status(&app, &user.token).await, StatusCode::OK);
    let list = body(app.get("/api/users/me/sessions", Some(&user.token)).await).await;
    assert_eq!(list["total"], 1);

    // Again: it no longer exists.
    problem(
        app.delete(
            &format!("/api/users/me/sessions/{other_id}"),
            Some(&user.token),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

#[tokio::test]
async fn another_users_session_cannot_be_revoked() {
    let app = TestApp::spawn().await;
    let alice = app.signed_in_user().await;
    let mallory = app.signed_in_user().await;
    let alice_sessions = body(app.get("/api/users/me/sessions", Some(&alice.token)).await).await;
    let alice_session = alice_sessions["items"][0]["id"].as_str().unwrap();

    for path in [
        format!("/api/users/me/sessions/{alice_session}"),
        "/api/users/me/sessions/not-a-uuid".to_owned(),
    ] {
        problem(
            app.delete(&path, Some(&mallory.token)).await,
            StatusCode::NOT_FOUND,
        )
        .await;
    }
    assert_eq!(me_status(&app, &alice.token).await, StatusCode::OK);
}

#[tokio::test]
async fn revoking_the_current_session_signs_out() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let sessions = body(app.get("/api/users/me/sessions", Some(&user.token)).await).await;
    let id = sessions["items"][0]["id"].as_str().unwrap();
    let revoked = app
        .delete(&format!("/api/users/me/sessions/{id}"), Some(&user.token))
        .await;
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    assert_eq!(me_status(&app, &user.token).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_deactivated_users_live_token_stops_working() {
    let app = TestApp::spawn().await;
    let admin = app.signed_in_admin().await;
    let user = app.signed_in_user().await;
    assert_eq!(me_status(&app, &user.token).await, StatusCode::OK);

    let deactivated = app
        .send_json(
            Method::PATCH,
            &format!("/api/admin/users/{}", user.id),
            Some(&admin.token),
            &json!({"is_active": false}),
        )
        .await;
    assert_eq!(deactivated.status(), StatusCode::OK);
    assert_eq!(me_status(&app, &user.token).await, StatusCode::UNAUTHORIZED);
    problem(
        app.refresh(&user.refresh_token).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let login = app.login(&user.email, crate::helpers::PASSWORD).await;
    problem(login, StatusCode::FORBIDDEN).await;
}

#[tokio::test]
async fn housekeeping_deletes_long_ended_sessions_and_old_rotated_tokens() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let live = app.signed_in_user().await;
    app.refresh(&live.refresh_token).await;
    app.post("/api/auth/logout", Some(&user.token)).await;
    // Ended eight days ago; the rotated token of the live session is older than 30 days.
    app.sql(
        "UPDATE sessions SET revoked_at = 1 WHERE user_id = $1",
        &[user.id.into()],
    )
    .await;
    app.sql("UPDATE used_refresh_tokens SET used_at = 1", &[])
        .await;

    let purged = neoforge::auth::purge_expired(&app.db).await.unwrap();
    assert_eq!(purged, 2, "one ended session and one rotated token");
    assert_eq!(
        app.get("/api/users/me", Some(&live.token)).await.status(),
        StatusCode::OK,
        "live sessions stay"
    );
}

#[tokio::test]
async fn concurrent_refreshes_of_one_token_let_exactly_one_through() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let (first, second) = tokio::join!(
        app.refresh(&user.refresh_token),
        app.refresh(&user.refresh_token)
    );
    let mut statuses = [first.status(), second.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::UNAUTHORIZED]);
    // The loser presented a used token: the session is treated as stolen and ends.
    let winner = if first.status() == StatusCode::OK {
        first
    } else {
        second
    };
    let access = body(winner).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(me_status(&app, &access).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn each_session_names_its_device_in_words() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let chrome_on_linux = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 \
        (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";
    let login = app
        .request(reqwest::Method::POST, "/api/auth/login")
        .header("User-Agent", chrome_on_linux)
        .json(&serde_json::json!({"email": user.email, "password": crate::helpers::PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::OK);

    let list = body(app.get("/api/users/me/sessions", Some(&user.token)).await).await;
    let devices: Vec<_> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|session| (session["user_agent"].clone(), session["device"].clone()))
        .collect();
    assert!(
        devices.contains(&(chrome_on_linux.into(), "Chrome on Linux".into())),
        "{devices:?}"
    );
    // The test client's own agent names no browser or system.
    assert!(
        devices.iter().any(|(_, device)| device.is_null()),
        "{devices:?}"
    );
}
