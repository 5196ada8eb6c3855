//! Settings of passkeys (WebAuthn): which relying party they are bound to, from which origins
//! the browser may run a ceremony, and how long one may take (`NEOFORGE_WEBAUTHN_RP_ID`,
//! `NEOFORGE_WEBAUTHN_TIMEOUT`).
//!
//! The relying party id is the public URL's host unless set. Browsers accept a page's
//! ceremony only when the id is that page's host or a parent domain of it, so an IP address
//! (`http://127.0.0.1:8000`) cannot be one: with such a public URL and no id set, passkeys
//! are off and their routes answer `503`.

use std::time::Duration;

use anyhow::bail;
use clap::Args;
use url::Url;

const TIMEOUT_SECS: u64 = 300;
const TIMEOUT_RANGE: std::ops::RangeInclusive<u64> = 30..=3600;

#[derive(Args, Clone)]
pub struct PasskeyArgs {
    /// The domain passkeys are bound to: the public URL's host or a parent domain of it
    /// (`example.com` for `https://app.example.com`, so they also work on its other
    /// subdomains). Unset: the public URL's host. Passkeys made for one id do not work under
    /// another, so choose it once.
    #[arg(long, global = true, env = "NEOFORGE_WEBAUTHN_RP_ID")]
    pub webauthn_rp_id: Option<String>,
    /// Seconds a passkey registration or sign-in may take, from the server's challenge to
    /// the browser's answer (30 to 3600); the challenge is forgotten after that.
    #[arg(long, global = true, env = "NEOFORGE_WEBAUTHN_TIMEOUT", default_value_t = TIMEOUT_SECS)]
    pub webauthn_timeout: u64,
}

/// The documented defaults, for code that builds settings without parsing a command line.
impl Default for PasskeyArgs {
    fn default() -> Self {
        Self {
            webauthn_rp_id: None,
            webauthn_timeout: TIMEOUT_SECS,
        }
    }
}

/// Where and how passkeys work.
#[derive(Debug, Clone)]
pub struct PasskeySettings {
    /// `None`: passkeys are off (the public URL's host is not a domain name and no relying
    /// party id is set).
    pub relying_party: Option<RelyingPartySettings>,
    /// How long a ceremony may take, and how long its challenge is kept.
    pub timeout: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelyingPartySettings {
    /// The relying party id: a domain name.
    pub id: String,
    /// The origins whose pages may run a ceremony: the public URL's and the CORS origins that
    /// lie within `id`, the public URL's first when it does.
    pub origins: Vec<Url>,
}

impl PasskeySettings {
    /// From the arguments, the public URL and the (already checked) CORS origins.
    pub fn new(
        args: &PasskeyArgs,
        public_url: &str,
        cors_origins: &[String],
    ) -> anyhow::Result<Self> {
        if !TIMEOUT_RANGE.contains(&args.webauthn_timeout) {
            bail!(
                "NEOFORGE_WEBAUTHN_TIMEOUT must be from {} to {} seconds",
                TIMEOUT_RANGE.start(),
                TIMEOUT_RANGE.end()
            );
        }
        let timeout = Duration::from_secs(args.webauthn_timeout);
        let public = Url::parse(public_url).ok();
        let configured = args
            .webauthn_rp_id
            .as_deref()
            .map(str::trim)
            .filter(|id| !id.is_empty());
        let id = match configured {
            Some(id) => {
                let id = id.to_ascii_lowercase();
                if !is_domain(&id) {
                    bail!("NEOFORGE_WEBAUTHN_RP_ID: {id:?} is not a domain name like example.com");
                }
                id
            }
            None => match public.as_ref().and_then(Url::domain) {
                Some(host) => host.to_ascii_lowercase(),
                None => {
                    return Ok(Self {
                        relying_party: None,
                        timeout,
                    });
                }
            },
        };
        let origins: Vec<Url> = public
            .into_iter()
            .chain(
                cors_origins
                    .iter()
                    .filter_map(|origin| Url::parse(origin).ok()),
            )
            .filter(|origin| origin.domain().is_some_and(|host| within(host, &id)))
            .map(|origin| origin.origin().unicode_serialization())
            .filter_map(|origin| Url::parse(&origin).ok())
            .fold(Vec::new(), |mut origins, origin| {
                if !origins.contains(&origin) {
                    origins.push(origin);
                }
                origins
            });
        if origins.is_empty() {
            bail!(
                "NEOFORGE_WEBAUTHN_RP_ID: {id:?} is neither the host of NEOFORGE_PUBLIC_URL or of a \
                 NEOFORGE_CORS_ORIGINS origin, nor a parent domain of one"
            );
        }
        Ok(Self {
            relying_party: Some(RelyingPartySettings { id, origins }),
            timeout,
        })
    }
}

/// `host` is `domain` or one of its subdomains.
fn within(host: &str, domain: &str) -> bool {
    let host = host.to_ascii_lowercase();
    host == domain || host.ends_with(&format!(".{domain}"))
}

/// A host name of letters, digits, hyphens and dots, not an IP address.
fn is_domain(id: &str) -> bool {
    let labels_ok = id.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    });
    labels_ok && id.len() <= 253 && id.parse::<std::net::IpAddr>().is_err()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(
        id: Option<&str>,
        public_url: &str,
        cors: &[&str],
    ) -> anyhow::Result<PasskeySettings> {
        let args = PasskeyArgs {
            webauthn_rp_id: id.map(str::to_owned),
            webauthn_timeout: TIMEOUT_SECS,
        };
        let cors: Vec<String> = cors.iter().map(|origin| (*origin).to_owned()).collect();
        PasskeySettings::new(&args, public_url, &cors)
    }

    fn origins(settings: &PasskeySettings) -> Vec<String> {
        let party = settings.relying_party.as_ref().unwrap();
        party
            .origins
            .iter()
            .map(|url| url.as_str().to_owned())
            .collect()
    }

    #[test]
    fn the_relying_party_is_the_public_urls_host_by_default() {
        let passkeys = settings(None, "https://app.example.com", &[]).unwrap();
        assert_eq!(
            passkeys.relying_party.as_ref().unwrap().id,
            "app.example.com"
        );
        assert_eq!(origins(&passkeys), ["https://app.example.com/"]);
        let local = settings(None, "http://localhost:8000", &[]).unwrap();
        assert_eq!(origins(&local), ["http://localhost:8000/"]);
    }

    #[test]
    fn an_ip_address_turns_passkeys_off_unless_an_id_is_set() {
        assert!(
            settings(None, "http://127.0.0.1:8000", &[])
                .unwrap()
                .relying_party
                .is_none()
        );
        let local = settings(
            Some("localhost"),
            "http://127.0.0.1:8000",
            &["http://localhost:8000"],
        )
        .unwrap();
        assert_eq!(origins(&local), ["http://localhost:8000/"]);
    }

    #[test]
    fn a_parent_domain_takes_the_origins_within_it() {
        let passkeys = settings(
            Some("Example.com"),
            "https://app.example.com",
            &[
                "https://admin.example.com",
                "https://example.org",
                "https://app.example.com",
            ],
        )
        .unwrap();
        assert_eq!(passkeys.relying_party.as_ref().unwrap().id, "example.com");
        assert_eq!(
            origins(&passkeys),
            ["https://app.example.com/", "https://admin.example.com/"]
        );
    }

    #[test]
    fn an_id_outside_every_origin_or_not_a_domain_is_refused() {
        for (id, public_url) in [
            ("example.org", "https://app.example.com"),
            ("ample.com", "https://app.example.com"),
            ("127.0.0.1", "http://127.0.0.1:8000"),
            ("https://example.com", "https://example.com"),
            ("example.com:443", "https://example.com"),
        ] {
            let err = settings(Some(id), public_url, &[]).unwrap_err();
            assert!(
                err.to_string().starts_with("NEOFORGE_WEBAUTHN_RP_ID"),
                "{id}: {err}"
            );
        }
    }

    #[test]
    fn the_timeout_is_bounded() {
        let args = |secs| PasskeyArgs {
            webauthn_rp_id: None,
            webauthn_timeout: secs,
        };
        assert!(PasskeySettings::new(&args(10), "http://localhost:8000", &[]).is_err());
        assert!(PasskeySettings::new(&args(7200), "http://localhost:8000", &[]).is_err());
        let ok = PasskeySettings::new(&args(60), "http://localhost:8000", &[]).unwrap();
        assert_eq!(ok.timeout, Duration::from_secs(60));
    }
}
