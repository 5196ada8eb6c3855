//! The one error type of the HTTP API, rendered as RFC 9457 problem details.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::cache::{Decision, Limited};
use crate::http::request_id;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// Seconds a client is asked to wait (`Retry-After`) when the database is out of reach: a
/// restart or fail-over takes a few seconds, and sooner retries would only add to the load.
pub const DATABASE_RETRY_AFTER_SECS: u32 = 2;

/// Marks a response that failed because the database connection was lost, so that a read can
/// be tried once more on a fresh connection (see `http::middleware`).
#[derive(Debug, Clone, Copy)]
pub struct DatabaseUnreachable;

/// One invalid input field of a `422` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// The field's name (a JSON member or query parameter).
    pub field: String,
    /// What is wrong with it, in words a person understands.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// RFC 9457 problem details: the body of every error response.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"type": "about:blank", "title": "Unprocessable Content", "status": 422,
    "detail": "The request has invalid fields.",
    "errors": [{"field": "title", "message": "must be 1 to 500 characters"}]}))]
pub struct Problem {
    /// Always `about:blank`: the status code says what kind of problem it is.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The status code's reason phrase.
    pub title: String,
    pub status: u16,
    /// What went wrong in this occurrence.
    pub detail: String,
    /// Present on validation failures only: every invalid field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
    /// Present on server errors: quote it when reporting the problem.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl Problem {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            kind: "about:blank",
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            errors: None,
            request_id: None,
        }
    }

    /// The generic description of a status, for responses produced outside our handlers
    /// (unknown routes, wrong methods, body limits, time-outs).
    pub fn for_status(status: StatusCode) -> Self {
        let detail = match status {
            StatusCode::NOT_FOUND => "No resource exists at this address.",
            StatusCode::METHOD_NOT_ALLOWED => {
                "This method is not allowed here; see the Allow header."
            }
            StatusCode::PAYLOAD_TOO_LARGE => "The request body is larger than 64 KiB.",
            StatusCode::REQUEST_TIMEOUT | StatusCode::SERVICE_UNAVAILABLE => {
                "The server could not answer in time; try again."
            }
            StatusCode::UNAUTHORIZED => "Authentication is required.",
            status if status.is_server_error() => "An unexpected error occurred.",
            _ => "The request could not be processed.",
        };
        Self::new(status, detail)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut problem = self;
        if status.is_server_error() {
            problem.request_id = request_id::current();
        }
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut response = (status, body).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        response
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("invalid request fields")]
    Validation(Vec<FieldError>),
    #[error("malformed request body: {0}")]
    MalformedBody(String),
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("request body too large")]
    PayloadTooLarge,
    /// Missing or bad credentials. `token_presented` selects the RFC 6750 challenge.
    #[error("unauthorized: {detail}")]
    Unauthorized {
        detail: &'static str,
        token_presented: bool,
    },
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// An API key used beyond its scopes (RFC 6750 `insufficient_scope`).
    #[error("insufficient scope: {}", .0.as_str())]
    InsufficientScope(crate::api_keys::Scope),
    /// A change that needs the session to have proved who its user is recently (RFC 9470
    /// `insufficient_user_authentication`): `max_age` is how recent, in seconds.
    #[error("fresh sign-in required: {detail}")]
    FreshSignInRequired { detail: &'static str, max_age: u64 },
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// A rate limit tripped: `429` with `Retry-After` and the `RateLimit-*` headers.
    #[error("rate limited")]
    TooManyRequests(Decision),
    /// A quota is used up: `429` like a rate limit, with `detail` saying which.
    #[error("quota used up: {detail}")]
    QuotaExceeded { decision: Decision, detail: String },
    /// A service the answer depends on failed (`502`), is unavailable (`503`) or too slow
    /// (`504`): `detail` says so in words for the client, `retry_after` (seconds) when
    /// waiting helps. The cause is logged where it happened, never shown.
    #[error("upstream failure: {detail}")]
    Upstream {
        status: StatusCode,
        detail: &'static str,
        retry_after: Option<u64>,
    },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    pub fn invalid_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    fn status(&self) -> StatusCode {
        match self {
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::MalformedBody(_) => StatusCode::BAD_REQUEST,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) | Self::InsufficientScope(_) | Self::FreshSignInRequired { .. } => {
                StatusCode::FORBIDDEN
            }
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::TooManyRequests(_) | Self::QuotaExceeded { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Upstream { status, .. } => *status,
            Self::Internal(err) if unavailable(err).is_some() => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<Limited> for ApiError {
    fn from(Limited(decision): Limited) -> Self {
        Self::TooManyRequests(decision)
    }
}

/// Why the database could not serve a request, when that is the server's temporary trouble
/// (`503`) rather than a fault in handling the request (`500`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unavailable {
    ConnectionLost,
    StorageRefused,
}

fn unavailable(err: &anyhow::Error) -> Option<Unavailable> {
    err.chain().find_map(|cause| {
        let db = cause.downcast_ref::<crate::db::DbError>()?;
        if db.is_connection_lost() {
            Some(Unavailable::ConnectionLost)
        } else if db.is_storage_refused() {
            Some(Unavailable::StorageRefused)
        } else {
            None
        }
    })
}

impl From<crate::db::DbError> for ApiError {
    fn from(err: crate::db::DbError) -> Self {
        Self::Internal(anyhow::Error::new(err).context("database error"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let challenge = match &self {
            Self::Unauthorized {
                token_presented: true,
                ..
            } => Some(r#"Bearer error="invalid_token""#.to_owned()),
            Self::Unauthorized {
                token_presented: false,
                ..
            } => Some("Bearer".to_owned()),
            Self::InsufficientScope(scope) => Some(format!(
                r#"Bearer error="insufficient_scope", scope="{}""#,
                scope.as_str()
            )),
            Self::FreshSignInRequired { max_age, .. } => Some(format!(
                r#"Bearer error="insufficient_user_authentication", max_age={max_age}"#
            )),
            _ => None,
        };
        let limit = match &self {
            Self::TooManyRequests(decision) | Self::QuotaExceeded { decision, .. } => {
                Some(*decision)
            }
            _ => None,
        };
        let upstream_retry_after = match &self {
            Self::Upstream { retry_after, .. } => *retry_after,
            _ => None,
        };
        let cause = match &self {
            Self::Internal(err) => unavailable(err),
            _ => None,
        };
        let problem = match self {
            Self::Validation(errors) => Problem {
                errors: Some(errors),
                ..Problem::new(status, "The request has invalid fields.")
            },
            Self::MalformedBody(reason) => Problem::new(
                status,
                format!("The request body is not valid JSON: {reason}"),
            ),
            Self::UnsupportedMediaType => Problem::new(
                status,
                "The request body must be JSON (Content-Type: application/json).",
            ),
            Self::Unauthorized { detail, .. }
            | Self::Forbidden(detail)
            | Self::FreshSignInRequired { detail, .. }
            | Self::Conflict(detail) => Problem::new(status, detail),
            Self::Internal(ref err) if cause == Some(Unavailable::ConnectionLost) => {
                tracing::warn!(error = format!("{err:#}"), "database unreachable");
                Problem::new(
                    status,
                    "The database cannot be reached at the moment; try again shortly.",
                )
            }
            Self::Internal(ref err) if cause == Some(Unavailable::StorageRefused) => {
                tracing::error!(
                    error = format!("{err:#}"),
                    "database storage refuses writes"
                );
                Problem::new(
                    status,
                    "The server's storage cannot take writes at the moment (full or read-only); \
                     try again later.",
                )
            }
            Self::Internal(ref err) => {
                // The client sees only the request id; the log gets the whole cause chain.
                tracing::error!(error = format!("{err:#}"), "internal error");
                Problem::for_status(status)
            }
            Self::TooManyRequests(decision) => Problem::new(
                status,
                format!(
                    "Too many attempts. Try again in {} seconds.",
                    decision.reset_secs()
                ),
            ),
            Self::InsufficientScope(scope) => Problem::new(
                status,
                format!("This API key does not have the {} scope.", scope.as_str()),
            ),
            Self::QuotaExceeded { detail, .. } => Problem::new(status, detail),
            Self::Upstream { detail, .. } => Problem::new(status, detail),
            Self::PayloadTooLarge | Self::NotFound => Problem::for_status(status),
        };
        let mut response = problem.into_response();
        if cause.is_some() {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(DATABASE_RETRY_AFTER_SECS),
            );
        }
        if cause == Some(Unavailable::ConnectionLost) {
            response.extensions_mut().insert(DatabaseUnreachable);
        }
        if let Some(seconds) = upstream_retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
        }
        if let Some(decision) = limit {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(decision.reset_secs()),
            );
            response = rate_limit_headers(decision, response);
        }
        if let Some(challenge) = challenge.and_then(|value| HeaderValue::try_from(value).ok()) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, challenge);
        }
        response
    }
}

/// Adds `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (seconds) to a
/// response of a rate-limited route, unless a policy closer to the answer set them already
/// (the one that refused a `429`).
pub fn rate_limit_headers(decision: Decision, mut response: Response) -> Response {
    let headers = response.headers_mut();
    if headers.contains_key("ratelimit-limit") {
        return response;
    }
    headers.insert("ratelimit-limit", HeaderValue::from(decision.limit));
    headers.insert("ratelimit-remaining", HeaderValue::from(decision.remaining));
    headers.insert("ratelimit-reset", HeaderValue::from(decision.reset_secs()));
    response
}

/// Maps a unique-constraint violation to `409 Conflict` with `detail`; other errors pass
/// through as internal errors.
pub trait ConflictOnDuplicate<T> {
    fn conflict_on_duplicate(self, detail: &'static str) -> Result<T, ApiError>;
}

impl<T> ConflictOnDuplicate<T> for Result<T, crate::db::DbError> {
    fn conflict_on_duplicate(self, detail: &'static str) -> Result<T, ApiError> {
        self.map_err(|err| {
            if err.is_unique_violation() {
                ApiError::Conflict(detail)
            } else {
                err.into()
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::DbError;

    #[test]
    fn a_lost_connection_or_a_full_disk_is_503_with_retry_after_and_other_faults_500() {
        let lost = ApiError::from(DbError::Unavailable("pool timed out".into())).into_response();
        assert_eq!(lost.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            lost.headers()[header::RETRY_AFTER],
            DATABASE_RETRY_AFTER_SECS.to_string()
        );
        assert_eq!(lost.headers()[header::CONTENT_TYPE], PROBLEM_JSON);
        assert!(lost.extensions().get::<DatabaseUnreachable>().is_some());

        let wrapped = ApiError::Internal(
            anyhow::Error::new(DbError::Unavailable("closed".into())).context("loading a todo"),
        );
        assert_eq!(wrapped.status(), StatusCode::SERVICE_UNAVAILABLE);

        let full = DbError::Sqlite(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL),
            None,
        ));
        let full = ApiError::from(full).into_response();
        assert_eq!(full.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(full.headers().contains_key(header::RETRY_AFTER));
        // Reads do not fail for want of space: nothing to try again.
        assert!(full.extensions().get::<DatabaseUnreachable>().is_none());

        let fault = ApiError::from(DbError::NoRows).into_response();
        assert_eq!(fault.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!fault.headers().contains_key(header::RETRY_AFTER));
        assert!(fault.extensions().get::<DatabaseUnreachable>().is_none());
    }
}
