use kakehashi_core::{JsonError, UnixTime};
use kakehashi_crypto::CryptoError;
use kakehashi_jose::JoseError;

/// Why a credential, presentation or token was refused.
///
/// Variants name the rule that failed so a verifier can show the reason and tests can assert
/// it; text taken from the input is truncated to keep errors small.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VcError {
    /// The JSON document is oversized, over-nested or malformed.
    #[error("credential JSON: {0}")]
    Json(#[from] JsonError),
    /// The JWS envelope is refused (structure, algorithm, key or signature).
    #[error(transparent)]
    Jose(#[from] JoseError),
    /// A credential or presentation must be a JSON object.
    #[error("a {0} must be a JSON object")]
    NotAnObject(&'static str),
    /// `@context` is absent.
    #[error("\"@context\" is missing")]
    MissingContext,
    /// The first `@context` entry is not `https://www.w3.org/ns/credentials/v2` (VC 1.1
    /// documents land here too).
    #[error("first \"@context\" entry must be {expected:?}, found {found:?}")]
    MissingBaseContext {
        expected: &'static str,
        found: Option<String>,
    },
    /// A `@context` entry is neither a URL string nor an object.
    #[error("\"@context\" entry {index} is malformed: {reason}")]
    MalformedContext { index: usize, reason: String },
    /// An inline context redefines a term a previous context protected.
    #[error("inline context redefines protected term {term:?}")]
    ProtectedTermRedefinition { term: String },
    /// A `type` value is a term no context defines (only detectable when an inline context
    /// sets `"@vocab": null`).
    #[error("type {term:?} is not defined by any context")]
    UndefinedTerm { term: String },
    /// `type` is missing or lacks the required value.
    #[error("\"type\" must include {expected:?}")]
    MissingType { expected: &'static str },
    /// A `type` member is not a string / array of strings naming terms or URLs.
    #[error("\"type\" of {property} is malformed: {reason}")]
    MalformedType { property: String, reason: String },
    /// `issuer` is absent (or `null`).
    #[error("\"issuer\" is missing")]
    IssuerMissing,
    /// `issuer` is neither a URL nor an object with an `id` URL.
    #[error("\"issuer\" is malformed: {0}")]
    MalformedIssuer(String),
    /// An identifier that must be a single URL is not.
    #[error("{property} must be a single URL, found {value:?}")]
    InvalidUrl { property: String, value: String },
    /// `credentialSubject` is absent.
    #[error("\"credentialSubject\" is missing")]
    MissingCredentialSubject,
    /// `credentialSubject` is not an object or a non-empty array of objects with claims.
    #[error("\"credentialSubject\" is malformed: {0}")]
    MalformedCredentialSubject(String),
    /// `validFrom` / `validUntil` is not an XML Schema `dateTimeStamp` (offset required).
    #[error("{property} is not an XML Schema dateTimeStamp: {value:?}")]
    InvalidDateTime {
        property: &'static str,
        value: String,
    },
    /// `validUntil` is before `validFrom`.
    #[error("validUntil {valid_until} is before validFrom {valid_from}")]
    ValidityPeriodInverted {
        valid_from: UnixTime,
        valid_until: UnixTime,
    },
    /// `validFrom` is in the future.
    #[error("not valid before {valid_from} (now {now})")]
    NotYetValid { valid_from: UnixTime, now: UnixTime },
    /// `validUntil` has passed.
    #[error("expired at {valid_until} (now {now})")]
    Expired {
        valid_until: UnixTime,
        now: UnixTime,
    },
    /// A typed property (`credentialStatus`, `evidence`, `proof`, ...) has no `type`.
    #[error("{property} has no \"type\"")]
    TypeMissing { property: String },
    /// A property has the wrong shape (e.g. `evidence` without `type`, a `name` language
    /// object with extra members).
    #[error("{property} is malformed: {reason}")]
    MalformedProperty { property: String, reason: String },
    /// A `BitstringStatusListEntry` lacks or mangles one of its fields.
    #[error("BitstringStatusListEntry {field} is malformed: {reason}")]
    MalformedStatusEntry { field: &'static str, reason: String },
    /// A required schema was not provided by the caller's resolver.
    #[error("schema {schema_id:?} is not available")]
    SchemaUnavailable { schema_id: String },
    /// The schema document itself does not compile.
    #[error("schema {schema_id:?} is not a usable JSON Schema: {reason}")]
    InvalidSchema { schema_id: String, reason: String },
    /// The credential does not satisfy a JSON Schema it names.
    #[error("credential violates schema {schema_id:?}: {}", errors.join("; "))]
    SchemaViolation {
        schema_id: String,
        errors: Vec<String>,
    },
    /// COSE-secured input (`vc+cose`, COSE_Sign1): not supported by this crate.
    #[error("COSE-secured credentials ({media_type}) are not supported")]
    CoseUnsupported { media_type: String },
    /// The input is not a compact JWS (e.g. an unsecured JSON credential, an SD-JWT).
    #[error("not a compact JWS: {0}")]
    NotCompactJws(&'static str),
    /// The JOSE `typ` is not the media type of this securing mechanism.
    #[error("JOSE typ is {found:?}, expected {expected:?}")]
    WrongMediaType {
        expected: &'static str,
        found: Option<String>,
    },
    /// The JOSE `cty` is present but not the content type of the payload.
    #[error("JOSE cty is {found:?}, expected {expected:?}")]
    WrongContentType {
        expected: &'static str,
        found: String,
    },
    /// The payload uses the VC-JWT 1.1 `vc` / `vp` claim wrapper, which VC-JOSE-COSE forbids.
    #[error("payload has a \"{0}\" claim: VC-JWT 1.1 wrapping is not VC 2.0 (VC-JOSE-COSE)")]
    LegacyJwtClaim(&'static str),
    /// `iss` is present and differs from `issuer` / `issuer.id` (or `holder`).
    #[error("iss {iss:?} does not match {property} {expected:?}")]
    IssuerMismatch {
        property: &'static str,
        iss: String,
        expected: String,
    },
    /// A controlled identifier document is malformed.
    #[error("controlled identifier document: {0}")]
    MalformedControllerDocument(String),
    /// No key to verify with: none given, none resolved, none in the header.
    #[error("no key to verify the signature (give one, or use kid/x5c/jwk)")]
    NoVerificationKey,
    /// The header's `x5c` leaf or `jwk` is not the key the caller pinned.
    #[error("header {member} names a different key than the one given")]
    HeaderKeyMismatch { member: &'static str },
    /// The `x5c` leaf certificate's key cannot be read.
    #[error("x5c leaf certificate: {0}")]
    X5cLeaf(CryptoError),
    /// An entry of `verifiableCredential` is malformed or refused.
    #[error("verifiableCredential[{index}]: {source}")]
    PresentedCredential {
        index: usize,
        #[source]
        source: Box<VcError>,
    },
    /// A presentation entry is a bare string, not an object.
    #[error("verifiableCredential entries must be objects (use EnvelopedVerifiableCredential)")]
    CredentialAsString,
    /// A secured presentation carries a credential without securing mechanism.
    #[error("credentials in a secured presentation must be EnvelopedVerifiableCredential")]
    UnsecuredCredentialInPresentation,
    /// The `id` of an enveloped credential is not a `data:` URL.
    #[error("enveloped credential id is not a data: URL: {0}")]
    MalformedEnvelope(String),
    /// An enveloped credential uses a media type this crate cannot verify.
    #[error("enveloped credential media type {media_type:?} is not supported")]
    UnsupportedEnvelopeMediaType { media_type: String },
    /// `holder` is not a URL or an object with an `id` URL.
    #[error("\"holder\" is malformed: {0}")]
    MalformedHolder(String),
    /// A presentation binding claim is missing.
    #[error("presentation has no \"{0}\" claim")]
    MissingBindingClaim(&'static str),
    /// The presentation `nonce` is not the one the verifier issued (replay).
    #[error("presentation nonce does not match the expected nonce")]
    NonceMismatch,
    /// The presentation `aud` does not name this verifier.
    #[error("presentation audience {found:?} does not include {expected:?}")]
    AudienceMismatch {
        expected: String,
        found: Vec<String>,
    },
    /// The credential is not an Open Badges 3.0 credential or breaks a profile rule.
    #[error("Open Badges 3.0: {0}")]
    OpenBadge(String),
    /// Issuing failed in the signer.
    #[error("signing failed: {0}")]
    Signing(CryptoError),
}

impl VcError {
    pub(crate) fn malformed(property: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::MalformedProperty {
            property: property.into(),
            reason: reason.into(),
        }
    }
}

/// Truncates input text quoted in an error.
pub(crate) fn snippet(text: &str) -> String {
    text.chars().take(80).collect()
}
