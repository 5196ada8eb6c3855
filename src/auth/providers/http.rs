//! The HTTP client that talks to identity providers, for the `oauth2`/`openidconnect` crates
//! and GitHub's API: our rustls set-up, a deadline on every request, a cap on what is read,
//! and no redirects followed (a provider's endpoints answer directly; following redirects
//! would let a tampered document send the client anywhere).

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use axum::http::{HeaderValue, Request, Response, header};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use oauth2::{AsyncHttpClient, HttpRequest, HttpResponse};

use crate::auth::providers::error_chain;

/// A provider that has not answered by then is treated as down.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Discovery documents, key sets, tokens and profiles are a few KiB.
const MAX_ANSWER_BYTES: usize = 512 * 1024;

#[derive(Clone)]
pub struct HttpClient {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("{0}")]
    Transport(String),
    #[error("no answer within {}s", REQUEST_TIMEOUT.as_secs())]
    Timeout,
    #[error("the answer is larger than {MAX_ANSWER_BYTES} bytes")]
    TooLarge,
}

impl HttpClient {
    pub fn new() -> anyhow::Result<Self> {
        let connector = crate::http::outbound::https_connector("identity providers")?;
        Ok(Self {
            client: Client::builder(TokioExecutor::new()).build(connector),
        })
    }

    /// Send `request` and read the whole answer, whatever its status.
    pub async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let (parts, body) = request.into_parts();
        let mut request = Request::from_parts(parts, Full::new(Bytes::from(body)));
        request.headers_mut().insert(
            header::USER_AGENT,
            HeaderValue::from_static(concat!("neoforge/", env!("CARGO_PKG_VERSION"))),
        );
        let exchange = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|err| HttpError::Transport(error_chain(&err)))?;
            let (parts, body) = response.into_parts();
            let body = Limited::new(body, MAX_ANSWER_BYTES)
                .collect()
                .await
                .map_err(|err| {
                    if err.is::<http_body_util::LengthLimitError>() {
                        HttpError::TooLarge
                    } else {
                        HttpError::Transport(error_chain(&*err))
                    }
                })?
                .to_bytes();
            Ok(Response::from_parts(parts, body.to_vec()))
        };
        tokio::time::timeout(REQUEST_TIMEOUT, exchange)
            .await
            .map_err(|_| HttpError::Timeout)?
    }
}

impl<'c> AsyncHttpClient<'c> for HttpClient {
    type Error = HttpError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, HttpError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(self.send(request))
    }
}
