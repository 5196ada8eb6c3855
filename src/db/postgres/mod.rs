//! PostgreSQL connections through `tokio-postgres`, pooled by `deadpool-postgres`.

use std::str::FromStr;
use std::time::Instant;

use anyhow::Context;
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, PoolError, RecyclingMethod};
use secrecy::{ExposeSecret, SecretString};
use tokio_postgres::NoTls;

use crate::db::{ACQUIRE_TIMEOUT, DbError, record_wait};

const POOL_SIZE: usize = 16;

pub fn pool(url: &SecretString) -> anyhow::Result<Pool> {
    let config =
        tokio_postgres::Config::from_str(url.expose_secret()).context("parsing DATABASE_URL")?;
    // `Fast` recycling only checks that a returned connection is still open, instead of a
    // round trip to the server on every checkout.
    let manager = Manager::from_config(
        config,
        NoTls,
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

pub async fn get(pool: &Pool) -> Result<Object, DbError> {
    let started = Instant::now();
    let object = pool.get().await;
    record_wait(started);
    object.map_err(|err| match err {
        PoolError::Backend(err) => DbError::Postgres(err),
        other => DbError::Unavailable(other.to_string()),
    })
}
