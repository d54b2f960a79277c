//! Trust layer of Kakehashi: ETSI TS 119 612 trusted lists, their XML signatures, X.509 paths
//! to listed services and the directional mutual-recognition policy between the EU and Japan.
//!
//! Pure: lists, certificates and policies come in as bytes, time as [`UnixTime`]; nothing here
//! reads a file, the network or the clock. Every check fails closed, and the successful results
//! ([`VerifiedTrustedList`], [`TrustDecision`]) can only be built by the verifiers.
//!
//! ```text
//! bytes ──parse──▶ TrustedList ──verify_list(anchors, now)──▶ VerifiedTrustedList
//!                                                         │
//! x5c chain + signing time + RecognitionPolicy ──evaluate─┴──▶ TrustDecision (explain())
//! ```

#![forbid(unsafe_code)]
#![deny(clippy::as_conversions)]

pub mod brainpool;
mod error;
pub mod jp;
mod limits;
pub mod lote;
pub mod policy;
pub mod publish;
mod signature;
pub mod tsl;
mod verify;
pub mod x509;

pub use error::TrustError;
pub use kakehashi_core::UnixTime;
pub use limits::Limits;
pub use policy::{
    ChainValidation, RecognitionPolicy, TrustClass, TrustDecision, decide, evaluate, validate_chain,
};

pub use signature::{SignatureInfo, SignerCertificate};
pub use tsl::{TrustedList, parse_list};
pub use verify::{
    Anchoring, ListAnchors, MAX_GRACE_PERIOD_SECONDS, VerifiedTrustedList, VerifyOptions,
    snapshot_fingerprint, verify_list, verify_list_with,
};
