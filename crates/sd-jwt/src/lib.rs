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
//!            text ──SdJwt::parse_and_verify / verify_sd_jwt_vc_text──▶ the same, in one step
//!                   (the usual compact form read without intermediate `Value` trees)
//! ```
//!
//! Only the verify functions build `Verified*` values, so code holding one has proof that
//! the issuer signature, every Disclosure rule and (when required) Key Binding were checked.

#![forbid(unsafe_code)]
#![deny(clippy::as_conversions)]

mod borrowed;
mod decode;
mod disclosure;
mod error;
mod fast;
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
pub use vc::{
    IssuerKey, VcVerifyOptions, VerifiedSdJwtVc, verify_sd_jwt_vc, verify_sd_jwt_vc_text,
};
pub use verify::{DEFAULT_HASHES, KeyBinding, VerifiedKeyBinding, VerifiedSdJwt, VerifyOptions};

/// Hooks for the differential tests and fuzz targets of the verify fast path; not API.
#[doc(hidden)]
pub mod testing {
    use kakehashi_crypto::{CryptoProvider, PublicJwk};

    use crate::fast::Fallback;
    use crate::{IssuerKey, SdJwt, VcVerifyOptions, VerifyOptions, verify_sd_jwt_vc};

    /// Verifies `text` through the fast path alone and through `SdJwt::parse` + `verify`, and
    /// describes any difference (result, claim order, error). `Ok(true)`: the fast path
    /// decided; `Ok(false)`: it handed the input to the general path.
    pub fn compare_sd_jwt(
        text: &str,
        provider: &CryptoProvider,
        issuer_key: &PublicJwk,
        options: &VerifyOptions<'_>,
    ) -> Result<bool, String> {
        let general = SdJwt::parse(text, options.limits)
            .and_then(|s| s.verify(provider, issuer_key, options));
        match SdJwt::verify_fast(text, provider, issuer_key, options) {
            Err(Fallback) => Ok(false),
            Ok(fast) => same(&fast, &general).map(|()| true),
        }
    }

    /// [`compare_sd_jwt`] for [`crate::verify_sd_jwt_vc_text`].
    pub fn compare_sd_jwt_vc(
        text: &str,
        provider: &CryptoProvider,
        issuer_key: IssuerKey<'_>,
        options: &VcVerifyOptions<'_>,
    ) -> Result<bool, String> {
        let general = SdJwt::parse(text, options.base.limits)
            .and_then(|s| verify_sd_jwt_vc(s, provider, issuer_key, options));
        match crate::vc::verify_fast(text, provider, issuer_key, options) {
            Err(Fallback) => Ok(false),
            Ok(fast) => same(&fast, &general).map(|()| true),
        }
    }

    /// Debug output shows every field, maps in their order.
    fn same<T: std::fmt::Debug>(fast: &T, general: &T) -> Result<(), String> {
        let (f, g) = (format!("{fast:?}"), format!("{general:?}"));
        if f == g {
            Ok(())
        } else {
            Err(format!("fast path: {f}\ngeneral path: {g}"))
        }
    }
}
