//! Realtime: `GET /api/events` streams the caller's own todo changes, resumes from
//! `Last-Event-ID`, accepts single-use tickets, ends with the session, and carries changes
//! across replicas when a shared bus (Redis, or PostgreSQL without it) is configured.

use std::time::Duration;

use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{POSTGRES_ENV, REDIS_ENV, TestApp, TestUser, body, invalid_fields, problem};
use crate::support::redis_server::RedisServer;
use crate::support::spare_port;

/// Long enough for a loaded machine; events normally arrive in milliseconds.
const WAIT: Duration = Duration::from_secs(5);

/// One Server-Sent Event.
#[derive(Debug, Clone)]
struct Sse {
    id: Option<String>,
    event: String,
    data: Value,
}

/// The client side of one event stream.
struct EventStream {
    response: Response,
    buffer: String,
}

impl EventStream {
    async fn open(app: &TestApp, token: &str, last_event_id: Option<&str>) -> Self {
        let mut request = app
            .request(Method::GET, "/api/events")
            .bearer_auth(token)
            .timeout(Duration::from_secs(60));
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id);
        }
        Self::from_response(request.send().await.unwrap())
    }

    fn from_response(response: Response) -> Self {
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()["content-type"].to_str().unwrap(),
            "text/event-stream"
        );
        Self {
            response,
            buffer: String::new(),
        }
    }

    /// The next event, skipping comments; `None` when the server closed the stream.
    async fn next(&mut self) -> Option<Sse> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                if let Some(event) = parse(&block) {
                    return Some(event);
                }
                continue;
            }
            let chunk = tokio::time::timeout(WAIT, self.response.chunk())
                .await
                .expect("an event within the wait")
                .ok()??;
            self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }

    /// Make a change and drop every event up to its own, so that what follows is only what
    /// the test does next.
    async fn skip_until(&mut self, app: &TestApp, user: &TestUser) {
        let marker = app.todo(user, "sync point").await;
        while self.expect().await.data != marker {}
    }

    /// The next event, which must come.
    async fn expect(&mut self) -> Sse {
        self.next().await.expect("the stream is still open")
    }

    /// Whether the server ends the stream within the wait (events before the end allowed).
    async fn ends(&mut self) -> bool {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            match tokio::time::timeout_at(deadline, self.response.chunk()).await {
                Err(_) => return false,
                Ok(Ok(Some(_))) => continue,
                Ok(_) => return true,
            }
        }
    }
}

fn parse(block: &str) -> Option<Sse> {
    let (mut id, mut event, mut data) = (None, None, Vec::new());
    for line in block.lines() {
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "id" => id = Some(value.to_owned()),
            "event" => event = Some(value.to_owned()),
            "data" => data.push(value),
            _ => {}
        }
    }
    Some(Sse {
        id,
        event: event?,
        data: serde_json::from_str(&data.join("\n")).unwrap(),
    })
}

fn id_of(event: &Sse) -> u64 {
    event.id.as_deref().unwrap().parse().unwrap()
}

async fn update(app: &TestApp, user: &TestUser, id: &str, change: Value) -> Response {
    app.send_json(
        Method::PATCH,
        &format!("/api/todos/{id}"),
        Some(&user.token),
        &change,
    )
    .await
}

#[tokio::test]
async fn the_owner_sees_creates_updates_and_deletes_in_order() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let other = app.signed_in_user().await;
    let mut stream = EventStream::open(&app, &user.token, None).await;

    let todo = app.todo(&user, "  <b>buy milk</b>  ").await;
    let id = todo["id"].as_str().unwrap();
    let created = stream.expect().await;
    assert_eq!(created.event, "todo.created");
    assert_eq!(created.data, todo);

    // Another user's change never reaches this stream.
    app.todo(&other, "not yours").await;

    let updated = body(update(&app, &user, id, json!({"completed": true})).await).await;
    let event = stream.expect().await;
    assert_eq!(event.event, "todo.updated");
    assert_eq!(event.data, updated);
    assert!(id_of(&event) > id_of(&created));

    let deleted = app
        .delete(&format!("/api/todos/{id}"), Some(&user.token))
        .await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let event = stream.expect().await;
    assert_eq!(event.event, "todo.deleted");
    assert_eq!(event.data, json!({"id": id}));
}

#[tokio::test]
async fn failed_and_replayed_writes_publish_nothing() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let todo = app.todo(&user, "first").await;
    let id = todo["id"].as_str().unwrap();
    let mut stream = EventStream::open(&app, &user.token, None).await;
    // Publishing is asynchronous: the event of a write made just before the stream opened
    // may still arrive on it. Start from a known point.
    stream.skip_until(&app, &user).await;

    // Refused: nothing changed, nothing published.
    let invalid = update(&app, &user, id, json!({"title": "  "})).await;
    assert_eq!(invalid.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let missing = update(
        &app,
        &user,
        "0190a000-0000-7000-8000-000000000000",
        json!({"completed": true}),
    )
    .await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);

    // The same creation sent twice with one key happens, and is announced, once.
    for _ in 0..2 {
        let created = app
            .request(Method::POST, "/api/todos")
            .bearer_auth(&user.token)
            .header("Idempotency-Key", "retry-42")
            .json(&json!({"title": "once"}))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), StatusCode::CREATED);
    }
    app.todo(&user, "marker").await;

    let first = stream.expect().await;
    assert_eq!(
        (first.event.as_str(), &first.data["title"]),
        ("todo.created", &json!("once"))
    );
    let second = stream.expect().await;
    assert_eq!(second.data["title"], "marker");
}

#[tokio::test]
async fn a_client_resumes_from_last_event_id_or_is_told_to_resync() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let mut stream = EventStream::open(&app, &user.token, None).await;
    app.todo(&user, "one").await;
    let seen = stream.expect().await;
    drop(stream);

    // Changes made while the client was away.
    app.todo(&user, "two").await;
    app.todo(&user, "three").await;

    let mut resumed = EventStream::open(&app, &user.token, seen.id.as_deref()).await;
    let titles = [resumed.expect().await, resumed.expect().await]
        .map(|event| event.data["title"].as_str().unwrap().to_owned());
    assert_eq!(titles, ["two", "three"]);
    app.todo(&user, "four").await;
    assert_eq!(resumed.expect().await.data["title"], "four");

    // An id the server never issued (as after the bus's count was reset), or no id: refetch.
    for unknown in ["999999999999999", "not-a-number"] {
        let mut stream = EventStream::open(&app, &user.token, Some(unknown)).await;
        let event = stream.expect().await;
        assert_eq!(event.event, "resync", "{unknown}");
        assert_eq!(event.data, json!({}));
        // Resuming from the resync's id misses nothing that follows.
        app.todo(&user, "after resync").await;
        let next = stream.expect().await;
        assert_eq!(next.data["title"], "after resync");
        let mut again = EventStream::open(&app, &user.token, event.id.as_deref()).await;
        assert_eq!(again.expect().await.data["title"], "after resync");
    }
}

#[tokio::test]
async fn a_ticket_opens_one_stream_once() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;

    let issued = app.post("/api/events/ticket", Some(&user.token)).await;
    assert_eq!(issued.status(), StatusCode::CREATED);
    let issued = body(issued).await;
    assert_eq!(issued["expires_in"], 60);
    let ticket = issued["ticket"].as_str().unwrap();

    let path = format!("/api/events?ticket={ticket}");
    let response = app.get(&path, None).await;
    let mut stream = EventStream::from_response(response);
    app.todo(&user, "via ticket").await;
    assert_eq!(stream.expect().await.data["title"], "via ticket");

    // Single use; unknown tickets and no credentials at all are refused alike.
    for path in [path.as_str(), "/api/events?ticket=made-up", "/api/events"] {
        let refused = app.get(path, None).await;
        let problem = problem(refused, StatusCode::UNAUTHORIZED).await;
        assert!(problem["detail"].is_string(), "{path}");
    }
    let unknown = app.get("/api/events?tciket=typo", Some(&user.token)).await;
    assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(invalid_fields(unknown).await, ["tciket"]);
    assert_eq!(
        app.post("/api/events/ticket", None).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_ticket_of_an_ended_session_opens_nothing() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let ticket = body(app.post("/api/events/ticket", Some(&user.token)).await).await;
    assert_eq!(
        app.post("/api/auth/logout", Some(&user.token))
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    let path = format!("/api/events?ticket={}", ticket["ticket"].as_str().unwrap());
    assert_eq!(
        app.get(&path, None).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn ending_the_session_ends_its_streams_at_once() {
    let app = TestApp::spawn().await;
    let admin = app.signed_in_admin().await;
    let user = app.signed_in_user().await;

    // Logout.
    let (token, _) = app.new_session(&user).await;
    let mut stream = EventStream::open(&app, &token, None).await;
    app.post("/api/auth/logout", Some(&token)).await;
    assert!(stream.ends().await, "logout");

    // Revoked from another session; that other session's stream stays open.
    let (token, _) = app.new_session(&user).await;
    let mut revoked = EventStream::open(&app, &token, None).await;
    let mut kept = EventStream::open(&app, &user.token, None).await;
    let sessions = body(app.get("/api/users/me/sessions", Some(&user.token)).await).await;
    let other = sessions["items"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|session| session["current"] == false)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let response = app
        .delete(
            &format!("/api/users/me/sessions/{other}"),
            Some(&user.token),
        )
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(revoked.ends().await, "session revoked");
    app.todo(&user, "still live").await;
    assert_eq!(kept.expect().await.data["title"], "still live");

    // A password change ends the other sessions.
    let (token, _) = app.new_session(&user).await;
    let mut other_device = EventStream::open(&app, &token, None).await;
    let changed = app
        .send_json(
            Method::POST,
            "/api/users/me/password",
            Some(&user.token),
            &json!({"current_password": crate::helpers::PASSWORD, "new_password": "a whole new password"}),
        )
        .await;
    assert_eq!(changed.status(), StatusCode::NO_CONTENT);
    assert!(other_device.ends().await, "password changed");

    // Deactivation by an admin ends them all.
    let deactivated = app
        .send_json(
            Method::PATCH,
            &format!("/api/admin/users/{}", user.id),
            Some(&admin.token),
            &json!({"is_active": false}),
        )
        .await;
    assert_eq!(deactivated.status(), StatusCode::OK);
    assert!(kept.ends().await, "deactivated");
    assert_eq!(
        app.get("/api/events", Some(&user.token)).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn streams_per_user_are_limited() {
    let app = TestApp::spawn_with(|settings| {
        settings.events.max_streams_per_user = 2;
        // A client that went away is noticed at the next write.
        settings.events.heartbeat = Duration::from_millis(100);
    })
    .await;
    let user = app.signed_in_user().await;
    let _first = EventStream::open(&app, &user.token, None).await;
    let second = EventStream::open(&app, &user.token, None).await;
    let refused = app.get("/api/events", Some(&user.token)).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().contains_key("retry-after"));
    // A closed stream frees its place.
    drop(second);
    let mut reopened = None;
    for _ in 0..50 {
        let response = app.get("/api/events", Some(&user.token)).await;
        if response.status() == StatusCode::OK {
            reopened = Some(EventStream::from_response(response));
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(reopened.is_some());
}

#[tokio::test]
async fn idle_streams_get_a_heartbeat_comment() {
    let app = TestApp::spawn_with(|settings| {
        settings.events.heartbeat = Duration::from_millis(200);
    })
    .await;
    let user = app.signed_in_user().await;
    let mut stream = EventStream::open(&app, &user.token, None).await;
    let chunk = tokio::time::timeout(WAIT, stream.response.chunk())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(std::str::from_utf8(&chunk).unwrap().starts_with(':'));
}

/// Two replicas share a bus only through Redis or PostgreSQL; the in-process bus of the
/// default SQLite set-up serves one replica by design.
fn shared_bus() -> bool {
    std::env::var(REDIS_ENV).is_ok() || std::env::var(POSTGRES_ENV).is_ok()
}

#[tokio::test]
async fn a_change_through_one_replica_reaches_streams_on_another() {
    if !shared_bus() {
        eprintln!("skipped: needs Redis or PostgreSQL for a bus shared by replicas");
        return;
    }
    let first = TestApp::spawn().await;
    let second = first.spawn_replica().await;
    let user = first.signed_in_user().await;
    let mut on_second = EventStream::open(&second, &user.token, None).await;
    let mut on_first = EventStream::open(&first, &user.token, None).await;

    let todo = first.todo(&user, "made on the first").await;
    let event = on_second.expect().await;
    assert_eq!(event.data, todo);
    assert_eq!(on_first.expect().await.id, event.id);

    // Resuming on the other replica with an id seen on the first.
    second.todo(&user, "made on the second").await;
    let mut resumed = EventStream::open(&first, &user.token, event.id.as_deref()).await;
    assert_eq!(resumed.expect().await.data["title"], "made on the second");

    // Logging out through one replica ends the streams on both.
    first.post("/api/auth/logout", Some(&user.token)).await;
    assert!(on_second.ends().await);
    assert!(on_first.ends().await);
}

#[tokio::test]
async fn a_lost_postgres_bus_connection_resyncs_streams_once_back() {
    if std::env::var(POSTGRES_ENV).is_err() || std::env::var(REDIS_ENV).is_ok() {
        eprintln!("skipped: the PostgreSQL bus runs on PostgreSQL without Redis");
        return;
    }
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let mut stream = EventStream::open(&app, &user.token, None).await;
    let killed = app
        .sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND application_name = 'neoforge-events'",
            &[],
        )
        .await;
    assert_eq!(killed, 1);
    let event = stream.expect().await;
    assert_eq!(event.event, "resync");
    app.todo(&user, "after the outage").await;
    assert_eq!(stream.expect().await.data["title"], "after the outage");
}

#[tokio::test]
async fn a_redis_outage_costs_no_write_and_resyncs_streams_once_back() {
    if std::env::var(REDIS_ENV).is_err() {
        eprintln!("skipped: runs with the Redis legs of the suite");
        return;
    }
    let port = spare_port();
    let redis = RedisServer::start(port);
    let app = TestApp::spawn_on_redis(port).await;
    let user = app.signed_in_user().await;
    let mut stream = EventStream::open(&app, &user.token, None).await;

    drop(redis);
    // Writes go on while the bus is down; their events are lost with it.
    app.todo(&user, "during the outage").await;
    let _redis = RedisServer::start(port);

    let event = stream.expect().await;
    assert_eq!(event.event, "resync");
    app.todo(&user, "after the outage").await;
    let next = stream.expect().await;
    assert_eq!(next.data["title"], "after the outage");
}

#[tokio::test]
async fn ids_increase_on_a_stream_while_replicas_publish_at_once() {
    if !shared_bus() {
        eprintln!("skipped: needs Redis or PostgreSQL for a bus shared by replicas");
        return;
    }
    let first = TestApp::spawn().await;
    let second = first.spawn_replica().await;
    let user = first.signed_in_user().await;
    let mut stream = EventStream::open(&first, &user.token, None).await;

    let bodies: Vec<Value> = (0..40)
        .map(|n| json!({"title": format!("concurrent {n}")}))
        .collect();
    let writes = bodies.iter().enumerate().map(|(n, body)| {
        let app = if n % 2 == 0 { &first } else { &second };
        app.create_todo(&user, body)
    });
    for created in futures_util::future::join_all(writes).await {
        assert_eq!(created.status(), StatusCode::CREATED);
    }
    let mut last = 0;
    for _ in 0..40 {
        let event = stream.expect().await;
        assert_eq!(event.event, "todo.created");
        let id = id_of(&event);
        assert!(id > last, "id {id} after {last}");
        last = id;
    }
}

#[tokio::test]
async fn an_api_key_follows_changes_within_its_scope_until_revoked() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let writer = app.api_key(&user, &["todos:write"]).await;
    let refused = app
        .request(Method::GET, "/api/events")
        .bearer_auth(&writer.secret)
        .send()
        .await
        .unwrap();
    problem(refused, StatusCode::FORBIDDEN).await;

    let reader = app.api_key(&user, &["todos:read"]).await;
    let mut stream = EventStream::open(&app, &reader.secret, None).await;
    // A ticket issued to the key opens a stream too.
    let ticket = body(app.post("/api/events/ticket", Some(&reader.secret)).await).await;
    let path = format!("/api/events?ticket={}", ticket["ticket"].as_str().unwrap());
    let mut by_ticket = EventStream::from_response(app.get(&path, None).await);

    // A change made through MCP reaches the user's streams like any other.
    let todo = crate::mcp::call(
        &app,
        &user.token,
        "create_todo",
        json!({"title": "via mcp"}),
    )
    .await["structuredContent"]
        .clone();
    for stream in [&mut stream, &mut by_ticket] {
        let event = stream.expect().await;
        assert_eq!(event.event, "todo.created");
        assert_eq!(event.data, todo);
    }

    let revoke = format!("/api/users/me/api-keys/{}", reader.id);
    assert_eq!(
        app.delete(&revoke, Some(&user.token)).await.status(),
        StatusCode::NO_CONTENT
    );
    assert!(stream.ends().await, "key revoked");
    assert!(by_ticket.ends().await, "key revoked (ticket stream)");
}
