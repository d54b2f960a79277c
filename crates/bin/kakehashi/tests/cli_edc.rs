//! Runs the built `kakehashi edc import` on the Europass sample (RS256 seal, certificate not in
//! any list we have) and on a diploma sealed with the test PKI's EU university seal.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use kakehashi_crypto::SignatureAlgorithm;
use kakehashi_crypto_aws_lc::SoftwareSigner;
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivatePkcs8KeyDer};
use serde_json::{Value, json};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixtures() -> PathBuf {
    root().join("trust/testdata/fixtures")
}

fn kakehashi(args: &[String]) -> Output {
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

fn list_args() -> Vec<String> {
    let f = fixtures();
    let mut args = Vec::new();
    for l in ["eu-lotl.xml", "BE.xml"] {
        args.push("--trusted-list".into());
        args.push(p(&f.join("lists").join(l)));
    }
    args.push("--policy".into());
    args.push(p(&f.join("policy/eu-verifier.toml")));
    args.push("--now".into());
    args.push("2026-11-15T10:00:00Z".into());
    args
}

#[test]
fn europass_sample_seal_valid_issuer_not_listed() {
    let file = root().join("edc/tests/data/Sample-CertOfPart-signed.jsonld");
    let o = kakehashi(&["edc".into(), "import".into(), p(&file)]);
    assert_eq!(o.status.code(), Some(1));
    let v = json(&o);
    assert_eq!(v["accepted"], false);
    assert_eq!(v["seal"]["algorithm"], "RS256");
    assert_eq!(
        v["outcome"],
        "seal valid, issuer not in a trusted list; not a diploma"
    );

    let mut args = vec!["edc".into(), "import".into(), p(&file)];
    args.extend(list_args());
    let o = kakehashi(&args);
    assert_eq!(o.status.code(), Some(1));
    let v = json(&o);
    assert_eq!(v["trust"]["trusted"], false);
    assert_eq!(v["rejected_lists"], json!([]));
}

#[test]
fn test_sealed_diploma_accepted_and_tampered_rejected() {
    let f = fixtures();
    let key = PrivatePkcs8KeyDer::from_pem_file(f.join("pki/eu-university-seal.key.pem")).unwrap();
    let chain: Vec<Vec<u8>> =
        CertificateDer::pem_file_iter(f.join("chains/eu-university-seal.pem"))
            .unwrap()
            .map(|c| c.unwrap().to_vec())
            .collect();
    let signer = SoftwareSigner::from_pkcs8(SignatureAlgorithm::Es256, key.secret_pkcs8_der())
        .unwrap()
        .with_certificate_chain(chain);
    let credential =
        std::fs::read_to_string(root().join("edc/tests/data/leuven-master.json")).unwrap();
    let protected = json!({"sigT": "2026-11-15T09:00:00Z", "crit": ["sigT"]});
    let sealed = kakehashi_jose::sign_unencoded_json(
        protected.as_object().unwrap().clone(),
        serde_json::Map::new(),
        &credential,
        &signer,
    )
    .unwrap();
    let dir = std::env::temp_dir().join(format!("kakehashi-edc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("sealed.json");
    std::fs::write(&file, sealed.to_string()).unwrap();

    let mut args = vec!["edc".into(), "import".into(), p(&file)];
    args.extend(list_args());
    let o = kakehashi(&args);
    let v = json(&o);
    assert_eq!(o.status.code(), Some(0), "{v}");
    assert_eq!(v["outcome"], "seal valid, issuer trusted");
    assert_eq!(v["trust"]["rule"], "eu-qualified-seal");
    assert_eq!(v["diploma"]["qualification"]["eqf_level"], 7);

    let mut tampered = sealed.clone();
    tampered["payload"] = credential.replace("Lotte", "Lotta").into();
    std::fs::write(&file, tampered.to_string()).unwrap();
    let o = kakehashi(&args);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(json(&o)["outcome"], "rejected");
    std::fs::remove_dir_all(&dir).unwrap();
}
