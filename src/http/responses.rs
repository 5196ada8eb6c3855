//! Reusable OpenAPI descriptions of the error responses, so every route documents its
//! failures in the same words and shape (RFC 9457 problem details).

use utoipa::ToResponse;

use crate::error::Problem;

/// The body is not valid JSON.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct BadRequest(pub Problem);

/// No valid access token: missing, malformed, expired or forged.
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    headers(("WWW-Authenticate" = String, description = "`Bearer`, with `error=\"invalid_token\"` when a token was sent"))
)]
pub struct Unauthorized(pub Problem);

/// Authenticated, but not allowed to do this.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct Forbidden(pub Problem);

/// An API key without the scope this operation needs.
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    headers(("WWW-Authenticate" = String, description = "`Bearer error=\"insufficient_scope\", scope=\"…\"`: the scope needed"))
)]
pub struct InsufficientScope(pub Problem);

/// The session signed in too long ago for this change (or an API key was used): confirm the
/// password with `POST /api/auth/reauthenticate`, or sign in again, then retry.
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    headers(("WWW-Authenticate" = String, description = "`Bearer error=\"insufficient_user_authentication\", max_age=…`: the sign-in must be at most `max_age` seconds old"))
)]
pub struct FreshSignInRequired(pub Problem);

/// No such resource, or it belongs to someone else.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct NotFound(pub Problem);

/// The request conflicts with existing data.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct Conflict(pub Problem);

/// The body is larger than 64 KiB.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct PayloadTooLarge(pub Problem);

/// The body is not `application/json`.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct UnsupportedMediaType(pub Problem);

/// Invalid fields; `errors` lists every one.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct ValidationFailed(pub Problem);

/// Too many attempts: wait `Retry-After` seconds.
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    headers(
        ("Retry-After" = u64, description = "Seconds until another attempt is allowed"),
        ("RateLimit-Limit" = u64, description = "Requests allowed in the window"),
        ("RateLimit-Remaining" = u64, description = "Requests left in the window"),
        ("RateLimit-Reset" = u64, description = "Seconds until the window resets"),
    )
)]
pub struct TooManyRequests(pub Problem);

/// A service this answer depends on sent something unusable, or refused the request.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct BadGateway(pub Problem);

/// Not available now: not configured, or a service it depends on is unavailable; with
/// `Retry-After` when waiting helps.
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    headers(("Retry-After" = u64, description = "Seconds to wait before trying again, when waiting helps"))
)]
pub struct ServiceUnavailable(pub Problem);

/// A service this answer depends on did not answer in time.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct GatewayTimeout(pub Problem);
