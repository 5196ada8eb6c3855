//! Cross-cutting HTTP concerns: the middleware stack, request parsing helpers, conditional
//! responses, health probes, request metrics and `/metrics`, and the OpenAPI document.

pub mod client;
pub mod etag;
pub mod health;
pub mod json;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod outbound;
pub mod query;
pub mod rate_limit;
pub mod request_id;
pub mod requests;
pub mod responses;
pub mod server;
pub mod worker;
