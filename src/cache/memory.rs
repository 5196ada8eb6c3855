//! The in-process cache: moka, with a time-to-live carried by each entry.

use std::time::{Duration, Instant};

use moka::Expiry;
use moka::sync::Cache;

/// Enough for every live session of a busy single server; least recently used go first.
const MAX_ENTRIES: u64 = 100_000;

#[derive(Clone)]
pub struct MemoryCache {
    entries: Cache<String, Entry>,
}

#[derive(Clone)]
struct Entry {
    value: String,
    ttl: Duration,
}

struct EntryTtl;

impl Expiry<String, Entry> for EntryTtl {
    fn expire_after_create(&self, _: &String, entry: &Entry, _: Instant) -> Option<Duration> {
        Some(entry.ttl)
    }

    fn expire_after_update(
        &self,
        _: &String,
        entry: &Entry,
        _: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        Some(entry.ttl)
    }
}

impl MemoryCache {
    pub fn new() -> Self {
        Self {
            entries: Cache::builder()
                .max_capacity(MAX_ENTRIES)
                .expire_after(EntryTtl)
                .build(),
        }
    }

    pub fn get(&self, key: &str) -> Option<String> {
        self.entries.get(key).map(|entry| entry.value)
    }

    pub fn set(&self, key: &str, value: &str, ttl: Duration) {
        self.entries.insert(key.to_owned(), entry(value, ttl));
    }

    pub fn take(&self, key: &str) -> Option<String> {
        self.entries.remove(key).map(|entry| entry.value)
    }

    pub fn add(&self, key: &str, value: &str, ttl: Duration) {
        self.entries
            .entry(key.to_owned())
            .or_insert_with(|| entry(value, ttl));
    }
}

fn entry(value: &str, ttl: Duration) -> Entry {
    Entry {
        value: value.to_owned(),
        ttl,
    }
}
