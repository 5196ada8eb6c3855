//! The database: SQLite (embedded default) or PostgreSQL (scale-out) behind one `AnyPool`
//! code path. SQL is portable: `$n` placeholders, UUIDs as text, times as integer
//! milliseconds, booleans as 0/1 integers (see [`flag`]).

mod migrate;

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use secrecy::ExposeSecret;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

use crate::config::{DatabaseSettings, Settings};

/// SQLite allows one writer at a time; readers never block it in WAL mode.
const SQLITE_READERS: u32 = 4;
const POSTGRES_POOL_SIZE: u32 = 16;
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Connection pools. On SQLite writes go through a single connection, so writers queue in
/// the pool (fair, async) instead of spinning on `SQLITE_BUSY`; on PostgreSQL both handles
/// are the same pool.
#[derive(Clone)]
pub struct Db {
    reader: AnyPool,
    writer: AnyPool,
    backend: Backend,
}

impl Db {
    pub async fn connect(settings: &Settings) -> anyhow::Result<Self> {
        sqlx::any::install_default_drivers();
        match &settings.database {
            DatabaseSettings::Sqlite { path } => {
                if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)
                        .with_context(|| format!("creating {}", dir.display()))?;
                }
                let url = format!("sqlite://{}?mode=rwc", path.display());
                let writer = sqlite_pool(&url, 1).await?;
                let reader = sqlite_pool(&url, SQLITE_READERS).await?;
                Ok(Self {
                    reader,
                    writer,
                    backend: Backend::Sqlite,
                })
            }
            DatabaseSettings::Postgres { url } => {
                let options = AnyConnectOptions::from_str(url.expose_secret())
                    .context("parsing DATABASE_URL")?;
                let pool = AnyPoolOptions::new()
                    .max_connections(POSTGRES_POOL_SIZE)
                    .acquire_timeout(ACQUIRE_TIMEOUT)
                    .connect_with(options)
                    .await
                    .context("connecting to PostgreSQL")?;
                Ok(Self {
                    reader: pool.clone(),
                    writer: pool,
                    backend: Backend::Postgres,
                })
            }
        }
    }

    /// For queries that only read.
    pub fn read(&self) -> &AnyPool {
        &self.reader
    }

    /// For anything that writes, and transactions.
    pub fn write(&self) -> &AnyPool {
        &self.writer
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Apply pending migrations; safe to run on every start and from several processes.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        migrate::migrator()
            .run(&self.writer)
            .await
            .context("applying database migrations")
    }

    /// Readiness probe: a round trip on both pools.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        self.reader.execute("SELECT 1").await?;
        if self.backend == Backend::Sqlite {
            self.writer.execute("SELECT 1").await?;
        }
        Ok(())
    }

    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }
}

async fn sqlite_pool(url: &str, size: u32) -> anyhow::Result<AnyPool> {
    let options = AnyConnectOptions::from_str(url).context("parsing the SQLite path")?;
    AnyPoolOptions::new()
        .max_connections(size)
        .min_connections(1)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .after_connect(|conn, _| {
            Box::pin(async move { conn.execute(SQLITE_PRAGMAS).await.map(drop) })
        })
        .connect_with(options)
        .await
        .with_context(|| format!("opening SQLite database {url}"))
}

/// Booleans are stored as 0/1 integers so one schema and one decoder serve both databases.
pub mod flag {
    pub fn encode(value: bool) -> i32 {
        i32::from(value)
    }

    pub fn decode(value: i32) -> bool {
        value != 0
    }
}

/// Whether an error is a unique-constraint violation (an insert of something that exists).
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// A UUID stored as text.
pub fn uuid_column(row: &sqlx::any::AnyRow, column: &str) -> Result<uuid::Uuid, sqlx::Error> {
    use sqlx::Row;
    let text: String = row.try_get(column)?;
    uuid::Uuid::parse_str(&text).map_err(|_| bad_column(column, &text))
}

/// A stored value the code cannot interpret: a bug or a hand-edited row, never user input.
pub fn bad_column(column: &str, value: &str) -> sqlx::Error {
    sqlx::Error::ColumnDecode {
        index: column.to_owned(),
        source: format!("unexpected stored value {value:?}").into(),
    }
}
