//! The cryptographic seam of Kakehashi.
//!
//! Protocol crates never call a crypto library directly. They name algorithms with
//! [`SignatureAlgorithm`] / [`HashAlgorithm`] (a closed allow-list: `none` and HMAC cannot even
//! be represented), hold keys as [`PublicJwk`], sign through the [`Signer`] trait (so an HSM or
//! PKCS#11 token can stand behind it), and verify and hash through a [`CryptoProvider`] handed
//! in by the caller, in the way rustls takes its `CryptoProvider`. The backend lives in
//! `kakehashi-crypto-aws-lc`.

#![forbid(unsafe_code)]
#![deny(clippy::as_conversions)]

mod algorithm;
mod error;
mod jwk;
mod provider;
mod seal;

pub use algorithm::{HashAlgorithm, SealAlgorithm, SignatureAlgorithm};
pub use error::CryptoError;
pub use jwk::{Curve, PublicJwk};
pub use provider::{CryptoProvider, Digest, Signer};
pub use seal::{SealKey, SealVerifier};
