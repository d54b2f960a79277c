//! W3C Verifiable Credentials Data Model 2.0 secured with JOSE (VC-JOSE-COSE), with the
//! Open Badges 3.0 profile.
//!
//! - [`verify_vc_jwt`] / [`verify_vp_jwt`] verify `application/vc+jwt` and
//!   `application/vp+jwt`: the JWT payload *is* the credential (no VC-JWT 1.1 `vc` claim),
//!   presentations carry `EnvelopedVerifiableCredential`s, each verified in turn. Only these
//!   functions build a [`VerifiedCredential`] / [`VerifiedPresentation`].
//! - [`check_credential`] / [`check_presentation`] apply the data-model rules to unsecured
//!   JSON; [`check_open_badge`] adds the OB 3.0 profile and returns an [`AchievementView`].
//! - [`issue_vc_jwt`] / [`issue_vp_jwt`] secure credentials and presentations.
//!
//! Pure: the caller passes the time, the keys (or a [`KeyResolver`]), the JSON Schemas
//! ([`SchemaSet`]) and a `CryptoProvider`. Nothing is fetched: `credentialStatus` is returned
//! as data for the status layer, the `x5c` chain as untrusted input for the trust layer.
//! Not supported, refused by name: COSE (`vc+cose`), SD-JWT (`vc+sd-jwt`, see the sd-jwt
//! crate), Data Integrity proofs (they need RDF canonicalization), JSON-LD expansion.

#![forbid(unsafe_code)]
#![deny(clippy::as_conversions)]

mod cid;
mod error;
mod issue;
mod model;
mod open_badges;
mod schema;
mod status;
mod verify;

pub use cid::{AuthenticationKeys, ControlledIdentifierDocument, Relationship};
pub use error::VcError;
pub use issue::{PresentationClaims, envelope_vc_jwt, issue_vc_jwt, issue_vp_jwt};
pub use model::{
    BASE_CONTEXT, CredentialView, EnvelopedCredential, PresentationView, PresentedCredential,
    SchemaKind, SchemaReference, check_credential, check_credential_structure, check_presentation,
    check_validity_period, parse_data_url,
};
pub use open_badges::{
    ACHIEVEMENT_TYPES, AchievementDefinition, AchievementView, AlignmentView, IdentifierEntryView,
    OB3_CONTEXT_PREFIX, ProfileView, ResultDescriptionView, ResultView, check_open_badge,
    is_ob3_context,
};
pub use schema::{
    CompiledSchema, SchemaCheck, SchemaOutcome, SchemaResolver, SchemaSet, validate_schemas,
};
pub use status::{BitstringStatusListEntry, CredentialStatus};
pub use verify::{
    HolderBinding, KeyResolver, KeySource, VC_JWT_TYP, VP_JWT_TYP, VerifiedCredential,
    VerifiedPresentation, VerifyOptions, check_time_values, verify_vc_jwt, verify_vp_jwt,
};
