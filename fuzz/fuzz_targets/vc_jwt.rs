//! VC 2.0 data-model checks, the Open Badges profile and vc+jwt / vp+jwt verification never
//! panic, whatever the bytes.
#![no_main]

use kakehashi_core::{JsonLimits, UnixTime};
use kakehashi_crypto::PublicJwk;
use kakehashi_crypto_aws_lc::provider;
use kakehashi_vc_jose::{
    HolderBinding, VerifyOptions, check_credential, check_credential_structure, check_open_badge,
    check_presentation, parse_data_url, verify_vc_jwt, verify_vp_jwt,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(value) = kakehashi_core::json::parse_limited(data, JsonLimits::DEFAULT) {
        let _ = check_credential(&value, UnixTime(1_795_392_000));
        let _ = check_presentation(&value);
        if let Ok(view) = check_credential_structure(&value) {
            let _ = check_open_badge(&view);
            let _ = view.check_validity(UnixTime(i64::MIN), i64::MAX);
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse_data_url(text);
        // Keys from the header (x5c, jwk) ...
        let options = VerifyOptions::at(UnixTime(1_795_392_000));
        let _ = verify_vc_jwt(text, &provider(), &options);
        let _ = verify_vp_jwt(text, &provider(), &options, HolderBinding::DangerNotChecked);
        // ... and a pinned key (W3C VC-JOSE-COSE P-256 test key).
        let jwk = serde_json::json!({"kty": "EC", "crv": "P-256",
            "x": "WfTi93YuhsQxKbD0ftnjOXJndqhnJ5kgDV-ZDGyrhBQ",
            "y": "qUd_55EjX0mjKZ6W6mF4UXVYTQ41K6jfdnYFwN5uPyk"});
        if let Ok(key) = PublicJwk::from_json(&jwk) {
            let pinned = options.with_key(&key);
            let _ = verify_vc_jwt(text, &provider(), &pinned);
            let binding = HolderBinding::Required {
                nonce: "n",
                audience: "a",
            };
            let _ = verify_vp_jwt(text, &provider(), &pinned, binding);
        }
    }
});
