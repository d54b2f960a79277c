//! Status lists (Token Status List / Bitstring Status List) with optimistic concurrency.

use std::future::Future;

use kakehashi_core::UnixTime;

use crate::StorageError;

/// A status list as the issuer keeps it: the bytes are owned by the pure `status-list` crate;
/// the store only keeps them and guards concurrent writers.
///
/// Concurrency rule: every write names the `version` it read. The store applies it only if the
/// stored version still matches, and bumps the version; otherwise `StaleVersion`. Two nodes
/// revoking at the same time therefore never lose a write: the loser re-reads and retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusList {
    /// List id (also the path segment of its URI).
    pub list_id: String,
    /// `"revocation"`, `"suspension"`, or a Token Status List purpose.
    pub purpose: String,
    /// Bits per entry: 1, 2, 4 or 8.
    pub bits: u8,
    /// Number of entries.
    pub size: u32,
    /// One bit per entry: 1 = index allocated to a credential (never reused).
    pub allocation: Vec<u8>,
    /// The packed status values (`bits` per entry).
    pub statuses: Vec<u8>,
    /// Incremented by every successful write.
    pub version: i64,
    /// The last signed status list token and the version it was built from.
    pub published: Option<PublishedStatusList>,
    /// When the list was last written.
    pub updated_at: UnixTime,
}

/// A signed status list token as served to verifiers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedStatusList {
    /// The compact JWT (or other serialization) served.
    pub token: String,
    /// The token's `iat`.
    pub issued_at: UnixTime,
    /// The list version the token was built from.
    pub version: i64,
}

/// Status lists.
pub trait StatusStore: Send + Sync {
    /// Creates a list at version 0. `Conflict` if the id exists; `Invalid` if the byte lengths
    /// do not match `bits` and `size`.
    fn create_status_list(
        &self,
        list: &StatusList,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;

    /// One list by id.
    fn status_list(
        &self,
        list_id: &str,
    ) -> impl Future<Output = Result<StatusList, StorageError>> + Send;

    /// All list ids, sorted.
    fn status_list_ids(&self) -> impl Future<Output = Result<Vec<String>, StorageError>> + Send;

    /// Writes new allocation and status bytes if the stored version is still
    /// `expected_version`; returns the new version. `StaleVersion` if another writer won.
    fn update_status_list(
        &self,
        list_id: &str,
        expected_version: i64,
        allocation: &[u8],
        statuses: &[u8],
        now: UnixTime,
    ) -> impl Future<Output = Result<i64, StorageError>> + Send;

    /// Stores a newly signed token unless a token built from a newer version is already stored
    /// (then `StaleVersion`): a slow node never overwrites a fresher publication.
    fn publish_status_list(
        &self,
        list_id: &str,
        published: &PublishedStatusList,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;
}

/// Checks that the byte lengths fit `bits` and `size`.
pub fn check_status_list_shape(
    bits: u8,
    size: u32,
    allocation: &[u8],
    statuses: &[u8],
) -> Result<(), StorageError> {
    if !matches!(bits, 1 | 2 | 4 | 8) {
        return Err(StorageError::invalid("status list bits", bits));
    }
    let size = u64::from(size);
    let allocation_len = size.div_ceil(8);
    let statuses_len = (size * u64::from(bits)).div_ceil(8);
    if u64::try_from(allocation.len()).ok() != Some(allocation_len) {
        return Err(StorageError::invalid(
            "status list allocation",
            format!("{} bytes, expected {allocation_len}", allocation.len()),
        ));
    }
    if u64::try_from(statuses.len()).ok() != Some(statuses_len) {
        return Err(StorageError::invalid(
            "status list statuses",
            format!("{} bytes, expected {statuses_len}", statuses.len()),
        ));
    }
    Ok(())
}
