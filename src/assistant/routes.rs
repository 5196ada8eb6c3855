//! `/api/assistant`: whether the assistant is available, and plans from free text. Handlers
//! only extract, check the quota, call the assistant and shape the response.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::assistant::Outcome;
use crate::assistant::model::{AssistantStatus, Plan, PlanRequest};
use crate::auth::CurrentUser;
use crate::cache::{Decision, Limited};
use crate::error::{ApiError, rate_limit_headers};
use crate::http::etag::json_with_etag;
use crate::http::json::ValidJson;
use crate::http::responses;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(assistant_status))
        .routes(routes!(plan_todos))
}

/// Whether the assistant is available on this server, so a client offers it only then.
#[utoipa::path(get, path = "/api/assistant", tag = "assistant", security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "Whether plans can be asked for", body = AssistantStatus,
            headers(("ETag" = String, description = "Send it back in `If-None-Match`"))),
        (status = 304, description = "Unchanged since the `If-None-Match` ETag"),
        (status = 401, response = responses::Unauthorized),
    ))]
#[tracing::instrument(skip_all, fields(user_id = %user.id))]
async fn assistant_status(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let status = AssistantStatus {
        available: state.assistant.is_some(),
    };
    json_with_etag(&headers, &status)
}

/// Propose todos for free text: notes, an email, a goal.
///
/// Nothing is created: the client creates the ones it keeps with `POST /api/todos`. The text
/// is read as data, never as instructions. Each plan counts against the caller's daily
/// quota, whatever its outcome; the `RateLimit-*` headers of an answer report that quota.
#[utoipa::path(post, path = "/api/assistant/plan", tag = "assistant", security(("bearer" = []), ("oauth2" = [])),
    request_body = crate::assistant::model::PlanRequestSchema,
    responses(
        (status = 200, description = "The proposed todos, possibly none", body = Plan),
        (status = 401, response = responses::Unauthorized),
        (status = 422, response = responses::ValidationFailed),
        (status = 429, response = responses::TooManyRequests),
        (status = 502, response = responses::BadGateway),
        (status = 503, response = responses::ServiceUnavailable),
        (status = 504, response = responses::GatewayTimeout),
    ))]
#[tracing::instrument(skip_all, fields(user_id = %user.id))]
async fn plan_todos(
    State(state): State<AppState>,
    user: CurrentUser,
    ValidJson(request): ValidJson<PlanRequest>,
) -> Result<Response, ApiError> {
    let Some(assistant) = &state.assistant else {
        return Err(ApiError::Upstream {
            status: StatusCode::SERVICE_UNAVAILABLE,
            detail: "The assistant is not configured on this server.",
            retry_after: None,
        });
    };
    // Counted before the call, so concurrent requests cannot all slip under the quota.
    let decision = state
        .limiter
        .enforce(&assistant.settings.daily_quota, &user.id.to_string())
        .await
        .map_err(|Limited(decision)| {
            Outcome::Quota.record();
            quota_used_up(decision)
        })?;
    let titles = assistant.plan(request.text.as_str()).await?;
    let plan = Plan {
        todos: titles.into_iter().map(Into::into).collect(),
    };
    Ok(rate_limit_headers(decision, Json(plan).into_response()))
}

fn quota_used_up(decision: Decision) -> ApiError {
    let seconds = decision.reset_secs();
    let wait = match seconds {
        0..=90 => format!("{seconds} seconds"),
        91..=5399 => format!("{} minutes", seconds.div_ceil(60)),
        _ => format!("{} hours", seconds.div_ceil(3600)),
    };
    ApiError::QuotaExceeded {
        decision,
        detail: format!(
            "You have used all {} plans of your daily quota. Try again in {wait}.",
            decision.limit
        ),
    }
}
