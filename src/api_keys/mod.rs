//! Personal API keys: a program (a script, an AI agent through `/mcp`) acting for its user
//! within the key's scopes. The secret is shown once and only its hash is stored; a key is
//! checked through the shared cache like a session, so revoking it takes effect at once on
//! every replica.

pub mod grant;
pub mod model;
pub mod repo;
pub mod routes;

pub use grant::KeyGrant;
pub use model::{Scope, Scopes};
