//! The Open Badges 3.0 profile: `OpenBadgeCredential` / `AchievementCredential`.
//!
//! [`check_open_badge`] applies the OB 3.0 rules the data model does not know (OB context,
//! `Profile` issuer, `AchievementSubject` with an `Achievement`) and returns an
//! [`AchievementView`]: a typed, read-only projection the academic-profile crate maps to its
//! diploma model. JSON Schema validation with the OB 3.0 schema is separate
//! ([`crate::validate_schemas`]): the caller supplies the schema.

use kakehashi_core::UnixTime;
use serde_json::{Map, Value};

use crate::error::{VcError, snippet};
use crate::model::{CredentialView, is_url};

/// Prefix of the versioned OB 3.0 context URLs (`context-3.0.3.json`, ...).
pub const OB3_CONTEXT_PREFIX: &str = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.";

/// The OB 3.0 `AchievementType` vocabulary; `ext:` names are extensions.
pub const ACHIEVEMENT_TYPES: &[&str] = &[
    "Achievement",
    "ApprenticeshipCertificate",
    "Assessment",
    "Assignment",
    "AssociateDegree",
    "Award",
    "Badge",
    "BachelorDegree",
    "Certificate",
    "CertificateOfCompletion",
    "Certification",
    "CommunityService",
    "Competency",
    "Course",
    "CoCurricular",
    "Degree",
    "Diploma",
    "DoctoralDegree",
    "Fieldwork",
    "GeneralEducationDevelopment",
    "JourneymanCertificate",
    "LearningProgram",
    "License",
    "Membership",
    "ProfessionalDoctorate",
    "QualityAssuranceCredential",
    "MasterCertificate",
    "MasterDegree",
    "MicroCredential",
    "ResearchDoctorate",
    "SecondarySchoolDiploma",
];

/// An issuer or creator `Profile`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ProfileView {
    /// The profile's URL.
    pub id: String,
    /// `name`.
    pub name: Option<String>,
    /// `url` (home page).
    pub url: Option<String>,
    /// `parentOrg`, when present.
    pub parent_org: Option<Box<ProfileView>>,
    /// `otherIdentifier` entries.
    pub other_identifiers: Vec<IdentifierEntryView>,
}

/// An `IdentifierEntry` (`otherIdentifier`): e.g. a national qualification code.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct IdentifierEntryView {
    /// `identifier`.
    pub identifier: String,
    /// `identifierType` (`identifier`, `sourcedId`, `ext:...`).
    pub identifier_type: String,
}

/// An `Alignment` to a framework item (ESCO, a qualifications framework, CASE).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AlignmentView {
    /// `targetName`.
    pub target_name: String,
    /// `targetUrl`.
    pub target_url: String,
    /// `targetCode`.
    pub target_code: Option<String>,
    /// `targetFramework`.
    pub target_framework: Option<String>,
    /// `targetType` (`CFItem`, `CTDL`, `ext:...`).
    pub target_type: Option<String>,
    /// `targetDescription`.
    pub target_description: Option<String>,
}

/// A `ResultDescription`: what kind of result (grade, GPA, level) the achievement records.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResultDescriptionView {
    /// `id`.
    pub id: String,
    /// `name`.
    pub name: String,
    /// `resultType` (`GradePointAverage`, `LetterGrade`, `ext:...`).
    pub result_type: String,
    /// `allowedValue`.
    pub allowed_values: Vec<String>,
}

/// A `Result` the subject obtained.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResultView {
    /// `resultDescription`: the id of the matching [`ResultDescriptionView`].
    pub result_description: Option<String>,
    /// `value`.
    pub value: Option<String>,
    /// `status` (`Completed`, `Enrolled`, ...).
    pub status: Option<String>,
    /// `achievedLevel`.
    pub achieved_level: Option<String>,
}

/// The `Achievement` that was awarded.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct AchievementDefinition {
    /// `id`.
    pub id: String,
    /// `name`.
    pub name: String,
    /// `description`.
    pub description: Option<String>,
    /// `achievementType`, as written (a vocabulary value or `ext:` name).
    pub achievement_type: Option<String>,
    /// `criteria.id`.
    pub criteria_id: Option<String>,
    /// `criteria.narrative`.
    pub criteria_narrative: Option<String>,
    /// `creditsAvailable`.
    pub credits_available: Option<f64>,
    /// `fieldOfStudy`.
    pub field_of_study: Option<String>,
    /// `specialization`.
    pub specialization: Option<String>,
    /// `humanCode`.
    pub human_code: Option<String>,
    /// `inLanguage`.
    pub in_language: Option<String>,
    /// `creator`.
    pub creator: Option<ProfileView>,
    /// `alignment`.
    pub alignments: Vec<AlignmentView>,
    /// `resultDescription`.
    pub result_descriptions: Vec<ResultDescriptionView>,
    /// `otherIdentifier`.
    pub other_identifiers: Vec<IdentifierEntryView>,
}

/// An Open Badges 3.0 achievement credential, read-only and typed.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct AchievementView {
    /// The credential `id`.
    pub credential_id: Option<String>,
    /// The credential `name`.
    pub credential_name: Option<String>,
    /// The issuer profile.
    pub issuer: ProfileView,
    /// `credentialSubject.id` (the learner), if any.
    pub subject_id: Option<String>,
    /// The achievement.
    pub achievement: AchievementDefinition,
    /// `credentialSubject.result`.
    pub results: Vec<ResultView>,
    /// `credentialSubject.creditsEarned`.
    pub credits_earned: Option<f64>,
    /// `credentialSubject.activityStartDate` as written.
    pub activity_start_date: Option<String>,
    /// `credentialSubject.activityEndDate` as written.
    pub activity_end_date: Option<String>,
    /// `credentialSubject.term`.
    pub term: Option<String>,
    /// `credentialSubject.licenseNumber`.
    pub license_number: Option<String>,
    /// `awardedDate` as written.
    pub awarded_date: Option<String>,
    /// The credential's `validFrom`.
    pub valid_from: Option<UnixTime>,
    /// The credential's `validUntil`.
    pub valid_until: Option<UnixTime>,
}

/// Checks the OB 3.0 profile rules and builds the [`AchievementView`].
pub fn check_open_badge(view: &CredentialView) -> Result<AchievementView, VcError> {
    if !(view.has_type("OpenBadgeCredential") || view.has_type("AchievementCredential")) {
        return Err(ob(
            "type must include OpenBadgeCredential or AchievementCredential",
        ));
    }
    if !view.context_urls().iter().any(|c| is_ob3_context(c)) {
        return Err(ob(format!(
            "@context must include {OB3_CONTEXT_PREFIX}<n>.json"
        )));
    }
    let issuer = view
        .issuer_object()
        .ok_or_else(|| ob("issuer must be a Profile object"))
        .and_then(|o| profile(o, "issuer"))?;
    let subjects = view.subjects();
    let [subject] = subjects.as_slice() else {
        return Err(ob("credentialSubject must be a single AchievementSubject"));
    };
    require_type(subject, "AchievementSubject", "credentialSubject")?;
    let achievement = subject
        .get("achievement")
        .and_then(Value::as_object)
        .ok_or_else(|| ob("credentialSubject.achievement is missing"))?;
    let achievement = achievement_definition(achievement)?;
    for (i, identity) in objects(subject, "identifier", "credentialSubject.identifier")?
        .into_iter()
        .enumerate()
    {
        let path = format!("credentialSubject.identifier[{i}]");
        require_type(identity, "IdentityObject", &path)?;
        for field in ["identityHash", "identityType"] {
            required_str(identity, field, &path)?;
        }
        if !identity.get("hashed").is_some_and(Value::is_boolean) {
            return Err(ob(format!("{path}.hashed must be a boolean")));
        }
    }
    let mut results = Vec::new();
    for (i, result) in objects(subject, "result", "credentialSubject.result")?
        .into_iter()
        .enumerate()
    {
        let path = format!("credentialSubject.result[{i}]");
        require_type(result, "Result", &path)?;
        let alignments = objects(result, "alignment", &format!("{path}.alignment"))?;
        for (j, a) in alignments.into_iter().enumerate() {
            alignment(a, &format!("{path}.alignment[{j}]"))?;
        }
        results.push(ResultView {
            result_description: text(result, "resultDescription"),
            value: text(result, "value"),
            status: text(result, "status"),
            achieved_level: text(result, "achievedLevel"),
        });
    }
    let document = view.document();
    Ok(AchievementView {
        credential_id: view.id().map(str::to_owned),
        credential_name: text(document, "name"),
        issuer,
        subject_id: text(subject, "id"),
        achievement,
        results,
        credits_earned: number(subject, "creditsEarned", "credentialSubject")?,
        activity_start_date: text(subject, "activityStartDate"),
        activity_end_date: text(subject, "activityEndDate"),
        term: text(subject, "term"),
        license_number: text(subject, "licenseNumber"),
        awarded_date: text(document, "awardedDate"),
        valid_from: view.valid_from(),
        valid_until: view.valid_until(),
    })
}

/// True for `https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.<n>.json`.
pub fn is_ob3_context(url: &str) -> bool {
    url.strip_prefix(OB3_CONTEXT_PREFIX)
        .and_then(|rest| rest.strip_suffix(".json"))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

fn achievement_definition(a: &Map<String, Value>) -> Result<AchievementDefinition, VcError> {
    let path = "credentialSubject.achievement";
    require_type(a, "Achievement", path)?;
    let id = url(a, "id", path)?;
    let name = required_str(a, "name", path)?;
    let criteria = a
        .get("criteria")
        .and_then(Value::as_object)
        .ok_or_else(|| ob(format!("{path}.criteria is missing")))?;
    let criteria_id = criteria
        .get("id")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let criteria_narrative = text(criteria, "narrative");
    if criteria_id.is_none() && criteria_narrative.is_none() {
        return Err(ob(format!("{path}.criteria needs an id or a narrative")));
    }
    let achievement_type = match a.get("achievementType") {
        None => None,
        Some(Value::String(t))
            if ACHIEVEMENT_TYPES.contains(&t.as_str())
                || t.strip_prefix("ext:").is_some_and(|n| !n.is_empty()) =>
        {
            Some(t.clone())
        }
        Some(other) => {
            return Err(ob(format!(
                "{path}.achievementType {} is not in the vocabulary",
                snippet(&other.to_string())
            )));
        }
    };
    let credits_available = number(a, "creditsAvailable", path)?;
    let creator = a
        .get("creator")
        .map(|c| {
            c.as_object()
                .ok_or_else(|| ob(format!("{path}.creator must be a Profile")))
                .and_then(|o| profile(o, &format!("{path}.creator")))
        })
        .transpose()?;
    let alignments = objects(a, "alignment", &format!("{path}.alignment"))?
        .into_iter()
        .enumerate()
        .map(|(i, x)| alignment(x, &format!("{path}.alignment[{i}]")))
        .collect::<Result<_, _>>()?;
    let mut result_descriptions = Vec::new();
    for (i, rd) in objects(a, "resultDescription", &format!("{path}.resultDescription"))?
        .into_iter()
        .enumerate()
    {
        let p = format!("{path}.resultDescription[{i}]");
        require_type(rd, "ResultDescription", &p)?;
        result_descriptions.push(ResultDescriptionView {
            id: required_str(rd, "id", &p)?,
            name: required_str(rd, "name", &p)?,
            result_type: required_str(rd, "resultType", &p)?,
            allowed_values: rd
                .get("allowedValue")
                .and_then(Value::as_array)
                .map(|v| {
                    v.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
        });
    }
    Ok(AchievementDefinition {
        id,
        name,
        description: text(a, "description"),
        achievement_type,
        criteria_id,
        criteria_narrative,
        credits_available,
        field_of_study: text(a, "fieldOfStudy"),
        specialization: text(a, "specialization"),
        human_code: text(a, "humanCode"),
        in_language: text(a, "inLanguage"),
        creator,
        alignments,
        result_descriptions,
        other_identifiers: identifier_entries(a, path)?,
    })
}

fn profile(p: &Map<String, Value>, path: &str) -> Result<ProfileView, VcError> {
    require_type(p, "Profile", path)?;
    let parent_org = p
        .get("parentOrg")
        .map(|parent| {
            parent
                .as_object()
                .ok_or_else(|| ob(format!("{path}.parentOrg must be a Profile")))
                .and_then(|o| profile(o, &format!("{path}.parentOrg")))
                .map(Box::new)
        })
        .transpose()?;
    Ok(ProfileView {
        id: url(p, "id", path)?,
        name: text(p, "name"),
        url: text(p, "url"),
        parent_org,
        other_identifiers: identifier_entries(p, path)?,
    })
}

fn alignment(a: &Map<String, Value>, path: &str) -> Result<AlignmentView, VcError> {
    require_type(a, "Alignment", path)?;
    Ok(AlignmentView {
        target_name: required_str(a, "targetName", path)?,
        target_url: url(a, "targetUrl", path)?,
        target_code: text(a, "targetCode"),
        target_framework: text(a, "targetFramework"),
        target_type: text(a, "targetType"),
        target_description: text(a, "targetDescription"),
    })
}

fn identifier_entries(
    obj: &Map<String, Value>,
    path: &str,
) -> Result<Vec<IdentifierEntryView>, VcError> {
    objects(obj, "otherIdentifier", &format!("{path}.otherIdentifier"))?
        .into_iter()
        .enumerate()
        .map(|(i, e)| {
            let p = format!("{path}.otherIdentifier[{i}]");
            require_type(e, "IdentifierEntry", &p)?;
            Ok(IdentifierEntryView {
                identifier: required_str(e, "identifier", &p)?,
                identifier_type: required_str(e, "identifierType", &p)?,
            })
        })
        .collect()
}

fn ob(reason: impl Into<String>) -> VcError {
    VcError::OpenBadge(reason.into())
}

fn require_type(obj: &Map<String, Value>, expected: &str, path: &str) -> Result<(), VcError> {
    let ok = match obj.get("type") {
        Some(Value::String(t)) => t == expected,
        Some(Value::Array(ts)) => ts.iter().any(|t| t.as_str() == Some(expected)),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(ob(format!("{path}.type must include {expected}")))
    }
}

fn objects<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Vec<&'a Map<String, Value>>, VcError> {
    let values: Vec<&Value> = match obj.get(key) {
        None => return Ok(Vec::new()),
        Some(Value::Array(items)) => items.iter().collect(),
        Some(single) => vec![single],
    };
    values
        .into_iter()
        .map(|v| {
            v.as_object()
                .ok_or_else(|| ob(format!("{path} entries must be objects")))
        })
        .collect()
}

fn text(obj: &Map<String, Value>, key: &str) -> Option<String> {
    obj.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn required_str(obj: &Map<String, Value>, key: &str, path: &str) -> Result<String, VcError> {
    text(obj, key)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ob(format!("{path}.{key} is required")))
}

fn url(obj: &Map<String, Value>, key: &str, path: &str) -> Result<String, VcError> {
    match obj.get(key).and_then(Value::as_str) {
        Some(u) if is_url(u) => Ok(u.to_owned()),
        _ => Err(ob(format!("{path}.{key} must be a URL"))),
    }
}

fn number(obj: &Map<String, Value>, key: &str, path: &str) -> Result<Option<f64>, VcError> {
    match obj.get(key) {
        None => Ok(None),
        Some(v) => v
            .as_f64()
            .filter(|n| n.is_finite() && *n >= 0.0)
            .map(Some)
            .ok_or_else(|| ob(format!("{path}.{key} must be a non-negative number"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::check_credential_structure;
    use serde_json::json;

    fn badge() -> Value {
        json!({
            "@context": ["https://www.w3.org/ns/credentials/v2",
                         "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
            "id": "urn:uuid:a63a60be-f4af-491e-87fc-2c8f3e6d4b1a",
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "name": "Master of Engineering",
            "issuer": {"id": "https://www.tohoku.ac.jp", "type": ["Profile"], "name": "Tohoku University",
                       "parentOrg": {"id": "https://www.mext.go.jp", "type": "Profile"}},
            "validFrom": "2026-03-25T00:00:00+09:00",
            "credentialSubject": {
                "id": "did:example:student", "type": ["AchievementSubject"], "creditsEarned": 30,
                "achievement": {
                    "id": "https://www.tohoku.ac.jp/programmes/meng", "type": ["Achievement"],
                    "name": "Master of Engineering", "description": "Two-year programme",
                    "criteria": {"narrative": "30 credits and a thesis"},
                    "achievementType": "MasterDegree", "creditsAvailable": 30,
                    "alignment": [{"type": ["Alignment"], "targetName": "EQF level 7",
                                   "targetUrl": "http://data.europa.eu/snb/eqf/7"}],
                    "otherIdentifier": [{"type": "IdentifierEntry", "identifier": "MEXT-123",
                                         "identifierType": "ext:nationalCode"}]
                },
                "result": [{"type": ["Result"], "value": "A", "resultDescription": "urn:uuid:rd1"}]
            }
        })
    }

    fn view(v: &Value) -> Result<AchievementView, VcError> {
        check_open_badge(&check_credential_structure(v).unwrap())
    }

    #[test]
    fn typed_view() {
        let v = view(&badge()).unwrap();
        assert_eq!(v.issuer.name.as_deref(), Some("Tohoku University"));
        assert_eq!(
            v.issuer.parent_org.as_ref().unwrap().id,
            "https://www.mext.go.jp"
        );
        assert_eq!(
            v.achievement.achievement_type.as_deref(),
            Some("MasterDegree")
        );
        assert_eq!(v.achievement.credits_available, Some(30.0));
        assert_eq!(v.achievement.alignments[0].target_name, "EQF level 7");
        assert_eq!(v.achievement.other_identifiers[0].identifier, "MEXT-123");
        assert_eq!(v.results[0].value.as_deref(), Some("A"));
        assert_eq!(v.credits_earned, Some(30.0));
        assert_eq!(
            v.valid_from.map(UnixTime::to_rfc3339).as_deref(),
            Some("2026-03-24T15:00:00Z")
        );
    }

    #[test]
    fn profile_rules() {
        let cases: Vec<(&str, Value)> = vec![
            ("/type", json!(["VerifiableCredential"])),
            ("/@context", json!(["https://www.w3.org/ns/credentials/v2"])),
            ("/issuer/type", json!("InvalidProfile")),
            ("/issuer/parentOrg/type", json!("Organization")),
            ("/credentialSubject/type", json!("Subject")),
            (
                "/credentialSubject/achievement/achievementType",
                json!("PhD"),
            ),
            ("/credentialSubject/achievement/criteria", json!({})),
            ("/credentialSubject/achievement/creditsAvailable", json!(-1)),
            (
                "/credentialSubject/achievement/alignment/0/targetUrl",
                json!("nope"),
            ),
            ("/credentialSubject/result/0/type", json!("Grade")),
        ];
        for (pointer, value) in cases {
            let mut v = badge();
            *v.pointer_mut(pointer).unwrap() = value;
            assert!(matches!(view(&v), Err(VcError::OpenBadge(_))), "{pointer}");
        }
        let mut ext = badge();
        ext["credentialSubject"]["achievement"]["achievementType"] = json!("ext:JapaneseShushi");
        assert!(view(&ext).is_ok());
        assert!(is_ob3_context(
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json"
        ));
        assert!(!is_ob3_context(
            "https://purl.imsglobal.org/spec/ob/v3p0/context.json"
        ));
    }
}
