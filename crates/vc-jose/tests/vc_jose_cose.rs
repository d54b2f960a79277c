//! W3C VC-JOSE-COSE test suite (`testdata/vc-jose-cose`): the 30 tests of `manifest.json`
//! and the 27 specification examples.
//!
//! `issue` tests secure the input with the named key and check the result verifies with the
//! public key; `issue` tests expected to fail must be refused. `verify` tests verify the
//! input with the public key of the named verification method (other test keys are
//! available by `kid` for enveloped credentials); failures must be refused with the error
//! in `expected.toml`. Tokens minted with a lifetime are verified at their own `iat`.
//! Specification examples that are credentials or presentations are checked against the
//! data model, and credentials are issued and verified in a round trip.

mod common;

use common::{Outcome, Runner, error_matches, fixed_now, read_json, suite_dir, test_keys};
use kakehashi_core::{JsonLimits, UnixTime};
use kakehashi_crypto::{PublicJwk, Signer as _};
use kakehashi_crypto_aws_lc::{SoftwareSigner, provider};
use kakehashi_jose::UnverifiedJws;
use kakehashi_vc_jose::{
    ControlledIdentifierDocument, HolderBinding, KeyResolver as _, PresentationClaims,
    Relationship, VcError, VerifyOptions, check_credential_structure, check_presentation,
    issue_vc_jwt, issue_vp_jwt, verify_vc_jwt, verify_vp_jwt,
};
use serde_json::{Map, Value};

#[test]
fn vc_jose_cose_suite() {
    let dir = suite_dir("vc-jose-cose");
    let expected: toml::Table =
        toml::from_str(&std::fs::read_to_string(dir.join("expected.toml")).expect("expected.toml"))
            .expect("expected.toml parses");
    let errors = expected["errors"].as_table().expect("[errors] table");
    let mut runner = Runner::new("vc-jose-cose");
    let manifest = read_json(&dir.join("manifest.json"));
    for test in manifest["tests"].as_array().expect("tests") {
        let name = test["name"].as_str().expect("name");
        let outcome = manifest_case(test, errors.get(name).and_then(toml::Value::as_str));
        runner.record(name, outcome);
    }
    let index = read_json(&dir.join("spec-examples/index.json"));
    for example in index.as_array().expect("index") {
        let file = example["file"].as_str().expect("file");
        let outcome = spec_example(&dir.join("spec-examples").join(file));
        runner.record(&format!("spec-examples/{file}"), outcome);
    }
    runner.finish();
}

fn manifest_case(test: &Value, expected_error: Option<&str>) -> Outcome {
    let dir = suite_dir("vc-jose-cose").join("test-suite-input");
    let input_file = test["input_file"].as_str().expect("input_file");
    let feature = test["feature"].as_str().expect("feature");
    let success = test["expected_result"] == "success";
    let vm = read_json(&dir.join(test["key_file"].as_str().expect("key_file")));
    let input = std::fs::read_to_string(dir.join(input_file)).expect("input");
    let result: Result<(), VcError> = match test["fn"].as_str() {
        Some("issue") => {
            if !feature.ends_with("_jose") {
                return Outcome::Fail(format!("{feature} issuance is not done by this crate"));
            }
            let signer = match SoftwareSigner::from_private_jwk(&vm["secretKeyJwk"]) {
                Ok(s) => s,
                Err(e) => return Outcome::Fail(format!("test key refused: {e}")),
            };
            let document: Value = serde_json::from_str(&input).expect("JSON input");
            issue_and_check(&document, &signer, feature.starts_with("presentation"))
        }
        Some("verify") => {
            let key = match PublicJwk::from_json(&vm["publicKeyJwk"]) {
                Ok(k) => k,
                Err(e) => return Outcome::Fail(format!("test key refused: {e}")),
            };
            let result = verify(&input, &key, feature.starts_with("presentation"));
            if feature.ends_with("_cose") {
                // COSE is refused by name, never mistaken for something else.
                return match result {
                    Err(VcError::CoseUnsupported { .. }) => {
                        Outcome::Fail("COSE is refused as unsupported".into())
                    }
                    other => Outcome::Fail(format!("COSE input gave {other:?}")),
                };
            }
            result
        }
        other => panic!("unknown fn {other:?}"),
    };
    match (success, result) {
        (true, Ok(())) => Outcome::Pass,
        (true, Err(e)) => Outcome::Fail(format!("refused: {e:?}")),
        (false, Ok(())) => Outcome::Fail("accepted".into()),
        (false, Err(e)) => match expected_error {
            Some(want) => match error_matches(&e, want) {
                Ok(()) => Outcome::Pass,
                Err(detail) => Outcome::Fail(detail),
            },
            None => Outcome::Fail(format!("refused ({e:?}) but no expected error listed")),
        },
    }
}

/// Issues a credential or presentation, then checks the token verifies with the signer's key.
fn issue_and_check(
    document: &Value,
    signer: &SoftwareSigner,
    presentation: bool,
) -> Result<(), VcError> {
    if !presentation {
        let token = issue_vc_jwt(document, signer, Map::new())?;
        let options = VerifyOptions::at(fixed_now()).with_key(signer.public_jwk());
        let verified = verify_vc_jwt(&token, &provider(), &options)?;
        assert_eq!(&verified.credential().to_value(), document);
        return Ok(());
    }
    let claims = PresentationClaims {
        nonce: "n-0S6_WzA2Mj".into(),
        audience: "https://verifier.example".into(),
        issued_at: fixed_now(),
        expires_at: Some(fixed_now().saturating_add(600)),
    };
    let token = issue_vp_jwt(document, signer, &claims, Map::new())?;
    // The suite's enveloped credentials are placeholders (not valid JWTs): check the
    // presentation's own signature, media type and payload here.
    let jws = UnverifiedJws::parse_compact(&token)?;
    jws.header().require_typ("vp+jwt")?;
    let verified = jws.verify(&provider(), signer.public_jwk())?;
    let payload = Value::Object(verified.claims(JsonLimits::DEFAULT)?);
    check_presentation(&payload)?;
    assert_eq!(payload["nonce"], "n-0S6_WzA2Mj");
    Ok(())
}

fn verify(input: &str, key: &PublicJwk, presentation: bool) -> Result<(), VcError> {
    let keys = test_keys();
    let now = token_time(input).unwrap_or_else(fixed_now);
    let options = VerifyOptions::at(now)
        .with_key(key)
        .with_key_resolver(&keys);
    if presentation {
        verify_vp_jwt(
            input,
            &provider(),
            &options,
            HolderBinding::DangerNotChecked,
        )
        .map(|_| ())
    } else {
        verify_vc_jwt(input, &provider(), &options).map(|_| ())
    }
}

/// The numeric `iat` of a compact JWS, when it has one (the suite's presentations expire a
/// day after minting).
fn token_time(input: &str) -> Option<UnixTime> {
    let jws = UnverifiedJws::parse_compact(input.trim()).ok()?;
    let claims = jws.unverified_claims(JsonLimits::DEFAULT).ok()?;
    claims.get("iat")?.as_i64().map(UnixTime)
}

fn spec_example(path: &std::path::Path) -> Outcome {
    let text = std::fs::read_to_string(path).expect("example");
    let Ok(document) = serde_json::from_str::<Value>(&text) else {
        return Outcome::Fail("not JSON (a fragment, CBOR diagnostic or data: URL)".into());
    };
    let types = |v: &Value| -> Vec<String> {
        match &v["type"] {
            Value::String(s) => vec![s.clone()],
            Value::Array(a) => a
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        }
    };
    let t = types(&document);
    if t.iter().any(|t| t == "VerifiableCredential") {
        let signer = common::test_signer();
        let result = check_credential_structure(&document).and_then(|_| {
            let token = issue_vc_jwt(&document, &signer, Map::new())?;
            let now = document["validFrom"]
                .as_str()
                .and_then(|t| UnixTime::parse_rfc3339(t).ok())
                .unwrap_or_else(fixed_now);
            let options = VerifyOptions::at(now).with_key(signer.public_jwk());
            verify_vc_jwt(&token, &provider(), &options).map(|_| ())
        });
        return match result {
            Ok(()) => Outcome::Pass,
            Err(e) => Outcome::Fail(format!("{e:?}")),
        };
    }
    if t.iter().any(|t| t == "VerifiablePresentation") {
        return match check_presentation(&document) {
            Ok(_) => Outcome::Pass,
            Err(e) => Outcome::Fail(format!("{e:?}")),
        };
    }
    if document.get("verificationMethod").is_some() {
        return controlled_identifier_document(&document);
    }
    Outcome::Fail(format!("not a credential or presentation (type {t:?})"))
}

/// A controlled identifier document resolves exactly its usable `assertionMethod` keys, for
/// its own identifier only.
fn controlled_identifier_document(document: &Value) -> Outcome {
    let cid = match ControlledIdentifierDocument::parse(document) {
        Ok(c) => c,
        Err(e) => return Outcome::Fail(format!("{e:?}")),
    };
    let assertion = cid.method_ids(Relationship::AssertionMethod);
    for method in document["verificationMethod"].as_array().expect("methods") {
        let id = method["id"].as_str().expect("id");
        let absolute = if id.starts_with('#') {
            format!("{}{id}", cid.id())
        } else {
            id.to_owned()
        };
        let resolved = cid.resolve(Some(&absolute), Some(cid.id()));
        let expected = assertion.contains(&absolute.as_str());
        if resolved.is_some() != expected {
            return Outcome::Fail(format!(
                "{absolute}: resolved {resolved:?}, expected {expected}"
            ));
        }
        if cid
            .resolve(Some(&absolute), Some("https://someone-else.example"))
            .is_some()
        {
            return Outcome::Fail(format!("{absolute} resolved for another issuer"));
        }
    }
    Outcome::Pass
}
