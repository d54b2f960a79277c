use crate::{CryptoError, HashAlgorithm, PublicJwk, SignatureAlgorithm};

/// The operations protocol code needs from a crypto library, as plain function pointers so a
/// provider is a `'static` value that costs nothing to pass around (rustls does the same).
///
/// Build one with a backend crate (`kakehashi_crypto_aws_lc::provider()`); restrict it with
/// [`CryptoProvider::with_allowed`].
#[derive(Clone, Copy)]
pub struct CryptoProvider {
    /// The backend's name, for logs and reports.
    pub name: &'static str,
    /// Algorithms accepted when verifying. Order has no meaning.
    pub allowed: &'static [SignatureAlgorithm],
    /// Verifies a JOSE-encoded signature (`r || s` for ECDSA) over `message`.
    // A plain fn pointer keeps the provider `Copy` and `'static`; an alias would hide the shape.
    #[allow(clippy::type_complexity)]
    pub verify: fn(SignatureAlgorithm, &PublicJwk, &[u8], &[u8]) -> Result<(), CryptoError>,
    /// Computes a message digest.
    pub digest: fn(HashAlgorithm, &[u8]) -> Vec<u8>,
}

impl std::fmt::Debug for CryptoProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CryptoProvider")
            .field("name", &self.name)
            .field("allowed", &self.allowed)
            .finish_non_exhaustive()
    }
}

impl CryptoProvider {
    /// The same provider, accepting only `allowed` when verifying.
    pub fn with_allowed(mut self, allowed: &'static [SignatureAlgorithm]) -> Self {
        self.allowed = allowed;
        self
    }

    /// Verifies `signature` over `message` with `key`, after checking that `algorithm` is
    /// allowed and fits the key's curve (no algorithm substitution through the header).
    pub fn verify_signature(
        &self,
        algorithm: SignatureAlgorithm,
        key: &PublicJwk,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        if !self.allowed.contains(&algorithm) {
            return Err(CryptoError::AlgorithmNotAllowed(algorithm));
        }
        if algorithm.curve() != key.curve() {
            return Err(CryptoError::KeyAlgorithmMismatch {
                algorithm,
                curve: key.curve(),
            });
        }
        if signature.len() != algorithm.signature_len() {
            return Err(CryptoError::BadSignature);
        }
        (self.verify)(algorithm, key, message, signature)
    }

    /// Hashes `data`.
    pub fn digest(&self, hash: HashAlgorithm, data: &[u8]) -> Vec<u8> {
        (self.digest)(hash, data)
    }
}

/// Something that signs: a software key, an HSM slot, a remote sealing service.
///
/// Signatures are returned JOSE-encoded (`r || s` for ECDSA). Implementations must not log
/// or expose key material; `Debug` implementations print the public key only.
pub trait Signer: Send + Sync {
    /// The algorithm this signer produces.
    fn algorithm(&self) -> SignatureAlgorithm;
    /// The public key that verifies this signer's signatures.
    fn public_jwk(&self) -> &PublicJwk;
    /// Signs `message`.
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError>;
    /// The X.509 certificate chain (DER, leaf first) for the `x5c` header, if this key is
    /// certified. Empty for bare keys.
    fn certificate_chain(&self) -> &[Vec<u8>] {
        &[]
    }
}
