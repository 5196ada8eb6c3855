//! Accounts and sign-in: registration, login, access tokens and the authenticated-user
//! extractor every protected route uses.

pub mod extract;
pub mod model;
pub mod password;
pub mod repo;
pub mod routes;
pub mod token;

pub use extract::CurrentUser;
