//! Redis, shared by every replica: one multiplexed connection that reconnects by itself.
//! Every call has a short time-out; a failure is logged, counted and answered as a miss.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use anyhow::Context;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use secrecy::ExposeSecret;

use crate::config::RedisSettings;
use crate::db::retry::{self, Failure};

/// Redis answers in well under a millisecond; a slower answer means trouble, and requests
/// must not wait for it.
const RESPONSE_TIMEOUT: Duration = Duration::from_millis(250);
const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);
/// After a failure, requests skip Redis this long instead of each waiting for a time-out.
const RETRY_AFTER: Duration = Duration::from_secs(1);

#[derive(Clone)]
pub struct RedisStore {
    connection: ConnectionManager,
    prefix: Arc<str>,
    /// Whether the last call succeeded; flips are logged once, not per request.
    up: Arc<AtomicBool>,
    /// When the last call failed, in milliseconds since `epoch`.
    failed_at: Arc<AtomicU64>,
    epoch: Instant,
}

/// A counter in a fixed window: `INCR`, and start the window's clock on the first hit.
const HIT_SCRIPT: &str = r"
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {count, ttl}
";

/// Hashed once: every rate-limited request runs it (`EVALSHA`, loaded again if Redis lost it).
static HIT: LazyLock<redis::Script> = LazyLock::new(|| redis::Script::new(HIT_SCRIPT));

impl RedisStore {
    /// Connect, waiting up to `settings.connect_timeout` for a Redis that is not up yet.
    pub async fn connect(settings: &RedisSettings) -> anyhow::Result<Self> {
        let client = client(settings)?;
        let server = client.get_connection_info().addr().to_string();
        let trusted = match &settings.ca_file {
            Some(path) => format!("the CA in {}", path.display()),
            None => "the built-in public root CAs (set NEOFORGE_REDIS_CA_FILE for a private CA)"
                .to_owned(),
        };
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(500));
        let connection = retry::connect("Redis", &server, settings.connect_timeout, || async {
            client
                .get_connection_manager_with_config(config.clone())
                .await
                .map_err(|err| failure(&err, &trusted))
        })
        .await?;
        metrics::gauge!("neoforge_cache_backend_up").set(1.0);
        Ok(Self {
            connection,
            prefix: settings.key_prefix.as_str().into(),
            up: Arc::new(AtomicBool::new(true)),
            failed_at: Arc::new(AtomicU64::new(0)),
            epoch: Instant::now(),
        })
    }

    /// Whether to skip Redis for now: it failed less than [`RETRY_AFTER`] ago.
    fn cooling_down(&self) -> bool {
        let now = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
        let retry_at = self.failed_at.load(Ordering::Relaxed) + RETRY_AFTER.as_millis() as u64;
        !self.up.load(Ordering::Relaxed) && now < retry_at
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    /// Note the outcome of a call; log and report changes of state only.
    fn observe<T>(&self, result: redis::RedisResult<T>) -> Option<T> {
        match result {
            Ok(value) => {
                if !self.up.swap(true, Ordering::Relaxed) {
                    tracing::info!("Redis answers again");
                    metrics::gauge!("neoforge_cache_backend_up").set(1.0);
                }
                Some(value)
            }
            Err(err) => {
                self.failed_at
                    .store(self.epoch.elapsed().as_millis() as u64, Ordering::Relaxed);
                if self.up.swap(false, Ordering::Relaxed) {
                    tracing::error!(error = %err, "Redis is failing: cache bypassed, rate limits in process");
                    metrics::gauge!("neoforge_cache_backend_up").set(0.0);
                }
                None
            }
        }
    }

    pub async fn get(&self, key: &str) -> Option<String> {
        if self.cooling_down() {
            return None;
        }
        let mut connection = self.connection.clone();
        let result = redis::cmd("GET")
            .arg(self.key(key))
            .query_async::<Option<String>>(&mut connection)
            .await;
        self.observe(result).flatten()
    }

    pub async fn take(&self, key: &str) -> Option<String> {
        if self.cooling_down() {
            return None;
        }
        let mut connection = self.connection.clone();
        let result = redis::cmd("GETDEL")
            .arg(self.key(key))
            .query_async::<Option<String>>(&mut connection)
            .await;
        self.observe(result).flatten()
    }

    pub async fn set(&self, key: &str, value: &str, ttl: Duration, only_if_absent: bool) {
        if self.cooling_down() {
            return;
        }
        let mut connection = self.connection.clone();
        let mut command = redis::cmd("SET");
        command
            .arg(self.key(key))
            .arg(value)
            .arg("PX")
            .arg(ttl.as_millis().max(1) as u64);
        if only_if_absent {
            command.arg("NX");
        }
        let result = command.query_async::<()>(&mut connection).await;
        self.observe(result);
    }

    /// Count a hit in the window `key`; `None` when Redis fails. Returns the count so far and
    /// the time left in the window.
    pub async fn hit(&self, key: &str, window: Duration) -> Option<(u64, Duration)> {
        if self.cooling_down() {
            return None;
        }
        let mut connection = self.connection.clone();
        let result = HIT
            .key(self.key(key))
            .arg(window.as_millis().max(1) as u64)
            .invoke_async::<(u64, i64)>(&mut connection)
            .await;
        self.observe(result)
            .map(|(count, ttl)| (count, Duration::from_millis(ttl.max(0) as u64)))
    }

    /// The count in the window `key` without adding to it.
    pub async fn peek(&self, key: &str) -> Option<(u64, Duration)> {
        if self.cooling_down() {
            return None;
        }
        let mut connection = self.connection.clone();
        let result = redis::pipe()
            .cmd("GET")
            .arg(self.key(key))
            .cmd("PTTL")
            .arg(self.key(key))
            .query_async::<(Option<u64>, i64)>(&mut connection)
            .await;
        self.observe(result)
            .map(|(count, ttl)| (count.unwrap_or(0), Duration::from_millis(ttl.max(0) as u64)))
    }

    pub async fn delete(&self, key: &str) {
        if self.cooling_down() {
            return;
        }
        let mut connection = self.connection.clone();
        let result = redis::cmd("DEL")
            .arg(self.key(key))
            .query_async::<()>(&mut connection)
            .await;
        self.observe(result);
    }

    pub async fn ping(&self) -> Result<(), String> {
        let mut connection = self.connection.clone();
        let result = redis::cmd("PING")
            .query_async::<String>(&mut connection)
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err) => Err(err.to_string()),
        }
    }
}

/// A client for `settings.url`, trusting `settings.ca_file` for `rediss://` when given.
pub fn client(settings: &RedisSettings) -> anyhow::Result<redis::Client> {
    // The redis crate builds its TLS settings from the process-wide rustls provider: make it
    // ring, the provider every other TLS client here uses, whatever else is compiled in.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let url = settings.url.expose_secret();
    let Some(path) = &settings.ca_file else {
        return redis::Client::open(url).context("REDIS_URL is not a valid Redis URL");
    };
    let root_cert = std::fs::read(path)
        .with_context(|| format!("reading NEOFORGE_REDIS_CA_FILE {}", path.display()))?;
    let certificates = redis::TlsCertificates {
        client_tls: None,
        root_cert: Some(root_cert),
    };
    redis::Client::build_with_tls(url, certificates).with_context(|| {
        format!(
            "REDIS_URL with the CA in {}: a rediss:// URL and a PEM file are needed",
            path.display()
        )
    })
}

/// Whether a failed connection is worth trying again: Redis not listening yet or loading its
/// data set, yes; a refused password or an untrusted certificate, no.
fn failure(error: &redis::RedisError, trusted: &str) -> Failure {
    if let Some(tls) = retry::find_cause::<rustls::Error>(error) {
        return Failure::fatal(retry::describe_tls(tls, trusted));
    }
    let loading = error.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::BusyLoading);
    let network = retry::find_cause::<std::io::Error>(error).is_some_and(retry::is_transient_io);
    if loading || network || error.is_timeout() || error.is_connection_refusal() {
        Failure::transient(retry::chain(error))
    } else {
        Failure::fatal(retry::chain(error))
    }
}
