//! The event bus: carries each published message, with a globally increasing id, to the hub
//! of every replica (the publisher's own included). Which bus runs follows from the
//! configuration: Redis pub/sub when `REDIS_URL` is set, PostgreSQL `LISTEN`/`NOTIFY` on
//! PostgreSQL without Redis, in process otherwise (one replica).

mod memory;
mod postgres;
mod redis;

use std::sync::Arc;
use std::time::Duration;

use crate::config::{DatabaseSettings, Settings};
use crate::db::Db;
use crate::events::{BusMessage, Hub};
use crate::observability::metrics::EVENTS_BUS_UP;

/// Reconnection back-off of the bus listeners.
const RECONNECT_MIN: Duration = Duration::from_millis(100);
const RECONNECT_MAX: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub enum Bus {
    Memory(memory::MemoryBus),
    Redis(redis::RedisBus),
    Postgres(postgres::PostgresBus),
}

impl Bus {
    /// Connect the bus and start listening; returns once the listener is subscribed, so a
    /// message published after this is seen.
    pub async fn start(settings: &Settings, db: &Db, hub: Arc<Hub>) -> anyhow::Result<Self> {
        metrics::gauge!(EVENTS_BUS_UP).set(1.0);
        if let Some(redis) = &settings.redis {
            return Ok(Self::Redis(redis::RedisBus::start(redis, hub).await?));
        }
        if let DatabaseSettings::Postgres { url } = &settings.database {
            return Ok(Self::Postgres(
                postgres::PostgresBus::start(url, db.clone(), hub).await?,
            ));
        }
        Ok(Self::Memory(memory::MemoryBus::new(hub)))
    }

    pub async fn publish(&self, message: BusMessage) -> anyhow::Result<()> {
        match self {
            Self::Memory(bus) => {
                bus.publish(message);
                Ok(())
            }
            Self::Redis(bus) => bus.publish(&serde_json::to_string(&message)?).await,
            Self::Postgres(bus) => bus.publish(serde_json::to_string(&message)?),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Self::Memory(_) => "memory",
            Self::Redis(_) => "redis",
            Self::Postgres(_) => "postgres",
        }
    }
}

/// Hand one `<id> <json>` message from the bus to the hub; a malformed one is logged and
/// dropped (another version of the app may be talking on the same channel).
fn receive(hub: &Hub, raw: &str) {
    let parsed = raw.split_once(' ').and_then(|(id, json)| {
        let id = id.parse::<u64>().ok()?;
        let message = serde_json::from_str::<BusMessage>(json).ok()?;
        Some((id, message))
    });
    match parsed {
        Some((id, message)) => hub.deliver(id, message),
        None => tracing::warn!(
            length = raw.len(),
            "ignored a malformed message on the event bus"
        ),
    }
}

/// The next wait before reconnecting: doubling, capped, with up to a fifth of jitter.
fn backoff(previous: Duration) -> Duration {
    let next = (previous * 2).clamp(RECONNECT_MIN, RECONNECT_MAX);
    next.mul_f64(1.0 - rand::random::<f64>() * 0.2)
}

/// Note the bus going down or coming back, once per change.
fn set_up(up: bool) {
    metrics::gauge!(EVENTS_BUS_UP).set(if up { 1.0 } else { 0.0 });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_with_jitter() {
        let mut wait = Duration::ZERO;
        for _ in 0..20 {
            let next = backoff(wait);
            assert!(next >= RECONNECT_MIN.mul_f64(0.8) && next <= RECONNECT_MAX);
            assert!(next >= wait.min(RECONNECT_MAX.mul_f64(0.8)).mul_f64(0.8));
            wait = next;
        }
        assert!(wait >= RECONNECT_MAX.mul_f64(0.8));
    }
}
