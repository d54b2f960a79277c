//! How a qualification reads on the other side, with its sources, and what a person still has
//! to decide.
//!
//! Kakehashi shows the mapping; it never decides recognition. Every level it shows says
//! whether the awarding side stated it or it was derived (advisory), and from which sources.

use serde::{Deserialize, Serialize};

use crate::AcademicError;
use crate::frameworks::{self, IscedField, JapaneseQualification, LegalBasis, Source};
use crate::model::Diploma;

/// The side whose reader looks at the qualification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Reader {
    /// A verifier under EU rules (EQF is its frame of reference).
    Eu,
    /// A verifier in Japan (Japanese degree names are its frame of reference).
    Japan,
}

/// Where a level comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "basis", rename_all = "snake_case")]
pub enum LevelBasis {
    /// Stated in the credential by the awarding side.
    StatedByIssuer,
    /// Derived from the tables; advisory, with the sources of the derivation.
    Advisory { sources: Vec<String> },
    /// Set by the recognition authority's override.
    Override { authority: String },
}

/// A level with its basis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Level {
    pub value: u16,
    #[serde(flatten)]
    pub basis: LevelBasis,
}

/// Text in English and Japanese.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bilingual {
    pub en: String,
    pub ja: String,
}

/// Credits as stated, with the nominal hours of their system; never converted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CreditsView {
    pub amount: f64,
    pub system: frameworks::CreditSystem,
    pub label: Bilingual,
    /// Nominal hours of study per credit in this system (inclusive range).
    pub hours_per_credit: (u32, u32),
    /// Nominal total hours (range), for a person to compare; not a conversion.
    pub nominal_hours: (u32, u32),
    pub source: String,
}

/// The academic part of a recognition report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AcademicMapping {
    pub reader: Reader,
    pub awarding_country: String,
    /// The Japanese degree or title, when the award is Japanese.
    pub japanese_qualification: Option<JapaneseQualification>,
    /// ISCED 2011 programme code.
    pub isced: Option<Level>,
    /// EQF level.
    pub eqf: Option<Level>,
    /// QF-EHEA cycle of the EQF level.
    pub cycle: Option<Bilingual>,
    /// For a Japanese reader: the Japanese display equivalent (`修士相当`).
    pub japanese_equivalent: Option<Bilingual>,
    pub field: Option<IscedField>,
    pub credits: Option<CreditsView>,
    pub legal_basis: LegalBasis,
    /// What a person still has to decide.
    pub to_decide: Vec<Bilingual>,
    /// Every source cited above, in full.
    pub sources: Vec<Source>,
}

/// Overrides of one recognition authority (e.g. an admissions office's own table).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overrides {
    pub authority: String,
    #[serde(default, rename = "rule")]
    pub rules: Vec<OverrideRule>,
}

/// One override: for awards matching the Japanese degree id (or any award from the country),
/// use this EQF level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverrideRule {
    #[serde(default)]
    pub jp_degree: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
    pub eqf: u8,
    pub reason: String,
}

impl Overrides {
    /// Parses and validates an overrides file (TOML).
    pub fn from_toml(text: &str) -> Result<Self, AcademicError> {
        let o: Overrides = toml::from_str(text).map_err(|e| AcademicError::Table {
            table: "overrides",
            problem: e.to_string(),
        })?;
        let t = frameworks::tables()?;
        for r in &o.rules {
            if !(1..=8).contains(&r.eqf) {
                return Err(AcademicError::EqfLevel(i64::from(r.eqf)));
            }
            if let Some(d) = &r.jp_degree
                && t.jp_qualification(d).is_none()
            {
                return Err(AcademicError::UnknownQualification(d.clone()));
            }
            if r.jp_degree.is_none() && r.country.is_none() {
                return Err(AcademicError::Table {
                    table: "overrides",
                    problem: "a rule must name jp_degree or country".into(),
                });
            }
        }
        Ok(o)
    }

    fn find(&self, jp: Option<&JapaneseQualification>, country: &str) -> Option<&OverrideRule> {
        self.rules.iter().find(|r| {
            let degree_ok = match (&r.jp_degree, jp) {
                (Some(want), Some(q)) => *want == q.id || *want == q.ja,
                (Some(_), None) => false,
                (None, _) => true,
            };
            let country_ok = r
                .country
                .as_deref()
                .is_none_or(|c| c.eq_ignore_ascii_case(country));
            degree_ok && country_ok
        })
    }
}

/// Maps a validated diploma for a reader on one side.
pub fn map_qualification(
    diploma: &Diploma,
    reader: Reader,
    overrides: Option<&Overrides>,
) -> Result<AcademicMapping, AcademicError> {
    diploma.validate()?;
    let t = frameworks::tables()?;
    let q = &diploma.qualification;
    let country = diploma.awarding_body.country.clone();
    let jp = q
        .jp_degree
        .as_deref()
        .and_then(|d| t.jp_qualification(d))
        .cloned();
    let mut cited: Vec<String> = Vec::new();
    let mut cite = |ids: &[String]| {
        for id in ids {
            if !cited.contains(id) {
                cited.push(id.clone());
            }
        }
    };

    let isced = match (q.isced_level, &jp) {
        (Some(code), _) => Some(Level {
            value: code,
            basis: LevelBasis::StatedByIssuer,
        }),
        (None, Some(jq)) => {
            let sources: Vec<String> = jq
                .source
                .iter()
                .filter(|s| *s != "kakehashi-advisory")
                .cloned()
                .collect();
            cite(&sources);
            Some(Level {
                value: jq.isced,
                basis: LevelBasis::Advisory { sources },
            })
        }
        (None, None) => None,
    };

    let override_rule = overrides.and_then(|o| o.find(jp.as_ref(), &country).map(|r| (o, r)));
    let eqf = match (override_rule, q.eqf_level, &jp, &isced) {
        (Some((o, r)), ..) => Some(Level {
            value: u16::from(r.eqf),
            basis: LevelBasis::Override {
                authority: o.authority.clone(),
            },
        }),
        (None, Some(l), ..) => Some(Level {
            value: u16::from(l),
            basis: LevelBasis::StatedByIssuer,
        }),
        (None, None, Some(jq), _) => {
            cite(&jq.source);
            Some(Level {
                value: u16::from(jq.eqf_advisory),
                basis: LevelBasis::Advisory {
                    sources: jq.source.clone(),
                },
            })
        }
        (None, None, None, Some(i)) => {
            let row = t.eqf_level(frameworks::isced_level_of(i.value));
            row.map(|r| {
                cite(&r.source);
                Level {
                    value: u16::from(r.eqf),
                    basis: LevelBasis::Advisory {
                        sources: r.source.clone(),
                    },
                }
            })
        }
        (None, None, None, None) => None,
    };

    let eqf_row = eqf
        .as_ref()
        .and_then(|l| u8::try_from(l.value).ok())
        .and_then(|l| t.eqf_level(l));
    if let Some(r) = eqf_row {
        cite(&r.source);
    }
    let cycle = eqf_row.map(|r| Bilingual {
        en: r.cycle_en.clone(),
        ja: r.cycle_ja.clone(),
    });
    // A Japanese reader of a foreign award sees the display equivalent; for a Japanese award
    // the degree name itself is the reference.
    let japanese_equivalent = match (reader, &jp) {
        (Reader::Japan, None) => eqf_row.map(|r| Bilingual {
            en: r.jp_equivalent_en.clone(),
            ja: r.jp_equivalent_ja.clone(),
        }),
        _ => None,
    };

    let field = q
        .isced_field
        .as_deref()
        .and_then(|f| t.isced_field(f))
        .cloned();
    if field.is_some() {
        cite(&["isced-f-2013".to_owned()]);
    }

    let credits = diploma.credits.map(|c| {
        let (lo, hi, source) = c.system.nominal_hours();
        cite(&[source.to_owned()]);
        let total = |h: u32| {
            let v = (c.amount * f64::from(h)).round();
            // Bounded by validate(): amount <= 1000 and h <= 45.
            if v.is_finite() && v >= 0.0 && v <= f64::from(u32::MAX) {
                #[allow(clippy::as_conversions)]
                let n = v as u32;
                n
            } else {
                0
            }
        };
        CreditsView {
            amount: c.amount,
            system: c.system,
            label: Bilingual {
                en: c.system.label(false).into(),
                ja: c.system.label(true).into(),
            },
            hours_per_credit: (lo, hi),
            nominal_hours: (total(lo), total(hi)),
            source: source.into(),
        }
    });

    let legal_basis = frameworks::legal_basis(&country, reader == Reader::Japan);
    cite(
        &legal_basis
            .conventions
            .iter()
            .map(|s| (*s).to_owned())
            .collect::<Vec<_>>(),
    );

    let mut to_decide = vec![Bilingual {
        en: "Whether to recognise the qualification for the intended purpose (admission, employment) is decided by your institution; the levels shown are information, not a decision.".into(),
        ja: "目的（入学・採用等）に対する承認の可否は、貴機関が判断します。表示された水準は情報であり、判断ではありません。".into(),
    }];
    if matches!(
        eqf.as_ref().map(|l| &l.basis),
        Some(LevelBasis::Advisory { .. })
    ) {
        to_decide.push(Bilingual {
            en: "The EQF level is advisory: Japan has no national qualifications framework referenced to the EQF.".into(),
            ja: "EQFレベルは参考値です。日本にはEQFと対応付けられた国家資格枠組みがありません。".into(),
        });
    }
    if diploma.credits.is_some() {
        to_decide.push(Bilingual {
            en: "Credits are shown in their own system and are not converted; compare the nominal hours if credit transfer is needed.".into(),
            ja: "単位は元の制度のまま表示し、換算していません。単位互換が必要な場合は標準学修時間を比較してください。".into(),
        });
    }
    if jp
        .as_ref()
        .is_some_and(|j| j.kind == frameworks::AwardKind::Title)
    {
        to_decide.push(Bilingual {
            en: "This is a title (称号), not a degree (学位): check whether it meets the entry requirement.".into(),
            ja: "これは学位ではなく称号です。入学要件を満たすか確認してください。".into(),
        });
    }

    let sources = cited
        .iter()
        .filter_map(|id| t.source(id).cloned())
        .collect();
    Ok(AcademicMapping {
        reader,
        awarding_country: country,
        japanese_qualification: jp,
        isced,
        eqf,
        cycle,
        japanese_equivalent,
        field,
        credits,
        legal_basis,
        to_decide,
        sources,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests::japanese_master;

    fn eu_master() -> Diploma {
        serde_json::from_value(serde_json::json!({
            "holder": {"family_name": {"en": "Peeters"}, "given_name": {"en": "Lotte"}, "birth_date": "2001-02-03"},
            "awarding_body": {
                "legal_name": {"nl": "Universiteit van Brabant-Leuven", "en": "University of Brabant-Leuven"},
                "country": "BE",
                "legal_identifier": {"scheme": "VAT", "value": "BE0419052173"},
                "erasmus_code": "B  BRABANT01"
            },
            "qualification": {"title": {"en": "Master of Science in Computer Science"}, "eqf_level": 7, "isced_field": "0613"},
            "credits": {"amount": 120.0, "system": "ECTS"},
            "award_date": "2026-07-01",
            "diploma_number": "BL-2026-000042"
        }))
        .unwrap()
    }

    #[test]
    fn japanese_master_read_in_the_eu_is_advisory_eqf_7() {
        let m = map_qualification(&japanese_master(), Reader::Eu, None).unwrap();
        let eqf = m.eqf.unwrap();
        assert_eq!(eqf.value, 7);
        assert!(
            matches!(eqf.basis, LevelBasis::Advisory { ref sources } if sources.contains(&"uis-mapping-jp".to_string()))
        );
        assert_eq!(m.isced.unwrap().value, 767);
        assert!(m.sources.iter().any(|s| s.id == "tokyo-convention"));
        assert!(m.sources.iter().all(|s| s.id != "lisbon-convention"));
        let credits = m.credits.unwrap();
        assert_eq!(credits.nominal_hours, (1350, 1350));
        assert!(m.to_decide.iter().any(|d| d.en.contains("advisory")));
    }

    #[test]
    fn eu_master_read_in_japan_is_shushi_equivalent() {
        let m = map_qualification(&eu_master(), Reader::Japan, None).unwrap();
        assert_eq!(m.eqf.as_ref().unwrap().basis, LevelBasis::StatedByIssuer);
        assert_eq!(m.japanese_equivalent.unwrap().ja, "修士相当");
        assert_eq!(m.credits.unwrap().nominal_hours, (3000, 3600));
        assert_eq!(m.field.unwrap().code, "061");
    }

    #[test]
    fn overrides_apply_and_are_validated() {
        let o = Overrides::from_toml(
            "authority = \"Admissions, University of Brabant-Leuven\"\n[[rule]]\njp_degree = \"修士\"\neqf = 6\nreason = \"programme review\"\n",
        )
        .unwrap();
        let m = map_qualification(&japanese_master(), Reader::Eu, Some(&o)).unwrap();
        assert_eq!(m.eqf.as_ref().unwrap().value, 6);
        assert!(matches!(m.eqf.unwrap().basis, LevelBasis::Override { .. }));
        assert!(
            Overrides::from_toml(
                "authority = \"x\"\n[[rule]]\neqf = 9\njp_degree = \"修士\"\nreason = \"\"\n"
            )
            .is_err()
        );
        assert!(
            Overrides::from_toml("authority = \"x\"\n[[rule]]\neqf = 7\nreason = \"\"\n").is_err()
        );
    }
}
