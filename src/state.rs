//! The application state shared by every handler: cheap to clone, built once at start-up.

use std::sync::Arc;

use crate::assistant::Assistant;
use crate::auth::password::PasswordHasher;
use crate::auth::providers::Providers;
use crate::auth::token::TokenKeys;
use crate::cache::{Cache, RateLimiter};
use crate::config::Settings;
use crate::db::Db;
use crate::events::Events;
use crate::jobs::JobQueue;
use crate::passkeys::RelyingParty;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub settings: Arc<Settings>,
    pub tokens: Arc<TokenKeys>,
    pub passwords: PasswordHasher,
    pub cache: Cache,
    pub limiter: RateLimiter,
    pub jobs: JobQueue,
    pub events: Events,
    /// `None`: passkeys are off (the public URL's host is not a domain name).
    pub passkeys: Option<RelyingParty>,
    /// `None`: the assistant is off (`NEOFORGE_LLM_BASE_URL` unset).
    pub assistant: Option<Assistant>,
    /// Other identity providers to sign in with; none unless configured.
    pub providers: Providers,
}
