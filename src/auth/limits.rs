//! Brute-force protection for sign-in and the email-sending routes.
//!
//! Failed logins are counted per account *and client IP* (strict) and per account across all
//! IPs (looser), so an attacker elsewhere can slow a victim's account down but the victim's
//! own IP keeps its own budget; every window ends by itself, and a password reset clears the
//! account's counters, so nobody can lock an account forever. Every attempt also counts
//! against the client IP.

use std::time::Duration;

use crate::cache::Policy;

const MINUTE: Duration = Duration::from_secs(60);

/// Any sign-in attempt, per client IP.
pub const LOGIN_PER_IP: Policy = Policy {
    name: "login_ip",
    limit: 30,
    window: MINUTE,
};

/// Failed sign-ins per account and client IP.
pub const FAILED_LOGIN_PER_ACCOUNT_IP: Policy = Policy {
    name: "login_fail_account_ip",
    limit: 5,
    window: Duration::from_secs(15 * 60),
};

/// Failed sign-ins per account from anywhere.
pub const FAILED_LOGIN_PER_ACCOUNT: Policy = Policy {
    name: "login_fail_account",
    limit: 50,
    window: Duration::from_secs(60 * 60),
};

/// Sign-ups per client IP.
pub const REGISTER_PER_IP: Policy = Policy {
    name: "register_ip",
    limit: 20,
    window: Duration::from_secs(60 * 60),
};

/// Refreshes, verifications and resets per client IP (token guessing).
pub const TOKEN_PER_IP: Policy = Policy {
    name: "token_ip",
    limit: 60,
    window: MINUTE,
};

/// Password-reset requests per client IP.
pub const FORGOT_PER_IP: Policy = Policy {
    name: "forgot_ip",
    limit: 10,
    window: Duration::from_secs(15 * 60),
};

/// Reset emails per account: more requests are accepted but send nothing.
pub const FORGOT_PER_ACCOUNT: Policy = Policy {
    name: "forgot_account",
    limit: 3,
    window: Duration::from_secs(60 * 60),
};

/// Verification emails re-sent per user.
pub const RESEND_PER_USER: Policy = Policy {
    name: "resend_user",
    limit: 3,
    window: Duration::from_secs(60 * 60),
};
