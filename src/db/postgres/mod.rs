//! PostgreSQL connections through `tokio-postgres`, encrypted by rustls as `sslmode` asks,
//! pooled by `deadpool-postgres`.

mod config;
mod tls;

use std::io;
use std::task::Poll;
use std::time::Instant;

use anyhow::Context;
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, PoolError, RecyclingMethod};
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use secrecy::{ExposeSecret, SecretString};
use tokio_postgres::error::SqlState;
use tokio_postgres::{AsyncMessage, Client};

pub use config::{PgConfig, SslMode};

use crate::db::retry::{self, Failure};
use crate::db::{ACQUIRE_TIMEOUT, DbError, record_wait};

const POOL_SIZE: usize = 16;

/// What a dedicated connection receives besides query results: `LISTEN` notifications and
/// server notices. Polling this stream is what drives the connection: the [`Client`] it came
/// with makes no progress while nobody polls it. It ends when the connection closes, right
/// after yielding the error if the connection failed.
pub type Messages = BoxStream<'static, Result<AsyncMessage, tokio_postgres::Error>>;

/// Open one connection outside the pool, with the same TLS handling as the pool, for work
/// that needs a session of its own, such as `LISTEN`. Poll the returned [`Messages`]
/// continuously (e.g. in a task of its own) for as long as the client is used.
///
/// Tried once: by the time anything needs such a connection, start-up has already waited for
/// the server. The error names the server, never the password. `application_name` is what
/// `pg_stat_activity` shows for it (the URL's own, if it sets one, is replaced).
pub async fn connect_dedicated(
    url: &SecretString,
    application_name: &str,
) -> anyhow::Result<(Client, Messages)> {
    let mut config = PgConfig::parse(url.expose_secret())?;
    config.config.application_name(application_name);
    connect(&config).await.map_err(|failure| {
        anyhow::anyhow!(
            "could not connect to PostgreSQL at {}: {}",
            config.server(),
            failure.cause
        )
    })
}

/// One connection with `config`, as [`connect_dedicated`] describes.
pub(crate) async fn connect(config: &PgConfig) -> Result<(Client, Messages), Failure> {
    let tls = tls::connector(config).map_err(|err| Failure::fatal(format!("{err:#}")))?;
    let (client, mut connection) = config
        .config
        .connect(tls)
        .await
        .map_err(|err| failure(&err, config))?;
    // tokio-postgres keeps answering with the same error once a connection has failed: end
    // the stream there, so a caller's `while let Some(..)` loop ends too.
    let mut ended = false;
    let messages = futures_util::stream::poll_fn(move |cx| {
        if ended {
            return Poll::Ready(None);
        }
        let polled = connection.poll_message(cx);
        ended = matches!(polled, Poll::Ready(None | Some(Err(_))));
        polled
    })
    .boxed();
    Ok((client, messages))
}

/// One connection whose messages are drained by a task of its own: for plain queries.
pub(crate) async fn connect_driven(config: &PgConfig) -> anyhow::Result<Client> {
    let (client, mut messages) = connect(config).await.map_err(|failure| {
        anyhow::anyhow!(
            "could not connect to PostgreSQL at {}: {}",
            config.server(),
            failure.cause
        )
    })?;
    tokio::spawn(async move {
        while let Some(message) = messages.next().await {
            if let Err(err) = message {
                tracing::warn!(error = %err, "a PostgreSQL connection ended with an error");
            }
        }
    });
    Ok(client)
}

pub(crate) fn pool(config: &PgConfig) -> anyhow::Result<Pool> {
    // `Fast` recycling only checks that a returned connection is still open, instead of a
    // round trip to the server on every checkout.
    let manager = Manager::from_config(
        config.config.clone(),
        tls::connector(config)?,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(POOL_SIZE)
        .runtime(deadpool::Runtime::Tokio1)
        .wait_timeout(Some(ACQUIRE_TIMEOUT))
        .create_timeout(Some(ACQUIRE_TIMEOUT))
        .build()
        .context("building the PostgreSQL pool")
}

/// One round trip through the pool, for start-up to know the server is there.
pub(crate) async fn probe(pool: &Pool, config: &PgConfig) -> Result<(), Failure> {
    let client = pool.get().await.map_err(|err| match err {
        PoolError::Backend(err) => failure(&err, config),
        PoolError::Timeout(_) => Failure::transient("no connection within the pool's time-out"),
        other => Failure::fatal(other.to_string()),
    })?;
    client
        .batch_execute("SELECT 1")
        .await
        .map_err(|err| failure(&err, config))
}

pub(crate) async fn get(pool: &Pool) -> Result<Object, DbError> {
    let started = Instant::now();
    let object = pool.get().await;
    record_wait(started);
    object.map_err(|err| match err {
        PoolError::Backend(err) => DbError::Postgres(err),
        other => DbError::Unavailable(other.to_string()),
    })
}

/// Whether a failed connection is worth trying again, and why it failed, in words that
/// name neither the URL nor the password.
fn failure(error: &tokio_postgres::Error, config: &PgConfig) -> Failure {
    if let Some(db) = error.as_db_error() {
        // A server starting, stopping or full comes back; a refused login does not.
        let transient = [
            SqlState::CANNOT_CONNECT_NOW,
            SqlState::TOO_MANY_CONNECTIONS,
            SqlState::ADMIN_SHUTDOWN,
            SqlState::CRASH_SHUTDOWN,
        ]
        .contains(db.code());
        return Failure {
            cause: format!("{}: {}", db.severity(), db.message()),
            transient,
        };
    }
    if let Some(tls) = retry::find_cause::<rustls::Error>(error) {
        return Failure::fatal(retry::describe_tls(tls, &tls::trusted(config)));
    }
    match retry::find_cause::<io::Error>(error) {
        Some(io) if retry::is_transient_io(io) => Failure::transient(retry::chain(error)),
        _ if error.is_closed() => Failure::transient(retry::chain(error)),
        _ => Failure::fatal(retry::chain(error)),
    }
}

/// Whether `error` means the connection to the server is gone or could not be made, rather
/// than a statement the server refused.
pub(crate) fn is_connection_lost(error: &tokio_postgres::Error) -> bool {
    if let Some(db) = error.as_db_error() {
        let code = db.code();
        // Class 08: connection exceptions; 57P01-57P03: the server shutting down, crashed or
        // starting up; 53300: all connection slots taken.
        return code.code().starts_with("08")
            || [
                SqlState::ADMIN_SHUTDOWN,
                SqlState::CRASH_SHUTDOWN,
                SqlState::CANNOT_CONNECT_NOW,
                SqlState::TOO_MANY_CONNECTIONS,
            ]
            .contains(code);
    }
    error.is_closed() || retry::find_cause::<io::Error>(error).is_some()
}
