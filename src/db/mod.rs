//! The database: SQLite (embedded default) or PostgreSQL (scale-out), one SQL dialect for
//! both (`$n` placeholders, UUIDs as text, times as integer milliseconds, 0/1 booleans).
//!
//! SQLite runs in-process: its queries answer from the page cache in microseconds, so they run
//! right on the async worker that handles the request rather than paying two thread hand-offs
//! per query. Writes go through a single connection, so writers queue fairly in the pool
//! instead of spinning on `SQLITE_BUSY`. PostgreSQL goes through `tokio-postgres` with cached
//! prepared statements.

mod conn;
mod migrate;
mod param;
pub mod postgres;
pub(crate) mod retry;
mod sqlite;

use std::path::PathBuf;
use std::time::{Duration, Instant};

pub use conn::{Conn, Tx};
pub use param::{Param, Row};
use secrecy::ExposeSecret;

use crate::config::{DatabaseSettings, Settings};

const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Db {
    pools: Pools,
}

#[derive(Clone)]
enum Pools {
    Sqlite {
        reader: sqlite::Pool,
        writer: sqlite::Pool,
        path: PathBuf,
    },
    Postgres(deadpool_postgres::Pool),
}

impl Db {
    /// Open the pools and make sure the database answers: fail at start-up, not at the first
    /// request. A PostgreSQL server that is not up yet is waited for, up to
    /// `settings.connect_timeout`.
    pub async fn connect(settings: &Settings) -> anyhow::Result<Self> {
        match &settings.database {
            DatabaseSettings::Sqlite { path } => {
                let (reader, writer) = sqlite::pools(path)?;
                let db = Self {
                    pools: Pools::Sqlite {
                        reader,
                        writer,
                        path: path.clone(),
                    },
                };
                db.ping().await.map_err(|err| {
                    let storage = db
                        .check_storage()
                        .err()
                        .map(|io| format!(" (its directory cannot be written: {io})"))
                        .unwrap_or_default();
                    anyhow::Error::new(err).context(format!(
                        "opening the SQLite database {}{storage}",
                        path.display()
                    ))
                })?;
                Ok(db)
            }
            DatabaseSettings::Postgres { url } => {
                let config = postgres::PgConfig::parse(url.expose_secret())?;
                let pool = postgres::pool(&config)?;
                retry::connect(
                    "PostgreSQL",
                    &config.server(),
                    settings.connect_timeout,
                    || postgres::probe(&pool, &config),
                )
                .await?;
                Ok(Self {
                    pools: Pools::Postgres(pool),
                })
            }
        }
    }

    pub fn backend(&self) -> Backend {
        match self.pools {
            Pools::Sqlite { .. } => Backend::Sqlite,
            Pools::Postgres(_) => Backend::Postgres,
        }
    }

    /// A connection for queries that only read.
    pub async fn read(&self) -> Result<Conn, DbError> {
        match &self.pools {
            Pools::Sqlite { reader, .. } => sqlite::get(reader).await.map(Conn::sqlite),
            Pools::Postgres(pool) => postgres::get(pool).await.map(Conn::postgres),
        }
    }

    /// A connection for anything that writes, and transactions.
    pub async fn write(&self) -> Result<Conn, DbError> {
        match &self.pools {
            Pools::Sqlite { writer, .. } => sqlite::get(writer).await.map(Conn::sqlite),
            Pools::Postgres(pool) => postgres::get(pool).await.map(Conn::postgres),
        }
    }

    /// Apply pending migrations; safe to run on every start and from several processes.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        migrate::run(self).await
    }

    /// Readiness probe: one round trip.
    pub async fn ping(&self) -> Result<(), DbError> {
        let mut conn = self.read().await?;
        conn.query_one("SELECT 1", &[], |row| row.int(0))
            .await
            .map(drop)
    }

    /// Whether the database can take writes: SQLite's directory must not be full or read-only
    /// (a one-byte file is written there and removed). PostgreSQL's server watches its own
    /// disk and refuses writes itself.
    pub fn check_storage(&self) -> std::io::Result<()> {
        let Pools::Sqlite { path, .. } = &self.pools else {
            return Ok(());
        };
        let mut probe = path.clone().into_os_string();
        probe.push("-probe");
        let written = std::fs::write(&probe, b"1");
        let _ = std::fs::remove_file(&probe);
        written
    }

    /// How many connections the pools hold and how many of those are idle.
    pub fn pool_status(&self) -> PoolStatus {
        let (size, idle) = match &self.pools {
            Pools::Sqlite { reader, writer, .. } => {
                let (reader, writer) = (reader.status(), writer.status());
                (
                    reader.size + writer.size,
                    reader.available + writer.available,
                )
            }
            Pools::Postgres(pool) => {
                let status = pool.status();
                (status.size, status.available)
            }
        };
        PoolStatus { size, idle }
    }

    /// After a lost connection: close the idle PostgreSQL connections, which a server restart
    /// broke all at once, so that the next checkout opens a fresh one. SQLite has none to lose.
    pub fn discard_idle(&self) {
        if let Pools::Postgres(pool) = &self.pools {
            pool.retain(|_, _| false);
        }
    }

    /// Stop lending connections; those in use close when returned.
    pub fn close(&self) {
        match &self.pools {
            Pools::Sqlite { reader, writer, .. } => {
                reader.close();
                writer.close();
            }
            Pools::Postgres(pool) => pool.close(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStatus {
    pub size: usize,
    pub idle: usize,
}

/// Record how long a checkout waited for a connection.
fn record_wait(started: Instant) {
    metrics::histogram!(crate::observability::metrics::DB_POOL_WAIT)
        .record(started.elapsed().as_secs_f64());
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    #[error(transparent)]
    Postgres(#[from] tokio_postgres::Error),
    #[error("database connection unavailable: {0}")]
    Unavailable(String),
    #[error("column {column}: {detail}")]
    Decode { column: usize, detail: String },
    #[error("the query returned no rows")]
    NoRows,
}

impl DbError {
    fn decode(column: usize, detail: impl Into<String>) -> Self {
        Self::Decode {
            column,
            detail: detail.into(),
        }
    }

    /// An insert of something that already exists.
    pub fn is_unique_violation(&self) -> bool {
        match self {
            Self::Sqlite(rusqlite::Error::SqliteFailure(error, _)) => matches!(
                error.extended_code,
                rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
            ),
            Self::Postgres(error) => {
                error.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION)
            }
            _ => false,
        }
    }

    /// The storage under the database refuses writes: the disk is full, the file system
    /// read-only, or failing. Like a lost connection, the server's trouble, not the request's.
    pub fn is_storage_refused(&self) -> bool {
        match self {
            Self::Sqlite(rusqlite::Error::SqliteFailure(error, _)) => matches!(
                error.code,
                rusqlite::ErrorCode::DiskFull
                    | rusqlite::ErrorCode::ReadOnly
                    | rusqlite::ErrorCode::SystemIoFailure
            ),
            _ => false,
        }
    }

    /// The database could not be reached or the connection broke: refused, closed or reset,
    /// a server shutting down or starting up, no connection free within the time-out. Such
    /// trouble passes by itself, unlike a refused statement (a constraint, bad SQL), which
    /// this is not.
    pub fn is_connection_lost(&self) -> bool {
        match self {
            Self::Unavailable(_) => true,
            Self::Postgres(error) => postgres::is_connection_lost(error),
            Self::Sqlite(_) | Self::Decode { .. } | Self::NoRows => false,
        }
    }
}
