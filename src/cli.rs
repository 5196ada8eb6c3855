//! Command line and configuration sources: flags win over environment variables, which win
//! over `.env` (loaded into the environment before parsing), which win over defaults.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use secrecy::SecretString;

use crate::config::{Environment, Settings};

#[derive(Parser)]
#[command(name = "neoforge", version, about = "NeoForge SaaS foundation server")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub config: ConfigArgs,
}

#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Serve the HTTP API (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the OpenAPI document as JSON.
    Openapi,
    /// Create an admin account, or promote an existing one, and exit.
    CreateAdmin(CreateAdminArgs),
    /// Run background jobs (emails, ...) without serving HTTP.
    Worker,
}

#[derive(Debug, Clone, Args)]
pub struct CreateAdminArgs {
    /// The admin's email address.
    #[arg(long)]
    pub email: String,
    /// The password for a new account; read from standard input when absent, so it stays out
    /// of the shell history. Ignored when the account exists.
    #[arg(long)]
    pub password: Option<String>,
}

/// Every setting, named after its environment variable (`--addr` is `NEOFORGE_ADDR`, ...).
/// No `Debug`: it holds secrets.
#[derive(Args)]
pub struct ConfigArgs {
    /// Address to listen on.
    #[arg(
        long,
        global = true,
        env = "NEOFORGE_ADDR",
        default_value = "127.0.0.1:8000"
    )]
    pub addr: SocketAddr,
    /// Directory for the SQLite file, the generated development secret and other local state.
    #[arg(
        long,
        global = true,
        env = "NEOFORGE_DATA_DIR",
        default_value = "./data"
    )]
    pub data_dir: PathBuf,
    /// `development` or `production`.
    #[arg(
        long = "env",
        global = true,
        env = "NEOFORGE_ENV",
        default_value = "development"
    )]
    pub environment: Environment,
    /// Base of links the server generates.
    #[arg(
        long,
        global = true,
        env = "NEOFORGE_PUBLIC_URL",
        default_value = "http://localhost:8000"
    )]
    pub public_url: String,
    /// Token signing key: generated and kept in the data dir in development, required in
    /// production. Environment only, so it never shows up in a process list.
    #[arg(skip = std::env::var("NEOFORGE_SECRET").ok().map(SecretString::from))]
    pub secret: Option<SecretString>,
    /// `postgres://...` for PostgreSQL; unset means SQLite in the data dir.
    #[arg(long, global = true, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Comma-separated origins (`https://app.example.com`) whose pages may call the API from a
    /// browser; empty means same-origin only.
    #[arg(long, global = true, env = "NEOFORGE_CORS_ORIGINS", default_value = "")]
    pub cors_origins: String,
    /// `redis://...`: cache, rate-limit counters and session revocations shared by every
    /// replica; unset means in-process.
    #[arg(long, global = true, env = "REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<String>,
    /// Prefix of every Redis key, so several deployments can share one Redis.
    #[arg(
        long,
        global = true,
        env = "NEOFORGE_REDIS_PREFIX",
        default_value = "neoforge:"
    )]
    pub redis_prefix: String,
    /// `smtps://user:pass@host:465` (TLS) or `smtp://user:pass@host:587?tls=required`
    /// (STARTTLS); a plain `smtp://host:25` suits a local relay only. Unset means each email is
    /// written to `<data dir>/mail/` as an `.eml` file.
    #[arg(long, global = true, env = "SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// Sender of outgoing email.
    #[arg(
        long,
        global = true,
        env = "NEOFORGE_MAIL_FROM",
        default_value = "NeoForge <noreply@localhost>"
    )]
    pub mail_from: String,
    /// Take the client IP (for rate limits and the audit log) from the `X-Real-IP` header set
    /// by a reverse proxy in front. Only enable it behind such a proxy: otherwise clients
    /// choose their own IP.
    #[arg(long, global = true, env = "NEOFORGE_TRUST_PROXY", default_value_t = false, action = clap::ArgAction::Set)]
    pub trust_proxy: bool,
    /// Run the background-job worker inside the server process; turn it off when separate
    /// `neoforge worker` processes do the work.
    #[arg(long, global = true, env = "NEOFORGE_WORKER", default_value_t = true, action = clap::ArgAction::Set)]
    pub worker: bool,
    /// Log filter, e.g. `info` or `neoforge=debug,tower_http=info`.
    #[arg(long = "log", global = true, env = "RUST_LOG", default_value = "info")]
    pub log_filter: String,
}

impl ConfigArgs {
    pub fn into_settings(self) -> anyhow::Result<Settings> {
        Settings::new(self)
    }
}
