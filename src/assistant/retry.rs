//! When to try a failed call to the model's service again, and after how long: `429`, `5xx`
//! and connection failures are worth another try after a pause that doubles (with jitter, so
//! clients that failed together do not come back together), or the service's own
//! `Retry-After` when it asks for longer; a refusal or an unreadable answer is not.

use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};

const FIRST_PAUSE: Duration = Duration::from_millis(250);
const LONGEST_PAUSE: Duration = Duration::from_secs(4);
/// A service asking for a longer wait than this is not waited for: the client is told to
/// come back later instead of being held.
pub const LONGEST_RETRY_AFTER: Duration = Duration::from_secs(5);

/// Why a call failed; `cause` is for the log only.
#[derive(Debug)]
pub enum CallError {
    /// The deadline passed.
    Timeout,
    /// The service kept answering `429`.
    RateLimited { retry_after: Option<Duration> },
    /// Unreachable, or `5xx`.
    Unavailable {
        retry_after: Option<Duration>,
        cause: String,
    },
    /// Another status: a wrong key, an unknown model, a request it will never take.
    Refused { status: StatusCode, cause: String },
    /// A success whose body is not a chat completion.
    Malformed(String),
}

impl CallError {
    pub fn retryable(&self) -> bool {
        matches!(self, Self::RateLimited { .. } | Self::Unavailable { .. })
    }

    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after } | Self::Unavailable { retry_after, .. } => {
                *retry_after
            }
            _ => None,
        }
    }
}

/// `Retry-After` in seconds, or OpenAI's `retry-after-ms`; an HTTP date is not honoured.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let number = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<f64>().ok())
            .filter(|value| value.is_finite() && *value >= 0.0)
    };
    number("retry-after-ms")
        .map(|ms| Duration::from_secs_f64((ms / 1000.0).min(86_400.0)))
        .or_else(|| number("retry-after").map(|secs| Duration::from_secs_f64(secs.min(86_400.0))))
}

/// The pause before attempt `attempt + 1`: doubling from [`FIRST_PAUSE`], capped, and with
/// "equal jitter" (half fixed, half random) so clients that failed together spread out.
pub fn backoff(attempt: u32) -> Duration {
    let ceiling = FIRST_PAUSE
        .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1).min(16)))
        .min(LONGEST_PAUSE);
    let half = ceiling / 2;
    half + half.mul_f64(rand::random::<f64>())
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn backoff_doubles_within_its_cap_and_keeps_half_of_it() {
        for attempt in 1..=20 {
            let ceiling = (FIRST_PAUSE * 2u32.pow((attempt - 1).min(10))).min(LONGEST_PAUSE);
            let pause = backoff(attempt);
            assert!(
                pause >= ceiling / 2 && pause <= ceiling,
                "{attempt}: {pause:?}"
            );
        }
    }

    #[test]
    fn retry_after_reads_seconds_and_milliseconds() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert("retry-after", HeaderValue::from_static("2"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(2)));
        headers.insert("retry-after-ms", HeaderValue::from_static("150"));
        assert_eq!(retry_after(&headers), Some(Duration::from_millis(150)));
        headers.remove("retry-after-ms");
        for ignored in ["Wed, 21 Oct 2015 07:28:00 GMT", "-1", "soon"] {
            headers.insert("retry-after", HeaderValue::from_static(ignored));
            assert_eq!(retry_after(&headers), None, "{ignored}");
        }
    }
}
