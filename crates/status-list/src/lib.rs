//! IETF Token Status List and W3C Bitstring Status List, pure.
//!
//! - [`StatusList`] / [`EncodedStatusList`]: the Token Status List byte array (1, 2, 4 or 8 bits
//!   per entry, LSB first) and its JSON / CBOR forms (draft-ietf-oauth-status-list section 4).
//! - [`sign_status_list_token`] / [`verify_status_list_token`]: the `statuslist+jwt` token; the
//!   verified result, [`VerifiedStatusList`], is the decoded-list cache entry a verifier keeps.
//! - [`StatusListReference`] / [`StatusType`]: the `status.status_list` claim of a Referenced
//!   Token and the status values.
//! - [`bitstring`]: W3C Bitstring Status List 1.0 (MSB first, GZIP, multibase `u`).
//! - [`IndexAllocator`]: uniformly random, never reused indexes, so an index says nothing
//!   about when or to whom a credential was issued.
//!
//! Pure: no clock, no randomness source, no I/O. Time is a [`UnixTime`] argument, randomness a
//! caller-supplied [`rand_core::RngCore`], keys a [`kakehashi_crypto::PublicJwk`] the caller
//! chose. Every decompression runs under [`DecodeLimits`].

#![forbid(unsafe_code)]
#![deny(clippy::as_conversions)]

mod allocator;
pub mod bitstring;
mod cbor;
pub mod compress;
mod error;
mod list;
mod reference;
mod token;

pub use allocator::IndexAllocator;
pub use compress::Compression;
pub use error::StatusListError;
pub use kakehashi_core::UnixTime;
pub use list::{Bits, EncodedStatusList, StatusList};
pub use reference::{StatusListAggregation, StatusListReference, StatusType};
pub use token::{
    CachePolicy, Freshness, STATUS_LIST_JWT_TYP, StatusListTokenClaims, VerifiedStatusList,
    VerifyOptions, sign_status_list_token, verify_status_list_token,
};

/// Size caps for one fetched status list.
///
/// The defaults fit the largest list this project plans for, 10^8 one-bit entries: 12.5 MB
/// inflated, about 1.3 MB compressed at a 1% revocation rate (spec appendix "Size
/// Comparison"), 1.8 MB as base64url in a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeLimits {
    /// Largest token, credential or encoded list accepted, in bytes.
    pub max_encoded_bytes: usize,
    /// Largest inflated list, in bytes (decompression bomb cap).
    pub max_decompressed_bytes: usize,
}

impl DecodeLimits {
    /// 8 MiB encoded, 32 MiB inflated.
    pub const DEFAULT: Self = Self {
        max_encoded_bytes: 8 << 20,
        max_decompressed_bytes: 32 << 20,
    };
}

impl Default for DecodeLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}
