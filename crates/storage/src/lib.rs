//! Store traits, records and [`StorageError`]; no driver.
//!
//! Kakehashi keeps its state behind the traits here; `kakehashi-storage-sqlite` (embedded, one
//! file) and `kakehashi-storage-postgres` (many stateless nodes over one database) implement them.
//! Routers are generic over `S: Store + Clone + Send + Sync + 'static`.
//!
//! Rules every implementation follows (the story suite, `testing::run_all` behind the `testing`
//! feature, checks them):
//! - **Single use is atomic.** Codes, nonces, `jti`s and OpenID4VP responses are consumed by one
//!   conditional `UPDATE … WHERE used_at IS NULL … RETURNING` (or a conditional upsert), so two
//!   nodes racing on one database can never both succeed.
//! - **Time is an argument.** Expiry is checked inside the query against the `now` the caller
//!   passes; the store never reads a clock, so tests and replays are deterministic.
//! - **Optimistic concurrency** for read-modify-write records (status lists, import jobs): the
//!   write names the version it read and fails with [`StorageError::StaleVersion`] if it moved.
//! - **No secrets at rest or in logs.** Presented secrets are stored as caller-computed hashes,
//!   private keys as caller-encrypted blobs ([`EncryptedKey`]), and `Debug` hides both.
//! - **No panics on bad data.** Undecodable rows are [`StorageError::Corrupt`].
//!
//! See `README.md` for the schema and the concurrency rules.

#![forbid(unsafe_code)]
#![deny(clippy::as_conversions)]

pub mod codec;
mod error;
mod holder;
mod issuer;
mod keys;
mod portal;
mod status;
mod verifier;
mod wallet;

#[cfg(feature = "testing")]
pub mod testing;

pub use error::{StorageError, redact_database_url};
pub use holder::{HolderAccount, HolderAccountStore};
pub use issuer::{
    AccessToken, AuthorizationCode, CredentialOffer, DeferredState, DeferredTransaction,
    IssuedCredential, IssuerStore, Notification, NotificationEvent, PushedAuthorizationRequest,
    StatusReference,
};
pub use keys::{EncryptedKey, KeyStore, SigningKey};
pub use portal::{AuditEntry, Graduate, ImportJob, PortalSession, PortalStore, RegistrarUser};
pub use status::{PublishedStatusList, StatusList, StatusStore, check_status_list_shape};
pub use verifier::{SessionStatus, VerifierSession, VerifierStore};
pub use wallet::{
    HolderKey, PendingInteraction, PresentationRecord, StoredCredential, WalletStore,
};

/// Everything a Kakehashi node needs from storage. Implemented automatically for any type that
/// implements all the store traits.
pub trait Store:
    KeyStore
    + IssuerStore
    + StatusStore
    + VerifierStore
    + WalletStore
    + PortalStore
    + HolderAccountStore
    + Send
    + Sync
{
}

impl<T> Store for T where
    T: KeyStore
        + IssuerStore
        + StatusStore
        + VerifierStore
        + WalletStore
        + PortalStore
        + HolderAccountStore
        + Send
        + Sync
{
}

#[cfg(test)]
mod tests {
    use kakehashi_core::UnixTime;

    use super::*;

    /// Compile-time check: called through a generic `S: Store` (as axum handlers do), every
    /// future is `Send`, so it can cross `tokio::spawn` and handler boundaries.
    #[allow(dead_code)]
    fn futures_are_send_through_generics<S: Store + Clone + 'static>(store: &S) {
        fn is_send<T: Send>(_: T) {}
        let now = UnixTime(0);
        is_send(store.consume_c_nonce("n", now));
        is_send(store.redeem_pre_authorized_code(b"c", None, now));
        is_send(store.accept_response("s", "r", now));
        is_send(store.update_status_list("l", 0, &[], &[], now));
        is_send(store.current_signing_key("issuer"));
        is_send(store.append_audit(&AuditEntry {
            sequence: 0,
            at: now,
            actor: String::new(),
            action: String::new(),
            target: String::new(),
            details: serde_json::Value::Null,
        }));
        let owned = store.clone();
        is_send(async move { owned.stored_credentials().await });
    }
}
