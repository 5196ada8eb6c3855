//! Building and running the application: used by `main` and by the integration tests, which
//! start the real thing on port 0.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use tokio::net::TcpListener;

use crate::assistant::Assistant;
use crate::auth;
use crate::auth::password::PasswordHasher;
use crate::auth::providers::Providers;
use crate::auth::token::TokenKeys;
use crate::backup;
use crate::cache::Cache;
use crate::config::Settings;
use crate::db::Db;
use crate::email::Mailer;
use crate::events::Events;
use crate::http::{self, middleware, openapi, rate_limit};
use crate::idempotency;
use crate::jobs::{JobQueue, Worker};
use crate::observability;
use crate::passkeys::RelyingParty;
use crate::state::AppState;
use crate::web;

pub struct Application {
    listener: TcpListener,
    router: Router,
    db: Db,
    settings: Arc<Settings>,
    events: Events,
    worker: Worker,
    run_worker: bool,
}

impl Application {
    /// Connect to the database, apply migrations and bind the listener; the app is ready to
    /// serve when this returns.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        observability::metrics::install();
        let db = Db::connect(&settings).await?;
        db.migrate().await?;
        let listener = TcpListener::bind(settings.addr)
            .await
            .with_context(|| format!("binding {}", settings.addr))?;
        let (cache, limiter) = Cache::connect(&settings).await?;
        let events = Events::start(&settings, &db).await?;
        let jobs = JobQueue::default();
        let settings = Arc::new(settings);
        let worker = Worker::new(
            db.clone(),
            Mailer::from_settings(&settings)?,
            Arc::clone(&settings),
            jobs.clone(),
        );
        let run_worker = settings.run_worker;
        let assistant = Assistant::from_settings(settings.assistant.as_ref())?;
        let providers = Providers::from_settings(&settings)?;
        providers.warm_up();
        let passkeys = RelyingParty::from_settings(&settings.passkeys)?;
        let state = AppState {
            db: db.clone(),
            tokens: Arc::new(TokenKeys::new(&settings)),
            passwords: PasswordHasher::new(settings.password_hashing_threads),
            settings,
            cache,
            limiter,
            jobs,
            events: events.clone(),
            passkeys,
            assistant,
            providers,
        };
        let settings = Arc::clone(&state.settings);
        Ok(Self {
            listener,
            router: router(state),
            db,
            settings,
            events,
            worker,
            run_worker,
        })
    }

    /// The job worker, for tests that run the queue themselves.
    pub fn worker(&self) -> Worker {
        self.worker.clone()
    }

    /// The database handles, for tests that arrange data or simulate an outage.
    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn port(&self) -> u16 {
        self.listener
            .local_addr()
            .map(|addr| addr.port())
            .unwrap_or_default()
    }

    /// Serve until SIGTERM or Ctrl-C, then let in-flight requests finish and close the pools.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        tracing::info!(addr = %self.listener.local_addr()?, "listening");
        let housekeeping = tokio::spawn(housekeeping(self.db.clone()));
        let backups = self
            .settings
            .ops
            .backup_interval
            .map(|every| tokio::spawn(backup::schedule(Arc::clone(&self.settings), every)));
        let (stop_worker, worker_stopped) = tokio::sync::oneshot::channel::<()>();
        let worker = self.run_worker.then(|| {
            tokio::spawn(self.worker.run(async {
                let _ = worker_stopped.await;
            }))
        });
        let events = self.events.clone();
        http::server::serve(
            self.listener,
            self.router,
            self.settings.client_connections,
            async move {
                shutdown_signal().await;
                // Event streams never finish by themselves: end them so draining can.
                events.close();
            },
        )
        .await;
        housekeeping.abort();
        if let Some(backups) = backups {
            backups.abort();
        }
        // Let the job in progress finish: its lease would otherwise delay it by minutes.
        let _ = stop_worker.send(());
        if let Some(worker) = worker {
            let _ = worker.await;
        }
        self.db.close();
        tracing::info!("stopped");
        Ok(())
    }
}

pub fn router(state: AppState) -> Router {
    let settings = Arc::clone(&state.settings);
    let routes = openapi::router_with_docs()
        .merge(crate::mcp::router(&state))
        .fallback(web::serve)
        .layer(axum::middleware::from_fn_with_state(
            state.db.clone(),
            middleware::retry_reads_once,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            rate_limit::limit_per_user,
        ))
        .with_state(state);
    middleware::apply(routes, &settings)
}

/// `neoforge worker`: run background jobs until SIGTERM, without the API. Its metrics and
/// probes are served on `NEOFORGE_WORKER_ADDR` (unless `off`) until the job in hand is done.
pub async fn run_worker(settings: Settings) -> anyhow::Result<()> {
    observability::metrics::install();
    let db = Db::connect(&settings).await?;
    db.migrate().await?;
    let listener = match settings.ops.worker_addr {
        Some(addr) => Some(
            TcpListener::bind(addr)
                .await
                .with_context(|| format!("binding {addr} (NEOFORGE_WORKER_ADDR)"))?,
        ),
        None => None,
    };
    let limits = settings.client_connections;
    let settings = Arc::new(settings);
    let mailer = Mailer::from_settings(&settings)?;
    let worker = Worker::new(db.clone(), mailer, settings, JobQueue::default());
    let (stop_http, http_stopped) = tokio::sync::oneshot::channel::<()>();
    let http = match listener {
        Some(listener) => {
            tracing::info!(addr = %listener.local_addr()?, "metrics listening");
            // The same bounds as the API's listener: this one may be reachable too.
            let served =
                http::server::serve(listener, http::worker::router(db.clone()), limits, async {
                    let _ = http_stopped.await;
                });
            Some(tokio::spawn(served))
        }
        None => None,
    };
    worker.run(shutdown_signal()).await;
    // Scrapes keep answering while the last job finishes; then the listener closes.
    let _ = stop_http.send(());
    if let Some(http) = http {
        http.await.context("serving the worker's metrics")?;
    }
    db.close();
    tracing::info!("stopped");
    Ok(())
}

/// Periodic clean-up of expired data.
async fn housekeeping(db: Db) {
    let mut every_hour = tokio::time::interval(Duration::from_secs(60 * 60));
    loop {
        every_hour.tick().await;
        match idempotency::purge_expired(&db).await {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "expired idempotency keys deleted"),
            Err(err) => tracing::warn!(error = %err, "could not purge expired idempotency keys"),
        }
        match auth::purge_expired(&db).await {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "ended sessions and expired email tokens deleted"),
            Err(err) => tracing::warn!(error = %err, "could not purge ended sessions"),
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received; draining in-flight requests");
}
