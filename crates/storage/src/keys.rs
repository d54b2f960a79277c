//! Signing keys: issuer, status-list and verifier keys with rotation.

use std::future::Future;

use kakehashi_core::UnixTime;

use crate::StorageError;

/// A private key encrypted by the caller (envelope encryption under a key-encryption key).
///
/// The store never sees plaintext key material: a database dump or backup leaks only ciphertext
/// whose key lives elsewhere (KMS, HSM, or a file outside the database).
#[derive(Clone, PartialEq, Eq)]
pub struct EncryptedKey {
    /// Identifier of the key-encryption key that sealed this blob (for KEK rotation).
    pub kek_id: String,
    /// The sealing algorithm, e.g. `"A256GCM"`.
    pub algorithm: String,
    /// Nonce + ciphertext + tag, in the caller's format.
    pub ciphertext: Vec<u8>,
}

impl std::fmt::Debug for EncryptedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EncryptedKey")
            .field("kek_id", &self.kek_id)
            .field("algorithm", &self.algorithm)
            .field(
                "ciphertext",
                &format_args!("<{} bytes>", self.ciphertext.len()),
            )
            .finish()
    }
}

/// A signing key of one owner (e.g. `"issuer"`, `"status"`, `"verifier"`).
///
/// Rotation: several keys of an owner may be *active* (their signatures still verify, their JWKs
/// are still published) while exactly one is *current* (used for new signatures). A retired key is
/// kept, never deleted, so credentials it signed can be explained later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningKey {
    /// Key id, also the JWS `kid`.
    pub id: String,
    /// The role that uses the key.
    pub owner: String,
    /// JOSE algorithm, e.g. `"ES256"`.
    pub algorithm: String,
    /// The public key as a JWK (JSON text, kept verbatim).
    pub public_jwk: String,
    /// The private key, encrypted by the caller.
    pub private_key: EncryptedKey,
    /// DER certificates, leaf first (`x5c`); empty when the key has none.
    pub certificate_chain: Vec<Vec<u8>>,
    /// When the key was created.
    pub created_at: UnixTime,
    /// Whether this is the owner's current key (at most one per owner, enforced by a unique index).
    pub current: bool,
    /// When the key was retired; `None` while active.
    pub retired_at: Option<UnixTime>,
}

/// Signing keys and their rotation.
pub trait KeyStore: Send + Sync {
    /// Stores a key as given. `Conflict` if the id exists, or if it is marked current while
    /// another key of the owner is (normally insert with `current: false`, then
    /// [`KeyStore::make_signing_key_current`]).
    fn insert_signing_key(
        &self,
        key: &SigningKey,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;

    /// One key by id (active or retired).
    fn signing_key(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<SigningKey, StorageError>> + Send;

    /// The keys of an owner that are not retired, current first then newest first: what a JWKS
    /// publishes.
    fn active_signing_keys(
        &self,
        owner: &str,
    ) -> impl Future<Output = Result<Vec<SigningKey>, StorageError>> + Send;

    /// The owner's current key. `NotFound` when none is current.
    fn current_signing_key(
        &self,
        owner: &str,
    ) -> impl Future<Output = Result<SigningKey, StorageError>> + Send;

    /// Makes `id` the current key of its owner, atomically un-marking the previous one (one
    /// transaction; a unique index guarantees at most one current key per owner, so two nodes
    /// rotating at once give one winner and one `Conflict`). `NotFound` if the key is unknown,
    /// `WrongState` if it is retired.
    fn make_signing_key_current(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;

    /// Retires a key at `now` (it stops being current and active). Idempotent.
    fn retire_signing_key(
        &self,
        id: &str,
        now: UnixTime,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;
}
