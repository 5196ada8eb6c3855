//! `/api/users/me`: the signed-in user.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::http::etag::json_with_etag;
use crate::state::AppState;
use crate::users::model::UserResponse;
use crate::users::repo;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_me))
}

/// The signed-in user's profile.
#[utoipa::path(get, path = "/api/users/me", tag = "users",
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "The current user", body = UserResponse,
            headers(("ETag" = String, description = "Send it back in `If-None-Match`"))),
        (status = 304, description = "Unchanged since the `If-None-Match` ETag"),
        (status = 401, response = crate::http::responses::Unauthorized),
    ))]
#[tracing::instrument(skip_all, fields(user_id = %user.id))]
async fn get_me(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    // The account may have been deleted since the token was issued.
    let account = repo::find_by_id(&mut state.db.read().await?, user.id)
        .await?
        .ok_or(ApiError::Unauthorized {
            detail: "The account for this access token no longer exists.",
            token_presented: true,
        })?;
    json_with_etag(&headers, &UserResponse::from(account))
}
