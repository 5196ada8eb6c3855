//! Realtime settings: `NEOFORGE_EVENTS_*`, with their defaults and checks.

use std::time::Duration;

use anyhow::bail;
use clap::Args;

const EVENTS_HEARTBEAT_SECS: u64 = 15;
const EVENTS_REPLAY: usize = 100;
const EVENTS_REPLAY_TOTAL: usize = 20_000;
const EVENTS_MAX_STREAMS_PER_USER: usize = 20;

/// Realtime (`GET /api/events`).
#[derive(Args, Clone)]
pub struct EventsArgs {
    /// Seconds between keep-alive comments on an idle event stream.
    #[arg(
        long,
        global = true,
        env = "NEOFORGE_EVENTS_HEARTBEAT",
        default_value_t = EVENTS_HEARTBEAT_SECS
    )]
    pub events_heartbeat: u64,
    /// Events kept per user for clients that reconnect with `Last-Event-ID`.
    #[arg(
        long,
        global = true,
        env = "NEOFORGE_EVENTS_REPLAY",
        default_value_t = EVENTS_REPLAY
    )]
    pub events_replay: usize,
    /// Events kept for replay across all users.
    #[arg(
        long,
        global = true,
        env = "NEOFORGE_EVENTS_REPLAY_TOTAL",
        default_value_t = EVENTS_REPLAY_TOTAL
    )]
    pub events_replay_total: usize,
    /// Event streams one user may hold open on one replica.
    #[arg(
        long,
        global = true,
        env = "NEOFORGE_EVENTS_MAX_STREAMS",
        default_value_t = EVENTS_MAX_STREAMS_PER_USER
    )]
    pub events_max_streams: usize,
}

impl Default for EventsArgs {
    fn default() -> Self {
        Self {
            events_heartbeat: EVENTS_HEARTBEAT_SECS,
            events_replay: EVENTS_REPLAY,
            events_replay_total: EVENTS_REPLAY_TOTAL,
            events_max_streams: EVENTS_MAX_STREAMS_PER_USER,
        }
    }
}

/// Sizes of the replay buffers.
#[derive(Debug, Clone, Copy)]
pub struct ReplayLimits {
    /// Events kept per user.
    pub per_user: usize,
    /// Events kept across all users; the least recently changed users' buffers go first.
    pub total: usize,
}

/// Realtime settings, from `NEOFORGE_EVENTS_*`.
#[derive(Debug, Clone, Copy)]
pub struct EventSettings {
    /// Time between keep-alive comments on an idle stream.
    pub heartbeat: Duration,
    pub replay: ReplayLimits,
    /// Streams one user may hold open on one replica.
    pub max_streams_per_user: usize,
}

impl EventSettings {
    pub fn new(args: &EventsArgs) -> anyhow::Result<Self> {
        if args.events_heartbeat == 0 {
            bail!("NEOFORGE_EVENTS_HEARTBEAT must be at least 1 second");
        }
        if args.events_replay == 0 || args.events_replay_total < args.events_replay {
            bail!(
                "NEOFORGE_EVENTS_REPLAY must be at least 1, and NEOFORGE_EVENTS_REPLAY_TOTAL at least as large"
            );
        }
        if args.events_max_streams == 0 {
            bail!("NEOFORGE_EVENTS_MAX_STREAMS must be at least 1");
        }
        Ok(Self {
            heartbeat: Duration::from_secs(args.events_heartbeat),
            replay: ReplayLimits {
                per_user: args.events_replay,
                total: args.events_replay_total,
            },
            max_streams_per_user: args.events_max_streams,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_valid_and_nonsense_is_refused() {
        let settings = EventSettings::new(&EventsArgs::default()).unwrap();
        assert_eq!(settings.heartbeat, Duration::from_secs(15));
        let refused = [
            EventsArgs {
                events_heartbeat: 0,
                ..EventsArgs::default()
            },
            EventsArgs {
                events_replay: 0,
                ..EventsArgs::default()
            },
            EventsArgs {
                events_replay: 100,
                events_replay_total: 99,
                ..EventsArgs::default()
            },
            EventsArgs {
                events_max_streams: 0,
                ..EventsArgs::default()
            },
        ];
        for args in refused {
            let error = EventSettings::new(&args).unwrap_err().to_string();
            assert!(error.starts_with("NEOFORGE_EVENTS_"), "{error}");
        }
    }
}
