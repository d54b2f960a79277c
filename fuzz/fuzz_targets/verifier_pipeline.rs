//! The verifier pipeline (`kakehashi-verify`) never panics on a presented credential,
//! whatever the bytes and the claimed format: `plan` (unverified read of status URLs) and
//! `verify_presentation` against the test PKI's lists and policy. The first byte picks the
//! format; the rest is the presentation.
//!
//! Needs in fuzz/Cargo.toml:
//!   kakehashi-verify = { path = "../crates/verify", features = ["testing"] }
//!   [[bin]] name = "verifier_pipeline", path = "fuzz_targets/verifier_pipeline.rs"
#![no_main]

use std::sync::OnceLock;

use kakehashi_academic::recognition::Reader;
use kakehashi_trust::{RecognitionPolicy, VerifiedTrustedList};
use kakehashi_verify::testing::{self, NOW};
use kakehashi_verify::{
    Fetched, Presented, Rejection, Verdict, VerificationCache, VerifierContext, plan,
    verify_presentation,
};
use libfuzzer_sys::fuzz_target;

struct World {
    policy: RecognitionPolicy,
    lists: Vec<VerifiedTrustedList>,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let policy = testing::eu_policy();
        let lists = testing::lists(&policy, NOW);
        World { policy, lists }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let format = match selector % 3 {
        0 => kakehashi_verify::FORMAT_SD_JWT_VC,
        1 => kakehashi_verify::FORMAT_JWT_VC_JSON,
        _ => "mso_mdoc",
    };
    let presented = Presented {
        format,
        presentation: text,
    };
    let _ = plan(presented);
    let w = world();
    let provider = kakehashi_crypto_aws_lc::provider();
    let register = vec![testing::EU_UNIVERSITY.to_owned()];
    let ctx = VerifierContext {
        provider: &provider,
        nonce: "fuzz-nonce-0123456789",
        client_id: "x509_san_dns:verifier.test",
        now: NOW,
        max_presentation_age: 300,
        skew_seconds: 60,
        trusted_lists: &w.lists,
        list_grace_seconds: 0,
        policy: &w.policy,
        reader: Reader::Eu,
        overrides: None,
        type_metadata: None,
        eu_university_register: Some(&register),
        cache: None,
    };
    let plain = verify_presentation(presented, &Fetched::default(), &ctx);
    // Differential: through the verification cache (shared by every input, so warm with the
    // chains seen before) the answer must be exactly the uncached one.
    let cached_ctx = VerifierContext {
        cache: Some(cache()),
        ..ctx
    };
    let cached = verify_presentation(presented, &Fetched::default(), &cached_ctx);
    assert_eq!(outcome(&plain), outcome(&cached));
});

fn cache() -> &'static VerificationCache {
    static CACHE: OnceLock<VerificationCache> = OnceLock::new();
    CACHE.get_or_init(|| VerificationCache::new(64))
}

/// A verdict or a rejection as comparable text: the verdict's JSON, or the error and the report.
fn outcome(result: &Result<Verdict, Rejection>) -> String {
    match result {
        Ok(v) => v.to_json().to_string(),
        Err(r) => format!(
            "{} | {}",
            r.error,
            r.report
                .as_ref()
                .and_then(|rep| serde_json::to_string(rep).ok())
                .unwrap_or_default()
        ),
    }
}
