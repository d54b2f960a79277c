//! Runs the built `kakehashi` binary: `vc issue` -> `vc verify` round trip, tampering,
//! expiry with `--now`, Open Badges checks, x5c, presentations and usage errors.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use kakehashi_core::b64;
use kakehashi_crypto::{SignatureAlgorithm, Signer as _};
use kakehashi_crypto_aws_lc::SoftwareSigner;
use serde_json::{Value, json};

/// 2026-11-23T00:00:00Z.
const NOW: &str = "1795392000";

fn kakehashi<S: AsRef<std::ffi::OsStr>>(args: &[S], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kakehashi"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    if let Some(input) = stdin {
        use std::io::Write as _;
        pipe.write_all(input.as_bytes()).unwrap();
    }
    drop(pipe);
    child.wait_with_output().unwrap()
}

fn ok_stdout(o: &Output) -> String {
    assert!(
        o.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn refused(o: &Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "stderr: {stderr}");
    assert!(o.stdout.is_empty());
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(stderr.contains(needle), "{needle:?} not in {stderr}");
}

struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("kakehashi-cli-vc-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn write(&self, name: &str, content: &str) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, content).unwrap();
        path.to_str().unwrap().to_owned()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn vc_testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../vc-jose/testdata")
        .join(rel)
}

fn diploma() -> Value {
    serde_json::from_slice(&std::fs::read(vc_testdata("kakehashi/diploma-ob3.json")).unwrap())
        .unwrap()
}

fn issuer_key(dir: &Dir) -> String {
    let signer = SoftwareSigner::generate(SignatureAlgorithm::Es256).unwrap();
    dir.write("issuer.jwk", &signer.to_private_jwk().unwrap().to_string())
}

#[test]
fn issue_verify_round_trip_and_refusals() {
    let dir = Dir::new("round-trip");
    let key = issuer_key(&dir);
    let credential = dir.write("diploma.json", &diploma().to_string());
    let token = ok_stdout(&kakehashi(
        &["vc", "issue", "--issuer-key", &key, &credential],
        None,
    ));
    let token = token.trim();
    assert_eq!(token.split('.').count(), 3);

    let verified = ok_stdout(&kakehashi(
        &[
            "vc",
            "verify",
            "--issuer-key",
            &key,
            "--now",
            NOW,
            "--open-badges",
            "--require-schemas",
            "-",
        ],
        Some(token),
    ));
    assert_eq!(serde_json::from_str::<Value>(&verified).unwrap(), diploma());
    let file = dir.write("diploma.jwt", token);
    ok_stdout(&kakehashi(
        &["vc", "verify", "--issuer-key", &key, "--now", NOW, &file],
        None,
    ));

    // Tampered payload: the signature no longer verifies.
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut payload: Value = serde_json::from_slice(&b64::decode(&parts[1]).unwrap()).unwrap();
    payload["credentialSubject"]["result"][0]["value"] = json!("4.00");
    parts[1] = b64::encode(payload.to_string());
    refused(
        &kakehashi(
            &["vc", "verify", "--issuer-key", &key, "--now", NOW],
            Some(&parts.join(".")),
        ),
        "signature verification failed",
    );
    // Another key: refused.
    let other_dir = Dir::new("other");
    let other = issuer_key(&other_dir);
    refused(
        &kakehashi(
            &["vc", "verify", "--issuer-key", &other, "--now", NOW],
            Some(token),
        ),
        "signature verification failed",
    );
    // Before validFrom (2026-03-25): refused.
    refused(
        &kakehashi(
            &["vc", "verify", "--issuer-key", &key, "--now", "1767225600"],
            Some(token),
        ),
        "not valid before",
    );
    // No key at all.
    refused(
        &kakehashi(&["vc", "verify", "--now", NOW], Some(token)),
        "no key",
    );
}

#[test]
fn controlled_identifier_document() {
    let dir = Dir::new("cid");
    let signer = SoftwareSigner::generate(SignatureAlgorithm::Es256).unwrap();
    let key = dir.write("issuer.jwk", &signer.to_private_jwk().unwrap().to_string());
    let issuer = "https://www.is.tohoku.example/issuers/gsis";
    let cid = json!({"id": issuer,
        "verificationMethod": [{"id": "#key-1", "type": "JsonWebKey", "controller": issuer,
                                "publicKeyJwk": signer.public_jwk().to_json()}],
        "assertionMethod": ["#key-1"]});
    let cid = dir.write("cid.json", &cid.to_string());
    let credential = dir.write("diploma.json", &diploma().to_string());
    let kid = format!("{issuer}#key-1");
    let token = ok_stdout(&kakehashi(
        &[
            "vc",
            "issue",
            "--issuer-key",
            &key,
            "--kid",
            &kid,
            &credential,
        ],
        None,
    ));
    ok_stdout(&kakehashi(
        &["vc", "verify", "--cid", &cid, "--now", NOW],
        Some(&token),
    ));
    let unlisted = ok_stdout(&kakehashi(
        &[
            "vc",
            "issue",
            "--issuer-key",
            &key,
            "--kid",
            "#key-2",
            &credential,
        ],
        None,
    ));
    refused(
        &kakehashi(
            &["vc", "verify", "--cid", &cid, "--now", NOW],
            Some(&unlisted),
        ),
        "no key",
    );
}

#[test]
fn expired_with_now() {
    let dir = Dir::new("expired");
    let key = issuer_key(&dir);
    let mut credential = diploma();
    credential["validUntil"] = json!("2027-03-31T23:59:59+09:00");
    let path = dir.write("diploma.json", &credential.to_string());
    let token = ok_stdout(&kakehashi(
        &["vc", "issue", "--issuer-key", &key, &path],
        None,
    ));
    ok_stdout(&kakehashi(
        &["vc", "verify", "--issuer-key", &key, "--now", NOW],
        Some(&token),
    ));
    // 2028-01-01T00:00:00Z
    refused(
        &kakehashi(
            &["vc", "verify", "--issuer-key", &key, "--now", "1830297600"],
            Some(&token),
        ),
        "expired at 2027-03-31T14:59:59Z",
    );
}

#[test]
fn schemas_and_open_badges_profile() {
    let dir = Dir::new("schemas");
    let key = issuer_key(&dir);
    let mut credential = diploma();
    credential["credentialSubject"]["achievement"]["achievementType"] = json!("PhD");
    let path = dir.write("bad.json", &credential.to_string());
    let token = ok_stdout(&kakehashi(
        &["vc", "issue", "--issuer-key", &key, &path],
        None,
    ));
    // Without profile checks the credential is a valid VC 2.0 credential...
    ok_stdout(&kakehashi(
        &["vc", "verify", "--issuer-key", &key, "--now", NOW],
        Some(&token),
    ));
    // ...with them it is not.
    refused(
        &kakehashi(
            &[
                "vc",
                "verify",
                "--issuer-key",
                &key,
                "--now",
                NOW,
                "--open-badges",
            ],
            Some(&token),
        ),
        "achievementType",
    );
    // A caller-supplied schema under the credential's schema id.
    let schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json",
        "type": "object",
        "required": ["awardedDate", "evidence"]
    });
    let schema_path = dir.write("schema.json", &schema.to_string());
    refused(
        &kakehashi(
            &[
                "vc",
                "verify",
                "--issuer-key",
                &key,
                "--now",
                NOW,
                "--schema",
                &schema_path,
            ],
            Some(&token),
        ),
        "evidence",
    );
}

#[test]
fn x5c_issue_and_verify() {
    let dir = Dir::new("x5c");
    let der = std::fs::read(vc_testdata("kakehashi/issuer-p256.pkcs8.der")).unwrap();
    let signer = SoftwareSigner::from_pkcs8(SignatureAlgorithm::Es256, &der).unwrap();
    let key = dir.write("issuer.jwk", &signer.to_private_jwk().unwrap().to_string());
    let pem = vc_testdata("kakehashi/issuer-p256.cert.pem");
    let credential = dir.write("diploma.json", &diploma().to_string());
    let token = ok_stdout(&kakehashi(
        &[
            "vc",
            "issue",
            "--issuer-key",
            &key,
            "--x5c",
            pem.to_str().unwrap(),
            "--kid",
            "k-1",
            &credential,
        ],
        None,
    ));
    let output = kakehashi(&["vc", "verify", "--now", NOW], Some(&token));
    ok_stdout(&output);
    assert!(String::from_utf8_lossy(&output.stderr).contains("x5c leaf"));
    let _ = signer.public_jwk();
}

#[test]
fn presentation_needs_binding() {
    use kakehashi_vc_jose::{PresentationClaims, envelope_vc_jwt, issue_vc_jwt, issue_vp_jwt};
    let dir = Dir::new("vp");
    let issuer = SoftwareSigner::generate(SignatureAlgorithm::Es256)
        .unwrap()
        .with_kid("issuer-1");
    let holder = SoftwareSigner::generate(SignatureAlgorithm::EdDsa).unwrap();
    let vc = issue_vc_jwt(&diploma(), &issuer, serde_json::Map::new()).unwrap();
    let vp = issue_vp_jwt(
        &json!({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": "VerifiablePresentation",
                "verifiableCredential": [envelope_vc_jwt(&vc)]}),
        &holder,
        &PresentationClaims {
            nonce: "n-42".into(),
            audience: "https://verifier.example".into(),
            issued_at: kakehashi_core::UnixTime(NOW.parse().unwrap()),
            expires_at: None,
        },
        serde_json::Map::new(),
    )
    .unwrap();
    let holder_key = dir.write("holder.jwk", &holder.public_jwk().to_json().to_string());
    let jwks = dir.write(
        "keys.json",
        &json!({"keys": [issuer.public_jwk().to_json()]}).to_string(),
    );
    let base = [
        "vc",
        "verify",
        "--issuer-key",
        &holder_key,
        "--keys",
        &jwks,
        "--now",
        NOW,
    ];
    let with = |extra: &[&'static str]| -> Vec<String> {
        base.iter().chain(extra).map(|s| (*s).to_owned()).collect()
    };
    let out = ok_stdout(&kakehashi(
        &with(&["--nonce", "n-42", "--aud", "https://verifier.example"]),
        Some(&vp),
    ));
    assert_eq!(
        serde_json::from_str::<Value>(&out).unwrap()["nonce"],
        "n-42"
    );
    refused(
        &kakehashi(
            &with(&["--nonce", "n-43", "--aud", "https://verifier.example"]),
            Some(&vp),
        ),
        "nonce",
    );
    refused(&kakehashi(&with(&[]), Some(&vp)), "--nonce and --aud");
    ok_stdout(&kakehashi(&with(&["--danger-skip-binding"]), Some(&vp)));
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        vec!["vc", "verify", "--now", "yesterday"],
        vec!["vc", "issue", "credential.json"],
        vec!["vc", "verify", "--nonce", "n"],
        vec![
            "vc",
            "verify",
            "--danger-skip-binding",
            "--nonce",
            "n",
            "--aud",
            "a",
        ],
        vec!["vc", "frobnicate"],
    ] {
        let o = kakehashi(&args, Some(""));
        assert_eq!(
            o.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}
