//! The OpenAPI 3.1 document, assembled from the feature routers so it cannot drift from the
//! routes, and the interactive docs served from the binary.

use axum::Router;
use utoipa::openapi::schema::{ArrayItems, Schema};
use utoipa::openapi::security::{
    Flow, HttpAuthScheme, HttpBuilder, OAuth2, Password, Scopes, SecurityScheme,
};
use utoipa::openapi::server::Server;
use utoipa::openapi::{Ref, RefOr};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

use crate::http::{rate_limit, responses};
use crate::state::AppState;
use crate::{admin, assistant, auth, events, http, todos, two_factor, users};

pub const BEARER_SCHEME: &str = "bearer";
/// The same bearer token, obtained through the password form: lets the docs sign in.
pub const OAUTH2_SCHEME: &str = "oauth2";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "NeoForge API",
        description = "Accounts, sessions and an example resource (todos). Errors are RFC 9457 \
            problem details; lists are paginated with `limit` and `offset`.",
    ),
    modifiers(&SecuritySchemes),
    // Schemas only named by `IntoResponses` types are not collected from the routes.
    components(schemas(auth::model::TokenPair), responses(
        responses::BadRequest,
        responses::Unauthorized,
        responses::Forbidden,
        responses::InsufficientScope,
        responses::FreshSignInRequired,
        responses::NotFound,
        responses::Conflict,
        responses::PayloadTooLarge,
        responses::UnsupportedMediaType,
        responses::ValidationFailed,
        responses::TooManyRequests,
        responses::BadGateway,
        responses::ServiceUnavailable,
        responses::GatewayTimeout,
    )),
    tags(
        (name = "health", description = "Liveness and readiness"),
        (name = "metrics", description = "Prometheus metrics"),
        (name = "auth", description = "Sign-up, sign-in, sessions and account recovery"),
        (name = "users", description = "The current user: profile, password, sessions, account"),
        (name = "todos", description = "The example resource"),
        (name = "events", description = "Realtime: the user's todo changes as Server-Sent Events"),
        (name = "admin", description = "User management and the audit log (role `admin`)"),
        (name = "assistant", description = "Free text turned into proposed todos by a language model"),
    ),
)]
struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER_SCHEME,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "An access token from signing in, or a personal API key (`nf_…`) on \
                         the todo and realtime routes, within its scopes.",
                    ))
                    .build(),
            ),
        );
        let password = Password::new("/api/auth/token", Scopes::new());
        components.add_security_scheme(
            OAUTH2_SCHEME,
            SecurityScheme::OAuth2(OAuth2::new([Flow::Password(password)])),
        );
    }
}

/// Every API route with its description.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(http::health::router())
        .merge(http::metrics::router())
        .merge(auth::routes::router())
        .merge(users::routes::router())
        .merge(two_factor::routes::router())
        .merge(todos::routes::router())
        .merge(events::routes::router())
        .merge(admin::routes::router())
        .merge(assistant::routes::router())
}

/// The routes and their document, which also describes the per-user limit: a layer in front
/// of the routes rather than part of each, so it is added once they are all merged.
fn routes_and_document() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut document) = api().split_for_parts();
    rate_limit::document(&mut document);
    document_api_key_access(&mut document);
    document_body_errors(&mut document);
    document_public_operations(&mut document);
    reference_page_items(&mut document);
    // Relative to wherever the document is served from, so generated clients and gateways
    // call the same origin without a hard-coded host.
    document.servers = Some(vec![Server::new("/")]);
    (router, document)
}

/// Every operation that reads a body can meet the body checks before its handler runs:
/// malformed JSON (`400`), a body over the limit (`413`) and another media type (`415`).
/// Listed here once, so a route cannot forget them.
fn document_body_errors(openapi: &mut utoipa::openapi::OpenApi) {
    const BODY_ERRORS: [(&str, &str); 3] = [
        ("400", "BadRequest"),
        ("413", "PayloadTooLarge"),
        ("415", "UnsupportedMediaType"),
    ];
    for item in openapi.paths.paths.values_mut() {
        let operations = [
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            if operation.request_body.is_none() {
                continue;
            }
            for (status, name) in BODY_ERRORS {
                operation
                    .responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| RefOr::Ref(Ref::from_response_name(name)));
            }
        }
    }
}

/// Where personal API keys work: on these paths within their scopes (`403` outside them),
/// and nowhere else that needs a credential (`403`: the account, its keys and the admin area
/// need a signed-in session). `tests/api/api_keys.rs` checks every operation against this.
pub const API_KEY_PATHS: [&str; 2] = ["/api/todos", "/api/events"];

pub fn accepts_api_keys(path: &str) -> bool {
    API_KEY_PATHS
        .iter()
        .any(|prefix| path == *prefix || path.starts_with(&format!("{prefix}/")))
}

/// Describe API keys on every operation that takes a bearer credential: a `403` for a key
/// without the operation's scope, or for any key where keys are refused.
fn document_api_key_access(openapi: &mut utoipa::openapi::OpenApi) {
    for (path, item) in openapi.paths.paths.iter_mut() {
        let response = if accepts_api_keys(path) {
            "InsufficientScope"
        } else {
            "Forbidden"
        };
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            let needs_credential = operation
                .security
                .as_ref()
                .is_some_and(|requirements| !requirements.is_empty());
            if !needs_credential {
                continue;
            }
            operation
                .responses
                .responses
                .entry("403".to_owned())
                .or_insert_with(|| RefOr::Ref(Ref::from_response_name(response)));
        }
    }
}

/// An operation that names no security requirement is public: said explicitly with an empty
/// list (`security: []`), which tools read as "no credentials", not as "unspecified".
fn document_public_operations(openapi: &mut utoipa::openapi::OpenApi) {
    for item in openapi.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.options,
            &mut item.head,
            &mut item.patch,
            &mut item.trace,
        ];
        for operation in operations.into_iter().flatten() {
            operation.security.get_or_insert_with(Vec::new);
        }
    }
}

/// `Page<T>` is generic, so its items are written out in full inside every `Page_T`; point
/// them at the `T` component instead, so a generated client has one `Todo` type, not two.
fn reference_page_items(openapi: &mut utoipa::openapi::OpenApi) {
    let Some(components) = openapi.components.as_mut() else {
        return;
    };
    let names: Vec<String> = components.schemas.keys().cloned().collect();
    for page in names.iter().filter(|name| name.starts_with("Page_")) {
        let item = &page["Page_".len()..];
        if !components.schemas.contains_key(item) {
            continue;
        }
        let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(page) else {
            continue;
        };
        if let Some(RefOr::T(Schema::Array(array))) = object.properties.get_mut("items") {
            array.items =
                ArrayItems::RefOrSchema(Box::new(RefOr::Ref(Ref::from_schema_name(item))));
        }
    }
}

/// The routes, plus `/openapi.json` and `/docs` serving their document.
pub fn router_with_docs() -> Router<AppState> {
    let (router, document) = routes_and_document();
    router.merge(SwaggerUi::new("/docs").url("/openapi.json", document))
}

/// The document as pretty JSON, for `neoforge openapi`.
pub fn document_json() -> String {
    let (_, document) = routes_and_document();
    document
        .to_pretty_json()
        .expect("the OpenAPI document serialises")
}
