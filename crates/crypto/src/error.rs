use crate::{Curve, SignatureAlgorithm};

/// Why a cryptographic operation or key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// `alg: none` (unsecured JWS) is never accepted.
    #[error("algorithm \"none\" is never accepted")]
    AlgorithmNone,
    /// HMAC algorithms are refused: a verifier would have to treat a public key as a secret
    /// (the classic HS256 key-confusion attack).
    #[error("symmetric algorithm {0:?} is refused (only asymmetric signatures are accepted)")]
    SymmetricAlgorithm(String),
    /// An algorithm name outside the allow-list.
    #[error("unsupported signature algorithm {0:?}")]
    UnsupportedAlgorithm(String),
    /// A known algorithm that this provider or policy does not allow.
    #[error("signature algorithm {0} is not allowed by the configured policy")]
    AlgorithmNotAllowed(SignatureAlgorithm),
    /// The key's curve does not fit the algorithm (e.g. a P-384 key with ES256).
    #[error("key on curve {curve} cannot be used with {algorithm}")]
    KeyAlgorithmMismatch {
        algorithm: SignatureAlgorithm,
        curve: Curve,
    },
    /// The JWK or certificate key is malformed or not supported.
    #[error("invalid key: {0}")]
    InvalidKey(String),
    /// A JWK carried private key material where only a public key belongs.
    #[error("JWK contains private key material (\"d\")")]
    PrivateKeyInJwk,
    /// The signature does not verify under the key.
    #[error("signature verification failed")]
    BadSignature,
    /// Unknown hash algorithm name.
    #[error("unsupported hash algorithm {0:?}")]
    UnsupportedHash(String),
    /// The signer could not produce a signature.
    #[error("signing failed: {0}")]
    SigningFailed(String),
    /// Key generation or import failed in the backend.
    #[error("key operation failed: {0}")]
    KeyOperation(String),
}
