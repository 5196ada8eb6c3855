//! The durable job queue and email delivery: retries with backoff, dead jobs, recovery after
//! a crash mid-job, several workers at once, real SMTP, and `neoforge worker`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use neoforge::email::Email;
use neoforge::jobs::{Job, JobQueue};
use reqwest::StatusCode;

use crate::helpers::{PASSWORD, TestApp};

async fn queue_welcome(app: &TestApp, to: &str) {
    let mut conn = app.db.write().await.unwrap();
    let email = Email::Welcome {
        to: to.to_owned(),
        name: None,
    };
    JobQueue::enqueue(&mut conn, &Job::SendEmail(email))
        .await
        .unwrap();
}

/// `(status, attempts, run_at, last_error)` of the only job in the queue.
async fn the_job(app: &TestApp) -> (String, i64, i64, Option<String>) {
    let mut conn = app.db.read().await.unwrap();
    conn.query_one(
        "SELECT status, attempts, run_at, last_error FROM jobs",
        &[],
        |row| Ok((row.text(0)?, row.int(1)?, row.int(2)?, row.opt_text(3)?)),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn failed_deliveries_retry_with_backoff_then_the_job_is_dead() {
    // Nothing listens on port 1: every delivery fails.
    let app = TestApp::spawn_with(|settings| {
        settings.smtp_url = Some("smtp://127.0.0.1:1".to_owned().into());
    })
    .await;
    let registered = app.register("ada@example.com", PASSWORD).await;
    assert_eq!(
        registered.status(),
        StatusCode::CREATED,
        "the sign-up does not wait for email"
    );

    let before = neoforge::time::Timestamp::now().as_millis();
    assert_eq!(app.run_jobs().await, 1);
    let (status, attempts, run_at, error) = the_job(&app).await;
    assert_eq!((status.as_str(), attempts), ("pending", 1));
    assert!(run_at >= before + 5_000, "the first retry waits about 5 s");
    assert!(error.unwrap().contains("SMTP"));
    assert_eq!(app.run_jobs().await, 0, "not due yet");

    // The last attempt fails too: the job is dead, kept for inspection.
    app.sql(
        "UPDATE jobs SET run_at = 0, attempts = max_attempts - 1",
        &[],
    )
    .await;
    assert_eq!(app.run_jobs().await, 1);
    let (status, ..) = the_job(&app).await;
    assert_eq!(status, "dead");
    app.sql("UPDATE jobs SET run_at = 0", &[]).await;
    assert_eq!(app.run_jobs().await, 0, "dead jobs are not retried");
}

#[tokio::test]
async fn a_job_whose_worker_died_runs_again_once_its_lease_ends() {
    let app = TestApp::spawn().await;
    queue_welcome(&app, "ada@example.com").await;
    // A worker claimed it and was killed: the job is `running` with a lease.
    let far = neoforge::time::Timestamp::now().as_millis() + 60_000;
    app.sql(
        "UPDATE jobs SET status = 'running', attempts = 1, locked_until = $1",
        &[far.into()],
    )
    .await;
    assert_eq!(app.run_jobs().await, 0, "the lease still holds");
    app.sql("UPDATE jobs SET locked_until = 0", &[]).await;
    assert_eq!(app.run_jobs().await, 1);
    assert_eq!(app.emails_to("ada@example.com").await.len(), 1);
    let mut conn = app.db.read().await.unwrap();
    let left = conn
        .query_one("SELECT COUNT(*) FROM jobs", &[], |row| row.int(0))
        .await
        .unwrap();
    assert_eq!(left, 0, "done jobs leave the queue");
}

#[tokio::test]
async fn several_workers_run_each_job_exactly_once() {
    let app = TestApp::spawn().await;
    let recipients: Vec<String> = (0..24).map(|n| format!("user{n}@example.com")).collect();
    for to in &recipients {
        queue_welcome(&app, to).await;
    }
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let worker = app.worker().clone();
            tokio::spawn(async move { worker.run_until_idle().await.unwrap() })
        })
        .collect();
    let mut ran = 0;
    for worker in workers {
        ran += worker.await.unwrap();
    }
    assert_eq!(ran, recipients.len());
    for to in &recipients {
        assert_eq!(app.emails_to(to).await.len(), 1, "{to}");
    }
}

/// A real SMTP server (aiosmtpd) saving each message it receives into a directory.
struct SmtpSink {
    child: Child,
    port: u16,
    inbox: tempfile::TempDir,
}

/// A Python with aiosmtpd, installed once into the target dir.
fn smtp_python() -> PathBuf {
    static INSTALL: Mutex<()> = Mutex::new(());
    let _once = INSTALL.lock().unwrap();
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("smtp-venv");
    let python = venv.join("bin/python");
    let ready = venv.join(".aiosmtpd-installed");
    if !ready.exists() {
        let created = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .expect("python3 is installed");
        assert!(created.success(), "creating a virtualenv for aiosmtpd");
        let installed = Command::new(&python)
            .args(["-m", "pip", "install", "--quiet", "aiosmtpd==1.4.6"])
            .status()
            .unwrap();
        assert!(installed.success(), "installing aiosmtpd from PyPI");
        std::fs::write(&ready, "").unwrap();
    }
    python
}

impl SmtpSink {
    fn start() -> Self {
        let python = smtp_python();
        let port = crate::support::spare_port();
        let inbox = tempfile::tempdir().unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_sink.py");
        let mut child = Command::new(python)
            .arg(script)
            .arg(port.to_string())
            .arg(inbox.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "ready", "the SMTP sink started");
        Self { child, port, inbox }
    }

    fn messages(&self) -> Vec<String> {
        let mut paths: Vec<_> = std::fs::read_dir(self.inbox.path())
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "eml"))
            .collect();
        paths.sort();
        paths
            .into_iter()
            .map(|path| std::fs::read_to_string(path).unwrap())
            .collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn emails_are_delivered_over_smtp() {
    let sink = tokio::task::spawn_blocking(SmtpSink::start).await.unwrap();
    let url = format!("smtp://127.0.0.1:{}", sink.port);
    let app = TestApp::spawn_with(move |settings| {
        settings.smtp_url = Some(url.into());
    })
    .await;
    let user = app.signed_in_user().await;
    assert_eq!(app.run_jobs().await, 1);

    let messages = sink.messages();
    assert_eq!(messages.len(), 1);
    let message = &messages[0];
    assert!(message.contains(&format!("To: {}", user.email)));
    assert!(message.contains("From: NeoForge <noreply@localhost>"));
    assert!(message.contains("Subject: Confirm your email address for NeoForge"));
    let token = crate::helpers::link_token(message, "/verify-email").expect("a link");
    let verified = app
        .send_json(
            reqwest::Method::POST,
            "/api/auth/verify-email",
            None,
            &serde_json::json!({"token": token}),
        )
        .await;
    assert_eq!(verified.status(), StatusCode::NO_CONTENT);
    assert!(
        !app.settings.data_dir.join("mail").exists(),
        "nothing goes to the outbox when SMTP is configured"
    );
}

#[test]
fn the_worker_command_runs_queued_jobs_until_sigterm() {
    let data_dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let db = crate::helpers::data_dir_db(data_dir.path()).await;
        let email = Email::Welcome {
            to: "ada@example.com".into(),
            name: None,
        };
        JobQueue::enqueue(&mut db.write().await.unwrap(), &Job::SendEmail(email))
            .await
            .unwrap();
        db.close();
    });

    let mut worker = Command::new(crate::helpers::binary())
        .env_clear()
        .args(["worker", "--worker-addr", "off", "--data-dir"])
        .arg(data_dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let outbox = data_dir.path().join("mail");
    let deadline = Instant::now() + Duration::from_secs(20);
    let delivered = loop {
        let count = std::fs::read_dir(&outbox).map_or(0, |dir| {
            dir.filter(|entry| {
                entry
                    .as_ref()
                    .is_ok_and(|entry| entry.path().extension().is_some_and(|ext| ext == "eml"))
            })
            .count()
        });
        if count > 0 || Instant::now() > deadline {
            break count;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Command::new("kill")
        .args(["-TERM", &worker.id().to_string()])
        .status()
        .unwrap();
    let status = worker.wait().unwrap();
    assert_eq!(delivered, 1);
    assert!(status.success(), "{status}");
}
