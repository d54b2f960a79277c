//! The two fictional pilot universities (the same organisations as the trust test PKI:
//! `VATBE-0123456789` in Belgium and `NTRJP-7123456789012` in Japan, named as in the test PKI), for demo data and the
//! `registrar import --university eu|jp` command.

use kakehashi_academic::model::AwardingBody;
use serde_json::json;

use crate::Profile;

/// The awarding body of the pilot university of `profile`.
pub fn awarding_body(profile: Profile) -> AwardingBody {
    let value = match profile {
        Profile::Eu => json!({
            "legal_name": {"en": "University of Brabant-Leuven", "nl": "Universiteit Brabant-Leuven", "fr": "Université de Brabant-Louvain", "ja": "ブラバント＝ルーヴェン大学"},
            "country": "BE",
            "legal_identifier": {"scheme": "VAT", "value": "BE0123456789"},
            "erasmus_code": "B  BRABANT01"
        }),
        Profile::Jp => json!({
            "legal_name": {"ja": "国立大学法人杜の都大学", "en": "Morinomiyako National University"},
            "country": "JP",
            "legal_identifier": {"scheme": "JP-CorporateNumber", "value": "7123456789012"},
            "school_code": "F104190000017"
        }),
    };
    // Fixed, valid literals: a failure here is a programming error caught by the unit test.
    #[allow(clippy::expect_used)]
    serde_json::from_value(value).expect("valid demo awarding body")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_bodies_parse_and_have_legal_identifiers() {
        let eu = awarding_body(Profile::Eu);
        assert_eq!(
            eu.legal_identifier.organization_identifier(&eu.country),
            "VATBE-0123456789"
        );
        let jp = awarding_body(Profile::Jp);
        assert_eq!(
            jp.legal_identifier.organization_identifier(&jp.country),
            "NTRJP-7123456789012"
        );
    }
}
