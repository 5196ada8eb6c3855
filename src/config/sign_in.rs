//! Settings of signing in that are not rate limits (`NEOFORGE_REAUTH_WINDOW_SECS`).

use std::time::Duration;

use anyhow::bail;
use clap::Args;

const REAUTH_WINDOW_SECS: u64 = 10 * 60;

#[derive(Args, Clone)]
pub struct SignInArgs {
    /// How long after signing in (or confirming the password again) a session may change the
    /// account's sign-in methods, in seconds; later it must confirm first.
    #[arg(
        long,
        global = true,
        env = "NEOFORGE_REAUTH_WINDOW_SECS",
        default_value_t = REAUTH_WINDOW_SECS
    )]
    pub reauth_window_secs: u64,
}

impl Default for SignInArgs {
    fn default() -> Self {
        Self {
            reauth_window_secs: REAUTH_WINDOW_SECS,
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct SignInSettings {
    /// A session this recently authenticated counts as "fresh" (see `auth::FreshSession`).
    pub reauth_window: Duration,
}

impl SignInSettings {
    pub fn new(args: &SignInArgs) -> anyhow::Result<Self> {
        if args.reauth_window_secs == 0 || args.reauth_window_secs > 24 * 60 * 60 {
            bail!("NEOFORGE_REAUTH_WINDOW_SECS must be between 1 and 86400");
        }
        Ok(Self {
            reauth_window: Duration::from_secs(args.reauth_window_secs),
        })
    }
}
