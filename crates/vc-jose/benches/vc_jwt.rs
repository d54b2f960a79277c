//! Verifying a diploma-sized Open Badges 3.0 `vc+jwt` (ES256), against the floor of one raw
//! ES256 signature check over the same signing input.
//!
//! Run: `CARGO_TARGET_DIR=$HOME/.cache/kakehashi-target cargo bench -p kakehashi-vc-jose --bench vc_jwt`

#![allow(clippy::unwrap_used, clippy::expect_used)] // benchmark setup

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use kakehashi_core::{UnixTime, b64};
use kakehashi_crypto::{SignatureAlgorithm, Signer as _};
use kakehashi_crypto_aws_lc::{SoftwareSigner, provider};
use kakehashi_vc_jose::{
    SchemaSet, VerifyOptions, check_credential, check_open_badge, issue_vc_jwt, verify_vc_jwt,
};
use serde_json::{Map, Value};

const DIPLOMA: &str = include_str!("../testdata/kakehashi/diploma-ob3.json");
const OB3_SCHEMA: &str = include_str!(
    "../testdata/open-badges/schemas/ob_v3p0_achievementcredential_schema_draft4.json"
);
const OB3_SCHEMA_ID: &str =
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json";

fn bench(c: &mut Criterion) {
    let diploma: Value = serde_json::from_str(DIPLOMA).unwrap();
    let signer = SoftwareSigner::generate(SignatureAlgorithm::Es256).unwrap();
    let token = issue_vc_jwt(&diploma, &signer, Map::new()).unwrap();
    let now = UnixTime::parse_rfc3339("2026-11-23T00:00:00Z").unwrap();
    let mut schema: Value = serde_json::from_str(OB3_SCHEMA).unwrap();
    for name in schema["required"].as_array_mut().unwrap() {
        if name == "issuanceDate" {
            *name = "validFrom".into();
        }
    }
    let schemas = SchemaSet::new()
        .with_schema(OB3_SCHEMA_ID, &schema)
        .unwrap();
    let provider = provider();
    let key = signer.public_jwk().clone();
    println!("diploma vc+jwt: {} bytes", token.len());

    let mut group = c.benchmark_group("vc_jwt");
    group.bench_function("es256_verify_floor", |b| {
        let (input, signature) = token.rsplit_once('.').unwrap();
        let signature = b64::decode(signature).unwrap();
        b.iter(|| {
            provider
                .verify_signature(
                    SignatureAlgorithm::Es256,
                    black_box(&key),
                    black_box(input.as_bytes()),
                    &signature,
                )
                .unwrap()
        })
    });
    group.bench_function("verify_diploma", |b| {
        let options = VerifyOptions::at(now).with_key(&key);
        b.iter(|| verify_vc_jwt(black_box(&token), &provider, &options).unwrap())
    });
    group.bench_function("verify_diploma_schema_profile", |b| {
        let options = VerifyOptions::at(now)
            .with_key(&key)
            .with_schemas(&schemas)
            .require_schemas();
        b.iter(|| {
            let verified = verify_vc_jwt(black_box(&token), &provider, &options).unwrap();
            check_open_badge(verified.credential()).unwrap()
        })
    });
    group.bench_function("check_credential_only", |b| {
        b.iter(|| check_credential(black_box(&diploma), now).unwrap())
    });
    group.bench_function("issue_diploma", |b| {
        b.iter(|| issue_vc_jwt(black_box(&diploma), &signer, Map::new()).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
