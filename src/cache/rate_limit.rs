//! Fixed-window rate limits: a counter per policy and key (an IP, an account) that resets when
//! its window ends. In Redis when configured, so the limit holds across replicas; in process
//! otherwise, and whenever Redis fails. This module knows nothing of HTTP: a refusal is a
//! [`Limited`] value that the HTTP layer turns into its `429`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use moka::sync::Cache;

use crate::cache::redis::RedisStore;
use crate::config::policy::{MAX_WINDOW, Policy};

/// The outcome of a hit, with what the `RateLimit-*` headers report.
#[derive(Debug, Clone, Copy)]
pub struct Decision {
    pub allowed: bool,
    pub limit: u64,
    pub remaining: u64,
    /// Until the window resets.
    pub reset: Duration,
}

impl Decision {
    fn new(policy: &Policy, count: u64, reset: Duration) -> Self {
        Self {
            allowed: count <= policy.limit,
            limit: policy.limit,
            remaining: policy.limit.saturating_sub(count),
            reset,
        }
    }

    /// Whole seconds until the window resets, at least one (for `Retry-After`).
    pub fn reset_secs(&self) -> u64 {
        self.reset.as_millis().div_ceil(1000).max(1) as u64
    }
}

/// A hit refused: the HTTP layer answers it `429` with the headers.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("rate limited")]
pub struct Limited(pub Decision);

#[derive(Clone)]
pub struct RateLimiter {
    memory: Cache<String, Arc<Window>>,
    redis: Option<RedisStore>,
}

struct Window {
    ends: Instant,
    count: AtomicU64,
}

/// Keys tracked in process at once; the least recently used go first.
const MAX_WINDOWS: u64 = 200_000;

impl RateLimiter {
    pub(super) fn new(redis: Option<RedisStore>) -> Self {
        Self {
            memory: Cache::builder()
                .max_capacity(MAX_WINDOWS)
                .time_to_idle(MAX_WINDOW)
                .build(),
            redis,
        }
    }

    /// Count one hit against `key` and decide.
    pub async fn hit(&self, policy: &Policy, key: &str) -> Decision {
        let key = format!("rl:{}:{key}", policy.name);
        let counted = match &self.redis {
            Some(redis) => redis.hit(&key, policy.window).await,
            None => None,
        };
        let (count, reset) = counted.unwrap_or_else(|| self.memory_hit(policy, &key, 1));
        let decision = Decision::new(policy, count, reset);
        if !decision.allowed {
            metrics::counter!("neoforge_rate_limit_rejections_total", "policy" => policy.name)
                .increment(1);
        }
        decision
    }

    /// Count one hit against `key`; [`Limited`] once the limit is passed.
    pub async fn enforce(&self, policy: &Policy, key: &str) -> Result<Decision, Limited> {
        let decision = self.hit(policy, key).await;
        if decision.allowed {
            Ok(decision)
        } else {
            Err(Limited(decision))
        }
    }

    /// Decide as if hitting, without counting (to refuse before doing expensive work and
    /// count only what fails).
    pub async fn peek(&self, policy: &Policy, key: &str) -> Decision {
        let key = format!("rl:{}:{key}", policy.name);
        let counted = match &self.redis {
            Some(redis) => redis.peek(&key).await,
            None => None,
        };
        let (count, reset) = counted.unwrap_or_else(|| self.memory_hit(policy, &key, 0));
        // The next hit is the one being decided.
        let decision = Decision::new(policy, count + 1, reset);
        if !decision.allowed {
            metrics::counter!("neoforge_rate_limit_rejections_total", "policy" => policy.name)
                .increment(1);
        }
        decision
    }

    /// Forget the hits against `key` (after a successful login or a password reset).
    pub async fn reset(&self, policy: &Policy, key: &str) {
        let key = format!("rl:{}:{key}", policy.name);
        if let Some(redis) = &self.redis {
            redis.delete(&key).await;
        }
        self.memory.invalidate(&key);
    }

    fn memory_hit(&self, policy: &Policy, key: &str, hits: u64) -> (u64, Duration) {
        let now = Instant::now();
        let new_window = || {
            Arc::new(Window {
                ends: now + policy.window,
                count: AtomicU64::new(0),
            })
        };
        let mut window = self.memory.get_with_by_ref(key, new_window);
        if window.ends <= now {
            window = new_window();
            self.memory.insert(key.to_owned(), Arc::clone(&window));
        }
        let count = window.count.fetch_add(hits, Ordering::Relaxed) + hits;
        (count, window.ends.saturating_duration_since(now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: Policy = Policy {
        name: "test",
        limit: 3,
        window: Duration::from_millis(200),
    };

    #[tokio::test]
    async fn counts_hits_per_key_until_the_window_ends() {
        let limiter = RateLimiter::new(None);
        for remaining in [2, 1, 0] {
            let decision = limiter.hit(&POLICY, "a").await;
            assert!(decision.allowed);
            assert_eq!(decision.remaining, remaining);
        }
        assert!(!limiter.peek(&POLICY, "a").await.allowed);
        assert!(!limiter.hit(&POLICY, "a").await.allowed);
        assert!(limiter.hit(&POLICY, "b").await.allowed, "keys are separate");

        tokio::time::sleep(POLICY.window).await;
        assert!(limiter.hit(&POLICY, "a").await.allowed, "a new window");
    }

    #[tokio::test]
    async fn peek_does_not_count_and_reset_forgets() {
        let limiter = RateLimiter::new(None);
        for _ in 0..5 {
            assert!(limiter.peek(&POLICY, "a").await.allowed);
        }
        for _ in 0..3 {
            limiter.hit(&POLICY, "a").await;
        }
        assert!(!limiter.peek(&POLICY, "a").await.allowed);
        limiter.reset(&POLICY, "a").await;
        assert_eq!(limiter.peek(&POLICY, "a").await.remaining, 2);
    }
}
