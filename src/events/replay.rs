//! The replay buffers of one replica: each user's latest changes, so a client reconnecting
//! with `Last-Event-ID` gets what it missed.
//!
//! Ids come from the bus and grow globally (a Redis counter, a PostgreSQL sequence or an
//! in-process counter), so a client can resume on any replica: its `Last-Event-ID` is looked
//! up in the user's buffer, and what followed it is replayed. When the buffers cannot prove
//! that nothing was missed (evicted, too old, this replica started or reconnected to the bus
//! since), the answer is `None` and the client gets `resync`.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use uuid::Uuid;

use crate::config::ReplayLimits;
use crate::events::hub::Change;

/// A user's buffer is dropped after this long without a new event.
const BUFFER_IDLE: Duration = Duration::from_secs(10 * 60);

pub struct Replay {
    limits: ReplayLimits,
    buffers: HashMap<Uuid, Buffer>,
    buffered_events: usize,
    /// The newest id delivered.
    last_id: u64,
    /// Every event with a larger id that is not in a buffer was not for that user, as far as
    /// this replica knows; `None` until the bus has told where its ids stand.
    floor: Option<u64>,
}

struct Buffer {
    events: VecDeque<Arc<Change>>,
    /// The buffer holds every event of its user with an id above this.
    complete_after: u64,
    touched: Instant,
}

impl Replay {
    pub fn new(limits: ReplayLimits) -> Self {
        Self {
            limits,
            buffers: HashMap::new(),
            buffered_events: 0,
            last_id: 0,
            floor: None,
        }
    }

    pub fn last_id(&self) -> u64 {
        self.last_id
    }

    /// The bus told where its ids stand: everything after `id` will be delivered.
    pub fn anchor(&mut self, id: u64) {
        self.floor = Some(self.floor.map_or(id, |floor| floor.max(id)));
        self.last_id = self.last_id.max(id);
    }

    /// Messages may have been missed (the bus reconnected): forget the past.
    pub fn forget(&mut self) {
        self.buffers.clear();
        self.buffered_events = 0;
        self.floor = None;
    }

    /// Note a message's id, whoever it was for.
    pub fn saw(&mut self, id: u64) {
        if self.floor.is_none() {
            // The first message after (re)connecting: the ones before it may have been
            // missed, so only ids from here on can be vouched for.
            self.floor = Some(id.saturating_sub(1));
        }
        self.last_id = self.last_id.max(id);
    }

    /// Keep a change of `user_id` (after [`Self::saw`] its id).
    pub fn keep(&mut self, user_id: Uuid, change: Arc<Change>) {
        let now = Instant::now();
        let floor = self.floor.unwrap_or(change.id.saturating_sub(1));
        let per_user = self.limits.per_user.max(1);
        let buffer = self.buffers.entry(user_id).or_insert_with(|| Buffer {
            events: VecDeque::new(),
            complete_after: floor,
            touched: now,
        });
        buffer.touched = now;
        buffer.events.push_back(change);
        self.buffered_events += 1;
        while buffer.events.len() > per_user {
            if let Some(dropped) = buffer.events.pop_front() {
                buffer.complete_after = dropped.id;
                self.buffered_events -= 1;
            }
        }
        if self.buffered_events > self.limits.total {
            self.evict(now);
        }
    }

    /// The user's changes after the event `after`, when this replica can vouch that they are
    /// all of them; `None` when it cannot.
    pub fn since(&self, user_id: Uuid, after: u64) -> Option<Vec<Arc<Change>>> {
        if after > self.last_id {
            // An id this replica has not seen yet (the bus restarted its count, or the
            // client saw it elsewhere first): nothing to build on.
            return None;
        }
        match self.buffers.get(&user_id) {
            Some(buffer) => {
                // Found: replay in the order delivered, which is the order that matters.
                if let Some(position) = buffer.events.iter().position(|e| e.id == after) {
                    return Some(buffer.events.iter().skip(position + 1).cloned().collect());
                }
                (after >= buffer.complete_after).then(|| {
                    buffer
                        .events
                        .iter()
                        .filter(|change| change.id > after)
                        .cloned()
                        .collect()
                })
            }
            None => self
                .floor
                .filter(|floor| after >= *floor)
                .map(|_| Vec::new()),
        }
    }

    /// Drop the buffers of users with no change for a while.
    pub fn sweep(&mut self, now: Instant) {
        let idle: Vec<Uuid> = self
            .buffers
            .iter()
            .filter(|(_, buffer)| now.duration_since(buffer.touched) > BUFFER_IDLE)
            .map(|(user, _)| *user)
            .collect();
        for user in idle {
            self.drop_buffer(user);
        }
    }

    /// Drop idle buffers, then the least recently changed ones until under the total.
    fn evict(&mut self, now: Instant) {
        let mut by_age: Vec<(Instant, Uuid)> = self
            .buffers
            .iter()
            .map(|(user, buffer)| (buffer.touched, *user))
            .collect();
        by_age.sort_unstable();
        // Go below the limit by a tenth, so eviction does not run on every new event.
        let target = self.limits.total - self.limits.total / 10;
        for (touched, user) in by_age {
            let idle = now.duration_since(touched) > BUFFER_IDLE;
            if !idle && self.buffered_events <= target {
                break;
            }
            self.drop_buffer(user);
        }
    }

    fn drop_buffer(&mut self, user: Uuid) {
        if let Some(buffer) = self.buffers.remove(&user) {
            self.buffered_events -= buffer.events.len();
            if let Some(newest) = buffer.events.back() {
                // That user's past is no longer known here.
                self.floor = self.floor.map(|floor| floor.max(newest.id));
            }
        }
    }
}
