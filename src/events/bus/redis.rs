//! Redis pub/sub: every replica subscribes to one channel; a publisher numbers its message
//! from a shared counter and publishes it in one script, so ids follow delivery order.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use futures_util::StreamExt;
use redis::aio::{ConnectionManager, ConnectionManagerConfig, PubSub};

use crate::config::RedisSettings;
use crate::events::Hub;

const RESPONSE_TIMEOUT: Duration = Duration::from_millis(500);
const CONNECT_TIMEOUT: Duration = Duration::from_millis(1_000);

const PUBLISH_SCRIPT: &str = r"
local id = redis.call('INCR', KEYS[1])
redis.call('PUBLISH', KEYS[2], string.format('%d ', id) .. ARGV[1])
return id
";

#[derive(Clone)]
pub struct RedisBus {
    connection: ConnectionManager,
    script: Arc<redis::Script>,
    counter: Arc<str>,
    channel: Arc<str>,
    /// Whether the subscription is live. While it is not, publishing fails at once instead of
    /// waiting on Redis: the streams get `resync` when it is back anyway.
    subscribed: Arc<AtomicBool>,
}

impl RedisBus {
    pub async fn start(settings: &RedisSettings, hub: Arc<Hub>) -> anyhow::Result<Self> {
        let client = crate::cache::redis_client(settings)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_number_of_retries(1);
        let connection = client
            .get_connection_manager_with_config(config)
            .await
            .context("connecting to Redis for realtime events")?;
        let bus = Self {
            connection,
            script: Arc::new(redis::Script::new(PUBLISH_SCRIPT)),
            counter: format!("{}events:last-id", settings.key_prefix).into(),
            channel: format!("{}events", settings.key_prefix).into(),
            subscribed: Arc::new(AtomicBool::new(true)),
        };
        let subscription = bus
            .subscribe(&client)
            .await
            .context("subscribing to realtime events in Redis")?;
        bus.anchor(&hub)
            .await
            .context("reading the realtime event counter in Redis")?;
        tokio::spawn(bus.clone().listen(client, hub, subscription));
        Ok(bus)
    }

    pub async fn publish(&self, payload: &str) -> anyhow::Result<()> {
        if !self.subscribed.load(Ordering::Relaxed) {
            anyhow::bail!("the Redis event bus is reconnecting");
        }
        let mut connection = self.connection.clone();
        self.script
            .key(&*self.counter)
            .key(&*self.channel)
            .arg(payload)
            .invoke_async::<u64>(&mut connection)
            .await
            .context("publishing to Redis")?;
        Ok(())
    }

    async fn subscribe(&self, client: &redis::Client) -> redis::RedisResult<PubSub> {
        let mut pubsub = tokio::time::timeout(CONNECT_TIMEOUT, client.get_async_pubsub())
            .await
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))??;
        pubsub.subscribe(&*self.channel).await?;
        Ok(pubsub)
    }

    /// Tell the hub where the ids stand; call once subscribed, so every later message is
    /// received.
    async fn anchor(&self, hub: &Hub) -> redis::RedisResult<()> {
        let mut connection = self.connection.clone();
        let last_id: Option<u64> = redis::cmd("GET")
            .arg(&*self.counter)
            .query_async(&mut connection)
            .await?;
        hub.anchor(last_id.unwrap_or(0));
        Ok(())
    }

    /// Receive until the connection drops, then reconnect with back-off for as long as the
    /// hub exists; after a reconnect every stream is told to resync.
    async fn listen(self, client: redis::Client, hub: Arc<Hub>, subscription: PubSub) {
        let hub = Arc::downgrade(&hub);
        let mut subscription = Some(subscription);
        let mut wait = Duration::ZERO;
        loop {
            if let Some(pubsub) = subscription.take() {
                let mut messages = pubsub.into_on_message();
                while let Some(message) = messages.next().await {
                    let Some(hub) = hub.upgrade() else { return };
                    match message.get_payload::<String>() {
                        Ok(payload) => super::receive(&hub, &payload),
                        Err(err) => tracing::warn!(error = %err, "unreadable realtime message"),
                    }
                }
                tracing::error!("lost the Redis realtime subscription; reconnecting");
                self.subscribed.store(false, Ordering::Relaxed);
                super::set_up(false);
            }
            wait = super::backoff(wait);
            tokio::time::sleep(wait).await;
            let Some(live_hub) = hub.upgrade() else {
                return;
            };
            match self.subscribe(&client).await {
                Ok(pubsub) => {
                    live_hub.bus_reconnected();
                    // Without an anchor the hub vouches only for ids from the next message
                    // on: safe, merely more resyncs for clients resuming meanwhile.
                    if let Err(err) = self.anchor(&live_hub).await {
                        tracing::debug!(error = %err, "could not read the realtime event counter");
                    }
                    tracing::info!("Redis realtime subscription restored");
                    self.subscribed.store(true, Ordering::Relaxed);
                    super::set_up(true);
                    subscription = Some(pubsub);
                    wait = Duration::ZERO;
                }
                Err(err) => tracing::debug!(error = %err, "Redis realtime subscription still down"),
            }
        }
    }
}
