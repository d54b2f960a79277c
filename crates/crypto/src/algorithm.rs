use std::fmt;

use crate::{CryptoError, Curve};

/// The JWS signature algorithms Kakehashi accepts: a closed set, so `none` and `HS*` are not
/// representable and every `match` is exhaustive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SignatureAlgorithm {
    /// ECDSA P-256 with SHA-256 (RFC 7518): required by HAIP and SD-JWT VC deployments.
    Es256,
    /// ECDSA P-384 with SHA-384.
    Es384,
    /// EdDSA with Ed25519 (RFC 8037; also accepted under the fully specified name `Ed25519`).
    EdDsa,
}

impl SignatureAlgorithm {
    /// Every supported algorithm, strongest-first order is not implied.
    pub const ALL: [SignatureAlgorithm; 3] = [Self::Es256, Self::Es384, Self::EdDsa];

    /// Maps a JOSE `alg` value, with a specific error for `none` and HMAC.
    pub fn from_jose(name: &str) -> Result<Self, CryptoError> {
        match name {
            "ES256" => Ok(Self::Es256),
            "ES384" => Ok(Self::Es384),
            "EdDSA" | "Ed25519" => Ok(Self::EdDsa),
            n if n.eq_ignore_ascii_case("none") => Err(CryptoError::AlgorithmNone),
            n if n.to_ascii_uppercase().starts_with("HS") => {
                Err(CryptoError::SymmetricAlgorithm(n.to_owned()))
            }
            other => Err(CryptoError::UnsupportedAlgorithm(
                other.chars().take(32).collect(),
            )),
        }
    }

    /// The JOSE `alg` name.
    pub const fn jose_name(self) -> &'static str {
        match self {
            Self::Es256 => "ES256",
            Self::Es384 => "ES384",
            Self::EdDsa => "EdDSA",
        }
    }

    /// The curve a key must be on for this algorithm.
    pub const fn curve(self) -> Curve {
        match self {
            Self::Es256 => Curve::P256,
            Self::Es384 => Curve::P384,
            Self::EdDsa => Curve::Ed25519,
        }
    }

    /// Length of a JOSE-encoded signature (`r || s` for ECDSA).
    pub const fn signature_len(self) -> usize {
        match self {
            Self::Es256 | Self::EdDsa => 64,
            Self::Es384 => 96,
        }
    }
}

impl fmt::Display for SignatureAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.jose_name())
    }
}

/// Algorithms accepted only to verify an X.509-certified seal (JAdES), never a wallet-ecosystem
/// token: Europass seals are made by qualified signature-creation devices that often sign with
/// RSA. A separate type from [`SignatureAlgorithm`], so no SD-JWT, OpenID4VCI or OpenID4VP path
/// can name RS256; a caller opts in by verifying through a [`crate::SealVerifier`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SealAlgorithm {
    /// ECDSA P-256 with SHA-256.
    Es256,
    /// ECDSA P-384 with SHA-384.
    Es384,
    /// RSASSA-PKCS1-v1_5 with SHA-256, keys of 2048 to 8192 bits (RFC 7518 section 3.3).
    /// Verify-only: Kakehashi never signs with it.
    Rs256,
}

impl SealAlgorithm {
    /// Every seal algorithm.
    pub const ALL: [SealAlgorithm; 3] = [Self::Es256, Self::Es384, Self::Rs256];

    /// Maps a JOSE `alg` value; `none` and HMAC are refused as in [`SignatureAlgorithm`].
    pub fn from_jose(name: &str) -> Result<Self, CryptoError> {
        match name {
            "RS256" => Ok(Self::Rs256),
            other => match SignatureAlgorithm::from_jose(other)? {
                SignatureAlgorithm::Es256 => Ok(Self::Es256),
                SignatureAlgorithm::Es384 => Ok(Self::Es384),
                SignatureAlgorithm::EdDsa => Err(CryptoError::UnsupportedAlgorithm(
                    "EdDSA (not a JAdES seal algorithm)".into(),
                )),
            },
        }
    }

    /// The JOSE `alg` name.
    pub const fn jose_name(self) -> &'static str {
        match self {
            Self::Es256 => "ES256",
            Self::Es384 => "ES384",
            Self::Rs256 => "RS256",
        }
    }

    /// The wallet-ecosystem algorithm this is, if any (the ECDSA ones).
    pub const fn signature_algorithm(self) -> Option<SignatureAlgorithm> {
        match self {
            Self::Es256 => Some(SignatureAlgorithm::Es256),
            Self::Es384 => Some(SignatureAlgorithm::Es384),
            Self::Rs256 => None,
        }
    }
}

impl fmt::Display for SealAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.jose_name())
    }
}

/// Hash algorithms for SD-JWT `_sd_alg`, `sd_hash`, JWK thumbprints and integrity metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashAlgorithm {
    Sha256,
    Sha384,
    Sha512,
}

impl HashAlgorithm {
    /// Parses a name from the IANA "Named Information Hash Algorithm" registry (`sha-256`).
    pub fn from_iana(name: &str) -> Result<Self, CryptoError> {
        match name {
            "sha-256" => Ok(Self::Sha256),
            "sha-384" => Ok(Self::Sha384),
            "sha-512" => Ok(Self::Sha512),
            other => Err(CryptoError::UnsupportedHash(
                other.chars().take(32).collect(),
            )),
        }
    }

    /// The IANA registry name.
    pub const fn iana_name(self) -> &'static str {
        match self {
            Self::Sha256 => "sha-256",
            Self::Sha384 => "sha-384",
            Self::Sha512 => "sha-512",
        }
    }

    /// The name used in W3C Subresource Integrity strings (`sha256-…`).
    pub const fn sri_name(self) -> &'static str {
        match self {
            Self::Sha256 => "sha256",
            Self::Sha384 => "sha384",
            Self::Sha512 => "sha512",
        }
    }

    /// Digest length in bytes.
    pub const fn output_len(self) -> usize {
        match self {
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_list() {
        assert_eq!(
            SignatureAlgorithm::from_jose("ES256"),
            Ok(SignatureAlgorithm::Es256)
        );
        assert_eq!(
            SignatureAlgorithm::from_jose("none"),
            Err(CryptoError::AlgorithmNone)
        );
        assert_eq!(
            SignatureAlgorithm::from_jose("NONE"),
            Err(CryptoError::AlgorithmNone)
        );
        assert!(matches!(
            SignatureAlgorithm::from_jose("HS256"),
            Err(CryptoError::SymmetricAlgorithm(_))
        ));
        assert!(matches!(
            SignatureAlgorithm::from_jose("RS256"),
            Err(CryptoError::UnsupportedAlgorithm(_))
        ));
        assert!(matches!(
            SignatureAlgorithm::from_jose("es256"),
            Err(CryptoError::UnsupportedAlgorithm(_))
        ));
        assert_eq!(
            HashAlgorithm::from_iana("sha-384"),
            Ok(HashAlgorithm::Sha384)
        );
        assert!(HashAlgorithm::from_iana("SHA-256").is_err());
    }

    #[test]
    fn rs256_only_as_a_seal_algorithm() {
        assert!(matches!(
            SignatureAlgorithm::from_jose("RS256"),
            Err(CryptoError::UnsupportedAlgorithm(_))
        ));
        assert_eq!(SealAlgorithm::from_jose("RS256"), Ok(SealAlgorithm::Rs256));
        assert_eq!(SealAlgorithm::from_jose("ES256"), Ok(SealAlgorithm::Es256));
        assert_eq!(SealAlgorithm::Rs256.signature_algorithm(), None);
        assert_eq!(
            SealAlgorithm::from_jose("none"),
            Err(CryptoError::AlgorithmNone)
        );
        assert!(matches!(
            SealAlgorithm::from_jose("HS256"),
            Err(CryptoError::SymmetricAlgorithm(_))
        ));
        assert!(SealAlgorithm::from_jose("EdDSA").is_err());
        assert!(SealAlgorithm::from_jose("PS256").is_err());
    }
}
