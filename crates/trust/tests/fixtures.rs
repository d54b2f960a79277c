//! The committed test PKIs and lists (testdata/fixtures) and the generator that made them:
//! the committed lists verify and chain LOTL → BE / JP; a fresh run of the generator into a
//! temporary directory produces lists that verify the same way; and the signature attacks the
//! vectors hold out (wrapping, tampering, extra signatures, substituted signer) fail closed.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a test failure

use kakehashi_testpki as generator;

use std::path::{Path, PathBuf};

use kakehashi_trust::{Anchoring, ListAnchors, TrustError, UnixTime, verify_list};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/fixtures")
}

fn now() -> UnixTime {
    UnixTime::parse_rfc3339("2026-11-15T00:00:00Z").unwrap()
}

fn sha256(der: &[u8]) -> [u8; 32] {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der)
        .as_ref()
        .try_into()
        .unwrap()
}

/// Verifies LOTL (pinned), then BE and JP through it. Returns the JP list's provider count.
fn verify_set(dir: &Path) -> usize {
    let read = |f: &str| std::fs::read(dir.join(f)).unwrap();
    let pin = [sha256(
        &generator::read_pem_cert(&dir.join("pki/eu-lotl-signer.pem")).unwrap(),
    )];
    let lotl = verify_list(
        &read("lists/eu-lotl.xml"),
        ListAnchors::PinnedSha256(&pin),
        now(),
    )
    .unwrap();
    assert_eq!(lotl.list().scheme.pointers.len(), 2);
    let jp_pointer = lotl
        .list()
        .scheme
        .pointers
        .iter()
        .find(|p| p.territory.as_deref() == Some("JP"))
        .unwrap();
    let mra = jp_pointer.mutual_recognition.as_ref().unwrap();
    assert_eq!(mra.equivalences[0].legal_identifier, "QCForESeal");
    let be = verify_list(&read("lists/BE.xml"), ListAnchors::Lotl(&lotl), now()).unwrap();
    assert_eq!(be.service_count_for_test(), 2);
    let jp = verify_list(
        &read("lists/JP.xml"),
        ListAnchors::LotlPointer {
            lotl: &lotl,
            location: &jp_pointer.location,
        },
        now(),
    )
    .unwrap();
    assert!(matches!(
        jp.anchoring(),
        Anchoring::Lotl {
            lotl_anchored: true,
            ..
        }
    ));
    assert_eq!(
        jp.list().scheme.tsl_type,
        kakehashi_trust::jp::TSL_TYPE_JPLIST
    );
    // BE must not verify as JP and vice versa: the pointers carry different signers.
    assert!(matches!(
        verify_list(
            &read("lists/BE.xml"),
            ListAnchors::LotlPointer {
                lotl: &lotl,
                location: &jp_pointer.location
            },
            now()
        ),
        Err(TrustError::SignerNotInLotl { .. })
    ));
    jp.list().providers.len()
}

trait CountForTest {
    fn service_count_for_test(&self) -> usize;
}

impl CountForTest for kakehashi_trust::VerifiedTrustedList {
    fn service_count_for_test(&self) -> usize {
        self.list().service_count()
    }
}

#[test]
fn committed_fixtures_verify() {
    assert_eq!(verify_set(&fixtures()), 3);
}

#[test]
fn generator_reruns_and_its_output_verifies() {
    let dir = std::env::temp_dir().join(format!("kakehashi-trust-gen-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    generator::generate(&dir, &generator::Params::fixtures());
    assert_eq!(verify_set(&dir), 3);
    // Same content as committed, apart from keys and signatures.
    for f in ["lists/BE.toml", "lists/JP.toml", "lists/eu-lotl.toml"] {
        assert_eq!(
            std::fs::read_to_string(dir.join(f)).unwrap(),
            std::fs::read_to_string(fixtures().join(f)).unwrap(),
            "{f} differs from the committed fixture: regenerate with the example gen-testdata"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn jp_list() -> String {
    std::fs::read_to_string(fixtures().join("lists/JP.xml")).unwrap()
}

fn unanchored(xml: &str) -> Result<kakehashi_trust::VerifiedTrustedList, TrustError> {
    verify_list(xml.as_bytes(), ListAnchors::DangerousUnanchored, now())
}

#[test]
fn tampered_status_is_rejected() {
    let xml = jp_list();
    assert!(unanchored(&xml).is_ok());
    let tampered = xml.replacen("Svcstatus/JP/accredited", "Svcstatus/JP/withdrawn", 1);
    assert_ne!(tampered, xml);
    assert!(matches!(
        unanchored(&tampered),
        Err(TrustError::SignatureInvalid(_))
    ));
}

#[test]
fn second_signature_is_rejected() {
    let xml = jp_list();
    let start = xml.find("<ds:Signature ").unwrap();
    let end = xml.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
    let doubled = format!(
        "{}{}{}",
        &xml[..end],
        xml[start..end].replace("Id=\"", "Id=\"copy-"),
        &xml[end..]
    );
    assert_eq!(
        unanchored(&doubled),
        Err(TrustError::MultipleSignatures { count: 2 })
    );
}

#[test]
fn signature_not_child_of_root_is_rejected() {
    let xml = jp_list();
    let start = xml.find("<ds:Signature ").unwrap();
    let end = xml.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
    let signature = &xml[start..end];
    let without = format!("{}{}", &xml[..start], &xml[end..]);
    let moved = without.replacen(
        "</SchemeInformation>",
        &format!("{signature}</SchemeInformation>"),
        1,
    );
    assert!(matches!(
        unanchored(&moved),
        Err(TrustError::SignatureDoesNotCoverRoot(_))
    ));
}

#[test]
fn substituted_signer_is_rejected() {
    let xml = jp_list();
    let other = std::fs::read_to_string(fixtures().join("pki/be-tl-signer.pem")).unwrap();
    let other_b64: String = other.lines().filter(|l| !l.starts_with("-----")).collect();
    let start = xml.find("<ds:X509Certificate>").unwrap() + "<ds:X509Certificate>".len();
    let end = xml.find("</ds:X509Certificate>").unwrap();
    let swapped = format!("{}{}{}", &xml[..start], other_b64, &xml[end..]);
    assert!(matches!(
        unanchored(&swapped),
        Err(TrustError::SignatureInvalid(_))
    ));
}

/// Classic wrapping against a `#id` reference (real BE list): the signed list moves into
/// `ds:Object` and an attacker's list becomes the root. The digest still matches, so only the
/// root-coverage check stops it.
#[test]
fn signature_wrapping_is_rejected() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/trusted-lists/tl/BE.xml");
    let xml = std::fs::read_to_string(path).unwrap();
    let at = UnixTime::parse_rfc3339("2019-06-14T00:00:00Z").unwrap();
    assert!(verify_list(xml.as_bytes(), ListAnchors::DangerousUnanchored, at).is_ok());
    let root_start = xml.find("<TrustServiceStatusList").unwrap();
    let root_tag_end = xml[root_start..].find('>').unwrap() + root_start + 1;
    let sig_start = xml.find("<ds:Signature ").unwrap();
    let sig_close = xml.find("</ds:Signature>").unwrap();
    let root_tag = &xml[root_start..root_tag_end];
    let body = &xml[root_tag_end..sig_start];
    let evil_body = body.replacen("<TSLSequenceNumber>43<", "<TSLSequenceNumber>9999<", 1);
    let wrapped = format!(
        "{}{}{}{}<ds:Object>{}{}</TrustServiceStatusList></ds:Object>{}",
        &xml[..root_start],
        root_tag.replace("Id=\"TSL-BE-2019-T2v2\"", "Id=\"attacker\""),
        evil_body,
        &xml[sig_start..sig_close],
        root_tag,
        body,
        &xml[sig_close..]
    );
    let r = verify_list(wrapped.as_bytes(), ListAnchors::DangerousUnanchored, at);
    assert!(
        matches!(r, Err(TrustError::SignatureDoesNotCoverRoot(_))),
        "{r:?}"
    );
    // Same with the root Id kept: now the Id is duplicated.
    let duplicated = wrapped.replacen("Id=\"attacker\"", "Id=\"TSL-BE-2019-T2v2\"", 1);
    let r = verify_list(duplicated.as_bytes(), ListAnchors::DangerousUnanchored, at);
    assert!(
        matches!(r, Err(TrustError::SignatureDoesNotCoverRoot(_))),
        "{r:?}"
    );
}

#[test]
fn unsigned_fixture_is_rejected() {
    let xml = jp_list();
    let start = xml.find("<ds:Signature ").unwrap();
    let end = xml.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
    let unsigned = format!("{}{}", &xml[..start], &xml[end..]);
    assert_eq!(unanchored(&unsigned), Err(TrustError::Unsigned));
}

/// The XAdES binding: a list signed with one key whose `SigningCertificate` names another
/// certificate is refused even after `ds:KeyInfo` is swapped to the certificate that verifies.
#[test]
fn signing_certificate_binding_is_enforced() {
    use std::sync::Arc;

    use kakehashi_trust::publish::{ListDescription, publish};
    use rustls_pki_types::PrivatePkcs8KeyDer;
    use rustls_pki_types::pem::PemObject as _;

    let f = fixtures();
    let desc: ListDescription =
        toml::from_str(&std::fs::read_to_string(f.join("lists/JP.toml")).unwrap()).unwrap();
    let jp_cert = generator::read_pem_cert(&f.join("pki/jplist-signer.pem")).unwrap();
    let be_cert = generator::read_pem_cert(&f.join("pki/be-tl-signer.pem")).unwrap();
    let jp_key = PrivatePkcs8KeyDer::from_pem_file(f.join("pki/jplist-signer.key.pem")).unwrap();
    // Signs with the JP key but names the BE certificate (KeyInfo and SigningCertificate).
    let signer = Arc::new(generator::SoftSigner::new(
        jp_key.secret_pkcs8_der(),
        be_cert.clone(),
    ));
    let lists = f.join("lists");
    let mut resolve = |r: &str| generator::read_pem_cert(&lists.join(r));
    let xml = publish(&desc, &mut resolve, signer, now()).unwrap();
    assert!(matches!(
        unanchored(&xml),
        Err(TrustError::SignatureInvalid(_))
    ));
    use base64::Engine as _;
    let b64 = |d: &[u8]| base64::engine::general_purpose::STANDARD.encode(d);
    let swapped = xml.replacen(&b64(&be_cert), &b64(&jp_cert), 1);
    assert_ne!(swapped, xml);
    match unanchored(&swapped) {
        Err(TrustError::SignatureInvalid(m)) => assert!(m.contains("SigningCertificate"), "{m}"),
        other => panic!("{other:?}"),
    }
}
