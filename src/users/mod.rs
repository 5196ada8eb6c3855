//! User accounts: storage and the current-user routes.

pub mod device;
pub mod model;
pub mod repo;
pub mod requests;
pub mod routes;
pub mod sessions;
