//! Validated settings: built once at start-up from the command line and environment, then
//! shared read-only. Production refuses to start with an insecure configuration.
//!
//! The bottom layer: every other module may read settings, so this one names none of them.
//! The settings of the features live here too (rate limits, realtime, the todo cache,
//! password hashing, the assistant), each in its own file, and the features read them from
//! here.

pub mod api_access;
pub mod assistant;
pub mod events;
pub mod passkeys;
pub mod passwords;
pub mod policy;
pub mod providers;
pub mod rate_limits;
pub mod sign_in;
pub mod todo_cache;

use std::fs;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use base64::Engine;
use secrecy::{ExposeSecret, SecretString};

pub use api_access::ApiAccessSettings;
pub use assistant::AssistantSettings;
pub use events::{EventSettings, ReplayLimits};
pub use passkeys::PasskeySettings;
pub use policy::Policy;
pub use providers::ProviderSettings;
pub use rate_limits::RateLimits;
pub use sign_in::SignInSettings;
pub use todo_cache::TodoCacheSettings;

use crate::cli::{ClientConnectionArgs, ConfigArgs, OpsArgs};

/// The shortest signing secret accepted: 32 bytes is HS256's key size.
const MIN_SECRET_LEN: usize = 32;
const DEV_SECRET_FILE: &str = "secret.key";

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Environment {
    Development,
    Production,
}

#[derive(Clone)]
pub struct Settings {
    pub addr: SocketAddr,
    pub data_dir: PathBuf,
    pub environment: Environment,
    pub public_url: String,
    pub secret: SecretString,
    pub database: DatabaseSettings,
    pub log_filter: String,
    /// Origins allowed to call the API from a browser (CORS); empty: same-origin only.
    pub cors_origins: Vec<String>,
    /// Access-token lifetime.
    pub access_token_ttl: Duration,
    /// Longest a request may take before it is answered `503`.
    pub request_timeout: Duration,
    /// How client connections are bounded.
    pub client_connections: ClientConnectionLimits,
    /// Unset: cache and rate limits in process.
    pub redis: Option<RedisSettings>,
    /// How long start-up waits for an unreachable database; zero: one attempt.
    pub connect_timeout: Duration,
    /// Unset: email goes to `<data dir>/mail/`.
    pub smtp_url: Option<SecretString>,
    pub mail_from: lettre::message::Mailbox,
    /// Client IP from `X-Real-IP` (behind a reverse proxy).
    pub trust_proxy: bool,
    /// Run the job worker in the server process.
    pub run_worker: bool,
    pub ops: OpsSettings,
    pub events: EventSettings,
    /// Every rate-limit policy.
    pub rate_limits: RateLimits,
    pub sign_in: SignInSettings,
    /// Passwords hashed or verified at once.
    pub password_hashing_threads: usize,
    pub todo_cache: TodoCacheSettings,
    pub api_access: ApiAccessSettings,
    pub passkeys: PasskeySettings,
    /// `None`: the assistant is off.
    pub assistant: Option<AssistantSettings>,
    /// Other identity providers to sign in with (none by default).
    pub providers: ProviderSettings,
}

/// Bounds on client connections, against clients that hold them open without using them.
#[derive(Clone, Copy, Debug)]
pub struct ClientConnectionLimits {
    /// Longest a client may take to send a request's headers.
    pub header_read_timeout: Duration,
    /// Connections served at once.
    pub max_connections: usize,
}

impl ClientConnectionLimits {
    fn new(args: &ClientConnectionArgs) -> anyhow::Result<Self> {
        if args.header_read_timeout == 0 {
            bail!("NEOFORGE_HEADER_READ_TIMEOUT must be at least 1 second");
        }
        if args.max_connections == 0 {
            bail!("NEOFORGE_MAX_CONNECTIONS must be at least 1");
        }
        Ok(Self {
            header_read_timeout: Duration::from_secs(args.header_read_timeout),
            max_connections: args.max_connections,
        })
    }
}

#[derive(Clone)]
pub struct RedisSettings {
    pub url: SecretString,
    pub key_prefix: String,
    /// PEM file of the CA to trust for `rediss://` instead of the built-in roots.
    pub ca_file: Option<PathBuf>,
    /// How long start-up waits for an unreachable Redis; zero: one attempt.
    pub connect_timeout: Duration,
}

/// Logs, metrics, traces and backups.
#[derive(Clone)]
pub struct OpsSettings {
    /// Requests slower than this are logged as warnings.
    pub slow_request: Duration,
    /// Time between scheduled backups by the server; `None`: no scheduled backups.
    pub backup_interval: Option<Duration>,
    /// How many of the newest backups to keep.
    pub backup_keep: usize,
    /// OTLP/HTTP endpoint to export traces to.
    pub otel_endpoint: Option<String>,
    /// Where `neoforge worker` serves its metrics and probes; `None`: nowhere.
    pub worker_addr: Option<SocketAddr>,
}

impl OpsSettings {
    fn new(args: OpsArgs) -> anyhow::Result<Self> {
        if args.backup_keep == 0 {
            bail!("NEOFORGE_BACKUP_KEEP must be at least 1");
        }
        Ok(Self {
            slow_request: Duration::from_millis(args.slow_request_ms),
            backup_interval: (args.backup_interval > 0)
                .then(|| Duration::from_secs(args.backup_interval.saturating_mul(60 * 60))),
            backup_keep: args.backup_keep,
            otel_endpoint: args.otel_endpoint.filter(|endpoint| !endpoint.is_empty()),
            worker_addr: args.worker_addr.0,
        })
    }
}

#[derive(Clone)]
pub enum DatabaseSettings {
    Sqlite { path: PathBuf },
    Postgres { url: SecretString },
}

impl Settings {
    pub fn new(args: ConfigArgs) -> anyhow::Result<Self> {
        let environment = args.environment;
        let database = match args.database_url {
            Some(url) if is_postgres(&url) => DatabaseSettings::Postgres { url: url.into() },
            Some(url) if url.starts_with("sqlite:") => DatabaseSettings::Sqlite {
                path: PathBuf::from(
                    url.trim_start_matches("sqlite://")
                        .trim_start_matches("sqlite:"),
                ),
            },
            Some(_) => bail!(
                "DATABASE_URL must start with postgres://, postgresql:// or sqlite:, or be \
                 libpq key=value settings (host=... dbname=...)"
            ),
            None => DatabaseSettings::Sqlite {
                path: args.data_dir.join("neoforge.db"),
            },
        };
        let secret = match (args.secret, environment) {
            (Some(secret), _) => secret,
            (None, Environment::Production) => {
                bail!("NEOFORGE_SECRET is required when NEOFORGE_ENV=production")
            }
            (None, Environment::Development) => load_or_create_dev_secret(&args.data_dir)?,
        };
        if secret.expose_secret().len() < MIN_SECRET_LEN {
            bail!("NEOFORGE_SECRET must be at least {MIN_SECRET_LEN} characters long");
        }
        let cors_origins = parse_origins(&args.cors_origins)?;
        let connect_timeout = Duration::from_secs(args.connect.connect_timeout);
        let redis_ca_file = args.connect.redis_ca_file;
        let redis = match args.redis_url {
            Some(url) if url.starts_with("redis://") || url.starts_with("rediss://") => {
                if redis_ca_file.is_some() && !url.starts_with("rediss://") {
                    bail!("NEOFORGE_REDIS_CA_FILE is for TLS: REDIS_URL must start with rediss://");
                }
                Some(RedisSettings {
                    url: url.into(),
                    key_prefix: args.redis_prefix,
                    ca_file: redis_ca_file,
                    connect_timeout,
                })
            }
            Some(_) => bail!("REDIS_URL must start with redis:// or rediss://"),
            None => None,
        };
        let smtp_url = match args.smtp_url {
            Some(url) if url.starts_with("smtp://") || url.starts_with("smtps://") => {
                let credentials_in_clear = url.starts_with("smtp://")
                    && url.contains('@')
                    && !url.contains("tls=required");
                if environment == Environment::Production && credentials_in_clear {
                    bail!(
                        "SMTP_URL would send the SMTP password unencrypted: use smtps:// or add ?tls=required"
                    );
                }
                Some(SecretString::from(url))
            }
            Some(_) => bail!("SMTP_URL must start with smtp:// or smtps://"),
            None => None,
        };
        let mail_from = args.mail_from.parse().with_context(|| {
            format!("NEOFORGE_MAIL_FROM: {:?} is not a mailbox", args.mail_from)
        })?;
        let public_url = args.public_url.trim_end_matches('/').to_owned();
        let passkeys = PasskeySettings::new(&args.passkeys, &public_url, &cors_origins)?;
        Ok(Self {
            addr: args.addr,
            data_dir: args.data_dir,
            environment,
            public_url,
            secret,
            database,
            log_filter: args.log_filter,
            cors_origins,
            access_token_ttl: Duration::from_secs(15 * 60),
            request_timeout: Duration::from_secs(30),
            client_connections: ClientConnectionLimits::new(&args.clients)?,
            redis,
            connect_timeout,
            smtp_url,
            mail_from,
            trust_proxy: args.trust_proxy,
            run_worker: args.worker,
            ops: OpsSettings::new(args.ops)?,
            events: EventSettings::new(&args.events)?,
            rate_limits: RateLimits::new(&args.rate_limits)?,
            sign_in: SignInSettings::new(&args.sign_in)?,
            password_hashing_threads: args.passwords.threads(),
            todo_cache: TodoCacheSettings::new(&args.cache)?,
            api_access: ApiAccessSettings::new(&args.api_access)?,
            passkeys,
            assistant: AssistantSettings::new(
                args.assistant,
                environment == Environment::Production,
            )?,
            providers: ProviderSettings::new(
                args.providers,
                environment == Environment::Production,
            )?,
        })
    }

    pub fn is_production(&self) -> bool {
        self.environment == Environment::Production
    }
}

/// A PostgreSQL URL, or libpq's key/value form (`host=db user=app sslmode=require`).
fn is_postgres(url: &str) -> bool {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return true;
    }
    let first = url.split_whitespace().next().unwrap_or_default();
    let key = first.split('=').next().unwrap_or_default();
    first.contains('=')
        && !key.is_empty()
        && key.chars().all(|c| c.is_ascii_lowercase() || c == '_')
}

/// `scheme://host[:port]` origins, exactly as browsers send them in `Origin`.
fn parse_origins(list: &str) -> anyhow::Result<Vec<String>> {
    list.split(',')
        .map(str::trim)
        .filter(|origin| !origin.is_empty())
        .map(|origin| {
            let (scheme, host) = origin.split_once("://").unwrap_or_default();
            let valid = matches!(scheme, "http" | "https")
                && !host.is_empty()
                && !host.contains(['/', '?', '#', ' ', '*']);
            if valid {
                Ok(origin.to_owned())
            } else {
                bail!("NEOFORGE_CORS_ORIGINS: {origin:?} is not an origin like https://app.example.com")
            }
        })
        .collect()
}

/// Development keeps a generated secret in the data dir so tokens survive restarts and no
/// secret is ever hard-coded. It is written to a private temporary file and linked into
/// place, so a process starting at the same moment reads either nothing or the whole secret.
fn load_or_create_dev_secret(data_dir: &Path) -> anyhow::Result<SecretString> {
    let path = data_dir.join(DEV_SECRET_FILE);
    if let Ok(existing) = fs::read_to_string(&path) {
        return Ok(existing.trim().to_owned().into());
    }
    fs::create_dir_all(data_dir)
        .with_context(|| format!("creating data dir {}", data_dir.display()))?;
    let secret =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 48]>());
    let staging = data_dir.join(format!("{DEV_SECRET_FILE}.{}.tmp", std::process::id()));
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(&staging)
        .with_context(|| format!("creating {}", staging.display()))?;
    file.write_all(secret.as_bytes())?;
    file.sync_all()?;
    let linked = fs::hard_link(&staging, &path);
    let _ = fs::remove_file(&staging);
    match linked {
        Ok(()) => Ok(secret.into()),
        // Another process got there first: use its secret.
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
            Ok(fs::read_to_string(&path)?.trim().to_owned().into())
        }
        Err(err) => Err(err).with_context(|| format!("creating {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::{is_postgres, parse_origins};

    #[test]
    fn postgres_is_recognised_in_both_of_libpq_forms() {
        assert!(is_postgres("postgres://app@db/app"));
        assert!(is_postgres("postgresql://app@db/app?sslmode=require"));
        assert!(is_postgres("host=db user=app sslmode=require"));
        assert!(is_postgres("dbname=app"));
        assert!(!is_postgres("sqlite:data/app.db"));
        assert!(!is_postgres("mysql://db/app"));
        assert!(!is_postgres("data/app.db"));
        assert!(!is_postgres("=x"));
    }

    #[test]
    fn cors_origins_are_exact_origins() {
        assert_eq!(parse_origins("").unwrap(), Vec::<String>::new());
        assert_eq!(
            parse_origins(" https://app.example.com, http://localhost:5173 ").unwrap(),
            ["https://app.example.com", "http://localhost:5173"]
        );
        for bad in [
            "*",
            "app.example.com",
            "https://",
            "https://a.com/path",
            "ftp://a.com",
            "https://*.a.com",
        ] {
            assert!(parse_origins(bad).is_err(), "{bad:?}");
        }
    }
}
