//! ECDSA over brainpoolP256r1 / brainpoolP384r1 (RFC 5639) for rustls-webpki, which ships no
//! brainpool algorithm: German and some other EU trust services issue brainpool certificates.
//! Verification is RustCrypto's (`bp256`, `bp384`); signatures are DER as in X.509.

use ecdsa::signature::hazmat::PrehashVerifier as _;
use rustls_pki_types::{AlgorithmIdentifier, InvalidSignature, SignatureVerificationAlgorithm};
use sha2::Digest as _;

/// `id-ecPublicKey` with `brainpoolP256r1` (content of the AlgorithmIdentifier SEQUENCE).
const ECPK_BP256: &[u8] = &[
    0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x09, 0x2b, 0x24, 0x03, 0x03, 0x02,
    0x08, 0x01, 0x01, 0x07,
];
/// `id-ecPublicKey` with `brainpoolP384r1`.
const ECPK_BP384: &[u8] = &[
    0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x09, 0x2b, 0x24, 0x03, 0x03, 0x02,
    0x08, 0x01, 0x01, 0x0b,
];
/// `ecdsa-with-SHA256` (no parameters).
const ECDSA_SHA256: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
/// `ecdsa-with-SHA384`.
const ECDSA_SHA384: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03];

#[derive(Debug, Clone, Copy)]
enum Curve {
    P256r1,
    P384r1,
}

#[derive(Debug, Clone, Copy)]
enum Hash {
    Sha256,
    Sha384,
}

/// One (curve, hash) combination.
#[derive(Debug)]
pub struct BrainpoolEcdsa {
    curve: Curve,
    hash: Hash,
}

/// brainpoolP256r1 with SHA-256.
pub static ECDSA_BP256_SHA256: &BrainpoolEcdsa = &BrainpoolEcdsa {
    curve: Curve::P256r1,
    hash: Hash::Sha256,
};
/// brainpoolP384r1 with SHA-384.
pub static ECDSA_BP384_SHA384: &BrainpoolEcdsa = &BrainpoolEcdsa {
    curve: Curve::P384r1,
    hash: Hash::Sha384,
};
/// brainpoolP256r1 with SHA-384 (used by some CAs whose issuer key is P384).
pub static ECDSA_BP256_SHA384: &BrainpoolEcdsa = &BrainpoolEcdsa {
    curve: Curve::P256r1,
    hash: Hash::Sha384,
};
/// brainpoolP384r1 with SHA-256.
pub static ECDSA_BP384_SHA256: &BrainpoolEcdsa = &BrainpoolEcdsa {
    curve: Curve::P384r1,
    hash: Hash::Sha256,
};

/// Every brainpool combination, to append to webpki's algorithm list.
pub static ALL: &[&dyn SignatureVerificationAlgorithm] = &[
    ECDSA_BP256_SHA256,
    ECDSA_BP384_SHA384,
    ECDSA_BP256_SHA384,
    ECDSA_BP384_SHA256,
];

impl SignatureVerificationAlgorithm for BrainpoolEcdsa {
    fn verify_signature(
        &self,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), InvalidSignature> {
        let digest = match self.hash {
            Hash::Sha256 => sha2::Sha256::digest(message).to_vec(),
            Hash::Sha384 => sha2::Sha384::digest(message).to_vec(),
        };
        match self.curve {
            Curve::P256r1 => {
                let key =
                    ecdsa::VerifyingKey::<bp256::BrainpoolP256r1>::from_sec1_bytes(public_key)
                        .map_err(|_| InvalidSignature)?;
                let sig = ecdsa::der::Signature::<bp256::BrainpoolP256r1>::from_bytes(signature)
                    .map_err(|_| InvalidSignature)?;
                let sig = ecdsa::Signature::try_from(sig).map_err(|_| InvalidSignature)?;
                key.verify_prehash(&digest, &sig)
                    .map_err(|_| InvalidSignature)
            }
            Curve::P384r1 => {
                let key =
                    ecdsa::VerifyingKey::<bp384::BrainpoolP384r1>::from_sec1_bytes(public_key)
                        .map_err(|_| InvalidSignature)?;
                let sig = ecdsa::der::Signature::<bp384::BrainpoolP384r1>::from_bytes(signature)
                    .map_err(|_| InvalidSignature)?;
                let sig = ecdsa::Signature::try_from(sig).map_err(|_| InvalidSignature)?;
                key.verify_prehash(&digest, &sig)
                    .map_err(|_| InvalidSignature)
            }
        }
    }

    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        AlgorithmIdentifier::from_slice(match self.curve {
            Curve::P256r1 => ECPK_BP256,
            Curve::P384r1 => ECPK_BP384,
        })
    }

    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        AlgorithmIdentifier::from_slice(match self.hash {
            Hash::Sha256 => ECDSA_SHA256,
            Hash::Sha384 => ECDSA_SHA384,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// GEM.TSL-CA3 (brainpoolP256r1) and the OCSP signer it issued, from the gematik TSL in
    /// the vectors: the issuer's key verifies the signer's certificate signature, and a flipped
    /// signature byte does not.
    #[test]
    fn verifies_a_real_brainpool_certificate_signature() {
        use x509_cert::Certificate;
        use x509_cert::der::{Decode as _, Encode as _};
        let xml = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/testdata/trusted-lists/other/DE-gematik-TSL-ecdsa-brainpool.xml"
        ))
        .unwrap();
        let list = crate::parse_list(xml.as_bytes(), &crate::Limits::default()).unwrap();
        let certs: Vec<Certificate> = list
            .services()
            .flat_map(|(_, s)| s.all_certificates())
            .filter_map(|d| Certificate::from_der(d).ok())
            .collect();
        let ca = certs
            .iter()
            .find(|c| crate::x509::dn_string(c.tbs_certificate().subject()).contains("GEM.TSL-CA3"))
            .unwrap();
        let leaf = certs
            .iter()
            .find(|c| crate::x509::dn_string(c.tbs_certificate().issuer()).contains("GEM.TSL-CA3"))
            .unwrap();
        let key = ca
            .tbs_certificate()
            .subject_public_key_info()
            .subject_public_key
            .raw_bytes();
        let tbs = leaf.tbs_certificate().to_der().unwrap();
        let sig = leaf.signature().raw_bytes().to_vec();
        let alg = match leaf.signature_algorithm().oid.to_string().as_str() {
            "1.2.840.10045.4.3.2" => ECDSA_BP256_SHA256,
            _ => ECDSA_BP256_SHA384,
        };
        assert!(alg.verify_signature(key, &tbs, &sig).is_ok());
        let mut bad = sig.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert!(alg.verify_signature(key, &tbs, &bad).is_err());
        assert!(alg.verify_signature(&key[1..], &tbs, &sig).is_err());
    }
}
