//! The `neoforge` binary as an operator runs it: start-up checks, migrations, and graceful
//! shutdown.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tempfile::TempDir;

use crate::helpers::binary;

fn neoforge(data_dir: &TempDir) -> Command {
    let mut command = Command::new(binary());
    command
        .env_clear()
        .env("NEOFORGE_DATA_DIR", data_dir.path())
        .env("NEOFORGE_ADDR", "127.0.0.1:0")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Start the server and wait for its "listening" log line; returns the child and its port.
fn start(data_dir: &TempDir) -> (Child, u16) {
    let mut child = neoforge(data_dir).spawn().unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    for line in stdout.lines() {
        let line = line.unwrap();
        if line.contains("listening") {
            let log: serde_json::Value = serde_json::from_str(&line).unwrap();
            let port = log["addr"]
                .as_str()
                .unwrap()
                .rsplit(':')
                .next()
                .unwrap()
                .parse()
                .unwrap();
            return (child, port);
        }
    }
    let status = child.wait().unwrap();
    panic!("the server exited ({status}) before listening");
}

fn sigterm(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn sigterm_lets_in_flight_requests_finish_then_exits_0() {
    let data_dir = tempfile::tempdir().unwrap();
    let (mut child, port) = start(&data_dir);

    // A request whose body is still arriving when the signal comes.
    let body = r#"{"email":"ada@example.com","password":"correct horse battery"}"#;
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "POST /api/auth/register HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{}",
        body.len(),
        &body[..10]
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    sigterm(&child);
    std::thread::sleep(Duration::from_millis(300));
    stream.write_all(&body.as_bytes()[10..]).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");

    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    // Nothing new is accepted after shutdown.
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
}

#[test]
fn development_generates_a_secret_once_and_keeps_it() {
    let data_dir = tempfile::tempdir().unwrap();
    let (mut child, _) = start(&data_dir);
    sigterm(&child);
    child.wait().unwrap();
    let secret_file = data_dir.path().join("secret.key");
    let first = std::fs::read_to_string(&secret_file).unwrap();
    assert!(first.len() >= 32);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&secret_file)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the secret file is private");
    }
    let (mut child, _) = start(&data_dir);
    sigterm(&child);
    child.wait().unwrap();
    assert_eq!(std::fs::read_to_string(&secret_file).unwrap(), first);
}

#[test]
fn production_refuses_to_start_without_a_secret() {
    let data_dir = tempfile::tempdir().unwrap();
    let output = neoforge(&data_dir)
        .env("NEOFORGE_ENV", "production")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("NEOFORGE_SECRET"), "{stderr}");
    assert!(!data_dir.path().join("secret.key").exists());

    let weak = neoforge(&data_dir)
        .env("NEOFORGE_ENV", "production")
        .env("NEOFORGE_SECRET", "short")
        .output()
        .unwrap();
    assert!(!weak.status.success());
    assert!(
        !String::from_utf8_lossy(&weak.stderr).contains("short"),
        "the secret is never printed"
    );
}

#[test]
fn migrate_is_idempotent() {
    let data_dir = tempfile::tempdir().unwrap();
    for _ in 0..2 {
        let output = neoforge(&data_dir).arg("migrate").output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    assert!(data_dir.path().join("neoforge.db").exists());
}

#[test]
fn flags_override_the_environment() {
    let data_dir = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let output = neoforge(&data_dir)
        .args(["migrate", "--data-dir"])
        .arg(elsewhere.path())
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(elsewhere.path().join("neoforge.db").exists());
    assert!(!data_dir.path().join("neoforge.db").exists());
}

/// The role and password hash of `email` in the data dir's database.
fn stored_account(data_dir: &TempDir, email: &str) -> Option<(String, String)> {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let db = crate::helpers::data_dir_db(data_dir.path()).await;
        let mut conn = db.read().await.unwrap();
        let user = neoforge::users::repo::find_by_email(&mut conn, email)
            .await
            .unwrap();
        drop(conn);
        db.close();
        user.map(|user| (user.role.as_str().to_owned(), user.password_hash))
    })
}

fn create_admin(data_dir: &TempDir, args: &[&str], stdin: &str) -> std::process::Output {
    let mut child = neoforge(data_dir)
        .arg("create-admin")
        .args(args)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn create_admin_creates_or_promotes_an_account() {
    let data_dir = tempfile::tempdir().unwrap();
    let created = create_admin(
        &data_dir,
        &[
            "--email",
            "Root@Example.com",
            "--password",
            "a long admin passphrase",
        ],
        "",
    );
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let (role, hash) = stored_account(&data_dir, "root@example.com").unwrap();
    assert_eq!(role, "admin");
    assert!(hash.starts_with("$argon2id$"));

    // The password from standard input, for a second admin.
    let from_stdin = create_admin(
        &data_dir,
        &["--email", "ops@example.com"],
        "piped passphrase!\n",
    );
    assert!(from_stdin.status.success());
    assert_eq!(
        stored_account(&data_dir, "ops@example.com").unwrap().0,
        "admin"
    );

    // Running it again promotes and keeps the password.
    let again = create_admin(
        &data_dir,
        &[
            "--email",
            "root@example.com",
            "--password",
            "ignored one here",
        ],
        "",
    );
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stdout).contains("unchanged"));
    assert_eq!(
        stored_account(&data_dir, "root@example.com").unwrap().1,
        hash
    );

    // An ordinary (even deactivated) account is promoted and reactivated.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let db = crate::helpers::data_dir_db(data_dir.path()).await;
        let now = neoforge::time::Timestamp::now();
        let user = neoforge::users::model::User {
            id: uuid::Uuid::now_v7(),
            email: "member@example.com".into(),
            name: None,
            password_hash: hash.clone(),
            role: neoforge::users::model::Role::User,
            is_active: false,
            email_verified: false,
            created_at: now,
            updated_at: now,
        };
        neoforge::users::repo::insert(&mut db.write().await.unwrap(), &user)
            .await
            .unwrap();
        db.close();
    });
    drop(runtime);
    let promoted = create_admin(&data_dir, &["--email", "member@example.com"], "");
    assert!(promoted.status.success());
    assert_eq!(
        stored_account(&data_dir, "member@example.com").unwrap().0,
        "admin"
    );

    let weak = create_admin(
        &data_dir,
        &["--email", "x@example.com", "--password", "short"],
        "",
    );
    assert!(!weak.status.success());
    assert!(stored_account(&data_dir, "x@example.com").is_none());
}
