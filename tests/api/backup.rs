//! Backups and restores on the test's own database (SQLite, or PostgreSQL when
//! `NEOFORGE_TEST_DATABASE_URL` is set), through the library, the server's schedule and the
//! command line.

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use neoforge::backup::{self, TableCounts};
use neoforge::config::{DatabaseSettings, Settings};
use neoforge::db::Db;
use uuid::Uuid;

use crate::helpers::{TestApp, binary};

async fn add_user(db: &Db) {
    let id = Uuid::now_v7().to_string();
    let email = format!("{id}@example.com");
    let mut conn = db.write().await.unwrap();
    conn.execute(
        "INSERT INTO users (id, email, password_hash, created_at, updated_at) \
         VALUES ($1, $2, 'not-a-hash', 0, 0)",
        neoforge::params![&id, &email],
    )
    .await
    .unwrap();
}

async fn count_users(db: &Db) -> u64 {
    let mut conn = db.read().await.unwrap();
    conn.query_one("SELECT count(*) FROM users", &[], |row| row.int(0))
        .await
        .unwrap() as u64
}

fn users_in(tables: &TableCounts) -> u64 {
    tables
        .iter()
        .find(|(name, _)| *name == "users" || name.ends_with(".users"))
        .map(|(_, count)| *count)
        .expect("the backup counted the users table")
}

#[tokio::test]
async fn a_backup_taken_under_write_load_restores_consistently() {
    let app = TestApp::spawn().await;
    let stop = Arc::new(AtomicBool::new(false));
    let written = Arc::new(AtomicU64::new(0));
    let writer = {
        let (db, stop, written) = (app.db.clone(), stop.clone(), written.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                add_user(&db).await;
                written.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    while written.load(Ordering::Relaxed) < 50 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }

    let before = written.load(Ordering::Relaxed);
    let taken = backup::create(&app.settings, None).await.unwrap();
    let after = written.load(Ordering::Relaxed);
    let verified = backup::verify(&app.settings, &taken).await;
    stop.store(true, Ordering::Relaxed);
    writer.await.unwrap();

    verified.expect("the backup restores with the same row counts and integrity");
    let users = users_in(&taken.tables);
    assert!(
        (before..=after + 1).contains(&users),
        "{users} users backed up while {before}..{after} were written"
    );
    assert!(
        written.load(Ordering::Relaxed) > users,
        "writes went on during the backup"
    );
    assert!(taken.path.starts_with(backup::directory(&app.settings)));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&taken.path).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "only the owner can read a backup");
    }
}

#[tokio::test]
async fn verify_notices_a_backup_that_does_not_match_its_counts() {
    let app = TestApp::spawn().await;
    add_user(&app.db).await;
    let mut taken = backup::create(&app.settings, None).await.unwrap();
    let users = taken
        .tables
        .iter_mut()
        .find(|(name, _)| name.ends_with("users"))
        .unwrap()
        .1;
    *users += 1;
    let err = backup::verify(&app.settings, &taken).await.unwrap_err();
    assert!(err.to_string().contains("row counts differ"), "{err:#}");
}

#[tokio::test]
async fn restore_brings_back_the_backed_up_rows() {
    let app = TestApp::spawn().await;
    for _ in 0..3 {
        add_user(&app.db).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("round-trip.backup");
    let taken = backup::create(&app.settings, Some(file.clone()))
        .await
        .unwrap();
    assert_eq!(users_in(&taken.tables), 3);
    assert!(
        backup::create(&app.settings, Some(file.clone()))
            .await
            .is_err(),
        "an existing file is never overwritten"
    );

    match &app.settings.database {
        DatabaseSettings::Postgres { .. } => {
            add_user(&app.db).await;
            backup::restore(&app.settings, &file).await.unwrap();
            assert_eq!(count_users(&app.db).await, 3);
        }
        DatabaseSettings::Sqlite { .. } => {
            // The running app holds its database: restoring under it is refused.
            let err = backup::restore(&app.settings, &file).await.unwrap_err();
            assert!(err.to_string().contains("in use"), "{err:#}");
            // A database nobody has open is replaced.
            let mut other: Settings = app.settings.clone();
            other.database = DatabaseSettings::Sqlite {
                path: dir.path().join("other.db"),
            };
            let db = Db::connect(&other).await.unwrap();
            db.migrate().await.unwrap();
            add_user(&db).await;
            db.close();
            drop(db);
            backup::restore(&other, &file).await.unwrap();
            let db = Db::connect(&other).await.unwrap();
            assert_eq!(count_users(&db).await, 3);
            db.close();
        }
    }
}

#[tokio::test]
async fn the_server_backs_up_on_schedule_and_keeps_the_newest() {
    let started = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let app = TestApp::spawn_with(|settings| {
        settings.ops.backup_interval = Some(Duration::from_millis(200));
        settings.ops.backup_keep = 2;
    })
    .await;
    let successes = r#"neoforge_backups_total{outcome="success"}"#;
    let dir = backup::directory(&app.settings);
    let deadline = Instant::now() + Duration::from_secs(30);
    let first = metric(&app, successes).await;
    loop {
        let files = backup_files(&dir);
        if files >= 3 || metric(&app, successes).await >= first + 3.0 {
            break;
        }
        assert!(Instant::now() < deadline, "no scheduled backups after 30 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Wait out a backup that may be half-written, then count.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(backup_files(&dir) <= 2, "retention keeps the 2 newest");
    let last_success = metric(&app, "neoforge_backup_last_success_timestamp_seconds").await;
    assert!(
        last_success >= started.floor(),
        "{last_success} < {started}"
    );
}

fn backup_files(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|entry| {
                    let name = entry.file_name().to_string_lossy().into_owned();
                    name.starts_with("neoforge-")
                })
                .count()
        })
        .unwrap_or(0)
}

async fn metric(app: &TestApp, series: &str) -> f64 {
    let text = app.get("/metrics", None).await.text().await.unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0.0, |value| value.trim().parse().unwrap())
}

#[test]
fn the_command_line_backs_up_verifies_and_restores() {
    let data_dir = tempfile::tempdir().unwrap();
    let neoforge = |args: &[&str]| {
        let output = Command::new(binary())
            .env_clear()
            .env("NEOFORGE_DATA_DIR", data_dir.path())
            .env("RUST_LOG", "info")
            .args(args)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(
            output.status.success(),
            "neoforge {args:?}: {stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        stdout
    };
    neoforge(&["migrate"]);
    let stdout = neoforge(&["backup", "--verify"]);
    let logs: Vec<serde_json::Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let verified = logs
        .iter()
        .find(|log| log["message"] == "backup verified")
        .expect("the backup is verified");
    let path = verified["path"].as_str().unwrap();
    assert!(path.starts_with(&data_dir.path().join("backups").display().to_string()));
    neoforge(&["restore", path]);

    let missing = Command::new(binary())
        .env_clear()
        .env("NEOFORGE_DATA_DIR", data_dir.path())
        .args(["restore", "no-such-file.db"])
        .output()
        .unwrap();
    assert!(!missing.status.success());
}
