//! `GET /metrics`: every agreed family is described, and the ones the HTTP and database layers
//! emit move when requests arrive. The recorder is shared by every app in this process, so each
//! test compares one labelled series before and after its own requests.

use reqwest::StatusCode;
use uuid::Uuid;

use crate::helpers::TestApp;

/// The names agreed for dashboards and alerts, with their Prometheus types.
const FAMILIES: &[(&str, &str)] = &[
    ("neoforge_http_requests_total", "counter"),
    ("neoforge_http_request_duration_seconds", "histogram"),
    ("neoforge_http_requests_in_flight", "gauge"),
    ("neoforge_db_pool_connections", "gauge"),
    ("neoforge_db_pool_wait_seconds", "histogram"),
    ("neoforge_cache_requests_total", "counter"),
    ("neoforge_rate_limit_rejections_total", "counter"),
    ("neoforge_jobs_queue_depth", "gauge"),
    ("neoforge_jobs_retries_total", "counter"),
    ("neoforge_jobs_dead_total", "counter"),
    ("neoforge_job_duration_seconds", "histogram"),
    ("neoforge_auth_events_total", "counter"),
    ("neoforge_build_info", "gauge"),
    ("neoforge_backup_last_success_timestamp_seconds", "gauge"),
    ("neoforge_backups_total", "counter"),
    ("neoforge_cache_backend_up", "gauge"),
    ("neoforge_assistant_plans_total", "counter"),
    ("neoforge_assistant_request_duration_seconds", "histogram"),
    ("neoforge_assistant_tokens_total", "counter"),
];

async fn scrape(app: &TestApp) -> String {
    let response = app.get("/metrics", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()["content-type"].to_str().unwrap();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    response.text().await.unwrap()
}

/// The value of the series written exactly as `series` (name and labels), 0 when absent.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| {
            line.strip_prefix(series)
                .and_then(|rest| rest.strip_prefix(' '))
        })
        .map_or(0.0, |value| value.trim().parse().unwrap())
}

#[tokio::test]
async fn every_agreed_family_has_help_and_type() {
    let app = TestApp::spawn().await;
    let text = scrape(&app).await;
    for (name, kind) in FAMILIES {
        assert!(
            text.lines()
                .any(|line| line.starts_with(&format!("# HELP {name} ")) && line.len() > 20),
            "no HELP for {name}"
        );
        assert!(
            text.lines()
                .any(|line| line == format!("# TYPE {name} {kind}")),
            "no TYPE {kind} for {name}"
        );
    }
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(
        sample(
            &text,
            &format!(r#"neoforge_build_info{{version="{version}"}}"#)
        ),
        1.0
    );
}

#[tokio::test]
async fn requests_are_counted_and_timed_by_route_template() {
    let app = TestApp::spawn().await;
    let user = app.signed_in_user().await;
    let id = Uuid::now_v7();
    let count =
        r#"neoforge_http_requests_total{method="GET",route="/api/todos/{id}",status="404"}"#;
    let timed = r#"neoforge_http_request_duration_seconds_count{method="GET",route="/api/todos/{id}",status="404"}"#;
    let fast = r#"neoforge_http_request_duration_seconds_bucket{method="GET",route="/api/todos/{id}",status="404",le="+Inf"}"#;

    let before = scrape(&app).await;
    for _ in 0..3 {
        let response = app
            .get(&format!("/api/todos/{id}"), Some(&user.token))
            .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }
    let after = scrape(&app).await;

    assert!(sample(&after, count) >= sample(&before, count) + 3.0);
    assert!(sample(&after, timed) >= sample(&before, timed) + 3.0);
    assert!(sample(&after, fast) >= sample(&before, fast) + 3.0);
    assert!(
        !after.contains(&id.to_string()),
        "raw paths never become labels"
    );
}

#[tokio::test]
async fn unmatched_paths_share_one_label() {
    let app = TestApp::spawn().await;
    let series = r#"neoforge_http_requests_total{method="GET",route="unmatched",status="404"}"#;
    let before = scrape(&app).await;
    let path = format!("/no-such-page/{}", Uuid::new_v4());
    assert_eq!(app.get(&path, None).await.status(), StatusCode::NOT_FOUND);
    let after = scrape(&app).await;
    assert!(sample(&after, series) >= sample(&before, series) + 1.0);
    assert!(!after.contains(&path));
}

#[tokio::test]
async fn in_flight_requests_and_the_database_pool_are_reported() {
    let app = TestApp::spawn().await;
    let waits = "neoforge_db_pool_wait_seconds_count";
    let before = scrape(&app).await;
    assert_eq!(app.get("/ready", None).await.status(), StatusCode::OK);
    let after = scrape(&app).await;

    // The scrape itself is in flight while it renders.
    assert!(sample(&after, "neoforge_http_requests_in_flight") >= 1.0);
    assert!(sample(&after, waits) >= sample(&before, waits) + 1.0);
    // Apps in this test process share the gauges, so only this much holds for any of them.
    let size = sample(&after, r#"neoforge_db_pool_connections{state="size"}"#);
    assert!(size >= 1.0, "{size}");
    assert!(
        after
            .lines()
            .any(|line| line.starts_with(r#"neoforge_db_pool_connections{state="idle"} "#)),
        "the idle connections are reported"
    );
}

/// Wait out background work (start-up housekeeping) until every connection is back.
async fn settled(app: &TestApp) -> neoforge::db::PoolStatus {
    for _ in 0..100 {
        let status = app.db.pool_status();
        if status.idle == status.size {
            return status;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!(
        "connections were never returned: {:?}",
        app.db.pool_status()
    );
}

#[tokio::test]
async fn the_pool_status_counts_connections_lent_out() {
    let app = TestApp::spawn().await;
    assert!(settled(&app).await.size >= 1);
    let conn = app.db.write().await.unwrap();
    let busy = app.db.pool_status();
    assert!(busy.idle < busy.size, "{busy:?}");
    drop(conn);
    settled(&app).await;
}

#[tokio::test]
async fn auth_cache_rate_limit_and_job_families_move() {
    let app = TestApp::spawn_with(|settings| {
        // Every delivery fails: the retry series moves too.
        settings.smtp_url = Some("smtp://127.0.0.1:1".to_owned().into());
    })
    .await;
    let series = [
        r#"neoforge_auth_events_total{event="signup"}"#,
        r#"neoforge_auth_events_total{event="login_failed"}"#,
        r#"neoforge_cache_requests_total{cache="session",result="miss"}"#,
        r#"neoforge_cache_requests_total{cache="session",result="hit"}"#,
        r#"neoforge_rate_limit_rejections_total{policy="resend_user"}"#,
        r#"neoforge_jobs_retries_total{kind="send_email"}"#,
        r#"neoforge_job_duration_seconds_count{kind="send_email",outcome="retry"}"#,
    ];
    let before = scrape(&app).await;
    let user = app.signed_in_user().await;
    app.login(&user.email, "not the password").await;
    for _ in 0..2 {
        app.get("/api/users/me", Some(&user.token)).await;
    }
    for _ in 0..4 {
        app.post("/api/auth/resend-verification", Some(&user.token))
            .await;
    }
    assert!(app.run_jobs().await >= 1);
    let after = scrape(&app).await;
    for name in series {
        assert!(
            sample(&after, name) > sample(&before, name),
            "{name} did not move"
        );
    }
    assert!(
        after
            .lines()
            .any(|line| line.starts_with(r#"neoforge_jobs_queue_depth{state="pending"}"#)),
        "queue depth is reported"
    );
}
