//! ETSI TS 119 602 LoTE (JSON, JAdES compact): publish the JP description as a LoTE, verify it
//! pinned, evaluate a chain against it, and refuse tampering, a wrong pin and a missing
//! signature.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a test failure

use kakehashi_testpki as generator;

use std::path::PathBuf;
use std::sync::Arc;

use kakehashi_core::b64;
use kakehashi_trust::lote::{publish_lote, verify_lote};
use kakehashi_trust::publish::ListDescription;
use kakehashi_trust::{ListAnchors, TrustError, UnixTime, VerifyOptions};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/fixtures")
}

fn t(s: &str) -> UnixTime {
    UnixTime::parse_rfc3339(s).unwrap()
}

fn pem_key(path: &str) -> Vec<u8> {
    use rustls_pki_types::PrivatePkcs8KeyDer;
    use rustls_pki_types::pem::PemObject as _;
    PrivatePkcs8KeyDer::from_pem_file(dir().join(path))
        .unwrap()
        .secret_pkcs8_der()
        .to_vec()
}

fn jp_lote() -> (String, [u8; 32]) {
    let desc: ListDescription =
        toml::from_str(&std::fs::read_to_string(dir().join("lists/JP.toml")).unwrap()).unwrap();
    let cert = generator::read_pem_cert(&dir().join("pki/jplist-signer.pem")).unwrap();
    let pin: [u8; 32] = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &cert)
        .as_ref()
        .try_into()
        .unwrap();
    let signer = Arc::new(generator::SoftSigner::new(
        &pem_key("pki/jplist-signer.key.pem"),
        cert,
    ));
    let lists = dir().join("lists");
    let mut resolve = |r: &str| generator::read_pem_cert(&lists.join(r));
    let jws = publish_lote(
        &desc,
        kakehashi_trust::jp::TSL_TYPE_JPLIST,
        &mut resolve,
        signer,
        t("2026-11-01T00:00:00Z"),
    )
    .unwrap();
    (jws, pin)
}

#[test]
fn lote_round_trip_and_decision() {
    let (jws, pin) = jp_lote();
    let now = t("2026-11-15T00:00:00Z");
    let v = verify_lote(
        jws.as_bytes(),
        ListAnchors::PinnedSha256(&[pin]),
        now,
        &VerifyOptions::default(),
    )
    .unwrap();
    assert!(v.anchoring().is_anchored());
    assert_eq!(v.territory(), "JP");
    assert_eq!(v.list().providers.len(), 3);
    assert_eq!(v.signature().algorithm, "ES256");
    let header: serde_json::Value =
        serde_json::from_slice(&b64::decode(jws.split('.').next().unwrap()).unwrap()).unwrap();
    assert!(header["sigT"].is_string() && header["x5t#S256"].is_string());

    // The same trust decision as with the XML JPlist.
    let policy = kakehashi_trust::RecognitionPolicy::from_toml(
        &std::fs::read_to_string(dir().join("policy/jp-verifier.toml")).unwrap(),
    )
    .unwrap();
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject as _;
    let chain: Vec<Vec<u8>> =
        CertificateDer::pem_file_iter(dir().join("chains/jp-university-seal.pem"))
            .unwrap()
            .map(|c| c.unwrap().to_vec())
            .collect();
    let d = kakehashi_trust::evaluate(&chain, &[v], &policy, now).unwrap();
    assert_eq!(
        d.class(),
        kakehashi_trust::TrustClass::HighAssuranceAttestation
    );
}

#[test]
fn lote_refusals() {
    let (jws, pin) = jp_lote();
    let now = t("2026-11-15T00:00:00Z");
    let opts = VerifyOptions::default();
    let parts: Vec<&str> = jws.split('.').collect();
    let payload = String::from_utf8(b64::decode(parts[1]).unwrap()).unwrap();
    let tampered_payload = payload.replacen("Svcstatus/JP/accredited", "Svcstatus/JP/withdrawn", 1);
    assert_ne!(payload, tampered_payload);
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        b64::encode(tampered_payload),
        parts[2]
    );
    assert!(matches!(
        verify_lote(
            tampered.as_bytes(),
            ListAnchors::PinnedSha256(&[pin]),
            now,
            &opts
        ),
        Err(TrustError::SignatureInvalid(_))
    ));
    assert_eq!(
        verify_lote(
            jws.as_bytes(),
            ListAnchors::PinnedSha256(&[[0u8; 32]]),
            now,
            &opts
        ),
        Err(TrustError::SignerNotPinned)
    );
    let unsigned = format!("{}.{}.", parts[0], parts[1]);
    assert_eq!(
        verify_lote(
            unsigned.as_bytes(),
            ListAnchors::PinnedSha256(&[pin]),
            now,
            &opts
        ),
        Err(TrustError::Unsigned)
    );
    assert!(matches!(
        verify_lote(
            jws.as_bytes(),
            ListAnchors::PinnedSha256(&[pin]),
            t("2027-06-01T00:00:00Z"),
            &opts
        ),
        Err(TrustError::Stale { .. })
    ));
    assert!(
        verify_lote(
            b"not.a.jws.at-all",
            ListAnchors::DangerousUnanchored,
            now,
            &opts
        )
        .is_err()
    );
}
