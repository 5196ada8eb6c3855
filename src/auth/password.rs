//! Argon2id password hashing, off the async executor and with bounded concurrency: each hash
//! takes ~19 MiB and tens of milliseconds of CPU, so a flood of logins must queue here rather
//! than stall other requests or exhaust memory.
//!
//! The parameters are the `argon2` crate's defaults, OWASP's first recommendation for
//! Argon2id: 19 MiB of memory, 2 passes, 1 lane. Cheaper would weaken stored hashes; dearer
//! would make each sign-in cost more than the one core a small server can spare for it. They
//! are written into each hash, so raising them later re-hashes nobody and verifies everyone.

use std::sync::{Arc, LazyLock};

use anyhow::Context;
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Semaphore;
use tracing::Instrument;

/// Verified when the account does not exist, so unknown emails and wrong passwords take the
/// same time.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    Argon2::default()
        .hash_password(b"dummy password for timing equalisation")
        .expect("hashing a constant succeeds")
        .to_string()
});

/// Work for a hashing thread.
type Job = Box<dyn FnOnce() + Send>;

/// Hashes on threads of its own, at a lower CPU priority than the request handlers: under a
/// storm of sign-ins the cores go to the requests first, and the sign-ins queue here.
#[derive(Clone)]
pub struct PasswordHasher {
    /// Taken before a job is queued, so a request given up while waiting costs nothing.
    permits: Arc<Semaphore>,
    jobs: crossbeam_channel::Sender<Job>,
}

/// How much less CPU a hashing thread gets than a request handler when both want a core: ten
/// steps of niceness below them, the kernel gives it about a tenth. Sign-ins stay possible while the server is
/// busy, they just wait for the requests.
const HASHING_NICENESS: i32 = 10;

impl PasswordHasher {
    /// `threads` hashing threads, which end when the last clone of the hasher is dropped.
    pub fn new(threads: usize) -> Self {
        let threads = threads.max(1);
        let (jobs, queue) = crossbeam_channel::unbounded::<Job>();
        for n in 0..threads {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("password-hash-{n}"))
                .spawn(move || {
                    lower_this_threads_priority();
                    for job in queue {
                        job();
                    }
                })
                .expect("the OS starts a password-hashing thread");
        }
        Self {
            permits: Arc::new(Semaphore::new(threads)),
            jobs,
        }
    }

    /// A PHC string (`$argon2id$v=19$...`) with a fresh random salt.
    pub async fn hash(&self, password: SecretString) -> anyhow::Result<String> {
        self.run(move || {
            Argon2::default()
                .hash_password(password.expose_secret().as_bytes())
                .map(|hash| hash.to_string())
                .map_err(|err| anyhow::anyhow!("hashing password: {err}"))
        })
        .await?
    }

    /// Whether `password` matches `stored`; with no stored hash (unknown account) a dummy is
    /// verified and the answer is `false`.
    pub async fn verify(
        &self,
        password: SecretString,
        stored: Option<String>,
    ) -> anyhow::Result<bool> {
        // An account without a password (empty hash) matches nothing, after the same work.
        let stored = stored.filter(|hash| !hash.is_empty());
        self.run(move || {
            let known = stored.is_some();
            let hash = stored.unwrap_or_else(|| DUMMY_HASH.clone());
            let parsed = PasswordHash::new(&hash).context("stored password hash is malformed")?;
            let matches = Argon2::default()
                .verify_password(password.expose_secret().as_bytes(), &parsed)
                .is_ok();
            Ok(known && matches)
        })
        .await?
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> anyhow::Result<T> {
        let _permit = self
            .permits
            .acquire()
            .await
            .context("password hasher closed")?;
        let span = tracing::Span::current();
        let (done, result) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                // The caller may have given up meanwhile; nobody is left to tell.
                let _ = done.send(span.in_scope(work));
            }))
            .map_err(|_| anyhow::anyhow!("password hashing threads stopped"))?;
        result
            .instrument(tracing::Span::current())
            .await
            .context("password hashing thread failed")
    }
}

/// Linux schedules threads one by one, so this niceness is the calling thread's alone.
#[cfg(target_os = "linux")]
fn lower_this_threads_priority() {
    use rustix::process::{getpriority_process, setpriority_process};
    // Relative to what the process was started with (19 is the floor).
    let lowered = getpriority_process(None)
        .and_then(|nice| setpriority_process(None, (nice + HASHING_NICENESS).min(19)));
    if let Err(err) = lowered {
        tracing::warn!(error = %err, "password hashing runs at normal priority");
    }
}

/// Elsewhere the call would lower the whole process: hashing keeps normal priority.
#[cfg(not(target_os = "linux"))]
fn lower_this_threads_priority() {
    let _ = HASHING_NICENESS;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_wrong_passwords_do_not() {
        let hasher = PasswordHasher::new(1);
        let hash = hasher.hash("a good passphrase".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        let verify = |password: &str, stored: Option<String>| {
            hasher.verify(SecretString::from(password.to_owned()), stored)
        };
        assert!(
            verify("a good passphrase", Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(!verify("another passphrase", Some(hash)).await.unwrap());
        assert!(!verify("a good passphrase", None).await.unwrap());
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn hashing_threads_yield_to_request_handlers() {
        let own = rustix::process::getpriority_process(None).unwrap();
        let hashing = PasswordHasher::new(1)
            .run(|| rustix::process::getpriority_process(None).unwrap())
            .await
            .unwrap();
        assert_eq!(hashing, (own + HASHING_NICENESS).min(19));
        assert_eq!(rustix::process::getpriority_process(None).unwrap(), own);
    }
}
