//! NeoForge: a full-stack SaaS foundation. The binary is a thin shell around this library so
//! that tests can start the real application.

pub mod admin;
pub mod api_keys;
pub mod assistant;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod cache;
pub mod cli;
pub mod config;
pub mod db;
pub mod email;
pub mod error;
pub mod events;
pub mod http;
pub mod idempotency;
pub mod jobs;
pub mod mcp;
pub mod observability;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod time;
pub mod todos;
pub mod two_factor;
pub mod users;
pub mod web;

pub use startup::Application;
