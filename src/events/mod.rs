//! Realtime: each user's todo changes, streamed to their open tabs and devices as
//! Server-Sent Events (`GET /api/events`).
//!
//! A change is published on the event bus after its transaction commits; the bus delivers it
//! to every replica (itself included), whose [`hub::Hub`] keeps it for replay and hands it to
//! the user's streams. The bus is in process by default, Redis pub/sub when `REDIS_URL` is
//! set, and PostgreSQL `LISTEN`/`NOTIFY` on PostgreSQL without Redis. Nothing outside this
//! module knows which one runs.

mod bus;
pub mod hub;
pub mod replay;
pub mod routes;
mod stream;
mod ticket;

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::config::Settings;
use crate::db::Db;
use crate::observability::metrics::EVENTS_PUBLISHED;

pub use crate::config::{EventSettings, ReplayLimits};
pub use bus::Bus;
pub use hub::Hub;

/// What a todo change did; the SSE event name is `todo.<kind>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Created,
    Updated,
    Deleted,
}

impl ChangeKind {
    pub fn event_name(self) -> &'static str {
        match self {
            Self::Created => "todo.created",
            Self::Updated => "todo.updated",
            Self::Deleted => "todo.deleted",
        }
    }
}

/// A message on the bus, as JSON after its id: `<id> <json>`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BusMessage {
    /// A change of one user's todo; `data` is the event's JSON.
    Change {
        user_id: Uuid,
        kind: ChangeKind,
        data: String,
    },
    /// These sessions ended: their streams close, on every replica.
    SessionsEnded { session_ids: Vec<Uuid> },
}

/// The realtime service: publish changes, open streams. Cheap to clone.
#[derive(Clone)]
pub struct Events {
    hub: Arc<Hub>,
    bus: Bus,
    settings: EventSettings,
}

impl Events {
    /// Start the bus these settings call for, and its listener.
    pub async fn start(settings: &Settings, db: &Db) -> anyhow::Result<Self> {
        let events = settings.events;
        let hub = Arc::new(Hub::new(events.replay));
        let bus = Bus::start(settings, db, Arc::clone(&hub)).await?;
        tokio::spawn(sweep(Arc::downgrade(&hub)));
        Ok(Self {
            hub,
            bus,
            settings: events,
        })
    }

    /// Tell the user's streams, on every replica, about a committed change. The change is
    /// already durable, so a bus failure is logged and counted, never returned: the streams
    /// get `resync` when the bus is back.
    pub async fn changed(&self, user_id: Uuid, kind: ChangeKind, data: &impl Serialize) {
        let data = match serde_json::to_string(data) {
            Ok(data) => data,
            Err(err) => {
                tracing::error!(error = %err, "could not serialise a realtime event");
                return;
            }
        };
        self.publish(BusMessage::Change {
            user_id,
            kind,
            data,
        })
        .await;
    }

    /// End the streams of these sessions, on every replica; call once their end committed.
    pub async fn sessions_ended(&self, session_ids: &[Uuid]) {
        if !session_ids.is_empty() {
            self.publish(BusMessage::SessionsEnded {
                session_ids: session_ids.to_vec(),
            })
            .await;
        }
    }

    async fn publish(&self, message: BusMessage) {
        let outcome = match self.bus.publish(message).await {
            Ok(()) => "ok",
            Err(err) => {
                tracing::warn!(error = %err, bus = self.bus.name(), "could not publish a realtime event");
                "failed"
            }
        };
        metrics::counter!(EVENTS_PUBLISHED, "outcome" => outcome).increment(1);
    }

    pub fn hub(&self) -> &Arc<Hub> {
        &self.hub
    }

    pub fn settings(&self) -> &EventSettings {
        &self.settings
    }

    /// The bus's name for `/ready` and logs: `memory`, `redis` or `postgres`.
    pub fn bus_name(&self) -> &'static str {
        self.bus.name()
    }

    /// End every stream, so that a graceful shutdown does not wait for them.
    pub fn close(&self) {
        self.hub.close();
    }
}

/// Free idle replay buffers every minute, for as long as the hub exists.
async fn sweep(hub: std::sync::Weak<Hub>) {
    let mut every_minute = tokio::time::interval(Duration::from_secs(60));
    loop {
        every_minute.tick().await;
        match hub.upgrade() {
            Some(hub) => hub.sweep(),
            None => return,
        }
    }
}
