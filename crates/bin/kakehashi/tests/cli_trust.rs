//! Runs the built `kakehashi` binary: `trust verify-list` on real EU lists and the test
//! fixtures, `trust evaluate` with the test policies, and `trust publish` round trips.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn trust_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../trust/testdata")
}

fn fixtures() -> PathBuf {
    trust_dir().join("fixtures")
}

fn kakehashi<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kakehashi"))
        .args(args)
        .output()
        .unwrap()
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

fn p(path: &Path) -> String {
    path.display().to_string()
}

fn sha256_of_pem(path: &Path) -> String {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject as _;
    let der = CertificateDer::from_pem_file(path).unwrap();
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der.as_ref())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

const NOW: &str = "2026-11-15T00:00:00Z";

#[test]
fn verify_list_fixture_through_lotl() {
    let f = fixtures();
    let o = kakehashi(&[
        "trust",
        "verify-list",
        &p(&f.join("lists/JP.xml")),
        "--lotl",
        &p(&f.join("lists/eu-lotl.xml")),
        "--now",
        NOW,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v = json(&o);
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "valid",
            "territory",
            "sequence_number",
            "issue_date",
            "next_update",
            "signer",
            "providers",
            "services"
        ]
    );
    assert_eq!(v["valid"], true);
    assert_eq!(v["territory"], "JP");
    assert_eq!(v["sequence_number"], 1);
    assert_eq!(v["issue_date"], "2026-11-01T00:00:00Z");
    assert_eq!(v["next_update"], "2027-05-01T00:00:00Z");
    assert_eq!(
        v["signer"]["sha256"],
        sha256_of_pem(&f.join("pki/jplist-signer.pem"))
    );
    assert!(
        v["signer"]["subject"]
            .as_str()
            .unwrap()
            .contains("Test JPlist Signer")
    );
    assert_eq!(v["providers"], 3);
    assert_eq!(v["services"], 3);
}

#[test]
fn verify_list_real_eu_list() {
    let t = trust_dir().join("trusted-lists");
    let o = kakehashi(&[
        "trust",
        "verify-list",
        &p(&t.join("tl/AT.xml")),
        "--lotl",
        &p(&t.join("lotl/EU-LOTL-seq248.xml")),
        "--now",
        "2019-09-10T00:00:00Z",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v = json(&o);
    assert_eq!(v["territory"], "AT");
    assert_eq!(v["sequence_number"], 42);
    assert_eq!(v["providers"], 7);
    assert_eq!(v["services"], 33);
    assert_eq!(
        v["signer"]["sha256"],
        "6d8b9c9ac57a9db05b9f8f0276dc4f7b8aee08ecec9540da3c7f11d619e6f6dc"
    );
}

#[test]
fn verify_list_failures_exit_1_with_verdict() {
    let t = trust_dir().join("trusted-lists");
    let broken = kakehashi(&[
        "trust",
        "verify-list",
        &p(&t.join("negative/EU-LOTL-seq248-broken-signature.xml")),
        "--now",
        "2019-09-10T00:00:00Z",
    ]);
    assert_eq!(broken.status.code(), Some(1));
    assert_eq!(json(&broken)["valid"], false);
    assert!(String::from_utf8_lossy(&broken.stderr).contains("signature invalid"));

    let stale = kakehashi(&[
        "trust",
        "verify-list",
        &p(&t.join("tl/AT.xml")),
        "--now",
        "2021-01-01T00:00:00Z",
    ]);
    assert_eq!(stale.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&stale.stderr).contains("stale"));

    // The JP fixture is not pointed to by the real EU LOTL.
    let f = fixtures();
    let foreign = kakehashi(&[
        "trust",
        "verify-list",
        &p(&f.join("lists/JP.xml")),
        "--lotl",
        &p(&t.join("lotl/EU-LOTL-seq341-2024.xml")),
        "--now",
        "2024-06-01T00:00:00Z",
    ]);
    assert_eq!(foreign.status.code(), Some(1));
    let err = String::from_utf8_lossy(&foreign.stderr);
    assert!(
        err.contains("issued in the future") || err.contains("no pointer"),
        "{err}"
    );

    let unsigned = kakehashi(&[
        "trust",
        "verify-list",
        &p(&t.join("negative/EU-LOTL-seq248-unsigned.xml")),
        "--now",
        "2019-09-10T00:00:00Z",
    ]);
    assert_eq!(unsigned.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&unsigned.stderr).contains("not signed"));
}

fn evaluate(chain: &str, policy: &str, at: &str) -> Output {
    let f = fixtures();
    kakehashi(&[
        "trust",
        "evaluate",
        "--chain",
        &p(&f.join(format!("chains/{chain}.pem"))),
        "--lists",
        &p(&f.join("lists")),
        "--policy",
        &p(&f.join(format!("policy/{policy}.toml"))),
        "--at",
        at,
        "--now",
        NOW,
    ])
}

#[test]
fn evaluate_decisions() {
    let o = evaluate("eu-university-seal", "jp-verifier", NOW);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v = json(&o);
    assert_eq!(v["trusted"], true);
    assert_eq!(v["class"], "qualified-equivalent-seal");
    assert_eq!(v["recognition"], "pilot-recognised");
    assert_eq!(v["list"]["territory"], "BE");
    assert!(
        v["explanation"]
            .as_str()
            .unwrap()
            .contains("Test QTSP Root CA")
    );

    let o = evaluate("jp-university-seal", "jp-verifier", NOW);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v = json(&o);
    assert_eq!(v["class"], "high-assurance-attestation");
    assert_eq!(v["recognition"], "legal");
    assert_eq!(v["organization_identifier"], "NTRJP-7123456789012");

    // Withdrawn service at signing time.
    let o = evaluate("eu-old-seal", "eu-verifier", NOW);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(json(&o)["trusted"], false);
    assert!(String::from_utf8_lossy(&o.stderr).contains("withdrawn"));
    // Granted at an earlier signing time.
    let o = evaluate("eu-old-seal", "eu-verifier", "2025-01-01T00:00:00Z");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn publish_round_trip_and_refusals() {
    let f = fixtures();
    let out = std::env::temp_dir().join(format!("kakehashi-cli-trust-{}.xml", std::process::id()));
    let o = kakehashi(&[
        "trust",
        "publish",
        &p(&f.join("lists/JP.toml")),
        "--out",
        &p(&out),
        "--signing-time",
        "2026-11-01T00:00:00Z",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v = kakehashi(&[
        "trust",
        "verify-list",
        &p(&out),
        "--lotl",
        &p(&f.join("lists/eu-lotl.xml")),
        "--now",
        NOW,
    ]);
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stderr));
    assert_eq!(json(&v)["territory"], "JP");

    // A description with a wrong Corporate Number check digit is refused.
    let bad = std::env::temp_dir().join(format!(
        "kakehashi-cli-trust-bad-{}.toml",
        std::process::id()
    ));
    let text = std::fs::read_to_string(f.join("lists/JP.toml"))
        .unwrap()
        .replace("7123456789012", "7123456789013")
        .replace("../pki/", &format!("{}/", p(&f.join("pki"))));
    std::fs::write(&bad, text).unwrap();
    let o = kakehashi(&[
        "trust",
        "publish",
        &p(&bad),
        "--signing-time",
        "2026-11-01T00:00:00Z",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("corporate number"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let _ = std::fs::remove_file(out);
    let _ = std::fs::remove_file(bad);
}

#[test]
fn publish_and_verify_lote() {
    let f = fixtures();
    let out = std::env::temp_dir().join(format!("kakehashi-cli-trust-{}.jws", std::process::id()));
    let o = kakehashi(&[
        "trust",
        "publish",
        &p(&f.join("lists/JP.toml")),
        "--lote",
        "--out",
        &p(&out),
        "--signing-time",
        "2026-11-01T00:00:00Z",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(std::fs::read_to_string(&out).unwrap().starts_with("eyJ"));
    let v = kakehashi(&[
        "trust",
        "verify-list",
        &p(&out),
        "--lotl",
        &p(&f.join("lists/eu-lotl.xml")),
        "--now",
        NOW,
    ]);
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stderr));
    let j = json(&v);
    assert_eq!(j["territory"], "JP");
    assert_eq!(j["providers"], 3);
    assert_eq!(
        j["signer"]["sha256"],
        sha256_of_pem(&f.join("pki/jplist-signer.pem"))
    );
    // Stale LoTE: valid false with what it claims.
    let stale = kakehashi(&[
        "trust",
        "verify-list",
        &p(&out),
        "--now",
        "2027-06-01T00:00:00Z",
    ]);
    assert_eq!(stale.status.code(), Some(1));
    assert_eq!(json(&stale)["valid"], false);
    assert_eq!(json(&stale)["territory"], "JP");
    let _ = std::fs::remove_file(out);
}
