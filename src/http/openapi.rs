//! The OpenAPI 3.1 document, assembled from the feature routers so it cannot drift from the
//! routes, and the interactive docs served from the binary.

use axum::Router;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

use crate::http::responses;
use crate::state::AppState;
use crate::{auth, http, todos, users};

pub const BEARER_SCHEME: &str = "bearer";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "NeoForge API",
        description = "Accounts, sessions and an example resource (todos). Errors are RFC 9457 \
            problem details; lists are paginated with `limit` and `offset`.",
    ),
    modifiers(&BearerScheme),
    components(responses(
        responses::BadRequest,
        responses::Unauthorized,
        responses::Forbidden,
        responses::NotFound,
        responses::Conflict,
        responses::PayloadTooLarge,
        responses::UnsupportedMediaType,
        responses::ValidationFailed,
    )),
    tags(
        (name = "health", description = "Liveness and readiness"),
        (name = "auth", description = "Sign-up and sign-in"),
        (name = "users", description = "The current user"),
        (name = "todos", description = "The example resource"),
    ),
)]
struct ApiDoc;

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER_SCHEME,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// Every API route with its description.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(http::health::router())
        .merge(auth::routes::router())
        .merge(users::routes::router())
        .merge(todos::routes::router())
}

/// The routes, plus `/openapi.json` and `/docs` serving their document.
pub fn router_with_docs() -> Router<AppState> {
    let (router, document) = api().split_for_parts();
    router.merge(SwaggerUi::new("/docs").url("/openapi.json", document))
}

/// The document as pretty JSON, for `neoforge openapi`.
pub fn document_json() -> String {
    let (_, document) = api().split_for_parts();
    document
        .to_pretty_json()
        .expect("the OpenAPI document serialises")
}
