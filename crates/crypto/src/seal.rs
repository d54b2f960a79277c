//! Verification of X.509-certified seals (JAdES on European Digital Credentials), kept apart
//! from [`CryptoProvider`] so the RSA algorithm they need never reaches a wallet-ecosystem path.

use x509_cert::der::{Decode, asn1::ObjectIdentifier};

use crate::{CryptoError, CryptoProvider, PublicJwk, SealAlgorithm};

/// `rsaEncryption` (RFC 8017 appendix C).
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// The public key of a seal certificate. Reading it does not make it trusted: the chain goes
/// to the trust layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SealKey {
    /// An EC key (P-256, P-384).
    Ec(PublicJwk),
    /// An RSA key as the DER `RSAPublicKey` (PKCS #1) carried in the certificate.
    Rsa(Vec<u8>),
}

impl SealKey {
    /// Reads the key of a DER certificate (the `x5c` leaf).
    pub fn from_certificate_der(der: &[u8]) -> Result<Self, CryptoError> {
        let cert = x509_cert::Certificate::from_der(der)
            .map_err(|e| CryptoError::InvalidKey(format!("certificate: {e}")))?;
        let spki = cert.tbs_certificate().subject_public_key_info();
        if spki.algorithm.oid == RSA_ENCRYPTION {
            let key = spki
                .subject_public_key
                .as_bytes()
                .ok_or_else(|| CryptoError::InvalidKey("public key has unused bits".into()))?;
            return Ok(Self::Rsa(key.to_vec()));
        }
        PublicJwk::from_certificate_der(der).map(Self::Ec)
    }

    /// A short name of the key type, for reports.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Ec(k) => k.curve().jwk_name(),
            Self::Rsa(_) => "RSA",
        }
    }
}

/// Verifies seals: the ECDSA algorithms through a [`CryptoProvider`], RSA through its own
/// function. Built by a backend (`kakehashi_crypto_aws_lc::seal_verifier()`).
#[derive(Clone, Copy)]
pub struct SealVerifier {
    /// Algorithms accepted. Order has no meaning.
    pub allowed: &'static [SealAlgorithm],
    /// Verifies ES256 / ES384 (its own allow-list applies too).
    pub provider: CryptoProvider,
    /// Verifies an RSA signature with a PKCS #1 `RSAPublicKey`.
    // A plain fn pointer keeps the verifier `Copy` and `'static`, as in `CryptoProvider`.
    #[allow(clippy::type_complexity)]
    pub verify_rsa: fn(SealAlgorithm, &[u8], &[u8], &[u8]) -> Result<(), CryptoError>,
}

impl std::fmt::Debug for SealVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealVerifier")
            .field("allowed", &self.allowed)
            .field("provider", &self.provider)
            .finish_non_exhaustive()
    }
}

impl SealVerifier {
    /// Verifies `signature` over `message`, after checking that `algorithm` is allowed and
    /// fits the key (no RSA/EC substitution through the header).
    pub fn verify(
        &self,
        algorithm: SealAlgorithm,
        key: &SealKey,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        if !self.allowed.contains(&algorithm) {
            return Err(CryptoError::UnsupportedAlgorithm(format!(
                "{algorithm} is not allowed for seals"
            )));
        }
        match (algorithm.signature_algorithm(), key) {
            (Some(alg), SealKey::Ec(jwk)) => {
                self.provider.verify_signature(alg, jwk, message, signature)
            }
            (None, SealKey::Rsa(der)) => (self.verify_rsa)(algorithm, der, message, signature),
            _ => Err(CryptoError::InvalidKey(format!(
                "a {} key cannot verify {algorithm}",
                key.kind()
            ))),
        }
    }
}
