//! ELM v3 (European Learning Model) credential → canonical [`Diploma`].
//!
//! Only a `LearningAchievement` (an awarded qualification) becomes a diploma; a
//! `LearningActivity` (participation) or `LearningEntitlement` does not, and the reason says
//! so. ELM text is a language map (`{"en": "…"}`), as in the canonical model. ELM dates are
//! `xsd:dateTime`; the canonical date is the UTC calendar date as written (the Europass tools
//! store local midnight in UTC, so a `…T22:00:00Z` value can be the day before the local date).

use kakehashi_academic::frameworks::{self, CreditSystem};
use kakehashi_academic::model::{
    AwardingBody, Credits, Diploma, Holder, LegalIdentifier, Qualification,
};
use kakehashi_core::LangMap;
use serde_json::Value;

/// What an ELM credential maps to.
#[derive(Debug, Clone, PartialEq)]
pub enum Mapping {
    /// An awarded qualification, validated.
    Diploma(Box<Diploma>),
    /// Not a diploma, or missing what the canonical model requires.
    NotADiploma(String),
}

/// A short description of the credential, whatever its claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialSummary {
    pub id: Option<String>,
    pub types: Vec<String>,
    /// `type` of the first claim (`LearningAchievement`, `LearningActivity`, …).
    pub claim_type: Option<String>,
    /// Title of the first claim (English when present).
    pub title: Option<String>,
}

/// The first element of an ELM value that may be a single object or an array.
fn first(v: Option<&Value>) -> Option<&Value> {
    match v? {
        Value::Array(a) => a.first(),
        other => Some(other),
    }
}

fn type_of(v: &Value) -> Option<&str> {
    match v.get("type")? {
        Value::String(s) => Some(s),
        Value::Array(a) => a.iter().filter_map(Value::as_str).find(|t| *t != "Concept"),
        _ => None,
    }
}

/// An ELM language map (values a string or a list of strings) as a [`LangMap`]; entries
/// with a tag that is not BCP 47 are dropped.
fn lang_map(v: Option<&Value>) -> LangMap {
    let mut out = LangMap::default();
    if let Some(Value::Object(m)) = v {
        for (tag, text) in m {
            let text = match text {
                Value::String(s) => Some(s.as_str()),
                Value::Array(a) => a.first().and_then(Value::as_str),
                _ => None,
            };
            if let Some(t) = text {
                out = out.clone().with(tag, t.trim()).unwrap_or(out);
            }
        }
    }
    out
}

/// The last path segment of a concept URI (`…/country/BEL` → `BEL`).
fn concept_code(v: Option<&Value>) -> Option<&str> {
    let id = v?.get("id")?.as_str()?;
    id.rsplit('/').next().filter(|s| !s.is_empty())
}

/// `YYYY-MM-DD` of an `xsd:date` or `xsd:dateTime`.
fn date_part(v: Option<&Value>) -> Option<String> {
    let s = v?.as_str()?;
    let d = s.get(..10)?;
    kakehashi_academic::model::check_date(d).ok()?;
    Some(d.to_owned())
}

/// ISO 3166-1 alpha-2 of a Publications Office country authority code (alpha-3): the EU,
/// the EEA, candidate and partner countries Europass credentials come from, and Japan.
fn alpha2(code: &str) -> Option<&'static str> {
    const TABLE: &[(&str, &str)] = &[
        ("AUT", "AT"),
        ("BEL", "BE"),
        ("BGR", "BG"),
        ("HRV", "HR"),
        ("CYP", "CY"),
        ("CZE", "CZ"),
        ("DNK", "DK"),
        ("EST", "EE"),
        ("FIN", "FI"),
        ("FRA", "FR"),
        ("DEU", "DE"),
        ("GRC", "GR"),
        ("HUN", "HU"),
        ("IRL", "IE"),
        ("ITA", "IT"),
        ("LVA", "LV"),
        ("LTU", "LT"),
        ("LUX", "LU"),
        ("MLT", "MT"),
        ("NLD", "NL"),
        ("POL", "PL"),
        ("PRT", "PT"),
        ("ROU", "RO"),
        ("SVK", "SK"),
        ("SVN", "SI"),
        ("ESP", "ES"),
        ("SWE", "SE"),
        ("ISL", "IS"),
        ("LIE", "LI"),
        ("NOR", "NO"),
        ("CHE", "CH"),
        ("GBR", "GB"),
        ("TUR", "TR"),
        ("MKD", "MK"),
        ("SRB", "RS"),
        ("MNE", "ME"),
        ("ALB", "AL"),
        ("BIH", "BA"),
        ("UKR", "UA"),
        ("MDA", "MD"),
        ("JPN", "JP"),
    ];
    TABLE.iter().find(|(a3, _)| *a3 == code).map(|(_, a2)| *a2)
}

fn country_of(v: Option<&Value>) -> Option<&'static str> {
    concept_code(v).and_then(alpha2)
}

/// Describes the credential (unauthenticated if it was not sealed).
pub fn summarise(credential: &Value) -> CredentialSummary {
    let claim = first(credential.get("credentialSubject")).and_then(|s| first(s.get("hasClaim")));
    let types = match credential.get("type") {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    };
    CredentialSummary {
        id: credential
            .get("id")
            .and_then(Value::as_str)
            .map(str::to_owned),
        types,
        claim_type: claim.and_then(type_of).map(str::to_owned),
        title: claim.and_then(|c| {
            let t = lang_map(c.get("title"));
            t.best("en").map(str::to_owned)
        }),
    }
}

/// Maps an ELM v3 credential to the canonical diploma.
pub fn map_credential(credential: &Value) -> Mapping {
    match try_map(credential) {
        Ok(d) => Mapping::Diploma(Box::new(d)),
        Err(reason) => Mapping::NotADiploma(reason),
    }
}

fn try_map(credential: &Value) -> Result<Diploma, String> {
    let subject = first(credential.get("credentialSubject"))
        .ok_or("the credential has no credentialSubject")?;
    let claim = first(subject.get("hasClaim")).ok_or("the credential subject has no claim")?;
    match type_of(claim) {
        Some("LearningAchievement") => {}
        Some(other) => {
            return Err(format!(
                "the claim is a {other}, not a LearningAchievement: nothing was awarded"
            ));
        }
        None => return Err("the claim has no type".into()),
    }
    let awarded = first(claim.get("awardedBy")).ok_or("the achievement has no awardedBy")?;
    let body = first(awarded.get("awardingBody")).ok_or("the achievement has no awarding body")?;
    let awarding_body = awarding_body(body)?;
    let spec = first(claim.get("specifiedBy"));
    let mut title = spec.map(|s| lang_map(s.get("title"))).unwrap_or_default();
    if title.is_empty() {
        title = lang_map(claim.get("title"));
    }
    let eqf_level = spec
        .and_then(|s| concept_code(s.get("eqfLevel")))
        .and_then(|c| c.parse::<u8>().ok());
    let tables = frameworks::tables().map_err(|e| e.to_string())?;
    let isced_field = spec.and_then(|s| isced_field(s.get("thematicArea"), tables));
    let credits = spec.and_then(|s| ects(s.get("creditPoint")));
    let award_date = date_part(awarded.get("awardingDate"))
        .or_else(|| date_part(credential.get("issued")))
        .or_else(|| date_part(credential.get("issuanceDate")))
        .or_else(|| date_part(credential.get("validFrom")))
        .ok_or("no awarding date, issue date or validFrom")?;
    let diploma = Diploma {
        holder: Holder {
            family_name: lang_map(subject.get("familyName")),
            given_name: lang_map(subject.get("givenName")),
            birth_date: date_part(subject.get("dateOfBirth")),
        },
        awarding_body,
        qualification: Qualification {
            title,
            jp_degree: None,
            field: None,
            eqf_level,
            isced_level: None,
            isced_field,
        },
        credits,
        award_date,
        diploma_number: credential
            .get("id")
            .and_then(Value::as_str)
            .ok_or("the credential has no id")?
            .to_owned(),
        thesis_title: None,
    };
    diploma.validate().map_err(|e| e.to_string())?;
    Ok(diploma)
}

/// The ISCED-F field of the thematic areas: detailed (four-digit) codes first, each reduced to
/// its longest prefix the framework tables know (`0688` becomes `06` when the tables hold the
/// broad field only), so the canonical value is never more precise than what can be checked.
fn isced_field(areas: Option<&Value>, tables: &frameworks::Tables) -> Option<String> {
    let mut codes: Vec<&str> = match areas? {
        Value::Array(a) => a.iter().filter_map(|t| concept_code(Some(t))).collect(),
        other => concept_code(Some(other)).into_iter().collect(),
    };
    codes.retain(|c| (2..=4).contains(&c.len()) && c.bytes().all(|b| b.is_ascii_digit()));
    codes.sort_by_key(|c| std::cmp::Reverse(c.len()));
    codes.iter().find_map(|code| {
        (2..=code.len())
            .rev()
            .filter_map(|n| code.get(..n))
            .find(|prefix| tables.isced_field(prefix).is_some())
            .map(str::to_owned)
    })
}

/// ECTS credits of a `creditPoint` (other credit frameworks are not mapped).
fn ects(v: Option<&Value>) -> Option<Credits> {
    let items: Vec<&Value> = match v? {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    items.into_iter().find_map(|c| {
        let framework = c.get("framework")?;
        let is_ects = concept_code(Some(framework)) == Some("6fcec5c5af")
            || lang_map(framework.get("prefLabel")).best("en")
                == Some("European Credit Transfer System");
        if !is_ects {
            return None;
        }
        let amount = match c.get("point")? {
            Value::String(s) => s.trim().parse::<f64>().ok()?,
            Value::Number(n) => n.as_f64()?,
            _ => return None,
        };
        Some(Credits {
            amount,
            system: CreditSystem::Ects,
        })
    })
}

fn awarding_body(body: &Value) -> Result<AwardingBody, String> {
    let legal_name = lang_map(body.get("legalName"));
    let location = first(body.get("location"));
    let country = country_of(
        location
            .and_then(|l| first(l.get("address")))
            .and_then(|a| a.get("countryCode")),
    )
    .or_else(|| country_of(body.get("vatIdentifier").and_then(|v| v.get("spatial"))))
    .or_else(|| country_of(body.get("registration").and_then(|v| v.get("spatial"))))
    .ok_or("the awarding body has no country the model knows")?;
    let legal_identifier = legal_identifier(body, country).ok_or(
        "the awarding body has no VAT, EUID or eIDAS identifier (a national registration number \
         alone cannot be matched to a seal certificate)",
    )?;
    let erasmus_code = match body.get("identifier") {
        Some(Value::Array(a)) => a.iter().find_map(erasmus),
        Some(v) => erasmus(v),
        None => None,
    };
    Ok(AwardingBody {
        legal_name,
        country: country.to_owned(),
        legal_identifier,
        school_code: None,
        erasmus_code,
    })
}

fn erasmus(identifier: &Value) -> Option<String> {
    let scheme = identifier.get("schemeName")?.as_str()?;
    scheme
        .to_ascii_lowercase()
        .contains("erasmus")
        .then(|| identifier.get("notation")?.as_str().map(str::to_owned))
        .flatten()
}

/// `vatIdentifier` (country prefix added when missing), else an `eIDASIdentifier` in the
/// organizationIdentifier form (`VATES-A00000000`, `EUID-…`).
fn legal_identifier(body: &Value, country: &str) -> Option<LegalIdentifier> {
    if let Some(vat) = first(body.get("vatIdentifier"))
        .and_then(|v| v.get("notation"))
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        let vat = if vat.starts_with(country) {
            vat.to_owned()
        } else {
            format!("{country}{vat}")
        };
        return Some(LegalIdentifier::Vat(vat));
    }
    let eidas = first(body.get("eIDASIdentifier"))?
        .get("notation")?
        .as_str()?
        .trim();
    if let Some(rest) = eidas.strip_prefix("EUID-") {
        return Some(LegalIdentifier::Euid(rest.to_owned()));
    }
    let rest = eidas.strip_prefix("VAT")?;
    let (cc, number) = rest.split_once('-')?;
    (cc.len() == 2).then(|| LegalIdentifier::Vat(format!("{cc}{number}")))
}
