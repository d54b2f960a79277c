use kakehashi_core::JsonError;
use kakehashi_jose::JoseError;

/// Why a European Digital Credential was not imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EdcError {
    /// The file is not JSON within the limits.
    #[error("not a JSON document: {0}")]
    Json(#[from] JsonError),
    /// Neither a JAdES-sealed JWS JSON nor an ELM credential.
    #[error("not a European Digital Credential: {0}")]
    NotAnEdc(&'static str),
    /// The JAdES structure or header is refused, or the signature does not verify.
    #[error("seal refused: {0}")]
    Seal(#[from] JoseError),
    /// The seal has no usable signing certificate.
    #[error("seal certificate: {0}")]
    Certificate(String),
    /// A JAdES header parameter is malformed.
    #[error("JAdES header parameter {0:?} is malformed")]
    HeaderParameter(&'static str),
    /// `x5t#S256` does not identify the `x5c` leaf.
    #[error("x5t#S256 does not match the x5c leaf certificate")]
    ThumbprintMismatch,
}
