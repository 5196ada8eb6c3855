//! This replica's side of realtime: every message the bus delivers passes through here, is
//! kept for replay (see [`Replay`]), and goes out to its user's open streams.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use tokio::sync::{broadcast, watch};
use uuid::Uuid;

use crate::config::ReplayLimits;
use crate::events::replay::Replay;
use crate::events::{BusMessage, ChangeKind};
use crate::observability::metrics::EVENTS_STREAMS_OPEN;

/// Messages a user's channel holds for a slow stream before it lags (and gets `resync`).
const CHANNEL_CAPACITY: usize = 64;

/// A todo change as delivered to streams.
#[derive(Debug)]
pub struct Change {
    pub id: u64,
    pub kind: ChangeKind,
    /// The event's JSON data.
    pub data: Box<str>,
}

/// What a stream receives from its user's channel.
#[derive(Debug, Clone)]
pub enum Delivery {
    Change(Arc<Change>),
    /// The stream may have missed changes: the client should refetch.
    Resync,
}

pub struct Hub {
    state: Mutex<State>,
}

struct State {
    channels: HashMap<Uuid, broadcast::Sender<Delivery>>,
    /// Open streams by session, so ending a session ends its streams at once.
    sessions: HashMap<Uuid, SessionStreams>,
    replay: Replay,
    closed: bool,
}

struct SessionStreams {
    ended: watch::Sender<bool>,
    streams: usize,
}

/// How a stream starts.
pub enum Start {
    /// Replay these, then follow the channel.
    Replay(Vec<Arc<Change>>),
    /// Send `resync` first: what the client missed is unknown.
    Resync,
}

/// A stream's registration; dropping it unregisters the stream.
pub struct Subscription {
    pub start: Start,
    /// The newest id delivered when the stream started.
    pub last_id: u64,
    pub changes: broadcast::Receiver<Delivery>,
    pub ended: watch::Receiver<bool>,
    hub: Arc<Hub>,
    user_id: Uuid,
    session_id: Uuid,
}

impl Hub {
    pub fn new(limits: ReplayLimits) -> Self {
        Self {
            state: Mutex::new(State {
                channels: HashMap::new(),
                sessions: HashMap::new(),
                replay: Replay::new(limits),
                closed: false,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves consistent data (every step is a plain
        // update), so a poisoned lock is still usable.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Register a stream; `last_event_id` is the client's `Last-Event-ID`, if any. The
    /// replay and the subscription are taken under one lock, so nothing falls between them.
    pub fn subscribe(
        self: &Arc<Self>,
        user_id: Uuid,
        session_id: Uuid,
        last_event_id: Option<&str>,
    ) -> Subscription {
        let mut state = self.lock();
        let start = match last_event_id {
            None => Start::Replay(Vec::new()),
            Some(raw) => raw
                .trim()
                .parse::<u64>()
                .ok()
                .and_then(|after| state.replay.since(user_id, after))
                .map_or(Start::Resync, Start::Replay),
        };
        let changes = state
            .channels
            .entry(user_id)
            .or_insert_with(|| broadcast::channel(CHANNEL_CAPACITY).0)
            .subscribe();
        let closed = state.closed;
        let session = state
            .sessions
            .entry(session_id)
            .or_insert_with(|| SessionStreams {
                ended: watch::channel(closed).0,
                streams: 0,
            });
        session.streams += 1;
        let ended = session.ended.subscribe();
        metrics::gauge!(EVENTS_STREAMS_OPEN).increment(1.0);
        Subscription {
            start,
            last_id: state.replay.last_id(),
            changes,
            ended,
            hub: Arc::clone(self),
            user_id,
            session_id,
        }
    }

    /// Take in one message from the bus.
    pub fn deliver(&self, id: u64, message: BusMessage) {
        let mut state = self.lock();
        state.replay.saw(id);
        match message {
            BusMessage::Change {
                user_id,
                kind,
                data,
            } => {
                let change = Arc::new(Change {
                    id,
                    kind,
                    data: data.into_boxed_str(),
                });
                state.replay.keep(user_id, Arc::clone(&change));
                if let Some(channel) = state.channels.get(&user_id) {
                    // No receiver is fine: the stream closed a moment ago.
                    let _ = channel.send(Delivery::Change(change));
                }
            }
            BusMessage::SessionsEnded { session_ids } => {
                for session_id in session_ids {
                    if let Some(session) = state.sessions.get(&session_id) {
                        session.ended.send_replace(true);
                    }
                }
            }
        }
    }

    /// The bus told where its ids stand (at start or after reconnecting): everything after
    /// `id` will be delivered.
    pub fn anchor(&self, id: u64) {
        self.lock().replay.anchor(id);
    }

    /// The bus connection was lost and is back: messages may have been missed. Every stream
    /// is told to refetch, and no buffer can vouch for the past any more.
    pub fn bus_reconnected(&self) {
        let mut state = self.lock();
        state.replay.forget();
        for channel in state.channels.values() {
            let _ = channel.send(Delivery::Resync);
        }
    }

    /// End every stream (server shutdown), so graceful shutdown need not wait for them.
    pub fn close(&self) {
        let mut state = self.lock();
        state.closed = true;
        for session in state.sessions.values() {
            session.ended.send_replace(true);
        }
    }

    /// Free the buffers of users with no recent changes.
    pub fn sweep(&self) {
        self.lock().replay.sweep(Instant::now());
    }

    /// Where a stream that must refetch (it fell behind, or the bus reconnected) starts
    /// again: the changes still queued for it are dropped, since the refetch its `resync`
    /// asks for covers them, and the id returned, for that `resync`, is the newest
    /// delivered, so every change that follows it is newer.
    pub fn resync_point(&self, changes: &mut broadcast::Receiver<Delivery>) -> u64 {
        // Deliveries are sent under this lock: while it is held the queue cannot grow.
        let state = self.lock();
        while let Ok(_) | Err(broadcast::error::TryRecvError::Lagged(_)) = changes.try_recv() {}
        state.replay.last_id()
    }

    /// The user's open streams on this replica.
    pub fn streams_of(&self, user_id: Uuid) -> usize {
        self.lock()
            .channels
            .get(&user_id)
            .map_or(0, broadcast::Sender::receiver_count)
    }

    /// Called while the stream's receiver still exists: it is the last one when the count
    /// is one.
    fn unsubscribe(&self, user_id: Uuid, session_id: Uuid) {
        let mut state = self.lock();
        if state
            .channels
            .get(&user_id)
            .is_some_and(|channel| channel.receiver_count() <= 1)
        {
            state.channels.remove(&user_id);
        }
        if let Some(session) = state.sessions.get_mut(&session_id) {
            session.streams -= 1;
            if session.streams == 0 {
                state.sessions.remove(&session_id);
            }
        }
        metrics::gauge!(EVENTS_STREAMS_OPEN).decrement(1.0);
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.hub.unsubscribe(self.user_id, self.session_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: ReplayLimits = ReplayLimits {
        per_user: 3,
        total: 100,
    };

    fn change(user_id: Uuid, title: &str) -> BusMessage {
        BusMessage::Change {
            user_id,
            kind: ChangeKind::Created,
            data: format!(r#"{{"title":"{title}"}}"#),
        }
    }

    fn replayed(start: &Start) -> Option<Vec<u64>> {
        match start {
            Start::Replay(changes) => Some(changes.iter().map(|c| c.id).collect()),
            Start::Resync => None,
        }
    }

    #[test]
    fn resuming_replays_what_followed_the_last_seen_event() {
        let hub = Arc::new(Hub::new(LIMITS));
        let (user, other) = (Uuid::new_v4(), Uuid::new_v4());
        hub.anchor(10);
        hub.deliver(11, change(user, "a"));
        hub.deliver(12, change(other, "b"));
        hub.deliver(13, change(user, "c"));
        let session = Uuid::new_v4();
        assert_eq!(
            replayed(&hub.subscribe(user, session, Some("11")).start),
            Some(vec![13])
        );
        assert_eq!(
            replayed(&hub.subscribe(user, session, Some("13")).start),
            Some(vec![])
        );
        // Seen on another replica first: id 12 was not this user's, nothing was missed.
        assert_eq!(
            replayed(&hub.subscribe(user, session, Some("12")).start),
            Some(vec![13])
        );
        // From before this replica knew anything, from the future, or not an id at all.
        for unknown in ["9", "14", "abc"] {
            assert_eq!(
                replayed(&hub.subscribe(user, session, Some(unknown)).start),
                None,
                "{unknown}"
            );
        }
        // A user with no buffered changes who saw everything up to now.
        assert_eq!(
            replayed(&hub.subscribe(other, session, Some("12")).start),
            Some(vec![])
        );
        assert_eq!(
            replayed(&hub.subscribe(Uuid::new_v4(), session, Some("13")).start),
            Some(vec![])
        );
    }

    #[test]
    fn order_of_delivery_wins_over_order_of_ids() {
        let hub = Arc::new(Hub::new(LIMITS));
        let user = Uuid::new_v4();
        hub.anchor(0);
        // Two publishers raced: 5 committed its notification before 4.
        hub.deliver(5, change(user, "late id"));
        hub.deliver(4, change(user, "early id"));
        let resumed = hub.subscribe(user, Uuid::new_v4(), Some("5"));
        assert_eq!(replayed(&resumed.start), Some(vec![4]));
    }

    #[test]
    fn a_full_buffer_forgets_its_oldest_and_says_so() {
        let hub = Arc::new(Hub::new(LIMITS));
        let user = Uuid::new_v4();
        hub.anchor(0);
        for id in 1..=5 {
            hub.deliver(id, change(user, "x"));
        }
        let session = Uuid::new_v4();
        assert_eq!(
            replayed(&hub.subscribe(user, session, Some("2")).start),
            Some(vec![3, 4, 5])
        );
        assert_eq!(
            replayed(&hub.subscribe(user, session, Some("1")).start),
            None
        );
    }

    #[test]
    fn the_total_limit_evicts_the_least_recently_changed_users() {
        let hub = Arc::new(Hub::new(ReplayLimits {
            per_user: 5,
            total: 10,
        }));
        let (quiet, busy, busiest) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        hub.anchor(0);
        hub.deliver(1, change(quiet, "x"));
        for id in 2..=6 {
            hub.deliver(id, change(busy, "y"));
        }
        for id in 7..=11 {
            hub.deliver(id, change(busiest, "z"));
        }
        let session = Uuid::new_v4();
        // The older buffers went, so those users' past is unknown here.
        assert_eq!(
            replayed(&hub.subscribe(quiet, session, Some("1")).start),
            None
        );
        assert_eq!(
            replayed(&hub.subscribe(busy, session, Some("5")).start),
            None
        );
        assert_eq!(
            replayed(&hub.subscribe(busiest, session, Some("9")).start),
            Some(vec![10, 11])
        );
    }

    #[test]
    fn a_bus_reconnect_resyncs_open_streams_and_forgets_the_past() {
        let hub = Arc::new(Hub::new(LIMITS));
        let user = Uuid::new_v4();
        hub.anchor(0);
        hub.deliver(1, change(user, "x"));
        let mut open = hub.subscribe(user, Uuid::new_v4(), None);
        hub.bus_reconnected();
        assert!(matches!(open.changes.try_recv(), Ok(Delivery::Resync)));
        assert_eq!(
            replayed(&hub.subscribe(user, Uuid::new_v4(), Some("1")).start),
            None
        );
        hub.deliver(2, change(user, "y"));
        assert_eq!(
            replayed(&hub.subscribe(user, Uuid::new_v4(), Some("1")).start),
            Some(vec![2])
        );
    }

    #[test]
    fn a_stream_that_fell_behind_resumes_after_its_resync() {
        let hub = Arc::new(Hub::new(LIMITS));
        let user = Uuid::new_v4();
        hub.anchor(0);
        let mut open = hub.subscribe(user, Uuid::new_v4(), None);
        let newest = CHANNEL_CAPACITY as u64 + 10;
        for id in 1..=newest {
            hub.deliver(id, change(user, "x"));
        }
        assert!(matches!(
            open.changes.try_recv(),
            Err(broadcast::error::TryRecvError::Lagged(_))
        ));
        assert_eq!(hub.resync_point(&mut open.changes), newest);
        // Nothing older than the resync follows it: the refetch already has it.
        hub.deliver(newest + 1, change(user, "y"));
        match open.changes.try_recv() {
            Ok(Delivery::Change(change)) => assert_eq!(change.id, newest + 1),
            other => panic!("expected the next change, got {other:?}"),
        }
    }

    #[test]
    fn ending_a_session_ends_only_its_streams() {
        let hub = Arc::new(Hub::new(LIMITS));
        let user = Uuid::new_v4();
        let (ended, kept) = (Uuid::new_v4(), Uuid::new_v4());
        let first = hub.subscribe(user, ended, None);
        let second = hub.subscribe(user, kept, None);
        hub.deliver(
            1,
            BusMessage::SessionsEnded {
                session_ids: vec![ended],
            },
        );
        assert!(*first.ended.borrow());
        assert!(!*second.ended.borrow());
        assert_eq!(hub.streams_of(user), 2);
        drop(first);
        drop(second);
        assert_eq!(hub.streams_of(user), 0);
        assert!(hub.lock().sessions.is_empty());
    }
}
