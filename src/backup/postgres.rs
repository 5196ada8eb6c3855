//! PostgreSQL: `pg_dump` in the custom format, taken from a snapshot that this module exports
//! and counts rows in, so the counts describe exactly what the dump holds. Connection details
//! reach the client tools through `PG*` environment variables, never the command line, so the
//! password does not show in a process list; `sslmode` and `sslrootcert` reach them the same
//! way, so they encrypt and check the server exactly as the server's own connections do.

use std::path::Path;

use anyhow::{Context, bail};
use secrecy::{ExposeSecret, SecretString};
use tokio::process::Command;
use tokio_postgres::Client;
use tokio_postgres::config::Host;

use crate::backup::TableCounts;
use crate::db::postgres::{PgConfig, SslMode, connect_driven};

/// Where Debian, Ubuntu, Alpine and their container images keep the system's trusted CAs.
const SYSTEM_CA_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

pub async fn backup(url: &SecretString, destination: &Path) -> anyhow::Result<TableCounts> {
    let config = parse(url)?;
    let client = connect_driven(&config).await?;
    client
        .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .await?;
    let snapshot: String = client
        .query_one("SELECT pg_export_snapshot()", &[])
        .await?
        .get(0);
    let tables = table_counts(&client).await?;
    // The exported snapshot lives as long as this transaction: keep it open until the dump
    // has finished.
    run(tool("pg_dump", &config)?
        .arg("--format=custom")
        .arg(format!("--snapshot={snapshot}"))
        .arg("--file")
        .arg(destination))
    .await?;
    client.batch_execute("COMMIT").await?;
    Ok(tables)
}

/// Restore the dump into a new database, count its rows, and drop the database again.
pub async fn restore_into_scratch(url: &SecretString, file: &Path) -> anyhow::Result<TableCounts> {
    let config = parse(url)?;
    let admin = connect_driven(&config).await?;
    let name = format!("neoforge_verify_{}", uuid::Uuid::new_v4().simple());
    admin
        .batch_execute(&format!(r#"CREATE DATABASE "{name}""#))
        .await
        .context("creating a scratch database (the role needs CREATEDB)")?;
    let counted = async {
        let mut scratch = config.clone();
        scratch.config.dbname(&name);
        run(tool("pg_restore", &scratch)?
            .args([
                "--no-owner",
                "--no-acl",
                "--exit-on-error",
                "--dbname",
                &name,
            ])
            .arg(file))
        .await?;
        let client = connect_driven(&scratch).await?;
        table_counts(&client).await
    }
    .await;
    let dropped = admin
        .batch_execute(&format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#))
        .await;
    let counts = counted?;
    dropped.context("dropping the scratch database")?;
    Ok(counts)
}

/// `pg_restore --clean --if-exists` in one transaction: all of the dump or none of it.
pub async fn restore(url: &SecretString, file: &Path) -> anyhow::Result<()> {
    let config = parse(url)?;
    let database = config.config.get_dbname().unwrap_or_default().to_owned();
    run(tool("pg_restore", &config)?
        .args([
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-acl",
            "--exit-on-error",
            "--single-transaction",
            "--dbname",
            &database,
        ])
        .arg(file))
    .await
}

fn parse(url: &SecretString) -> anyhow::Result<PgConfig> {
    PgConfig::parse(url.expose_secret())
}

/// Rows per `schema.table`, every schema but PostgreSQL's own.
async fn table_counts(client: &Client) -> anyhow::Result<TableCounts> {
    let tables = client
        .query(
            "SELECT schemaname::text, tablename::text FROM pg_tables \
             WHERE schemaname NOT IN ('pg_catalog', 'information_schema') \
             ORDER BY 1, 2",
            &[],
        )
        .await?;
    let mut counts = TableCounts::new();
    for row in tables {
        let (schema, table): (String, String) = (row.get(0), row.get(1));
        let sql = format!(
            "SELECT count(*) FROM {}.{}",
            quote_ident(&schema),
            quote_ident(&table)
        );
        let count: i64 = client.query_one(&sql, &[]).await?.get(0);
        counts.insert(format!("{schema}.{table}"), count as u64);
    }
    Ok(counts)
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A PostgreSQL client tool with the connection in its environment.
fn tool(program: &str, pg: &PgConfig) -> anyhow::Result<Command> {
    let config = &pg.config;
    let mut command = Command::new(program);
    command.kill_on_drop(true);
    command.env("PGSSLMODE", pg.ssl_mode.as_str());
    match &pg.root_cert {
        Some(path) => {
            command.env("PGSSLROOTCERT", path);
        }
        // libpq's own default is `~/.postgresql/root.crt`; the server checks against public
        // roots, so point the tools at the system's copy of them.
        None if matches!(pg.ssl_mode, SslMode::VerifyCa | SslMode::VerifyFull)
            && Path::new(SYSTEM_CA_BUNDLE).exists() =>
        {
            command.env("PGSSLROOTCERT", SYSTEM_CA_BUNDLE);
        }
        None => {
            command.env_remove("PGSSLROOTCERT");
        }
    }
    match config.get_hosts().first() {
        Some(Host::Tcp(host)) => {
            command.env("PGHOST", host);
        }
        #[cfg(unix)]
        Some(Host::Unix(dir)) => {
            command.env("PGHOST", dir);
        }
        None => {}
    }
    if let Some(port) = config.get_ports().first() {
        command.env("PGPORT", port.to_string());
    }
    if let Some(user) = config.get_user() {
        command.env("PGUSER", user);
    }
    match config.get_password() {
        Some(password) => {
            let password =
                std::str::from_utf8(password).context("the database password is not UTF-8")?;
            command.env("PGPASSWORD", password);
        }
        None => {
            command.env_remove("PGPASSWORD");
        }
    }
    if let Some(dbname) = config.get_dbname() {
        command.env("PGDATABASE", dbname);
    }
    Ok(command)
}

async fn run(command: &mut Command) -> anyhow::Result<()> {
    let program = command
        .as_std()
        .get_program()
        .to_string_lossy()
        .into_owned();
    let output = command
        .output()
        .await
        .with_context(|| format!("running {program} (is the PostgreSQL client installed?)"))?;
    if !output.status.success() {
        bail!(
            "{program} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}
