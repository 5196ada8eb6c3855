//! The rule that an account always keeps a way to sign in: removing a sign-in method (a
//! passkey today, a linked identity provider next) is refused when nothing else would be
//! left. One function, so every way in is counted in one place.

use uuid::Uuid;

use crate::db::{Conn, DbError};
use crate::passkeys::repo as passkeys_repo;
use crate::users::model::User;

/// The sign-in method about to be removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removing {
    Passkey(Uuid),
}

/// What a refused removal answers (`409`).
pub const LAST_WAY_TO_SIGN_IN: &str =
    "This is your last way to sign in: set a password or add another passkey first.";

/// Whether `account` still has a way to sign in once `removing` is gone: a password, or a
/// passkey other than the one removed. Run it in the removal's transaction, after locking the
/// account's row, so that two removals at once cannot both see the other's method left.
pub async fn keeps_a_way_to_sign_in(
    conn: &mut Conn,
    account: &User,
    removing: Removing,
) -> Result<bool, DbError> {
    if account.has_password() {
        return Ok(true);
    }
    let Removing::Passkey(passkey_id) = removing;
    let other_passkeys = passkeys_repo::count_others(conn, account.id, passkey_id).await?;
    Ok(other_passkeys > 0)
}
