//! Stream tickets: single-use, short-lived credentials for `GET /api/events?ticket=`, for
//! clients that cannot send an `Authorization` header (a browser's `EventSource`). Kept in
//! the shared cache under their hash, so any replica can redeem one, and only once.

use std::time::Duration;

use uuid::Uuid;

use crate::auth::CurrentUser;
use crate::auth::token::{hash_opaque_token, new_opaque_token};
use crate::cache::Cache;

/// API.md: a ticket lives 60 seconds.
pub const TICKET_TTL: Duration = Duration::from_secs(60);

fn key(ticket: &str) -> String {
    format!("events-ticket:{}", hash_opaque_token(ticket))
}

/// A new ticket for this caller's session.
pub async fn issue(cache: &Cache, user: CurrentUser) -> String {
    let ticket = new_opaque_token();
    let holder = format!("{} {}", user.id, user.session_id);
    cache.set(&key(&ticket), &holder, TICKET_TTL).await;
    ticket
}

/// The user and session a ticket was issued to; `None` when it is unknown, expired or used.
pub async fn redeem(cache: &Cache, ticket: &str) -> Option<CurrentUser> {
    // Tickets are 43 characters; anything far off is not worth a cache round trip.
    if ticket.is_empty() || ticket.len() > 128 {
        return None;
    }
    let holder = cache.take("events_ticket", &key(ticket)).await?;
    let (user, session) = holder.split_once(' ')?;
    Some(CurrentUser {
        id: user.parse().ok()?,
        session_id: session.parse::<Uuid>().ok()?,
    })
}
