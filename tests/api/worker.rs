//! `neoforge worker` as an operator runs it: its job metrics and probes on its own address,
//! and a clean stop on SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use neoforge::email::Email;
use neoforge::jobs::{Job, JobQueue};

/// A plain HTTP/1.1 GET: the status code and the body.
fn get(port: u16, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {response}"));
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// The value of the first sample of `family` whose labels include every one of `labels`.
fn sample(text: &str, family: &str, labels: &[&str]) -> Option<f64> {
    text.lines().find_map(|line| {
        let rest = line.strip_prefix(family)?.strip_prefix('{')?;
        let (series_labels, value) = rest.split_once("} ")?;
        let wanted = labels
            .iter()
            .all(|label| series_labels.split(',').any(|pair| pair == *label));
        wanted.then(|| value.trim().parse().unwrap())
    })
}

#[test]
fn the_worker_reports_job_metrics_and_probes_then_stops_on_sigterm() {
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
        .arg("worker")
        .env("NEOFORGE_DATA_DIR", data_dir.path())
        .env("NEOFORGE_WORKER_ADDR", "127.0.0.1:0")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(worker.stdout.take().unwrap()).lines();
    let port: u16 = lines
        .by_ref()
        .map_while(Result::ok)
        .find(|line| line.contains("listening"))
        .map(|line| {
            let log: serde_json::Value = serde_json::from_str(&line).unwrap();
            let addr = log["addr"].as_str().unwrap().to_owned();
            addr.rsplit(':').next().unwrap().parse().unwrap()
        })
        .expect("the worker logs the address it listens on");
    // Keep reading the log, so the worker never blocks on a full pipe.
    let log = std::thread::spawn(move || lines.map_while(Result::ok).collect::<Vec<_>>());

    // The queued email is sent by this process: its job metrics appear in its own scrape.
    let deadline = Instant::now() + Duration::from_secs(30);
    let metrics = loop {
        let (status, text) = get(port, "/metrics");
        assert_eq!(status, 200, "{text}");
        let done = sample(
            &text,
            "neoforge_job_duration_seconds_count",
            &[r#"kind="send_email""#, r#"outcome="success""#],
        );
        let pending = sample(&text, "neoforge_jobs_queue_depth", &[r#"state="pending""#]);
        if (done == Some(1.0) && pending == Some(0.0)) || Instant::now() > deadline {
            break text;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(
        sample(
            &metrics,
            "neoforge_job_duration_seconds_count",
            &[r#"kind="send_email""#, r#"outcome="success""#]
        ),
        Some(1.0),
        "{metrics}"
    );
    assert_eq!(
        sample(
            &metrics,
            "neoforge_jobs_queue_depth",
            &[r#"state="pending""#]
        ),
        Some(0.0),
        "{metrics}"
    );
    for family in [
        "# TYPE neoforge_jobs_retries_total counter",
        "# TYPE neoforge_jobs_dead_total counter",
        "# TYPE neoforge_build_info gauge",
    ] {
        assert!(metrics.lines().any(|line| line == family), "{family}");
    }

    let (status, health) = get(port, "/health");
    assert_eq!(status, 200);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&health).unwrap()["status"],
        "ok"
    );
    let (status, ready) = get(port, "/ready");
    assert_eq!(status, 200, "{ready}");
    let ready: serde_json::Value = serde_json::from_str(&ready).unwrap();
    assert_eq!(ready["checks"]["database"], "ok");
    assert_eq!(
        get(port, "/api/todos").0,
        404,
        "no API on the worker's address"
    );

    Command::new("kill")
        .args(["-TERM", &worker.id().to_string()])
        .status()
        .unwrap();
    let status = worker.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    let log = log.join().unwrap();
    assert!(
        log.iter().any(|line| line.contains("job worker stopped")),
        "{log:?}"
    );
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
}
