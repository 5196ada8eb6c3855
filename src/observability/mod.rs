//! Metrics and request observation: the Prometheus recorder with the catalogue of every metric
//! family, the `/metrics` endpoint, and the middleware that measures and logs each request.

pub mod metrics;
pub mod requests;
