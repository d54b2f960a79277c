//! Runs the built `kakehashi` binary: issue -> present -> verify, tampering, usage errors and
//! a reference vector.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use kakehashi_crypto::{SignatureAlgorithm, Signer};
use kakehashi_crypto_aws_lc::SoftwareSigner;
use serde_json::{Value, json};

fn kakehashi(args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kakehashi"));
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    if let Some(input) = stdin {
        use std::io::Write as _;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    } else {
        drop(child.stdin.take());
    }
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    assert!(
        o.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone())
        .unwrap()
        .trim()
        .to_owned()
}

fn workdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kakehashi-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, value: &Value) -> String {
    let p = dir.join(name);
    std::fs::write(&p, value.to_string()).unwrap();
    p.to_string_lossy().into_owned()
}

#[test]
fn issue_present_verify_round_trip() {
    let dir = workdir("round-trip");
    let issuer = SoftwareSigner::generate(SignatureAlgorithm::Es256).unwrap();
    let holder = SoftwareSigner::generate(SignatureAlgorithm::Es256).unwrap();
    let issuer_priv = write(&dir, "issuer.jwk", &issuer.to_private_jwk().unwrap());
    let issuer_pub = write(&dir, "issuer.pub.jwk", &issuer.public_jwk().to_json());
    let holder_priv = write(&dir, "holder.jwk", &holder.to_private_jwk().unwrap());
    let claims = write(
        &dir,
        "claims.json",
        &json!({"iss": "https://uni.example", "given_name": "花子", "family_name": "Yamada",
                "address": {"street": "1-1 Chiyoda", "city": "Tokyo"}, "nationalities": ["JP", "DE"]}),
    );
    let issued = stdout(&kakehashi(
        &[
            "sd-jwt",
            "issue",
            "--issuer-key",
            &issuer_priv,
            "--claims",
            &claims,
            "--sd",
            "/given_name",
            "--sd",
            "/address",
            "--sd",
            "/address/street",
            "--sd",
            "/nationalities/1",
            "--decoys",
            "2",
            "--vct",
            "https://kakehashi.example/degree",
            "--holder-key",
            &holder_priv,
            "--iat",
            "1800000000",
            "--exp",
            "1900000000",
        ],
        None,
    ));
    assert!(issued.ends_with('~'));
    let presented = stdout(&kakehashi(
        &[
            "sd-jwt",
            "present",
            "--issuer-key",
            &issuer_pub,
            "--holder-key",
            &holder_priv,
            "--disclose",
            "/address/street",
            "--nonce",
            "n-1",
            "--aud",
            "https://verifier.example",
            "--now",
            "1800000100",
            "-",
        ],
        Some(&issued),
    ));
    let out = stdout(&kakehashi(
        &[
            "sd-jwt",
            "verify",
            "--issuer-key",
            &issuer_pub,
            "--nonce",
            "n-1",
            "--aud",
            "https://verifier.example",
            "--now",
            "1800000200",
            "-",
        ],
        Some(&presented),
    ));
    let claims: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        claims["address"],
        json!({"city": "Tokyo", "street": "1-1 Chiyoda"})
    );
    assert_eq!(claims["nationalities"], json!(["JP"]));
    assert_eq!(claims["vct"], "https://kakehashi.example/degree");
    assert!(claims.get("given_name").is_none());
    assert!(claims.get("_sd").is_none() && claims.get("_sd_alg").is_none());

    // No issuer key and no x5c header: a clear refusal.
    let o = kakehashi(
        &["sd-jwt", "verify", "--now", "1800000200", "-"],
        Some(&issued),
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8(o.stderr).unwrap().contains("x5c"));

    // The holder refuses an SD-JWT that does not verify under the issuer key.
    let o = kakehashi(
        &[
            "sd-jwt",
            "present",
            "--issuer-key",
            &holder_priv,
            "--now",
            "1800000100",
            "-",
        ],
        Some(&issued),
    );
    assert_eq!(o.status.code(), Some(1));

    // Wrong nonce, and a tampered disclosure list: exit 1 with a one-line reason.
    let o = kakehashi(
        &[
            "sd-jwt",
            "verify",
            "--issuer-key",
            &issuer_pub,
            "--nonce",
            "other",
            "--aud",
            "https://verifier.example",
            "--now",
            "1800000200",
            "-",
        ],
        Some(&presented),
    );
    assert_eq!(o.status.code(), Some(1));
    let parts: Vec<&str> = issued.trim_end_matches('~').split('~').collect();
    let tampered = format!(
        "{}~{}~{}",
        parts[0],
        parts[1],
        presented.rsplit('~').next().unwrap()
    );
    let o = kakehashi(
        &[
            "sd-jwt",
            "verify",
            "--issuer-key",
            &issuer_pub,
            "--nonce",
            "n-1",
            "--aud",
            "https://verifier.example",
            "--now",
            "1800000200",
            "-",
        ],
        Some(&tampered),
    );
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(
        err.starts_with("error: ") && err.trim().lines().count() == 1,
        "{err}"
    );
    assert!(err.contains("sd_hash"), "{err}");
}

#[test]
fn usage_errors_exit_2() {
    let o = kakehashi(&["sd-jwt", "issue", "--claims", "x.json"], None);
    assert_eq!(o.status.code(), Some(2));
    let o = kakehashi(&["sd-jwt", "present", "--nonce", "n"], None);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn verifies_a_reference_vector() {
    let case = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../sd-jwt/testdata/sd-jwt/owf-testcases/key_binding");
    let dir = workdir("vector");
    let key = write(
        &dir,
        "issuer.pub.jwk",
        &json!({"kty":"EC","crv":"P-256","x":"b28d4MwZMjw8-00CG4xfnn9SLMVMM19SlqZpVb_uNtQ",
                "y":"Xv5zWwuoaTgdS6hV43yI6gBwTnjukmFQQnJ_kCxzqk8"}),
    );
    let input = case.join("sd_jwt_presentation.txt");
    let out = stdout(&kakehashi(
        &[
            "sd-jwt",
            "verify",
            "--issuer-key",
            &key,
            "--nonce",
            "1234567890",
            "--aud",
            "https://example.com/verifier",
            "--now",
            "1795439887",
            input.to_str().unwrap(),
        ],
        None,
    ));
    let got: Value = serde_json::from_str(&out).unwrap();
    let want: Value = serde_json::from_str(
        &std::fs::read_to_string(case.join("verified_contents.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(got, want);
    // Without --nonce/--aud a KB-JWT presentation is refused clearly.
    let o = kakehashi(
        &[
            "sd-jwt",
            "verify",
            "--issuer-key",
            &key,
            "--now",
            "1795439887",
            input.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn vc_flag_refuses_a_plain_sd_jwt() {
    let dir = workdir("vc-flag");
    let issuer = SoftwareSigner::generate(SignatureAlgorithm::Es256).unwrap();
    let issuer_priv = write(&dir, "issuer.jwk", &issuer.to_private_jwk().unwrap());
    let issuer_pub = write(&dir, "issuer.pub.jwk", &issuer.public_jwk().to_json());
    let claims = write(
        &dir,
        "claims.json",
        &json!({"iss": "https://uni.example", "given_name": "Eva"}),
    );
    let plain = stdout(&kakehashi(
        &[
            "sd-jwt",
            "issue",
            "--issuer-key",
            &issuer_priv,
            "--claims",
            &claims,
            "--sd",
            "/given_name",
        ],
        None,
    ));
    // Without --vc a plain SD-JWT verifies as such; with --vc it is not an SD-JWT VC.
    let ok = kakehashi(
        &["sd-jwt", "verify", "--issuer-key", &issuer_pub, "-"],
        Some(&plain),
    );
    assert_eq!(ok.status.code(), Some(0));
    let refused = kakehashi(
        &["sd-jwt", "verify", "--vc", "--issuer-key", &issuer_pub, "-"],
        Some(&plain),
    );
    assert_eq!(refused.status.code(), Some(1));
    let reason = String::from_utf8_lossy(&refused.stderr);
    assert!(reason.to_lowercase().contains("typ"), "{reason}");
}
