//! The event-stream client of the realtime benchmarks (`scripts/bench-events`,
//! `scripts/bench-stack`): opens many `GET /api/events` streams at once and either holds them
//! (`hold`) or measures how long each todo change takes to reach every stream of its owner
//! (`fanout`). Writer and streams share one process and one monotonic clock, so a latency is
//! the difference of two `Instant`s.
//!
//! Build: `cargo build --release --example sse_bench`. Access tokens are read from a file, one
//! per line (never from the command line, where any process list would show them); streams
//! are spread over them round-robin.
//!
//! Output: one `name value` pair per line on standard output, for the scripts to read. The exit
//! status is 1 when anything went wrong, 0 otherwise: a stream not opened or closed early; in
//! `hold`, a stream short of heartbeats; in `fanout`, a failed write, or a missing, duplicate,
//! foreign or out-of-order event, or a `resync`. (Under concurrent writes, `resync` after a
//! lagging stream and, on the PostgreSQL bus, ids out of order can be legitimate: `hold`
//! counts them without failing.)

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use reqwest::{Client, StatusCode};
use serde_json::Value;
use tokio::sync::{Notify, Semaphore, watch};
use tokio::time::MissedTickBehavior;

#[derive(Parser)]
#[command(about = "Event-stream load client for the realtime benchmarks")]
struct Cli {
    /// The server's base URL, e.g. http://127.0.0.1:18200.
    #[arg(long)]
    base: String,
    /// A file with one access token per line.
    #[arg(long)]
    tokens: PathBuf,
    /// Streams being opened at the same time (connection set-up, not the total).
    #[arg(long, default_value_t = 200)]
    open_concurrency: usize,
    /// Seconds allowed for every stream to open.
    #[arg(long, default_value_t = 120)]
    open_timeout: u64,
    /// Written once every stream has been tried: the number opened.
    #[arg(long)]
    ready_file: Option<PathBuf>,
    #[command(subcommand)]
    mode: Mode,
}

#[derive(Subcommand)]
enum Mode {
    /// Open streams and keep them open, counting what arrives.
    Hold {
        /// Streams in all, spread over the tokens.
        #[arg(long)]
        streams: usize,
        /// Seconds to hold them once open; 0: until SIGTERM or SIGINT.
        #[arg(long, default_value_t = 0)]
        hold: u64,
        /// Every stream must have received at least this many heartbeat comments.
        #[arg(long, default_value_t = 0)]
        min_heartbeats: u32,
    },
    /// Open streams per token, then create todos (round-robin over the tokens) at a steady
    /// rate and time each event's arrival on every stream of the todo's owner.
    Fanout {
        #[arg(long)]
        streams_per_user: usize,
        #[arg(long, default_value_t = 200)]
        writes: usize,
        /// Writes per second.
        #[arg(long, default_value_t = 20.0)]
        rate: f64,
        /// Seconds to wait after the last write for the last events.
        #[arg(long, default_value_t = 10)]
        grace: u64,
        /// Every (write, stream) latency as TSV, for a closer look.
        #[arg(long)]
        raw: Option<PathBuf>,
    },
}

/// Shared between the streams and the main task.
struct Progress {
    /// Streams that got their 200 (or failed to).
    opened: AtomicUsize,
    failed: AtomicUsize,
    settled: Notify,
    /// `todo.created` events recorded so far (fan-out only).
    arrived: AtomicUsize,
    arrived_notify: Notify,
}

/// One event as received.
struct Arrival {
    todo_id: String,
    at: Instant,
}

#[derive(Default)]
struct StreamOutcome {
    user: usize,
    opened: bool,
    error: Option<String>,
    closed_early: bool,
    events: u64,
    resyncs: u64,
    heartbeats: u32,
    out_of_order: u64,
    /// Created events, when recording (fan-out).
    created: Vec<Arrival>,
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(err) => {
            eprintln!("sse_bench: {err:#}");
            println!("fatal 1");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<bool> {
    let tokens: Vec<String> = std::fs::read_to_string(&cli.tokens)
        .with_context(|| format!("reading {}", cli.tokens.display()))?
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect();
    if tokens.is_empty() {
        bail!("no tokens in {}", cli.tokens.display());
    }
    let client = Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .tcp_nodelay(true)
        .build()?;
    let base = cli.base.trim_end_matches('/').to_owned();
    let progress = Arc::new(Progress {
        opened: AtomicUsize::new(0),
        failed: AtomicUsize::new(0),
        settled: Notify::new(),
        arrived: AtomicUsize::new(0),
        arrived_notify: Notify::new(),
    });
    let (stop_tx, stop_rx) = watch::channel(false);
    let gate = Arc::new(Semaphore::new(cli.open_concurrency.max(1)));

    let (streams, record) = match &cli.mode {
        Mode::Hold { streams, .. } => (*streams, false),
        Mode::Fanout {
            streams_per_user, ..
        } => (streams_per_user * tokens.len(), true),
    };
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(streams);
    for index in 0..streams {
        let user = index % tokens.len();
        tasks.push(tokio::spawn(follow(
            client.clone(),
            format!("{base}/api/events"),
            tokens[user].clone(),
            user,
            record,
            Arc::clone(&gate),
            Arc::clone(&progress),
            stop_rx.clone(),
        )));
    }
    // Wait until every stream has its answer.
    let deadline = started + Duration::from_secs(cli.open_timeout);
    loop {
        let settled = progress.settled.notified();
        let done = progress.opened.load(Ordering::SeqCst) + progress.failed.load(Ordering::SeqCst);
        if done >= streams {
            break;
        }
        if tokio::time::timeout_at(deadline.into(), settled)
            .await
            .is_err()
        {
            break;
        }
    }
    let opened = progress.opened.load(Ordering::SeqCst);
    let open_ms = started.elapsed().as_secs_f64() * 1e3;
    if let Some(path) = &cli.ready_file {
        std::fs::write(path, format!("{opened}\n"))?;
    }
    println!("streams_requested {streams}");
    println!("streams_opened {opened}");
    println!("open_ms {open_ms:.0}");

    let mut ok = opened == streams;
    let writes = match cli.mode {
        Mode::Hold { hold, .. } => {
            if hold == 0 {
                wait_for_signal().await?;
            } else {
                tokio::time::sleep(Duration::from_secs(hold)).await;
            }
            None
        }
        Mode::Fanout {
            streams_per_user,
            writes,
            rate,
            grace,
            ..
        } => {
            let result = write_todos(&client, &base, &tokens, writes, rate).await;
            // Wait for every expected arrival, or the grace period.
            let expected = result.iter().filter(|w| w.todo_id.is_some()).count() * streams_per_user;
            let until = Instant::now() + Duration::from_secs(grace);
            loop {
                let notified = progress.arrived_notify.notified();
                if progress.arrived.load(Ordering::SeqCst) >= expected {
                    break;
                }
                if tokio::time::timeout_at(until.into(), notified)
                    .await
                    .is_err()
                {
                    break;
                }
            }
            // A moment more, so that a duplicate would be seen.
            tokio::time::sleep(Duration::from_millis(300)).await;
            Some(result)
        }
    };
    let held_s = started.elapsed().as_secs_f64();
    stop_tx.send_replace(true);
    let mut outcomes = Vec::with_capacity(streams);
    for task in tasks {
        outcomes.push(task.await?);
    }

    // What every stream saw.
    let first_error = outcomes.iter().find_map(|o| o.error.clone());
    let closed_early = outcomes.iter().filter(|o| o.closed_early).count();
    let events: u64 = outcomes.iter().map(|o| o.events).sum();
    let resyncs: u64 = outcomes.iter().map(|o| o.resyncs).sum();
    let out_of_order: u64 = outcomes.iter().map(|o| o.out_of_order).sum();
    let open: Vec<&StreamOutcome> = outcomes.iter().filter(|o| o.opened).collect();
    let min_heartbeats = open.iter().map(|o| o.heartbeats).min().unwrap_or(0);
    println!("open_errors {}", streams - opened);
    println!("closed_early {closed_early}");
    println!("events {events}");
    println!("resyncs {resyncs}");
    println!("out_of_order_ids {out_of_order}");
    println!("heartbeats_min {min_heartbeats}");
    println!("seconds {held_s:.1}");
    if let Some(error) = &first_error {
        println!("first_error {}", error.replace(char::is_whitespace, "_"));
    }
    ok &= closed_early == 0;

    match cli.mode {
        Mode::Hold {
            min_heartbeats: want,
            ..
        } => {
            let quiet = open.iter().filter(|o| o.heartbeats < want).count();
            println!("streams_short_of_heartbeats {quiet}");
            ok &= quiet == 0;
        }
        Mode::Fanout { raw, .. } => {
            let writes = writes.unwrap_or_default();
            // One writer, one write at a time: ids must increase on every stream.
            ok &= resyncs == 0 && out_of_order == 0;
            ok &= fanout_report(&writes, &outcomes, raw.as_deref())?;
        }
    }
    println!("ok {}", u8::from(ok));
    Ok(ok)
}

async fn wait_for_signal() -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    Ok(())
}

/// Open one stream, then read it until told to stop.
#[allow(clippy::too_many_arguments)]
async fn follow(
    client: Client,
    url: String,
    token: String,
    user: usize,
    record: bool,
    gate: Arc<Semaphore>,
    progress: Arc<Progress>,
    mut stop: watch::Receiver<bool>,
) -> StreamOutcome {
    let mut outcome = StreamOutcome {
        user,
        ..StreamOutcome::default()
    };
    // The gate bounds connection set-up; its wait is not part of the 60 s allowed to answer.
    let permit = gate.acquire().await.ok();
    let opening = async {
        let response = client
            .get(&url)
            .bearer_auth(&token)
            .header("Accept", "text/event-stream")
            .send()
            .await
            .map_err(|err| format!("connect: {err}"))?;
        if response.status() != StatusCode::OK {
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            let body: String = body.chars().take(200).collect();
            return Err(format!("status {status}: {body}"));
        }
        Ok(response)
    };
    let response = tokio::time::timeout(Duration::from_secs(60), opening).await;
    drop(permit);
    let mut response = match response {
        Ok(Ok(response)) => {
            outcome.opened = true;
            progress.opened.fetch_add(1, Ordering::SeqCst);
            progress.settled.notify_waiters();
            response
        }
        Ok(Err(err)) => {
            outcome.error = Some(err);
            progress.failed.fetch_add(1, Ordering::SeqCst);
            progress.settled.notify_waiters();
            return outcome;
        }
        Err(_) => {
            outcome.error = Some("no answer within 60 s".into());
            progress.failed.fetch_add(1, Ordering::SeqCst);
            progress.settled.notify_waiters();
            return outcome;
        }
    };

    let mut buffer: Vec<u8> = Vec::new();
    let mut last_id = 0u64;
    loop {
        let chunk = tokio::select! {
            _ = stop.wait_for(|stop| *stop) => break,
            chunk = response.chunk() => chunk,
        };
        let at = Instant::now();
        match chunk {
            Ok(Some(bytes)) => buffer.extend_from_slice(&bytes),
            Ok(None) => {
                outcome.closed_early = true;
                break;
            }
            Err(err) => {
                outcome.closed_early = true;
                outcome.error.get_or_insert_with(|| format!("read: {err}"));
                break;
            }
        }
        while let Some(end) = find_block_end(&buffer) {
            let block: Vec<u8> = buffer.drain(..end).collect();
            let block = String::from_utf8_lossy(&block);
            let Some(event) = parse_block(&block) else {
                continue;
            };
            match event {
                Block::Comment => outcome.heartbeats += 1,
                Block::Event { name, id, data } => {
                    outcome.events += 1;
                    if let Some(id) = id {
                        if id <= last_id && name != "resync" {
                            outcome.out_of_order += 1;
                        }
                        last_id = last_id.max(id);
                    }
                    if name == "resync" {
                        outcome.resyncs += 1;
                    } else if record && name == "todo.created" {
                        let todo_id = serde_json::from_str::<Value>(data)
                            .ok()
                            .and_then(|v| v.get("id").and_then(Value::as_str).map(str::to_owned))
                            .unwrap_or_default();
                        outcome.created.push(Arrival { todo_id, at });
                        progress.arrived.fetch_add(1, Ordering::SeqCst);
                        progress.arrived_notify.notify_waiters();
                    }
                }
            }
        }
    }
    outcome
}

/// The end (exclusive, separator included) of the first complete block in the buffer.
fn find_block_end(buffer: &[u8]) -> Option<usize> {
    buffer
        .windows(2)
        .position(|pair| pair == b"\n\n")
        .map(|at| at + 2)
}

enum Block<'a> {
    Comment,
    Event {
        name: &'a str,
        id: Option<u64>,
        data: &'a str,
    },
}

fn parse_block(block: &str) -> Option<Block<'_>> {
    let (mut name, mut id, mut data, mut comment) = (None, None, "", false);
    for line in block.lines() {
        let line = line.trim_end_matches('\r');
        if line.starts_with(':') {
            comment = true;
            continue;
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "event" => name = Some(value),
            "id" => id = value.parse().ok(),
            "data" => data = value,
            _ => {}
        }
    }
    match name {
        Some(name) => Some(Block::Event { name, id, data }),
        None if comment => Some(Block::Comment),
        None => None,
    }
}

/// One write of the fan-out.
#[derive(Default)]
struct Write {
    user: usize,
    todo_id: Option<String>,
    sent: Option<Instant>,
    acked: Option<Instant>,
}

async fn write_todos(
    client: &Client,
    base: &str,
    tokens: &[String],
    writes: usize,
    rate: f64,
) -> Vec<Write> {
    let mut every = tokio::time::interval(Duration::from_secs_f64(1.0 / rate.max(0.01)));
    every.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut done = Vec::with_capacity(writes);
    let mut failures = 0usize;
    for index in 0..writes {
        every.tick().await;
        let user = index % tokens.len();
        let sent = Instant::now();
        let response = client
            .post(format!("{base}/api/todos"))
            .bearer_auth(&tokens[user])
            .json(&serde_json::json!({ "title": format!("fan-out {index}") }))
            .timeout(Duration::from_secs(30))
            .send()
            .await;
        let acked = Instant::now();
        let mut write = Write {
            user,
            sent: Some(sent),
            acked: Some(acked),
            ..Write::default()
        };
        match response {
            Ok(response) if response.status() == StatusCode::CREATED => {
                write.todo_id = response
                    .json::<Value>()
                    .await
                    .ok()
                    .and_then(|v| v.get("id").and_then(Value::as_str).map(str::to_owned));
                if write.todo_id.is_none() {
                    failures += 1;
                }
            }
            Ok(response) => {
                failures += 1;
                if failures <= 3 {
                    eprintln!("sse_bench: write {index}: status {}", response.status());
                }
            }
            Err(err) => {
                failures += 1;
                if failures <= 3 {
                    eprintln!("sse_bench: write {index}: {err}");
                }
            }
        }
        done.push(write);
    }
    done
}

/// Match arrivals to writes; print latencies and the counts that must be zero.
fn fanout_report(
    writes: &[Write],
    outcomes: &[StreamOutcome],
    raw: Option<&std::path::Path>,
) -> anyhow::Result<bool> {
    let by_id: HashMap<&str, usize> = writes
        .iter()
        .enumerate()
        .filter_map(|(i, w)| w.todo_id.as_deref().map(|id| (id, i)))
        .collect();
    let write_errors = writes.iter().filter(|w| w.todo_id.is_none()).count();
    let (mut from_ack, mut from_send) = (Vec::new(), Vec::new());
    let (mut missing, mut duplicates, mut foreign, mut before_ack) =
        (0usize, 0usize, 0usize, 0usize);
    let mut rows = String::from("write\tuser\tstream\tfrom_201_us\tfrom_send_us\n");
    for (stream, outcome) in outcomes.iter().enumerate().filter(|(_, o)| o.opened) {
        let mut seen = HashSet::new();
        for arrival in &outcome.created {
            match by_id.get(arrival.todo_id.as_str()) {
                Some(&i) if writes[i].user == outcome.user => {
                    if !seen.insert(i) {
                        duplicates += 1;
                        continue;
                    }
                    let write = &writes[i];
                    let (sent, acked) = (
                        write.sent.unwrap_or(arrival.at),
                        write.acked.unwrap_or(arrival.at),
                    );
                    // The event may overtake the 201 (it is published before the response is
                    // written): that counts as zero from the 201.
                    let ack = arrival.at.checked_duration_since(acked).unwrap_or_else(|| {
                        before_ack += 1;
                        Duration::ZERO
                    });
                    let send = arrival.at.saturating_duration_since(sent);
                    from_ack.push(ack.as_secs_f64() * 1e3);
                    from_send.push(send.as_secs_f64() * 1e3);
                    rows.push_str(&format!(
                        "{i}\t{}\t{stream}\t{}\t{}\n",
                        outcome.user,
                        ack.as_micros(),
                        send.as_micros()
                    ));
                }
                _ => foreign += 1,
            }
        }
        missing += writes
            .iter()
            .enumerate()
            .filter(|(i, w)| w.user == outcome.user && w.todo_id.is_some() && !seen.contains(i))
            .count();
    }
    if let Some(path) = raw {
        std::fs::write(path, rows)?;
    }
    let stats = |name: &str, values: &mut Vec<f64>| {
        values.sort_by(f64::total_cmp);
        println!("{name}_p50_ms {:.2}", percentile(values, 50.0));
        println!("{name}_p99_ms {:.2}", percentile(values, 99.0));
        println!("{name}_max_ms {:.2}", values.last().copied().unwrap_or(0.0));
    };
    println!("writes {}", writes.len());
    println!("write_errors {write_errors}");
    println!("pairs {}", from_ack.len());
    stats("latency", &mut from_ack);
    stats("from_send", &mut from_send);
    println!("arrived_before_201 {before_ack}");
    println!("missing {missing}");
    println!("duplicates {duplicates}");
    println!("foreign {foreign}");
    Ok(
        write_errors == 0
            && missing == 0
            && duplicates == 0
            && foreign == 0
            && !from_ack.is_empty(),
    )
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}
