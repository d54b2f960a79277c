//! The canonical bilingual diploma both credential profiles carry.
//!
//! Text is a [`LangMap`] (`ja`, `ja-Latn`, `en`, any EU language) so a name can be held in
//! kanji, kana reading and passport romaji side by side. Identifiers are parsed, not just
//! stored: a Corporate Number with a wrong check digit never reaches a credential.

use kakehashi_core::LangMap;
use serde::{Deserialize, Serialize};

use crate::AcademicError;
use crate::frameworks::{self, CreditSystem};

/// A diploma (degree certificate) in the canonical model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct Diploma {
    pub holder: Holder,
    pub awarding_body: AwardingBody,
    pub qualification: Qualification,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credits: Option<Credits>,
    /// `YYYY-MM-DD`.
    pub award_date: String,
    /// The diploma / certificate number printed on the paper diploma (学位記番号).
    pub diploma_number: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thesis_title: Option<LangMap>,
}

/// The graduate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct Holder {
    /// Family name: `ja` in kanji, `ja-Kana` reading, `ja-Latn` / `en` as in the passport.
    /// Empty when the holder did not disclose it.
    #[serde(default, skip_serializing_if = "LangMap::is_empty")]
    pub family_name: LangMap,
    #[serde(default, skip_serializing_if = "LangMap::is_empty")]
    pub given_name: LangMap,
    /// `YYYY-MM-DD`. Selectively disclosable in both profiles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<String>,
}

/// The institution that awards the qualification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct AwardingBody {
    pub legal_name: LangMap,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    pub legal_identifier: LegalIdentifier,
    /// 学校コード, for Japanese institutions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub school_code: Option<SchoolCode>,
    /// Erasmus institution code (`B  LEUVEN01`), for EU institutions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub erasmus_code: Option<String>,
}

/// The legal identifier of an institution: the same forms the trust layer sees in a seal
/// certificate's organizationIdentifier (`VATBE-…`, `NTRJP-…`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "scheme", content = "value")]
pub enum LegalIdentifier {
    /// VAT number with country prefix (`BE0419052173`).
    #[serde(rename = "VAT")]
    Vat(String),
    /// European Unique Identifier of a company register entry.
    #[serde(rename = "EUID")]
    Euid(String),
    /// 法人番号 (13 digits).
    #[serde(rename = "JP-CorporateNumber")]
    CorporateNumber(CorporateNumber),
}

impl LegalIdentifier {
    /// The ETSI EN 319 412-1 organizationIdentifier form.
    pub fn organization_identifier(&self, country: &str) -> String {
        match self {
            Self::Vat(v) => format!("VAT{country}-{}", v.trim_start_matches(country)),
            Self::Euid(v) => format!("EUID-{v}"),
            Self::CorporateNumber(n) => format!("NTRJP-{}", n.as_str()),
        }
    }
}

/// A Japanese Corporate Number (法人番号): 13 digits, the first a check digit
/// ([`kakehashi_core::jp::check_corporate_number`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct CorporateNumber(String);

impl CorporateNumber {
    /// Parses and checks the check digit.
    pub fn parse(text: &str) -> Result<Self, AcademicError> {
        kakehashi_core::jp::check_corporate_number(text)
            .map(|_| Self(text.to_owned()))
            .map_err(|_| AcademicError::CorporateNumber(text.chars().take(20).collect()))
    }

    /// The 13 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for CorporateNumber {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// A MEXT school code (学校コード), shape-checked by [`kakehashi_core::jp::check_school_code`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct SchoolCode(String);

impl SchoolCode {
    /// Parses the form (see [`kakehashi_core::jp::check_school_code`]).
    pub fn parse(text: &str) -> Result<Self, AcademicError> {
        kakehashi_core::jp::check_school_code(text)
            .map(|()| Self(text.to_owned()))
            .map_err(|_| AcademicError::SchoolCode(text.chars().take(20).collect()))
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True for universities and junior colleges (type letter F).
    pub fn is_university(&self) -> bool {
        self.0.starts_with('F')
    }
}

impl<'de> Deserialize<'de> for SchoolCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// What was awarded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct Qualification {
    /// The title as printed (`修士(工学)`, `Master of Science in Engineering`).
    pub title: LangMap,
    /// For Japanese awards: the id or name of the degree/title in the table
    /// (`shushi` / `修士`), without the field in parentheses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jp_degree: Option<String>,
    /// The field in the degree name (`工学` in `修士(工学)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<LangMap>,
    /// EQF level as stated by the awarding side (EU credentials carry it; for Japanese
    /// awards it is derived, advisory, and not stored here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eqf_level: Option<u8>,
    /// ISCED 2011 programme code (three digits) when stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isced_level: Option<u16>,
    /// ISCED-F 2013 field code (`0714`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isced_field: Option<String>,
}

/// Credits with the system they are counted in.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credits {
    pub amount: f64,
    pub system: CreditSystem,
}

impl Diploma {
    /// Checks every field that can be checked without outside data.
    pub fn validate(&self) -> Result<(), AcademicError> {
        let t = frameworks::tables()?;
        // Holder names may be withheld (selective disclosure); the award itself may not.
        if let Some(b) = &self.holder.birth_date {
            check_date(b)?;
        }
        if self.awarding_body.legal_name.is_empty() {
            return Err(AcademicError::Missing("awarding_body.legal_name"));
        }
        let c = &self.awarding_body.country;
        if c.len() != 2 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(AcademicError::Country(c.chars().take(8).collect()));
        }
        if self.qualification.title.is_empty() {
            return Err(AcademicError::Missing("qualification.title"));
        }
        if let Some(d) = &self.qualification.jp_degree
            && t.jp_qualification(d).is_none()
        {
            return Err(AcademicError::UnknownQualification(
                d.chars().take(40).collect(),
            ));
        }
        if let Some(l) = self.qualification.eqf_level
            && !(1..=8).contains(&l)
        {
            return Err(AcademicError::EqfLevel(i64::from(l)));
        }
        if let Some(code) = self.qualification.isced_level {
            frameworks::validate_isced_code(i64::from(code))?;
        }
        if let Some(f) = &self.qualification.isced_field
            && t.isced_field(f).is_none()
        {
            return Err(AcademicError::IscedField(f.chars().take(8).collect()));
        }
        if let Some(cr) = &self.credits
            && !(cr.amount.is_finite() && (0.0..=1000.0).contains(&cr.amount))
        {
            return Err(AcademicError::Credits(cr.amount.to_string()));
        }
        check_date(&self.award_date)?;
        if self.diploma_number.trim().is_empty() {
            return Err(AcademicError::Missing("diploma_number"));
        }
        Ok(())
    }
}

/// Checks a `YYYY-MM-DD` calendar date.
pub fn check_date(text: &str) -> Result<(), AcademicError> {
    kakehashi_core::UnixTime::parse_rfc3339(&format!("{text}T00:00:00Z"))
        .map(|_| ())
        .map_err(|_| AcademicError::Date(text.chars().take(20).collect()))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A Japanese 修士(工学) from a fictional national university in Sendai.
    pub fn japanese_master() -> Diploma {
        serde_json::from_value(serde_json::json!({
            "holder": {
                "family_name": {"ja": "山田", "ja-Kana": "ヤマダ", "ja-Latn": "YAMADA"},
                "given_name": {"ja": "花子", "ja-Kana": "ハナコ", "ja-Latn": "HANAKO"},
                "birth_date": "2000-04-01"
            },
            "awarding_body": {
                "legal_name": {"ja": "国立大学法人杜の都大学", "en": "Morinomiyako National University"},
                "country": "JP",
                "legal_identifier": {"scheme": "JP-CorporateNumber", "value": "7000012050002"},
                "school_code": "F104310000013"
            },
            "qualification": {
                "title": {"ja": "修士(工学)", "en": "Master of Engineering"},
                "jp_degree": "修士",
                "field": {"ja": "工学", "en": "Engineering"},
                "isced_field": "0714"
            },
            "credits": {"amount": 30.0, "system": "JP-tani"},
            "award_date": "2026-03-25",
            "diploma_number": "修第1234号"
        }))
        .unwrap()
    }

    #[test]
    fn corporate_numbers() {
        // The National Tax Agency's published example is 7000012050002 (国税庁).
        assert!(CorporateNumber::parse("7000012050002").is_ok());
        assert!(
            CorporateNumber::parse("8000012050002").is_err(),
            "wrong check digit"
        );
        assert!(CorporateNumber::parse("700001205000").is_err(), "12 digits");
        assert!(
            CorporateNumber::parse("７000012050002").is_err(),
            "full-width digit"
        );
    }

    #[test]
    fn school_codes() {
        assert!(SchoolCode::parse("F104310000013").unwrap().is_university());
        assert!(SchoolCode::parse("Z104310000013").is_err());
        assert!(SchoolCode::parse("F10431000001").is_err());
    }

    #[test]
    fn diploma_validates() {
        let d = japanese_master();
        d.validate().unwrap();
        assert_eq!(
            d.awarding_body
                .legal_identifier
                .organization_identifier("JP"),
            "NTRJP-7000012050002"
        );
        let mut bad = d.clone();
        bad.award_date = "2026-02-30".into();
        assert!(matches!(bad.validate(), Err(AcademicError::Date(_))));
        let mut bad = d.clone();
        bad.qualification.jp_degree = Some("修士(魔法)".into());
        assert!(matches!(
            bad.validate(),
            Err(AcademicError::UnknownQualification(_))
        ));
        let bad_json =
            serde_json::json!({"scheme": "JP-CorporateNumber", "value": "1234567890123"});
        assert!(serde_json::from_value::<LegalIdentifier>(bad_json).is_err());
    }
}
