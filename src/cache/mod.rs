//! The shared cache and rate-limit counters: in process by default, in Redis when `REDIS_URL`
//! is set so every replica sees the same values. Nothing outside this module knows which
//! backend runs. When Redis fails the app keeps serving: cache reads miss, limits fall back
//! to in-process counters, and `/ready` and the metrics say so.

mod memory;
pub mod rate_limit;
mod redis;

use std::time::Duration;

use crate::config::Settings;

pub use crate::config::Policy;
pub use rate_limit::{Decision, Limited, RateLimiter};
/// A Redis client for `REDIS_URL`, with the TLS settings of the cache's own: for the other
/// users of the same Redis (the realtime bus).
pub use redis::client as redis_client;

/// A string cache with a time-to-live per entry.
#[derive(Clone)]
pub struct Cache {
    backend: Backend,
}

#[derive(Clone)]
enum Backend {
    Memory(memory::MemoryCache),
    Redis(redis::RedisStore),
}

impl Cache {
    /// The cache and rate limiter for these settings; connects to Redis when configured.
    pub async fn connect(settings: &Settings) -> anyhow::Result<(Self, RateLimiter)> {
        match &settings.redis {
            None => Ok((
                Self {
                    backend: Backend::Memory(memory::MemoryCache::new()),
                },
                RateLimiter::new(None),
            )),
            Some(redis_settings) => {
                let store = redis::RedisStore::connect(redis_settings).await?;
                Ok((
                    Self {
                        backend: Backend::Redis(store.clone()),
                    },
                    RateLimiter::new(Some(store)),
                ))
            }
        }
    }

    /// `cache` names the kind of entry in the hit/miss metrics.
    pub async fn get(&self, cache: &'static str, key: &str) -> Option<String> {
        let value = match &self.backend {
            Backend::Memory(memory) => memory.get(key),
            Backend::Redis(redis) => redis.get(key).await,
        };
        let result = if value.is_some() { "hit" } else { "miss" };
        metrics::counter!("neoforge_cache_requests_total", "cache" => cache, "result" => result)
            .increment(1);
        value
    }

    pub async fn set(&self, key: &str, value: &str, ttl: Duration) {
        match &self.backend {
            Backend::Memory(memory) => memory.set(key, value, ttl),
            Backend::Redis(redis) => redis.set(key, value, ttl, false).await,
        }
    }

    /// Store `value` only when the key holds nothing, so a value read before a concurrent
    /// change cannot overwrite the marker that change left.
    pub async fn add(&self, key: &str, value: &str, ttl: Duration) {
        match &self.backend {
            Backend::Memory(memory) => memory.add(key, value, ttl),
            Backend::Redis(redis) => redis.set(key, value, ttl, true).await,
        }
    }

    /// Remove and return the value: of two concurrent takers, only one gets it.
    pub async fn take(&self, cache: &'static str, key: &str) -> Option<String> {
        let value = match &self.backend {
            Backend::Memory(memory) => memory.take(key),
            Backend::Redis(redis) => redis.take(key).await,
        };
        let result = if value.is_some() { "hit" } else { "miss" };
        metrics::counter!("neoforge_cache_requests_total", "cache" => cache, "result" => result)
            .increment(1);
        value
    }

    /// Whether the backing service answers (`Ok` in process).
    pub async fn ping(&self) -> Result<(), String> {
        match &self.backend {
            Backend::Memory(_) => Ok(()),
            Backend::Redis(redis) => redis.ping().await,
        }
    }

    /// The backend's name for `/ready`: `memory` or `redis`.
    pub fn backend_name(&self) -> &'static str {
        match &self.backend {
            Backend::Memory(_) => "memory",
            Backend::Redis(_) => "redis",
        }
    }
}
