//! The two credential profiles of the pilot, as JSON shapes of the canonical [`Diploma`].
//!
//! - EU: SD-JWT VC claims following the European Learning Model v3 / DC4EU diploma field set,
//!   with Type Metadata in English and Japanese; holder names and birth date selectively
//!   disclosable (`sd: always`), title, level and awarding body never.
//! - Japan: a W3C VC 2.0 Open Badges 3.0 `AchievementCredential` with alignments to EQF
//!   (advisory) and ISCED, `otherIdentifier` for the Corporate Number and school code.
//!
//! Signing is done by the credential crates; this module only builds and reads the JSON.

use kakehashi_core::LangMap;
use serde_json::{Map, Value, json};

use crate::AcademicError;
use crate::frameworks::{self, CreditSystem};
use crate::model::{Diploma, LegalIdentifier};

/// The `vct` of the EU diploma profile.
pub const EU_DIPLOMA_VCT: &str = "urn:kakehashi:vct:diploma:eu:1";

/// Claim paths (JSON pointer form) issued as selectively disclosable in the EU profile.
pub const EU_SD_PATHS: &[&str] = &[
    "/family_name",
    "/given_name",
    "/birth_date",
    "/thesis_title",
    "/diploma_number",
];

/// The SD-JWT VC claims of an EU-profile diploma (without `iss`, `iat`, `cnf`, `status`,
/// which the issuer adds).
pub fn eu_claims(diploma: &Diploma) -> Result<Map<String, Value>, AcademicError> {
    diploma.validate()?;
    let mut m = Map::new();
    m.insert("vct".into(), EU_DIPLOMA_VCT.into());
    let v = serde_json::to_value(diploma).map_err(|e| AcademicError::Table {
        table: "eu-profile",
        problem: e.to_string(),
    })?;
    let Value::Object(obj) = v else {
        return Err(AcademicError::Missing("diploma"));
    };
    for (k, v) in obj {
        match k.as_str() {
            // The holder's fields are top-level claims so each is its own disclosure.
            "holder" => {
                if let Value::Object(h) = v {
                    m.extend(h);
                }
            }
            _ => {
                m.insert(k, v);
            }
        }
    }
    Ok(m)
}

/// Reads an EU-profile payload (processed: disclosures applied) back into the canonical model.
pub fn diploma_from_eu_claims(claims: &Map<String, Value>) -> Result<Diploma, AcademicError> {
    if claims.get("vct").and_then(Value::as_str) != Some(EU_DIPLOMA_VCT) {
        return Err(AcademicError::Missing("vct of the EU diploma profile"));
    }
    let mut holder = Map::new();
    let mut rest = Map::new();
    for (k, v) in claims {
        match k.as_str() {
            "family_name" | "given_name" | "birth_date" => {
                holder.insert(k.clone(), v.clone());
            }
            "awarding_body" | "qualification" | "credits" | "award_date" | "diploma_number"
            | "thesis_title" => {
                rest.insert(k.clone(), v.clone());
            }
            // Registered JWT and SD-JWT VC claims are not part of the diploma.
            _ => {}
        }
    }
    rest.insert("holder".into(), Value::Object(holder));
    if !rest.contains_key("diploma_number") {
        // Withheld by the holder: keep the model total, mark as not disclosed.
        rest.insert("diploma_number".into(), "(not disclosed)".into());
    }
    let d: Diploma =
        serde_json::from_value(Value::Object(rest)).map_err(|e| AcademicError::Table {
            table: "eu-profile",
            problem: e.to_string(),
        })?;
    d.validate()?;
    Ok(d)
}

/// SD-JWT VC Type Metadata for the EU diploma profile, in English and Japanese.
pub fn eu_type_metadata() -> Value {
    let claim = |path: Value, en: &str, ja: &str, sd: &str| {
        json!({
            "path": path,
            "display": [{"locale": "en", "label": en}, {"locale": "ja", "label": ja}],
            "sd": sd
        })
    };
    json!({
        "vct": EU_DIPLOMA_VCT,
        "name": "Diploma (EU profile, European Learning Model v3)",
        "description": "A higher-education diploma issued by an EU institution and sealed with an eIDAS qualified electronic seal.",
        "display": [
            {"locale": "en", "name": "Diploma", "description": "Higher-education diploma (EU)"},
            {"locale": "ja", "name": "学位記", "description": "高等教育の学位記（EU）"}
        ],
        "claims": [
            claim(json!(["family_name"]), "Family name", "姓", "always"),
            claim(json!(["given_name"]), "Given name", "名", "always"),
            claim(json!(["birth_date"]), "Date of birth", "生年月日", "always"),
            claim(json!(["awarding_body"]), "Awarding body", "授与機関", "never"),
            claim(json!(["awarding_body", "legal_name"]), "Legal name", "名称", "never"),
            claim(json!(["awarding_body", "country"]), "Country", "国", "never"),
            claim(json!(["qualification"]), "Qualification", "学位・資格", "never"),
            claim(json!(["qualification", "title"]), "Title", "学位名", "never"),
            claim(json!(["qualification", "eqf_level"]), "EQF level", "EQFレベル", "never"),
            claim(json!(["qualification", "isced_field"]), "Field (ISCED-F)", "分野（ISCED-F）", "never"),
            claim(json!(["credits"]), "Credits", "単位", "allowed"),
            claim(json!(["award_date"]), "Date of award", "授与日", "allowed"),
            claim(json!(["diploma_number"]), "Diploma number", "学位記番号", "always"),
            claim(json!(["thesis_title"]), "Thesis title", "論文題目", "always")
        ]
    })
}

/// The OB 3.0 `achievementType` for a Japanese degree or title.
fn achievement_type(jp_degree: Option<&str>, eqf: Option<u8>) -> &'static str {
    match jp_degree {
        Some("gakushi" | "gakushi-senmonshoku" | "gakushi-long") => "BachelorDegree",
        Some("shushi" | "shushi-senmonshoku" | "kyoshoku-shushi") => "MasterDegree",
        Some("hakushi") => "DoctoralDegree",
        Some("tanki-daigakushi" | "tanki-daigakushi-senmonshoku") => "AssociateDegree",
        // 法務博士(専門職) is a level-7 professional degree: "Degree", with the level in alignments.
        Some("homu-hakushi") => "Degree",
        Some(_) => "Diploma",
        None => match eqf {
            Some(5) => "AssociateDegree",
            Some(6) => "BachelorDegree",
            Some(7) => "MasterDegree",
            Some(8) => "DoctoralDegree",
            _ => "Degree",
        },
    }
}

fn best(m: &LangMap, lang: &str) -> String {
    m.best(lang).unwrap_or_default().to_owned()
}

/// The Japan-profile credential (unsigned): a W3C VC 2.0 Open Badges 3.0
/// `AchievementCredential`. `credential_id` and `achievement_id` are URIs chosen by the issuer.
pub fn jp_achievement_credential(
    diploma: &Diploma,
    issuer_id: &str,
    credential_id: &str,
    achievement_id: &str,
) -> Result<Value, AcademicError> {
    diploma.validate()?;
    let t = frameworks::tables()?;
    let q = &diploma.qualification;
    let jq = q.jp_degree.as_deref().and_then(|d| t.jp_qualification(d));
    let mut alignment = Vec::new();
    let eqf = q.eqf_level.or(jq.map(|j| j.eqf_advisory));
    if let Some(level) = eqf {
        let advisory = q.eqf_level.is_none();
        alignment.push(json!({
            "type": ["Alignment"],
            "targetType": "ext:EQFLevel",
            "targetFramework": "European Qualifications Framework",
            "targetCode": level.to_string(),
            "targetName": if advisory { format!("EQF level {level} (advisory)") } else { format!("EQF level {level}") },
            "targetUrl": format!("http://data.europa.eu/snb/eqf/{level}")
        }));
    }
    if let Some(code) = q.isced_level.or(jq.map(|j| j.isced)) {
        alignment.push(json!({
            "type": ["Alignment"],
            "targetType": "ext:ISCEDLevel",
            "targetFramework": "ISCED 2011",
            "targetCode": code.to_string(),
            "targetName": format!("ISCED 2011 {code}"),
            "targetUrl": "https://uis.unesco.org/en/topic/international-standard-classification-education-isced"
        }));
    }
    if let Some(f) = q.isced_field.as_deref().and_then(|f| t.isced_field(f)) {
        alignment.push(json!({
            "type": ["Alignment"],
            "targetType": "ext:ISCEDField",
            "targetFramework": "ISCED-F 2013",
            "targetCode": q.isced_field.clone().unwrap_or_default(),
            "targetName": f.en,
            "targetUrl": "https://uis.unesco.org/en/topic/international-standard-classification-education-isced"
        }));
    }
    if let Some(j) = jq {
        alignment.push(json!({
            "type": ["Alignment"],
            "targetType": "ext:JPDegree",
            "targetFramework": "学位規則 (Degree Regulations, Japan)",
            "targetCode": j.id,
            "targetName": j.ja,
            "targetUrl": "https://elaws.e-gov.go.jp/"
        }));
    }
    let ab = &diploma.awarding_body;
    let mut other_identifier = Vec::new();
    match &ab.legal_identifier {
        LegalIdentifier::CorporateNumber(n) => other_identifier.push(json!({
            "type": "IdentifierEntry", "identifier": n.as_str(), "identifierType": "ext:JPCorporateNumber"
        })),
        LegalIdentifier::Vat(v) => other_identifier.push(json!({
            "type": "IdentifierEntry", "identifier": v, "identifierType": "ext:VATNumber"
        })),
        LegalIdentifier::Euid(v) => other_identifier.push(json!({
            "type": "IdentifierEntry", "identifier": v, "identifierType": "ext:EUID"
        })),
    }
    if let Some(sc) = &ab.school_code {
        other_identifier.push(json!({
            "type": "IdentifierEntry", "identifier": sc.as_str(), "identifierType": "ext:MEXTSchoolCode"
        }));
    }
    let title_ja = best(&q.title, "ja");
    let mut achievement = json!({
        "id": achievement_id,
        "type": ["Achievement"],
        "achievementType": achievement_type(jq.map(|j| j.id.as_str()), eqf),
        "name": title_ja,
        "description": best(&q.title, "en"),
        "criteria": {"narrative": "学位規則に基づき授与された学位 / Degree awarded under the Japanese Degree Regulations"},
        "alignment": alignment,
        "inLanguage": "ja"
    });
    if let Some(c) = &diploma.credits {
        achievement["creditsAvailable"] = json!(c.amount);
    }
    if let Some(f) = &q.field {
        achievement["fieldOfStudy"] = best(f, "ja").into();
    }
    let mut subject = json!({
        "type": ["AchievementSubject"],
        "achievement": achievement,
        "activityEndDate": format!("{}T00:00:00Z", diploma.award_date),
        "diploma": serde_json::to_value(diploma).map_err(|e| AcademicError::Table { table: "jp-profile", problem: e.to_string() })?
    });
    if let Some(c) = &diploma.credits {
        subject["creditsEarned"] = json!(c.amount);
    }
    let names = [&diploma.holder.family_name, &diploma.holder.given_name];
    if names.iter().all(|n| !n.is_empty()) {
        subject["identifier"] = json!([{
            "type": "IdentityObject",
            "hashed": false,
            "identityHash": format!("{} {}", best(names[0], "ja"), best(names[1], "ja")),
            "identityType": "name"
        }]);
    }
    Ok(json!({
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
        ],
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential", "AchievementCredential"],
        "issuer": {
            "id": issuer_id,
            "type": ["Profile"],
            "name": best(&ab.legal_name, "ja"),
            "otherIdentifier": other_identifier
        },
        "name": title_ja,
        "validFrom": format!("{}T00:00:00Z", diploma.award_date),
        "awardedDate": format!("{}T00:00:00Z", diploma.award_date),
        "credentialSubject": subject
    }))
}

/// Reads a Japan-profile credential back into the canonical model, cross-checking the Open
/// Badges fields against the canonical payload so the two views cannot disagree.
pub fn diploma_from_achievement_credential(vc: &Value) -> Result<Diploma, AcademicError> {
    let subject = vc
        .get("credentialSubject")
        .ok_or(AcademicError::Missing("credentialSubject"))?;
    let d: Diploma = serde_json::from_value(
        subject
            .get("diploma")
            .cloned()
            .ok_or(AcademicError::Missing("credentialSubject.diploma"))?,
    )
    .map_err(|e| AcademicError::Table {
        table: "jp-profile",
        problem: e.to_string(),
    })?;
    d.validate()?;
    let name = subject.pointer("/achievement/name").and_then(Value::as_str);
    if name != Some(best(&d.qualification.title, "ja").as_str()) {
        return Err(AcademicError::Table {
            table: "jp-profile",
            problem: "achievement.name disagrees with the diploma title".into(),
        });
    }
    let corp = vc
        .pointer("/issuer/otherIdentifier")
        .and_then(Value::as_array)
        .and_then(|ids| {
            ids.iter().find(|i| {
                i.get("identifierType").and_then(Value::as_str) == Some("ext:JPCorporateNumber")
            })
        })
        .and_then(|i| i.get("identifier"))
        .and_then(Value::as_str);
    if let LegalIdentifier::CorporateNumber(n) = &d.awarding_body.legal_identifier
        && corp != Some(n.as_str())
    {
        return Err(AcademicError::Table {
            table: "jp-profile",
            problem: "issuer.otherIdentifier disagrees with the awarding body's Corporate Number"
                .into(),
        });
    }
    if let Some(c) = &d.credits
        && c.system == CreditSystem::JapaneseTani
        && subject.get("creditsEarned").and_then(Value::as_f64) != Some(c.amount)
    {
        return Err(AcademicError::Table {
            table: "jp-profile",
            problem: "creditsEarned disagrees with the diploma".into(),
        });
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests::japanese_master;
    use crate::recognition::{Reader, map_qualification};

    #[test]
    fn eu_claims_round_trip_and_metadata_agree() {
        let d = japanese_master();
        let claims = eu_claims(&d).unwrap();
        assert_eq!(claims["family_name"]["ja"], "山田");
        assert!(claims.get("holder").is_none());
        assert_eq!(diploma_from_eu_claims(&claims).unwrap(), d);
        // Every selectively disclosable path is `sd: always` in the type metadata, and
        // qualification/awarding body are `never`.
        let tm = eu_type_metadata();
        let sd_of = |p: &str| {
            tm["claims"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["path"] == json!([p]))
                .map(|c| c["sd"].clone())
        };
        for p in EU_SD_PATHS {
            assert_eq!(sd_of(&p[1..]), Some(json!("always")), "{p}");
        }
        assert_eq!(sd_of("qualification"), Some(json!("never")));
        assert_eq!(sd_of("awarding_body"), Some(json!("never")));
    }

    #[test]
    fn withheld_birth_date_still_reads() {
        let mut claims = eu_claims(&japanese_master()).unwrap();
        claims.remove("birth_date");
        let d = diploma_from_eu_claims(&claims).unwrap();
        assert!(d.holder.birth_date.is_none());
    }

    #[test]
    fn jp_profile_round_trip_and_cross_checks() {
        let d = japanese_master();
        let vc = jp_achievement_credential(
            &d,
            "https://morinomiyako.example",
            "urn:uuid:1",
            "https://morinomiyako.example/achievements/m-eng",
        )
        .unwrap();
        assert_eq!(
            vc["credentialSubject"]["achievement"]["achievementType"],
            "MasterDegree"
        );
        let aligned: Vec<&str> = vc["credentialSubject"]["achievement"]["alignment"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["targetCode"].as_str().unwrap())
            .collect();
        assert_eq!(aligned, ["7", "767", "0714", "shushi"]);
        assert_eq!(diploma_from_achievement_credential(&vc).unwrap(), d);
        let mut tampered = vc.clone();
        tampered["credentialSubject"]["achievement"]["name"] = "博士(工学)".into();
        assert!(diploma_from_achievement_credential(&tampered).is_err());
        // EU -> canonical -> Japanese display round trip: the report reads 修士相当 for an EU master.
        let mut eu = d.clone();
        eu.qualification.jp_degree = None;
        eu.qualification.eqf_level = Some(7);
        eu.awarding_body.country = "BE".into();
        let back = diploma_from_eu_claims(&eu_claims(&eu).unwrap()).unwrap();
        let m = map_qualification(&back, Reader::Japan, None).unwrap();
        assert_eq!(m.japanese_equivalent.unwrap().ja, "修士相当");
    }
}
