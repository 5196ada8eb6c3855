//! SQLite: the online backup API, run inside a read transaction that also counts the rows,
//! so the copy and the counts are the same snapshot while the server keeps writing.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, ErrorCode, OpenFlags};

use crate::backup::TableCounts;

const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

fn open_existing(path: &Path) -> anyhow::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)
        .with_context(|| format!("opening {}", path.display()))?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    Ok(conn)
}

pub fn backup(database: &Path, destination: &Path) -> anyhow::Result<TableCounts> {
    let source = open_existing(database)?;
    // The counts start the read transaction; the backup then copies the same snapshot, since
    // it reuses the source connection's open transaction.
    source.execute_batch("BEGIN")?;
    let tables = table_counts(&source)?;
    let mut target = Connection::open(destination)
        .with_context(|| format!("creating {}", destination.display()))?;
    {
        let backup = Backup::new(&source, &mut target)?;
        loop {
            match backup.step(-1)? {
                StepResult::Done => break,
                StepResult::More => {}
                StepResult::Busy | StepResult::Locked => {
                    std::thread::sleep(Duration::from_millis(10))
                }
                _ => bail!("unexpected result from the SQLite backup"),
            }
        }
    }
    source.execute_batch("COMMIT")?;
    target
        .close()
        .map_err(|(_, err)| err)
        .context("closing the backup")?;
    std::fs::File::open(destination)?.sync_all()?;
    Ok(tables)
}

/// Rows per table, excluding SQLite's own.
fn table_counts(conn: &Connection) -> anyhow::Result<TableCounts> {
    let names: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
             ORDER BY name",
        )?
        .query_map([], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    names
        .into_iter()
        .map(|name| {
            let sql = format!("SELECT count(*) FROM \"{}\"", name.replace('"', "\"\""));
            let count: i64 = conn.query_row(&sql, [], |row| row.get(0))?;
            Ok((name, count as u64))
        })
        .collect()
}

/// `PRAGMA integrity_check` must answer a single `ok`.
fn check_integrity(conn: &Connection) -> anyhow::Result<()> {
    let problems: Vec<String> = conn
        .prepare("PRAGMA integrity_check")?
        .query_map([], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    if problems != ["ok"] {
        bail!("integrity check failed: {}", problems.join("; "));
    }
    Ok(())
}

/// Copy the backup into a scratch file, check its integrity and count its rows.
pub fn restore_into_scratch(file: &Path) -> anyhow::Result<TableCounts> {
    let scratch = Scratch(std::env::temp_dir().join(format!(
        "neoforge-verify-{}.db",
        uuid::Uuid::new_v4().simple()
    )));
    std::fs::copy(file, &scratch.0).with_context(|| format!("copying {}", file.display()))?;
    let conn = open_existing(&scratch.0)?;
    check_integrity(&conn)?;
    table_counts(&conn)
}

/// A scratch database file, deleted with its companions when dropped.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let _ = std::fs::remove_file(sibling(&self.0, suffix));
        }
    }
}

/// Swap the database file for a copy of `file`, after checking the copy and that no other
/// process has the database open.
pub fn restore(file: &Path, database: &Path) -> anyhow::Result<()> {
    let dir = database
        .parent()
        .filter(|dir| !dir.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    if database.exists() {
        ensure_unused(database)?;
    }
    let staged = sibling(database, ".restoring");
    std::fs::copy(file, &staged).with_context(|| format!("copying {}", file.display()))?;
    let checked = (|| {
        let conn = open_existing(&staged)?;
        check_integrity(&conn)?;
        let tables = table_counts(&conn)?;
        if !tables.contains_key("schema_migrations") {
            bail!(
                "{} is not a NeoForge database (no schema_migrations)",
                file.display()
            );
        }
        conn.close().map_err(|(_, err)| err)?;
        std::fs::File::open(&staged)?.sync_all()?;
        Ok(())
    })();
    if let Err(err) = checked {
        let _ = std::fs::remove_file(&staged);
        return Err(err);
    }
    // The old database's write-ahead log and shared-memory index belong to the old file: left
    // beside the new one, SQLite would replay the log into it.
    for suffix in ["-wal", "-shm"] {
        match std::fs::remove_file(sibling(database, suffix)) {
            Err(err) if err.kind() != std::io::ErrorKind::NotFound => return Err(err.into()),
            _ => {}
        }
    }
    std::fs::rename(&staged, database)
        .with_context(|| format!("replacing {}", database.display()))?;
    std::fs::File::open(dir)?.sync_all()?;
    Ok(())
}

/// Every connection to a WAL database holds a shared lock on it while open; taking the
/// exclusive lock proves no server (or anything else) is using it. Closing this connection
/// also checkpoints the log, so nothing is left in it.
fn ensure_unused(database: &Path) -> anyhow::Result<()> {
    let conn = open_existing(database)?;
    conn.busy_timeout(Duration::ZERO)?;
    let locked = conn.execute_batch("PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; COMMIT;");
    match locked {
        Ok(()) => {}
        Err(rusqlite::Error::SqliteFailure(err, _)) if err.code == ErrorCode::DatabaseBusy => {
            bail!(
                "{} is in use by another process: stop the server before restoring",
                database.display()
            )
        }
        Err(err) => return Err(err.into()),
    }
    conn.close().map_err(|(_, err)| err)?;
    Ok(())
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(suffix);
    path.with_file_name(name)
}
