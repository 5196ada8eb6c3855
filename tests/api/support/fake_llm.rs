//! A stand-in for an OpenAI-compatible service: `POST /v1/chat/completions` on 127.0.0.1:0,
//! answering a script of replies recorded from the real wire format (the last one repeats)
//! and keeping every request it received, so a test can check what the model was sent.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

/// One scripted reply.
#[derive(Clone)]
pub enum Reply {
    /// `200` with a chat completion whose message content is this text.
    Content(String),
    /// `200` with this body, as it is.
    Raw(&'static str),
    /// This status with a `Retry-After` (seconds) and an OpenAI-style error body.
    Error(u16, Option<&'static str>),
    /// The reply after this long.
    Slow(Duration, Box<Reply>),
}

/// A request the service received.
pub struct Received {
    pub authorization: Option<String>,
    pub body: Value,
}

#[derive(Clone)]
struct Script {
    replies: Arc<Mutex<VecDeque<Reply>>>,
    received: Arc<Mutex<Vec<Received>>>,
}

pub struct FakeLlm {
    /// The base URL to configure, up to `/v1`.
    pub base_url: String,
    script: Script,
}

/// A completion as OpenAI sends it, with the usage the metrics count.
pub fn completion(content: &str) -> Value {
    json!({
        "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
        "object": "chat.completion",
        "created": 1_741_569_952,
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content, "refusal": null, "annotations": []},
            "logprobs": null,
            "finish_reason": "stop"
        }],
        "usage": {
            "prompt_tokens": 1117,
            "completion_tokens": 46,
            "total_tokens": 1163,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0}
        },
        "service_tier": "default",
        "system_fingerprint": "fp_06737a9306"
    })
}

/// The content of a plan answer with these titles.
pub fn plan(titles: &[&str]) -> String {
    let todos: Vec<Value> = titles.iter().map(|title| json!({"title": title})).collect();
    json!({ "todos": todos }).to_string()
}

impl FakeLlm {
    pub async fn start(replies: Vec<Reply>) -> Self {
        assert!(!replies.is_empty(), "script at least one reply");
        let script = Script {
            replies: Arc::new(Mutex::new(replies.into())),
            received: Arc::default(),
        };
        let app = Router::new()
            .route("/v1/chat/completions", post(answer))
            .with_state(script.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}/v1", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { base_url, script }
    }

    /// How many requests arrived so far.
    pub fn calls(&self) -> usize {
        self.script.received.lock().unwrap().len()
    }

    /// The requests received so far, oldest first.
    pub fn received(&self) -> Vec<Received> {
        std::mem::take(&mut *self.script.received.lock().unwrap())
    }
}

async fn answer(State(script): State<Script>, headers: HeaderMap, body: Bytes) -> Response {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .map(|value| value.to_str().unwrap().to_owned());
    let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
    script.received.lock().unwrap().push(Received {
        authorization,
        body,
    });
    let reply = {
        let mut replies = script.replies.lock().unwrap();
        if replies.len() > 1 {
            replies.pop_front().unwrap()
        } else {
            replies[0].clone()
        }
    };
    respond(reply).await
}

async fn respond(mut reply: Reply) -> Response {
    while let Reply::Slow(delay, next) = reply {
        tokio::time::sleep(delay).await;
        reply = *next;
    }
    match reply {
        Reply::Content(content) => axum::Json(completion(&content)).into_response(),
        Reply::Raw(body) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Reply::Error(status, retry_after) => {
            let (message, code) = match status {
                429 => (
                    "Rate limit reached for gpt-4o-mini on requests per min (RPM): Limit 3, Used 3, Requested 1.",
                    "rate_limit_exceeded",
                ),
                401 => (
                    "Incorrect API key provided: sk-test-***-key. You can find your API key in your account settings.",
                    "invalid_api_key",
                ),
                _ => (
                    "The server had an error while processing your request. Sorry about that!",
                    "server_error",
                ),
            };
            let status = StatusCode::from_u16(status).unwrap();
            let error =
                json!({"error": {"message": message, "type": code, "param": null, "code": code}});
            let mut response = (status, axum::Json(error)).into_response();
            if let Some(seconds) = retry_after {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, seconds.parse().unwrap());
            }
            response
        }
        Reply::Slow(..) => unreachable!("unwrapped above"),
    }
}
