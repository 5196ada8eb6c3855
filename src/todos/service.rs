//! What can be done with a user's todos, once: the HTTP routes and the MCP tools both call
//! these, so validation, per-user isolation, the cached counts and the realtime events are
//! the same whichever way a change arrives.

use std::sync::{Arc, OnceLock};

use axum::http::StatusCode;
use axum::response::Response;
use uuid::Uuid;

use crate::error::ApiError;
use crate::events::ChangeKind;
use crate::http::query::{Page, Pagination};
use crate::idempotency::{self, Effect, IdempotencyKey, StoredResponse};
use crate::state::AppState;
use crate::todos::model::{CreateTodo, StatusFilter, Todo, TodoStats, UpdateTodo};
use crate::todos::{cache, repo};

/// One page of the user's todos, newest first.
pub async fn list(
    state: &AppState,
    user_id: Uuid,
    status: StatusFilter,
    page: Pagination,
) -> Result<Page<Todo>, ApiError> {
    let (items, total) = if state.settings.todo_cache.enabled {
        let total = cache::counts(state, user_id).await?.of(status);
        let mut conn = state.db.read().await?;
        let items = repo::page(&mut conn, user_id, status, page).await?;
        (items, total)
    } else {
        let mut conn = state.db.read().await?;
        repo::list(&mut conn, user_id, status, page).await?
    };
    Ok(Page::new(items, total, page))
}

pub async fn stats(state: &AppState, user_id: Uuid) -> Result<TodoStats, ApiError> {
    Ok(cache::counts(state, user_id).await?)
}

/// One of the user's todos; another user's is `NotFound`, like a missing one.
pub async fn get(state: &AppState, user_id: Uuid, id: Uuid) -> Result<Todo, ApiError> {
    repo::find(&mut state.db.read().await?, user_id, id)
        .await?
        .ok_or(ApiError::NotFound)
}

/// Add a todo.
pub async fn create(
    state: &AppState,
    user_id: Uuid,
    request: &CreateTodo,
) -> Result<Todo, ApiError> {
    let todo = repo::insert(
        &mut state.db.write().await?,
        user_id,
        &request.title,
        request.completed,
    )
    .await?;
    changed(state, user_id, ChangeKind::Created, &todo).await;
    Ok(todo)
}

/// Add a todo at most once per `Idempotency-Key`: a replay within 24 hours returns the first
/// response (with `Idempotent-Replayed: true`) and creates nothing.
pub async fn create_once(
    state: &AppState,
    user_id: Uuid,
    key: Option<IdempotencyKey>,
    request: CreateTodo,
) -> Result<Response, ApiError> {
    let fingerprint = format!("POST /api/todos {}", request.fingerprint());
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
    let outcome = idempotency::run_once(&state.db, user_id, key, fingerprint, effect).await?;
    // A replay changed nothing (and a concurrent duplicate's effect was rolled back).
    if let Some(todo) = created.get().filter(|_| !outcome.replayed) {
        changed(state, user_id, ChangeKind::Created, todo).await;
    }
    Ok(outcome.response)
}

/// Change a todo's title and/or completion.
pub async fn update(
    state: &AppState,
    user_id: Uuid,
    id: Uuid,
    request: &UpdateTodo,
) -> Result<Todo, ApiError> {
    let todo = repo::update(
        &mut state.db.write().await?,
        user_id,
        id,
        request.title.as_ref(),
        request.completed,
    )
    .await?
    .ok_or(ApiError::NotFound)?;
    changed(state, user_id, ChangeKind::Updated, &todo).await;
    Ok(todo)
}

/// Delete a todo.
pub async fn delete(state: &AppState, user_id: Uuid, id: Uuid) -> Result<(), ApiError> {
    if !repo::delete(&mut state.db.write().await?, user_id, id).await? {
        return Err(ApiError::NotFound);
    }
    let payload = serde_json::json!({ "id": id });
    changed(state, user_id, ChangeKind::Deleted, &payload).await;
    Ok(())
}

/// After a committed change: the cached counts go, and every device of the user hears of it.
async fn changed(
    state: &AppState,
    user_id: Uuid,
    kind: ChangeKind,
    payload: &(impl serde::Serialize + Sync),
) {
    cache::invalidate(state, user_id).await;
    state.events.changed(user_id, kind, payload).await;
}
