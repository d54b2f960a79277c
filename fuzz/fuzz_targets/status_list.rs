//! Status list parsing never panics and never inflates past its cap, whatever the bytes:
//! the JSON `StatusList` and token claims, the CBOR forms, a `statuslist+jwt`, and W3C
//! `encodedList` / entries / list credentials.
#![no_main]

use std::sync::OnceLock;

use kakehashi_core::{JsonLimits, UnixTime, json};
use kakehashi_crypto::{PublicJwk, SignatureAlgorithm, Signer};
use kakehashi_status_list::bitstring::{
    Bitstring, BitstringOptions, BitstringStatusListCredential, BitstringStatusListEntry,
    DecodedBitstringStatusList,
};
use kakehashi_status_list::{
    DecodeLimits, EncodedStatusList, StatusListAggregation, StatusListReference, VerifyOptions,
    verify_status_list_token,
};
use libfuzzer_sys::fuzz_target;

/// Small caps so a bomb in the corpus is refused quickly instead of exhausting memory.
const LIMITS: DecodeLimits = DecodeLimits {
    max_encoded_bytes: 1 << 20,
    max_decompressed_bytes: 1 << 20,
};

fn key() -> &'static PublicJwk {
    static KEY: OnceLock<PublicJwk> = OnceLock::new();
    KEY.get_or_init(|| {
        kakehashi_crypto_aws_lc::SoftwareSigner::generate(SignatureAlgorithm::Es256)
            .expect("key generation")
            .public_jwk()
            .clone()
    })
}

fuzz_target!(|data: &[u8]| {
    let now = UnixTime(1_700_000_000);
    if let Ok(encoded) = EncodedStatusList::from_cbor(data) {
        if let Ok(list) = encoded.decode(LIMITS) {
            let _ = list.get(list.len().saturating_sub(1));
        }
    }
    let _ = StatusListReference::from_cbor_status(data);
    let _ = StatusListAggregation::from_json_bytes(data, JsonLimits::DEFAULT);
    if let Ok(text) = std::str::from_utf8(data) {
        let options = VerifyOptions {
            limits: LIMITS,
            ..VerifyOptions::at(now)
        };
        let _ = verify_status_list_token(
            text,
            &kakehashi_crypto_aws_lc::provider(),
            key(),
            "https://example.com/statuslists/1",
            &options,
        );
        for size in [1, 2, 3, 8] {
            if let Ok(list) = Bitstring::decode(text, size, LIMITS) {
                let _ = list.get(0);
            }
        }
    }
    if let Ok(claims) = json::parse_object(data, JsonLimits::DEFAULT) {
        if let Some(status_list) = claims.get("status_list") {
            if let Ok(encoded) = EncodedStatusList::from_json(status_list, LIMITS) {
                let _ = encoded.decode(LIMITS);
            }
        }
        let _ = StatusListReference::from_claims(&claims);
        let entries = BitstringStatusListEntry::from_credential(&claims);
        let value = serde_json::Value::Object(claims);
        if let Ok(credential) = BitstringStatusListCredential::from_json(&value) {
            let options = BitstringOptions {
                min_entries: 8,
                limits: LIMITS,
                require_matching_id: false,
                skew_seconds: 60,
            };
            if let (Ok(decoded), Ok(entries)) =
                (DecodedBitstringStatusList::new(credential, now, options), entries)
            {
                for entry in &entries {
                    let _ = decoded.status(entry, now);
                }
            }
        }
    }
});
