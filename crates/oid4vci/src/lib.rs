//! OpenID for Verifiable Credential Issuance 1.0 without I/O: issuer and AS metadata,
//! credential offers, PAR, PKCE, token requests, DPoP, key proofs, credential / deferred /
//! notification messages, and the issuer-side flow and wallet-side client state machines.
//!
//! The HTTP edge parses requests into these types, applies one transition with the time and
//! fresh random values it supplies, and stores the resulting state.

#![forbid(unsafe_code)]
#![deny(clippy::as_conversions)]

pub mod credential;
pub mod dpop;
mod error;
pub mod form;
pub mod issuer;
pub mod metadata;
pub mod oauth;
pub mod offer;
pub mod proof;
pub mod wallet;

pub use error::Oid4vciError;
