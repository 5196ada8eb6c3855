//! The rate-limit policies: brute-force protection for sign-in and the email-sending routes,
//! and a generous per-user ceiling on the rest of the API. Each is a setting
//! (`NEOFORGE_RATE_*`, see the README), defined here with its default and parsed at start-up.
//!
//! Failed logins are counted per account *and client IP* (strict) and per account across all
//! IPs (looser), so an attacker elsewhere can slow a victim's account down but the victim's
//! own IP keeps its own budget; every window ends by itself, and a password reset clears the
//! account's counters, so nobody can lock an account forever. Every attempt also counts
//! against the client IP.
//!
//! The second step of a two-factor sign-in (`/api/auth/mfa`) counts every attempt against
//! the account, right or wrong, so no burst of concurrent guesses passes the limit; besides,
//! five wrong codes end each sign-in attempt, and each new one needs the password again.

use anyhow::anyhow;
use clap::Args;

use crate::config::Policy;

const RATE_SIGNIN: &str = "30/1m";
const RATE_SIGNIN_FAILURES: &str = "5/15m";
const RATE_SIGNIN_FAILURES_ACCOUNT: &str = "50/1h";
/// Ten codes an hour: a guesser who has the password needs about two and a half years of
/// non-stop guessing for an even chance at one of the three codes accepted at any moment,
/// while the owner who mistypes a few times is not locked out.
const RATE_MFA: &str = "10/1h";
/// Every visit to the sign-in page asks for one (the email field's passkey autofill).
const RATE_PASSKEY_CHALLENGES: &str = "60/1m";
const RATE_SIGNUP: &str = "20/1h";
const RATE_TOKENS: &str = "60/1m";
const RATE_FORGOT_PASSWORD: &str = "10/15m";
const RATE_RESET_EMAILS: &str = "3/1h";
const RATE_VERIFY_EMAILS: &str = "3/1h";
/// Above what one user can drive through a replica (the benchmark's single user at 64
/// connections), so it only stops a runaway client spread over many replicas.
const RATE_API: &str = "50000/1s";

/// Rate limits, each `COUNT/WINDOW` (`20/1h`, `5/15m`, `30/1m`; units `s`, `m`, `h`, `d`).
#[derive(Args, Clone)]
pub struct RateLimitArgs {
    /// Sign-in attempts per client IP (`/api/auth/login`, `/api/auth/token`,
    /// `/api/auth/mfa` and passkeys).
    #[arg(
        long = "rate-signin",
        global = true,
        env = "NEOFORGE_RATE_SIGNIN",
        default_value = RATE_SIGNIN,
    )]
    pub signin: String,
    /// Failed sign-ins (and wrong current passwords) per account and client IP.
    #[arg(
        long = "rate-signin-failures",
        global = true,
        env = "NEOFORGE_RATE_SIGNIN_FAILURES",
        default_value = RATE_SIGNIN_FAILURES,
    )]
    pub signin_failures: String,
    /// Failed sign-ins per account from any IP.
    #[arg(
        long = "rate-signin-failures-account",
        global = true,
        env = "NEOFORGE_RATE_SIGNIN_FAILURES_ACCOUNT",
        default_value = RATE_SIGNIN_FAILURES_ACCOUNT,
    )]
    pub signin_failures_account: String,
    /// Second-factor codes tried per account (`/api/auth/mfa`), right or wrong.
    #[arg(
        long = "rate-mfa",
        global = true,
        env = "NEOFORGE_RATE_MFA",
        default_value = RATE_MFA,
    )]
    pub mfa: String,
    /// Sign-ups per client IP.
    #[arg(
        long = "rate-signup",
        global = true,
        env = "NEOFORGE_RATE_SIGNUP",
        default_value = RATE_SIGNUP,
    )]
    pub signup: String,
    /// Token refreshes, email verifications and password resets per client IP.
    #[arg(
        long = "rate-tokens",
        global = true,
        env = "NEOFORGE_RATE_TOKENS",
        default_value = RATE_TOKENS,
    )]
    pub tokens: String,
    /// Passkey challenges handed out per client IP (`/api/auth/passkey/options`).
    #[arg(
        long = "rate-passkey-challenges",
        global = true,
        env = "NEOFORGE_RATE_PASSKEY_CHALLENGES",
        default_value = RATE_PASSKEY_CHALLENGES,
    )]
    pub passkey_challenges: String,
    /// Password-reset requests per client IP.
    #[arg(
        long = "rate-forgot-password",
        global = true,
        env = "NEOFORGE_RATE_FORGOT_PASSWORD",
        default_value = RATE_FORGOT_PASSWORD,
    )]
    pub forgot_password: String,
    /// Password-reset emails per account; further requests are answered alike but send nothing.
    #[arg(
        long = "rate-reset-emails",
        global = true,
        env = "NEOFORGE_RATE_RESET_EMAILS",
        default_value = RATE_RESET_EMAILS,
    )]
    pub reset_emails: String,
    /// Verification emails re-sent per user.
    #[arg(
        long = "rate-verify-emails",
        global = true,
        env = "NEOFORGE_RATE_VERIFY_EMAILS",
        default_value = RATE_VERIFY_EMAILS,
    )]
    pub verify_emails: String,
    /// Requests per signed-in user to the API outside `/api/auth/`, shared by every replica
    /// through Redis; `off` turns it off.
    #[arg(
        long = "rate-api",
        global = true,
        env = "NEOFORGE_RATE_API",
        default_value = RATE_API,
    )]
    pub api: String,
}

/// The documented defaults, for code that builds settings without parsing a command line.
impl Default for RateLimitArgs {
    fn default() -> Self {
        Self {
            signin: RATE_SIGNIN.into(),
            signin_failures: RATE_SIGNIN_FAILURES.into(),
            signin_failures_account: RATE_SIGNIN_FAILURES_ACCOUNT.into(),
            mfa: RATE_MFA.into(),
            signup: RATE_SIGNUP.into(),
            tokens: RATE_TOKENS.into(),
            passkey_challenges: RATE_PASSKEY_CHALLENGES.into(),
            forgot_password: RATE_FORGOT_PASSWORD.into(),
            reset_emails: RATE_RESET_EMAILS.into(),
            verify_emails: RATE_VERIFY_EMAILS.into(),
            api: RATE_API.into(),
        }
    }
}

/// Every policy, as configured.
#[derive(Debug, Clone)]
pub struct RateLimits {
    /// Any sign-in attempt (the JSON route, the OAuth2 password form, a passkey), per client
    /// IP.
    pub login_per_ip: Policy,
    /// Failed sign-ins (and wrong current passwords) per account and client IP.
    pub failed_login_per_account_ip: Policy,
    /// Failed sign-ins per account from anywhere.
    pub failed_login_per_account: Policy,
    /// Second-factor codes tried per account, right or wrong.
    pub mfa_per_account: Policy,
    /// Sign-ups per client IP.
    pub register_per_ip: Policy,
    /// Refreshes, verifications and resets per client IP (token guessing).
    pub token_per_ip: Policy,
    /// Passkey challenges per client IP: each waits in the cache until used or expired.
    pub passkey_challenges_per_ip: Policy,
    /// Password-reset requests per client IP.
    pub forgot_per_ip: Policy,
    /// Reset emails per account: more requests are accepted but send nothing.
    pub forgot_per_account: Policy,
    /// Verification emails re-sent per user.
    pub resend_per_user: Policy,
    /// Requests per signed-in user to every `/api/` route outside `/api/auth/`; `None` when
    /// turned off.
    pub api_per_user: Option<Policy>,
}

/// What turns the per-user API limit off.
const OFF: &str = "off";

impl RateLimits {
    /// Parse every policy; an error names the setting at fault.
    pub fn new(args: &RateLimitArgs) -> anyhow::Result<Self> {
        let policy = |name: &'static str, variable: &str, text: &str| {
            Policy::parse(name, text).map_err(|err| anyhow!("{variable}: {err}"))
        };
        let api_per_user = if args.api.trim().eq_ignore_ascii_case(OFF) {
            None
        } else {
            let policy = Policy::parse("api_user", &args.api)
                .map_err(|err| anyhow!("NEOFORGE_RATE_API: {err}, or {OFF}"))?;
            Some(policy)
        };
        Ok(Self {
            login_per_ip: policy("login_ip", "NEOFORGE_RATE_SIGNIN", &args.signin)?,
            failed_login_per_account_ip: policy(
                "login_fail_account_ip",
                "NEOFORGE_RATE_SIGNIN_FAILURES",
                &args.signin_failures,
            )?,
            failed_login_per_account: policy(
                "login_fail_account",
                "NEOFORGE_RATE_SIGNIN_FAILURES_ACCOUNT",
                &args.signin_failures_account,
            )?,
            mfa_per_account: policy("mfa_account", "NEOFORGE_RATE_MFA", &args.mfa)?,
            register_per_ip: policy("register_ip", "NEOFORGE_RATE_SIGNUP", &args.signup)?,
            token_per_ip: policy("token_ip", "NEOFORGE_RATE_TOKENS", &args.tokens)?,
            passkey_challenges_per_ip: policy(
                "passkey_challenge_ip",
                "NEOFORGE_RATE_PASSKEY_CHALLENGES",
                &args.passkey_challenges,
            )?,
            forgot_per_ip: policy(
                "forgot_ip",
                "NEOFORGE_RATE_FORGOT_PASSWORD",
                &args.forgot_password,
            )?,
            forgot_per_account: policy(
                "forgot_account",
                "NEOFORGE_RATE_RESET_EMAILS",
                &args.reset_emails,
            )?,
            resend_per_user: policy(
                "resend_user",
                "NEOFORGE_RATE_VERIFY_EMAILS",
                &args.verify_emails,
            )?,
            api_per_user,
        })
    }
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use crate::cli::Cli;

    /// `variable -> flag` of every rate-limit setting.
    fn rate_settings() -> Vec<(String, String)> {
        Cli::command()
            .get_arguments()
            .filter_map(|arg| {
                let env = arg.get_env()?.to_str()?.to_owned();
                Some((env, format!("--{}", arg.get_long()?)))
            })
            .filter(|(env, _)| env.starts_with("NEOFORGE_RATE_"))
            .collect()
    }

    /// The settings from these arguments, with a secret so nothing is written to disk.
    fn settings_from(args: &[&str]) -> anyhow::Result<crate::config::Settings> {
        let mut cli = Cli::try_parse_from([&["neoforge"], args].concat())?;
        cli.config.secret = Some("s".repeat(32).into());
        cli.config.into_settings()
    }

    #[test]
    fn rate_limits_default_to_the_documented_values() {
        let limits = settings_from(&[]).unwrap().rate_limits;
        let shown = [
            limits.login_per_ip,
            limits.failed_login_per_account_ip,
            limits.failed_login_per_account,
            limits.mfa_per_account,
            limits.register_per_ip,
            limits.token_per_ip,
            limits.passkey_challenges_per_ip,
            limits.forgot_per_ip,
            limits.forgot_per_account,
            limits.resend_per_user,
        ]
        .map(|policy| policy.to_string());
        assert_eq!(
            shown,
            [
                "30/1m", "5/15m", "50/1h", "10/1h", "20/1h", "60/1m", "60/1m", "10/15m", "3/1h",
                "3/1h"
            ]
        );
        assert_eq!(limits.api_per_user.unwrap().to_string(), "50000/1s");
        let signup = settings_from(&["--rate-signup", "100/1h"]).unwrap();
        assert_eq!(signup.rate_limits.register_per_ip.limit, 100);
    }

    #[test]
    fn a_bad_rate_limit_is_refused_naming_its_variable() {
        let rate_settings = rate_settings();
        assert_eq!(rate_settings.len(), 11, "{rate_settings:?}");
        for (name, flag) in &rate_settings {
            for bad in ["20", "0/1h", "20/1w", "20/2d"] {
                let err = settings_from(&[flag, bad]).err().expect(name);
                assert!(
                    format!("{err:#}").starts_with(&format!("{name}: ")),
                    "{name}={bad}: {err:#}"
                );
            }
            let off = settings_from(&[flag, "off"]);
            assert_eq!(off.is_ok(), name == "NEOFORGE_RATE_API", "{name}=off");
        }
        let off = settings_from(&["--rate-api", "OFF"]).unwrap();
        assert!(off.rate_limits.api_per_user.is_none());
    }
}
