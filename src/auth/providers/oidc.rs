//! An OpenID Connect provider: discovery, the authorization code flow with PKCE (S256), and
//! the ID token checked for its signature (the provider's published keys), issuer, audience,
//! expiry and nonce. The email comes from the ID token, or from userinfo when the token does
//! not carry it.
//!
//! Discovery is lazy and cached: a provider that is down when the server starts costs nothing
//! but a warning (the start-up tries it once in the background), and the first sign-in after
//! it is back discovers it. The document and keys are kept for an hour; an ID token signed by
//! a key not yet seen fetches them again at once (keys rotate), at most once a minute.

use std::sync::Arc;
use std::time::Duration;

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreClientAuthMethod, CoreIdTokenClaims,
    CoreJwsSigningAlgorithm, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::url::Url;
use openidconnect::{
    AuthType, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken,
    EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope,
    SignatureVerificationError, TokenResponse,
};
use secrecy::ExposeSecret;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::auth::providers::flow::FlowSecrets;
use crate::auth::providers::http::HttpClient;
use crate::auth::providers::{ExternalIdentity, ProviderError, error_chain};
use crate::config::providers::OidcSettings;

/// How long a discovered document (and its keys) is used before it is fetched again.
const FRESH_FOR: Duration = Duration::from_secs(60 * 60);
/// After a failed discovery, sign-ins fail at once for this long instead of each waiting on a
/// provider that is down.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(5);
/// An unknown signing key fetches the keys again only if they are older than this.
const REFETCH_KEYS_AFTER: Duration = Duration::from_secs(60);

/// A client made from a discovered document: the authorization endpoint is known, the token
/// and userinfo endpoints are as the document says.
type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

pub struct Oidc {
    issuer: IssuerUrl,
    client_id: ClientId,
    client_secret: ClientSecret,
    redirect: RedirectUrl,
    http: HttpClient,
    discovery: Mutex<Discovery>,
}

#[derive(Default)]
struct Discovery {
    current: Option<(Arc<CoreProviderMetadata>, Instant)>,
    failed_at: Option<Instant>,
}

impl Oidc {
    pub fn new(
        settings: &OidcSettings,
        redirect: RedirectUrl,
        http: HttpClient,
    ) -> anyhow::Result<Self> {
        let issuer = IssuerUrl::new(settings.issuer.clone()).map_err(|err| {
            anyhow::anyhow!("NEOFORGE_OIDC_{}_ISSUER: {err}", settings.id.to_uppercase())
        })?;
        Ok(Self {
            issuer,
            client_id: ClientId::new(settings.client_id.clone()),
            client_secret: ClientSecret::new(settings.client_secret.expose_secret().to_owned()),
            redirect,
            http,
            discovery: Mutex::default(),
        })
    }

    pub fn issuer(&self) -> &str {
        self.issuer.as_str()
    }

    /// The provider's document, discovered now if there is no fresh one (`refetch`: unless
    /// the one held is younger than [`REFETCH_KEYS_AFTER`]). A stale document is better than
    /// none while the provider is unreachable.
    async fn metadata(
        &self,
        refetch: bool,
    ) -> Result<(Arc<CoreProviderMetadata>, Instant), ProviderError> {
        let mut discovery = self.discovery.lock().await;
        if let Some((metadata, fetched)) = &discovery.current {
            let wanted_age = if refetch {
                REFETCH_KEYS_AFTER
            } else {
                FRESH_FOR
            };
            if fetched.elapsed() < wanted_age {
                return Ok((Arc::clone(metadata), *fetched));
            }
        }
        let recently_failed = discovery
            .failed_at
            .is_some_and(|failed| failed.elapsed() < RETRY_AFTER_FAILURE);
        if !recently_failed {
            match CoreProviderMetadata::discover_async(self.issuer.clone(), &self.http).await {
                Ok(metadata) => {
                    let fetched = Instant::now();
                    let metadata = Arc::new(metadata);
                    discovery.current = Some((Arc::clone(&metadata), fetched));
                    discovery.failed_at = None;
                    return Ok((metadata, fetched));
                }
                Err(err) => {
                    tracing::warn!(issuer = %self.issuer.as_str(), error = %error_chain(&err),
                        "OpenID Connect discovery failed");
                    discovery.failed_at = Some(Instant::now());
                }
            }
        }
        match &discovery.current {
            Some((metadata, fetched)) => Ok((Arc::clone(metadata), *fetched)),
            None => Err(ProviderError::Unavailable(
                "the provider's discovery document could not be fetched".into(),
            )),
        }
    }

    /// Discover the provider now, so that the first sign-in need not (start-up).
    pub async fn warm_up(&self) {
        let _ = self.metadata(false).await;
    }

    fn client(&self, metadata: &CoreProviderMetadata) -> Client {
        // client_secret_basic unless the provider only takes the secret in the body.
        let basic = metadata
            .token_endpoint_auth_methods_supported()
            .is_none_or(|methods| {
                methods.contains(&CoreClientAuthMethod::ClientSecretBasic)
                    || !methods.contains(&CoreClientAuthMethod::ClientSecretPost)
            });
        CoreClient::from_provider_metadata(
            metadata.clone(),
            self.client_id.clone(),
            Some(self.client_secret.clone()),
        )
        .set_redirect_uri(self.redirect.clone())
        .set_auth_type(if basic {
            AuthType::BasicAuth
        } else {
            AuthType::RequestBody
        })
    }

    /// Where to send the browser: the provider's authorization endpoint with this flow's
    /// `state`, `nonce` and PKCE challenge.
    pub async fn authorization_url(&self, flow: &FlowSecrets) -> Result<Url, ProviderError> {
        let (metadata, _) = self.metadata(false).await?;
        let client = self.client(&metadata);
        let state = flow.state.clone();
        let nonce = flow.nonce.clone();
        let mut request = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                move || CsrfToken::new(state),
                move || Nonce::new(nonce),
            )
            .set_pkce_challenge(PkceCodeChallenge::from_code_verifier_sha256(
                &PkceCodeVerifier::new(flow.pkce_verifier.clone()),
            ));
        for scope in ["email", "profile"] {
            let offered = metadata
                .scopes_supported()
                .is_none_or(|scopes| scopes.iter().any(|offered| offered.as_str() == scope));
            if offered {
                request = request.add_scope(Scope::new(scope.to_owned()));
            }
        }
        Ok(request.url().0)
    }

    /// Redeem `code` and check the ID token: who signed in.
    pub async fn identify(
        &self,
        code: String,
        flow: &FlowSecrets,
    ) -> Result<ExternalIdentity, ProviderError> {
        let (metadata, fetched) = self.metadata(false).await?;
        let client = self.client(&metadata);
        let token = client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|err| ProviderError::Rejected(format!("no token endpoint: {err}")))?
            .set_pkce_verifier(PkceCodeVerifier::new(flow.pkce_verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|err| match err {
                RequestTokenError::Request(err) => {
                    ProviderError::Unavailable(format!("token request: {err}"))
                }
                err => ProviderError::Rejected(format!("token request: {}", error_chain(&err))),
            })?;
        let id_token = token
            .id_token()
            .ok_or_else(|| ProviderError::Rejected("the token response has no ID token".into()))?;
        let nonce = Nonce::new(flow.nonce.clone());
        let verify = |metadata: &CoreProviderMetadata| -> Result<CoreIdTokenClaims, ClaimsVerificationError> {
            let client = self.client(metadata);
            let verifier = client.id_token_verifier().set_allowed_algs(
                metadata
                    .id_token_signing_alg_values_supported()
                    .iter()
                    .filter(|alg| **alg != CoreJwsSigningAlgorithm::None)
                    .cloned(),
            );
            id_token.claims(&verifier, &nonce).cloned()
        };
        let claims = match verify(&metadata) {
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) if fetched.elapsed() >= REFETCH_KEYS_AFTER => {
                let (metadata, _) = self.metadata(true).await?;
                verify(&metadata)
            }
            verified => verified,
        }
        .map_err(|err| ProviderError::Rejected(format!("ID token: {}", error_chain(&err))))?;

        let mut identity = ExternalIdentity {
            subject: claims.subject().as_str().to_owned(),
            email: claims.email().map(|email| email.as_str().to_owned()),
            email_verified: claims.email_verified() == Some(true),
            name: claims
                .name()
                .and_then(|name| name.get(None))
                .map(|name| name.as_str().to_owned()),
        };
        if identity.email.is_none() && metadata.userinfo_endpoint().is_some() {
            let info: CoreUserInfoClaims = client
                .user_info(token.access_token().clone(), Some(claims.subject().clone()))
                .map_err(|err| ProviderError::Rejected(format!("userinfo: {err}")))?
                .request_async(&self.http)
                .await
                .map_err(|err| match err {
                    openidconnect::UserInfoError::Request(err) => {
                        ProviderError::Unavailable(format!("userinfo: {err}"))
                    }
                    err => ProviderError::Rejected(format!("userinfo: {}", error_chain(&err))),
                })?;
            identity.email = info.email().map(|email| email.as_str().to_owned());
            identity.email_verified = info.email_verified() == Some(true);
            if identity.name.is_none() {
                identity.name = info
                    .name()
                    .and_then(|name| name.get(None))
                    .map(|name| name.as_str().to_owned());
            }
        }
        Ok(identity)
    }
}
