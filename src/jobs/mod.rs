//! The durable job queue, stored in the application database. A job is inserted in the
//! transaction of the change that causes it, so an email is sent if and only if its change
//! committed. Workers (in the server, or `neoforge worker` processes) claim due jobs with a
//! lease, retry failures with exponential backoff and mark a job dead after its last attempt.
//! A worker killed mid-job loses nothing: the lease runs out and the job runs again.

pub mod repo;
pub mod worker;

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tokio::sync::Notify;
use uuid::Uuid;

use crate::db::{Conn, DbError};
use crate::email::Email;
use crate::time::Timestamp;

pub use worker::Worker;

/// A unit of background work.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Job {
    SendEmail(Email),
}

impl Job {
    /// Names the job in the queue, logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::SendEmail(_) => "send_email",
        }
    }

    fn max_attempts(&self) -> i64 {
        match self {
            // About an hour of retries in all (5 s doubling).
            Self::SendEmail(_) => 10,
        }
    }
}

/// Wakes the in-process worker when a job is enqueued, instead of waiting for its next poll.
#[derive(Clone, Default)]
pub struct JobQueue {
    wake: Arc<Notify>,
}

impl JobQueue {
    /// Add a job on `conn` (the transaction of the change that causes it). Call [`wake`]
    /// after the commit.
    ///
    /// [`wake`]: Self::wake
    pub async fn enqueue(conn: &mut Conn, job: &Job) -> Result<Uuid, DbError> {
        repo::insert(conn, job, Timestamp::now()).await
    }

    /// Tell a worker in this process that a job is waiting.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    pub(crate) fn notified(&self) -> Arc<Notify> {
        Arc::clone(&self.wake)
    }
}
