//! The recognition report a verifier files for each verified credential: cryptographic
//! validity, trust class, issuer authorisation, the academic mapping with its sources, and
//! what a person still has to decide — in English and Japanese.
//!
//! The findings are plain data handed in by the verifier after the credential, trust and status
//! checks ran; this module only assembles and renders them, so the same report is the JSON
//! body, the HTML page and the PDF.

use serde::Serialize;

use crate::recognition::{AcademicMapping, Bilingual, LevelBasis};

/// Outcome of the cryptographic checks (signature, key binding, status).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CredentialFinding {
    /// `dc+sd-jwt` or `jwt_vc_json`.
    pub format: String,
    pub signature_valid: bool,
    pub key_binding_valid: bool,
    /// `valid`, `revoked`, `suspended`, or `unknown` when no status was given.
    pub status: String,
    /// Claims the holder disclosed (paths), so the reader knows what was withheld.
    pub disclosed: Vec<String>,
}

/// Outcome of the trust evaluation against both sides' trusted lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrustFinding {
    pub trusted: bool,
    /// e.g. `qualified-equivalent seal`.
    pub trust_class: Option<String>,
    /// Human-readable explanation lines from the trust layer.
    pub explanation: Vec<String>,
}

/// Whether the sealing organisation is an authorised university.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuthorisationFinding {
    pub authorised: bool,
    /// The register consulted (e.g. `JPlist universities`, `EU national list`).
    pub register: String,
    pub detail: String,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecognitionReport {
    pub credential: CredentialFinding,
    pub trust: TrustFinding,
    pub authorisation: AuthorisationFinding,
    pub qualification_title: Bilingual,
    pub awarding_body: Bilingual,
    pub academic: AcademicMapping,
    /// True only when every check passed; the academic part is information either way.
    pub verified: bool,
}

impl RecognitionReport {
    /// Assembles a report; `verified` is derived, never passed in.
    pub fn new(
        credential: CredentialFinding,
        trust: TrustFinding,
        authorisation: AuthorisationFinding,
        qualification_title: Bilingual,
        awarding_body: Bilingual,
        academic: AcademicMapping,
    ) -> Self {
        let verified = credential.signature_valid
            && credential.key_binding_valid
            && credential.status == "valid"
            && trust.trusted
            && authorisation.authorised;
        Self {
            credential,
            trust,
            authorisation,
            qualification_title,
            awarding_body,
            academic,
            verified,
        }
    }

    /// The report as (heading, lines) sections in one language (`en` or `ja`), the common
    /// source of the HTML and PDF renderings.
    pub fn sections(&self, lang: Lang) -> Vec<(String, Vec<String>)> {
        let ja = lang == Lang::Ja;
        let pick = |b: &Bilingual| if ja { b.ja.clone() } else { b.en.clone() };
        // Names of the award and the institution are shown in both languages: the original
        // wording is what a registrar compares with the paper diploma.
        let both = |b: &Bilingual| {
            let (first, second) = if ja { (&b.ja, &b.en) } else { (&b.en, &b.ja) };
            if first == second || second.is_empty() {
                first.clone()
            } else {
                format!("{first} — {second}")
            }
        };
        let yes_no = |v: bool| -> String {
            match (v, ja) {
                (true, false) => "yes".into(),
                (false, false) => "NO".into(),
                (true, true) => "はい".into(),
                (false, true) => "いいえ".into(),
            }
        };
        let t = |en: &str, jp: &str| -> String { if ja { jp.into() } else { en.into() } };
        let mut out = Vec::new();

        out.push((
            t("Result", "結果"),
            vec![if self.verified {
                t(
                    "VERIFIED: every check passed.",
                    "検証済み：すべての確認に合格しました。",
                )
            } else {
                t(
                    "NOT VERIFIED: see the failed check below.",
                    "未検証：下記の不合格項目を確認してください。",
                )
            }],
        ));
        out.push((
            t("Qualification", "学位・資格"),
            vec![
                format!(
                    "{}: {}",
                    t("Title", "学位名"),
                    both(&self.qualification_title)
                ),
                format!(
                    "{}: {}",
                    t("Awarding body", "授与機関"),
                    both(&self.awarding_body)
                ),
                format!(
                    "{}: {}",
                    t("Awarded in", "授与国"),
                    self.academic.awarding_country
                ),
            ],
        ));
        let c = &self.credential;
        out.push((
            t("Credential checks", "資格証明の確認"),
            vec![
                format!("{}: {}", t("Format", "形式"), c.format),
                format!(
                    "{}: {}",
                    t("Issuer seal valid", "発行者の電子シール"),
                    yes_no(c.signature_valid)
                ),
                format!(
                    "{}: {}",
                    t("Holder key binding valid", "保持者の鍵の確認"),
                    yes_no(c.key_binding_valid)
                ),
                format!("{}: {}", t("Status", "失効状態"), c.status),
                format!(
                    "{}: {}",
                    t("Disclosed claims", "開示された項目"),
                    c.disclosed.join(", ")
                ),
            ],
        ));
        let mut trust = vec![format!(
            "{}: {}",
            t("Trusted", "信頼"),
            yes_no(self.trust.trusted)
        )];
        if let Some(class) = &self.trust.trust_class {
            trust.push(format!("{}: {}", t("Trust class", "信頼クラス"), class));
        }
        trust.extend(self.trust.explanation.iter().cloned());
        out.push((t("Trust", "信頼性"), trust));
        out.push((
            t("Issuer authorisation", "発行者の認可"),
            vec![
                format!(
                    "{}: {}",
                    t("Authorised", "認可"),
                    yes_no(self.authorisation.authorised)
                ),
                format!(
                    "{}: {}",
                    t("Register", "登録簿"),
                    self.authorisation.register
                ),
                self.authorisation.detail.clone(),
            ],
        ));

        let a = &self.academic;
        let basis = |b: &LevelBasis| -> String {
            match b {
                LevelBasis::StatedByIssuer => t("stated by the issuer", "発行者による記載"),
                LevelBasis::Advisory { sources } => {
                    format!("{} ({})", t("advisory", "参考"), sources.join(", "))
                }
                LevelBasis::Override { authority } => {
                    format!("{} {authority}", t("override by", "上書き："))
                }
            }
        };
        let mut academic = Vec::new();
        if let Some(q) = &a.japanese_qualification {
            academic.push(format!(
                "{}: {} ({})",
                t("Japanese degree", "日本の学位"),
                q.ja,
                q.en
            ));
        }
        if let Some(l) = &a.eqf {
            academic.push(format!("EQF {}: {}", l.value, basis(&l.basis)));
        }
        if let Some(c) = &a.cycle {
            academic.push(pick(c));
        }
        if let Some(l) = &a.isced {
            academic.push(format!("ISCED 2011 {}: {}", l.value, basis(&l.basis)));
        }
        if let Some(eq) = &a.japanese_equivalent {
            academic.push(format!(
                "{}: {}",
                t("Japanese equivalent", "日本での相当"),
                pick(eq)
            ));
        }
        if let Some(f) = &a.field {
            academic.push(format!(
                "ISCED-F {}: {}",
                f.code,
                if ja { &f.ja } else { &f.en }
            ));
        }
        if let Some(cr) = &a.credits {
            academic.push(format!(
                "{}: {} {} ({}–{} h/credit; {}–{} h {})",
                t("Credits", "単位"),
                cr.amount,
                pick(&cr.label),
                cr.hours_per_credit.0,
                cr.hours_per_credit.1,
                cr.nominal_hours.0,
                cr.nominal_hours.1,
                t("nominal, not converted", "標準、換算なし")
            ));
        }
        out.push((t("Academic level", "学位の水準"), academic));
        out.push((
            t("Legal basis", "法的根拠"),
            vec![if ja {
                a.legal_basis.explanation_ja.to_owned()
            } else {
                a.legal_basis.explanation_en.to_owned()
            }],
        ));
        out.push((
            t("For you to decide", "判断が必要な事項"),
            a.to_decide.iter().map(pick).collect(),
        ));
        out.push((
            t("Sources", "出典"),
            a.sources
                .iter()
                .map(|s| format!("[{}] {} — {}", s.id, s.title, s.publisher))
                .collect(),
        ));
        out
    }

    /// Plain-text rendering (for the command line and logs of the verifier's own systems).
    pub fn to_text(&self, lang: Lang) -> String {
        let mut s = String::new();
        for (heading, lines) in self.sections(lang) {
            s.push_str(&heading);
            s.push('\n');
            for l in lines {
                s.push_str("  ");
                s.push_str(&l);
                s.push('\n');
            }
        }
        s
    }
}

/// Report language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Ja,
}

impl Lang {
    /// `ja…` is Japanese, anything else English.
    pub fn from_tag(tag: &str) -> Self {
        if tag.to_ascii_lowercase().starts_with("ja") {
            Self::Ja
        } else {
            Self::En
        }
    }

    /// The language tag (`en`, `ja`), as reports are keyed in stored results.
    pub fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Ja => "ja",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests::japanese_master;
    use crate::recognition::{Reader, map_qualification};

    fn report(trusted: bool) -> RecognitionReport {
        let d = japanese_master();
        RecognitionReport::new(
            CredentialFinding {
                format: "jwt_vc_json".into(),
                signature_valid: true,
                key_binding_valid: true,
                status: "valid".into(),
                disclosed: vec!["/qualification".into()],
            },
            TrustFinding {
                trusted,
                trust_class: trusted.then(|| "qualified-equivalent seal".into()),
                explanation: vec!["chain to JP accredited e-seal CA".into()],
            },
            AuthorisationFinding {
                authorised: true,
                register: "JPlist universities".into(),
                detail: "Corporate Number 7000012050002".into(),
            },
            Bilingual {
                en: "Master of Engineering".into(),
                ja: "修士(工学)".into(),
            },
            Bilingual {
                en: "Morinomiyako National University".into(),
                ja: "国立大学法人杜の都大学".into(),
            },
            map_qualification(&d, Reader::Eu, None).unwrap(),
        )
    }

    #[test]
    fn verified_is_derived() {
        assert!(report(true).verified);
        assert!(!report(false).verified);
    }

    #[test]
    fn renders_both_languages() {
        let r = report(true);
        let en = r.to_text(Lang::En);
        assert!(en.contains("EQF 7: advisory"), "{en}");
        assert!(en.contains("Tokyo Convention"));
        let ja = r.to_text(Lang::Ja);
        assert!(ja.contains("EQF 7: 参考"), "{ja}");
        assert!(ja.contains("判断が必要な事項"));
        assert!(ja.contains("修士(工学)"));
    }
}
