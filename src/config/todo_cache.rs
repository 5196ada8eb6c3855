//! Settings of the cache-aside for each user's todo counts (`NEOFORGE_CACHE_TODOS*`); the
//! cache itself is `todos::cache`.

use std::time::Duration;

use anyhow::bail;
use clap::Args;

const CACHE_TODOS_TTL_SECS: u64 = 60;

/// Cache-aside for the todo reads that grow with a user's todos.
#[derive(Args, Clone)]
pub struct CacheArgs {
    /// Cache each user's todo counts (`/api/todos/stats` and every list's `total`) in the
    /// cache (Redis when `REDIS_URL` is set); every todo write invalidates them. `off` counts
    /// in the database on every read.
    #[arg(
        long,
        global = true,
        env = "NEOFORGE_CACHE_TODOS",
        default_value = "on",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub cache_todos: bool,
    /// Seconds cached todo counts are kept at most; writes invalidate them sooner.
    #[arg(
        long,
        global = true,
        env = "NEOFORGE_CACHE_TODOS_TTL",
        default_value_t = CACHE_TODOS_TTL_SECS
    )]
    pub cache_todos_ttl: u64,
}

impl Default for CacheArgs {
    fn default() -> Self {
        Self {
            cache_todos: true,
            cache_todos_ttl: CACHE_TODOS_TTL_SECS,
        }
    }
}

impl TodoCacheSettings {
    pub fn new(args: &CacheArgs) -> anyhow::Result<Self> {
        if args.cache_todos_ttl == 0 {
            bail!(
                "NEOFORGE_CACHE_TODOS_TTL must be at least 1 second (NEOFORGE_CACHE_TODOS=off turns the cache off)"
            );
        }
        Ok(Self {
            enabled: args.cache_todos,
            counts_ttl: Duration::from_secs(args.cache_todos_ttl),
        })
    }
}

/// How the todo reads use the cache.
#[derive(Debug, Clone, Copy)]
pub struct TodoCacheSettings {
    /// Off: every count is read from the database (writes still invalidate, so replicas can
    /// be switched one at a time).
    pub enabled: bool,
    /// The longest cached counts are kept. Writes invalidate them at once; this bounds only
    /// what invalidation cannot reach: a write made while Redis was unreachable, a restore.
    pub counts_ttl: Duration,
}
