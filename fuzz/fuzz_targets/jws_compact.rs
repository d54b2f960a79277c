//! JWS compact and JSON serialization parsing never panics, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = kakehashi_jose::UnverifiedJws::parse_compact(text);
    }
    if let Ok(value) = kakehashi_core::json::parse_limited(data, kakehashi_core::JsonLimits::DEFAULT) {
        let _ = kakehashi_jose::JwsJson::parse(&value);
        let _ = kakehashi_crypto::PublicJwk::from_json(&value);
    }
});
