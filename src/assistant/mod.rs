//! The assistant: free text (notes, an email, a goal) turned into proposed todo titles by a
//! language model behind any OpenAI-compatible API (`NEOFORGE_LLM_*`). It only proposes:
//! nothing is stored, and the client creates the todos it keeps through `POST /api/todos`.
//! The model gets no tools and sees nothing but the caller's text, so whatever that text says,
//! the worst an answer can do is propose odd titles, which are validated like typed ones.

pub mod client;
pub mod model;
pub mod prompt;
pub mod retry;
pub mod routes;

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use tokio::time::Instant;

use crate::assistant::client::{ChatClient, ChatMessage, ChatRequest, Completion};
use crate::assistant::retry::CallError;
use crate::config::AssistantSettings;
use crate::error::ApiError;
use crate::observability::metrics::{ASSISTANT_DURATION, ASSISTANT_PLANS, ASSISTANT_TOKENS};
use crate::todos::model::TodoTitle;

/// Asked to wait this long when the service is unavailable and said nothing about when.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(5);

/// The configured assistant; `AppState` holds none when it is off.
#[derive(Clone)]
pub struct Assistant {
    pub settings: Arc<AssistantSettings>,
    client: ChatClient,
}

/// How a plan ended, as the metrics name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Malformed,
    Timeout,
    RateLimited,
    UpstreamError,
    Quota,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Malformed => "malformed",
            Self::Timeout => "timeout",
            Self::RateLimited => "rate_limited",
            Self::UpstreamError => "upstream_error",
            Self::Quota => "quota",
        }
    }

    pub fn record(self) {
        metrics::counter!(ASSISTANT_PLANS, "outcome" => self.as_str()).increment(1);
    }
}

impl Assistant {
    /// The assistant of these settings; `None` when it is off.
    pub fn from_settings(settings: Option<&AssistantSettings>) -> anyhow::Result<Option<Self>> {
        settings
            .map(|settings| {
                Ok(Self {
                    client: ChatClient::new(settings)?,
                    settings: Arc::new(settings.clone()),
                })
            })
            .transpose()
    }

    /// Ask the model for todos for `text`; what it proposes, validated. Every failure is a
    /// problem for the client (never the answer itself), and is logged and counted.
    pub async fn plan(&self, text: &str) -> Result<Vec<TodoTitle>, ApiError> {
        let user_message = prompt::user_message(text, self.settings.max_todos);
        let request = ChatRequest {
            model: &self.settings.model,
            messages: [
                ChatMessage {
                    role: "system",
                    content: &self.settings.system_prompt,
                },
                ChatMessage {
                    role: "user",
                    content: &user_message,
                },
            ],
            response_format: &prompt::RESPONSE_FORMAT,
        };
        let started = Instant::now();
        let result = self
            .client
            .complete(&request)
            .await
            .map_err(failure)
            .and_then(|completion| self.read(completion));
        let outcome = match &result {
            Ok(_) => Outcome::Ok,
            Err((outcome, _)) => *outcome,
        };
        outcome.record();
        metrics::histogram!(ASSISTANT_DURATION, "outcome" => outcome.as_str())
            .record(started.elapsed().as_secs_f64());
        result.map_err(|(_, error)| error)
    }

    fn read(&self, completion: Completion) -> Result<Vec<TodoTitle>, (Outcome, ApiError)> {
        if let Some(usage) = completion.usage {
            metrics::counter!(ASSISTANT_TOKENS, "kind" => "prompt").increment(usage.prompt_tokens);
            metrics::counter!(ASSISTANT_TOKENS, "kind" => "completion")
                .increment(usage.completion_tokens);
        }
        let content = completion.content.unwrap_or_default();
        prompt::read_plan(&content, self.settings.max_todos).map_err(|reason| {
            tracing::warn!(
                reason,
                answer_chars = content.chars().count(),
                "the assistant's answer could not be read"
            );
            (Outcome::Malformed, malformed())
        })
    }
}

fn malformed() -> ApiError {
    ApiError::Upstream {
        status: StatusCode::BAD_GATEWAY,
        detail: "The assistant's answer could not be read. Try again, perhaps worded differently.",
        retry_after: None,
    }
}

/// What the client is told of a failed call; the cause goes to the log.
fn failure(error: CallError) -> (Outcome, ApiError) {
    let retry_after = |asked: Option<Duration>| {
        let wait = asked.unwrap_or(DEFAULT_RETRY_AFTER);
        Some(wait.as_millis().div_ceil(1000).max(1) as u64)
    };
    match error {
        CallError::Timeout => {
            tracing::warn!("the assistant's service did not answer in time");
            (
                Outcome::Timeout,
                ApiError::Upstream {
                    status: StatusCode::GATEWAY_TIMEOUT,
                    detail: "The assistant did not answer in time. Try again, perhaps with a shorter text.",
                    retry_after: None,
                },
            )
        }
        CallError::RateLimited { retry_after: asked } => {
            tracing::warn!(?asked, "the assistant's service is rate limiting us");
            (
                Outcome::RateLimited,
                ApiError::Upstream {
                    status: StatusCode::SERVICE_UNAVAILABLE,
                    detail: "The assistant is busy at the moment. Try again shortly.",
                    retry_after: retry_after(asked),
                },
            )
        }
        CallError::Unavailable {
            retry_after: asked,
            cause,
        } => {
            tracing::warn!(cause, "the assistant's service is unavailable");
            (
                Outcome::UpstreamError,
                ApiError::Upstream {
                    status: StatusCode::SERVICE_UNAVAILABLE,
                    detail: "The assistant cannot be reached at the moment. Try again shortly.",
                    retry_after: retry_after(asked),
                },
            )
        }
        CallError::Refused { status, cause } => {
            // A wrong key or model name: the operator's to fix, so logged as an error.
            tracing::error!(%status, cause, "the assistant's service refused the request");
            (
                Outcome::UpstreamError,
                ApiError::Upstream {
                    status: StatusCode::BAD_GATEWAY,
                    detail: "The assistant's service refused the request.",
                    retry_after: None,
                },
            )
        }
        CallError::Malformed(reason) => {
            tracing::warn!(reason, "the assistant's answer could not be read");
            (Outcome::Malformed, malformed())
        }
    }
}
