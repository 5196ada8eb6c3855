//! `/api/todos`: the signed-in user's todos. Handlers only extract, call the repository and
//! shape the response.

use std::sync::{Arc, OnceLock};

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::events::ChangeKind;
use crate::http::etag::json_with_etag;
use crate::http::json::ValidJson;
use crate::http::query::{Page, Pagination};
use crate::http::responses;
use crate::idempotency::{self, Effect, IdempotencyKey, StoredResponse};
use crate::state::AppState;
use crate::todos::model::{CreateTodo, ListTodos, Todo, TodoFilter, TodoStats, UpdateTodo};
use crate::todos::{cache, repo};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_todos, create_todo))
        .routes(routes!(todo_stats))
        .routes(routes!(get_todo, replace_todo, update_todo, delete_todo))
}

/// An id that is not a UUID names no todo: `404`, like an unknown one.
fn parse_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ApiError::NotFound)
}

/// The user's todos, newest first.
#[utoipa::path(get, path = "/api/todos", tag = "todos", security(("bearer" = []), ("oauth2" = [])),
    params(TodoFilter, Pagination),
    responses(
        (status = 200, description = "One page of todos", body = Page<Todo>,
            headers(("ETag" = String, description = "Send it back in `If-None-Match`"))),
        (status = 304, description = "Unchanged since the `If-None-Match` ETag"),
        (status = 401, response = responses::Unauthorized),
        (status = 422, response = responses::ValidationFailed),
    ))]
#[tracing::instrument(skip_all, fields(user_id = %user.id))]
async fn list_todos(
    State(state): State<AppState>,
    user: CurrentUser,
    query: ListTodos,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (items, total) = if state.settings.todo_cache.enabled {
        let total = cache::counts(&state, user.id).await?.of(query.status);
        let mut conn = state.db.read().await?;
        let items = repo::page(&mut conn, user.id, query.status, query.page).await?;
        (items, total)
    } else {
        let mut conn = state.db.read().await?;
        repo::list(&mut conn, user.id, query.status, query.page).await?
    };
    json_with_etag(&headers, &Page::new(items, total, query.page))
}

/// Add a todo. With an `Idempotency-Key`, a replay within 24 hours returns the first
/// response (with `Idempotent-Replayed: true`) and creates nothing.
#[utoipa::path(post, path = "/api/todos", tag = "todos", security(("bearer" = []), ("oauth2" = [])),
    params(("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 255,
        pattern = "^[!-~]+$", description = "1 to 255 visible ASCII characters; makes retries safe")),
    request_body = crate::todos::model::CreateTodoSchema,
    responses(
        (status = 201, description = "Created (or the replayed first response)", body = Todo,
            headers(("Location" = String, description = "The new todo's address"))),
        (status = 400, response = responses::BadRequest),
        (status = 401, response = responses::Unauthorized),
        (status = 413, response = responses::PayloadTooLarge),
        (status = 415, response = responses::UnsupportedMediaType),
        (status = 422, response = responses::ValidationFailed),
    ))]
#[tracing::instrument(skip_all, fields(user_id = %user.id))]
async fn create_todo(
    State(state): State<AppState>,
    user: CurrentUser,
    key: Option<IdempotencyKey>,
    ValidJson(request): ValidJson<CreateTodo>,
) -> Result<Response, ApiError> {
    let fingerprint = format!("POST /api/todos {}", request.fingerprint());
    let user_id = user.id;
    let created = Arc::new(OnceLock::new());
    let created_by_effect = Arc::clone(&created);
    let effect: Effect = Box::new(move |conn| {
        Box::pin(async move {
            let todo = repo::insert(conn, user_id, &request.title, request.completed).await?;
            let _ = created_by_effect.set(todo.clone());
            Ok(StoredResponse {
                status: StatusCode::CREATED.as_u16(),
                location: Some(format!("/api/todos/{}", todo.id)),
                body: serde_json::to_string(&todo).map_err(anyhow::Error::from)?,
            })
        })
    });
    let outcome = idempotency::run_once(&state.db, user.id, key, fingerprint, effect).await?;
    // A replay changed nothing (and a concurrent duplicate's effect was rolled back).
    if let Some(todo) = created.get().filter(|_| !outcome.replayed) {
        cache::invalidate(&state, user.id).await;
        state
            .events
            .changed(user.id, ChangeKind::Created, todo)
            .await;
    }
    Ok(outcome.response)
}

/// How many todos the user has, in all and by status.
#[utoipa::path(get, path = "/api/todos/stats", tag = "todos", security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "Counts", body = TodoStats,
            headers(("ETag" = String, description = "Send it back in `If-None-Match`"))),
        (status = 304, description = "Unchanged since the `If-None-Match` ETag"),
        (status = 401, response = responses::Unauthorized),
    ))]
#[tracing::instrument(skip_all, fields(user_id = %user.id))]
async fn todo_stats(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    json_with_etag(&headers, &cache::counts(&state, user.id).await?)
}

/// One todo.
#[utoipa::path(get, path = "/api/todos/{id}", tag = "todos", security(("bearer" = []), ("oauth2" = [])),
    params(("id" = String, Path, description = "The todo's id (a UUID)")),
    responses(
        (status = 200, description = "The todo", body = Todo,
            headers(("ETag" = String, description = "Send it back in `If-None-Match`"))),
        (status = 304, description = "Unchanged since the `If-None-Match` ETag"),
        (status = 401, response = responses::Unauthorized),
        (status = 404, response = responses::NotFound),
    ))]
#[tracing::instrument(skip_all, fields(user_id = %user.id))]
async fn get_todo(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let todo = repo::find(&mut state.db.read().await?, user.id, parse_id(&id)?)
        .await?
        .ok_or(ApiError::NotFound)?;
    json_with_etag(&headers, &todo)
}

/// Change a todo's title and/or completion (same as `PATCH`).
#[utoipa::path(put, path = "/api/todos/{id}", tag = "todos", security(("bearer" = []), ("oauth2" = [])),
    params(("id" = String, Path, description = "The todo's id (a UUID)")),
    request_body = crate::todos::model::UpdateTodoSchema,
    responses(
        (status = 200, description = "The updated todo", body = Todo),
        (status = 400, response = responses::BadRequest),
        (status = 401, response = responses::Unauthorized),
        (status = 404, response = responses::NotFound),
        (status = 413, response = responses::PayloadTooLarge),
        (status = 415, response = responses::UnsupportedMediaType),
        (status = 422, response = responses::ValidationFailed),
    ))]
async fn replace_todo(
    state: State<AppState>,
    user: CurrentUser,
    id: Path<String>,
    request: ValidJson<UpdateTodo>,
) -> Result<Json<Todo>, ApiError> {
    update_todo(state, user, id, request).await
}

/// Change a todo's title and/or completion.
#[utoipa::path(patch, path = "/api/todos/{id}", tag = "todos", security(("bearer" = []), ("oauth2" = [])),
    params(("id" = String, Path, description = "The todo's id (a UUID)")),
    request_body = crate::todos::model::UpdateTodoSchema,
    responses(
        (status = 200, description = "The updated todo", body = Todo),
        (status = 400, response = responses::BadRequest),
        (status = 401, response = responses::Unauthorized),
        (status = 404, response = responses::NotFound),
        (status = 413, response = responses::PayloadTooLarge),
        (status = 415, response = responses::UnsupportedMediaType),
        (status = 422, response = responses::ValidationFailed),
    ))]
#[tracing::instrument(skip_all, fields(user_id = %user.id))]
async fn update_todo(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    ValidJson(request): ValidJson<UpdateTodo>,
) -> Result<Json<Todo>, ApiError> {
    let id = parse_id(&id)?;
    let todo = repo::update(
        &mut state.db.write().await?,
        user.id,
        id,
        request.title.as_ref(),
        request.completed,
    )
    .await?
    .ok_or(ApiError::NotFound)?;
    cache::invalidate(&state, user.id).await;
    state
        .events
        .changed(user.id, ChangeKind::Updated, &todo)
        .await;
    Ok(Json(todo))
}

/// Delete a todo.
#[utoipa::path(delete, path = "/api/todos/{id}", tag = "todos", security(("bearer" = []), ("oauth2" = [])),
    params(("id" = String, Path, description = "The todo's id (a UUID)")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, response = responses::Unauthorized),
        (status = 404, response = responses::NotFound),
    ))]
#[tracing::instrument(skip_all, fields(user_id = %user.id))]
async fn delete_todo(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = parse_id(&id)?;
    let deleted = repo::delete(&mut state.db.write().await?, user.id, id).await?;
    if deleted {
        cache::invalidate(&state, user.id).await;
        state
            .events
            .changed(
                user.id,
                ChangeKind::Deleted,
                &serde_json::json!({ "id": id }),
            )
            .await;
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound)
    }
}
