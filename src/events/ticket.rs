//! Stream tickets: single-use, short-lived credentials for `GET /api/events?ticket=`, for
//! clients that cannot send an `Authorization` header (a browser's `EventSource`). Kept in
//! the shared cache under their hash, so any replica can redeem one, and only once.

use std::time::Duration;

use uuid::Uuid;

use crate::api_keys::Scopes;
use crate::auth::token::{hash_opaque_token, new_opaque_token};
use crate::auth::{Caller, Credential};
use crate::cache::Cache;

/// API.md: a ticket lives 60 seconds.
pub const TICKET_TTL: Duration = Duration::from_secs(60);

fn key(ticket: &str) -> String {
    format!("events-ticket:{}", hash_opaque_token(ticket))
}

/// A new ticket for this caller's session or key.
pub async fn issue(cache: &Cache, caller: Caller) -> String {
    let ticket = new_opaque_token();
    let holder = match caller.credential {
        Credential::Session(session_id) => format!("{} session {session_id}", caller.user_id),
        Credential::ApiKey { id, scopes } => {
            format!("{} key {id} {}", caller.user_id, scopes.bits())
        }
    };
    cache.set(&key(&ticket), &holder, TICKET_TTL).await;
    ticket
}

/// Who a ticket was issued to; `None` when it is unknown, expired or used.
pub async fn redeem(cache: &Cache, ticket: &str) -> Option<Caller> {
    // Tickets are 43 characters; anything far off is not worth a cache round trip.
    if ticket.is_empty() || ticket.len() > 128 {
        return None;
    }
    let holder = cache.take("events_ticket", &key(ticket)).await?;
    let mut parts = holder.split(' ');
    let user_id = parts.next()?.parse().ok()?;
    let kind = parts.next()?;
    let id = parts.next()?.parse::<Uuid>().ok()?;
    let credential = match kind {
        "session" => Credential::Session(id),
        "key" => Credential::ApiKey {
            id,
            scopes: Scopes::from_bits(parts.next()?.parse().ok()?),
        },
        _ => return None,
    };
    Some(Caller {
        user_id,
        credential,
    })
}
