//! One replica: messages go straight to the hub, numbered by an in-process counter.

use std::sync::{Arc, Mutex};

use crate::events::{BusMessage, Hub};

#[derive(Clone)]
pub struct MemoryBus {
    hub: Arc<Hub>,
    last_id: Arc<Mutex<u64>>,
}

impl MemoryBus {
    pub fn new(hub: Arc<Hub>) -> Self {
        // Ids go on growing across restarts, so an id from before one is never mistaken for
        // a newer one: it is simply unknown, and the client resyncs.
        let start = crate::time::Timestamp::now().as_millis().max(0) as u64 * 1_000;
        hub.anchor(start);
        Self {
            hub,
            last_id: Arc::new(Mutex::new(start)),
        }
    }

    pub fn publish(&self, message: BusMessage) {
        // Numbering and delivering under one lock keeps delivery in id order.
        let mut last_id = self.last_id.lock().unwrap_or_else(|p| p.into_inner());
        *last_id += 1;
        self.hub.deliver(*last_id, message);
    }
}
