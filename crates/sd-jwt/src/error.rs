use kakehashi_core::{JsonError, UnixTime};
use kakehashi_crypto::CryptoError;
use kakehashi_jose::JoseError;

/// Why an SD-JWT, SD-JWT+KB, SD-JWT VC or Type Metadata document was refused, or why issuing
/// or presenting failed. Each RFC 9901 / SD-JWT VC rejection rule has its own variant so a
/// caller (and a test) can tell which rule fired.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SdJwtError {
    /// The `~`-separated or JSON serialization is not an SD-JWT.
    #[error("malformed SD-JWT: {0}")]
    Malformed(&'static str),
    /// The Issuer-signed JWT or the KB-JWT failed a JWS/JWT check.
    #[error("{context}: {source}")]
    Jose {
        context: &'static str,
        #[source]
        source: JoseError,
    },
    /// A signature or key operation failed.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    /// A JSON document (payload, disclosure, metadata) was refused by the input limits.
    #[error("{part}: {source}")]
    Json {
        part: &'static str,
        #[source]
        source: JsonError,
    },
    /// A Disclosure is not base64url.
    #[error("disclosure is not base64url")]
    DisclosureEncoding,
    /// A Disclosure is not a JSON array of two (array element) or three (object property)
    /// elements, or its kind does not fit where its digest was found.
    #[error("disclosure has the wrong shape: {0}")]
    DisclosureShape(&'static str),
    /// The salt of a Disclosure is not a string.
    #[error("disclosure salt is not a string")]
    SaltNotString,
    /// The claim name of an object-property Disclosure is not a string.
    #[error("disclosure claim name is not a string")]
    ClaimNameNotString,
    /// A Disclosure (or issuer input) uses `_sd` or `...` as a claim name.
    #[error("claim name {0:?} is reserved by SD-JWT")]
    ReservedClaimName(String),
    /// The same Disclosure was sent twice.
    #[error("disclosure with digest {0} is present more than once")]
    DuplicateDisclosure(String),
    /// A digest occurs more than once in the payload or in Disclosures (RFC 9901 7.1 step 4).
    #[error("digest {0} is referenced more than once")]
    DuplicateDigest(String),
    /// A Disclosure whose digest is not referenced anywhere (RFC 9901 7.1 step 5).
    #[error("disclosure with digest {0} is not referenced by the SD-JWT")]
    UnreferencedDisclosure(String),
    /// A disclosed claim name already exists at its level (RFC 9901 7.1 step 3.3.2.3).
    #[error("disclosed claim {0:?} collides with an existing claim")]
    ClaimNameCollision(String),
    /// `_sd` is not an array of strings, or appears where it may not.
    #[error("misplaced or malformed \"_sd\": {0}")]
    MisplacedSd(&'static str),
    /// `...` outside an array element of the form `{"...": "<digest>"}`.
    #[error("misplaced or malformed \"...\": {0}")]
    MisplacedEllipsis(&'static str),
    /// `_sd_alg` is not a string or names a hash this verifier does not accept.
    #[error("unsupported or refused _sd_alg {0:?}")]
    UnsupportedHashAlgorithm(String),
    /// More Disclosures than [`crate::Limits::max_disclosures`].
    #[error("{count} disclosures exceed the limit of {limit}")]
    TooManyDisclosures { count: usize, limit: usize },
    /// Disclosures or claims nested deeper than the limits allow.
    #[error("nesting exceeds the limit of {limit} levels")]
    TooDeep { limit: usize },
    /// Key Binding is required but the presentation has no KB-JWT.
    #[error("key binding is required but no KB-JWT was presented")]
    KbJwtMissing,
    /// A KB-JWT where none may be (an issued SD-JWT handed to a holder).
    #[error("unexpected KB-JWT")]
    UnexpectedKbJwt,
    /// Key Binding is required but the payload has no `cnf`.
    #[error("key binding is required but the SD-JWT has no \"cnf\" claim")]
    CnfMissing,
    /// `cnf` is present but does not hold a usable `jwk`.
    #[error("\"cnf\" does not contain a supported \"jwk\": {0}")]
    CnfUnsupported(String),
    /// A KB-JWT claim is missing or has the wrong type.
    #[error("KB-JWT claim \"{0}\" is missing or malformed")]
    KbJwtClaim(&'static str),
    /// The KB-JWT `nonce` is not the expected one.
    #[error("KB-JWT nonce does not match")]
    KbJwtNonceMismatch,
    /// The KB-JWT `aud` is not the expected one.
    #[error("KB-JWT audience {found:?} does not match")]
    KbJwtAudienceMismatch { found: String },
    /// The KB-JWT `iat` is outside the acceptance window.
    #[error("KB-JWT iat {iat} is outside the accepted window (now {now})")]
    KbJwtIatOutOfWindow { iat: UnixTime, now: UnixTime },
    /// `sd_hash` does not match the presented SD-JWT.
    #[error("KB-JWT sd_hash does not match the presented SD-JWT")]
    SdHashMismatch,
    /// The holder key that signs a KB-JWT is not the one in `cnf`.
    #[error("holder key does not match the \"cnf\" key of the SD-JWT")]
    HolderKeyMismatch,
    /// A claim path (issuing or presenting) does not exist.
    #[error("claim path {0} does not exist")]
    UnknownClaimPath(String),
    /// A claim path cannot be made selectively disclosable (e.g. an SD-JWT VC `exp`).
    #[error("claim {0} cannot be selectively disclosable")]
    NotSelectivelyDisclosable(String),
    /// An SD-JWT VC selectively discloses a claim that must stay in the clear.
    #[error("SD-JWT VC claim {0:?} must not be selectively disclosed")]
    ForbiddenDisclosure(String),
    /// A required SD-JWT VC claim is missing or malformed.
    #[error("SD-JWT VC claim \"{0}\" is missing or malformed")]
    VcClaim(&'static str),
    /// The issuer key could not be determined.
    #[error("issuer key resolution failed: {0}")]
    IssuerKey(String),
    /// JWT VC Issuer Metadata `issuer` differs from `iss`.
    #[error("issuer metadata is for {metadata:?}, credential iss is {iss:?}")]
    IssuerMismatch { metadata: String, iss: String },
    /// A Type Metadata document is malformed.
    #[error("type metadata: {0}")]
    TypeMetadata(String),
    /// A `#integrity` value does not match the document, or cannot be checked.
    #[error("integrity check failed for {0}")]
    IntegrityMismatch(String),
    /// `extends` loops back to a type already in the chain.
    #[error("type metadata \"extends\" cycle at {0}")]
    ExtendsCycle(String),
    /// The caller's resolver could not provide a document.
    #[error("cannot resolve {uri}: {reason}")]
    Resolve { uri: String, reason: String },
    /// An extending type weakens a base type's `sd` or `mandatory` rule.
    #[error("type metadata for {path} overrides a fixed rule of the extended type")]
    IllegalOverride { path: String },
    /// The credential breaks a type's `sd` rule for a claim.
    #[error("claim {path} violates the type's sd={rule} rule")]
    SdRuleViolation { path: String, rule: &'static str },
    /// A claim metadata path selects through a value of the wrong kind.
    #[error("claim metadata path {0} does not fit the credential")]
    ClaimPathMismatch(String),
}

impl SdJwtError {
    pub(crate) fn jose(context: &'static str) -> impl FnOnce(JoseError) -> SdJwtError {
        move |source| SdJwtError::Jose { context, source }
    }

    pub(crate) fn json(part: &'static str) -> impl FnOnce(JsonError) -> SdJwtError {
        move |source| SdJwtError::Json { part, source }
    }
}
