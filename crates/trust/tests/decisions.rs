//! Trust decisions over the committed fixtures: chains of both test PKIs evaluated by an EU
//! and a JP verifier, service history, refusals, and policy file validation.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a test failure

use std::path::PathBuf;

use kakehashi_trust::policy::{Recognition, load_lists};
use kakehashi_trust::{
    RecognitionPolicy, TrustClass, TrustError, UnixTime, VerifiedTrustedList, VerifyOptions,
    evaluate,
};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/fixtures")
}

fn t(s: &str) -> UnixTime {
    UnixTime::parse_rfc3339(s).unwrap()
}

fn policy(name: &str) -> RecognitionPolicy {
    RecognitionPolicy::from_toml(
        &std::fs::read_to_string(dir().join(format!("policy/{name}.toml"))).unwrap(),
    )
    .unwrap()
}

fn lists(policy: &RecognitionPolicy) -> Vec<VerifiedTrustedList> {
    let input: Vec<(String, Vec<u8>)> = ["eu-lotl", "BE", "JP"]
        .iter()
        .map(|n| {
            (
                n.to_string(),
                std::fs::read(dir().join(format!("lists/{n}.xml"))).unwrap(),
            )
        })
        .collect();
    let loaded = load_lists(
        &input,
        policy,
        t("2026-11-15T00:00:00Z"),
        &VerifyOptions::default(),
    );
    assert!(loaded.rejected.is_empty(), "{:?}", loaded.rejected);
    assert_eq!(loaded.accepted.len(), 3);
    loaded.accepted
}

fn chain(name: &str) -> Vec<Vec<u8>> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject as _;
    let bytes = std::fs::read(dir().join(format!("chains/{name}.pem"))).unwrap();
    CertificateDer::pem_slice_iter(&bytes)
        .map(|c| c.unwrap().to_vec())
        .collect()
}

#[test]
fn eu_verifier_decisions() {
    let p = policy("eu-verifier");
    let l = lists(&p);
    let at = t("2026-11-15T10:00:00Z");
    let d = evaluate(&chain("eu-university-seal"), &l, &p, at).unwrap();
    assert_eq!(d.class(), TrustClass::QualifiedEquivalentSeal);
    assert_eq!(d.recognition(), Recognition::Legal);
    assert_eq!(d.rule_id(), "eu-qualified-seal");
    let text = d.explain();
    assert!(text.contains("BE list seq 1"), "{text}");
    assert!(text.contains("Test QTSP Root CA"), "{text}");
    assert!(text.contains("VATBE-0123456789"), "{text}");
    println!("{text}");

    // Without QC statements the same QTSP gives an advanced-equivalent seal.
    let d = evaluate(&chain("eu-plain-seal"), &l, &p, at).unwrap();
    assert_eq!(d.class(), TrustClass::AdvancedEquivalentSeal);

    // The Japanese university seal: pilot recognition, authorised university found.
    let d = evaluate(&chain("jp-university-seal"), &l, &p, at).unwrap();
    assert_eq!(d.class(), TrustClass::HighAssuranceAttestation);
    assert_eq!(d.recognition(), Recognition::PilotRecognised);
    assert!(d.explain().contains("7123456789012"), "{}", d.explain());
    assert!(
        d.explain().contains("国立大学法人杜の都大学"),
        "{}",
        d.explain()
    );
    assert_eq!(d.to_json()["list"]["territory"], "JP");
}

#[test]
fn jp_verifier_decisions() {
    let p = policy("jp-verifier");
    let l = lists(&p);
    let at = t("2026-11-15T10:00:00Z");
    let d = evaluate(&chain("jp-university-seal"), &l, &p, at).unwrap();
    assert_eq!(d.class(), TrustClass::HighAssuranceAttestation);
    assert_eq!(d.recognition(), Recognition::Legal);
    let d = evaluate(&chain("eu-university-seal"), &l, &p, at).unwrap();
    assert_eq!(d.class(), TrustClass::QualifiedEquivalentSeal);
    assert_eq!(d.recognition(), Recognition::PilotRecognised);
}

#[test]
fn service_status_history_decides() {
    let p = policy("eu-verifier");
    let l = lists(&p);
    // Old CA: granted 2020-01-01, withdrawn 2025-06-01.
    let d = evaluate(&chain("eu-old-seal"), &l, &p, t("2025-01-01T00:00:00Z")).unwrap();
    assert_eq!(d.class(), TrustClass::QualifiedEquivalentSeal);
    match evaluate(&chain("eu-old-seal"), &l, &p, t("2026-11-15T00:00:00Z")) {
        Err(TrustError::ServiceNotGranted { status, .. }) => {
            assert!(status.ends_with("/withdrawn"), "{status}")
        }
        other => panic!("{other:?}"),
    }
    // Before any status was recorded.
    assert!(matches!(
        evaluate(&chain("eu-old-seal"), &l, &p, t("2019-06-01T00:00:00Z")),
        Err(TrustError::ServiceNotGranted { .. })
    ));
    // Before the certificates were valid: the chain itself fails.
    assert!(matches!(
        evaluate(
            &chain("eu-university-seal"),
            &l,
            &p,
            t("2018-06-01T00:00:00Z")
        ),
        Err(TrustError::ChainInvalid(_))
    ));
}

#[test]
fn refusals_fail_closed() {
    let p = policy("eu-verifier");
    let l = lists(&p);
    let at = t("2026-11-15T10:00:00Z");
    // A self-signed certificate that no list names.
    let signer = chain("eu-university-seal");
    let lotl_signer = {
        use rustls_pki_types::CertificateDer;
        use rustls_pki_types::pem::PemObject as _;
        let b = std::fs::read(dir().join("pki/eu-lotl-signer.pem")).unwrap();
        CertificateDer::pem_slice_iter(&b)
            .next()
            .unwrap()
            .unwrap()
            .to_vec()
    };
    assert!(matches!(
        evaluate(&[lotl_signer], &l, &p, at),
        Err(TrustError::ChainInvalid(_))
    ));
    // The leaf alone still chains (the anchor comes from the list).
    assert!(evaluate(&signer[..1], &l, &p, at).is_ok());
    // Empty chain.
    assert!(matches!(
        evaluate(&[], &l, &p, at),
        Err(TrustError::ChainInvalid(_))
    ));
    // Unanchored lists are not usable.
    let unanchored: Vec<VerifiedTrustedList> = ["BE", "JP"]
        .iter()
        .map(|n| {
            kakehashi_trust::verify_list(
                &std::fs::read(dir().join(format!("lists/{n}.xml"))).unwrap(),
                kakehashi_trust::ListAnchors::DangerousUnanchored,
                at,
            )
            .unwrap()
        })
        .collect();
    assert_eq!(
        evaluate(&signer, &unanchored, &p, at),
        Err(TrustError::NoUsableList)
    );
    // A policy without a rule for CA/QC.
    let only_tsa = RecognitionPolicy::from_toml(
        r#"name = "tsa only"
verifier_scheme = "EU"
[[rule]]
id = "tsa"
scheme = "EU"
service_type = "http://uri.etsi.org/TrstSvc/Svctype/TSA/QTST"
statuses = ["http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/granted"]
class = "time-stamp"
recognition = "legal"
basis = "eIDAS Art. 42"
"#,
    )
    .unwrap();
    assert!(matches!(
        evaluate(&signer, &l, &only_tsa, at),
        Err(TrustError::NoPolicyRule { .. })
    ));
    // A JP rule demanding an authorised university, for a JP seal of an unlisted organisation
    // is covered by the JP policy; here: the EU seal fails a JP-only requirement set.
    let strict = RecognitionPolicy::from_toml(
        r#"name = "strict"
verifier_scheme = "EU"
[[rule]]
id = "needs-sscd-and-web"
scheme = "EU"
service_type = "http://uri.etsi.org/TrstSvc/Svctype/CA/QC"
statuses = ["http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/granted"]
qc_statements = ["QcTypeWeb"]
class = "qualified-equivalent-seal"
recognition = "legal"
basis = "eIDAS"
"#,
    )
    .unwrap();
    match evaluate(&signer, &l, &strict, at) {
        Err(TrustError::RuleNotSatisfied { rule, reason }) => {
            assert_eq!(rule, "needs-sscd-and-web");
            assert!(reason.contains("QcTypeWeb"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn policy_files_are_validated() {
    let base = r#"name = "p"
verifier_scheme = "EU"
[[rule]]
id = "a"
scheme = "EU"
service_type = "http://uri.etsi.org/TrstSvc/Svctype/CA/QC"
statuses = ["http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/granted"]
class = "qualified-equivalent-seal"
recognition = "legal"
basis = "eIDAS"
"#;
    assert!(RecognitionPolicy::from_toml(base).is_ok());
    let err = |text: &str| match RecognitionPolicy::from_toml(text) {
        Err(TrustError::Policy(m)) => m,
        other => panic!("{other:?}"),
    };
    assert!(err(&base.replace("CA/QC", "CA/QQ")).contains("unknown EU service type"));
    assert!(
        err(&base.replace("qualified-equivalent-seal", "super-seal")).contains("unknown variant")
    );
    let dup = format!("{base}{}", &base[base.find("[[rule]]").unwrap()..]);
    assert!(err(&dup).contains("duplicate rule id"));
    let same = format!(
        "{base}{}",
        base[base.find("[[rule]]").unwrap()..].replace("id = \"a\"", "id = \"b\"")
    );
    assert!(err(&same).contains("same conditions"));
    assert!(
        err(&base.replace("verifier_scheme = \"EU\"", "verifier_scheme = \"US\""))
            .contains("unknown variant")
    );
    assert!(
        err(&base.replace(
            "recognition = \"legal\"",
            "recognition = \"legal\"\ncolour = \"red\""
        ))
        .contains("unknown field")
    );
    let jp_legal = base
        .replace("scheme = \"EU\"\nservice_type = \"http://uri.etsi.org/TrstSvc/Svctype/CA/QC\"", "scheme = \"JP\"\nservice_type = \"https://kakehashi.example/TrstSvc/Svctype/JP/ESealCA-Accredited\"")
        .replace("http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/granted", "https://kakehashi.example/TrstSvc/TrustedList/Svcstatus/JP/accredited");
    assert!(err(&jp_legal).contains("pilot-recognised"));
    assert!(
        err(&base.replace(
            "statuses = [",
            "qc_statements = [\"QcMagic\"]\nstatuses = ["
        ))
        .contains("unknown QC statement")
    );
    assert!(err("name = \"p\"\nverifier_scheme = \"EU\"\n").contains("no rule"));
    assert!(
        err(&base.replace(
            "[[rule]]",
            "[anchors]\neu_lotl_sha256 = [\"abc\"]\n[[rule]]"
        ))
        .contains("SHA-256")
    );
}
