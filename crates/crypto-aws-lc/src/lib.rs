//! The aws-lc-rs backend: AWS-LC is FIPS-validated and its P-256 code is the fastest audited
//! implementation available to Rust on x86_64 (see BENCHMARKS.md).
//!
//! Verification and hashing are exposed as a [`CryptoProvider`]; [`SoftwareSigner`] holds a
//! private key in memory for issuers, wallets and tests. Key generation uses the operating
//! system's randomness through AWS-LC, so this crate is an edge, not a pure crate.

#![forbid(unsafe_code)]

pub mod jwe;
pub mod sealed;

use aws_lc_rs::digest;
use aws_lc_rs::encoding::{AsBigEndian as _, Curve25519SeedBin, EcPrivateKeyBin};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    self, ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, ECDSA_P384_SHA384_FIXED,
    ECDSA_P384_SHA384_FIXED_SIGNING, ED25519, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _,
    UnparsedPublicKey,
};
use kakehashi_core::b64;
use kakehashi_crypto::{
    CryptoError, CryptoProvider, Curve, Digest, HashAlgorithm, PublicJwk, SealAlgorithm,
    SealVerifier, SignatureAlgorithm, Signer,
};
use serde_json::Value;
use zeroize::Zeroizing;

/// The provider with every supported algorithm allowed.
pub fn provider() -> CryptoProvider {
    CryptoProvider {
        name: "aws-lc-rs",
        allowed: &SignatureAlgorithm::ALL,
        verify,
        digest: hash,
        digest_parts: hash_parts,
        verify_and_digest: Some(verify_and_digest),
    }
}

/// The seal verifier (JAdES): ES256, ES384 and, verify-only, RS256. Only seal-importing code
/// asks for it; [`provider`] never accepts RSA.
pub fn seal_verifier() -> SealVerifier {
    SealVerifier {
        allowed: &SealAlgorithm::ALL,
        provider: provider(),
        verify_rsa,
    }
}

/// RSA verification with a PKCS #1 `RSAPublicKey`; aws-lc-rs refuses moduli under 2048 bits.
fn verify_rsa(
    algorithm: SealAlgorithm,
    public_key: &[u8],
    message: &[u8],
    sig: &[u8],
) -> Result<(), CryptoError> {
    let alg: &'static dyn signature::VerificationAlgorithm = match algorithm {
        SealAlgorithm::Rs256 => &signature::RSA_PKCS1_2048_8192_SHA256,
        SealAlgorithm::Es256 | SealAlgorithm::Es384 => {
            return Err(CryptoError::InvalidKey(format!(
                "an RSA key cannot verify {algorithm}"
            )));
        }
    };
    UnparsedPublicKey::new(alg, public_key)
        .verify(message, sig)
        .map_err(|_| CryptoError::BadSignature)
}

fn verify(
    algorithm: SignatureAlgorithm,
    key: &PublicJwk,
    message: &[u8],
    sig: &[u8],
) -> Result<(), CryptoError> {
    let alg: &'static dyn signature::VerificationAlgorithm = match algorithm {
        SignatureAlgorithm::Es256 => &ECDSA_P256_SHA256_FIXED,
        SignatureAlgorithm::Es384 => &ECDSA_P384_SHA384_FIXED,
        SignatureAlgorithm::EdDsa => &ED25519,
    };
    let public = key.public_key_bytes();
    UnparsedPublicKey::new(alg, &public)
        .verify(message, sig)
        .map_err(|_| CryptoError::BadSignature)
}

/// ECDSA over a digest taken once: the context that hashed `message` for the signature goes on
/// to hash `rest` (SD-JWT's `sd_hash` input is the signed JWT followed by its Disclosures).
/// Other algorithm pairs verify and hash separately.
fn verify_and_digest(
    algorithm: SignatureAlgorithm,
    key: &PublicJwk,
    message: &[u8],
    sig: &[u8],
    hash: HashAlgorithm,
    rest: &[&[u8]],
) -> Result<Digest, CryptoError> {
    let ecdsa: &'static signature::EcdsaVerificationAlgorithm = match (algorithm, hash) {
        (SignatureAlgorithm::Es256, HashAlgorithm::Sha256) => &ECDSA_P256_SHA256_FIXED,
        (SignatureAlgorithm::Es384, HashAlgorithm::Sha384) => &ECDSA_P384_SHA384_FIXED,
        _ => {
            verify(algorithm, key, message, sig)?;
            let mut parts = Vec::with_capacity(1 + rest.len());
            parts.push(message);
            parts.extend_from_slice(rest);
            return Ok(hash_parts(hash, &parts));
        }
    };
    let mut context = digest::Context::new(digest_algorithm(hash));
    context.update(message);
    let signed = context.clone().finish();
    let public = key.public_key_bytes();
    UnparsedPublicKey::new(ecdsa, &public)
        .verify_digest(&signed, sig)
        .map_err(|_| CryptoError::BadSignature)?;
    for part in rest {
        context.update(part);
    }
    Ok(Digest::new(context.finish().as_ref()).unwrap_or_default())
}

fn digest_algorithm(algorithm: HashAlgorithm) -> &'static digest::Algorithm {
    match algorithm {
        HashAlgorithm::Sha256 => &digest::SHA256,
        HashAlgorithm::Sha384 => &digest::SHA384,
        HashAlgorithm::Sha512 => &digest::SHA512,
    }
}

fn hash(algorithm: HashAlgorithm, data: &[u8]) -> Vec<u8> {
    digest::digest(digest_algorithm(algorithm), data)
        .as_ref()
        .to_vec()
}

fn hash_parts(algorithm: HashAlgorithm, parts: &[&[u8]]) -> Digest {
    // One part (each Disclosure's digest): aws-lc's one-shot hash, without the EVP context
    // that `Context` sets up and frees on every call.
    if let [only] = parts {
        let out = digest::digest(digest_algorithm(algorithm), only);
        return Digest::new(out.as_ref()).unwrap_or_default();
    }
    let mut context = digest::Context::new(digest_algorithm(algorithm));
    for part in parts {
        context.update(part);
    }
    let out = context.finish();
    // SHA-2 outputs are at most 64 bytes, the size `Digest` holds; were one longer, the
    // empty digest matches no real one, so comparisons fail closed.
    Digest::new(out.as_ref()).unwrap_or_default()
}

enum KeyPair {
    Ecdsa(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

/// A private key held in process memory. `Debug` shows only the public key.
pub struct SoftwareSigner {
    key: KeyPair,
    algorithm: SignatureAlgorithm,
    public: PublicJwk,
    chain: Vec<Vec<u8>>,
}

impl std::fmt::Debug for SoftwareSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SoftwareSigner")
            .field("algorithm", &self.algorithm)
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

impl SoftwareSigner {
    /// Generates a fresh key with the operating system's randomness.
    pub fn generate(algorithm: SignatureAlgorithm) -> Result<Self, CryptoError> {
        let pkcs8 = match algorithm {
            SignatureAlgorithm::Es256 | SignatureAlgorithm::Es384 => {
                EcdsaKeyPair::generate(ecdsa_signing(algorithm))
                    .and_then(|k| k.to_pkcs8v1())
                    .map_err(|e| CryptoError::KeyOperation(e.to_string()))?
                    .as_ref()
                    .to_vec()
            }
            SignatureAlgorithm::EdDsa => Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
                .map_err(|e| CryptoError::KeyOperation(e.to_string()))?
                .as_ref()
                .to_vec(),
        };
        Self::from_pkcs8(algorithm, &Zeroizing::new(pkcs8))
    }

    /// Loads a PKCS#8 (DER) private key.
    pub fn from_pkcs8(algorithm: SignatureAlgorithm, der: &[u8]) -> Result<Self, CryptoError> {
        let key = match algorithm {
            SignatureAlgorithm::Es256 | SignatureAlgorithm::Es384 => KeyPair::Ecdsa(
                EcdsaKeyPair::from_pkcs8(ecdsa_signing(algorithm), der)
                    .map_err(|e| CryptoError::InvalidKey(e.to_string()))?,
            ),
            SignatureAlgorithm::EdDsa => KeyPair::Ed25519(
                Ed25519KeyPair::from_pkcs8_maybe_unchecked(der)
                    .map_err(|e| CryptoError::InvalidKey(e.to_string()))?,
            ),
        };
        Self::finish(key, algorithm)
    }

    /// Loads a private JWK (with `d`), as used by test vectors and the command line.
    pub fn from_private_jwk(jwk: &Value) -> Result<Self, CryptoError> {
        let d = jwk
            .get("d")
            .and_then(Value::as_str)
            .ok_or_else(|| CryptoError::InvalidKey("private JWK without \"d\"".into()))?;
        let d = Zeroizing::new(
            b64::decode(d).map_err(|_| CryptoError::InvalidKey("\"d\" is not base64url".into()))?,
        );
        let mut public_only = jwk.clone();
        if let Some(obj) = public_only.as_object_mut() {
            obj.remove("d");
        }
        let public = PublicJwk::from_json(&public_only)?;
        let algorithm = public.algorithm();
        let key = match public.curve() {
            Curve::P256 | Curve::P384 => KeyPair::Ecdsa(
                EcdsaKeyPair::from_private_key_and_public_key(
                    ecdsa_signing(algorithm),
                    &d,
                    &public.public_key_bytes(),
                )
                .map_err(|e| CryptoError::InvalidKey(e.to_string()))?,
            ),
            Curve::Ed25519 => KeyPair::Ed25519(
                Ed25519KeyPair::from_seed_and_public_key(&d, public.x())
                    .map_err(|e| CryptoError::InvalidKey(e.to_string()))?,
            ),
        };
        let mut signer = Self::finish(key, algorithm)?;
        if let Some(kid) = public.kid() {
            signer.public = signer.public.with_kid(kid);
        }
        Ok(signer)
    }

    fn finish(key: KeyPair, algorithm: SignatureAlgorithm) -> Result<Self, CryptoError> {
        let public = match &key {
            KeyPair::Ecdsa(k) => PublicJwk::from_sec1(algorithm.curve(), k.public_key().as_ref())?,
            KeyPair::Ed25519(k) => PublicJwk::ed25519(k.public_key().as_ref().to_vec())?,
        };
        Ok(Self {
            key,
            algorithm,
            public,
            chain: Vec::new(),
        })
    }

    /// Exports the private key as PKCS#8 DER, for encrypted storage.
    pub fn to_pkcs8(&self) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let der = match &self.key {
            KeyPair::Ecdsa(k) => k
                .to_pkcs8v1()
                .map_err(|e| CryptoError::KeyOperation(e.to_string()))?
                .as_ref()
                .to_vec(),
            KeyPair::Ed25519(k) => k
                .to_pkcs8v1()
                .map_err(|e| CryptoError::KeyOperation(e.to_string()))?
                .as_ref()
                .to_vec(),
        };
        Ok(Zeroizing::new(der))
    }

    /// Exports the private key as a JWK with `d`. Only for files the user asked for.
    pub fn to_private_jwk(&self) -> Result<Value, CryptoError> {
        let d = match &self.key {
            KeyPair::Ecdsa(k) => {
                let bin: EcPrivateKeyBin<'_> = k
                    .private_key()
                    .as_be_bytes()
                    .map_err(|e| CryptoError::KeyOperation(e.to_string()))?;
                bin.as_ref().to_vec()
            }
            KeyPair::Ed25519(k) => {
                let bin: Curve25519SeedBin<'_> = k
                    .seed()
                    .map_err(|e| CryptoError::KeyOperation(e.to_string()))?
                    .as_be_bytes()
                    .map_err(|e| CryptoError::KeyOperation(e.to_string()))?;
                bin.as_ref().to_vec()
            }
        };
        let mut jwk = self.public.to_json();
        jwk["d"] = b64::encode(Zeroizing::new(d)).into();
        Ok(jwk)
    }

    /// Attaches the certificate chain (DER, leaf first) sent as `x5c`.
    pub fn with_certificate_chain(mut self, chain: Vec<Vec<u8>>) -> Self {
        self.chain = chain;
        self
    }

    /// Sets the `kid` of the public key.
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.public = self.public.clone().with_kid(kid);
        self
    }
}

fn ecdsa_signing(algorithm: SignatureAlgorithm) -> &'static signature::EcdsaSigningAlgorithm {
    match algorithm {
        SignatureAlgorithm::Es384 => &ECDSA_P384_SHA384_FIXED_SIGNING,
        _ => &ECDSA_P256_SHA256_FIXED_SIGNING,
    }
}

impl Signer for SoftwareSigner {
    fn algorithm(&self) -> SignatureAlgorithm {
        self.algorithm
    }

    fn public_jwk(&self) -> &PublicJwk {
        &self.public
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        match &self.key {
            KeyPair::Ecdsa(k) => k
                .sign(&SystemRandom::new(), message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|e| CryptoError::SigningFailed(e.to_string())),
            KeyPair::Ed25519(k) => Ok(k.sign(message).as_ref().to_vec()),
        }
    }

    fn certificate_chain(&self) -> &[Vec<u8>] {
        &self.chain
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kakehashi_crypto::SealKey;

    #[test]
    fn verify_and_digest_equals_verify_then_digest() {
        let p = provider();
        let message = b"eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJ4In0";
        let rest: [&[u8]; 3] = [b".c2ln~", b"WyJzIiwiYSIsMV0", b"~"];
        let joined = [&message[..], rest[0], rest[1], rest[2]].concat();
        for alg in [
            SignatureAlgorithm::Es256,
            SignatureAlgorithm::Es384,
            SignatureAlgorithm::EdDsa,
        ] {
            let signer = SoftwareSigner::generate(alg).unwrap();
            let sig = signer.sign(message).unwrap();
            for hash in [
                HashAlgorithm::Sha256,
                HashAlgorithm::Sha384,
                HashAlgorithm::Sha512,
            ] {
                let fused = p
                    .verify_signature_and_digest(
                        alg,
                        signer.public_jwk(),
                        message,
                        &sig,
                        hash,
                        &rest,
                    )
                    .unwrap();
                assert_eq!(
                    fused,
                    (p.digest_parts)(hash, &[&joined]),
                    "{alg:?} {hash:?}"
                );
                let mut bad = sig.clone();
                bad[3] ^= 1;
                assert_eq!(
                    p.verify_signature_and_digest(
                        alg,
                        signer.public_jwk(),
                        message,
                        &bad,
                        hash,
                        &rest
                    ),
                    Err(CryptoError::BadSignature),
                    "{alg:?} {hash:?}"
                );
                assert_eq!(
                    p.verify_signature_and_digest(
                        alg,
                        signer.public_jwk(),
                        b"other",
                        &sig,
                        hash,
                        &rest
                    ),
                    Err(CryptoError::BadSignature),
                    "{alg:?} {hash:?}"
                );
                // Without the backend's fused function: the same answers.
                let plain = CryptoProvider {
                    verify_and_digest: None,
                    ..provider()
                };
                assert_eq!(
                    plain.verify_signature_and_digest(
                        alg,
                        signer.public_jwk(),
                        message,
                        &sig,
                        hash,
                        &rest
                    ),
                    Ok(fused)
                );
            }
        }
    }

    #[test]
    fn digest_parts_equals_digest_of_the_joined_input() {
        let p = provider();
        let parts: [&[u8]; 4] = [b"eyJhbGc.e30.sig", b"~", b"WyJzIiwiYSIsMV0", b"~"];
        for alg in [
            HashAlgorithm::Sha256,
            HashAlgorithm::Sha384,
            HashAlgorithm::Sha512,
        ] {
            let joined = parts.concat();
            let d = p.digest_parts(alg, &parts);
            assert_eq!(d.as_ref(), p.digest(alg, &joined).as_slice());
            assert_eq!(d.as_ref().len(), alg.output_len());
            assert_ne!(d, p.digest_parts(alg, &[b"eyJhbGc.e30.sig~"]));
            assert_eq!(
                p.digest_parts(alg, &[]).as_ref(),
                p.digest(alg, b"").as_slice()
            );
            // One part takes the one-shot hash: the same digest as the context.
            assert_eq!(p.digest_parts(alg, &[&joined]), d);
        }
        // FIPS 180-2 appendix B.1: SHA-256("abc"), through the one-part path.
        assert_eq!(
            p.digest_parts(HashAlgorithm::Sha256, &[b"abc"]).as_ref(),
            [
                0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae,
                0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61,
                0xf2, 0x00, 0x15, 0xad
            ]
        );
    }

    #[test]
    fn sign_verify_each_algorithm() {
        let p = provider();
        for alg in SignatureAlgorithm::ALL {
            let s = SoftwareSigner::generate(alg).unwrap();
            let sig = s.sign(b"hello").unwrap();
            p.verify_signature(alg, s.public_jwk(), b"hello", &sig)
                .unwrap();
            assert_eq!(
                p.verify_signature(alg, s.public_jwk(), b"hellO", &sig),
                Err(CryptoError::BadSignature)
            );
            let again = SoftwareSigner::from_private_jwk(&s.to_private_jwk().unwrap()).unwrap();
            let sig2 = again.sign(b"x").unwrap();
            p.verify_signature(alg, s.public_jwk(), b"x", &sig2)
                .unwrap();
            let from_der = SoftwareSigner::from_pkcs8(alg, &s.to_pkcs8().unwrap()).unwrap();
            assert_eq!(from_der.public_jwk(), s.public_jwk());
        }
    }

    #[test]
    fn algorithm_substitution_refused() {
        let p = provider();
        let s = SoftwareSigner::generate(SignatureAlgorithm::Es256).unwrap();
        let sig = s.sign(b"m").unwrap();
        assert!(matches!(
            p.verify_signature(SignatureAlgorithm::EdDsa, s.public_jwk(), b"m", &sig),
            Err(CryptoError::KeyAlgorithmMismatch { .. })
        ));
        let only_eddsa = p.with_allowed(&[SignatureAlgorithm::EdDsa]);
        assert_eq!(
            only_eddsa.verify_signature(SignatureAlgorithm::Es256, s.public_jwk(), b"m", &sig),
            Err(CryptoError::AlgorithmNotAllowed(SignatureAlgorithm::Es256))
        );
    }

    #[test]
    fn rs256_seal_verify_only() {
        use aws_lc_rs::rsa::KeySize;
        use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
        let key = RsaKeyPair::generate(KeySize::Rsa2048).unwrap();
        let mut sig = vec![0; key.public_modulus_len()];
        key.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), b"m", &mut sig)
            .unwrap();
        let public = SealKey::Rsa(key.public_key().as_ref().to_vec());
        let v = seal_verifier();
        v.verify(SealAlgorithm::Rs256, &public, b"m", &sig).unwrap();
        assert_eq!(
            v.verify(SealAlgorithm::Rs256, &public, b"M", &sig),
            Err(CryptoError::BadSignature)
        );
        // An RSA key cannot be used under an ECDSA algorithm name, nor the reverse.
        assert!(v.verify(SealAlgorithm::Es256, &public, b"m", &sig).is_err());
        let ec = SoftwareSigner::generate(SignatureAlgorithm::Es256).unwrap();
        let ec_sig = ec.sign(b"m").unwrap();
        let ec_key = SealKey::Ec(ec.public_jwk().clone());
        v.verify(SealAlgorithm::Es256, &ec_key, b"m", &ec_sig)
            .unwrap();
        assert!(
            v.verify(SealAlgorithm::Rs256, &ec_key, b"m", &ec_sig)
                .is_err()
        );
        // A seal verifier restricted to ECDSA refuses RS256.
        let ec_only = SealVerifier {
            allowed: &[SealAlgorithm::Es256],
            ..v
        };
        assert!(
            ec_only
                .verify(SealAlgorithm::Rs256, &public, b"m", &sig)
                .is_err()
        );
    }

    #[test]
    fn rfc7638_thumbprint_vector() {
        // RFC 7638 section 3.1 uses an RSA key; RFC 8037 appendix A.3 gives the Ed25519 one.
        let jwk = serde_json::json!({"kty":"OKP","crv":"Ed25519",
            "x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"});
        let key = PublicJwk::from_json(&jwk).unwrap();
        assert_eq!(
            key.thumbprint(&provider(), HashAlgorithm::Sha256),
            "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
        );
    }
}
