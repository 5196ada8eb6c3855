//! SQLite connections: one writer and a few readers on the same WAL-mode file.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use deadpool::managed::{self, Metrics, RecycleResult};
use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags};

use crate::db::{ACQUIRE_TIMEOUT, DbError, record_wait};

/// Readers run on the async workers, so more of them than workers buys nothing.
const READERS: usize = 4;
const STATEMENT_CACHE: usize = 64;

/// `synchronous = NORMAL` in WAL mode: a commit survives a crash of the process; only a power
/// loss can undo the last commits, never corrupt the file.
const PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
    PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA cache_size = -8000;";

pub type Pool = managed::Pool<Manager>;
pub type Object = managed::Object<Manager>;

pub struct Manager {
    path: PathBuf,
    read_only: bool,
}

impl managed::Manager for Manager {
    type Type = Connection;
    type Error = rusqlite::Error;

    async fn create(&self) -> Result<Connection, rusqlite::Error> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        let conn = Connection::open_with_flags(&self.path, flags)?;
        conn.execute_batch(PRAGMAS)?;
        // Plans must not depend on bound values: otherwise every new LIMIT, OFFSET or 0/1
        // flag re-parses and re-plans the statement, defeating the statement cache.
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
        if self.read_only {
            conn.execute_batch("PRAGMA query_only = ON;")?;
        }
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Ok(conn)
    }

    /// Nothing to check: a connection handed back mid-transaction was rolled back already.
    async fn recycle(&self, _: &mut Connection, _: &Metrics) -> RecycleResult<rusqlite::Error> {
        Ok(())
    }
}

pub fn pools(path: &Path) -> anyhow::Result<(Pool, Pool)> {
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let build = |read_only: bool, size: usize| {
        Pool::builder(Manager {
            path: path.to_owned(),
            read_only,
        })
        .max_size(size)
        .runtime(deadpool::Runtime::Tokio1)
        .wait_timeout(Some(ACQUIRE_TIMEOUT))
        .build()
        .context("building the SQLite pool")
    };
    Ok((build(true, READERS)?, build(false, 1)?))
}

pub async fn get(pool: &Pool) -> Result<Object, DbError> {
    let started = Instant::now();
    let object = pool.get().await;
    record_wait(started);
    object.map_err(|err| match err {
        managed::PoolError::Backend(err) => DbError::Sqlite(err),
        other => DbError::Unavailable(other.to_string()),
    })
}
