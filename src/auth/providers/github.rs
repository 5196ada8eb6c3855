//! The GitHub preset: GitHub signs users in with OAuth 2 (no OpenID Connect), so who signed in
//! is asked of its REST API with the access token: `GET /user` (the numeric id, which never
//! changes, is the subject) and `GET /user/emails` (the primary address, and whether GitHub
//! has verified it).

use axum::http::{Method, Request, header};
use oauth2::basic::BasicClient;
use oauth2::url::Url;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope, TokenResponse,
    TokenUrl,
};
use secrecy::ExposeSecret;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::auth::providers::flow::FlowSecrets;
use crate::auth::providers::http::HttpClient;
use crate::auth::providers::{ExternalIdentity, ProviderError, error_chain};
use crate::config::providers::GitHubSettings;

type Client = BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

pub struct GitHub {
    client: Client,
    api_url: String,
    http: HttpClient,
}

#[derive(Deserialize)]
struct GitHubUser {
    id: u64,
    login: String,
    name: Option<String>,
    /// The public address, if the user shows one: not known to be verified.
    email: Option<String>,
}

#[derive(Deserialize)]
struct GitHubEmail {
    email: String,
    primary: bool,
    verified: bool,
}

impl GitHub {
    pub fn new(
        settings: &GitHubSettings,
        redirect: RedirectUrl,
        http: HttpClient,
    ) -> anyhow::Result<Self> {
        let client = BasicClient::new(ClientId::new(settings.client_id.clone()))
            .set_client_secret(ClientSecret::new(
                settings.client_secret.expose_secret().to_owned(),
            ))
            .set_auth_uri(AuthUrl::new(format!(
                "{}/login/oauth/authorize",
                settings.web_url
            ))?)
            .set_token_uri(TokenUrl::new(format!(
                "{}/login/oauth/access_token",
                settings.web_url
            ))?)
            .set_redirect_uri(redirect);
        Ok(Self {
            client,
            api_url: settings.api_url.clone(),
            http,
        })
    }

    pub fn authorization_url(&self, flow: &FlowSecrets) -> Url {
        let state = flow.state.clone();
        self.client
            .authorize_url(move || CsrfToken::new(state))
            .add_scope(Scope::new("read:user".into()))
            .add_scope(Scope::new("user:email".into()))
            .set_pkce_challenge(PkceCodeChallenge::from_code_verifier_sha256(
                &PkceCodeVerifier::new(flow.pkce_verifier.clone()),
            ))
            .url()
            .0
    }

    /// Redeem `code`, then ask the API who it belongs to.
    pub async fn identify(
        &self,
        code: String,
        flow: &FlowSecrets,
    ) -> Result<ExternalIdentity, ProviderError> {
        let token = self
            .client
            .exchange_code(AuthorizationCode::new(code))
            .set_pkce_verifier(PkceCodeVerifier::new(flow.pkce_verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|err| match err {
                RequestTokenError::Request(err) => {
                    ProviderError::Unavailable(format!("token request: {err}"))
                }
                // GitHub answers a bad or used code with 200 and an error body, which does not
                // parse as a token.
                err => ProviderError::Rejected(format!("token request: {}", error_chain(&err))),
            })?;
        let access_token = token.access_token().secret();
        let user: GitHubUser = self.get(access_token, "/user").await?;
        // Without the `user:email` scope (an app that asked for less) this is a 404: the
        // public address is then all there is, unverified as far as we know.
        let (email, email_verified) = match self
            .get::<Vec<GitHubEmail>>(access_token, "/user/emails")
            .await
        {
            Ok(emails) => emails
                .into_iter()
                .find(|email| email.primary)
                .map_or((None, false), |email| (Some(email.email), email.verified)),
            Err(ProviderError::Rejected(reason)) => {
                tracing::warn!(reason, "GitHub did not list the user's addresses");
                (user.email.clone(), false)
            }
            Err(unavailable) => return Err(unavailable),
        };
        Ok(ExternalIdentity {
            subject: user.id.to_string(),
            email,
            email_verified,
            name: user
                .name
                .filter(|name| !name.trim().is_empty())
                .or(Some(user.login)),
        })
    }

    async fn get<T: DeserializeOwned>(
        &self,
        access_token: &str,
        path: &str,
    ) -> Result<T, ProviderError> {
        let request = Request::builder()
            .method(Method::GET)
            .uri(format!("{}{path}", self.api_url))
            .header(header::ACCEPT, "application/vnd.github+json")
            .header(header::AUTHORIZATION, format!("Bearer {access_token}"))
            .header("x-github-api-version", "2022-11-28")
            .body(Vec::new())
            .map_err(|err| ProviderError::Rejected(format!("GitHub API request: {err}")))?;
        let response = self
            .http
            .send(request)
            .await
            .map_err(|err| ProviderError::Unavailable(format!("GitHub {path}: {err}")))?;
        let status = response.status();
        if status.is_server_error() {
            return Err(ProviderError::Unavailable(format!(
                "GitHub {path}: HTTP {status}"
            )));
        }
        if !status.is_success() {
            return Err(ProviderError::Rejected(format!(
                "GitHub {path}: HTTP {status}"
            )));
        }
        serde_json::from_slice(response.body())
            .map_err(|err| ProviderError::Rejected(format!("GitHub {path}: {err}")))
    }
}
