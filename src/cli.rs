//! Command line and configuration sources: flags win over environment variables, which win
//! over `.env` (loaded into the environment before parsing), which win over defaults.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::path::PathBuf;
use std::str::FromStr;

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
    /// Back up the database; safe while the server runs.
    Backup {
        /// Where to write the backup [default: a new timestamped file in <data dir>/backups/].
        #[arg(long)]
        output: Option<PathBuf>,
        /// Restore the backup into a scratch database and check it against the source.
        #[arg(long)]
        verify: bool,
    },
    /// Replace the database's contents with a backup (SQLite: stop the server first).
    Restore {
        /// The backup file to restore.
        file: PathBuf,
    },
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
    #[command(flatten)]
    pub ops: OpsArgs,
    #[command(flatten)]
    pub events: crate::config::events::EventsArgs,
    #[command(flatten)]
    pub rate_limits: crate::config::rate_limits::RateLimitArgs,
    #[command(flatten)]
    pub sign_in: crate::config::sign_in::SignInArgs,
    #[command(flatten)]
    pub passwords: crate::config::passwords::PasswordArgs,
    #[command(flatten)]
    pub cache: crate::config::todo_cache::CacheArgs,
    #[command(flatten)]
    pub api_access: crate::config::api_access::ApiAccessArgs,
    #[command(flatten)]
    pub passkeys: crate::config::passkeys::PasskeyArgs,
    #[command(flatten)]
    pub assistant: crate::config::assistant::AssistantArgs,
    #[command(flatten)]
    pub providers: crate::config::providers::ProviderArgs,
    #[command(flatten)]
    pub connect: ConnectArgs,
    #[command(flatten)]
    pub clients: ClientConnectionArgs,
}

const CONNECT_TIMEOUT_SECS: u64 = 30;

/// Connections to the database and Redis.
#[derive(Args, Clone)]
pub struct ConnectArgs {
    /// Seconds to keep trying at start-up while PostgreSQL or Redis is unreachable or still
    /// starting; 0 tries once.
    #[arg(
        long,
        global = true,
        env = "NEOFORGE_CONNECT_TIMEOUT",
        default_value_t = CONNECT_TIMEOUT_SECS
    )]
    pub connect_timeout: u64,
    /// PEM file of the CA that signed the Redis server's certificate (`rediss://`); unset
    /// means the built-in public root CAs.
    #[arg(long, global = true, env = "NEOFORGE_REDIS_CA_FILE")]
    pub redis_ca_file: Option<PathBuf>,
}

/// The documented defaults, for code that builds settings without parsing a command line.
impl Default for ConnectArgs {
    fn default() -> Self {
        Self {
            connect_timeout: CONNECT_TIMEOUT_SECS,
            redis_ca_file: None,
        }
    }
}

const HEADER_READ_TIMEOUT_SECS: u64 = 10;
const MAX_CONNECTIONS: usize = 10_000;

/// Client connections to the server.
#[derive(Args, Clone)]
pub struct ClientConnectionArgs {
    /// Seconds a client has to send a request's headers (and to start the next request on a
    /// kept-alive connection); slower connections are closed, so clients that trickle bytes
    /// cannot hold connections for as long as they like.
    #[arg(
        long,
        global = true,
        env = "NEOFORGE_HEADER_READ_TIMEOUT",
        default_value_t = HEADER_READ_TIMEOUT_SECS
    )]
    pub header_read_timeout: u64,
    /// Connections served at once; further ones wait in the kernel's accept queue until one
    /// closes. Keep it below the open-files limit (`LimitNOFILE`).
    #[arg(
        long,
        global = true,
        env = "NEOFORGE_MAX_CONNECTIONS",
        default_value_t = MAX_CONNECTIONS
    )]
    pub max_connections: usize,
}

impl Default for ClientConnectionArgs {
    fn default() -> Self {
        Self {
            header_read_timeout: HEADER_READ_TIMEOUT_SECS,
            max_connections: MAX_CONNECTIONS,
        }
    }
}

const SLOW_REQUEST_MS: u64 = 500;
const BACKUP_INTERVAL_HOURS: u64 = 0;
const BACKUP_KEEP: usize = 7;

/// A listening address, or `off` for none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListenAddr(pub Option<SocketAddr>);

impl ListenAddr {
    /// Where `neoforge worker` serves its metrics and probes unless told otherwise.
    pub const WORKER_DEFAULT: Self = Self(Some(SocketAddr::V4(SocketAddrV4::new(
        Ipv4Addr::LOCALHOST,
        9000,
    ))));
}

impl FromStr for ListenAddr {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        if value.eq_ignore_ascii_case("off") {
            return Ok(Self(None));
        }
        value
            .parse()
            .map(|addr| Self(Some(addr)))
            .map_err(|_| format!("{value:?} is neither `off` nor an address like 0.0.0.0:9000"))
    }
}

impl fmt::Display for ListenAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(addr) => addr.fmt(f),
            None => f.write_str("off"),
        }
    }
}

/// Logs, metrics, traces and backups.
#[derive(Args, Clone)]
pub struct OpsArgs {
    /// Requests slower than this many milliseconds are logged as warnings.
    #[arg(
        long,
        global = true,
        env = "NEOFORGE_SLOW_REQUEST_MS",
        default_value_t = SLOW_REQUEST_MS
    )]
    pub slow_request_ms: u64,
    /// Hours between scheduled backups by the server; 0 turns them off.
    #[arg(
        long,
        global = true,
        env = "NEOFORGE_BACKUP_INTERVAL",
        default_value_t = BACKUP_INTERVAL_HOURS
    )]
    pub backup_interval: u64,
    /// How many of the newest backups to keep in `<data dir>/backups/`.
    #[arg(
        long,
        global = true,
        env = "NEOFORGE_BACKUP_KEEP",
        default_value_t = BACKUP_KEEP
    )]
    pub backup_keep: usize,
    /// OTLP/HTTP collector to export traces to (`http://localhost:4318`); needs a build with
    /// the `otel` feature.
    #[arg(long, global = true, env = "OTEL_EXPORTER_OTLP_ENDPOINT")]
    pub otel_endpoint: Option<String>,
    /// Where `neoforge worker` serves `/metrics`, `/health` and `/ready` (the server serves
    /// them on its own address); `off` for no listener.
    #[arg(
        long,
        global = true,
        env = "NEOFORGE_WORKER_ADDR",
        default_value_t = ListenAddr::WORKER_DEFAULT
    )]
    pub worker_addr: ListenAddr,
}

/// The documented defaults, for code that builds settings without parsing a command line.
impl Default for OpsArgs {
    fn default() -> Self {
        Self {
            slow_request_ms: SLOW_REQUEST_MS,
            backup_interval: BACKUP_INTERVAL_HOURS,
            backup_keep: BACKUP_KEEP,
            otel_endpoint: None,
            worker_addr: ListenAddr::WORKER_DEFAULT,
        }
    }
}

impl ConfigArgs {
    pub fn into_settings(self) -> anyhow::Result<Settings> {
        Settings::new(self)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use clap::CommandFactory;

    use super::{Cli, ListenAddr};

    /// Environment-only settings, kept out of flags on purpose.
    const ENV_ONLY: &[&str] = &[
        "NEOFORGE_SECRET",
        "NEOFORGE_LLM_API_KEY",
        "NEOFORGE_GITHUB_CLIENT_SECRET",
    ];

    /// Settings whose names carry a value of their own (the OIDC provider's id): read from
    /// the environment as a set, so no flag can know them.
    const ENV_PATTERNS: &[&str] = &[
        "NEOFORGE_OIDC_<ID>_ISSUER",
        "NEOFORGE_OIDC_<ID>_CLIENT_ID",
        "NEOFORGE_OIDC_<ID>_CLIENT_SECRET",
        "NEOFORGE_OIDC_<ID>_NAME",
    ];

    /// `variable -> (flag, planned)` from the README's configuration table; `planned` rows are
    /// documented ahead of the code and marked **not read yet**.
    fn readme_table() -> BTreeMap<String, (Option<String>, bool)> {
        let readme = include_str!("../README.md");
        let section = readme
            .split("### Configuration")
            .nth(1)
            .expect("the README has a Configuration section");
        let section = section.split("\n#").next().unwrap_or_default();
        section
            .lines()
            .filter(|line| line.starts_with("| `"))
            .map(|line| {
                let cells: Vec<&str> = line.split('|').map(str::trim).collect();
                let name = cells[1].trim_matches('`').to_owned();
                let flag = cells[2]
                    .strip_prefix('`')
                    .and_then(|flag| flag.strip_suffix('`'))
                    .map(str::to_owned);
                (name, (flag, line.contains("**not read yet**")))
            })
            .collect()
    }

    /// `variable -> flag` for every setting the command line knows.
    fn clap_settings() -> BTreeMap<String, String> {
        Cli::command()
            .get_arguments()
            .filter_map(|arg| {
                let env = arg.get_env()?.to_str()?.to_owned();
                Some((env, format!("--{}", arg.get_long()?)))
            })
            .collect()
    }

    #[test]
    fn the_readme_documents_exactly_the_settings_the_binary_reads() {
        let readme = readme_table();
        let clap = clap_settings();
        assert!(readme.len() >= 8, "the table was not found: {readme:?}");
        for (name, (flag, planned)) in &readme {
            let known = clap.get(name);
            if *planned {
                assert!(known.is_none(), "{name} is read now: update its README row");
                continue;
            }
            if ENV_ONLY.contains(&name.as_str()) || ENV_PATTERNS.contains(&name.as_str()) {
                assert!(known.is_none(), "{name} must stay out of the flags");
                continue;
            }
            let known = known
                .unwrap_or_else(|| panic!("the README lists {name}, the binary does not read it"));
            assert_eq!(flag.as_ref(), Some(known), "the README's flag for {name}");
        }
        for name in clap.keys() {
            assert!(
                readme.contains_key(name),
                "{name} is missing from the README's table"
            );
        }
        let patterns: Vec<String> = crate::config::providers::OIDC_SUFFIXES
            .iter()
            .map(|suffix| format!("NEOFORGE_OIDC_<ID>{suffix}"))
            .collect();
        assert_eq!(
            patterns, ENV_PATTERNS,
            "the OIDC variables the binary reads"
        );
        for name in ENV_ONLY.iter().chain(ENV_PATTERNS) {
            assert!(
                readme.contains_key(*name),
                "{name} is missing from the README's table"
            );
        }
    }

    #[test]
    fn a_listen_addr_is_an_address_or_off() {
        assert_eq!("off".parse::<ListenAddr>().unwrap(), ListenAddr(None));
        assert_eq!("OFF".parse::<ListenAddr>().unwrap(), ListenAddr(None));
        let addr: ListenAddr = "0.0.0.0:9100".parse().unwrap();
        assert_eq!(addr.0, Some("0.0.0.0:9100".parse().unwrap()));
        for bad in ["", "9000", "localhost:9000", "on"] {
            assert!(bad.parse::<ListenAddr>().is_err(), "{bad:?}");
        }
        for shown in ["off", "127.0.0.1:9000", "[::]:9000"] {
            assert_eq!(shown.parse::<ListenAddr>().unwrap().to_string(), shown);
        }
        assert_eq!(ListenAddr::WORKER_DEFAULT.to_string(), "127.0.0.1:9000");
    }
}
