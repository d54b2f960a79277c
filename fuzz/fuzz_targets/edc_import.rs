//! The EDC importer (JAdES JWS JSON with an unencoded payload, ELM v3 mapping) never panics,
//! whatever the bytes, and a seal it reports valid really is a seal over that payload.
#![no_main]

use kakehashi_core::JsonLimits;
use kakehashi_crypto_aws_lc::seal_verifier;
use kakehashi_jose::UnverifiedUnencodedJws;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let verifier = seal_verifier();
    if let Ok(imported) = kakehashi_edc::import(data, &verifier, None) {
        let _ = imported.to_json();
        let _ = imported.outcome();
        // Without trusted lists nothing is ever accepted.
        assert!(!imported.accepted());
    }
    if let Ok(value) = kakehashi_core::json::parse_limited(data, JsonLimits::DEFAULT) {
        let _ = kakehashi_edc::map_credential(&value);
        let _ = kakehashi_edc::summarise(&value);
        if let Ok(jws) = UnverifiedUnencodedJws::parse_json(&value, JsonLimits::DEFAULT, &["sigT"])
        {
            let _ = jws.x5c();
        }
    }
});
