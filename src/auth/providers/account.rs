//! Who an identity at a provider is here.
//!
//! 1. An identity linked before signs in as its account.
//! 2. Otherwise it is linked to the account with its email address, but only when the provider
//!    vouches for that address (`email_verified`, GitHub's verified primary address): anyone
//!    can type any address into a provider's profile. An account whose own address was never
//!    verified here is then taken back from whoever created it: its password is removed and
//!    its sessions and API keys end, since they were set up by someone who never proved the
//!    address (account pre-hijacking); the owner can set a password with "forgot password".
//! 3. Otherwise a new account is created with that address (verified if the provider says so)
//!    and no password. An unverified address that belongs to an account here is refused: two
//!    accounts cannot share an address, and linking would hand that account over.
//!
//! Deactivated accounts are refused whichever way they are reached.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::api_keys::repo::Ended;
use crate::audit::{self, AuditEvent, Entry};
use crate::auth::model::{Email, display_name};
use crate::auth::providers::ExternalIdentity;
use crate::auth::providers::repo::{self, Identity};
use crate::auth::{recovery, sessions};
use crate::db::DbError;
use crate::http::client::ClientInfo;
use crate::state::AppState;
use crate::time::Timestamp;
use crate::users::model::{Role, User};
use crate::users::repo as users_repo;

/// Why an identity does not sign in here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The provider shared no usable email address, and the identity is not linked yet.
    EmailMissing,
    /// The address belongs to an account here, and the provider does not vouch for it.
    EmailUnverified {
        user_id: Uuid,
    },
    Deactivated {
        user_id: Uuid,
    },
}

impl Refusal {
    /// The `error` the sign-in page is sent.
    pub fn code(self) -> &'static str {
        match self {
            Self::EmailMissing => "email_missing",
            Self::EmailUnverified { .. } => "email_unverified",
            Self::Deactivated { .. } => "account_disabled",
        }
    }

    pub fn user_id(self) -> Option<Uuid> {
        match self {
            Self::EmailMissing => None,
            Self::EmailUnverified { user_id } | Self::Deactivated { user_id } => Some(user_id),
        }
    }
}

/// What resolving did, for what must follow its commit.
struct Resolved {
    outcome: Result<User, Refusal>,
    ended_sessions: Vec<Uuid>,
    ended_keys: Vec<Ended>,
    queued_email: bool,
}

impl Resolved {
    fn just(outcome: Result<User, Refusal>) -> Self {
        Self {
            outcome,
            ended_sessions: Vec::new(),
            ended_keys: Vec::new(),
            queued_email: false,
        }
    }
}

/// The account `identity` at `provider` signs in as, linking or creating it as needed, or why
/// it may not sign in. Nothing is written when it is refused.
pub async fn resolve(
    state: &AppState,
    provider: &str,
    identity: &ExternalIdentity,
    client: &ClientInfo,
) -> Result<Result<User, Refusal>, DbError> {
    let resolved = match resolve_once(state, provider, identity, client).await {
        // Two first sign-ins at once: the other one linked or created it; now it is found.
        Err(err) if err.is_unique_violation() => {
            resolve_once(state, provider, identity, client).await?
        }
        other => other?,
    };
    sessions::forget(state, &resolved.ended_sessions).await;
    crate::api_keys::grant::forget(state, &resolved.ended_keys).await;
    if resolved.queued_email {
        state.jobs.wake();
    }
    Ok(resolved.outcome)
}

async fn resolve_once(
    state: &AppState,
    provider: &str,
    identity: &ExternalIdentity,
    client: &ClientInfo,
) -> Result<Resolved, DbError> {
    let now = Timestamp::now();
    let email = identity
        .email
        .as_deref()
        .and_then(|email| Email::parse(email).ok());
    let mut conn = state.db.write().await?;
    let mut tx = conn.begin().await?;

    if let Some(link) = repo::find(&mut tx, provider, &identity.subject).await? {
        let user = users_repo::find_by_id(&mut tx, link.user_id)
            .await?
            .ok_or(DbError::NoRows)?;
        if !user.is_active {
            return Ok(Resolved::just(Err(Refusal::Deactivated {
                user_id: user.id,
            })));
        }
        repo::touch(&mut tx, link.id, email.as_ref().map(Email::as_str), now).await?;
        tx.commit().await?;
        return Ok(Resolved::just(Ok(user)));
    }

    let Some(email) = email else {
        return Ok(Resolved::just(Err(Refusal::EmailMissing)));
    };
    let mut resolved = Resolved::just(Err(Refusal::EmailMissing));
    let link = |user_id| Identity {
        id: Uuid::now_v7(),
        user_id,
        provider: provider.to_owned(),
        subject: identity.subject.clone(),
        email: Some(email.as_str().to_owned()),
        created_at: now,
        last_used_at: now,
    };
    let user = match users_repo::find_by_email(&mut tx, email.as_str()).await? {
        Some(user) if !identity.email_verified => {
            return Ok(Resolved::just(Err(Refusal::EmailUnverified {
                user_id: user.id,
            })));
        }
        Some(user) if !user.is_active => {
            return Ok(Resolved::just(Err(Refusal::Deactivated {
                user_id: user.id,
            })));
        }
        Some(mut user) => {
            let link = link(user.id);
            repo::insert(&mut tx, &link).await?;
            let secured = !user.email_verified;
            if secured {
                users_repo::mark_email_verified(&mut tx, user.id, now).await?;
                users_repo::set_password(&mut tx, user.id, "", now).await?;
                resolved.ended_sessions = sessions::revoke_all(&mut tx, user.id, None).await?;
                resolved.ended_keys = crate::api_keys::repo::delete_all(&mut tx, user.id).await?;
                user.email_verified = true;
                user.password_hash.clear();
            }
            let details = json!({
                "identity_id": link.id,
                "provider": provider,
                "email": email.as_str(),
                "via": "verified_email",
                "unverified_account_secured": secured,
            });
            audit::record(
                &mut tx,
                Entry::by_user(AuditEvent::IdentityLinked, user.id, client).details(details),
            )
            .await?;
            user
        }
        None => {
            let user = User {
                id: Uuid::now_v7(),
                email: email.as_str().to_owned(),
                name: identity.name.as_deref().and_then(clean_name),
                password_hash: String::new(),
                role: Role::User,
                is_active: true,
                email_verified: identity.email_verified,
                created_at: now,
                updated_at: now,
            };
            users_repo::insert(&mut tx, &user).await?;
            let link = link(user.id);
            repo::insert(&mut tx, &link).await?;
            if !user.email_verified {
                recovery::queue_verification_email(&mut tx, &user).await?;
                resolved.queued_email = true;
            }
            audit::record(
                &mut tx,
                Entry::by_user(AuditEvent::Signup, user.id, client)
                    .details(json!({"method": "provider", "provider": provider})),
            )
            .await?;
            let details = json!({
                "identity_id": link.id,
                "provider": provider,
                "email": email.as_str(),
                "via": "new_account",
            });
            audit::record(
                &mut tx,
                Entry::by_user(AuditEvent::IdentityLinked, user.id, client).details(details),
            )
            .await?;
            tracing::info!(user_id = %user.id, provider, "account created through a provider");
            user
        }
    };
    tx.commit().await?;
    resolved.outcome = Ok(user);
    Ok(resolved)
}

/// A provider's display name as ours: at most 100 characters, no controls; else none.
fn clean_name(name: &str) -> Option<String> {
    let name: String = name.trim().chars().take(100).collect();
    display_name(Value::String(name)).ok().flatten()
}
