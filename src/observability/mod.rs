//! The process-wide metrics recorder and the catalogue of every metric family. A leaf: it
//! imports nothing from the rest of the crate, so the storage, cache and job layers can emit
//! metrics without knowing the HTTP layer, which serves them (`http::metrics`, and
//! `http::worker` for a `neoforge worker` process) and measures each request
//! (`http::requests`).

pub mod metrics;
