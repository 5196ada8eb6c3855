//! The example resource: each user's todo list. Copy this folder to add a resource of your own.

pub mod cache;
pub mod model;
pub mod repo;
pub mod routes;
pub mod service;
