//! `/api/todos`: the user's todos, for a signed-in session or an API key with the route's
//! scope. Handlers only extract, call the service and shape the response.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::{Authorized, ReadTodos, WriteTodos};
use crate::error::ApiError;
use crate::http::etag::json_with_etag;
use crate::http::json::ValidJson;
use crate::http::query::{Page, Pagination};
use crate::http::responses;
use crate::idempotency::IdempotencyKey;
use crate::state::AppState;
use crate::todos::model::{CreateTodo, ListTodos, Todo, TodoFilter, TodoStats, UpdateTodo};
use crate::todos::service;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_todos, create_todo))
        .routes(routes!(todo_stats))
        .routes(routes!(get_todo, replace_todo, update_todo, delete_todo))
}

/// An id that is not a UUID names no todo: `404`, like an unknown one.
pub fn parse_id(raw: &str) -> Result<Uuid, ApiError> {
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
#[tracing::instrument(skip_all, fields(user_id = %user.user_id()))]
async fn list_todos(
    State(state): State<AppState>,
    user: Authorized<ReadTodos>,
    query: ListTodos,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let page = service::list(&state, user.user_id(), query.status, query.page).await?;
    json_with_etag(&headers, &page)
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
#[tracing::instrument(skip_all, fields(user_id = %user.user_id()))]
async fn create_todo(
    State(state): State<AppState>,
    user: Authorized<WriteTodos>,
    key: Option<IdempotencyKey>,
    ValidJson(request): ValidJson<CreateTodo>,
) -> Result<Response, ApiError> {
    service::create_once(&state, user.user_id(), key, request).await
}

/// How many todos the user has, in all and by status.
#[utoipa::path(get, path = "/api/todos/stats", tag = "todos", security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "Counts", body = TodoStats,
            headers(("ETag" = String, description = "Send it back in `If-None-Match`"))),
        (status = 304, description = "Unchanged since the `If-None-Match` ETag"),
        (status = 401, response = responses::Unauthorized),
    ))]
#[tracing::instrument(skip_all, fields(user_id = %user.user_id()))]
async fn todo_stats(
    State(state): State<AppState>,
    user: Authorized<ReadTodos>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    json_with_etag(&headers, &service::stats(&state, user.user_id()).await?)
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
#[tracing::instrument(skip_all, fields(user_id = %user.user_id()))]
async fn get_todo(
    State(state): State<AppState>,
    user: Authorized<ReadTodos>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let todo = service::get(&state, user.user_id(), parse_id(&id)?).await?;
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
    user: Authorized<WriteTodos>,
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
#[tracing::instrument(skip_all, fields(user_id = %user.user_id()))]
async fn update_todo(
    State(state): State<AppState>,
    user: Authorized<WriteTodos>,
    Path(id): Path<String>,
    ValidJson(request): ValidJson<UpdateTodo>,
) -> Result<Json<Todo>, ApiError> {
    let id = parse_id(&id)?;
    Ok(Json(
        service::update(&state, user.user_id(), id, &request).await?,
    ))
}

/// Delete a todo.
#[utoipa::path(delete, path = "/api/todos/{id}", tag = "todos", security(("bearer" = []), ("oauth2" = [])),
    params(("id" = String, Path, description = "The todo's id (a UUID)")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, response = responses::Unauthorized),
        (status = 404, response = responses::NotFound),
    ))]
#[tracing::instrument(skip_all, fields(user_id = %user.user_id()))]
async fn delete_todo(
    State(state): State<AppState>,
    user: Authorized<WriteTodos>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    service::delete(&state, user.user_id(), parse_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
