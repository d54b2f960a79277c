//! SD-JWT (RFC 9901), Key Binding JWTs, SD-JWT VC (draft-ietf-oauth-sd-jwt-vc) and SD-JWT
//! VC Type Metadata.
//!
//! Pure: no clock, no randomness, no I/O. Time is a [`kakehashi_core::UnixTime`] argument,
//! salts and decoys come from a caller-supplied fill function, crypto goes through
//! [`kakehashi_crypto::CryptoProvider`] and [`kakehashi_crypto::Signer`], and documents that
//! live on the network (issuer metadata, type metadata) are handed in by the caller.
//!
//! ```text
//!  issuer:   SdJwtBuilder ──issue──▶ SdJwt (JWT~D1~D2~)
//!  holder:   SdJwt ──decode──▶ DecodedSdJwt (unverified view)
//!            SdJwt ──present(paths)──▶ SdJwt ──bind(holder key)──▶ SdJwt+KB
//!  verifier: text ──SdJwt::parse──▶ SdJwt ──verify──▶ VerifiedSdJwt
//!                                       └──verify_sd_jwt_vc──▶ VerifiedSdJwtVc
//! ```
//!
//! Only the verify functions build `Verified*` values, so code holding one has proof that
//! the issuer signature, every Disclosure rule and (when required) Key Binding were checked.

#![forbid(unsafe_code)]
#![deny(clippy::as_conversions)]

mod decode;
mod disclosure;
mod error;
mod issue;
mod json_style;
mod kb_claims;
mod limits;
mod path;
mod present;
mod sd_jwt;
pub mod type_metadata;
mod vc;
mod verify;

pub use decode::{ClaimRecord, ClaimSource};
pub use disclosure::Disclosure;
pub use error::SdJwtError;
pub use issue::{SdJwtBuilder, VC_NEVER_DISCLOSABLE};
pub use json_style::JsonStyle;
pub use limits::Limits;
pub use path::{ClaimPath, PathSegment};
pub use present::{DecodedSdJwt, KbJwtClaims, Selection};
pub use sd_jwt::{SdJwt, Serialization};
pub use vc::{IssuerKey, VcVerifyOptions, VerifiedSdJwtVc, verify_sd_jwt_vc};
pub use verify::{DEFAULT_HASHES, KeyBinding, VerifiedKeyBinding, VerifiedSdJwt, VerifyOptions};
