//! OpenID for Verifiable Presentations 1.0 without I/O: DCQL queries and their matching,
//! claims path pointers, signed Authorization Requests (`x509_san_dns` / `x509_hash`),
//! `direct_post` / `direct_post.jwt` responses, and the verifier and wallet state machines.
//!
//! The HTTP edge fetches and posts; this crate decides. Time, randomness (nonce, state) and
//! keys are arguments; credential-format verification is a trait
//! ([`verifier::PresentationVerifier`]) implemented with the SD-JWT and VC crates.

#![forbid(unsafe_code)]
#![deny(clippy::as_conversions)]

pub mod dcql;
mod error;
pub mod form;
pub mod matching;
pub mod path;
pub mod request;
pub mod response;
pub mod verifier;
pub mod wallet;

pub use dcql::{CredentialFormat, DcqlQuery};
pub use error::Oid4vpError;
pub use path::ClaimsPath;

/// Largest POST body accepted at the `response_uri`: several credentials with disclosures
/// fit in well under 1 MiB.
pub const MAX_BODY_LEN: usize = 2 << 20;
