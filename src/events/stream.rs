//! One open event stream: replay what the client missed, then follow the user's channel
//! until the session ends, the client goes away or the server shuts down, with a comment
//! every heartbeat that also re-checks the session (a revocation missed while the bus was
//! down still ends the stream within one heartbeat).

use std::collections::VecDeque;
use std::convert::Infallible;

use axum::response::sse::{Event, Sse};
use futures_util::Stream;
use tokio::sync::broadcast::error::RecvError;
use tokio::time::{Instant, Interval, MissedTickBehavior};

use crate::auth::Caller;
use crate::events::hub::{Change, Delivery, Start, Subscription};
use crate::observability::metrics::EVENTS_DELIVERED;
use crate::state::AppState;

struct Open {
    subscription: Subscription,
    pending: VecDeque<Event>,
    heartbeat: Interval,
    state: AppState,
    caller: Caller,
}

pub fn open(
    state: AppState,
    caller: Caller,
    subscription: Subscription,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let period = state.events.settings().heartbeat;
    let mut heartbeat = tokio::time::interval_at(Instant::now() + period, period);
    heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let pending = match &subscription.start {
        Start::Replay(changes) => changes.iter().map(|change| change_event(change)).collect(),
        Start::Resync => VecDeque::from([resync_event(subscription.last_id)]),
    };
    let open = Open {
        subscription,
        pending,
        heartbeat,
        state,
        caller,
    };
    Sse::new(futures_util::stream::unfold(open, |open| async move {
        open.next().await.map(|(event, open)| (Ok(event), open))
    }))
}

impl Open {
    async fn next(mut self) -> Option<(Event, Self)> {
        if *self.subscription.ended.borrow() {
            return None;
        }
        if let Some(event) = self.pending.pop_front() {
            return Some((event, self));
        }
        tokio::select! {
            biased;
            // Ended, or the hub is gone: either way the stream is over.
            _ = self.subscription.ended.changed() => None,
            delivery = self.subscription.changes.recv() => match delivery {
                Ok(Delivery::Change(change)) => {
                    metrics::counter!(EVENTS_DELIVERED).increment(1);
                    Some((change_event(&change), self))
                }
                Ok(Delivery::Resync) | Err(RecvError::Lagged(_)) => {
                    let hub = self.state.events.hub();
                    let last_id = hub.resync_point(&mut self.subscription.changes);
                    Some((resync_event(last_id), self))
                }
                Err(RecvError::Closed) => None,
            },
            _ = self.heartbeat.tick() => {
                // Boxed: the check's future (a cache or database round trip) is far larger
                // than the rest of an idle stream's state, and is needed only once a beat.
                let live = Box::pin(self.caller.is_live(&self.state)).await;
                // A database hiccup is not a reason to drop the stream; a revoked session or
                // key is.
                if matches!(live, Ok(false)) {
                    return None;
                }
                Some((Event::default().comment("keep-alive"), self))
            }
        }
    }
}

fn change_event(change: &Change) -> Event {
    Event::default()
        .id(change.id.to_string())
        .event(change.kind.event_name())
        .data(&*change.data)
}

/// `resync` carries the newest id this replica knows: a client that refetches now and later
/// resumes from it misses nothing.
fn resync_event(last_id: u64) -> Event {
    Event::default()
        .id(last_id.to_string())
        .event("resync")
        .data("{}")
}
