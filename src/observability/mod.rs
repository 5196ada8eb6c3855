//! Metrics and request observation: the Prometheus recorder with the catalogue of every metric
//! family, the `/metrics` endpoint, the middleware that measures and logs each request, and the
//! small listener through which a `neoforge worker` process reports.

pub mod metrics;
pub mod requests;
pub mod worker;
