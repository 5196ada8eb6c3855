//! Connecting at start-up to a server that may not be up yet: containers started together
//! race, and a database restarting answers "the database system is starting up" for a few
//! seconds. Unreachable servers are tried again with exponential backoff for a bounded time;
//! failures that will not fix themselves (a wrong password, an untrusted certificate) end the
//! wait at once.

use std::error::Error;
use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

const FIRST_PAUSE: Duration = Duration::from_millis(250);
const LONGEST_PAUSE: Duration = Duration::from_secs(5);
/// One attempt may not hang on a silent network for longer than this.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

/// Why one attempt failed, in words fit for an operator, and whether waiting may help.
#[derive(Debug)]
pub(crate) struct Failure {
    pub cause: String,
    pub transient: bool,
}

impl Failure {
    pub fn transient(cause: impl Into<String>) -> Self {
        Self {
            cause: cause.into(),
            transient: true,
        }
    }

    pub fn fatal(cause: impl Into<String>) -> Self {
        Self {
            cause: cause.into(),
            transient: false,
        }
    }
}

/// Run `attempt` until it succeeds, fails for good, or `budget` has passed (zero: once).
/// `service` and `server` (`host:port`, never a URL: it could hold a password) name what is
/// being waited for in the logs and in the error.
pub(crate) async fn connect<T, F, Fut>(
    service: &str,
    server: &str,
    budget: Duration,
    mut attempt: F,
) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Failure>>,
{
    let started = Instant::now();
    let mut pause = FIRST_PAUSE;
    loop {
        let remaining = budget.saturating_sub(started.elapsed());
        let limit = remaining.clamp(Duration::from_secs(1), ATTEMPT_TIMEOUT);
        let failure = match tokio::time::timeout(limit, attempt()).await {
            Ok(Ok(connected)) => return Ok(connected),
            Ok(Err(failure)) => failure,
            Err(_) => Failure::transient(format!("no answer within {} s", limit.as_secs())),
        };
        if !failure.transient {
            anyhow::bail!(
                "could not connect to {service} at {server}: {}",
                failure.cause
            );
        }
        let remaining = budget.saturating_sub(started.elapsed());
        if remaining.is_zero() {
            if budget.is_zero() {
                anyhow::bail!(
                    "could not connect to {service} at {server}: {}",
                    failure.cause
                );
            }
            anyhow::bail!(
                "could not connect to {service} at {server} within {} s: {}",
                budget.as_secs(),
                failure.cause
            );
        }
        let wait = pause.min(remaining);
        tracing::warn!(
            server,
            error = %failure.cause,
            retry_in_ms = wait.as_millis() as u64,
            "{service} is not reachable yet; trying again"
        );
        tokio::time::sleep(wait).await;
        pause = (pause * 2).min(LONGEST_PAUSE);
    }
}

/// The first error of type `E` in `error`'s cause chain, looking inside the wrappers that
/// hide their inner error from `source()` (`io::Error`, `Arc<dyn Error>`).
pub(crate) fn find_cause<'a, E: Error + 'static>(
    error: &'a (dyn Error + 'static),
) -> Option<&'a E> {
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(found) = error.downcast_ref::<E>() {
            return Some(found);
        }
        current = inner(error);
    }
    None
}

fn inner<'a>(error: &'a (dyn Error + 'static)) -> Option<&'a (dyn Error + 'static)> {
    if let Some(io) = error.downcast_ref::<io::Error>()
        && let Some(inner) = io.get_ref()
    {
        return Some(inner);
    }
    if let Some(shared) = error.downcast_ref::<Arc<dyn Error + Send + Sync>>() {
        return Some(shared.as_ref());
    }
    error.source()
}

/// `error` and its causes, joined by ": ", each said once.
pub(crate) fn chain(error: &(dyn Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// Whether an I/O error is the network or a server not listening yet, rather than data that
/// made no sense (which is what a failed TLS handshake looks like).
pub(crate) fn is_transient_io(error: &io::Error) -> bool {
    !matches!(
        error.kind(),
        io::ErrorKind::InvalidData
            | io::ErrorKind::InvalidInput
            | io::ErrorKind::PermissionDenied
            | io::ErrorKind::Unsupported
    )
}

/// What a TLS failure means for the operator; `trusted` names the roots checked against.
pub(crate) fn describe_tls(error: &rustls::Error, trusted: &str) -> String {
    match error {
        rustls::Error::InvalidCertificate(_) => {
            format!("the server certificate could not be verified against {trusted} ({error})")
        }
        other => format!("the TLS handshake failed: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn transient_failures_are_retried_until_the_attempt_succeeds() {
        let attempts = AtomicU32::new(0);
        let connected = connect("PostgreSQL", "db:5432", Duration::from_secs(30), || async {
            match attempts.fetch_add(1, Ordering::SeqCst) {
                0..=2 => Err(Failure::transient("connection refused")),
                n => Ok(n),
            }
        })
        .await
        .unwrap();
        assert_eq!(connected, 3);
    }

    #[tokio::test(start_paused = true)]
    async fn fatal_failures_end_the_wait_at_once() {
        let attempts = AtomicU32::new(0);
        let error = connect("PostgreSQL", "db:5432", Duration::from_secs(30), || async {
            attempts.fetch_add(1, Ordering::SeqCst);
            Err::<(), _>(Failure::fatal("password authentication failed"))
        })
        .await
        .unwrap_err();
        assert_eq!(attempts.load(Ordering::SeqCst), 1);
        assert_eq!(
            error.to_string(),
            "could not connect to PostgreSQL at db:5432: password authentication failed"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_wait_is_bounded_and_says_how_long_it_was() {
        let attempts = AtomicU32::new(0);
        let started = tokio::time::Instant::now();
        let error = connect("Redis", "cache:6379", Duration::from_secs(3), || async {
            attempts.fetch_add(1, Ordering::SeqCst);
            Err::<(), _>(Failure::transient("connection refused"))
        })
        .await
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "could not connect to Redis at cache:6379 within 3 s: connection refused"
        );
        // Pauses of 250, 500, 1000 ms, then the 1250 ms left: five attempts in 3 s.
        assert_eq!(attempts.load(Ordering::SeqCst), 5);
        assert_eq!(started.elapsed(), Duration::from_secs(3));
    }

    #[tokio::test(start_paused = true)]
    async fn a_zero_budget_tries_once() {
        let attempts = AtomicU32::new(0);
        let error = connect("Redis", "cache:6379", Duration::ZERO, || async {
            attempts.fetch_add(1, Ordering::SeqCst);
            Err::<(), _>(Failure::transient("connection refused"))
        })
        .await
        .unwrap_err();
        assert_eq!(attempts.load(Ordering::SeqCst), 1);
        assert_eq!(
            error.to_string(),
            "could not connect to Redis at cache:6379: connection refused"
        );
    }

    #[test]
    fn causes_are_found_inside_io_and_shared_errors() {
        let tls = io::Error::new(
            io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
        );
        let shared: Arc<dyn Error + Send + Sync> = Arc::new(tls);
        let found = find_cause::<rustls::Error>(&shared).expect("the rustls error");
        assert!(matches!(found, rustls::Error::InvalidCertificate(_)));
        let refused = io::Error::from(io::ErrorKind::ConnectionRefused);
        assert!(find_cause::<rustls::Error>(&refused).is_none());
        assert!(is_transient_io(&refused));
    }
}
