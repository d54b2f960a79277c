//! Open Badges 3.0 / CLR 2.0 vectors (`testdata/open-badges`).
//!
//! Every file is either a case in `expected.toml` (expected outcome from the specification or
//! the 1EdTech validator's file name, plus the checks that apply) or a support file (schemas,
//! context, status list). Checks, at 2026-11-23T00:00:00Z:
//! - `model`: [`check_credential`] (data model and validity period);
//! - `profile`: [`check_open_badge`] (OB 3.0 rules, [`AchievementView`]);
//! - `schema`: the shipped OB 3.0 AchievementCredential JSON Schema (see [`ob_schema`]);
//! - `status`: the `credentialStatus` entry is exposed as a `BitstringStatusListEntry`;
//! - `jwt`: [`verify_vc_jwt`] with the key in the JOSE header.
//!
//! Data Integrity proofs (`eddsa-rdfc-2022`) are not verified (RDF canonicalization), so
//! cases whose outcome rests on one are listed in `exceptions.toml`.

mod common;

use common::{Outcome, Runner, error_matches, fixed_now, read_json, suite_dir, walk};
use kakehashi_crypto_aws_lc::provider;
use kakehashi_vc_jose::{
    AchievementView, CompiledSchema, CredentialStatus, VcError, VerifyOptions, check_credential,
    check_open_badge, verify_vc_jwt,
};

/// The `$id` of the OB 3.0 AchievementCredential schema.
const OB_SCHEMA_ID: &str =
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json";

/// The validator's draft-04 AchievementCredential schema, adapted to VC 2.0 in one place: it
/// was written for VC 1.1 and lists `issuanceDate` as required, which VC 2.0 renamed
/// `validFrom`. Nothing else is changed.
fn ob_schema() -> CompiledSchema {
    let path =
        suite_dir("open-badges").join("schemas/ob_v3p0_achievementcredential_schema_draft4.json");
    let mut schema = read_json(&path);
    let required = schema["required"].as_array_mut().expect("required list");
    for name in required.iter_mut() {
        if name == "issuanceDate" {
            *name = "validFrom".into();
        }
    }
    CompiledSchema::compile(OB_SCHEMA_ID, &schema).expect("OB 3.0 schema compiles")
}

#[test]
fn open_badges_suite() {
    let dir = suite_dir("open-badges");
    let expected: toml::Table =
        toml::from_str(&std::fs::read_to_string(dir.join("expected.toml")).expect("expected.toml"))
            .expect("expected.toml parses");
    let cases = expected["cases"].as_table().expect("[cases]");
    let support: Vec<&str> = expected["support"]["files"]
        .as_array()
        .expect("support files")
        .iter()
        .filter_map(toml::Value::as_str)
        .collect();
    let schema = ob_schema();
    let mut runner = Runner::new("open-badges");
    for file in walk(&dir) {
        if support.contains(&file.as_str()) {
            continue;
        }
        let Some(case) = cases.get(&file).and_then(toml::Value::as_table) else {
            runner.record(&file, Outcome::Fail("not in expected.toml".into()));
            continue;
        };
        let skipped = runner.skipped_checks(&file);
        let outcome = run_case(&dir.join(&file), case, &schema, &skipped);
        runner.record(&file, outcome);
    }
    for name in cases.keys() {
        assert!(
            dir.join(name).is_file(),
            "expected.toml names a missing file {name}"
        );
    }
    runner.finish();
}

fn run_case(
    path: &std::path::Path,
    case: &toml::Table,
    schema: &CompiledSchema,
    skipped: &[String],
) -> Outcome {
    let expect_ok = case["expect"].as_str() == Some("ok");
    let checks: Vec<&str> = case["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter_map(toml::Value::as_str)
        .filter(|c| !skipped.iter().any(|s| s == c))
        .collect();
    if checks.is_empty() {
        return Outcome::Fail("no check applies to this file".into());
    }
    let result = run_checks(path, &checks, schema);
    let partial = !skipped.is_empty();
    match (expect_ok, result) {
        (true, Ok(())) if partial => Outcome::Partial(format!("skipped {skipped:?}")),
        (true, Ok(())) => Outcome::Pass,
        (true, Err(e)) => Outcome::Fail(format!("refused: {e:?}")),
        (false, Ok(())) => Outcome::Fail(format!("accepted by {checks:?}")),
        (false, Err(e)) => {
            let want = case.get("error").and_then(toml::Value::as_str);
            match want.map(|w| error_matches(&e, w)) {
                Some(Ok(())) => Outcome::Pass,
                Some(Err(detail)) => Outcome::Fail(detail),
                None => Outcome::Fail(format!("refused ({e:?}), no expected error listed")),
            }
        }
    }
}

fn run_checks(
    path: &std::path::Path,
    checks: &[&str],
    schema: &CompiledSchema,
) -> Result<(), VcError> {
    if checks.contains(&"jwt") {
        let token = std::fs::read_to_string(path).expect("readable");
        return verify_vc_jwt(&token, &provider(), &VerifyOptions::at(fixed_now())).map(|_| ());
    }
    let document = read_json(path);
    let view = check_credential(&document, fixed_now())?;
    if checks.contains(&"profile") {
        let achievement = check_open_badge(&view)?;
        sanity(&achievement);
    }
    if checks.contains(&"schema") {
        schema.validate(&document)?;
    }
    if checks.contains(&"status") {
        let entry = view.status().iter().find_map(|s| match s {
            CredentialStatus::BitstringStatusList(e) => Some(e),
            _ => None,
        });
        let entry = entry.ok_or_else(|| VcError::MalformedStatusEntry {
            field: "type",
            reason: "no BitstringStatusListEntry".into(),
        })?;
        assert_eq!(entry.status_purpose, "revocation");
        assert_eq!(entry.status_list_index, 23);
        assert!(
            entry
                .status_list_credential
                .ends_with("/bit-string-list/testlist")
        );
    }
    Ok(())
}

/// What every accepted achievement view must hold.
fn sanity(view: &AchievementView) {
    assert!(!view.achievement.name.is_empty());
    assert!(view.issuer.id.contains(':'));
}
