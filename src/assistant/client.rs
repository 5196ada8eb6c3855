//! A client of the OpenAI chat-completions wire format (`POST {base}/chat/completions`), as
//! OpenAI, llama.cpp's `llama-server` and Ollama serve it. One plan is one call, tried again
//! on `429`, `5xx` and connection failures with exponential backoff and jitter (honouring
//! `Retry-After` up to a cap), all within one deadline. What comes back is only parsed into
//! the envelope here; its content is the caller's to validate.

use std::time::Duration;

use anyhow::Context;
use axum::http::{HeaderValue, Request, StatusCode, Uri, header};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::time::Instant;

use crate::assistant::retry::{CallError, LONGEST_RETRY_AFTER, backoff, retry_after};
use crate::config::AssistantSettings;

/// No answer of ours is anywhere near this; a larger one is not read to its end.
const MAX_ANSWER_BYTES: usize = 1024 * 1024;
/// Characters of an error answer kept for the log.
const LOGGED_ERROR_CHARS: usize = 300;

/// One chat-completions request: the two messages and the answer's required shape.
#[derive(Serialize)]
pub struct ChatRequest<'a> {
    pub model: &'a str,
    pub messages: [ChatMessage<'a>; 2],
    pub response_format: &'a Value,
}

#[derive(Serialize)]
pub struct ChatMessage<'a> {
    pub role: &'static str,
    pub content: &'a str,
}

/// What a successful call returned.
#[derive(Debug, Default)]
pub struct Completion {
    /// The first choice's message text; `None` when the model sent none (a refusal).
    pub content: Option<String>,
    pub usage: Option<Usage>,
}

#[derive(Debug, Default, Clone, Copy, Deserialize)]
pub struct Usage {
    #[serde(default)]
    pub prompt_tokens: u64,
    #[serde(default)]
    pub completion_tokens: u64,
}

#[derive(Deserialize)]
struct ChatResponse {
    choices: Vec<Choice>,
    usage: Option<Usage>,
}

#[derive(Deserialize)]
struct Choice {
    message: AnswerMessage,
}

#[derive(Deserialize)]
struct AnswerMessage {
    content: Option<String>,
}

#[derive(Clone)]
pub struct ChatClient {
    http: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    url: Uri,
    /// `Bearer <key>`, marked sensitive so no debug output shows it.
    authorization: Option<HeaderValue>,
    attempts: u32,
    timeout: Duration,
}

impl ChatClient {
    pub fn new(settings: &AssistantSettings) -> anyhow::Result<Self> {
        let url: Uri = format!("{}/chat/completions", settings.base_url)
            .parse()
            .context("NEOFORGE_LLM_BASE_URL is not a valid URL")?;
        let connector = crate::http::outbound::https_connector("the assistant")?;
        // Redirects are not followed (an API has no business sending one, and following
        // could carry the key elsewhere): a 3xx is a refusal.
        let http = Client::builder(TokioExecutor::new()).build(connector);
        let authorization = match &settings.api_key {
            Some(key) => {
                let mut value = HeaderValue::from_str(&format!("Bearer {}", key.expose_secret()))
                    .map_err(|_| {
                    anyhow::anyhow!("NEOFORGE_LLM_API_KEY holds characters a header cannot")
                })?;
                value.set_sensitive(true);
                Some(value)
            }
            None => None,
        };
        Ok(Self {
            http,
            url,
            authorization,
            attempts: settings.attempts,
            timeout: settings.timeout,
        })
    }

    /// Send `request`, trying again while that may help and time is left.
    pub async fn complete(&self, request: &ChatRequest<'_>) -> Result<Completion, CallError> {
        let body: Bytes = serde_json::to_vec(request)
            .map_err(|err| CallError::Malformed(format!("serialising the request: {err}")))?
            .into();
        let deadline = Instant::now() + self.timeout;
        let mut attempt = 1;
        loop {
            let outcome = tokio::time::timeout_at(deadline, self.attempt(&body)).await;
            let error = match outcome {
                Err(_) => return Err(CallError::Timeout),
                Ok(Ok(completion)) => return Ok(completion),
                Ok(Err(error)) => error,
            };
            if !error.retryable() || attempt >= self.attempts {
                return Err(error);
            }
            let asked = error.retry_after().unwrap_or_default();
            if asked > LONGEST_RETRY_AFTER {
                return Err(error);
            }
            let pause = backoff(attempt).max(asked);
            if Instant::now() + pause >= deadline {
                return Err(error);
            }
            tracing::debug!(attempt, ?pause, error = ?error, "the assistant's service failed; trying again");
            tokio::time::sleep(pause).await;
            attempt += 1;
        }
    }

    async fn attempt(&self, body: &Bytes) -> Result<Completion, CallError> {
        let mut request = Request::post(self.url.clone())
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ACCEPT, "application/json")
            .header(
                header::USER_AGENT,
                concat!("neoforge/", env!("CARGO_PKG_VERSION")),
            )
            .body(Full::new(body.clone()))
            .map_err(|err| CallError::Malformed(format!("building the request: {err}")))?;
        if let Some(authorization) = &self.authorization {
            request
                .headers_mut()
                .insert(header::AUTHORIZATION, authorization.clone());
        }
        let response = self
            .http
            .request(request)
            .await
            .map_err(|err| CallError::Unavailable {
                retry_after: None,
                cause: error_chain(&err),
            })?;
        let status = response.status();
        let retry_after = retry_after(response.headers());
        let body = read_capped(response.into_body()).await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            return Err(CallError::RateLimited { retry_after });
        }
        if status.is_server_error() {
            return Err(CallError::Unavailable {
                retry_after,
                cause: format!("HTTP {status}: {}", snippet(&body?)),
            });
        }
        if !status.is_success() {
            return Err(CallError::Refused {
                status,
                cause: snippet(&body.unwrap_or_default()),
            });
        }
        let answer: ChatResponse = serde_json::from_slice(&body?)
            .map_err(|err| CallError::Malformed(format!("not a chat completion: {err}")))?;
        let content = answer
            .choices
            .into_iter()
            .next()
            .ok_or_else(|| CallError::Malformed("no choices".to_owned()))?
            .message
            .content;
        Ok(Completion {
            content,
            usage: answer.usage,
        })
    }
}

/// The body, up to [`MAX_ANSWER_BYTES`]; a connection lost on the way is worth another try.
async fn read_capped(body: hyper::body::Incoming) -> Result<Bytes, CallError> {
    match Limited::new(body, MAX_ANSWER_BYTES).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(err) if err.is::<LengthLimitError>() => Err(CallError::Malformed(format!(
            "the answer is larger than {MAX_ANSWER_BYTES} bytes"
        ))),
        Err(err) => Err(CallError::Unavailable {
            retry_after: None,
            cause: format!("reading the answer: {}", error_chain(&*err)),
        }),
    }
}

/// An error with its causes, `: `-separated (hyper's own message alone says little).
fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The start of an error answer, for the log.
fn snippet(body: &[u8]) -> String {
    String::from_utf8_lossy(body)
        .chars()
        .take(LOGGED_ERROR_CHARS)
        .collect()
}
