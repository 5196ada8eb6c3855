//! Settings of signing in with other identity providers: any number of OpenID Connect
//! providers (`NEOFORGE_OIDC_<ID>_ISSUER`, `_CLIENT_ID`, `_CLIENT_SECRET`, optional `_NAME`)
//! and the GitHub preset (`NEOFORGE_GITHUB_CLIENT_ID`, `NEOFORGE_GITHUB_CLIENT_SECRET`). The
//! OIDC variables name the provider inside the variable, so no fixed flag can carry them:
//! they are read from the environment as a set and checked here. The feature itself is
//! `auth::providers`.

use anyhow::bail;
use clap::Args;
use secrecy::SecretString;

pub const GITHUB_URL: &str = "https://github.com";
pub const GITHUB_API_URL: &str = "https://api.github.com";
pub const GITHUB_ID: &str = "github";
const OIDC_PREFIX: &str = "NEOFORGE_OIDC_";
/// What may follow `NEOFORGE_OIDC_<ID>`.
pub const OIDC_SUFFIXES: [&str; 4] = ["_ISSUER", "_CLIENT_ID", "_CLIENT_SECRET", "_NAME"];
const MAX_ID_LEN: usize = 32;
const MAX_NAME_LEN: usize = 40;

/// Sign-in with other identity providers.
#[derive(Args, Clone)]
pub struct ProviderArgs {
    /// Client ID of a GitHub OAuth app: adds "Continue with GitHub"; unset: no GitHub sign-in.
    #[arg(long, global = true, env = "NEOFORGE_GITHUB_CLIENT_ID")]
    pub github_client_id: Option<String>,
    /// The GitHub OAuth app's client secret. Environment only, so it never shows up in a
    /// process list.
    #[arg(skip = env_secret("NEOFORGE_GITHUB_CLIENT_SECRET"))]
    pub github_client_secret: Option<SecretString>,
    /// GitHub's web address, where users authorize the app (a GitHub Enterprise Server's own).
    #[arg(long, global = true, env = "NEOFORGE_GITHUB_URL", default_value = GITHUB_URL)]
    pub github_url: String,
    /// GitHub's REST API (`https://HOST/api/v3` on GitHub Enterprise Server).
    #[arg(long, global = true, env = "NEOFORGE_GITHUB_API_URL", default_value = GITHUB_API_URL)]
    pub github_api_url: String,
    /// Every `NEOFORGE_OIDC_*` variable, as `(name, value)`.
    #[arg(skip = oidc_variables(std::env::vars()))]
    pub oidc_variables: Vec<(String, String)>,
}

/// The documented defaults with no provider, for code that builds settings without parsing a
/// command line.
impl Default for ProviderArgs {
    fn default() -> Self {
        Self {
            github_client_id: None,
            github_client_secret: None,
            github_url: GITHUB_URL.into(),
            github_api_url: GITHUB_API_URL.into(),
            oidc_variables: Vec::new(),
        }
    }
}

fn env_secret(name: &str) -> Option<SecretString> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
        .map(SecretString::from)
}

/// The `NEOFORGE_OIDC_*` variables among `vars`, sorted by name.
pub fn oidc_variables(vars: impl Iterator<Item = (String, String)>) -> Vec<(String, String)> {
    let mut found: Vec<_> = vars
        .filter(|(name, _)| name.starts_with(OIDC_PREFIX))
        .collect();
    found.sort();
    found
}

/// The configured providers, in the order they are offered (by id).
#[derive(Clone, Default)]
pub struct ProviderSettings {
    pub oidc: Vec<OidcSettings>,
    pub github: Option<GitHubSettings>,
}

/// One OpenID Connect provider.
#[derive(Clone)]
pub struct OidcSettings {
    /// `<ID>` lower-cased: the provider's id in URLs and in the `identities` table.
    pub id: String,
    /// Shown on the button: "Continue with {name}".
    pub name: String,
    /// Its issuer, without a trailing slash; discovery reads
    /// `{issuer}/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: SecretString,
}

/// The GitHub preset (OAuth 2 and GitHub's REST API; GitHub has no OpenID Connect for users).
#[derive(Clone)]
pub struct GitHubSettings {
    pub client_id: String,
    pub client_secret: SecretString,
    /// Without a trailing slash.
    pub web_url: String,
    /// Without a trailing slash.
    pub api_url: String,
}

impl ProviderSettings {
    pub fn new(args: ProviderArgs, production: bool) -> anyhow::Result<Self> {
        let github = match (args.github_client_id, args.github_client_secret) {
            (None, None) => None,
            (Some(client_id), Some(client_secret)) if !client_id.trim().is_empty() => {
                Some(GitHubSettings {
                    client_id: client_id.trim().to_owned(),
                    client_secret,
                    web_url: base_url("NEOFORGE_GITHUB_URL", &args.github_url, production)?,
                    api_url: base_url("NEOFORGE_GITHUB_API_URL", &args.github_api_url, production)?,
                })
            }
            _ => bail!(
                "NEOFORGE_GITHUB_CLIENT_ID and NEOFORGE_GITHUB_CLIENT_SECRET go together: set both or neither"
            ),
        };
        let oidc = oidc_providers(&args.oidc_variables, production)?;
        if github.is_some() && oidc.iter().any(|provider| provider.id == GITHUB_ID) {
            bail!(
                "NEOFORGE_OIDC_GITHUB_* and NEOFORGE_GITHUB_* both name a provider `github`: rename the OIDC one"
            );
        }
        Ok(Self { oidc, github })
    }

    /// Whether any provider is configured.
    pub fn any(&self) -> bool {
        self.github.is_some() || !self.oidc.is_empty()
    }
}

#[derive(Default)]
struct Partial {
    issuer: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    name: Option<String>,
}

fn oidc_providers(
    variables: &[(String, String)],
    production: bool,
) -> anyhow::Result<Vec<OidcSettings>> {
    let mut partials: std::collections::BTreeMap<String, Partial> = Default::default();
    for (variable, value) in variables {
        let Some(rest) = variable.strip_prefix(OIDC_PREFIX) else {
            continue;
        };
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        let Some((id, suffix)) = OIDC_SUFFIXES.iter().find_map(|suffix| {
            rest.strip_suffix(suffix)
                .filter(|id| !id.is_empty())
                .map(|id| (id, *suffix))
        }) else {
            bail!(
                "{variable} is not a provider setting: expected NEOFORGE_OIDC_<ID>_ISSUER, \
                 _CLIENT_ID, _CLIENT_SECRET or _NAME"
            );
        };
        let valid_id = id.len() <= MAX_ID_LEN
            && id
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
            && id.starts_with(|c: char| c.is_ascii_alphanumeric());
        if !valid_id {
            bail!(
                "{variable}: the provider id {id:?} must be upper-case letters, digits and `_` \
                 (at most {MAX_ID_LEN}), like NEOFORGE_OIDC_GOOGLE_ISSUER"
            );
        }
        let partial = partials.entry(id.to_owned()).or_default();
        let slot = match suffix {
            "_ISSUER" => &mut partial.issuer,
            "_CLIENT_ID" => &mut partial.client_id,
            "_CLIENT_SECRET" => &mut partial.client_secret,
            _ => &mut partial.name,
        };
        *slot = Some(value.to_owned());
    }
    partials
        .into_iter()
        .map(|(id, partial)| {
            let variable = |suffix: &str| format!("{OIDC_PREFIX}{id}{suffix}");
            let required = |value: Option<String>, suffix: &str| {
                value.ok_or_else(|| {
                    anyhow::anyhow!(
                        "{} is required for the provider {id} (NEOFORGE_OIDC_{id}_ISSUER, \
                         _CLIENT_ID and _CLIENT_SECRET go together)",
                        variable(suffix)
                    )
                })
            };
            let issuer = base_url(
                &variable("_ISSUER"),
                &required(partial.issuer, "_ISSUER")?,
                production,
            )?;
            let client_id = required(partial.client_id, "_CLIENT_ID")?;
            let client_secret = required(partial.client_secret, "_CLIENT_SECRET")?.into();
            let name = match partial.name {
                Some(name) if name.chars().count() > MAX_NAME_LEN => {
                    bail!(
                        "{} must be at most {MAX_NAME_LEN} characters",
                        variable("_NAME")
                    )
                }
                Some(name) => name,
                None => default_name(&id),
            };
            Ok(OidcSettings {
                id: id.to_ascii_lowercase(),
                name,
                issuer,
                client_id,
                client_secret,
            })
        })
        .collect()
}

/// `GOOGLE` -> `Google`, `MY_CORP` -> `My corp`.
fn default_name(id: &str) -> String {
    let words = id.to_ascii_lowercase().replace('_', " ");
    let mut chars = words.chars();
    chars
        .next()
        .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// An `http(s)://host[/path]` base without a trailing slash; production only talks to a
/// provider over HTTPS (plain HTTP only to this machine).
fn base_url(variable: &str, value: &str, production: bool) -> anyhow::Result<String> {
    let url = value.trim().trim_end_matches('/');
    let Some((scheme, rest)) = url.split_once("://") else {
        bail!("{variable} must be an http:// or https:// URL, not {url:?}");
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if !matches!(scheme, "http" | "https")
        || host.is_empty()
        || host.contains('@')
        || rest.contains(['?', '#'])
    {
        bail!("{variable} must be an http:// or https:// URL with a host, not {url:?}");
    }
    if production && scheme == "http" && !is_loopback(host) {
        bail!("{variable} must use https:// in production (plain http:// only to this machine)");
    }
    Ok(url.to_owned())
}

fn is_loopback(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or_default(),
        None => host.split(':').next().unwrap_or_default(),
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> ProviderArgs {
        ProviderArgs {
            oidc_variables: oidc_variables(
                pairs
                    .iter()
                    .map(|(name, value)| (name.to_string(), value.to_string()))
                    .chain([("UNRELATED".into(), "x".into())]),
            ),
            ..ProviderArgs::default()
        }
    }

    #[test]
    fn none_by_default() {
        let settings = ProviderSettings::new(ProviderArgs::default(), true).unwrap();
        assert!(!settings.any());
    }

    #[test]
    fn oidc_providers_are_read_from_their_variables() {
        let settings = ProviderSettings::new(
            vars(&[
                (
                    "NEOFORGE_OIDC_GOOGLE_ISSUER",
                    "https://accounts.google.com/",
                ),
                (
                    "NEOFORGE_OIDC_GOOGLE_CLIENT_ID",
                    "id.apps.googleusercontent.com",
                ),
                ("NEOFORGE_OIDC_GOOGLE_CLIENT_SECRET", "s3cret"),
                (
                    "NEOFORGE_OIDC_MY_CORP_ISSUER",
                    "https://login.corp.example/realms/staff",
                ),
                ("NEOFORGE_OIDC_MY_CORP_CLIENT_ID", "neoforge"),
                ("NEOFORGE_OIDC_MY_CORP_CLIENT_SECRET", "other"),
                ("NEOFORGE_OIDC_MY_CORP_NAME", "Corp SSO"),
            ]),
            true,
        )
        .unwrap();
        let [google, corp] = &settings.oidc[..] else {
            panic!("two providers");
        };
        assert_eq!(google.id, "google");
        assert_eq!(google.name, "Google");
        assert_eq!(google.issuer, "https://accounts.google.com");
        assert_eq!(google.client_secret.expose_secret(), "s3cret");
        assert_eq!(corp.id, "my_corp");
        assert_eq!(corp.name, "Corp SSO");
        assert_eq!(corp.issuer, "https://login.corp.example/realms/staff");
        assert!(settings.github.is_none());
    }

    #[test]
    fn incomplete_or_unknown_variables_stop_the_start_naming_them() {
        let cases: [(&[(&str, &str)], &str); 5] = [
            (
                &[("NEOFORGE_OIDC_X_ISSUER", "https://x.example")],
                "NEOFORGE_OIDC_X_CLIENT_ID",
            ),
            (
                &[("NEOFORGE_OIDC_X_CLIENTID", "id")],
                "NEOFORGE_OIDC_X_CLIENTID",
            ),
            (
                &[("NEOFORGE_OIDC_x_ISSUER", "https://x.example")],
                "NEOFORGE_OIDC_x_ISSUER",
            ),
            (
                &[
                    ("NEOFORGE_OIDC_X_ISSUER", "x.example"),
                    ("NEOFORGE_OIDC_X_CLIENT_ID", "id"),
                    ("NEOFORGE_OIDC_X_CLIENT_SECRET", "s"),
                ],
                "NEOFORGE_OIDC_X_ISSUER",
            ),
            (
                &[
                    ("NEOFORGE_OIDC_X_ISSUER", "http://idp.example"),
                    ("NEOFORGE_OIDC_X_CLIENT_ID", "id"),
                    ("NEOFORGE_OIDC_X_CLIENT_SECRET", "s"),
                ],
                "https://",
            ),
        ];
        for (pairs, named) in cases {
            let error = ProviderSettings::new(vars(pairs), true)
                .err()
                .expect("refused")
                .to_string();
            assert!(error.contains(named), "{error}");
        }
        let local = vars(&[
            ("NEOFORGE_OIDC_X_ISSUER", "http://127.0.0.1:3000"),
            ("NEOFORGE_OIDC_X_CLIENT_ID", "id"),
            ("NEOFORGE_OIDC_X_CLIENT_SECRET", "s"),
        ]);
        assert!(ProviderSettings::new(local, true).is_ok());
    }

    #[test]
    fn github_needs_both_halves_and_its_own_id() {
        let half = ProviderArgs {
            github_client_id: Some("Iv1.abc".into()),
            ..ProviderArgs::default()
        };
        assert!(ProviderSettings::new(half, false).is_err());
        let whole = ProviderArgs {
            github_client_id: Some("Iv1.abc".into()),
            github_client_secret: Some("secret".into()),
            ..ProviderArgs::default()
        };
        let github = ProviderSettings::new(whole.clone(), true)
            .unwrap()
            .github
            .unwrap();
        assert_eq!(github.web_url, "https://github.com");
        assert_eq!(github.api_url, "https://api.github.com");
        let clash = ProviderArgs {
            oidc_variables: vars(&[
                ("NEOFORGE_OIDC_GITHUB_ISSUER", "https://x.example"),
                ("NEOFORGE_OIDC_GITHUB_CLIENT_ID", "id"),
                ("NEOFORGE_OIDC_GITHUB_CLIENT_SECRET", "s"),
            ])
            .oidc_variables,
            ..whole
        };
        assert!(ProviderSettings::new(clash, false).is_err());
    }
}
