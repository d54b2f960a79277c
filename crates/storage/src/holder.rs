//! Student (holder) accounts of the web wallet and their sign-in sessions. Kept apart from the
//! registrar accounts so that no session of one portal can ever be read as a session of the
//! other.

use std::future::Future;

use kakehashi_core::UnixTime;

use crate::{PortalSession, StorageError};

/// A student who signs in to the web wallet.
#[derive(Clone, PartialEq, Eq)]
pub struct HolderAccount {
    /// Login name. Primary key.
    pub username: String,
    /// The wallet's holder id (prefix of every wallet record of this student). Unique.
    pub holder_id: String,
    /// PHC-format argon2 hash, computed by the caller.
    pub password_hash: String,
    /// Name shown in the wallet's header.
    pub display_name: String,
    /// Disabled accounts cannot sign in.
    pub disabled: bool,
    /// When the account was created.
    pub created_at: UnixTime,
}

impl std::fmt::Debug for HolderAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HolderAccount")
            .field("username", &self.username)
            .field("holder_id", &self.holder_id)
            .field("password_hash", &"<redacted>")
            .field("display_name", &self.display_name)
            .field("disabled", &self.disabled)
            .field("created_at", &self.created_at)
            .finish()
    }
}

/// Web-wallet accounts and sessions. Sessions reuse the [`PortalSession`] record (the cookie
/// value is kept only as a hash); `username` names a [`HolderAccount`].
pub trait HolderAccountStore: Send + Sync {
    /// Creates an account. `Conflict` if the username or the holder id exists.
    fn insert_holder_account(
        &self,
        account: &HolderAccount,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;

    /// One account.
    fn holder_account(
        &self,
        username: &str,
    ) -> impl Future<Output = Result<HolderAccount, StorageError>> + Send;

    /// Stores a new session. `Invalid` if the account does not exist.
    fn insert_holder_session(
        &self,
        session: &PortalSession,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;

    /// A live session: `NotFound`, or `Expired` at or after its expiry.
    fn holder_session(
        &self,
        id_hash: &[u8],
        now: UnixTime,
    ) -> impl Future<Output = Result<PortalSession, StorageError>> + Send;

    /// Signs out: deletes the session (idempotent).
    fn delete_holder_session(
        &self,
        id_hash: &[u8],
    ) -> impl Future<Output = Result<(), StorageError>> + Send;

    /// Deletes sessions that expired at or before `now`; returns how many.
    fn purge_expired_holder_sessions(
        &self,
        now: UnixTime,
    ) -> impl Future<Output = Result<u64, StorageError>> + Send;
}
