//! Email templates (minijinja, compiled into the binary): each message has an HTML and a
//! plain-text body sharing one layout, and a subject.

use std::sync::LazyLock;

use anyhow::Context;
use minijinja::{Environment, context};

use crate::email::Email;

/// Hours a verification link stays valid (shown in the message).
pub const VERIFY_LINK_HOURS: u64 = 24;
/// Minutes a password-reset link stays valid (shown in the message).
pub const RESET_LINK_MINUTES: u64 = 60;

static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    for (name, source) in [
        ("layout.html", include_str!("templates/layout.html")),
        ("layout.txt", include_str!("templates/layout.txt")),
        (
            "verify_address.html",
            include_str!("templates/verify_address.html"),
        ),
        (
            "verify_address.txt",
            include_str!("templates/verify_address.txt"),
        ),
        (
            "reset_password.html",
            include_str!("templates/reset_password.html"),
        ),
        (
            "reset_password.txt",
            include_str!("templates/reset_password.txt"),
        ),
        (
            "password_changed.html",
            include_str!("templates/password_changed.html"),
        ),
        (
            "password_changed.txt",
            include_str!("templates/password_changed.txt"),
        ),
        ("welcome.html", include_str!("templates/welcome.html")),
        ("welcome.txt", include_str!("templates/welcome.txt")),
    ] {
        env.add_template(name, source)
            .expect("the built-in email templates compile");
    }
    env
});

/// A message ready to send.
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The action link the message carries, if any.
    pub link: Option<String>,
}

/// Render `email` with links under `public_url`.
pub fn render(email: &Email, public_url: &str, product: &str) -> anyhow::Result<Rendered> {
    let (subject, link, name) = match email {
        Email::VerifyAddress { token, name, .. } => (
            format!("Confirm your email address for {product}"),
            Some(format!("{public_url}/verify-email?token={token}")),
            name,
        ),
        Email::ResetPassword { token, name, .. } => (
            format!("Reset your {product} password"),
            Some(format!("{public_url}/reset-password?token={token}")),
            name,
        ),
        Email::PasswordChanged { name, .. } => {
            (format!("Your {product} password was changed"), None, name)
        }
        Email::Welcome { name, .. } => (format!("Welcome to {product}"), None, name),
    };
    let ctx = context! {
        product,
        name,
        link => link.clone(),
        public_url,
        email => email.recipient(),
        verify_hours => VERIFY_LINK_HOURS,
        reset_minutes => RESET_LINK_MINUTES,
        subject => subject.clone(),
    };
    let render = |extension: &str| {
        let name = format!("{}.{extension}", email.template());
        TEMPLATES
            .get_template(&name)
            .and_then(|template| template.render(&ctx))
            .with_context(|| format!("rendering the {name} email template"))
    };
    Ok(Rendered {
        html: render("html")?,
        text: render("txt")?,
        subject,
        link,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_emails() -> Vec<Email> {
        let to = "ada@example.com".to_owned();
        let name = Some("Ada <Lovelace>".to_owned());
        vec![
            Email::VerifyAddress {
                to: to.clone(),
                name: name.clone(),
                token: "verify-token".into(),
            },
            Email::ResetPassword {
                to: to.clone(),
                name: name.clone(),
                token: "reset-token".into(),
            },
            Email::PasswordChanged {
                to: to.clone(),
                name: None,
            },
            Email::Welcome { to, name },
        ]
    }

    #[test]
    fn every_email_renders_as_reviewed() {
        for email in all_emails() {
            let rendered = render(&email, "https://app.example.com", "NeoForge").unwrap();
            insta::assert_snapshot!(
                email.template(),
                format!(
                    "Subject: {}\n\n{}\n---- html ----\n{}",
                    rendered.subject, rendered.text, rendered.html
                )
            );
        }
    }

    #[test]
    fn html_escapes_user_text_and_links_carry_the_token() {
        let email = &all_emails()[0];
        let rendered = render(email, "https://app.example.com", "NeoForge").unwrap();
        assert!(rendered.html.contains("Ada &lt;Lovelace&gt;"));
        assert!(!rendered.html.contains("<Lovelace>"));
        assert_eq!(
            rendered.link.as_deref(),
            Some("https://app.example.com/verify-email?token=verify-token")
        );
        assert!(
            rendered
                .text
                .contains("https://app.example.com/verify-email?token=verify-token")
        );
    }
}
