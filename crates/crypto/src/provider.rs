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
    /// Computes the digest of the concatenation of `parts` without building it, into a
    /// stack buffer: SD-JWT hashes `<JWT>~<D1>~...~` for `sd_hash` and every Disclosure on
    /// each verification, where a joined copy and a heap digest were measurable.
    pub digest_parts: fn(HashAlgorithm, &[&[u8]]) -> Digest,
    /// Optional: verifies like `verify`, then returns the digest of the message followed by
    /// `rest` (the last argument), hashing the message once when the signature's own hash is
    /// the one asked for. SD-JWT's `sd_hash` input begins with the Issuer-signed JWT's signing
    /// input, which the signature check hashes anyway. `None`: `verify` then `digest_parts`.
    /// A provider that replaces `verify` (a test stub, a counting wrapper) must set this to
    /// `None` or replace it too, or its `verify` would be bypassed here.
    #[allow(clippy::type_complexity)]
    pub verify_and_digest: Option<
        fn(
            SignatureAlgorithm,
            &PublicJwk,
            &[u8],
            &[u8],
            HashAlgorithm,
            &[&[u8]],
        ) -> Result<Digest, CryptoError>,
    >,
}

/// A digest of at most 64 bytes (SHA-512), held inline. The default is empty.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Digest {
    bytes: [u8; 64],
    len: usize,
}

impl Digest {
    /// Copies `value`; `None` if it is longer than 64 bytes (no supported hash is).
    pub fn new(value: &[u8]) -> Option<Self> {
        let mut bytes = [0; 64];
        bytes.get_mut(..value.len())?.copy_from_slice(value);
        Some(Self {
            bytes,
            len: value.len(),
        })
    }
}

impl Default for Digest {
    fn default() -> Self {
        Self {
            bytes: [0; 64],
            len: 0,
        }
    }
}

impl AsRef<[u8]> for Digest {
    fn as_ref(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or_default()
    }
}

impl std::fmt::Debug for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Digest(")?;
        for b in self.as_ref() {
            write!(f, "{b:02x}")?;
        }
        write!(f, ")")
    }
}

impl PartialOrd for Digest {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Digest {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_ref().cmp(other.as_ref())
    }
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
        self.check_signature_inputs(algorithm, key, signature)?;
        (self.verify)(algorithm, key, message, signature)
    }

    /// [`CryptoProvider::verify_signature`], then the `hash` digest of `message` followed by
    /// `rest`, through the backend's `verify_and_digest` when it has one.
    pub fn verify_signature_and_digest(
        &self,
        algorithm: SignatureAlgorithm,
        key: &PublicJwk,
        message: &[u8],
        signature: &[u8],
        hash: HashAlgorithm,
        rest: &[&[u8]],
    ) -> Result<Digest, CryptoError> {
        self.check_signature_inputs(algorithm, key, signature)?;
        if let Some(fused) = self.verify_and_digest {
            return fused(algorithm, key, message, signature, hash, rest);
        }
        (self.verify)(algorithm, key, message, signature)?;
        let mut parts = Vec::with_capacity(1 + rest.len());
        parts.push(message);
        parts.extend_from_slice(rest);
        Ok((self.digest_parts)(hash, &parts))
    }

    /// The checks made before any signature verification: the algorithm is allowed, fits the
    /// key's curve (no algorithm substitution through the header), and the length is right.
    fn check_signature_inputs(
        &self,
        algorithm: SignatureAlgorithm,
        key: &PublicJwk,
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
        Ok(())
    }

    /// Hashes `data`.
    pub fn digest(&self, hash: HashAlgorithm, data: &[u8]) -> Vec<u8> {
        (self.digest)(hash, data)
    }

    /// Hashes the concatenation of `parts`, without joining them.
    pub fn digest_parts(&self, hash: HashAlgorithm, parts: &[&[u8]]) -> Digest {
        (self.digest_parts)(hash, parts)
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
