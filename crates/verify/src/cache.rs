//! Memoised verification work a verifier can share across presentations: verified, inflated
//! status lists and validated `x5c` chains. Pure: no clock (every lookup takes the time of the
//! verification), no I/O; a mutex guards each map, held only to look up or insert.
//!
//! What is memoised is what does not depend on the time, keyed by everything else it depends
//! on; what depends on the time runs on every use, so an entry can never make a check pass
//! that the uncached pipeline would refuse at that time:
//!
//! | entry | key | re-checked on every use |
//! |---|---|---|
//! | Token Status List: signature, `typ`, `sub`, inflated list | SHA-256 of the token bytes, thumbprint of the verifying key, URL | `exp`, `nbf`, `iat` at `now` (`check_times_at`), index lookup |
//! | Bitstring Status List credential: signature, data model, expanded bitstring | same | `exp`, `nbf`, `iat`, `validFrom`, `validUntil` at `now`, entry lookup |
//! | `x5c` chain: webpki path, anchor, certificate content | SHA-256 of the DER chain, trusted-list snapshot fingerprint | the window of certificate validity the path was built in (else validated again), the service's status history, the policy |
//!
//! Only successes are memoised: a failure is recomputed (a hostile input costs the same as
//! without a cache). Each map holds at most `capacity` entries; inserting into a full map
//! clears it (simple, bounded, and a verifier's working set — a few issuers' chains and
//! lists — is far smaller).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use kakehashi_core::UnixTime;
use kakehashi_crypto::{CryptoProvider, Digest, HashAlgorithm, PublicJwk};
use kakehashi_status_list::VerifiedStatusList;
use kakehashi_status_list::bitstring::DecodedBitstringStatusList;
use kakehashi_trust::{ChainValidation, TrustError, VerifiedTrustedList};
use serde_json::Value;

/// Entries per map when none is given: enough for every issuer of a national system.
pub const DEFAULT_CAPACITY: usize = 1024;

/// A verifier's cache of time-independent verification work. Hand it to
/// [`crate::verify_presentation`] through [`crate::VerifierContext::cache`].
#[derive(Debug)]
pub struct VerificationCache {
    capacity: usize,
    statuses: Mutex<HashMap<StatusKey, CachedStatus>>,
    chains: Mutex<HashMap<ChainKey, Arc<ChainValidation>>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct StatusKey {
    token: Digest,
    key: String,
    url: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct ChainKey {
    chain: Digest,
    snapshot: [u8; 32],
}

/// A verified status list as memoised.
#[derive(Debug, Clone)]
pub(crate) enum CachedStatus {
    Token(Arc<VerifiedStatusList>),
    Bitstring(Arc<VerifiedBitstring>),
}

/// A Bitstring Status List credential whose signature and data model were verified, with the
/// time claims its verification read (to check them again at each use) and the expanded list.
#[derive(Debug)]
pub(crate) struct VerifiedBitstring {
    /// `iat`, `exp`, `nbf` as the JWT carried them.
    pub(crate) iat: Option<Value>,
    pub(crate) exp: Option<Value>,
    pub(crate) nbf: Option<Value>,
    /// `validFrom` / `validUntil` of the credential.
    pub(crate) valid_from: Option<UnixTime>,
    pub(crate) valid_until: Option<UnixTime>,
    pub(crate) decoded: DecodedBitstringStatusList,
}

impl Default for VerificationCache {
    fn default() -> Self {
        Self::new(DEFAULT_CAPACITY)
    }
}

impl VerificationCache {
    /// An empty cache of at most `capacity` entries per map (at least 1).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            statuses: Mutex::new(HashMap::new()),
            chains: Mutex::new(HashMap::new()),
        }
    }

    /// Drops every entry (e.g. when the trusted lists are replaced, to free the old
    /// snapshot's chains at once; they would never be served again anyway).
    pub fn clear(&self) {
        if let Ok(mut m) = self.statuses.lock() {
            m.clear();
        }
        if let Ok(mut m) = self.chains.lock() {
            m.clear();
        }
    }

    /// Entries held: (status lists, chains).
    pub fn len(&self) -> (usize, usize) {
        (
            self.statuses.lock().map_or(0, |m| m.len()),
            self.chains.lock().map_or(0, |m| m.len()),
        )
    }

    /// Whether both maps are empty.
    pub fn is_empty(&self) -> bool {
        self.len() == (0, 0)
    }

    pub(crate) fn status_key(
        provider: &CryptoProvider,
        token: &str,
        key: &PublicJwk,
        url: &str,
    ) -> StatusKeyHandle {
        StatusKeyHandle(StatusKey {
            token: provider.digest_parts(HashAlgorithm::Sha256, &[token.as_bytes()]),
            key: key.thumbprint(provider, HashAlgorithm::Sha256),
            url: url.to_owned(),
        })
    }

    pub(crate) fn status(&self, key: &StatusKeyHandle) -> Option<CachedStatus> {
        self.statuses.lock().ok()?.get(&key.0).cloned()
    }

    pub(crate) fn insert_status(&self, key: StatusKeyHandle, value: CachedStatus) {
        if let Ok(mut m) = self.statuses.lock() {
            if m.len() >= self.capacity && !m.contains_key(&key.0) {
                m.clear();
            }
            m.insert(key.0, value);
        }
    }

    /// [`kakehashi_trust::validate_chain`] through the cache: a memoised validation is used
    /// when it was made against the same lists and holds at `at`; otherwise the chain is
    /// validated (and a success memoised).
    pub(crate) fn validate_chain(
        &self,
        provider: &CryptoProvider,
        x5c: &[Vec<u8>],
        lists: &[VerifiedTrustedList],
        snapshot: [u8; 32],
        at: UnixTime,
    ) -> Result<Arc<ChainValidation>, TrustError> {
        let lengths: Vec<[u8; 8]> = x5c
            .iter()
            .map(|c| u64::try_from(c.len()).unwrap_or(u64::MAX).to_be_bytes())
            .collect();
        let mut parts: Vec<&[u8]> = Vec::with_capacity(2 * x5c.len());
        for (len, der) in lengths.iter().zip(x5c) {
            parts.push(len);
            parts.push(der);
        }
        let key = ChainKey {
            chain: provider.digest_parts(HashAlgorithm::Sha256, &parts),
            snapshot,
        };
        let hit = self
            .chains
            .lock()
            .ok()
            .and_then(|m| m.get(&key).cloned())
            .filter(|v| v.holds_at(at) && v.snapshot() == snapshot);
        if let Some(v) = hit {
            return Ok(v);
        }
        let validation = Arc::new(kakehashi_trust::validate_chain(x5c, lists, at)?);
        if let Ok(mut m) = self.chains.lock() {
            if m.len() >= self.capacity && !m.contains_key(&key) {
                m.clear();
            }
            m.insert(key, Arc::clone(&validation));
        }
        Ok(validation)
    }
}

/// An opaque status-cache key (computed once per lookup, reused for the insert).
#[derive(Debug)]
pub(crate) struct StatusKeyHandle(StatusKey);

impl VerifiedBitstring {
    /// The time checks `kakehashi_vc_jose::verify_vc_jwt` runs, with its own functions and
    /// so in its order and with its errors: `iat` (a dateTimeStamp string or a NumericDate),
    /// `exp`, `nbf`, then `validFrom` / `validUntil`. Everything else it checked does not
    /// depend on the time.
    pub(crate) fn check_times_at(
        &self,
        now: UnixTime,
        skew_seconds: i64,
    ) -> Result<(), kakehashi_vc_jose::VcError> {
        kakehashi_vc_jose::check_time_values(
            kakehashi_jose::JwtTimes {
                exp: self.exp.as_ref(),
                nbf: self.nbf.as_ref(),
                iat: self.iat.as_ref(),
            },
            now,
            skew_seconds,
        )?;
        kakehashi_vc_jose::check_validity_period(
            self.valid_from,
            self.valid_until,
            now,
            skew_seconds,
        )
    }
}
