//! The process-wide Prometheus recorder and the catalogue of metric families. Code anywhere
//! emits through the `metrics` macros with the names below; `/metrics` renders them.

use std::fmt::Write;
use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

pub const HTTP_REQUESTS: &str = "neoforge_http_requests_total";
pub const HTTP_REQUEST_DURATION: &str = "neoforge_http_request_duration_seconds";
pub const HTTP_REQUESTS_IN_FLIGHT: &str = "neoforge_http_requests_in_flight";
pub const DB_POOL_CONNECTIONS: &str = "neoforge_db_pool_connections";
pub const DB_POOL_WAIT: &str = "neoforge_db_pool_wait_seconds";
pub const CACHE_REQUESTS: &str = "neoforge_cache_requests_total";
pub const CACHE_BACKEND_UP: &str = "neoforge_cache_backend_up";
pub const RATE_LIMIT_REJECTIONS: &str = "neoforge_rate_limit_rejections_total";
pub const JOBS_QUEUE_DEPTH: &str = "neoforge_jobs_queue_depth";
pub const JOBS_RETRIES: &str = "neoforge_jobs_retries_total";
pub const JOBS_DEAD: &str = "neoforge_jobs_dead_total";
pub const JOB_DURATION: &str = "neoforge_job_duration_seconds";
pub const AUTH_EVENTS: &str = "neoforge_auth_events_total";
pub const BUILD_INFO: &str = "neoforge_build_info";
pub const BACKUP_LAST_SUCCESS: &str = "neoforge_backup_last_success_timestamp_seconds";
pub const BACKUPS: &str = "neoforge_backups_total";
pub const EVENTS_STREAMS_OPEN: &str = "neoforge_events_streams_open";
pub const EVENTS_PUBLISHED: &str = "neoforge_events_published_total";
pub const EVENTS_DELIVERED: &str = "neoforge_events_delivered_total";
pub const EVENTS_BUS_UP: &str = "neoforge_events_bus_up";
pub const MCP_TOOL_CALL_DURATION: &str = "neoforge_mcp_tool_call_duration_seconds";
pub const ASSISTANT_PLANS: &str = "neoforge_assistant_plans_total";
pub const ASSISTANT_DURATION: &str = "neoforge_assistant_request_duration_seconds";
pub const ASSISTANT_TOKENS: &str = "neoforge_assistant_tokens_total";

/// The Prometheus content type of the text exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

#[derive(Clone, Copy)]
enum Kind {
    Counter,
    Gauge,
    Histogram,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        }
    }
}

/// Every family the application emits, with its help text: all are described at start-up, so
/// a dashboard finds each one even before its first sample.
const FAMILIES: &[(&str, Kind, &str)] = &[
    (
        HTTP_REQUESTS,
        Kind::Counter,
        "HTTP requests answered, by method, route template and status.",
    ),
    (
        HTTP_REQUEST_DURATION,
        Kind::Histogram,
        "Time from receiving a request to sending its response head, by method, route template and status.",
    ),
    (
        HTTP_REQUESTS_IN_FLIGHT,
        Kind::Gauge,
        "HTTP requests being handled right now.",
    ),
    (
        DB_POOL_CONNECTIONS,
        Kind::Gauge,
        "Database connections held by the pools (state=size) and how many of them are idle (state=idle).",
    ),
    (
        DB_POOL_WAIT,
        Kind::Histogram,
        "Time spent waiting to check a connection out of a database pool.",
    ),
    (
        CACHE_REQUESTS,
        Kind::Counter,
        "Cache look-ups, by cache and result (hit or miss).",
    ),
    (
        CACHE_BACKEND_UP,
        Kind::Gauge,
        "1 while the shared cache backend answers, 0 while the app runs without it.",
    ),
    (
        RATE_LIMIT_REJECTIONS,
        Kind::Counter,
        "Requests refused with 429, by rate-limit policy.",
    ),
    (
        JOBS_QUEUE_DEPTH,
        Kind::Gauge,
        "Background jobs waiting to run (state=pending) or given up on (state=dead).",
    ),
    (
        JOBS_RETRIES,
        Kind::Counter,
        "Background job attempts that failed and were scheduled again, by kind.",
    ),
    (
        JOBS_DEAD,
        Kind::Counter,
        "Background jobs moved to the dead-letter state after their last attempt, by kind.",
    ),
    (
        JOB_DURATION,
        Kind::Histogram,
        "Time a background job attempt took, by kind and outcome.",
    ),
    (
        AUTH_EVENTS,
        Kind::Counter,
        "Security events (sign-ups, logins and their failures, logouts, ...), by event.",
    ),
    (
        BUILD_INFO,
        Kind::Gauge,
        "Always 1; the version label names the running build.",
    ),
    (
        BACKUP_LAST_SUCCESS,
        Kind::Gauge,
        "Unix time of the last scheduled backup that succeeded.",
    ),
    (
        BACKUPS,
        Kind::Counter,
        "Scheduled backups attempted, by outcome (success or failure).",
    ),
    (
        EVENTS_STREAMS_OPEN,
        Kind::Gauge,
        "Realtime event streams open on this replica.",
    ),
    (
        EVENTS_PUBLISHED,
        Kind::Counter,
        "Realtime messages published on the event bus, by outcome: ok (handed to the bus), failed (refused at once), dropped (queued, then lost with a failed PostgreSQL notification).",
    ),
    (
        EVENTS_DELIVERED,
        Kind::Counter,
        "Todo change events written to this replica's streams.",
    ),
    (
        EVENTS_BUS_UP,
        Kind::Gauge,
        "1 while this replica is connected to the realtime event bus, 0 while it reconnects.",
    ),
    (
        MCP_TOOL_CALL_DURATION,
        Kind::Histogram,
        "MCP tool calls at /mcp and how long each took, by tool and outcome (ok or error).",
    ),
    (
        ASSISTANT_PLANS,
        Kind::Counter,
        "Plans asked of the assistant, by outcome: ok, malformed (the answer could not be read), timeout, rate_limited (the model's service kept answering 429), upstream_error (unreachable, 5xx or refused), quota (the user's daily quota was used up).",
    ),
    (
        ASSISTANT_DURATION,
        Kind::Histogram,
        "Time the model's service took for one plan, every attempt and pause included, by outcome.",
    ),
    (
        ASSISTANT_TOKENS,
        Kind::Counter,
        "Tokens the model's service reported using, by kind (prompt or completion).",
    ),
];

/// Upper bounds, in seconds, of the latency histograms' buckets: sub-millisecond database and
/// cache work up to requests that hit the 30 s time-out.
const SECONDS_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Histogram samples are buffered until drained; drain them even when nobody scrapes.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Install the recorder for the whole process and describe every family. Idempotent: many
/// applications started in one process (the tests) share one recorder.
pub fn install() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS_BUCKETS)
            .expect("the bucket list is not empty");
        let handle = match builder.install_recorder() {
            Ok(handle) => handle,
            Err(err) => {
                tracing::warn!(error = %err, "another metrics recorder is installed; /metrics stays empty");
                PrometheusBuilder::new().build_recorder().handle()
            }
        };
        for &(name, kind, help) in FAMILIES {
            match kind {
                Kind::Counter => metrics::describe_counter!(name, help),
                Kind::Gauge => metrics::describe_gauge!(name, help),
                Kind::Histogram => metrics::describe_histogram!(name, help),
            }
        }
        metrics::gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
        metrics::gauge!(HTTP_REQUESTS_IN_FLIGHT).set(0.0);
        let upkeep = handle.clone();
        let spawned = std::thread::Builder::new()
            .name("metrics-upkeep".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(UPKEEP_EVERY);
                    upkeep.run_upkeep();
                }
            });
        if let Err(err) = spawned {
            tracing::warn!(error = %err, "could not start the metrics upkeep thread");
        }
        handle
    })
}

/// The exposition text: every recorded series, then a `HELP`/`TYPE` header for each family
/// that has no series yet.
pub fn render() -> String {
    let mut text = install().render();
    for &(name, kind, help) in FAMILIES {
        let has_type = text.contains(&format!("# TYPE {name} "));
        if !has_type {
            let _ = write!(
                text,
                "# HELP {name} {help}\n# TYPE {name} {}\n\n",
                kind.as_str()
            );
        }
    }
    text
}
