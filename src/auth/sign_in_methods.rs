//! The rule that an account always keeps a way to sign in: removing one (unlinking another
//! identity provider, deleting a passkey) is refused when nothing would be left. One count,
//! so every way in is weighed in one place.

use crate::auth::providers::repo as identities_repo;
use crate::db::{Conn, DbError};
use crate::passkeys::repo as passkeys_repo;
use crate::state::AppState;
use crate::users::model::User;

/// The ways `account` has to sign in, counted inside the transaction that is removing one,
/// after removing it (with the account's row locked, so two removals at once cannot both
/// count the other's as left): its password, its links to providers still configured (a
/// link to a provider removed from the configuration cannot sign anyone in), and its
/// passkeys while passkeys are on. Removing a way must leave at least one. Every way to sign
/// in belongs in this count.
pub async fn ways_left(
    conn: &mut Conn,
    state: &AppState,
    account: &User,
) -> Result<usize, DbError> {
    let password = usize::from(account.has_password());
    let identities = identities_repo::list(conn, account.id)
        .await?
        .into_iter()
        .filter(|identity| state.providers.is_configured(&identity.provider))
        .count();
    let passkeys = match state.passkeys {
        Some(_) => usize::try_from(passkeys_repo::count(conn, account.id).await?).unwrap_or(0),
        None => 0,
    };
    Ok(password + identities + passkeys)
}
