//! Delivery: SMTP in production, or the development outbox folder.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;
use uuid::Uuid;

use crate::config::Settings;
use crate::email::{Email, templates};

const PRODUCT: &str = "NeoForge";
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Clone)]
pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// One `.eml` file per message; in development the message's link is also logged, so a
    /// developer can follow it without opening the file.
    Outbox {
        dir: PathBuf,
        log_links: bool,
    },
}

impl Mailer {
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        match &settings.smtp_url {
            Some(url) => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())
                    .context("SMTP_URL is not a valid SMTP URL")?
                    .timeout(Some(SMTP_TIMEOUT))
                    .build();
                Ok(Self::Smtp(transport))
            }
            None => Ok(Self::Outbox {
                dir: settings.data_dir.join("mail"),
                log_links: !settings.is_production(),
            }),
        }
    }

    /// Render and deliver `email`.
    pub async fn send(&self, email: &Email, settings: &Settings) -> anyhow::Result<()> {
        let rendered = templates::render(email, &settings.public_url, PRODUCT)?;
        let to: Mailbox = email
            .recipient()
            .parse()
            .with_context(|| "the recipient is not a valid address")?;
        let message = Message::builder()
            .from(settings.mail_from.clone())
            .to(to)
            .subject(rendered.subject)
            .message_id(Some(format!("<{}@neoforge>", Uuid::now_v7())))
            .multipart(MultiPart::alternative_plain_html(
                rendered.text,
                rendered.html,
            ))
            .context("building the message")?;
        match self {
            Self::Smtp(transport) => {
                transport.send(message).await.context("sending by SMTP")?;
                tracing::info!(template = email.template(), "email sent");
            }
            Self::Outbox { dir, log_links } => {
                let path = write_eml(dir, &message.formatted()).await?;
                if *log_links && let Some(link) = &rendered.link {
                    // Development only: the outbox is the developer's own inbox.
                    tracing::info!(template = email.template(), path = %path.display(), %link, "email written to the outbox");
                } else {
                    tracing::info!(template = email.template(), path = %path.display(), "email written to the outbox");
                }
            }
        }
        Ok(())
    }
}

/// Write the message under a time-ordered name, through a temporary file so a reader never
/// sees half a message.
async fn write_eml(dir: &PathBuf, contents: &[u8]) -> anyhow::Result<PathBuf> {
    tokio::fs::create_dir_all(dir)
        .await
        .with_context(|| format!("creating {}", dir.display()))?;
    let id = Uuid::now_v7();
    let staging = dir.join(format!(".{id}.tmp"));
    let path = dir.join(format!("{id}.eml"));
    tokio::fs::write(&staging, contents)
        .await
        .with_context(|| format!("writing {}", staging.display()))?;
    tokio::fs::rename(&staging, &path)
        .await
        .with_context(|| format!("moving the message to {}", path.display()))?;
    Ok(path)
}
