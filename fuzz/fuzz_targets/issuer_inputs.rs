//! What the issuer parses from outside never panics: registrar CSV files (both pilot
//! universities) and the credential claims built from every row they accept, DPoP proofs and
//! key proofs (the first thing `/token` and `/credential` look at), and form bodies of the
//! authorization endpoint.
#![no_main]

use kakehashi_academic::csv_import;
use kakehashi_academic::model::AwardingBody;
use kakehashi_academic::profiles::{eu_claims, jp_achievement_credential};
use kakehashi_core::UnixTime;
use kakehashi_oid4vci::dpop::{DpopCheck, validate_dpop_proof};
use kakehashi_oid4vci::proof::{ProofCheck, validate_jwt_proof};
use libfuzzer_sys::fuzz_target;

fn body(eu: bool) -> AwardingBody {
    let value = if eu {
        serde_json::json!({
            "legal_name": {"en": "Kakehashi Test University Leuven"},
            "country": "BE",
            "legal_identifier": {"scheme": "VAT", "value": "BE0123456789"}
        })
    } else {
        serde_json::json!({
            "legal_name": {"ja": "架け橋テスト大学", "en": "Kakehashi Test University"},
            "country": "JP",
            "legal_identifier": {"scheme": "JP-CorporateNumber", "value": "7123456789012"},
            "school_code": "F313110199999"
        })
    };
    serde_json::from_value(value).unwrap()
}

fuzz_target!(|data: &[u8]| {
    for eu in [true, false] {
        if let Ok(import) = csv_import::parse(data, &body(eu)) {
            for row in import.rows.iter().take(8) {
                if eu {
                    let _ = eu_claims(&row.diploma);
                } else {
                    let _ = jp_achievement_credential(
                        &row.diploma,
                        "https://issuer.test",
                        "urn:uuid:00000000-0000-4000-8000-000000000000",
                        "https://issuer.test/achievements/x",
                    );
                }
            }
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let provider = kakehashi_crypto_aws_lc::provider();
        let now = UnixTime(1_790_000_000);
        let _ = validate_dpop_proof(
            text,
            &DpopCheck {
                method: "POST",
                url: "https://issuer.test/token",
                now,
                max_age_seconds: 300,
                skew_seconds: 60,
                expected_nonce: None,
                access_token: None,
                bound_jkt: None,
                allowed_algorithms: &["ES256"],
            },
            &provider,
        );
        let _ = validate_jwt_proof(
            text,
            &ProofCheck {
                credential_issuer: "https://issuer.test",
                client_id: None,
                now,
                max_age_seconds: 300,
                skew_seconds: 60,
                allowed_algorithms: &["ES256"],
                nonce_required: true,
                max_proofs: 4,
            },
            &provider,
        );
        let _ = kakehashi_oid4vci::form::decode(text);
    }
});
