//! Enveloped XMLDSig / XAdES-BES verification of a trusted list.
//!
//! bergshamra (pure Rust) resolves the references, applies the transforms, canonicalises and
//! checks every digest; the public-key operation is ours, through bergshamra's verifier hook,
//! so we know exactly which certificate verified the signature and can add brainpool curves.
//! Before bergshamra runs, the structure is checked here against signature wrapping: exactly
//! one `ds:Signature`, a child of the root, same-document references only, one reference to
//! the whole document (`""` or `#<root Id>`) with the enveloped transform, every other reference
//! pointing inside the signature (XAdES `SignedProperties`), and no duplicate `Id` values.

use roxmltree::{Document, Node};
use sha2::Digest as _;
use x509_cert::certificate::{CertificateInner, Raw};
use x509_cert::der::{Decode as _, Encode as _};

use crate::tsl::parse::{base64_value, child, children, is, text};
use crate::{Limits, TrustError};

const NS_DSIG: &str = "http://www.w3.org/2000/09/xmldsig#";
const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
/// Transforms allowed besides the enveloped one: canonicalisations only. XPath and XSLT
/// transforms could select less than the whole list and are refused.
const C14N_TRANSFORMS: [&str; 6] = [
    "http://www.w3.org/2001/10/xml-exc-c14n#",
    "http://www.w3.org/2001/10/xml-exc-c14n#WithComments",
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments",
    "http://www.w3.org/2006/12/xml-c14n11",
    "http://www.w3.org/2006/12/xml-c14n11#WithComments",
];
/// Attribute names bergshamra treats as IDs; duplicates among them are refused.
const ID_ATTRIBUTES: [&str; 4] = ["Id", "ID", "id", "AssertionID"];
/// At most this many certificates of `ds:KeyInfo` are tried as the signer.
const MAX_KEYINFO_CERTIFICATES: usize = 8;

/// The certificate whose key verified the list signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignerCertificate {
    der: Vec<u8>,
    subject: String,
    sha256: [u8; 32],
}

impl SignerCertificate {
    pub(crate) fn from_der(der: Vec<u8>) -> Result<Self, TrustError> {
        let cert = CertificateInner::<Raw>::from_der(&der)
            .map_err(|e| TrustError::SignerCertificate(format!("not an X.509 certificate: {e}")))?;
        let subject = crate::x509::dn_string(cert.tbs_certificate().subject());
        let sha256 = sha2::Sha256::digest(&der).into();
        Ok(SignerCertificate {
            der,
            subject,
            sha256,
        })
    }

    /// DER encoding.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// Subject DN, RFC 4514 string.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// SHA-256 of the DER.
    pub fn sha256(&self) -> [u8; 32] {
        self.sha256
    }

    /// SHA-256 of the DER, lowercase hex.
    pub fn sha256_hex(&self) -> String {
        hex(&self.sha256)
    }
}

/// What the signature check established.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SignatureInfo {
    /// `SignatureMethod` algorithm URI.
    pub algorithm: String,
    /// The certificate that verified the signature.
    pub signer: SignerCertificate,
    /// URIs of the verified references.
    pub references: Vec<String>,
}

/// Lowercase hexadecimal.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Checks the structure, then the signature. `doc` is the roxmltree parse of `xml`.
pub(crate) fn verify_enveloped(
    xml: &str,
    doc: &Document<'_>,
    limits: &Limits,
) -> Result<SignatureInfo, TrustError> {
    let root = doc.root_element();
    let signatures: Vec<Node<'_, '_>> = doc
        .descendants()
        .filter(|n| is(*n, NS_DSIG, "Signature"))
        .collect();
    let signature = match signatures.as_slice() {
        [] => return Err(TrustError::Unsigned),
        [one] => *one,
        many => return Err(TrustError::MultipleSignatures { count: many.len() }),
    };
    if signature.parent_element() != Some(root) {
        return Err(TrustError::SignatureDoesNotCoverRoot(
            "ds:Signature is not a child of the root element".into(),
        ));
    }
    check_unique_ids(doc)?;
    let signed_info = child(signature, NS_DSIG, "SignedInfo")
        .ok_or(TrustError::MissingElement("ds:SignedInfo"))?;
    let root_id = root.attribute("Id");
    let mut root_reference = None;
    let mut references = Vec::new();
    for reference in children(signed_info, NS_DSIG, "Reference") {
        let uri = reference.attribute("URI").ok_or_else(|| {
            TrustError::SignatureDoesNotCoverRoot("a ds:Reference without URI".into())
        })?;
        references.push(uri.to_owned());
        let covers_root =
            uri.is_empty() || root_id.is_some_and(|id| uri.strip_prefix('#') == Some(id));
        if covers_root {
            check_root_transforms(reference)?;
            if root_reference.replace(uri.to_owned()).is_some() {
                return Err(TrustError::SignatureDoesNotCoverRoot(
                    "more than one reference to the document root".into(),
                ));
            }
            continue;
        }
        // Any other reference must stay inside the signature (XAdES SignedProperties).
        let id = uri.strip_prefix('#').ok_or_else(|| {
            TrustError::SignatureDoesNotCoverRoot(format!(
                "reference {:?} is not a same-document reference",
                truncate(uri)
            ))
        })?;
        let inside = signature
            .descendants()
            .any(|n| n.is_element() && ID_ATTRIBUTES.iter().any(|a| n.attribute(*a) == Some(id)));
        if !inside {
            return Err(TrustError::SignatureDoesNotCoverRoot(format!(
                "reference {:?} points outside the signature and is not the root",
                truncate(uri)
            )));
        }
    }
    let root_reference = root_reference.ok_or_else(|| {
        TrustError::SignatureDoesNotCoverRoot(match root_id {
            Some(id) => format!("no reference with URI \"\" or \"#{}\"", truncate(id)),
            None => "no reference with URI \"\"".into(),
        })
    })?;
    let algorithm = child(signed_info, NS_DSIG, "SignatureMethod")
        .and_then(|m| m.attribute("Algorithm"))
        .ok_or(TrustError::MissingElement("ds:SignatureMethod/@Algorithm"))?
        .to_owned();
    let scheme = SignatureScheme::from_uri(&algorithm)?;

    let candidates: Vec<Vec<u8>> = child(signature, NS_DSIG, "KeyInfo")
        .into_iter()
        .flat_map(|ki| children(ki, NS_DSIG, "X509Data"))
        .flat_map(|xd| children(xd, NS_DSIG, "X509Certificate"))
        .take(MAX_KEYINFO_CERTIFICATES)
        .map(|c| base64_value(&text(c), "ds:X509Certificate", limits.max_certificate_bytes))
        .collect::<Result<_, _>>()?;
    if candidates.is_empty() {
        return Err(TrustError::SignerCertificate(
            "no ds:X509Certificate in ds:KeyInfo".into(),
        ));
    }

    let udoc = uppsala::parse(xml).map_err(|e| TrustError::XmlMalformed(e.to_string()))?;
    let document_element = udoc.document_element();
    let mut last_error = None;
    for der in candidates {
        let signer = SignerCertificate::from_der(der)?;
        let verifier = match ListKeyVerifier::new(scheme, &signer.der) {
            Ok(v) => v,
            Err(e) => {
                last_error = Some(e);
                continue;
            }
        };
        let mut ctx = bergshamra::DsigContext::new_permissive(bergshamra::KeysManager::new());
        ctx.trusted_keys_only = true;
        ctx.require_reference_digests = true;
        // No verification_time: on the hook path bergshamra does no certificate time check;
        // the caller checks the signer's validity at ListIssueDateTime itself.
        ctx.hsm_verifier = Some(Box::new(verifier));
        let result = bergshamra::dsig::verify::verify_document_with_source(&ctx, &udoc, Some(xml))
            .map_err(|e| TrustError::SignatureInvalid(e.to_string()))?;
        match result {
            bergshamra::VerifyResult::Valid {
                references: verified,
                ..
            } => {
                let root_ok = verified.iter().any(|r| {
                    r.uri == root_reference
                        && r.digest_verified
                        && (r.uri.is_empty() || r.resolved_node == document_element)
                });
                if !root_ok {
                    return Err(TrustError::SignatureDoesNotCoverRoot(
                        "the verified references do not resolve to the document root".into(),
                    ));
                }
                check_signing_certificate(signature, &references, &signer)?;
                return Ok(SignatureInfo {
                    algorithm,
                    signer,
                    references,
                });
            }
            bergshamra::VerifyResult::Invalid { reason } => {
                // A digest mismatch does not depend on the key: stop at once.
                if reason.starts_with("Reference digest failed") {
                    return Err(TrustError::SignatureInvalid(reason));
                }
                last_error = Some(TrustError::SignatureInvalid(reason));
            }
        }
    }
    Err(last_error.unwrap_or_else(|| TrustError::SignatureInvalid("no signer key verified".into())))
}

const NS_XADES_132: &str = "http://uri.etsi.org/01903/v1.3.2#";

/// XAdES binds the signer certificate inside the signed properties (`SigningCertificate` or
/// `SigningCertificateV2`, `Cert/CertDigest`). When digests we can compute (SHA-256/384/512)
/// are present, one must match the certificate that verified the signature; SHA-1-only
/// bindings (older lists) are not checked.
fn check_signing_certificate(
    signature: Node<'_, '_>,
    references: &[String],
    signer: &SignerCertificate,
) -> Result<(), TrustError> {
    // Only bindings inside a signed (referenced) element count.
    let signed_ids: Vec<&str> = references
        .iter()
        .filter_map(|r| r.strip_prefix('#'))
        .collect();
    let mut checked = false;
    for cert_digest in signature
        .descendants()
        .filter(|n| is(*n, NS_XADES_132, "CertDigest"))
        .filter(|n| {
            n.ancestors().any(|a| {
                is(a, NS_XADES_132, "SigningCertificate")
                    || is(a, NS_XADES_132, "SigningCertificateV2")
            }) && n
                .ancestors()
                .any(|a| a.attribute("Id").is_some_and(|id| signed_ids.contains(&id)))
        })
    {
        let method =
            child(cert_digest, NS_DSIG, "DigestMethod").and_then(|m| m.attribute("Algorithm"));
        let hash = match method {
            Some("http://www.w3.org/2001/04/xmlenc#sha256") => Hash::Sha256,
            Some("http://www.w3.org/2001/04/xmldsig-more#sha384") => Hash::Sha384,
            Some("http://www.w3.org/2001/04/xmlenc#sha512") => Hash::Sha512,
            _ => continue,
        };
        let Some(value) = child(cert_digest, NS_DSIG, "DigestValue") else {
            continue;
        };
        checked = true;
        let Ok(expected) = base64_value(&text(value), "xades:CertDigest", 128) else {
            continue;
        };
        if expected == hash.digest(signer.der()) {
            return Ok(());
        }
    }
    if checked {
        return Err(TrustError::SignatureInvalid(
            "the XAdES SigningCertificate does not name the certificate that verified the signature"
                .into(),
        ));
    }
    Ok(())
}

fn check_root_transforms(reference: Node<'_, '_>) -> Result<(), TrustError> {
    let mut enveloped = false;
    if let Some(transforms) = child(reference, NS_DSIG, "Transforms") {
        for t in transforms.children().filter(Node::is_element) {
            let alg = if is(t, NS_DSIG, "Transform") {
                t.attribute("Algorithm").unwrap_or("")
            } else {
                ""
            };
            if alg == ENVELOPED {
                enveloped = true;
            } else if !C14N_TRANSFORMS.contains(&alg) {
                return Err(TrustError::SignatureDoesNotCoverRoot(format!(
                    "transform {:?} on the root reference is not accepted",
                    truncate(alg)
                )));
            }
        }
    }
    if !enveloped {
        return Err(TrustError::SignatureDoesNotCoverRoot(
            "the root reference lacks the enveloped-signature transform".into(),
        ));
    }
    Ok(())
}

fn check_unique_ids(doc: &Document<'_>) -> Result<(), TrustError> {
    let mut seen = std::collections::HashSet::new();
    for n in doc.descendants().filter(Node::is_element) {
        for a in n.attributes() {
            if a.namespace().is_none()
                && ID_ATTRIBUTES.contains(&a.name())
                && !seen.insert(a.value())
            {
                return Err(TrustError::SignatureDoesNotCoverRoot(format!(
                    "duplicate Id {:?}",
                    truncate(a.value())
                )));
            }
        }
    }
    Ok(())
}

fn truncate(s: &str) -> String {
    s.chars().take(80).collect()
}

/// The signature schemes accepted for lists. SHA-1 based methods are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SignatureScheme {
    RsaPkcs1(Hash),
    RsaPss(Hash),
    Ecdsa(Hash),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    fn kryptering(self) -> kryptering::HashAlgorithm {
        match self {
            Hash::Sha256 => kryptering::HashAlgorithm::Sha256,
            Hash::Sha384 => kryptering::HashAlgorithm::Sha384,
            Hash::Sha512 => kryptering::HashAlgorithm::Sha512,
        }
    }

    fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Hash::Sha256 => sha2::Sha256::digest(data).to_vec(),
            Hash::Sha384 => sha2::Sha384::digest(data).to_vec(),
            Hash::Sha512 => sha2::Sha512::digest(data).to_vec(),
        }
    }
}

impl SignatureScheme {
    pub(crate) fn from_uri(uri: &str) -> Result<Self, TrustError> {
        Ok(match uri {
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" => Self::RsaPkcs1(Hash::Sha256),
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384" => Self::RsaPkcs1(Hash::Sha384),
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512" => Self::RsaPkcs1(Hash::Sha512),
            "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1" => Self::RsaPss(Hash::Sha256),
            "http://www.w3.org/2007/05/xmldsig-more#sha384-rsa-MGF1" => Self::RsaPss(Hash::Sha384),
            "http://www.w3.org/2007/05/xmldsig-more#sha512-rsa-MGF1" => Self::RsaPss(Hash::Sha512),
            "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256" => Self::Ecdsa(Hash::Sha256),
            "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384" => Self::Ecdsa(Hash::Sha384),
            "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512" => Self::Ecdsa(Hash::Sha512),
            other => return Err(TrustError::UnsupportedAlgorithm(truncate(other))),
        })
    }
}

const OID_RSA: &str = "1.2.840.113549.1.1.1";
const OID_EC: &str = "1.2.840.10045.2.1";
const OID_P256: &str = "1.2.840.10045.3.1.7";
const OID_P384: &str = "1.3.132.0.34";
const OID_P521: &str = "1.3.132.0.35";
const OID_BP256: &str = "1.3.36.3.3.2.8.1.1.7";
const OID_BP384: &str = "1.3.36.3.3.2.8.1.1.11";

/// Smallest RSA modulus accepted for list signatures: 2000 bits. The Norwegian list signer in
/// the vectors has 2032 bits; 2048 is the usual floor, 1024-bit keys are refused.
const MIN_RSA_BITS: usize = 2000;

enum KeyVerifier {
    /// RSA: aws-lc-rs, with the modulus floor checked here (aws-lc's own floor is 2048).
    Rsa {
        params: &'static aws_lc_rs::signature::RsaParameters,
        public_key: Vec<u8>,
    },
    /// NIST curves: kryptering's RustCrypto verifier.
    Software(kryptering::software::sign::SoftwareVerifier),
    Brainpool256(ecdsa::VerifyingKey<bp256::BrainpoolP256r1>),
    Brainpool384(ecdsa::VerifyingKey<bp384::BrainpoolP384r1>),
}

/// bergshamra's verifier hook bound to one certificate's key and one signature scheme.
pub(crate) struct ListKeyVerifier {
    algorithm: kryptering::SignatureAlgorithm,
    hash: Hash,
    key: KeyVerifier,
}

impl ListKeyVerifier {
    pub(crate) fn new(scheme: SignatureScheme, cert_der: &[u8]) -> Result<Self, TrustError> {
        use kryptering::{EcCurve, KeyAlgorithm, SignatureAlgorithm as S};
        let cert = CertificateInner::<Raw>::from_der(cert_der)
            .map_err(|e| TrustError::SignerCertificate(format!("not an X.509 certificate: {e}")))?;
        let spki = cert.tbs_certificate().subject_public_key_info();
        let spki_der = spki
            .to_der()
            .map_err(|e| TrustError::SignerCertificate(e.to_string()))?;
        let key_oid = spki.algorithm.oid.to_string();
        let curve = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.decode_as::<x509_cert::der::asn1::ObjectIdentifier>().ok())
            .map(|o| o.to_string());
        let software = |alg: S, key_alg: KeyAlgorithm| -> Result<KeyVerifier, TrustError> {
            let key = kryptering::SoftwareKey::from_spki_der(key_alg, &spki_der)
                .map_err(|e| TrustError::SignerCertificate(e.to_string()))?;
            kryptering::software::sign::SoftwareVerifier::new(alg, key)
                .map(KeyVerifier::Software)
                .map_err(|e| TrustError::SignerCertificate(e.to_string()))
        };
        let key_bits = spki.subject_public_key.raw_bytes();
        let (algorithm, hash, key) = match (scheme, key_oid.as_str(), curve.as_deref()) {
            (SignatureScheme::RsaPkcs1(h), OID_RSA, _)
            | (SignatureScheme::RsaPss(h), OID_RSA, _) => {
                use aws_lc_rs::signature as sig;
                let bits = rsa_modulus_bits(key_bits)?;
                if bits < MIN_RSA_BITS {
                    return Err(TrustError::SignerCertificate(format!(
                        "RSA key of {bits} bits is below the {MIN_RSA_BITS}-bit floor"
                    )));
                }
                let pss = matches!(scheme, SignatureScheme::RsaPss(_));
                let params: &'static sig::RsaParameters = match (pss, h, bits >= 2048) {
                    (false, Hash::Sha256, _) => {
                        &sig::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY
                    }
                    (false, Hash::Sha512, _) => {
                        &sig::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY
                    }
                    (false, Hash::Sha384, true) => &sig::RSA_PKCS1_2048_8192_SHA384,
                    (true, Hash::Sha256, true) => &sig::RSA_PSS_2048_8192_SHA256,
                    (true, Hash::Sha384, true) => &sig::RSA_PSS_2048_8192_SHA384,
                    (true, Hash::Sha512, true) => &sig::RSA_PSS_2048_8192_SHA512,
                    _ => {
                        return Err(TrustError::UnsupportedAlgorithm(format!(
                            "{scheme:?} with a {bits}-bit RSA key"
                        )));
                    }
                };
                let a = if pss {
                    S::RsaPss(h.kryptering())
                } else {
                    S::RsaPkcs1v15(h.kryptering())
                };
                (
                    a,
                    h,
                    KeyVerifier::Rsa {
                        params,
                        public_key: key_bits.to_vec(),
                    },
                )
            }
            (SignatureScheme::Ecdsa(h), OID_EC, Some(c @ (OID_P256 | OID_P384 | OID_P521))) => {
                let curve = match c {
                    OID_P256 => EcCurve::P256,
                    OID_P384 => EcCurve::P384,
                    _ => EcCurve::P521,
                };
                let a = S::Ecdsa(curve, h.kryptering());
                (a, h, software(a, KeyAlgorithm::Ec(curve))?)
            }
            (SignatureScheme::Ecdsa(h), OID_EC, Some(OID_BP256)) => {
                let k = ecdsa::VerifyingKey::<bp256::BrainpoolP256r1>::from_sec1_bytes(key_bits)
                    .map_err(|e| TrustError::SignerCertificate(format!("brainpoolP256r1: {e}")))?;
                (
                    S::Ecdsa(EcCurve::BrainpoolP256r1, h.kryptering()),
                    h,
                    KeyVerifier::Brainpool256(k),
                )
            }
            (SignatureScheme::Ecdsa(h), OID_EC, Some(OID_BP384)) => {
                let k = ecdsa::VerifyingKey::<bp384::BrainpoolP384r1>::from_sec1_bytes(key_bits)
                    .map_err(|e| TrustError::SignerCertificate(format!("brainpoolP384r1: {e}")))?;
                (
                    S::Ecdsa(EcCurve::BrainpoolP384r1, h.kryptering()),
                    h,
                    KeyVerifier::Brainpool384(k),
                )
            }
            (scheme, key, curve) => {
                return Err(TrustError::UnsupportedAlgorithm(format!(
                    "{scheme:?} with a key of type {key} {}",
                    curve.unwrap_or_default()
                )));
            }
        };
        Ok(ListKeyVerifier {
            algorithm,
            hash,
            key,
        })
    }
}

/// Bit length of the modulus of a PKCS#1 `RSAPublicKey`.
fn rsa_modulus_bits(der: &[u8]) -> Result<usize, TrustError> {
    use x509_cert::der::{Reader as _, asn1::UintRef};
    let bad = |e: x509_cert::der::Error| TrustError::SignerCertificate(format!("RSA key: {e}"));
    let mut reader = x509_cert::der::SliceReader::new(der).map_err(bad)?;
    let modulus = reader
        .sequence(|r| {
            let n = UintRef::decode(r)?;
            let _e = UintRef::decode(r)?;
            Ok(n.as_bytes().to_vec())
        })
        .map_err(bad)?;
    let first = modulus.first().copied().unwrap_or(0);
    let leading = usize::try_from(first.leading_zeros()).unwrap_or(8);
    Ok((modulus.len() * 8).saturating_sub(leading))
}

impl kryptering::Verifier for ListKeyVerifier {
    fn algorithm(&self) -> kryptering::SignatureAlgorithm {
        self.algorithm
    }

    fn verify(&self, data: &[u8], signature: &[u8]) -> kryptering::Result<bool> {
        use ecdsa::signature::hazmat::PrehashVerifier as _;
        match &self.key {
            KeyVerifier::Rsa { params, public_key } => Ok(
                aws_lc_rs::signature::UnparsedPublicKey::new(*params, public_key)
                    .verify(data, signature)
                    .is_ok(),
            ),
            KeyVerifier::Software(v) => v.verify(data, signature),
            KeyVerifier::Brainpool256(k) => {
                let Ok(sig) = ecdsa::Signature::<bp256::BrainpoolP256r1>::from_slice(signature)
                else {
                    return Ok(false);
                };
                Ok(k.verify_prehash(&self.hash.digest(data), &sig).is_ok())
            }
            KeyVerifier::Brainpool384(k) => {
                let Ok(sig) = ecdsa::Signature::<bp384::BrainpoolP384r1>::from_slice(signature)
                else {
                    return Ok(false);
                };
                Ok(k.verify_prehash(&self.hash.digest(data), &sig).is_ok())
            }
        }
    }
}
