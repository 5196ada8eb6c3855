//! Signing in with other identity providers: any OpenID Connect provider (Google, Microsoft,
//! Keycloak, Auth0, ...) and GitHub (OAuth 2 and its API).
//!
//! - `GET /api/auth/providers`, `.../{id}/start` and `.../{id}/callback`: [`routes`]
//! - `GET /api/users/me/identities`, `DELETE .../{id}`: [`identities`]
//! - who the external identity is here (an existing link, a link through a verified email,
//!   or a new account): [`account`]
//! - the browser-bound flow (`state`, `nonce`, PKCE): [`flow`]

pub mod account;
pub mod flow;
pub mod github;
pub mod http;
pub mod identities;
pub mod oidc;
pub mod repo;
pub mod routes;

use std::sync::Arc;

use oauth2::RedirectUrl;
use oauth2::url::Url;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::providers::flow::FlowSecrets;
use crate::auth::providers::github::GitHub;
use crate::auth::providers::http::HttpClient;
use crate::auth::providers::oidc::Oidc;
use crate::config::Settings;
use crate::config::providers::GITHUB_ID;

/// The configured providers, by id; cheap to clone.
#[derive(Clone, Default)]
pub struct Providers(Arc<Vec<Provider>>);

pub struct Provider {
    pub id: String,
    pub name: String,
    kind: Kind,
}

/// Boxed: the two clients differ in size, and a provider is built once.
enum Kind {
    Oidc(Box<Oidc>),
    GitHub(Box<GitHub>),
}

/// A provider as the sign-in page lists it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProviderInfo {
    /// Used in the provider's routes (`/api/auth/providers/{id}/start`).
    #[schema(example = "google")]
    pub id: String,
    /// For the button: "Continue with {name}".
    #[schema(example = "Google")]
    pub name: String,
}

/// Who signed in at the provider, as the provider says.
#[derive(Debug, Clone)]
pub struct ExternalIdentity {
    /// The provider's stable id of the user (OIDC `sub`, GitHub's numeric user id).
    pub subject: String,
    pub email: Option<String>,
    /// Whether the provider vouches that `email` belongs to the user.
    pub email_verified: bool,
    pub name: Option<String>,
}

/// Why a provider could not tell who signed in.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// It could not be reached, or answered with a server error: worth trying again later.
    #[error("the provider is unavailable: {0}")]
    Unavailable(String),
    /// It refused (a used or wrong code, a bad token) or answered something unusable.
    #[error("the provider's answer was refused: {0}")]
    Rejected(String),
}

impl Providers {
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        let configured = &settings.providers;
        if !configured.any() {
            return Ok(Self::default());
        }
        let http = HttpClient::new()?;
        let redirect = |id: &str| {
            RedirectUrl::new(format!(
                "{}/api/auth/providers/{id}/callback",
                settings.public_url
            ))
            .map_err(|err| anyhow::anyhow!("NEOFORGE_PUBLIC_URL: {err}"))
        };
        let mut providers = Vec::new();
        for oidc in &configured.oidc {
            providers.push(Provider {
                id: oidc.id.clone(),
                name: oidc.name.clone(),
                kind: Kind::Oidc(Box::new(Oidc::new(
                    oidc,
                    redirect(&oidc.id)?,
                    http.clone(),
                )?)),
            });
        }
        if let Some(github) = &configured.github {
            providers.push(Provider {
                id: GITHUB_ID.to_owned(),
                name: "GitHub".to_owned(),
                kind: Kind::GitHub(Box::new(GitHub::new(
                    github,
                    redirect(GITHUB_ID)?,
                    http.clone(),
                )?)),
            });
        }
        providers.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(Self(Arc::new(providers)))
    }

    pub fn get(&self, id: &str) -> Option<&Provider> {
        self.0.iter().find(|provider| provider.id == id)
    }

    pub fn is_configured(&self, id: &str) -> bool {
        self.get(id).is_some()
    }

    pub fn list(&self) -> Vec<ProviderInfo> {
        self.0
            .iter()
            .map(|provider| ProviderInfo {
                id: provider.id.clone(),
                name: provider.name.clone(),
            })
            .collect()
    }

    /// The display name of a provider id, or the id itself for one no longer configured.
    pub fn name_of(&self, id: &str) -> String {
        self.get(id)
            .map_or_else(|| id.to_owned(), |provider| provider.name.clone())
    }

    /// Discover the OpenID Connect providers in the background, so the first sign-in at each
    /// need not wait for it; one that is down only logs a warning, and is tried again on use.
    pub fn warm_up(&self) {
        if self.0.is_empty() {
            return;
        }
        let providers = self.clone();
        tokio::spawn(async move {
            for provider in providers.0.iter() {
                if let Kind::Oidc(oidc) = &provider.kind {
                    oidc.warm_up().await;
                }
            }
        });
    }
}

impl Provider {
    /// The provider's own issuer, which it may name in the callback (`iss`, RFC 9207).
    pub fn issuer(&self) -> Option<&str> {
        match &self.kind {
            Kind::Oidc(oidc) => Some(oidc.issuer()),
            Kind::GitHub(_) => None,
        }
    }

    /// Where to send the browser to sign in, carrying this flow's secrets.
    pub async fn authorization_url(&self, flow: &FlowSecrets) -> Result<Url, ProviderError> {
        match &self.kind {
            Kind::Oidc(oidc) => oidc.authorization_url(flow).await,
            Kind::GitHub(github) => Ok(github.authorization_url(flow)),
        }
    }

    /// Redeem the callback's `code`: who signed in.
    pub async fn identify(
        &self,
        code: String,
        flow: &FlowSecrets,
    ) -> Result<ExternalIdentity, ProviderError> {
        match &self.kind {
            Kind::Oidc(oidc) => oidc.identify(code, flow).await,
            Kind::GitHub(github) => github.identify(code, flow).await,
        }
    }
}

/// An error with its causes, `: `-separated.
pub(crate) fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
