//! `/api/auth/providers`: which providers there are, and the browser's round trip through one
//! (`start` sends it there, the provider sends it back to `callback`). Both answer with
//! redirects, since a browser navigates through them; whatever goes wrong in the callback
//! lands on the sign-in page with an `error` code it explains, and creates nothing.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::audit::{self, AuditEvent, Entry};
use crate::auth::providers::account::{self, Refusal};
use crate::auth::providers::flow::{self, FlowRefused};
use crate::auth::providers::{Provider, ProviderError, ProviderInfo};
use crate::auth::signin::{FirstFactorOutcome, SignInMethod, after_first_factor};
use crate::error::ApiError;
use crate::http::client::ClientInfo;
use crate::http::responses;
use crate::state::AppState;
use crate::users::model::User;

/// Where a signed-in browser lands; `signed_in` tells the web app to pick up the session from
/// the refresh cookie.
pub const LANDING: &str = "/app?signed_in=1";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_providers))
        .routes(routes!(start_sign_in))
        .routes(routes!(finish_sign_in))
}

/// The identity providers to offer on the sign-in page, in a stable order; empty when none
/// is configured.
#[utoipa::path(get, path = "/api/auth/providers", tag = "auth",
    responses((status = 200, description = "The configured providers", body = Vec<ProviderInfo>)))]
async fn list_providers(State(state): State<AppState>) -> Json<Vec<ProviderInfo>> {
    Json(state.providers.list())
}

/// Begin signing in at a provider: a redirect to its sign-in page, with PKCE (S256), `state`
/// and (OpenID Connect) `nonce`, bound to this browser by a short-lived cookie. When the
/// provider cannot be reached the browser goes back to the sign-in page
/// (`/login?error=provider_unavailable`).
#[utoipa::path(get, path = "/api/auth/providers/{id}/start", tag = "auth",
    params(("id" = String, Path, description = "The provider, as `GET /api/auth/providers` lists it")),
    responses(
        (status = 302, description = "To the provider's sign-in page", headers(
            ("Location" = String),
            ("Set-Cookie" = String, description = "`neoforge_provider_flow`: HttpOnly, SameSite=Lax, \
                10 minutes, only sent to this provider's callback"))),
        (status = 404, response = responses::NotFound),
    ))]
#[tracing::instrument(skip_all, fields(provider = %id))]
async fn start_sign_in(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let provider = state.providers.get(&id).ok_or(ApiError::NotFound)?;
    let secure = state.settings.is_production();
    let (secrets, cookie) = flow::begin(&state.settings.secret, &provider.id, secure);
    match provider.authorization_url(&secrets).await {
        Ok(url) => {
            let mut response = redirect(url.as_str());
            response.headers_mut().append(header::SET_COOKIE, cookie);
            Ok(response)
        }
        Err(err) => {
            tracing::warn!(error = %err, "could not begin signing in at the provider");
            Ok(redirect(&failure_location("provider_unavailable")))
        }
    }
}

/// The provider sends the browser back here. Signs the user in exactly like `login` (a
/// session, the refresh cookie), then redirects to the web app (`/app?signed_in=1`), which
/// picks the session up with `POST /api/auth/refresh`; with two-factor on, to
/// `/login#mfa_token=…&expires_in=…` for the second step (`POST /api/auth/mfa`). Any failure redirects to
/// `/login?error=CODE` with nothing created: `invalid_state` (not started in this browser,
/// expired, or tampered with), `cancelled`, `provider_error`, `provider_unavailable`,
/// `email_missing`, `email_unverified` (the address belongs to an account here and the
/// provider does not vouch for it), `account_disabled`, `too_many_attempts` or `server_error`.
#[utoipa::path(get, path = "/api/auth/providers/{id}/callback", tag = "auth",
    params(
        ("id" = String, Path, description = "The provider"),
        ("code" = Option<String>, Query, description = "The authorization code"),
        ("state" = Option<String>, Query, description = "Must be the flow's own"),
        ("error" = Option<String>, Query, description = "The provider's error instead of a code"),
        ("iss" = Option<String>, Query, description = "The provider's issuer (RFC 9207); checked when sent"),
    ),
    responses(
        (status = 302, description = "Signed in: to the web app; or to `/login?error=CODE`", headers(
            ("Location" = String),
            ("Set-Cookie" = String, description = "`neoforge_refresh` when signed in; \
                `neoforge_provider_flow` cleared"))),
        (status = 404, response = responses::NotFound),
    ))]
#[tracing::instrument(skip_all, fields(provider = %id))]
async fn finish_sign_in(
    State(state): State<AppState>,
    Path(id): Path<String>,
    client: ClientInfo,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let provider = state.providers.get(&id).ok_or(ApiError::NotFound)?;
    let params = CallbackParams::parse(query.as_deref().unwrap_or_default());
    let mut response = match complete(&state, provider, &client, &headers, params).await {
        Ok(response) => response,
        Err(failure) => {
            failure.record(&state, provider, &client).await;
            redirect(&failure_location(failure.code()))
        }
    };
    // A flow is answered once, whatever the outcome.
    response.headers_mut().append(
        header::SET_COOKIE,
        flow::clear(&provider.id, state.settings.is_production()),
    );
    Ok(response)
}

/// What the provider sent back; anything else it adds (`scope`, `session_state`, ...) is
/// ignored.
#[derive(Default)]
struct CallbackParams {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    iss: Option<String>,
}

impl CallbackParams {
    fn parse(query: &str) -> Self {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
        let mut params = Self::default();
        for (name, value) in pairs {
            let slot = match name.as_str() {
                "code" => &mut params.code,
                "state" => &mut params.state,
                "error" => &mut params.error,
                "iss" => &mut params.iss,
                _ => continue,
            };
            slot.get_or_insert(value);
        }
        params
    }
}

async fn complete(
    state: &AppState,
    provider: &Provider,
    client: &ClientInfo,
    headers: &HeaderMap,
    params: CallbackParams,
) -> Result<Response, Failure> {
    let limit = state
        .limiter
        .hit(&state.settings.rate_limits.login_per_ip, &client.ip_key())
        .await;
    if !limit.allowed {
        return Err(Failure::RateLimited);
    }
    let secrets = flow::resume(
        &state.settings.secret,
        &provider.id,
        headers,
        params.state.as_deref(),
    )
    .map_err(Failure::Flow)?;
    if let Some(error) = params.error {
        return Err(if error == "access_denied" {
            Failure::Cancelled
        } else {
            Failure::ProviderSaid(error)
        });
    }
    if let (Some(sent), Some(issuer)) = (params.iss.as_deref(), provider.issuer())
        && sent.trim_end_matches('/') != issuer.trim_end_matches('/')
    {
        return Err(Failure::WrongIssuer);
    }
    let code = params.code.ok_or(Failure::NoCode)?;
    let identity = provider
        .identify(code, &secrets)
        .await
        .map_err(Failure::Provider)?;
    let user = account::resolve(state, &provider.id, &identity, client)
        .await
        .map_err(|err| Failure::Internal(ApiError::Internal(err.into())))?
        .map_err(Failure::Refused)?;
    signed_in(state, &user, client, provider)
        .await
        .map_err(Failure::Internal)
}

/// The user is known and may sign in: open their session and land in the web app, or, with
/// two-factor on, hand the second step to the sign-in page in the address's fragment (never
/// sent to a server, nor in a `Referer`).
async fn signed_in(
    state: &AppState,
    user: &User,
    client: &ClientInfo,
    provider: &Provider,
) -> Result<Response, ApiError> {
    let details = json!({"provider": provider.id});
    match after_first_factor(state, user, client, SignInMethod::Provider, details).await? {
        FirstFactorOutcome::SignedIn(signed_in) => {
            let mut response = redirect(LANDING);
            response
                .headers_mut()
                .append(header::SET_COOKIE, signed_in.cookie);
            Ok(response)
        }
        FirstFactorOutcome::MfaRequired(pending) => Ok(redirect(&format!(
            "/login#mfa_token={}&expires_in={}",
            pending.mfa_token, pending.expires_in
        ))),
    }
}

/// Why a callback did not sign anyone in.
enum Failure {
    RateLimited,
    Flow(FlowRefused),
    /// The user declined at the provider.
    Cancelled,
    /// The provider's own `error`.
    ProviderSaid(String),
    WrongIssuer,
    NoCode,
    Provider(ProviderError),
    Refused(Refusal),
    Internal(ApiError),
}

impl Failure {
    fn code(&self) -> &'static str {
        match self {
            Self::RateLimited => "too_many_attempts",
            Self::Flow(_) => "invalid_state",
            Self::Cancelled => "cancelled",
            Self::ProviderSaid(_)
            | Self::WrongIssuer
            | Self::NoCode
            | Self::Provider(ProviderError::Rejected(_)) => "provider_error",
            Self::Provider(ProviderError::Unavailable(_)) => "provider_unavailable",
            Self::Refused(refusal) => refusal.code(),
            Self::Internal(_) => "server_error",
        }
    }

    /// Logged and audited as a failed sign-in (the reason, never a token or code).
    async fn record(&self, state: &AppState, provider: &Provider, client: &ClientInfo) {
        let (reason, user_id) = match self {
            Self::RateLimited => ("rate_limited".to_owned(), None),
            Self::Flow(refused) => (refused.as_str().to_owned(), None),
            Self::Cancelled => ("cancelled".to_owned(), None),
            Self::ProviderSaid(error) => (format!("provider_error: {}", printable(error)), None),
            Self::WrongIssuer => ("issuer_mismatch".to_owned(), None),
            Self::NoCode => ("no_code".to_owned(), None),
            Self::Provider(err) => {
                tracing::warn!(error = %err, "signing in at the provider failed");
                match err {
                    ProviderError::Unavailable(_) => ("provider_unavailable".to_owned(), None),
                    ProviderError::Rejected(_) => ("provider_rejected".to_owned(), None),
                }
            }
            Self::Refused(refusal) => (refusal.code().to_owned(), refusal.user_id()),
            Self::Internal(err) => {
                tracing::error!(error = ?err, "signing in through a provider failed");
                return;
            }
        };
        tracing::info!(reason, "sign-in through a provider refused");
        let entry = Entry {
            event: AuditEvent::LoginFailed,
            user_id,
            actor_id: None,
            client,
            details: json!({"method": SignInMethod::Provider.as_str(), "provider": provider.id, "reason": reason}),
        };
        let recorded = match state.db.write().await {
            Ok(mut conn) => audit::record(&mut conn, entry).await,
            Err(err) => Err(err),
        };
        if let Err(err) = recorded {
            tracing::error!(error = %err, "could not record a failed sign-in");
        }
    }
}

/// A provider's error code as the audit log keeps it: short, and printable ASCII only.
fn printable(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_ascii_graphic())
        .take(64)
        .collect()
}

fn failure_location(code: &str) -> String {
    format!("/login?error={code}")
}

/// `302 Found` to `location`, never cached.
fn redirect(location: &str) -> Response {
    let mut response = StatusCode::FOUND.into_response();
    let headers = response.headers_mut();
    if let Ok(location) = HeaderValue::try_from(location) {
        headers.insert(header::LOCATION, location);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
