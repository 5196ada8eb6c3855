//! `/mcp`: the MCP server, spoken to as an MCP client does (JSON-RPC over streamable HTTP),
//! with a bearer access token or an API key. The official Python and TypeScript SDKs are
//! run against it by `scripts/mcp-clients`.

use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, body, problem};

const PROTOCOL_VERSION: &str = "2025-06-18";

/// One JSON-RPC request to `/mcp` with `credential`.
pub async fn rpc(app: &TestApp, credential: Option<&str>, method: &str, params: Value) -> Response {
    let mut request = app
        .request(Method::POST, "/mcp")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", PROTOCOL_VERSION)
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}));
    if let Some(credential) = credential {
        request = request.bearer_auth(credential);
    }
    request.send().await.unwrap()
}

/// Call a tool; returns the JSON-RPC `result` (`isError`, `content`, `structuredContent`).
pub async fn call(app: &TestApp, credential: &str, tool: &str, arguments: Value) -> Value {
    let response = rpc(
        app,
        Some(credential),
        "tools/call",
        json!({"name": tool, "arguments": arguments}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let answer = body(response).await;
    answer["result"].clone()
}

/// A successful call's structured result.
async fn call_ok(app: &TestApp, credential: &str, tool: &str, arguments: Value) -> Value {
    let result = call(app, credential, tool, arguments).await;
    assert_eq!(result["isError"], false, "{tool}: {result}");
    // The same result as text, for clients that read only `content`.
    let text: Value = serde_json::from_str(result["content"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(text, result["structuredContent"]);
    result["structuredContent"].clone()
}

/// A failed call's message.
async fn call_error(app: &TestApp, credential: &str, tool: &str, arguments: Value) -> String {
    let result = call(app, credential, tool, arguments).await;
    assert_eq!(result["isError"], true, "{tool}: {result}");
    result["content"][0]["text"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn initialize_and_list_the_tools_with_their_schemas() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let key = app.api_key(&user, &["todos:read"]).await;
    let init = rpc(
        &app,
        Some(&key.secret),
        "initialize",
        json!({"protocolVersion": PROTOCOL_VERSION, "capabilities": {},
               "clientInfo": {"name": "test", "version": "1"}}),
    )
    .await;
    assert_eq!(init.status(), StatusCode::OK);
    // Stateless: no session for the client to carry.
    assert!(!init.headers().contains_key("mcp-session-id"));
    let init = body(init).await;
    assert_eq!(init["result"]["protocolVersion"], PROTOCOL_VERSION);
    assert_eq!(init["result"]["serverInfo"]["name"], "neoforge");
    assert!(init["result"]["capabilities"]["tools"].is_object());

    let tools = body(rpc(&app, Some(&key.secret), "tools/list", json!({})).await).await;
    let tools = tools["result"]["tools"].as_array().unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "list_todos",
            "get_todo",
            "create_todo",
            "update_todo",
            "complete_todo",
            "delete_todo",
            "todo_stats"
        ]
    );
    for tool in tools {
        assert_eq!(tool["inputSchema"]["type"], "object", "{tool}");
        assert_eq!(tool["outputSchema"]["type"], "object", "{tool}");
        assert!(tool["description"].as_str().unwrap().len() > 10);
    }
    let create = &tools[2];
    assert_eq!(create["inputSchema"]["required"], json!(["title"]));
    assert_eq!(
        create["inputSchema"]["properties"]["title"]["maxLength"],
        500
    );
    assert_eq!(tools[5]["annotations"]["destructiveHint"], true);
}

#[tokio::test]
async fn the_tools_change_the_same_todos_as_the_http_routes() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let key = app.api_key(&user, &["todos:read", "todos:write"]).await;
    let key = key.secret.as_str();

    let todo = call_ok(
        &app,
        key,
        "create_todo",
        json!({"title": "  Water the plants "}),
    )
    .await;
    assert_eq!(todo["title"], "Water the plants");
    assert_eq!(todo["completed"], false);
    let id = todo["id"].as_str().unwrap().to_owned();
    let over_http = body(
        app.get(&format!("/api/todos/{id}"), Some(&user.token))
            .await,
    )
    .await;
    assert_eq!(over_http, todo);

    let got = call_ok(&app, key, "get_todo", json!({"id": id})).await;
    assert_eq!(got, todo);
    let page = call_ok(
        &app,
        key,
        "list_todos",
        json!({"status_filter": "active", "limit": 5}),
    )
    .await;
    assert_eq!(page["total"], 1);
    assert_eq!(page["limit"], 5);
    assert_eq!(page["items"][0]["id"], id.as_str());

    let renamed = call_ok(
        &app,
        key,
        "update_todo",
        json!({"id": id, "title": "Water the fern"}),
    )
    .await;
    assert_eq!(renamed["title"], "Water the fern");
    let done = call_ok(&app, key, "complete_todo", json!({"id": id})).await;
    assert_eq!(done["completed"], true);
    let stats = call_ok(&app, key, "todo_stats", json!({})).await;
    assert_eq!(stats, json!({"total": 1, "active": 0, "completed": 1}));

    let deleted = call_ok(&app, key, "delete_todo", json!({"id": id})).await;
    assert_eq!(deleted, json!({"id": id, "deleted": true}));
    let gone = app
        .get(&format!("/api/todos/{id}"), Some(&user.token))
        .await;
    problem(gone, StatusCode::NOT_FOUND).await;
    let again = call_error(&app, key, "delete_todo", json!({"id": id})).await;
    assert!(again.contains("No todo"), "{again}");

    // A signed-in session's access token works as well as a key.
    let by_session = call_ok(&app, &user.token, "todo_stats", json!({})).await;
    assert_eq!(by_session["total"], 0);
}

#[tokio::test]
async fn arguments_are_validated_like_request_bodies() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let token = user.token.as_str();
    let blank = call_error(&app, token, "create_todo", json!({"title": "   "})).await;
    assert!(
        blank.contains("title: must be 1 to 500 characters"),
        "{blank}"
    );
    let long = call_error(
        &app,
        token,
        "create_todo",
        json!({"title": "x".repeat(501)}),
    )
    .await;
    assert!(long.contains("title"), "{long}");
    let unknown = call_error(
        &app,
        token,
        "update_todo",
        json!({"id": "not-a-uuid", "colour": "red"}),
    )
    .await;
    for field in ["id:", "colour:", "body:"] {
        assert!(unknown.contains(field), "{field} in {unknown}");
    }
    let paging = call_error(
        &app,
        token,
        "list_todos",
        json!({"limit": 0, "status_filter": "x"}),
    )
    .await;
    assert!(
        paging.contains("limit") && paging.contains("status_filter"),
        "{paging}"
    );
    // Text is stored as given, markup included, and nothing is created by a failed call.
    let markup = "<img src=x onerror=alert(1)>";
    let todo = call_ok(&app, token, "create_todo", json!({"title": markup})).await;
    assert_eq!(todo["title"], markup);
    assert_eq!(
        call_ok(&app, token, "todo_stats", json!({})).await["total"],
        1
    );

    let unknown_tool = body(
        rpc(
            &app,
            Some(token),
            "tools/call",
            json!({"name": "drop_tables", "arguments": {}}),
        )
        .await,
    )
    .await;
    assert!(unknown_tool["error"]["code"].is_i64(), "{unknown_tool}");
}

#[tokio::test]
async fn scopes_isolation_and_credentials_are_enforced() {
    let app = TestApp::spawn().await;
    let (user, stranger) = (app.signed_in_user().await, app.signed_in_user().await);
    let reader = app.api_key(&user, &["todos:read"]).await;
    let denied = call_error(&app, &reader.secret, "create_todo", json!({"title": "no"})).await;
    assert!(denied.contains("todos:write"), "{denied}");
    let writer = app.api_key(&user, &["todos:write"]).await;
    let denied = call_error(&app, &writer.secret, "list_todos", json!({})).await;
    assert!(denied.contains("todos:read"), "{denied}");

    let todo = app.todo(&user, "private").await;
    let strangers = call_error_for(&app, &stranger.token, &todo).await;
    assert!(strangers.contains("No todo"), "{strangers}");

    let anonymous = rpc(&app, None, "tools/list", json!({})).await;
    assert_eq!(anonymous.headers()["www-authenticate"], "Bearer");
    problem(anonymous, StatusCode::UNAUTHORIZED).await;

    let path = format!("/api/users/me/api-keys/{}", reader.id);
    assert_eq!(
        app.delete(&path, Some(&user.token)).await.status(),
        StatusCode::NO_CONTENT
    );
    let revoked = rpc(&app, Some(&reader.secret), "tools/list", json!({})).await;
    problem(revoked, StatusCode::UNAUTHORIZED).await;
}

/// Reads another user's todo by id through `get_todo`, as `credential`.
async fn call_error_for(app: &TestApp, credential: &str, todo: &Value) -> String {
    call_error(app, credential, "get_todo", json!({"id": todo["id"]})).await
}

#[tokio::test]
async fn the_endpoint_is_stateless_and_can_be_turned_off() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    // No session means no stream to resume: GET (the server-to-client stream) is refused.
    let get = app
        .request(Method::GET, "/mcp")
        .bearer_auth(&user.token)
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), StatusCode::METHOD_NOT_ALLOWED);

    let off = TestApp::spawn_with(|settings| settings.api_access.mcp_enabled = false).await;
    let user = off.signed_in_user().await;
    let response = rpc(&off, Some(&user.token), "tools/list", json!({})).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}
