//! Framework tables with their sources, loaded from `data/*.toml` (compiled in) and validated.
//!
//! The tables are data, not code, so a recognition authority can read and review them, and
//! every row names the sources it rests on (`data/sources.toml`).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::AcademicError;

const SOURCES: &str = include_str!("../data/sources.toml");
const JP_QUALIFICATIONS: &str = include_str!("../data/jp-qualifications.toml");
const EQF: &str = include_str!("../data/eqf.toml");
const ISCED_F: &str = include_str!("../data/isced-f.toml");

/// A cited source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub id: String,
    pub title: String,
    pub publisher: String,
    #[serde(default)]
    pub year: Option<u16>,
    #[serde(default)]
    pub note: Option<String>,
}

/// Whether a Japanese award is a degree (学位) or a title (称号).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AwardKind {
    Degree,
    Title,
}

/// One Japanese degree or title and its advisory place in the international frameworks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JapaneseQualification {
    /// Stable key (`shushi`, `homu-hakushi`, …).
    pub id: String,
    /// Official name (`修士`).
    pub ja: String,
    /// Descriptive English name.
    pub en: String,
    pub kind: AwardKind,
    /// ISCED 2011 three-digit programme code.
    pub isced: u16,
    /// EQF level, advisory only: Japan has no NQF referenced to the EQF.
    pub eqf_advisory: u8,
    /// Nominal full-time duration.
    pub years: String,
    /// Source ids, legal basis first.
    pub source: Vec<String>,
    #[serde(default)]
    pub note: Option<String>,
}

impl JapaneseQualification {
    /// The ISCED 2011 level (first digit of the code).
    pub fn isced_level(&self) -> u8 {
        isced_level_of(self.isced)
    }
}

/// An EQF level with its QF-EHEA cycle and the Japanese display equivalent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EqfLevelRow {
    pub eqf: u8,
    pub cycle_en: String,
    pub cycle_ja: String,
    /// What a Japanese reader sees (`修士相当`).
    pub jp_equivalent_ja: String,
    pub jp_equivalent_en: String,
    pub isced_level: u8,
    pub source: Vec<String>,
}

/// An ISCED-F 2013 field (broad: two digits, narrow: three digits).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IscedField {
    pub code: String,
    pub en: String,
    pub ja: String,
}

/// All tables, validated.
#[derive(Debug)]
pub struct Tables {
    pub sources: BTreeMap<String, Source>,
    pub jp_qualifications: Vec<JapaneseQualification>,
    pub eqf_levels: Vec<EqfLevelRow>,
    pub isced_fields: BTreeMap<String, IscedField>,
}

#[derive(Deserialize)]
struct SourcesFile {
    source: Vec<Source>,
}
#[derive(Deserialize)]
struct JpFile {
    qualification: Vec<JapaneseQualification>,
}
#[derive(Deserialize)]
struct EqfFile {
    level: Vec<EqfLevelRow>,
}
#[derive(Deserialize)]
struct IscedFFile {
    field: Vec<IscedField>,
}

/// The compiled-in tables. An error here is a defect in `data/`, which the tests catch.
pub fn tables() -> Result<&'static Tables, AcademicError> {
    static TABLES: OnceLock<Result<Tables, AcademicError>> = OnceLock::new();
    TABLES
        .get_or_init(|| Tables::parse(SOURCES, JP_QUALIFICATIONS, EQF, ISCED_F))
        .as_ref()
        .map_err(Clone::clone)
}

fn table_err(table: &'static str, problem: impl Into<String>) -> AcademicError {
    AcademicError::Table {
        table,
        problem: problem.into(),
    }
}

impl Tables {
    /// Parses and cross-checks the four table files.
    pub fn parse(sources: &str, jp: &str, eqf: &str, isced_f: &str) -> Result<Self, AcademicError> {
        let sources: SourcesFile =
            toml::from_str(sources).map_err(|e| table_err("sources", e.to_string()))?;
        let jp: JpFile =
            toml::from_str(jp).map_err(|e| table_err("jp-qualifications", e.to_string()))?;
        let eqf: EqfFile = toml::from_str(eqf).map_err(|e| table_err("eqf", e.to_string()))?;
        let fields: IscedFFile =
            toml::from_str(isced_f).map_err(|e| table_err("isced-f", e.to_string()))?;

        let mut source_map = BTreeMap::new();
        for s in sources.source {
            if source_map.insert(s.id.clone(), s).is_some() {
                return Err(table_err("sources", "duplicate source id"));
            }
        }
        let check_sources = |table: &'static str, row: &str, ids: &[String]| {
            if ids.is_empty() {
                return Err(table_err(table, format!("row {row} cites no source")));
            }
            for id in ids {
                if !source_map.contains_key(id) {
                    return Err(table_err(
                        table,
                        format!("row {row} cites unknown source {id}"),
                    ));
                }
            }
            Ok(())
        };

        let mut ids = BTreeSet::new();
        let mut names = BTreeSet::new();
        for q in &jp.qualification {
            check_sources("jp-qualifications", &q.id, &q.source)?;
            if !ids.insert(q.id.clone()) || !names.insert(q.ja.clone()) {
                return Err(table_err(
                    "jp-qualifications",
                    format!("duplicate row {}", q.id),
                ));
            }
            validate_isced_code(i64::from(q.isced))
                .map_err(|e| table_err("jp-qualifications", format!("{}: {e}", q.id)))?;
            // The advisory EQF level follows the ISCED level through the QF-EHEA cycles.
            if q.eqf_advisory != q.isced_level() {
                return Err(table_err(
                    "jp-qualifications",
                    format!(
                        "{}: EQF {} does not follow ISCED level {}",
                        q.id,
                        q.eqf_advisory,
                        q.isced_level()
                    ),
                ));
            }
            if !q.source.iter().any(|s| s == "kakehashi-advisory") {
                return Err(table_err(
                    "jp-qualifications",
                    format!(
                        "{}: an EQF level for a Japanese award must cite the advisory basis",
                        q.id
                    ),
                ));
            }
        }
        let mut levels = BTreeSet::new();
        for l in &eqf.level {
            check_sources("eqf", &l.eqf.to_string(), &l.source)?;
            if !levels.insert(l.eqf) || !(1..=8).contains(&l.eqf) || l.isced_level != l.eqf {
                return Err(table_err("eqf", format!("bad level row {}", l.eqf)));
            }
        }
        let mut field_map = BTreeMap::new();
        for f in fields.field {
            let ok = matches!(f.code.len(), 2 | 3) && f.code.bytes().all(|b| b.is_ascii_digit());
            if !ok {
                return Err(table_err("isced-f", format!("bad code {}", f.code)));
            }
            if f.code.len() == 3 && !field_map.contains_key(&f.code[..2]) {
                return Err(table_err(
                    "isced-f",
                    format!("narrow field {} without its broad field", f.code),
                ));
            }
            if field_map.insert(f.code.clone(), f).is_some() {
                return Err(table_err("isced-f", "duplicate code"));
            }
        }
        Ok(Self {
            sources: source_map,
            jp_qualifications: jp.qualification,
            eqf_levels: eqf.level,
            isced_fields: field_map,
        })
    }

    /// Looks a Japanese degree or title up by id or by its Japanese name.
    pub fn jp_qualification(&self, key: &str) -> Option<&JapaneseQualification> {
        self.jp_qualifications
            .iter()
            .find(|q| q.id == key || q.ja == key)
    }

    /// The EQF row for a level.
    pub fn eqf_level(&self, level: u8) -> Option<&EqfLevelRow> {
        self.eqf_levels.iter().find(|l| l.eqf == level)
    }

    /// The ISCED-F field for a code; a four-digit detailed code falls back to its narrow field.
    pub fn isced_field(&self, code: &str) -> Option<&IscedField> {
        self.isced_fields
            .get(code)
            .or_else(|| code.get(..3).and_then(|c| self.isced_fields.get(c)))
    }

    /// A source by id.
    pub fn source(&self, id: &str) -> Option<&Source> {
        self.sources.get(id)
    }
}

/// The ISCED level (first digit) of a three-digit code.
pub fn isced_level_of(code: u16) -> u8 {
    u8::try_from(code / 100).unwrap_or(0)
}

/// Checks an ISCED 2011 tertiary programme code (levels 5 to 8): orientation digit 4, 5 or 6
/// (for level 5 only 4 or 5), and a position digit the level allows.
pub fn validate_isced_code(code: i64) -> Result<u16, AcademicError> {
    let err = || AcademicError::IscedCode(code);
    let c = u16::try_from(code).map_err(|_| err())?;
    let (level, orientation, position) = (c / 100, (c / 10) % 10, c % 10);
    let ok = match level {
        5 => matches!(orientation, 4 | 5) && matches!(position, 1 | 4),
        6 => matches!(orientation, 4..=6) && matches!(position, 1 | 5 | 6 | 7),
        7 => matches!(orientation, 4..=6) && matches!(position, 1 | 6 | 7 | 8),
        8 => matches!(orientation, 4..=6) && matches!(position, 1 | 4),
        _ => false,
    };
    if ok { Ok(c) } else { Err(err()) }
}

/// The credit systems a diploma may state. Values are shown side by side, never converted:
/// the nominal hours differ (a Japanese credit is 45 hours of study, an ECTS credit 25-30).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CreditSystem {
    /// European Credit Transfer and Accumulation System.
    #[serde(rename = "ECTS")]
    Ects,
    /// 単位 under 大学設置基準.
    #[serde(rename = "JP-tani")]
    JapaneseTani,
}

impl CreditSystem {
    /// Nominal hours of study for one credit (inclusive range) and the source id.
    pub const fn nominal_hours(self) -> (u32, u32, &'static str) {
        match self {
            Self::Ects => (25, 30, "ects-guide-2015"),
            Self::JapaneseTani => (45, 45, "jp-university-standards"),
        }
    }

    /// Display name.
    pub const fn label(self, japanese: bool) -> &'static str {
        match (self, japanese) {
            (Self::Ects, false) => "ECTS credits",
            (Self::Ects, true) => "ECTS単位",
            (Self::JapaneseTani, false) => "Japanese credits (単位)",
            (Self::JapaneseTani, true) => "単位",
        }
    }
}

/// The legal framework under which a recognition request is assessed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LegalBasis {
    /// Source ids of the conventions that apply.
    pub conventions: Vec<&'static str>,
    pub explanation_en: &'static str,
    pub explanation_ja: &'static str,
}

/// Which conventions apply between the awarding country and the receiving side.
pub fn legal_basis(awarding_country: &str, receiving_in_japan: bool) -> LegalBasis {
    let awarded_in_japan = awarding_country.eq_ignore_ascii_case("JP");
    match (awarded_in_japan, receiving_in_japan) {
        (true, true) => LegalBasis {
            conventions: vec![],
            explanation_en: "Domestic Japanese qualification: no recognition convention is needed.",
            explanation_ja: "国内の学位・称号のため、承認条約の適用はありません。",
        },
        (false, false) => LegalBasis {
            conventions: vec!["lisbon-convention", "global-convention"],
            explanation_en: "Within the European Region the Lisbon Recognition Convention applies; the Global Convention applies between its parties.",
            explanation_ja: "欧州域内ではリスボン承認条約が適用されます。世界規約は締約国間で適用されます。",
        },
        _ => LegalBasis {
            conventions: vec!["tokyo-convention", "global-convention"],
            explanation_en: "Between Japan and Europe: Japan is a party to the Tokyo Convention and the UNESCO Global Convention, not to the Lisbon Recognition Convention. Recognition follows the Global Convention between its parties and each institution's own procedures otherwise.",
            explanation_ja: "日本と欧州の間：日本は東京規約及びユネスコ世界規約の締約国ですが、リスボン承認条約の締約国ではありません。世界規約の締約国間では同規約に、それ以外は各機関の手続に従います。",
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_load_and_cross_check() {
        let t = tables().unwrap();
        assert_eq!(t.jp_qualifications.len(), 13);
        assert_eq!(t.eqf_levels.len(), 4);
        // Issue 5: the professional J.D. is level 7, not 8; six-year medicine is ISCED 766.
        let jd = t.jp_qualification("法務博士(専門職)").unwrap();
        assert_eq!((jd.isced_level(), jd.eqf_advisory), (7, 7));
        assert_eq!(t.jp_qualification("gakushi-long").unwrap().isced, 766);
        assert_eq!(t.jp_qualification("修士").unwrap().eqf_advisory, 7);
        assert_eq!(t.jp_qualification("博士").unwrap().eqf_advisory, 8);
        assert_eq!(t.eqf_level(7).unwrap().jp_equivalent_ja, "修士相当");
        assert_eq!(t.isced_field("0714").unwrap().code, "071");
        // Every degree and title named by issue 5 is in the table.
        for name in [
            "学士",
            "学士(専門職)",
            "短期大学士",
            "短期大学士(専門職)",
            "修士",
            "修士(専門職)",
            "教職修士(専門職)",
            "法務博士(専門職)",
            "博士",
            "準学士",
            "専門士",
            "高度専門士",
        ] {
            assert!(t.jp_qualification(name).is_some(), "{name}");
        }
    }

    #[test]
    fn table_validation_refuses_bad_rows() {
        let bad_source = JP_QUALIFICATIONS.replacen("\"isced-2011\"", "\"no-such-source\"", 1);
        assert!(matches!(
            Tables::parse(SOURCES, &bad_source, EQF, ISCED_F),
            Err(AcademicError::Table {
                table: "jp-qualifications",
                ..
            })
        ));
        let bad_level = JP_QUALIFICATIONS.replacen("eqf_advisory = 7", "eqf_advisory = 8", 1);
        assert!(Tables::parse(SOURCES, &bad_level, EQF, ISCED_F).is_err());
        let bad_code = JP_QUALIFICATIONS.replacen("isced = 864", "isced = 869", 1);
        assert!(Tables::parse(SOURCES, &bad_code, EQF, ISCED_F).is_err());
    }

    #[test]
    fn isced_codes() {
        for ok in [544, 554, 645, 665, 766, 767, 757, 748, 844, 864] {
            assert!(validate_isced_code(ok).is_ok(), "{ok}");
        }
        for bad in [0, 444, 564, 649, 765, 869, 900, -1, 70_000] {
            assert!(validate_isced_code(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn lisbon_never_applies_to_japan() {
        assert!(
            !legal_basis("JP", false)
                .conventions
                .contains(&"lisbon-convention")
        );
        assert!(
            !legal_basis("DE", true)
                .conventions
                .contains(&"lisbon-convention")
        );
        assert!(
            legal_basis("DE", false)
                .conventions
                .contains(&"lisbon-convention")
        );
    }
}
