//! SD-JWT parsing (compact and JWS JSON), Disclosure decoding and processing, and Type
//! Metadata parsing never panic, whatever the bytes; and the one-step verifier's fast path
//! decides exactly as `SdJwt::parse` + `verify` (result, claim order, error) on every input
//! it takes.
#![no_main]

use std::sync::OnceLock;

use kakehashi_core::{JsonLimits, UnixTime, b64};
use kakehashi_crypto::{CryptoProvider, PublicJwk};
use kakehashi_sd_jwt::type_metadata::TypeMetadata;
use kakehashi_sd_jwt::{Disclosure, Limits, SdJwt, VerifyOptions};
use libfuzzer_sys::fuzz_target;

/// Every signature accepted, so arbitrary payloads and Disclosures reach the Disclosure
/// processor on both paths. `verify_and_digest` goes too: it would check for real.
fn unchecked() -> CryptoProvider {
    CryptoProvider {
        name: "fuzz: signatures not checked",
        verify: |_, _, _, _| Ok(()),
        verify_and_digest: None,
        ..kakehashi_crypto_aws_lc::provider()
    }
}

/// An ES256 key (OpenID4VCI 1.0 issuer JWKS example): the header's `alg` must fit it.
fn issuer_key() -> &'static PublicJwk {
    static KEY: OnceLock<PublicJwk> = OnceLock::new();
    KEY.get_or_init(|| {
        PublicJwk::from_json(&serde_json::json!({
            "kty": "EC",
            "crv": "P-256",
            "x": "_LC1FTUl0MltKAOQzXNsofVMpWFV2obLGrNCat_CQ-g",
            "y": "kBjoyjNuMVAOq--qVUgylDoLKuMdk4imS-Kk5ahuYIU"
        }))
        .expect("a valid P-256 JWK")
    })
}

/// Fast path against the general path, with and without claim records.
fn differential(text: &str) {
    let provider = unchecked();
    // Between the `iat` and `exp` of the RFC 9901 examples the seeds come from.
    let mut options = VerifyOptions::new(UnixTime(1_700_000_000));
    for record_claims in [false, true] {
        options.record_claims = record_claims;
        if let Err(diff) =
            kakehashi_sd_jwt::testing::compare_sd_jwt(text, &provider, issuer_key(), &options)
        {
            panic!("fast and general paths differ (record_claims {record_claims}):\n{diff}");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let provider = kakehashi_crypto_aws_lc::provider();
    let limits = Limits::DEFAULT;
    if let Ok(text) = std::str::from_utf8(data) {
        // As a serialized SD-JWT (compact or JSON).
        if let Ok(sd_jwt) = SdJwt::parse(text, limits) {
            let _ = sd_jwt.decode(&provider, limits);
            let _ = sd_jwt.to_json(false);
        }
        differential(text);
        let _ = Disclosure::parse(text, JsonLimits::DEFAULT);
        // As "payload JSON \n disclosure \n disclosure ...": reaches the Disclosure
        // processor with arbitrary payloads behind a well-formed (unverified) JWT.
        let mut lines = text.split('\n');
        let payload = lines.next().unwrap_or_default();
        let mut compact = format!(
            "{}.{}.AAAA~",
            b64::encode(br#"{"alg":"ES256"}"#),
            b64::encode(payload.as_bytes())
        );
        for line in lines {
            compact.push_str(&b64::encode(line.as_bytes()));
            compact.push('~');
        }
        if let Ok(sd_jwt) = SdJwt::parse_compact(&compact, limits) {
            let _ = sd_jwt.decode(&provider, limits);
        }
        differential(&compact);
    }
    let _ = TypeMetadata::parse(data, JsonLimits::DEFAULT);
});
