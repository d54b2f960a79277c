//! W3C VCDM 2.0 test-suite inputs (`testdata/vc-data-model-2/input`).
//!
//! The suite sends each credential input to an issuer, so the runner acts as one: it sets
//! `issuer` where the input leaves it to the issuer (absent, or an object without `id`),
//! fills the `FUTURE DATE` / `PAST DATE` placeholders, and secures the credential with
//! [`issue_vc_jwt`] (which checks the data model first). An `-ok` input must be issued and
//! then verify as a `vc+jwt` at a time inside its validity period, coming back unchanged; a
//! `-fail` input must be refused by both [`issue_vc_jwt`] and [`check_credential_structure`]
//! with the error named in `expected.toml`. `-fail-or-inject` inputs are refused: this issuer
//! never injects a missing `@context`. Presentations go through [`check_presentation`].

mod common;

use common::{Outcome, Runner, error_matches, fixed_now, read_json, suite_dir, walk};
use kakehashi_core::UnixTime;
use kakehashi_crypto::Signer as _;
use kakehashi_crypto_aws_lc::provider;
use kakehashi_vc_jose::{
    VcError, VerifyOptions, check_credential_structure, check_presentation, issue_vc_jwt,
    verify_vc_jwt,
};
use serde_json::{Map, Value, json};

/// The identifier the simulated issuer gives itself.
const TEST_ISSUER: &str = "https://issuer.kakehashi.example";

#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    Ok,
    Fail,
}

#[test]
fn vc_data_model_2_suite() {
    let dir = suite_dir("vc-data-model-2");
    let expected: toml::Table =
        toml::from_str(&std::fs::read_to_string(dir.join("expected.toml")).expect("expected.toml"))
            .expect("expected.toml parses");
    let errors = expected["errors"].as_table().expect("[errors] table");
    let mut runner = Runner::new("vc-data-model-2");
    let signer = common::test_signer();
    for case in walk(&dir.join("input")) {
        let name = case.rsplit('/').next().unwrap_or(&case);
        let expect = if name.ends_with("-ok.json") {
            Some(Expect::Ok)
        } else if name.ends_with("-fail.json") || name.ends_with("-fail-or-inject.json") {
            Some(Expect::Fail)
        } else {
            None
        };
        let input = read_json(&dir.join("input").join(&case));
        let is_presentation = name.starts_with("presentation-");
        let outcome = match expect {
            None => {
                // No expected outcome in the name: run for robustness, report what happened.
                let result = if is_presentation {
                    check_presentation(&input).map(|_| ())
                } else {
                    check_credential_structure(&input).map(|_| ())
                };
                Outcome::Fail(format!("no expected outcome; actual {result:?}"))
            }
            Some(expect) if is_presentation => judge(
                &expect,
                check_presentation(&input).map(|_| ()),
                errors.get(&case),
            ),
            Some(expect) => credential_case(&expect, input, &signer, errors.get(&case)),
        };
        if expect == Some(Expect::Fail) && !errors.contains_key(&case) {
            runner.record(
                &case,
                Outcome::Fail("no expected error in expected.toml".into()),
            );
            continue;
        }
        runner.record(&case, outcome);
    }
    runner.finish();
}

fn judge(expect: &Expect, result: Result<(), VcError>, error: Option<&toml::Value>) -> Outcome {
    match (expect, result) {
        (Expect::Ok, Ok(())) => Outcome::Pass,
        (Expect::Ok, Err(e)) => Outcome::Fail(format!("refused: {e:?}")),
        (Expect::Fail, Ok(())) => Outcome::Fail("accepted".into()),
        (Expect::Fail, Err(e)) => {
            let want = error.and_then(toml::Value::as_str).unwrap_or("<none>");
            match error_matches(&e, want) {
                Ok(()) => Outcome::Pass,
                Err(detail) => Outcome::Fail(detail),
            }
        }
    }
}

fn credential_case(
    expect: &Expect,
    mut input: Value,
    signer: &kakehashi_crypto_aws_lc::SoftwareSigner,
    error: Option<&toml::Value>,
) -> Outcome {
    act_as_issuer(&mut input);
    let structure = check_credential_structure(&input).map(|_| ());
    let issued = issue_vc_jwt(&input, signer, Map::new());
    match expect {
        Expect::Fail => {
            if issued.is_ok() {
                return Outcome::Fail("issue_vc_jwt accepted it".into());
            }
            judge(expect, structure, error)
        }
        Expect::Ok => {
            let token = match issued {
                Ok(t) => t,
                Err(e) => return Outcome::Fail(format!("issue_vc_jwt refused: {e:?}")),
            };
            let now = input
                .get("validFrom")
                .and_then(Value::as_str)
                .and_then(|t| UnixTime::parse_rfc3339(t).ok())
                .unwrap_or_else(fixed_now);
            let key = signer.public_jwk();
            let options = VerifyOptions::at(now).with_key(key);
            match verify_vc_jwt(&token, &provider(), &options) {
                Ok(verified) if verified.credential().to_value() == input => Outcome::Pass,
                Ok(_) => Outcome::Fail("round trip changed the credential".into()),
                Err(e) => Outcome::Fail(format!("issued but does not verify: {e:?}")),
            }
        }
    }
}

/// What the suite's issuer endpoint does before securing an input.
fn act_as_issuer(input: &mut Value) {
    let Some(obj) = input.as_object_mut() else {
        return;
    };
    match obj.get_mut("issuer") {
        None => {
            obj.insert("issuer".into(), TEST_ISSUER.into());
        }
        Some(Value::Object(issuer)) if !issuer.contains_key("id") => {
            issuer.insert("id".into(), TEST_ISSUER.into());
        }
        _ => {}
    }
    for (key, placeholder, date) in [
        ("validFrom", "FUTURE DATE", "2036-01-01T00:00:00Z"),
        ("validUntil", "PAST DATE", "2016-01-01T00:00:00Z"),
    ] {
        if obj.get(key) == Some(&json!(placeholder)) {
            obj.insert(key.into(), date.into());
        }
    }
}
