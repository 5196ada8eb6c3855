//! Logging: JSON lines in production and whenever the output is not a terminal (log
//! shippers), readable text when a person is watching a development server.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::Settings;

/// Install the global subscriber once; later calls (several apps in one test process) are
/// no-ops.
pub fn init(settings: &Settings) {
    let filter =
        EnvFilter::try_new(&settings.log_filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let json = settings.is_production() || !std::io::stdout().is_terminal();
    let _ = if json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init()
    } else {
        builder.try_init()
    };
}
