//! PostgreSQL `LISTEN`/`NOTIFY`, for replicas that share a PostgreSQL database and no Redis.
//! A publisher numbers its messages from a sequence in the statement that notifies;
//! PostgreSQL delivers notifications to every listener in commit order.
//!
//! Publishing goes through one task per replica that sends whatever has queued up in one
//! statement: a `NOTIFY` makes its transaction write and flush a commit record, so a
//! statement per change would cost every todo write a second commit and a second pooled
//! connection. The queue also keeps this replica's messages in order.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use futures_util::StreamExt;
use secrecy::SecretString;
use tokio::sync::mpsc;
use tokio_postgres::{AsyncMessage, Client};

use crate::db::{self, Db};
use crate::events::Hub;
use crate::observability::metrics::EVENTS_PUBLISHED;
use crate::params;

/// Notifications are scoped to the database, so one channel name serves every deployment.
const CHANNEL: &str = "neoforge_events";
/// Any constant that no other advisory lock of ours uses ("neoevent").
const PUBLISH_LOCK_KEY: i64 = 0x6e65_6f65_7665_6e74;
/// Messages sent in one statement at most.
const MAX_BATCH: usize = 256;

#[derive(Clone)]
pub struct PostgresBus {
    queue: mpsc::UnboundedSender<String>,
}

/// A dedicated connection that listens, and the notifications it receives; the connection
/// closes when both are dropped.
struct Listener {
    client: Client,
    notifications: mpsc::UnboundedReceiver<String>,
}

impl PostgresBus {
    pub async fn start(url: &SecretString, db: Db, hub: Arc<Hub>) -> anyhow::Result<Self> {
        let listener = listen(url, &hub, false)
            .await
            .context("listening for realtime events in PostgreSQL")?;
        tokio::spawn(receive(url.clone(), Arc::downgrade(&hub), listener));
        let (queue, pending) = mpsc::unbounded_channel();
        tokio::spawn(send_batches(db, pending));
        Ok(Self { queue })
    }

    /// Queue a message; the publisher task sends it with whatever else is waiting.
    pub fn publish(&self, payload: String) -> anyhow::Result<()> {
        self.queue
            .send(payload)
            .map_err(|_| anyhow::anyhow!("the PostgreSQL event publisher has stopped"))
    }
}

/// Send queued messages, as many as are waiting in one statement, until the bus is dropped.
/// A failed statement loses its messages: the listeners' streams get `resync` when the bus
/// reconnects, and a failure that is not an outage is logged and counted.
async fn send_batches(db: Db, mut pending: mpsc::UnboundedReceiver<String>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while pending.recv_many(&mut batch, MAX_BATCH).await > 0 {
        if let Err(err) = notify(&db, &batch).await {
            tracing::warn!(error = %err, messages = batch.len(), "could not publish realtime events");
            metrics::counter!(EVENTS_PUBLISHED, "outcome" => "dropped")
                .increment(batch.len() as u64);
        }
        batch.clear();
    }
}

/// Number and notify a batch. The lock, held until commit, is where publishers on different
/// replicas queue, so notifications enter PostgreSQL's queue (commit order) in id order and
/// every stream sees ids increase.
async fn notify(db: &Db, batch: &[String]) -> anyhow::Result<()> {
    let payloads = serde_json::to_string(batch)?;
    let mut conn = db.write().await?;
    let mut tx = conn.begin().await?;
    tx.execute(
        "SELECT pg_advisory_xact_lock($1)",
        params![PUBLISH_LOCK_KEY],
    )
    .await?;
    tx.execute(
        "SELECT pg_notify($1, nextval('neoforge_event_seq')::text || ' ' || payload) \
         FROM json_array_elements_text($2::text::json) AS batch(payload)",
        params![CHANNEL, &payloads],
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Connect, `LISTEN`, and tell the hub where the ids stand (after telling it that messages
/// may have been missed, when `reconnecting`).
async fn listen(url: &SecretString, hub: &Hub, reconnecting: bool) -> anyhow::Result<Listener> {
    // Named, so an operator (or a test) can find it in `pg_stat_activity`.
    let (client, mut messages) = db::postgres::connect_dedicated(url, "neoforge-events").await?;
    let (sender, notifications) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(message) = messages.next().await {
            match message {
                Ok(AsyncMessage::Notification(notification)) => {
                    if sender.send(notification.payload().to_owned()).is_err() {
                        return;
                    }
                }
                Ok(_) => {}
                Err(err) => {
                    tracing::error!(error = %err, "lost the PostgreSQL realtime connection");
                    return;
                }
            }
        }
    });
    client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
    if reconnecting {
        hub.bus_reconnected();
    }
    let row = client
        .query_one(
            "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM neoforge_event_seq",
            &[],
        )
        .await?;
    hub.anchor(u64::try_from(row.get::<_, i64>(0)).unwrap_or(0));
    Ok(Listener {
        client,
        notifications,
    })
}

/// Receive until the connection drops, then reconnect with back-off for as long as the hub
/// exists; after a reconnect every stream is told to resync.
async fn receive(url: SecretString, hub: std::sync::Weak<Hub>, listener: Listener) {
    let mut listener = Some(listener);
    let mut wait = Duration::ZERO;
    loop {
        if let Some(Listener {
            client,
            mut notifications,
        }) = listener.take()
        {
            while let Some(payload) = notifications.recv().await {
                let Some(hub) = hub.upgrade() else { return };
                super::receive(&hub, &payload);
            }
            drop(client);
            super::set_up(false);
        }
        wait = super::backoff(wait);
        tokio::time::sleep(wait).await;
        let Some(live_hub) = hub.upgrade() else {
            return;
        };
        match listen(&url, &live_hub, true).await {
            Ok(restored) => {
                tracing::info!("PostgreSQL realtime connection restored");
                super::set_up(true);
                listener = Some(restored);
                wait = Duration::ZERO;
            }
            Err(err) => tracing::debug!(error = %err, "PostgreSQL realtime connection still down"),
        }
    }
}
