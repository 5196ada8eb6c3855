//! A checked-out connection and its transactions. Repository functions take `&mut Conn`; a
//! [`Tx`] dereferences to its `Conn`, so the same functions compose inside a transaction.

use std::ops::{Deref, DerefMut};

use crate::db::param::{Param, Row};
use crate::db::{DbError, sqlite};

pub struct Conn {
    inner: Option<Inner>,
    in_transaction: bool,
}

enum Inner {
    Sqlite(sqlite::Object),
    Postgres(deadpool_postgres::Object),
}

impl Conn {
    pub(super) fn sqlite(conn: sqlite::Object) -> Self {
        Self {
            inner: Some(Inner::Sqlite(conn)),
            in_transaction: false,
        }
    }

    pub(super) fn postgres(conn: deadpool_postgres::Object) -> Self {
        Self {
            inner: Some(Inner::Postgres(conn)),
            in_transaction: false,
        }
    }

    fn inner(&mut self) -> &mut Inner {
        self.inner
            .as_mut()
            .expect("a connection is present until dropped")
    }

    /// Run a statement; returns the number of rows it changed.
    #[cfg_attr(
        feature = "otel",
        tracing::instrument(name = "db", skip_all, fields(otel.kind = "client", db.query.text = sql))
    )]
    pub async fn execute(
        &mut self,
        sql: &'static str,
        params: &[Param<'_>],
    ) -> Result<u64, DbError> {
        match self.inner() {
            Inner::Sqlite(conn) => {
                let mut statement = conn.prepare_cached(sql)?;
                bind(&mut statement, params)?;
                Ok(statement.raw_execute()? as u64)
            }
            Inner::Postgres(client) => {
                let statement = client.prepare_cached(sql).await?;
                Ok(client.execute(&statement, &pg_params(params)).await?)
            }
        }
    }

    /// Run a script of several statements, without parameters (migrations).
    #[cfg_attr(
        feature = "otel",
        tracing::instrument(name = "db", skip_all, fields(otel.kind = "client", db.query.text = sql))
    )]
    pub async fn execute_script(&mut self, sql: &str) -> Result<(), DbError> {
        match self.inner() {
            Inner::Sqlite(conn) => Ok(conn.execute_batch(sql)?),
            Inner::Postgres(client) => Ok(client.batch_execute(sql).await?),
        }
    }

    /// Every row of a query, each turned into a `T` by `map`.
    #[cfg_attr(
        feature = "otel",
        tracing::instrument(name = "db", skip_all, fields(otel.kind = "client", db.query.text = sql))
    )]
    pub async fn query_all<T>(
        &mut self,
        sql: &'static str,
        params: &[Param<'_>],
        map: impl Fn(&Row<'_>) -> Result<T, DbError>,
    ) -> Result<Vec<T>, DbError> {
        match self.inner() {
            Inner::Sqlite(conn) => {
                let mut statement = conn.prepare_cached(sql)?;
                bind(&mut statement, params)?;
                let mut rows = statement.raw_query();
                let mut mapped = Vec::new();
                while let Some(row) = rows.next()? {
                    mapped.push(map(&Row::Sqlite(row))?);
                }
                Ok(mapped)
            }
            Inner::Postgres(client) => {
                let statement = client.prepare_cached(sql).await?;
                let rows = client.query(&statement, &pg_params(params)).await?;
                rows.iter().map(|row| map(&Row::Postgres(row))).collect()
            }
        }
    }

    /// The first row of a query, if any.
    #[cfg_attr(
        feature = "otel",
        tracing::instrument(name = "db", skip_all, fields(otel.kind = "client", db.query.text = sql))
    )]
    pub async fn query_opt<T>(
        &mut self,
        sql: &'static str,
        params: &[Param<'_>],
        map: impl Fn(&Row<'_>) -> Result<T, DbError>,
    ) -> Result<Option<T>, DbError> {
        match self.inner() {
            Inner::Sqlite(conn) => {
                let mut statement = conn.prepare_cached(sql)?;
                bind(&mut statement, params)?;
                let mut rows = statement.raw_query();
                rows.next()?.map(|row| map(&Row::Sqlite(row))).transpose()
            }
            Inner::Postgres(client) => {
                let statement = client.prepare_cached(sql).await?;
                let row = client.query_opt(&statement, &pg_params(params)).await?;
                row.as_ref().map(|row| map(&Row::Postgres(row))).transpose()
            }
        }
    }

    /// The first row of a query that always returns one.
    pub async fn query_one<T>(
        &mut self,
        sql: &'static str,
        params: &[Param<'_>],
        map: impl Fn(&Row<'_>) -> Result<T, DbError>,
    ) -> Result<T, DbError> {
        self.query_opt(sql, params, map)
            .await?
            .ok_or(DbError::NoRows)
    }

    /// Start a transaction. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`), so
    /// it can never fail half-way for want of it.
    pub async fn begin(&mut self) -> Result<Tx<'_>, DbError> {
        let begin = match self.inner() {
            Inner::Sqlite(_) => "BEGIN IMMEDIATE",
            Inner::Postgres(_) => "BEGIN",
        };
        self.execute_script(begin).await?;
        self.in_transaction = true;
        Ok(Tx { conn: self })
    }

    async fn end_transaction(&mut self, statement: &str) -> Result<(), DbError> {
        self.execute_script(statement).await?;
        self.in_transaction = false;
        Ok(())
    }
}

/// A transaction that was neither committed nor rolled back (an error, or a cancelled
/// request) must not reach the next borrower: SQLite rolls back on the spot; a PostgreSQL
/// connection, which cannot be awaited here, is closed, and the server aborts its transaction.
impl Drop for Conn {
    fn drop(&mut self) {
        if !self.in_transaction {
            return;
        }
        match self.inner.take() {
            Some(Inner::Sqlite(conn)) if conn.execute_batch("ROLLBACK").is_err() => {
                drop(sqlite::Object::take(conn));
            }
            Some(Inner::Postgres(conn)) => drop(deadpool_postgres::Object::take(conn)),
            Some(Inner::Sqlite(_)) | None => {}
        }
    }
}

/// An open transaction; it rolls back unless committed.
pub struct Tx<'c> {
    conn: &'c mut Conn,
}

impl Tx<'_> {
    pub async fn commit(self) -> Result<(), DbError> {
        self.conn.end_transaction("COMMIT").await
    }

    pub async fn rollback(self) -> Result<(), DbError> {
        self.conn.end_transaction("ROLLBACK").await
    }
}

impl Drop for Tx<'_> {
    fn drop(&mut self) {
        // SQLite can roll back right away and keep the connection; PostgreSQL's connection is
        // discarded when the `Conn` goes (see `Conn`'s `Drop`).
        if self.conn.in_transaction
            && let Some(Inner::Sqlite(conn)) = &self.conn.inner
            && conn.execute_batch("ROLLBACK").is_ok()
        {
            self.conn.in_transaction = false;
        }
    }
}

impl Deref for Tx<'_> {
    type Target = Conn;

    fn deref(&self) -> &Conn {
        self.conn
    }
}

impl DerefMut for Tx<'_> {
    fn deref_mut(&mut self) -> &mut Conn {
        self.conn
    }
}

/// Placeholders are written `$1`, `$2`, ... for both databases; SQLite numbers named
/// parameters by first appearance, so bind each by its name.
fn bind(
    statement: &mut rusqlite::CachedStatement<'_>,
    params: &[Param<'_>],
) -> Result<(), DbError> {
    const NAMES: [&str; 16] = [
        "$1", "$2", "$3", "$4", "$5", "$6", "$7", "$8", "$9", "$10", "$11", "$12", "$13", "$14",
        "$15", "$16",
    ];
    assert!(
        params.len() <= NAMES.len(),
        "at most {} parameters",
        NAMES.len()
    );
    statement.clear_bindings();
    for (name, param) in NAMES.iter().zip(params) {
        if let Some(index) = statement.parameter_index(name)? {
            statement.raw_bind_parameter(index, param)?;
        }
    }
    Ok(())
}

fn pg_params<'a>(params: &'a [Param<'a>]) -> Vec<&'a (dyn postgres_types::ToSql + Sync)> {
    params
        .iter()
        .map(|param| param as &(dyn postgres_types::ToSql + Sync))
        .collect()
}
