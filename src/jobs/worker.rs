//! Runs jobs: claims the next due job, runs it, and records the outcome.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use tracing::Instrument;

use crate::config::Settings;
use crate::db::Db;
use crate::email::Mailer;
use crate::jobs::repo::{self, Claimed};
use crate::jobs::{Job, JobQueue};
use crate::time::Timestamp;

/// How long a worker holds a claimed job before another may take it over.
const LEASE: Duration = Duration::from_secs(5 * 60);
/// A job that takes longer fails this attempt (well inside the lease).
const JOB_TIMEOUT: Duration = Duration::from_secs(60);
/// Poll for due retries and other processes' jobs this often when not woken.
const POLL_INTERVAL: Duration = Duration::from_secs(2);
const FIRST_RETRY: Duration = Duration::from_secs(5);
const MAX_RETRY_DELAY: Duration = Duration::from_secs(30 * 60);

/// Everything a job needs to run. Cheap to clone.
#[derive(Clone)]
pub struct Worker {
    db: Db,
    mailer: Mailer,
    settings: Arc<Settings>,
    queue: JobQueue,
}

impl Worker {
    pub fn new(db: Db, mailer: Mailer, settings: Arc<Settings>, queue: JobQueue) -> Self {
        Self {
            db,
            mailer,
            settings,
            queue,
        }
    }

    /// Run jobs until `stop` resolves; a job in progress is finished first.
    pub async fn run(self, stop: impl Future<Output = ()>) {
        tracing::info!("job worker started");
        let wake = self.queue.notified();
        tokio::pin!(stop);
        loop {
            match self.run_until_idle().await {
                // Jobs that ran reported the depth; keep it fresh when others' workers run them.
                Ok(0) => self.report_depth().await,
                Ok(_) => {}
                Err(err) => {
                    tracing::warn!(error = format!("{err:#}"), "job worker: queue unavailable");
                }
            }
            tokio::select! {
                () = &mut stop => break,
                () = wake.notified() => {}
                () = tokio::time::sleep(POLL_INTERVAL) => {}
            }
        }
        tracing::info!("job worker stopped");
    }

    /// Run every job that is due now, one after another; returns how many ran. Tests use it
    /// to run the queue deterministically.
    pub async fn run_until_idle(&self) -> anyhow::Result<usize> {
        let mut ran = 0;
        while let Some(job) = self.claim().await? {
            self.execute(job).await?;
            ran += 1;
        }
        if ran > 0 {
            self.report_depth().await;
        }
        Ok(ran)
    }

    async fn claim(&self) -> anyhow::Result<Option<Claimed>> {
        let now = Timestamp::now();
        let lease_until = now.plus(LEASE);
        let mut conn = self.db.write().await?;
        Ok(repo::claim(&mut conn, self.db.backend(), now, lease_until).await?)
    }

    async fn execute(&self, claimed: Claimed) -> anyhow::Result<()> {
        let span = tracing::info_span!("job", kind = %claimed.kind, job_id = %claimed.id,
            attempt = claimed.attempts);
        async {
            let started = Instant::now();
            let outcome = if claimed.attempts > claimed.max_attempts {
                // Claimed again after crashes on every attempt.
                Err(anyhow::anyhow!("the worker stopped during every attempt"))
            } else {
                match tokio::time::timeout(JOB_TIMEOUT, self.perform(&claimed)).await {
                    Ok(outcome) => outcome,
                    Err(_) => Err(anyhow::anyhow!("timed out after {JOB_TIMEOUT:?}")),
                }
            };
            let elapsed = started.elapsed().as_secs_f64();
            let kind = claimed.kind.clone();
            let mut conn = self.db.write().await?;
            let now = Timestamp::now();
            match outcome {
                Ok(()) => {
                    repo::complete(&mut conn, claimed.id).await?;
                    tracing::info!("job done");
                    metrics::histogram!("neoforge_job_duration_seconds", "kind" => kind, "outcome" => "success")
                        .record(elapsed);
                }
                Err(err) if claimed.attempts >= claimed.max_attempts => {
                    let error = format!("{err:#}");
                    repo::bury(&mut conn, claimed.id, &error, now).await?;
                    tracing::error!(error, "job failed for the last time: dead");
                    metrics::counter!("neoforge_jobs_dead_total", "kind" => kind.clone()).increment(1);
                    metrics::histogram!("neoforge_job_duration_seconds", "kind" => kind, "outcome" => "dead")
                        .record(elapsed);
                }
                Err(err) => {
                    let error = format!("{err:#}");
                    let delay = retry_delay(claimed.attempts);
                    repo::retry(&mut conn, claimed.id, &error, now, now.plus(delay)).await?;
                    tracing::warn!(error, retry_in = ?delay, "job failed; will retry");
                    metrics::counter!("neoforge_jobs_retries_total", "kind" => kind.clone()).increment(1);
                    metrics::histogram!("neoforge_job_duration_seconds", "kind" => kind, "outcome" => "retry")
                        .record(elapsed);
                }
            }
            Ok(())
        }
        .instrument(span)
        .await
    }

    async fn perform(&self, claimed: &Claimed) -> anyhow::Result<()> {
        let job: Job = serde_json::from_str(&claimed.payload)
            .with_context(|| format!("decoding a {} job", claimed.kind))?;
        match job {
            Job::SendEmail(email) => self.mailer.send(&email, &self.settings).await,
        }
    }

    async fn report_depth(&self) {
        let depth = async { repo::depth(&mut self.db.read().await?).await };
        if let Ok((waiting, dead)) = depth.await {
            metrics::gauge!("neoforge_jobs_queue_depth", "state" => "pending").set(waiting as f64);
            metrics::gauge!("neoforge_jobs_queue_depth", "state" => "dead").set(dead as f64);
        }
    }
}

/// Exponential backoff from 5 s, doubling per attempt, capped, with up to 20% jitter so
/// failures that happened together do not retry together.
fn retry_delay(attempts: i64) -> Duration {
    let exponent = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(u32::MAX)
        .min(16);
    let delay = FIRST_RETRY
        .saturating_mul(2u32.saturating_pow(exponent))
        .min(MAX_RETRY_DELAY);
    delay.mul_f64(1.0 + rand::random::<f64>() * 0.2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        for (attempt, base) in [(1, 5), (2, 10), (3, 20), (4, 40)] {
            let delay = retry_delay(attempt).as_secs_f64();
            assert!(
                (base as f64..=base as f64 * 1.2).contains(&delay),
                "{attempt}: {delay}"
            );
        }
        assert!(retry_delay(40) <= MAX_RETRY_DELAY.mul_f64(1.2));
    }
}
