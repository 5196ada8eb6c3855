//! `DATABASE_URL` for PostgreSQL, as libpq reads it. tokio-postgres parses most of it but
//! knows only three `sslmode` values and no `sslrootcert`: those two are taken out here, and
//! the rest is handed to tokio-postgres unchanged. Both the URL form
//! (`postgres://user@host/db?sslmode=verify-full`) and the key/value form
//! (`host=db sslmode=require`) are understood.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::str::FromStr;

use anyhow::{Context, bail};
use percent_encoding::percent_decode_str;
use tokio_postgres::config::{Host, SslMode as WireMode};

/// libpq's `sslmode`: whether to encrypt, and how much of the server's certificate to check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// Never encrypt.
    Disable,
    /// Encrypt when the server offers it (libpq tries plain text first; either is accepted).
    Allow,
    /// Encrypt when the server offers it (the default).
    Prefer,
    /// Always encrypt; check the certificate only when `sslrootcert` is given.
    Require,
    /// Always encrypt, and the certificate must chain to a trusted CA.
    VerifyCa,
    /// As `VerifyCa`, and the certificate must name the host connected to.
    VerifyFull,
}

impl SslMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Disable => "disable",
            Self::Allow => "allow",
            Self::Prefer => "prefer",
            Self::Require => "require",
            Self::VerifyCa => "verify-ca",
            Self::VerifyFull => "verify-full",
        }
    }

    fn wire(self) -> WireMode {
        match self {
            Self::Disable => WireMode::Disable,
            Self::Allow | Self::Prefer => WireMode::Prefer,
            Self::Require | Self::VerifyCa | Self::VerifyFull => WireMode::Require,
        }
    }
}

impl FromStr for SslMode {
    type Err = anyhow::Error;

    fn from_str(value: &str) -> anyhow::Result<Self> {
        Ok(match value {
            "disable" => Self::Disable,
            "allow" => Self::Allow,
            "prefer" => Self::Prefer,
            "require" => Self::Require,
            "verify-ca" => Self::VerifyCa,
            "verify-full" => Self::VerifyFull,
            other => bail!(
                "DATABASE_URL: sslmode={other:?} is not one of disable, allow, prefer, require, \
                 verify-ca, verify-full"
            ),
        })
    }
}

/// Everything needed to open a connection: tokio-postgres's settings plus the TLS policy.
/// (`Debug` is safe: tokio-postgres redacts the password.)
#[derive(Clone, Debug)]
pub struct PgConfig {
    pub config: tokio_postgres::Config,
    pub ssl_mode: SslMode,
    /// PEM file of the CA(s) to trust instead of the built-in roots.
    pub root_cert: Option<PathBuf>,
}

impl PgConfig {
    pub fn parse(url: &str) -> anyhow::Result<Self> {
        let (rest, tls) = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            split_url(url)?
        } else {
            split_key_values(url)?
        };
        let mut ssl_mode = SslMode::Prefer;
        let mut root_cert = None;
        for (key, value) in tls {
            match key.as_str() {
                "sslmode" => ssl_mode = value.parse()?,
                _ => {
                    root_cert =
                        Some(PathBuf::from(value)).filter(|path| !path.as_os_str().is_empty())
                }
            }
        }
        let mut config = tokio_postgres::Config::from_str(&rest).context("parsing DATABASE_URL")?;
        config.ssl_mode(ssl_mode.wire());
        Ok(Self {
            config,
            ssl_mode,
            root_cert,
        })
    }

    /// `host:port` of the server(s), for logs and errors: never the password.
    pub fn server(&self) -> String {
        let ports = self.config.get_ports();
        let hosts = self.config.get_hosts();
        let mut server = String::new();
        for (index, host) in hosts.iter().enumerate() {
            let port = ports
                .get(index)
                .or_else(|| ports.first())
                .copied()
                .unwrap_or(5432);
            if index > 0 {
                server.push(',');
            }
            let _ = match host {
                Host::Tcp(name) => write!(server, "{name}:{port}"),
                #[cfg(unix)]
                Host::Unix(dir) => write!(server, "{}/.s.PGSQL.{port}", dir.display()),
            };
        }
        if server.is_empty() {
            let addresses = self.config.get_hostaddrs();
            let port = ports.first().copied().unwrap_or(5432);
            let list: Vec<String> = addresses.iter().map(|ip| format!("{ip}:{port}")).collect();
            server = list.join(",");
        }
        server
    }
}

const TLS_KEYS: [&str; 2] = ["sslmode", "sslrootcert"];

/// Take `sslmode`/`sslrootcert` out of a URL's query; the rest stays byte for byte.
fn split_url(url: &str) -> anyhow::Result<(String, Vec<(String, String)>)> {
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_owned(), Vec::new()));
    };
    let mut kept = Vec::new();
    let mut tls = Vec::new();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = decode(key)?;
        if TLS_KEYS.contains(&key.as_str()) {
            tls.push((key, decode(value)?));
        } else {
            kept.push(pair);
        }
    }
    let rest = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok((rest, tls))
}

fn decode(text: &str) -> anyhow::Result<String> {
    percent_decode_str(text)
        .decode_utf8()
        .map(|text| text.into_owned())
        .context("DATABASE_URL: a query parameter is not valid UTF-8")
}

/// Take `sslmode`/`sslrootcert` out of a `key=value key='quoted value'` string.
fn split_key_values(text: &str) -> anyhow::Result<(String, Vec<(String, String)>)> {
    let mut kept = String::new();
    let mut tls = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            break;
        }
        let mut key = String::new();
        while let Some(c) = chars.next_if(|c| *c != '=' && !c.is_whitespace()) {
            key.push(c);
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.next() != Some('=') {
            bail!("DATABASE_URL: expected `=` after `{key}`");
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'\'').is_some() {
            loop {
                match chars.next() {
                    Some('\'') => break,
                    Some('\\') => value.extend(chars.next()),
                    Some(c) => value.push(c),
                    None => bail!("DATABASE_URL: unterminated quoted value for `{key}`"),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                if c == '\\' {
                    value.extend(chars.next());
                } else {
                    value.push(c);
                }
            }
        }
        if TLS_KEYS.contains(&key.as_str()) {
            tls.push((key, value));
        } else {
            let quoted = value.replace('\\', "\\\\").replace('\'', "\\'");
            let _ = write!(kept, "{key}='{quoted}' ");
        }
    }
    Ok((kept.trim_end().to_owned(), tls))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_prefer_without_a_root_certificate() {
        let parsed = PgConfig::parse("postgres://app:secret@db.example.com/app").unwrap();
        assert_eq!(parsed.ssl_mode, SslMode::Prefer);
        assert_eq!(parsed.root_cert, None);
        assert_eq!(parsed.config.get_ssl_mode(), WireMode::Prefer);
        assert_eq!(parsed.server(), "db.example.com:5432");
    }

    #[test]
    fn tls_parameters_come_out_of_the_url_and_the_rest_stays() {
        let parsed = PgConfig::parse(
            "postgresql://app:p%40ss@db:6543/app?application_name=web&sslmode=verify-full\
             &sslrootcert=%2Fetc%2Fca%20bundle.pem&connect_timeout=5",
        )
        .unwrap();
        assert_eq!(parsed.ssl_mode, SslMode::VerifyFull);
        assert_eq!(parsed.root_cert, Some(PathBuf::from("/etc/ca bundle.pem")));
        assert_eq!(parsed.config.get_ssl_mode(), WireMode::Require);
        assert_eq!(parsed.config.get_application_name(), Some("web"));
        assert_eq!(parsed.config.get_password(), Some(&b"p@ss"[..]));
        assert_eq!(
            parsed.config.get_connect_timeout(),
            Some(&std::time::Duration::from_secs(5))
        );
        assert_eq!(parsed.server(), "db:6543");
    }

    #[test]
    fn tls_parameters_come_out_of_key_value_strings() {
        let parsed = PgConfig::parse(
            "host=db port=6543 user=app password='it\\'s secret' sslmode = verify-ca \
             sslrootcert='/etc/my ca.pem' dbname=app",
        )
        .unwrap();
        assert_eq!(parsed.ssl_mode, SslMode::VerifyCa);
        assert_eq!(parsed.root_cert, Some(PathBuf::from("/etc/my ca.pem")));
        assert_eq!(parsed.config.get_password(), Some(&b"it's secret"[..]));
        assert_eq!(parsed.config.get_dbname(), Some("app"));
        assert_eq!(parsed.server(), "db:6543");
    }

    #[test]
    fn every_libpq_mode_maps_to_the_wire_and_unknown_ones_are_refused() {
        for (text, wire) in [
            ("disable", WireMode::Disable),
            ("allow", WireMode::Prefer),
            ("prefer", WireMode::Prefer),
            ("require", WireMode::Require),
            ("verify-ca", WireMode::Require),
            ("verify-full", WireMode::Require),
        ] {
            let parsed = PgConfig::parse(&format!("postgres://db/app?sslmode={text}")).unwrap();
            assert_eq!(parsed.ssl_mode.as_str(), text);
            assert_eq!(parsed.config.get_ssl_mode(), wire);
        }
        let error = PgConfig::parse("postgres://db/app?sslmode=verify").unwrap_err();
        assert!(error.to_string().contains("sslmode=\"verify\""), "{error}");
    }

    #[test]
    fn errors_do_not_show_the_password() {
        let error = PgConfig::parse("postgres://app:hunter2@db/app?bogus=1").unwrap_err();
        assert!(!format!("{error:#}").contains("hunter2"), "{error:#}");
    }

    #[test]
    fn several_hosts_are_all_named() {
        let parsed = PgConfig::parse("host=a,b port=5432,5433 dbname=app").unwrap();
        assert_eq!(parsed.server(), "a:5432,b:5433");
    }
}
