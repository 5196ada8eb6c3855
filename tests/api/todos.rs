use reqwest::header::{ETAG, IF_NONE_MATCH, LOCATION, WWW_AUTHENTICATE};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, body, invalid_fields, problem};

const MISSING_ID: &str = "01900000-0000-7000-8000-000000000000";

fn titles(page: &Value) -> Vec<&str> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|todo| todo["title"].as_str().unwrap())
        .collect()
}

async fn list(app: &TestApp, user: &TestUser, query: &str) -> Value {
    let response = app
        .get(&format!("/api/todos{query}"), Some(&user.token))
        .await;
    assert_eq!(response.status(), StatusCode::OK, "GET /api/todos{query}");
    body(response).await
}

#[tokio::test]
async fn create_returns_201_with_location_and_the_todo() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let response = app
        .create_todo(&user, &json!({"title": "  Buy milk  "}))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response.headers()[LOCATION].to_str().unwrap().to_owned();
    let todo = body(response).await;
    assert_eq!(
        location,
        format!("/api/todos/{}", todo["id"].as_str().unwrap())
    );
    assert_eq!(todo["title"], "Buy milk");
    assert_eq!(todo["completed"], false);
    assert_eq!(todo["created_at"], todo["updated_at"]);

    let fetched = body(app.get(&location, Some(&user.token)).await).await;
    assert_eq!(fetched, todo);
}

#[tokio::test]
async fn titles_are_stored_exactly_and_bounded() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let markup = r#"<script>alert("x")</script> & ' " 🦀"#;
    assert_eq!(app.todo(&user, markup).await["title"], markup);
    let longest = "é".repeat(500);
    assert_eq!(app.todo(&user, &longest).await["title"], longest.as_str());
    let completed = app
        .create_todo(&user, &json!({"title": "done", "completed": true}))
        .await;
    assert_eq!(body(completed).await["completed"], true);

    let invalid = [
        (json!({}), vec!["title"]),
        (json!({"title": ""}), vec!["title"]),
        (json!({"title": "   "}), vec!["title"]),
        (json!({"title": "x".repeat(501)}), vec!["title"]),
        (
            json!({"title": 5, "completed": "yes"}),
            vec!["completed", "title"],
        ),
        (json!({"title": null}), vec!["title"]),
        (
            json!({"title": "ok", "id": "mine", "user_id": "theirs"}),
            vec!["id", "user_id"],
        ),
    ];
    for (request, expected) in invalid {
        let mut fields = invalid_fields(app.create_todo(&user, &request).await).await;
        fields.sort();
        assert_eq!(fields, expected, "for {request}");
    }
    assert_eq!(list(&app, &user, "").await["total"], 3);
}

#[tokio::test]
async fn list_is_newest_first_paginated_and_filtered() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    for title in ["one", "two", "three", "four", "five"] {
        app.todo(&user, title).await;
    }
    let two = list(&app, &user, "?limit=100").await["items"][3]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let patched = app
        .send_json(
            Method::PATCH,
            &format!("/api/todos/{two}"),
            Some(&user.token),
            &json!({"completed": true}),
        )
        .await;
    assert_eq!(patched.status(), StatusCode::OK);

    let all = list(&app, &user, "").await;
    assert_eq!(titles(&all), ["five", "four", "three", "two", "one"]);
    assert_eq!(
        (
            all["total"].clone(),
            all["limit"].clone(),
            all["offset"].clone()
        ),
        (json!(5), json!(20), json!(0))
    );

    let page = list(&app, &user, "?limit=2&offset=1").await;
    assert_eq!(titles(&page), ["four", "three"]);
    assert_eq!(page["total"], 5);

    let past_the_end = list(&app, &user, "?offset=10").await;
    assert_eq!(titles(&past_the_end), Vec::<&str>::new());
    assert_eq!(past_the_end["total"], 5);

    assert_eq!(
        titles(&list(&app, &user, "?status_filter=completed").await),
        ["two"]
    );
    let active = list(&app, &user, "?status_filter=active&limit=1&offset=3").await;
    assert_eq!(
        (titles(&active), active["total"].clone()),
        (vec!["one"], json!(4))
    );
    assert_eq!(
        list(&app, &user, "?status_filter=completed&offset=5").await["total"],
        1
    );
    assert_eq!(list(&app, &user, "?status_filter=all").await["total"], 5);
}

#[tokio::test]
async fn list_parameters_out_of_bounds_are_422() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    for (query, expected) in [
        ("?limit=0", vec!["limit"]),
        ("?limit=101", vec!["limit"]),
        ("?limit=ten", vec!["limit"]),
        ("?offset=-1", vec!["offset"]),
        ("?offset=99999999999999999999", vec!["offset"]),
        ("?status_filter=done", vec!["status_filter"]),
        (
            "?limit=0&offset=-1&status_filter=",
            vec!["status_filter", "limit", "offset"],
        ),
        ("?limit=5&statusfilter=active", vec!["statusfilter"]),
    ] {
        let response = app
            .get(&format!("/api/todos{query}"), Some(&user.token))
            .await;
        assert_eq!(invalid_fields(response).await, expected, "for {query}");
    }
    assert_eq!(list(&app, &user, "?limit=1&offset=0").await["limit"], 1);
}

#[tokio::test]
async fn lists_and_todos_support_conditional_requests() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let todo = app.todo(&user, "watch me").await;
    let todo_path = format!("/api/todos/{}", todo["id"].as_str().unwrap());

    for path in ["/api/todos", todo_path.as_str(), "/api/todos/stats"] {
        let first = app.get(path, Some(&user.token)).await;
        let etag = first.headers()[ETAG].clone();
        let conditional = |etag| {
            app.request(Method::GET, path)
                .bearer_auth(&user.token)
                .header(IF_NONE_MATCH, etag)
                .send()
        };
        let unchanged = conditional(etag.clone()).await.unwrap();
        assert_eq!(unchanged.status(), StatusCode::NOT_MODIFIED, "{path}");
        assert_eq!(unchanged.headers()[ETAG], etag);

        let toggled = !todo_state(&app, &user, &todo_path).await;
        app.send_json(
            Method::PATCH,
            &todo_path,
            Some(&user.token),
            &json!({"completed": toggled}),
        )
        .await;
        let changed = conditional(etag.clone()).await.unwrap();
        assert_eq!(changed.status(), StatusCode::OK, "{path} after a change");
        assert_ne!(changed.headers()[ETAG], etag);
    }
}

async fn todo_state(app: &TestApp, user: &TestUser, path: &str) -> bool {
    body(app.get(path, Some(&user.token)).await).await["completed"]
        .as_bool()
        .unwrap()
}

#[tokio::test]
async fn put_and_patch_change_the_given_fields() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let todo = app.todo(&user, "draft").await;
    let path = format!("/api/todos/{}", todo["id"].as_str().unwrap());

    let patched = app
        .send_json(
            Method::PATCH,
            &path,
            Some(&user.token),
            &json!({"completed": true}),
        )
        .await;
    assert_eq!(patched.status(), StatusCode::OK);
    let patched = body(patched).await;
    assert_eq!(
        (patched["title"].as_str(), patched["completed"].as_bool()),
        (Some("draft"), Some(true))
    );
    assert_eq!(patched["created_at"], todo["created_at"]);

    let put = app
        .send_json(
            Method::PUT,
            &path,
            Some(&user.token),
            &json!({"title": " final "}),
        )
        .await;
    assert_eq!(put.status(), StatusCode::OK);
    let put = body(put).await;
    assert_eq!(
        (put["title"].as_str(), put["completed"].as_bool()),
        (Some("final"), Some(true))
    );
    assert_eq!(body(app.get(&path, Some(&user.token)).await).await, put);

    for method in [Method::PUT, Method::PATCH] {
        for (request, expected) in [
            (json!({}), vec!["body"]),
            (json!({"title": ""}), vec!["title"]),
            (json!({"completed": null}), vec!["completed"]),
            (json!({"title": "x", "owner": "me"}), vec!["owner"]),
        ] {
            let response = app
                .send_json(method.clone(), &path, Some(&user.token), &request)
                .await;
            assert_eq!(
                invalid_fields(response).await,
                expected,
                "{method} {request}"
            );
        }
    }
    assert_eq!(
        body(app.get(&path, Some(&user.token)).await).await,
        put,
        "invalid updates change nothing"
    );
}

#[tokio::test]
async fn delete_removes_the_todo() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let todo = app.todo(&user, "temporary").await;
    let path = format!("/api/todos/{}", todo["id"].as_str().unwrap());
    let deleted = app.delete(&path, Some(&user.token)).await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    problem(
        app.get(&path, Some(&user.token)).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let again = app.delete(&path, Some(&user.token)).await;
    problem(again, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn stats_count_by_status() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    assert_eq!(
        body(app.get("/api/todos/stats", Some(&user.token)).await).await,
        json!({"total": 0, "active": 0, "completed": 0})
    );
    for i in 0..3 {
        app.todo(&user, &format!("todo {i}")).await;
    }
    app.create_todo(&user, &json!({"title": "done", "completed": true}))
        .await;
    let stats = body(app.get("/api/todos/stats", Some(&user.token)).await).await;
    assert_eq!(stats, json!({"total": 4, "active": 3, "completed": 1}));
}

#[tokio::test]
async fn unknown_and_non_uuid_ids_are_404() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    for id in [
        MISSING_ID,
        "not-a-uuid",
        "1",
        "00000000-0000-0000-0000-00000000000g",
    ] {
        let path = format!("/api/todos/{id}");
        problem(
            app.get(&path, Some(&user.token)).await,
            StatusCode::NOT_FOUND,
        )
        .await;
        let patch = app
            .send_json(
                Method::PATCH,
                &path,
                Some(&user.token),
                &json!({"completed": true}),
            )
            .await;
        problem(patch, StatusCode::NOT_FOUND).await;
        let put = app
            .send_json(
                Method::PUT,
                &path,
                Some(&user.token),
                &json!({"title": "x"}),
            )
            .await;
        problem(put, StatusCode::NOT_FOUND).await;
        let delete = app.delete(&path, Some(&user.token)).await;
        problem(delete, StatusCode::NOT_FOUND).await;
    }
}

/// Another user's todo is indistinguishable from a missing one, on every route.
#[tokio::test]
async fn users_see_and_touch_only_their_own_todos() {
    let app = TestApp::spawn().await;
    let (alice, mallory) = (app.signed_in_user().await, app.signed_in_user().await);
    let todo = app.todo(&alice, "alice's secret").await;
    let path = format!("/api/todos/{}", todo["id"].as_str().unwrap());

    let missing = problem(
        app.get(&format!("/api/todos/{MISSING_ID}"), Some(&mallory.token))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let foreign = problem(
        app.get(&path, Some(&mallory.token)).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(foreign, missing);
    let patch = app
        .send_json(
            Method::PATCH,
            &path,
            Some(&mallory.token),
            &json!({"title": "pwned"}),
        )
        .await;
    problem(patch, StatusCode::NOT_FOUND).await;
    let put = app
        .send_json(
            Method::PUT,
            &path,
            Some(&mallory.token),
            &json!({"completed": true}),
        )
        .await;
    problem(put, StatusCode::NOT_FOUND).await;
    let delete = app.delete(&path, Some(&mallory.token)).await;
    problem(delete, StatusCode::NOT_FOUND).await;

    assert_eq!(list(&app, &mallory, "").await["total"], 0);
    assert_eq!(
        body(app.get("/api/todos/stats", Some(&mallory.token)).await).await["total"],
        0
    );
    assert_eq!(
        body(app.get(&path, Some(&alice.token)).await).await,
        todo,
        "unchanged"
    );
}

#[tokio::test]
async fn every_todo_route_needs_a_token() {
    let app = TestApp::spawn().await;
    let path = format!("/api/todos/{MISSING_ID}");
    let routes = [
        (Method::GET, "/api/todos"),
        (Method::POST, "/api/todos"),
        (Method::GET, "/api/todos/stats"),
        (Method::GET, path.as_str()),
        (Method::PUT, path.as_str()),
        (Method::PATCH, path.as_str()),
        (Method::DELETE, path.as_str()),
    ];
    for (method, route) in routes {
        let response = app
            .send_json(method.clone(), route, None, &json!({"title": "x"}))
            .await;
        assert_eq!(
            response.headers()[WWW_AUTHENTICATE],
            "Bearer",
            "{method} {route}"
        );
        problem(response, StatusCode::UNAUTHORIZED).await;
    }
}
