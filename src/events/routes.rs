//! `/api/events`: the caller's own todo changes as Server-Sent Events, and the tickets that
//! let a browser's `EventSource` (which cannot send headers) open the stream.

use std::time::Duration;

use axum::Json;
use axum::extract::{FromRequestParts, RawQuery, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api_keys::Scope;
use crate::auth::{Authorized, Caller, ReadTodos};
use crate::cache::Decision;
use crate::error::ApiError;
use crate::events::{stream, ticket};
use crate::http::client::ClientInfo;
use crate::http::query::QueryFields;
use crate::http::responses;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_ticket))
        .routes(routes!(stream_events))
}

/// A single-use ticket for opening the event stream.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventTicket {
    /// Pass it as `GET /api/events?ticket=…` within `expires_in` seconds; it works once.
    pub ticket: String,
    pub expires_in: u64,
}

/// One event of the stream, as its `id:`, `event:` and `data:` lines. Described per event, the
/// way OpenAPI 3.1 tools read a `text/event-stream` schema.
#[derive(Deserialize, ToSchema)]
#[schema(as = ServerSentEvent)]
pub struct ServerSentEventSchema {
    /// Increasing; send the last one back as `Last-Event-ID` to resume after it.
    #[schema(pattern = "^[0-9]+$")]
    pub id: String,
    #[schema(pattern = "^(todo\\.(created|updated|deleted)|resync)$")]
    pub event: String,
    /// JSON: the todo (`todo.created`, `todo.updated`), `{"id"}` (`todo.deleted`) or `{}`
    /// (`resync`).
    pub data: String,
}

/// A ticket to open the event stream without an `Authorization` header (`EventSource`):
/// single-use, valid for 60 seconds, bound to this session (or API key).
#[utoipa::path(post, path = "/api/events/ticket", tag = "events", security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 201, description = "A new ticket", body = EventTicket),
        (status = 401, response = responses::Unauthorized),
    ))]
#[tracing::instrument(skip_all, fields(user_id = %user.user_id()))]
async fn create_ticket(
    State(state): State<AppState>,
    user: Authorized<ReadTodos>,
) -> (StatusCode, Json<EventTicket>) {
    let ticket = ticket::issue(&state.cache, user.caller).await;
    (
        StatusCode::CREATED,
        Json(EventTicket {
            ticket,
            expires_in: ticket::TICKET_TTL.as_secs(),
        }),
    )
}

/// The caller's todo changes as they happen, on every device and replica
/// (`text/event-stream`). Events: `todo.created` and `todo.updated` (data: the todo),
/// `todo.deleted` (data: `{"id"}`), and `resync` (data: `{}`: refetch, something may have
/// been missed). Ids increase; reconnect with `Last-Event-ID` to get what was missed, or
/// `resync` when the server no longer holds it. A comment line every 15 seconds keeps idle
/// connections open. Ending the session (logout, revocation, password change, deactivation)
/// ends the stream. Authenticate with the bearer header, or with `?ticket=` from
/// `POST /api/events/ticket`.
#[utoipa::path(get, path = "/api/events", tag = "events", security(("bearer" = []), ("oauth2" = []), ()),
    params(
        ("ticket" = Option<String>, Query, description = "A ticket from `POST /api/events/ticket`, instead of the bearer header"),
        ("Last-Event-ID" = Option<String>, Header, description = "The id of the last event received, to resume after it"),
    ),
    responses(
        (status = 200, description = "The event stream", content_type = "text/event-stream", body = ServerSentEventSchema),
        (status = 401, response = responses::Unauthorized),
        (status = 422, response = responses::ValidationFailed),
        (status = 429, response = responses::TooManyRequests),
    ))]
#[tracing::instrument(skip_all, fields(user_id = %caller.0.user_id))]
async fn stream_events(
    State(state): State<AppState>,
    caller: StreamCaller,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let caller = caller.0;
    let events = &state.events;
    let limit = events.settings().max_streams_per_user;
    if events.hub().streams_of(caller.user_id) >= limit {
        return Err(ApiError::TooManyRequests(Decision {
            allowed: false,
            limit: limit as u64,
            remaining: 0,
            reset: Duration::from_secs(5),
        }));
    }
    let last_event_id = headers
        .get("last-event-id")
        .and_then(|value| value.to_str().ok());
    let subscription =
        events
            .hub()
            .subscribe(caller.user_id, caller.credential_id(), last_event_id);
    let mut response = stream::open(state.clone(), caller, subscription).into_response();
    // Tell nginx not to buffer the stream, whatever its configuration.
    response
        .headers_mut()
        .insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(response)
}

/// The caller of `GET /api/events`: from the bearer header, else from a ticket.
struct StreamCaller(Caller);

const BAD_TICKET: ApiError = ApiError::Unauthorized {
    detail: "The ticket is invalid, expired or already used; ask for a new one.",
    token_presented: true,
};

impl FromRequestParts<AppState> for StreamCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let RawQuery(raw) = RawQuery::from_request_parts(parts, state)
            .await
            .unwrap_or(RawQuery(None));
        let mut fields = QueryFields::parse(raw.as_deref())?;
        let ticket = fields.optional("ticket", |raw| Ok(raw.to_owned()));
        let ticket = fields.finish(ticket)?;
        let from_header = match parts.extensions.get::<Caller>() {
            Some(caller) => Some(*caller),
            None => Caller::from_bearer(&parts.headers, state).await?,
        };
        if let Some(caller) = from_header {
            let client = ClientInfo::from_request_parts(parts, state).await?;
            caller.require(Scope::TodosRead, state, &client).await?;
            return Ok(Self(caller));
        }
        let Some(ticket) = ticket else {
            return Err(ApiError::Unauthorized {
                detail: "This route needs a bearer access token or a ticket.",
                token_presented: false,
            });
        };
        let caller = ticket::redeem(&state.cache, &ticket)
            .await
            .ok_or(BAD_TICKET)?;
        // The session or key may have ended since the ticket was issued.
        if !caller.is_live(state).await? {
            return Err(BAD_TICKET);
        }
        tracing::Span::current().record("user_id", tracing::field::display(caller.user_id));
        Ok(Self(caller))
    }
}
