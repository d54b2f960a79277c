//! Every EDC sample of the shared vectors imported; the seal broken by tampering; a test seal
//! accepted through the committed test lists; golden reports.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use kakehashi_core::UnixTime;
use kakehashi_crypto::{SealAlgorithm, SignatureAlgorithm};
use kakehashi_crypto_aws_lc::{SoftwareSigner, seal_verifier};
use kakehashi_edc::{EdcError, Imported, Mapping, TrustInputs, TrustOutcome, import};
use kakehashi_jose::{JoseError, sign_unencoded_json};
use kakehashi_trust::policy::load_lists;
use kakehashi_trust::{RecognitionPolicy, VerifiedTrustedList, VerifyOptions};
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivatePkcs8KeyDer};
use serde_json::{Value, json};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../trust/testdata/fixtures");
/// The committed test lists are valid then (crates/verify/src/testing.rs).
const LISTS_NOW: &str = "2026-11-15T10:00:00Z";

fn data(name: &str) -> Vec<u8> {
    std::fs::read(format!("{DATA}/{name}")).unwrap()
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{name}")).unwrap()
}

fn imported(name: &str) -> Imported {
    import(&data(name), &seal_verifier(), None).unwrap()
}

/// Compares with `golden/NAME`, or writes it when `EDC_UPDATE_GOLDEN` is set.
fn golden(name: &str, actual: &Value) {
    let path = format!("{DATA}/golden/{name}");
    let text = serde_json::to_string_pretty(actual).unwrap() + "\n";
    if std::env::var_os("EDC_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let expected = std::fs::read_to_string(&path).expect("golden file (EDC_UPDATE_GOLDEN=1)");
    assert_eq!(text, expected, "golden {name} differs");
}

struct Trust {
    lists: Vec<VerifiedTrustedList>,
    policy: RecognitionPolicy,
}

fn test_lists() -> Trust {
    let policy = RecognitionPolicy::from_toml(
        &String::from_utf8(fixture("policy/eu-verifier.toml")).unwrap(),
    )
    .unwrap();
    let inputs: Vec<(String, Vec<u8>)> = ["eu-lotl.xml", "BE.xml", "JP.xml"]
        .iter()
        .map(|n| ((*n).to_owned(), fixture(&format!("lists/{n}"))))
        .collect();
    let now = UnixTime::parse_rfc3339(LISTS_NOW).unwrap();
    let loaded = load_lists(&inputs, &policy, now, &VerifyOptions::default());
    assert!(loaded.rejected.is_empty(), "{:?}", loaded.rejected);
    Trust {
        lists: loaded.accepted,
        policy,
    }
}

/// Seals `credential` as the EU test university (ES256, `b64: false`, `sigT`).
fn test_seal(credential: &str, sig_t: &str) -> Vec<u8> {
    let key =
        PrivatePkcs8KeyDer::from_pem_slice(&fixture("pki/eu-university-seal.key.pem")).unwrap();
    let chain: Vec<Vec<u8>> =
        CertificateDer::pem_slice_iter(&fixture("chains/eu-university-seal.pem"))
            .map(|c| c.unwrap().to_vec())
            .collect();
    let signer = SoftwareSigner::from_pkcs8(SignatureAlgorithm::Es256, key.secret_pkcs8_der())
        .unwrap()
        .with_certificate_chain(chain);
    let protected = json!({"typ": "jose+json", "cty": "json", "sigT": sig_t, "crit": ["sigT"]});
    let jws = sign_unencoded_json(
        protected.as_object().unwrap().clone(),
        serde_json::Map::new(),
        credential,
        &signer,
    )
    .unwrap();
    serde_json::to_vec(&jws).unwrap()
}

#[test]
fn signed_europass_sample_seal_valid_issuer_not_listed() {
    let r = imported("Sample-CertOfPart-signed.jsonld");
    let seal = r.seal.as_ref().unwrap();
    assert_eq!(seal.algorithm, SealAlgorithm::Rs256);
    assert_eq!(seal.signing_time.to_rfc3339(), "2023-09-27T12:07:01Z");
    assert_eq!(seal.critical, ["b64", "sigT", "adoTst"]);
    assert_eq!(
        seal.signer
            .organization_identifier
            .as_ref()
            .unwrap()
            .as_string(),
        "VATES-A00000000"
    );
    assert!(matches!(r.trust, Some(TrustOutcome::NotTrusted(_))));
    assert_eq!(
        r.outcome(),
        "seal valid, issuer not in a trusted list; not a diploma"
    );
    assert!(!r.accepted());
    // A certificate of participation in a webinar: nothing was awarded.
    assert!(matches!(&r.mapping, Mapping::NotADiploma(m) if m.contains("LearningActivity")));
    golden("Sample-CertOfPart-signed.json", &r.to_json());
}

#[test]
fn signed_europass_sample_against_loaded_lists_is_still_unlisted() {
    let t = test_lists();
    let r = import(
        &data("Sample-CertOfPart-signed.jsonld"),
        &seal_verifier(),
        Some(TrustInputs {
            lists: &t.lists,
            policy: &t.policy,
        }),
    )
    .unwrap();
    // The x5c chain (an ANF AC test seal) leads to no service of the test lists: the seal
    // verifies, the chain is not trusted by itself.
    match &r.trust {
        Some(TrustOutcome::NotTrusted(reason)) => assert!(!reason.is_empty()),
        other => panic!("expected not trusted, got {other:?}"),
    }
    assert!(
        r.outcome()
            .starts_with("seal valid, issuer not in a trusted list")
    );
}

#[test]
fn tampering_breaks_the_seal() {
    let original = String::from_utf8(data("Sample-CertOfPart-signed.jsonld")).unwrap();
    let mut doc: Value = serde_json::from_str(&original).unwrap();
    let payload = doc["payload"].as_str().unwrap().replace("Ana", "Anna");
    doc["payload"] = payload.into();
    let err = import(&serde_json::to_vec(&doc).unwrap(), &seal_verifier(), None).unwrap_err();
    assert!(matches!(
        err,
        EdcError::Seal(JoseError::Crypto(
            kakehashi_crypto::CryptoError::BadSignature
        ))
    ));

    // One byte of whitespace is enough: the unencoded payload is signed as sent.
    let mut doc: Value = serde_json::from_str(&original).unwrap();
    doc["payload"] = format!("{} ", doc["payload"].as_str().unwrap()).into();
    assert!(import(&serde_json::to_vec(&doc).unwrap(), &seal_verifier(), None).is_err());

    // sigT is protected: moving the signing time breaks the signature.
    let mut doc: Value = serde_json::from_str(&original).unwrap();
    let protected = doc["signatures"][0]["protected"].as_str().unwrap();
    let mut header: Value =
        serde_json::from_slice(&kakehashi_core::b64::decode(protected).unwrap()).unwrap();
    header["sigT"] = "2024-09-27T12:07:01Z".into();
    doc["signatures"][0]["protected"] =
        kakehashi_core::b64::encode(header.to_string().as_bytes()).into();
    assert!(matches!(
        import(&serde_json::to_vec(&doc).unwrap(), &seal_verifier(), None),
        Err(EdcError::Seal(JoseError::Crypto(_)))
    ));

    // RS256 is only accepted through a seal verifier that allows it.
    let ec_only = kakehashi_crypto::SealVerifier {
        allowed: &[SealAlgorithm::Es256],
        ..seal_verifier()
    };
    assert!(import(original.as_bytes(), &ec_only, None).is_err());
}

#[test]
fn unsealed_samples_are_mapped_but_not_accepted() {
    for name in [
        "Sample-CertOfPart-unsigned.jsonld",
        "Sample-CertOfPart-unsigned-uploadable.json",
        "rdf-credential-sample.jsonld",
    ] {
        let r = imported(name);
        assert!(r.seal.is_none(), "{name}");
        assert!(!r.accepted(), "{name}");
        assert!(r.outcome().starts_with("unsealed"), "{name}");
        assert!(matches!(r.mapping, Mapping::NotADiploma(_)), "{name}");
    }
    let signed = imported("Sample-CertOfPart-signed.jsonld");
    let unsigned = imported("Sample-CertOfPart-unsigned-uploadable.json");
    assert_eq!(signed.credential.id, unsigned.credential.id);
    assert_eq!(
        signed.credential.title.as_deref(),
        Some("EDC Updates Webinar")
    );

    // The micro-credential is a LearningAchievement with a qualification: a diploma.
    let mc = imported("Sample-MC-Annex1-unsigned.jsonld");
    let Mapping::Diploma(d) = &mc.mapping else {
        panic!("{:?}", mc.mapping)
    };
    assert_eq!(d.qualification.eqf_level, Some(6));
    // 0688 (inter-disciplinary ICT) reduced to the broad field the tables know.
    assert_eq!(d.qualification.isced_field.as_deref(), Some("06"));
    assert_eq!(d.credits.unwrap().amount, 2.0);
    assert_eq!(
        d.awarding_body
            .legal_identifier
            .organization_identifier("IE"),
        "VATIE-654321"
    );
    golden(
        "Sample-MC-Annex1-diploma.json",
        &serde_json::to_value(d).unwrap(),
    );
}

#[test]
fn test_seal_through_test_lists_is_accepted() {
    let t = test_lists();
    let credential = String::from_utf8(data("leuven-master.json")).unwrap();
    let sealed = test_seal(&credential, "2026-11-15T09:00:00Z");
    let inputs = TrustInputs {
        lists: &t.lists,
        policy: &t.policy,
    };
    let r = import(&sealed, &seal_verifier(), Some(inputs)).unwrap();
    let Some(TrustOutcome::Trusted(decision)) = &r.trust else {
        panic!("{:?}", r.trust)
    };
    assert_eq!(decision.rule_id(), "eu-qualified-seal");
    assert_eq!(r.seal_matches_awarding_body(), Some(true));
    assert!(r.accepted());
    assert_eq!(r.outcome(), "seal valid, issuer trusted");
    let Mapping::Diploma(d) = &r.mapping else {
        panic!("{:?}", r.mapping)
    };
    golden(
        "leuven-master-diploma.json",
        &serde_json::to_value(d).unwrap(),
    );

    // Without lists the same seal is valid but its issuer is not trusted.
    let r = import(&sealed, &seal_verifier(), None).unwrap();
    assert!(!r.accepted());
    assert!(
        r.outcome()
            .starts_with("seal valid, issuer not in a trusted list")
    );

    // Sealed outside the seal certificate's validity: the chain does not validate.
    let early = test_seal(&credential, "2001-01-01T00:00:00Z");
    let r = import(&early, &seal_verifier(), Some(inputs)).unwrap();
    assert!(matches!(r.trust, Some(TrustOutcome::NotTrusted(_))));

    // A seal by another organisation than the awarding body is not accepted.
    let other = credential.replace(
        "\"notation\": \"0123456789\"",
        "\"notation\": \"0999999999\"",
    );
    let r = import(
        &test_seal(&other, "2026-11-15T09:00:00Z"),
        &seal_verifier(),
        Some(inputs),
    )
    .unwrap();
    assert!(matches!(r.trust, Some(TrustOutcome::Trusted(_))));
    assert_eq!(r.seal_matches_awarding_body(), Some(false));
    assert!(!r.accepted());
}

#[test]
fn refusals() {
    let v = seal_verifier();
    assert!(matches!(
        import(b"[]", &v, None),
        Err(EdcError::NotAnEdc(_))
    ));
    assert!(matches!(
        import(b"{}", &v, None),
        Err(EdcError::NotAnEdc(_))
    ));
    assert!(matches!(import(b"{", &v, None), Err(EdcError::Json(_))));
    let credential = String::from_utf8(data("leuven-master.json")).unwrap();
    let sealed: Value =
        serde_json::from_slice(&test_seal(&credential, "2026-11-15T09:00:00Z")).unwrap();
    // x5t#S256 naming another certificate.
    let mut doc = sealed.clone();
    let protected = doc["signatures"][0]["protected"].as_str().unwrap();
    let mut header: Value =
        serde_json::from_slice(&kakehashi_core::b64::decode(protected).unwrap()).unwrap();
    header["x5t#S256"] = "AAAA".into();
    doc["signatures"][0]["protected"] =
        kakehashi_core::b64::encode(header.to_string().as_bytes()).into();
    assert!(matches!(
        import(&serde_json::to_vec(&doc).unwrap(), &v, None),
        Err(EdcError::ThumbprintMismatch)
    ));
    // sigD (detached references) is critical and not understood.
    header["x5t#S256"] = Value::Null;
    header.as_object_mut().unwrap().remove("x5t#S256");
    header["sigD"] = json!({"mId": "http://uri.etsi.org/19182/ObjectIdByURI", "pars": ["a"]});
    header["crit"] = json!(["b64", "sigT", "sigD"]);
    doc["signatures"][0]["protected"] =
        kakehashi_core::b64::encode(header.to_string().as_bytes()).into();
    assert!(matches!(
        import(&serde_json::to_vec(&doc).unwrap(), &v, None),
        Err(EdcError::Seal(JoseError::UnsupportedCritical(n))) if n == "sigD"
    ));
}
