//! Cache-aside for each user's todo counts: `GET /api/todos/stats` and the `total` of every
//! list page. Counting is the one todo read whose cost grows with the user's todos (a user
//! with 100,000 todos reads 100,000 index entries per count, see the README's benchmarks);
//! a page walks an index and reads only its own rows, so pages are not cached.
//!
//! Every entry of a user lives under the user's current generation, a random value at
//! `todos:<user>:generation`; the counts are at `todos:<user>:<generation>:counts`. Every
//! todo write replaces the generation after it commits and before it answers, so the writer's
//! next read, through any replica that shares the cache, misses and counts afresh, and the old
//! entries are never read again. A read that raced a write stored its value under the
//! generation it started with, which the write has already replaced. Generations are random,
//! not counters, so an evicted generation cannot come back and revive old entries.

use std::time::Duration;

use uuid::Uuid;

use crate::db::DbError;
use crate::state::AppState;
use crate::todos::model::TodoStats;
use crate::todos::repo;

/// Outlives the entries under it, so a generation is rarely started twice; being replaced on
/// every write, it expires only for users who stop writing.
const GENERATION_TTL: Duration = Duration::from_secs(24 * 60 * 60);

fn generation_key(user_id: Uuid) -> String {
    format!("todos:{user_id}:generation")
}

fn new_generation() -> String {
    Uuid::new_v4().simple().to_string()
}

/// The user's current generation; starts one when the cache holds none.
async fn generation(state: &AppState, user_id: Uuid) -> String {
    let key = generation_key(user_id);
    if let Some(generation) = state.cache.get("todo_generation", &key).await {
        return generation;
    }
    // Should a concurrent read start one first, ours is never stored and entries made under
    // it are never found: a wasted miss, never a stale hit.
    let fresh = new_generation();
    state.cache.add(&key, &fresh, GENERATION_TTL).await;
    fresh
}

/// Make every replica forget the user's cached todo reads. Call after the write commits and
/// before answering it, so the writer's own next read sees the change.
pub async fn invalidate(state: &AppState, user_id: Uuid) {
    state
        .cache
        .set(&generation_key(user_id), &new_generation(), GENERATION_TTL)
        .await;
}

/// The user's todo counts, from the cache when it holds them.
pub async fn counts(state: &AppState, user_id: Uuid) -> Result<TodoStats, DbError> {
    let settings = state.settings.todo_cache;
    if !settings.enabled {
        return repo::stats(&mut state.db.read().await?, user_id).await;
    }
    let key = format!(
        "todos:{user_id}:{}:counts",
        generation(state, user_id).await
    );
    let cached = state.cache.get("todo_counts", &key).await;
    if let Some(stats) = cached.as_deref().and_then(decode) {
        return Ok(stats);
    }
    let stats = repo::stats(&mut state.db.read().await?, user_id).await?;
    state
        .cache
        .set(&key, &encode(&stats), settings.counts_ttl)
        .await;
    Ok(stats)
}

fn encode(stats: &TodoStats) -> String {
    format!("{} {}", stats.total, stats.completed)
}

fn decode(value: &str) -> Option<TodoStats> {
    let (total, completed) = value.split_once(' ')?;
    let (total, completed): (i64, i64) = (total.parse().ok()?, completed.parse().ok()?);
    Some(TodoStats {
        total,
        active: total - completed,
        completed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_survive_the_round_trip_and_garbage_is_a_miss() {
        let stats = TodoStats {
            total: 100_000,
            active: 66_667,
            completed: 33_333,
        };
        let decoded = decode(&encode(&stats)).unwrap();
        assert_eq!(
            (decoded.total, decoded.active, decoded.completed),
            (100_000, 66_667, 33_333)
        );
        for garbage in ["", "12", "a b", "1 2 3"] {
            assert!(decode(garbage).is_none(), "{garbage:?}");
        }
    }
}
