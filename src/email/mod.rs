//! Outgoing email: the messages the product sends, rendered from HTML and plain-text
//! templates, and the mailer that delivers them: SMTP when `SMTP_URL` is set, otherwise one
//! complete `.eml` file per message in `<data dir>/mail/`.

mod mailer;
pub mod templates;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use mailer::Mailer;
pub use templates::Rendered;

/// A message to send. Carries the one-time token of its link, so it is never printed whole.
#[derive(Clone, Serialize, Deserialize)]
#[serde(tag = "template", rename_all = "snake_case")]
pub enum Email {
    /// Confirm the address after sign-up (or on request).
    VerifyAddress {
        to: String,
        name: Option<String>,
        token: String,
    },
    /// A link to choose a new password.
    ResetPassword {
        to: String,
        name: Option<String>,
        token: String,
    },
    /// The password was changed or reset: a warning if it was not the owner.
    PasswordChanged { to: String, name: Option<String> },
    /// Sent once the address is verified.
    Welcome { to: String, name: Option<String> },
}

impl Email {
    pub fn recipient(&self) -> &str {
        match self {
            Self::VerifyAddress { to, .. }
            | Self::ResetPassword { to, .. }
            | Self::PasswordChanged { to, .. }
            | Self::Welcome { to, .. } => to,
        }
    }

    pub fn template(&self) -> &'static str {
        match self {
            Self::VerifyAddress { .. } => "verify_address",
            Self::ResetPassword { .. } => "reset_password",
            Self::PasswordChanged { .. } => "password_changed",
            Self::Welcome { .. } => "welcome",
        }
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Email")
            .field("template", &self.template())
            .field("to", &self.recipient())
            .finish_non_exhaustive()
    }
}
