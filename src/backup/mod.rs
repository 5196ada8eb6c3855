//! Backups of the application's database: SQLite through its online backup API, PostgreSQL
//! through `pg_dump`. A backup records each table's row count in the same snapshot it copies,
//! so `verify` can restore it into a scratch database and compare. Files are named by the
//! time they were taken, so their names sort oldest first and retention keeps the newest.

mod postgres;
mod sqlite;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};

use crate::config::{DatabaseSettings, Settings};
use crate::observability::metrics::{BACKUP_LAST_SUCCESS, BACKUPS};

const PREFIX: &str = "neoforge-";
const SQLITE_EXTENSION: &str = "db";
const POSTGRES_EXTENSION: &str = "pgdump";

/// Rows per table (`schema.table` on PostgreSQL), in name order.
pub type TableCounts = BTreeMap<String, u64>;

/// A finished backup: where it is and what it holds.
#[derive(Debug, Clone)]
pub struct Backup {
    pub path: PathBuf,
    pub tables: TableCounts,
}

/// The default folder for backups: `<data dir>/backups`.
pub fn directory(settings: &Settings) -> PathBuf {
    settings.data_dir.join("backups")
}

/// Take a backup of the live database to `output`, or to a new timestamped file in
/// [`directory`]. Safe while the server is writing: the copy is one consistent snapshot.
pub async fn create(settings: &Settings, output: Option<PathBuf>) -> anyhow::Result<Backup> {
    let path = match output {
        Some(path) => path,
        None => directory(settings).join(file_name(&settings.database, SystemTime::now())),
    };
    if path.exists() {
        bail!("{} already exists", path.display());
    }
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    // Written under a temporary name and renamed when complete, so a crash never leaves a
    // truncated file that looks like a backup.
    let partial = path.with_file_name(format!(
        ".{}.partial",
        path.file_name().unwrap_or_default().to_string_lossy()
    ));
    let _ = std::fs::remove_file(&partial);
    create_private(&partial)?;
    let tables = match &settings.database {
        DatabaseSettings::Sqlite { path: database } => {
            let (database, partial) = (database.clone(), partial.clone());
            tokio::task::spawn_blocking(move || sqlite::backup(&database, &partial)).await?
        }
        DatabaseSettings::Postgres { url } => postgres::backup(url, &partial).await,
    };
    let tables = match tables {
        Ok(tables) => tables,
        Err(err) => {
            let _ = std::fs::remove_file(&partial);
            return Err(err);
        }
    };
    std::fs::rename(&partial, &path)
        .with_context(|| format!("moving the backup to {}", path.display()))?;
    Ok(Backup { path, tables })
}

/// An empty file only its owner can read: a backup holds every password hash and session.
/// Both SQLite and `pg_dump` write into an existing file and keep its mode.
fn create_private(path: &Path) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    Ok(())
}

/// Restore `backup` into a scratch database and check it: integrity, the migrations table,
/// and every table's row count against the counts taken with the backup.
pub async fn verify(settings: &Settings, backup: &Backup) -> anyhow::Result<()> {
    let restored = match &settings.database {
        DatabaseSettings::Sqlite { .. } => {
            let file = backup.path.clone();
            tokio::task::spawn_blocking(move || sqlite::restore_into_scratch(&file)).await??
        }
        DatabaseSettings::Postgres { url } => {
            postgres::restore_into_scratch(url, &backup.path).await?
        }
    };
    compare(&backup.tables, &restored)
}

fn compare(expected: &TableCounts, restored: &TableCounts) -> anyhow::Result<()> {
    if !restored.keys().any(|table| is_migrations_table(table)) {
        bail!("the restored database has no schema_migrations table");
    }
    if expected != restored {
        let differences: Vec<String> = expected
            .keys()
            .chain(restored.keys())
            .filter(|table| expected.get(*table) != restored.get(*table))
            .map(|table| {
                format!(
                    "{table}: {:?} at backup, {:?} restored",
                    expected.get(table),
                    restored.get(table)
                )
            })
            .collect();
        bail!("row counts differ: {}", differences.join("; "));
    }
    Ok(())
}

fn is_migrations_table(name: &str) -> bool {
    name == "schema_migrations" || name.ends_with(".schema_migrations")
}

/// Replace the database's contents with `file`'s. SQLite: refused while another process
/// (a running server) has the database open; the file is swapped in atomically.
/// PostgreSQL: `pg_restore --clean` in a single transaction.
pub async fn restore(settings: &Settings, file: &Path) -> anyhow::Result<()> {
    if !file.is_file() {
        bail!("{} is not a file", file.display());
    }
    match &settings.database {
        DatabaseSettings::Sqlite { path } => {
            let (database, file) = (path.clone(), file.to_owned());
            tokio::task::spawn_blocking(move || sqlite::restore(&file, &database)).await?
        }
        DatabaseSettings::Postgres { url } => postgres::restore(url, file).await,
    }
}

/// Delete all but the `keep` newest backups in `dir`; returns the deleted files. Only files
/// named like the backups this module writes are considered.
pub fn prune(dir: &Path, keep: usize) -> anyhow::Result<Vec<PathBuf>> {
    let mut backups: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("listing {}", dir.display()))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| is_backup_name(path))
        .collect();
    backups.sort();
    let excess = backups.len().saturating_sub(keep);
    let deleted: Vec<PathBuf> = backups.into_iter().take(excess).collect();
    for path in &deleted {
        std::fs::remove_file(path).with_context(|| format!("deleting {}", path.display()))?;
    }
    Ok(deleted)
}

fn is_backup_name(path: &Path) -> bool {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    name.starts_with(PREFIX)
        && (name.ends_with(&format!(".{SQLITE_EXTENSION}"))
            || name.ends_with(&format!(".{POSTGRES_EXTENSION}")))
}

/// `neoforge-20260102T030405123Z.db`: UTC to the millisecond, so names sort by age.
fn file_name(database: &DatabaseSettings, at: SystemTime) -> String {
    let at: chrono::DateTime<chrono::Utc> = at.into();
    let extension = match database {
        DatabaseSettings::Sqlite { .. } => SQLITE_EXTENSION,
        DatabaseSettings::Postgres { .. } => POSTGRES_EXTENSION,
    };
    format!("{PREFIX}{}.{extension}", at.format("%Y%m%dT%H%M%S%3fZ"))
}

/// Scheduled backups while the server runs: one every `every`, then prune to the configured
/// number. Each outcome is counted in the metrics.
pub async fn schedule(settings: Arc<Settings>, every: Duration) {
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match scheduled_backup(&settings).await {
            Ok(backup) => {
                metrics::counter!(BACKUPS, "outcome" => "success").increment(1);
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap_or_default();
                metrics::gauge!(BACKUP_LAST_SUCCESS).set(now.as_secs_f64());
                tracing::info!(path = %backup.path.display(), "scheduled backup written");
            }
            Err(err) => {
                metrics::counter!(BACKUPS, "outcome" => "failure").increment(1);
                tracing::error!(error = format!("{err:#}"), "scheduled backup failed");
            }
        }
    }
}

async fn scheduled_backup(settings: &Settings) -> anyhow::Result<Backup> {
    let backup = create(settings, None).await?;
    let pruned = prune(&directory(settings), settings.ops.backup_keep)?;
    if !pruned.is_empty() {
        tracing::info!(deleted = pruned.len(), "old backups deleted");
    }
    Ok(backup)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_sort_by_time_and_are_recognised() {
        let database = DatabaseSettings::Sqlite {
            path: "x.db".into(),
        };
        let earlier = file_name(
            &database,
            UNIX_EPOCH + Duration::from_millis(1_700_000_000_001),
        );
        let later = file_name(
            &database,
            UNIX_EPOCH + Duration::from_millis(1_700_000_000_010),
        );
        assert_eq!(earlier, "neoforge-20231114T221320001Z.db");
        assert!(earlier < later);
        assert!(is_backup_name(Path::new(&earlier)));
        assert!(!is_backup_name(Path::new("notes.db")));
        assert!(!is_backup_name(Path::new(".neoforge-1.db.partial")));
    }

    #[test]
    fn counts_must_match_and_include_the_migrations_table() {
        let taken = TableCounts::from([("schema_migrations".into(), 3), ("todos".into(), 5)]);
        assert!(compare(&taken, &taken.clone()).is_ok());
        let mut fewer = taken.clone();
        fewer.insert("todos".into(), 4);
        let err = compare(&taken, &fewer).unwrap_err().to_string();
        assert!(
            err.contains("todos: Some(5) at backup, Some(4) restored"),
            "{err}"
        );
        let no_migrations = TableCounts::from([("todos".into(), 5)]);
        assert!(compare(&no_migrations, &no_migrations.clone()).is_err());
    }

    #[test]
    fn prune_keeps_the_newest_backups_only() {
        let dir = tempfile::tempdir().unwrap();
        let names = [
            "neoforge-20260101T000000000Z.db",
            "neoforge-20260102T000000000Z.db",
            "neoforge-20260103T000000000Z.pgdump",
            "neoforge-20260104T000000000Z.db",
            "notes.txt",
            ".neoforge-20260105T000000000Z.db.partial",
        ];
        for name in names {
            std::fs::write(dir.path().join(name), b"x").unwrap();
        }
        let deleted = prune(dir.path(), 2).unwrap();
        assert_eq!(deleted.len(), 2);
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                ".neoforge-20260105T000000000Z.db.partial",
                "neoforge-20260103T000000000Z.pgdump",
                "neoforge-20260104T000000000Z.db",
                "notes.txt",
            ]
        );
    }
}
