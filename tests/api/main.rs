//! The HTTP API, tested black-box against the real application. Runs on SQLite by default
//! and on PostgreSQL when `NEOFORGE_TEST_DATABASE_URL` is set.

mod account;
mod admin;
mod api_contract;
mod api_keys;
mod assistant;
mod attacks;
mod auth;
mod backup;
mod brute_force;
mod connect_retry;
mod conventions;
mod db_outage;
mod docs;
mod events;
mod health;
mod helpers;
mod idempotency;
mod jobs;
mod layers;
mod logging;
mod mcp;
mod metrics;
mod passkeys;
mod postgres_tls;
mod process;
mod providers;
mod rate_limits;
mod reauth;
mod recovery;
mod redis_tls;
mod sessions;
mod slow_clients;
mod support;
mod todo_cache;
mod todos;
#[cfg(feature = "otel")]
mod traces;
mod two_factor;
mod users;
mod worker;
