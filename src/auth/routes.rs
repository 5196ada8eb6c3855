//! `/api/auth/*`: sign-up and sign-in.

use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use utoipa::IntoResponses;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::model::{Login, Register, TokenPair};
use crate::auth::{repo, token};
use crate::error::{ApiError, ConflictOnDuplicate};
use crate::http::json::ValidJson;
use crate::http::responses;
use crate::state::AppState;
use crate::time::Timestamp;
use crate::users::model::{Role, User, UserResponse};
use crate::users::repo as users_repo;

/// How long a refresh token (and so a session) lives without being used.
const SESSION_TTL: Duration = Duration::from_secs(30 * 24 * 60 * 60);
const MAX_USER_AGENT_LEN: usize = 512;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(token_form))
}

/// Create an account.
#[utoipa::path(post, path = "/api/auth/register", tag = "auth",
    request_body = crate::auth::model::RegisterRequestSchema,
    responses(
        (status = 201, description = "Account created", body = UserResponse),
        (status = 400, response = crate::http::responses::BadRequest),
        (status = 409, response = crate::http::responses::Conflict),
        (status = 413, response = crate::http::responses::PayloadTooLarge),
        (status = 415, response = crate::http::responses::UnsupportedMediaType),
        (status = 422, response = crate::http::responses::ValidationFailed),
    ))]
#[tracing::instrument(skip_all)]
async fn register(
    State(state): State<AppState>,
    ValidJson(request): ValidJson<Register>,
) -> Result<(StatusCode, Json<UserResponse>), ApiError> {
    let password_hash = state.passwords.hash(request.password.into_secret()).await?;
    let now = Timestamp::now();
    let user = User {
        id: Uuid::now_v7(),
        email: request.email.as_str().to_owned(),
        name: request.name,
        password_hash,
        role: Role::User,
        is_active: true,
        email_verified: false,
        created_at: now,
        updated_at: now,
    };
    users_repo::insert(&mut state.db.write().await?, &user)
        .await
        .conflict_on_duplicate("An account with this email address already exists.")?;
    tracing::info!(user_id = %user.id, "account registered");
    Ok((StatusCode::CREATED, Json(user.into())))
}

/// What both sign-in routes answer.
#[derive(IntoResponses)]
pub enum SignInResponses {
    /// Signed in
    #[response(status = 200)]
    SignedIn(TokenPair),
    #[response(status = 400)]
    BadRequest(#[ref_response] responses::BadRequest),
    #[response(status = 401)]
    Unauthorized(#[ref_response] responses::Unauthorized),
    #[response(status = 403)]
    Forbidden(#[ref_response] responses::Forbidden),
    #[response(status = 413)]
    PayloadTooLarge(#[ref_response] responses::PayloadTooLarge),
    #[response(status = 415)]
    UnsupportedMediaType(#[ref_response] responses::UnsupportedMediaType),
    #[response(status = 422)]
    ValidationFailed(#[ref_response] responses::ValidationFailed),
}

/// Sign in with email and password.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth",
    request_body = crate::auth::model::LoginRequestSchema,
    responses(SignInResponses))]
#[tracing::instrument(skip_all)]
async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    ValidJson(request): ValidJson<Login>,
) -> Result<Json<TokenPair>, ApiError> {
    sign_in(&state, request, user_agent(&headers))
        .await
        .map(Json)
}

/// Sign in with the OAuth2 password form (`username` is the email), so the interactive docs
/// can authorize. Answers exactly like `/api/auth/login`.
#[utoipa::path(post, path = "/api/auth/token", tag = "auth",
    request_body(content = crate::auth::model::TokenFormSchema,
        content_type = "application/x-www-form-urlencoded"),
    responses(SignInResponses))]
#[tracing::instrument(skip_all)]
async fn token_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<TokenPair>, ApiError> {
    let request = Login::from_password_form(&headers, &body)?;
    sign_in(&state, request, user_agent(&headers))
        .await
        .map(Json)
}

/// Check the credentials and open a session.
async fn sign_in(
    state: &AppState,
    request: Login,
    user_agent: Option<&str>,
) -> Result<TokenPair, ApiError> {
    let user = users_repo::find_by_email(&mut state.db.read().await?, &request.email).await?;
    let stored_hash = user.as_ref().map(|user| user.password_hash.clone());
    let password_ok = state
        .passwords
        .verify(request.password, stored_hash)
        .await?;
    let user = match user {
        Some(user) if password_ok => user,
        // Same answer for an unknown email and a wrong password: nobody learns who has an
        // account here.
        _ => {
            return Err(ApiError::Unauthorized {
                detail: "Incorrect email or password.",
                token_presented: false,
            });
        }
    };
    if !user.is_active {
        return Err(ApiError::Forbidden("This account has been deactivated."));
    }

    let refresh_token = token::new_refresh_token();
    let refresh_token_hash = token::hash_refresh_token(&refresh_token);
    let now = Timestamp::now();
    let session = repo::NewSession {
        id: Uuid::now_v7(),
        user_id: user.id,
        refresh_token_hash: &refresh_token_hash,
        user_agent: user_agent.map(|agent| truncate(agent, MAX_USER_AGENT_LEN)),
        created_at: now,
        expires_at: Timestamp::from_millis(now.as_millis() + SESSION_TTL.as_millis() as i64),
    };
    repo::insert(&mut state.db.write().await?, &session).await?;
    let access_token = state.tokens.issue(user.id, session.id)?;
    tracing::info!(user_id = %user.id, session_id = %session.id, "signed in");
    Ok(TokenPair {
        access_token,
        refresh_token,
        token_type: "bearer",
        expires_in: state.tokens.ttl().as_secs(),
    })
}

fn user_agent(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::USER_AGENT)
        .and_then(|value| value.to_str().ok())
}

fn truncate(text: &str, max_bytes: usize) -> &str {
    let mut end = text.len().min(max_bytes);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}
