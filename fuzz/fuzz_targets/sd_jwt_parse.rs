//! SD-JWT parsing (compact and JWS JSON), Disclosure decoding and processing, and Type
//! Metadata parsing never panic, whatever the bytes.
#![no_main]

use kakehashi_core::{JsonLimits, b64};
use kakehashi_sd_jwt::type_metadata::TypeMetadata;
use kakehashi_sd_jwt::{Disclosure, Limits, SdJwt};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let provider = kakehashi_crypto_aws_lc::provider();
    let limits = Limits::DEFAULT;
    if let Ok(text) = std::str::from_utf8(data) {
        // As a serialized SD-JWT (compact or JSON).
        if let Ok(sd_jwt) = SdJwt::parse(text, limits) {
            let _ = sd_jwt.decode(&provider, limits);
            let _ = sd_jwt.to_json(false);
        }
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
    }
    let _ = TypeMetadata::parse(data, JsonLimits::DEFAULT);
});
