//! Private keys at rest: sealed with AES-256-GCM under a key-encryption key (KEK).
//!
//! The KEK comes from the environment (`KAKEHASHI_KEK`, 32 bytes base64url) or a secrets
//! manager, never from the database, so a copy of the database alone reveals no private key.
//! The KEK id and the key's owner/id are bound as additional authenticated data, so a sealed key
//! cannot be moved to another record or decrypted under the wrong KEK without detection.
//! Sealed blob layout: `nonce (12) || ciphertext || tag (16)`.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::rand::{SecureRandom as _, SystemRandom};
use kakehashi_core::b64;
use zeroize::Zeroizing;

/// The sealing algorithm name recorded with each blob.
pub const SEAL_ALGORITHM: &str = "A256GCM";

/// Why sealing or opening failed. Deliberately vague about the cause of a failed open: the
/// blob was tampered with, bound to another record, or sealed under another KEK.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SealError {
    #[error("the key-encryption key must be 32 bytes, base64url-encoded")]
    BadKek,
    #[error("sealed key does not open under key-encryption key {kek_id}")]
    Open { kek_id: String },
    #[error("unsupported sealing algorithm {0:?}")]
    Algorithm(String),
    #[error("randomness unavailable")]
    Random,
}

/// A key-encryption key. `Debug` shows its id only.
pub struct KeyEncryptionKey {
    id: String,
    key: LessSafeKey,
}

impl std::fmt::Debug for KeyEncryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyEncryptionKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl KeyEncryptionKey {
    /// A KEK from 32 raw bytes.
    pub fn from_bytes(id: impl Into<String>, bytes: &[u8]) -> Result<Self, SealError> {
        if bytes.len() != 32 {
            return Err(SealError::BadKek);
        }
        let key = UnboundKey::new(&AES_256_GCM, bytes).map_err(|_| SealError::BadKek)?;
        Ok(Self {
            id: id.into(),
            key: LessSafeKey::new(key),
        })
    }

    /// A KEK from its base64url text (as held in `KAKEHASHI_KEK`).
    pub fn from_base64url(id: impl Into<String>, text: &str) -> Result<Self, SealError> {
        let bytes = Zeroizing::new(b64::decode(text.trim()).map_err(|_| SealError::BadKek)?);
        Self::from_bytes(id, &bytes)
    }

    /// Generates a fresh KEK and returns it with its base64url text (shown once to the operator).
    pub fn generate(id: impl Into<String>) -> Result<(Self, Zeroizing<String>), SealError> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        SystemRandom::new()
            .fill(bytes.as_mut())
            .map_err(|_| SealError::Random)?;
        let text = Zeroizing::new(b64::encode(bytes.as_ref()));
        Ok((Self::from_bytes(id, bytes.as_ref())?, text))
    }

    /// The KEK's identifier, stored beside each sealed blob.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Seals `plaintext` (a PKCS#8 private key) bound to `context` (e.g. `issuer/key-1`).
    pub fn seal(&self, plaintext: &[u8], context: &str) -> Result<Vec<u8>, SealError> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| SealError::Random)?;
        let mut out = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                self.aad(context),
                &mut out,
            )
            .map_err(|_| SealError::Random)?;
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&out);
        Ok(blob)
    }

    /// Opens a blob sealed by [`KeyEncryptionKey::seal`] with the same `context`.
    pub fn open(
        &self,
        algorithm: &str,
        blob: &[u8],
        context: &str,
    ) -> Result<Zeroizing<Vec<u8>>, SealError> {
        if algorithm != SEAL_ALGORITHM {
            return Err(SealError::Algorithm(algorithm.chars().take(16).collect()));
        }
        let err = || SealError::Open {
            kek_id: self.id.clone(),
        };
        if blob.len() < NONCE_LEN + 16 {
            return Err(err());
        }
        let (nonce, ct) = blob.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| err())?;
        let mut buf = Zeroizing::new(ct.to_vec());
        let plain = self
            .key
            .open_in_place(nonce, self.aad(context), &mut buf)
            .map_err(|_| err())?;
        Ok(Zeroizing::new(plain.to_vec()))
    }

    fn aad(&self, context: &str) -> Aad<Vec<u8>> {
        let mut aad = b"kakehashi-sealed-key/v1\0".to_vec();
        aad.extend_from_slice(self.id.as_bytes());
        aad.push(0);
        aad.extend_from_slice(context.as_bytes());
        Aad::from(aad)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SoftwareSigner;
    use kakehashi_crypto::{SignatureAlgorithm, Signer as _};

    #[test]
    fn seal_open_round_trip_and_binding() {
        let (kek, text) = KeyEncryptionKey::generate("kek-1").unwrap();
        let signer = SoftwareSigner::generate(SignatureAlgorithm::Es256).unwrap();
        let pkcs8 = signer.to_pkcs8().unwrap();
        let blob = kek.seal(&pkcs8, "issuer/key-1").unwrap();
        assert!(
            !blob.windows(16).any(|w| pkcs8.windows(16).any(|p| p == w)),
            "no plaintext in the blob"
        );
        let again = KeyEncryptionKey::from_base64url("kek-1", &text).unwrap();
        let opened = again.open(SEAL_ALGORITHM, &blob, "issuer/key-1").unwrap();
        let restored = SoftwareSigner::from_pkcs8(SignatureAlgorithm::Es256, &opened).unwrap();
        assert_eq!(restored.public_jwk(), signer.public_jwk());
        // Bound to its record, its KEK id and its KEK.
        assert!(again.open(SEAL_ALGORITHM, &blob, "issuer/key-2").is_err());
        let renamed = KeyEncryptionKey::from_base64url("kek-2", &text).unwrap();
        assert!(renamed.open(SEAL_ALGORITHM, &blob, "issuer/key-1").is_err());
        let (other, _) = KeyEncryptionKey::generate("kek-1").unwrap();
        assert!(other.open(SEAL_ALGORITHM, &blob, "issuer/key-1").is_err());
        let mut tampered = blob.clone();
        tampered[20] ^= 1;
        assert!(
            again
                .open(SEAL_ALGORITHM, &tampered, "issuer/key-1")
                .is_err()
        );
        assert!(
            again
                .open(SEAL_ALGORITHM, &blob[..10], "issuer/key-1")
                .is_err()
        );
        assert!(matches!(
            again.open("A128CBC", &blob, "issuer/key-1"),
            Err(SealError::Algorithm(_))
        ));
        assert!(KeyEncryptionKey::from_base64url("k", "AAAA").is_err());
        assert!(!format!("{again:?}").contains(text.as_str()));
    }
}
