use kakehashi_core::{JsonError, UnixTime};
use kakehashi_crypto::CryptoError;

/// Why a JWS or JWT was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JoseError {
    /// Not three dot-separated base64url parts, or an equivalent structural fault.
    #[error("malformed JWS: {0}")]
    Malformed(&'static str),
    /// A part is not base64url.
    #[error("JWS {part} is not base64url")]
    Base64 { part: &'static str },
    /// The header or payload JSON is refused.
    #[error("JWS {part}: {source}")]
    Json {
        part: &'static str,
        #[source]
        source: JsonError,
    },
    /// The header has no `alg`.
    #[error("JWS header has no \"alg\"")]
    MissingAlgorithm,
    /// Signature algorithm or key refused, or the signature does not verify.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    /// The header marks as critical an extension this verifier does not understand.
    #[error("JWS header marks unsupported extension {0:?} as critical")]
    UnsupportedCritical(String),
    /// `typ` is not the one required by the profile.
    #[error("JWS typ is {found:?}, expected {expected:?}")]
    WrongType {
        expected: String,
        found: Option<String>,
    },
    /// A header member has the wrong JSON type or form.
    #[error("JWS header member \"{0}\" is malformed")]
    HeaderMember(&'static str),
    /// A claim has the wrong JSON type.
    #[error("claim \"{0}\" has the wrong type")]
    ClaimType(&'static str),
    /// A required claim is missing.
    #[error("required claim \"{0}\" is missing")]
    MissingClaim(&'static str),
    /// `exp` is in the past.
    #[error("expired at {exp} (now {now})")]
    Expired { exp: UnixTime, now: UnixTime },
    /// `nbf` is in the future.
    #[error("not valid before {nbf} (now {now})")]
    NotYetValid { nbf: UnixTime, now: UnixTime },
    /// `iat` is in the future.
    #[error("issued in the future at {iat} (now {now})")]
    IssuedInFuture { iat: UnixTime, now: UnixTime },
}
