//! `neoforge create-admin`: create the first admin, or promote an existing account.

use serde_json::json;
use uuid::Uuid;

use crate::audit::{self, AuditEvent, Entry};
use crate::auth::model::{Email, NewPassword};
use crate::auth::password::PasswordHasher;
use crate::config::Settings;
use crate::db::Db;
use crate::http::client::ClientInfo;
use crate::time::Timestamp;
use crate::users::model::{Role, User};
use crate::users::repo;

/// Create or promote the admin `email`; returns what was done, for the operator.
/// `password` is called only when the account is new.
pub async fn create_admin(
    settings: &Settings,
    email: &str,
    password: impl FnOnce() -> anyhow::Result<String>,
) -> anyhow::Result<String> {
    let email = Email::parse(email).map_err(|err| anyhow::anyhow!("--email {err}"))?;
    let db = Db::connect(settings).await?;
    db.migrate().await?;
    let client = ClientInfo {
        ip: None,
        user_agent: Some("neoforge create-admin".to_owned()),
    };
    let now = Timestamp::now();
    let mut conn = db.write().await?;
    let outcome = match repo::find_by_email(&mut conn, email.as_str()).await? {
        Some(user) => {
            let mut tx = conn.begin().await?;
            repo::set_role_and_status(&mut tx, user.id, Some(Role::Admin), Some(true), now).await?;
            if user.role != Role::Admin {
                let entry = Entry {
                    event: AuditEvent::RoleChanged,
                    user_id: Some(user.id),
                    actor_id: None,
                    client: &client,
                    details: json!({"from": user.role.as_str(), "to": "admin"}),
                };
                audit::record(&mut tx, entry).await?;
            }
            tx.commit().await?;
            format!(
                "{} is now an active admin (the password was left unchanged)",
                email.as_str()
            )
        }
        None => {
            let password = NewPassword::parse(password()?)
                .map_err(|err| anyhow::anyhow!("the password {err}"))?;
            if password.is_email(email.as_str()) {
                anyhow::bail!("the password must not be the email address");
            }
            let password_hash = PasswordHasher::new(1).hash(password.into_secret()).await?;
            let user = User {
                id: Uuid::now_v7(),
                email: email.as_str().to_owned(),
                name: None,
                password_hash,
                role: Role::Admin,
                is_active: true,
                // The operator vouches for the address.
                email_verified: true,
                created_at: now,
                updated_at: now,
            };
            let mut tx = conn.begin().await?;
            repo::insert(&mut tx, &user).await?;
            let entry = Entry {
                event: AuditEvent::Signup,
                user_id: Some(user.id),
                actor_id: None,
                client: &client,
                details: json!({"role": "admin"}),
            };
            audit::record(&mut tx, entry).await?;
            tx.commit().await?;
            format!("created the admin {}", email.as_str())
        }
    };
    drop(conn);
    db.close();
    Ok(outcome)
}
