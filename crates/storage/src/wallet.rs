//! Wallet: holder keys, stored credentials, presentation history.

use std::future::Future;

use kakehashi_core::UnixTime;

use crate::{EncryptedKey, StorageError};

/// A key the holder proves possession of (key binding).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolderKey {
    /// Key id. Primary key.
    pub id: String,
    /// JOSE algorithm, e.g. `"ES256"`.
    pub algorithm: String,
    /// Public key as a JWK (JSON text).
    pub public_jwk: String,
    /// Private key, encrypted by the caller.
    pub private_key: EncryptedKey,
    /// When it was created.
    pub created_at: UnixTime,
}

/// A credential the wallet holds.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredCredential {
    /// Local id. Primary key.
    pub id: String,
    /// Format, e.g. `"dc+sd-jwt"`.
    pub format: String,
    /// The credential exactly as received (SD-JWT with all disclosures, or JWT).
    pub raw: String,
    /// Issuer identifier.
    pub issuer: String,
    /// Display metadata from the issuer (JSON: names, logos, per-language labels).
    pub display: serde_json::Value,
    /// The holder key it is bound to.
    pub holder_key_id: Option<String>,
    /// When it was received.
    pub received_at: UnixTime,
}

/// One presentation the holder made (the holder's own audit trail).
#[derive(Debug, Clone, PartialEq)]
pub struct PresentationRecord {
    /// Record id. Primary key.
    pub id: String,
    /// The verifier's `client_id`.
    pub verifier: String,
    /// The wallet credentials presented.
    pub credential_ids: Vec<String>,
    /// What was disclosed (JSON: claim paths per credential).
    pub disclosed: serde_json::Value,
    /// When it was presented.
    pub presented_at: UnixTime,
}

/// A wallet interaction waiting for the holder between two requests (a consent to answer, an
/// authorization-code flow to finish). Kept in the shared store, not in a node's memory, so a
/// request answered by another node behind the same load balancer finds it; sealed by the
/// caller because it can hold a PKCE verifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingInteraction {
    /// Random id. Primary key.
    pub id: String,
    /// What it is (`consent`, `authorization`): taken only as that kind.
    pub kind: String,
    /// The holder it belongs to (the wallet's holder prefix): taken only by that holder.
    pub holder: String,
    /// The serialized interaction, sealed by the caller.
    pub sealed: EncryptedKey,
    /// When it was parked.
    pub created_at: UnixTime,
    /// After this it can no longer be taken.
    pub expires_at: UnixTime,
}

/// Wallet state.
pub trait WalletStore: Send + Sync {
    /// Stores a holder key. `Conflict` if the id exists.
    fn insert_holder_key(
        &self,
        key: &HolderKey,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;

    /// One holder key.
    fn holder_key(&self, id: &str) -> impl Future<Output = Result<HolderKey, StorageError>> + Send;

    /// Stores a received credential. `Conflict` if the id exists.
    fn insert_stored_credential(
        &self,
        credential: &StoredCredential,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;

    /// One stored credential.
    fn stored_credential(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<StoredCredential, StorageError>> + Send;

    /// All stored credentials, oldest first.
    fn stored_credentials(
        &self,
    ) -> impl Future<Output = Result<Vec<StoredCredential>, StorageError>> + Send;

    /// Deletes a stored credential (its presentation history stays). `NotFound` if absent.
    fn delete_stored_credential(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;

    /// Appends to the presentation history.
    fn insert_presentation(
        &self,
        record: &PresentationRecord,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;

    /// The presentation history, newest first.
    fn presentations(
        &self,
    ) -> impl Future<Output = Result<Vec<PresentationRecord>, StorageError>> + Send;

    /// Parks an interaction. `Conflict` if the id exists.
    fn insert_pending_interaction(
        &self,
        pending: &PendingInteraction,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;

    /// Takes an interaction out, once: `NotFound` if there is none of this id, kind and
    /// holder (or it was taken already), `Expired` at or after its expiry (it is removed
    /// either way). Two racing takers: exactly one gets it.
    fn take_pending_interaction(
        &self,
        kind: &str,
        id: &str,
        holder: &str,
        now: UnixTime,
    ) -> impl Future<Output = Result<PendingInteraction, StorageError>> + Send;

    /// Deletes interactions that expired at or before `now`; returns how many.
    fn purge_expired_pending_interactions(
        &self,
        now: UnixTime,
    ) -> impl Future<Output = Result<u64, StorageError>> + Send;
}
