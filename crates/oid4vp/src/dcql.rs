//! Digital Credentials Query Language (OpenID4VP 1.0 section 6).
//!
//! [`DcqlQuery`] can only be obtained through [`DcqlQuery::from_json`] / [`DcqlQuery::parse`],
//! which apply every validity rule of section 6 (non-empty arrays, id charset and uniqueness,
//! `claim_sets` referring to existing claim ids, `credential_sets` referring to existing
//! credential ids, the format-specific `meta` members). Code holding a `DcqlQuery` therefore
//! never re-checks those rules.

use std::collections::BTreeSet;

use kakehashi_core::{JsonLimits, json};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::Oid4vpError;
use crate::path::ClaimsPath;

/// Caps for a query: far above the spec examples (five credential queries) and any pilot use.
pub const MAX_CREDENTIAL_QUERIES: usize = 64;
/// Caps claims per credential query and options per set.
pub const MAX_CLAIMS: usize = 256;

/// A Credential Format Identifier (OpenID4VP 1.0 Appendix B).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum CredentialFormat {
    /// IETF SD-JWT VC (`dc+sd-jwt`), the EU profile.
    DcSdJwt,
    /// W3C VC secured with JWT, not using JSON-LD (`jwt_vc_json`), the Japanese profile.
    JwtVcJson,
    /// ISO mdoc (`mso_mdoc`): parsed and validated, not matched.
    MsoMdoc,
    /// Any other identifier (e.g. `ldp_vc`): parsed, never matched.
    Other(String),
}

impl CredentialFormat {
    /// The wire identifier.
    pub fn as_str(&self) -> &str {
        match self {
            Self::DcSdJwt => "dc+sd-jwt",
            Self::JwtVcJson => "jwt_vc_json",
            Self::MsoMdoc => "mso_mdoc",
            Self::Other(s) => s,
        }
    }
}

impl From<String> for CredentialFormat {
    fn from(s: String) -> Self {
        match s.as_str() {
            "dc+sd-jwt" => Self::DcSdJwt,
            "jwt_vc_json" => Self::JwtVcJson,
            "mso_mdoc" => Self::MsoMdoc,
            _ => Self::Other(s),
        }
    }
}

impl From<CredentialFormat> for String {
    fn from(f: CredentialFormat) -> String {
        f.as_str().to_owned()
    }
}

/// The whole query (`dcql_query` request parameter).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DcqlQuery {
    credentials: Vec<CredentialQuery>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    credential_sets: Option<Vec<CredentialSetQuery>>,
}

/// One Credential Query (section 6.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CredentialQuery {
    /// Identifies the credential in the response (`vp_token` key) and in `credential_sets`.
    pub id: String,
    /// The requested format.
    pub format: CredentialFormat,
    /// Whether several credentials may be returned for this query.
    #[serde(default)]
    pub multiple: bool,
    /// Format-specific metadata constraints.
    pub meta: CredentialMeta,
    /// Accepted issuer trust frameworks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trusted_authorities: Option<Vec<TrustedAuthoritiesQuery>>,
    /// Whether a holder-binding proof (KB-JWT, VP signature) is required; default true.
    #[serde(default = "default_true")]
    pub require_cryptographic_holder_binding: bool,
    /// Requested claims; absent = only the claims that are always disclosed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<Vec<ClaimsQuery>>,
    /// Acceptable combinations of claim ids, in the verifier's order of preference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim_sets: Option<Vec<Vec<String>>>,
}

/// The `meta` object; members of other formats and unknown members are kept, not rejected.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CredentialMeta {
    /// `dc+sd-jwt`: accepted `vct` values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vct_values: Option<Vec<String>>,
    /// `jwt_vc_json` / `ldp_vc`: alternatives, each a set of types that must all be present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub type_values: Option<Vec<Vec<String>>>,
    /// `mso_mdoc`: the doctype.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doctype_value: Option<String>,
    /// Anything else.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// A Trusted Authorities Query (section 6.1.1): `aki`, `etsi_tl`, `openid_federation`, ….
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustedAuthoritiesQuery {
    /// The type of information (`aki`, `etsi_tl`, `openid_federation`).
    #[serde(rename = "type")]
    pub kind: String,
    /// Non-empty list of values of that type.
    pub values: Vec<String>,
}

/// A Credential Set Query (section 6.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialSetQuery {
    /// Alternatives, each a list of credential query ids that together satisfy the set.
    pub options: Vec<Vec<String>>,
    /// Whether the set must be satisfied; default true.
    #[serde(default = "default_true")]
    pub required: bool,
}

/// A Claims Query (section 6.3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaimsQuery {
    /// Required when the credential query has `claim_sets`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Where the claim is.
    pub path: ClaimsPath,
    /// Accepted values (strings, integers, booleans), compared by type and value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<Value>>,
    /// mdoc only: whether the verifier intends to retain the element.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent_to_retain: Option<bool>,
}

fn default_true() -> bool {
    true
}

fn invalid(reason: impl Into<String>) -> Oid4vpError {
    Oid4vpError::InvalidDcql(reason.into())
}

/// `id` charset: non-empty, alphanumeric, `_` or `-` (sections 6.1 and 6.3).
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

impl DcqlQuery {
    /// Parses untrusted bytes (size- and depth-capped) and validates.
    pub fn parse(bytes: &[u8]) -> Result<Self, Oid4vpError> {
        let value = json::parse_limited(bytes, JsonLimits::DEFAULT)?;
        Self::from_json(&value)
    }

    /// Deserializes and validates a JSON value.
    pub fn from_json(value: &Value) -> Result<Self, Oid4vpError> {
        let query: DcqlQuery =
            serde_json::from_value(value.clone()).map_err(|e| invalid(e.to_string()))?;
        query.validate()?;
        Ok(query)
    }

    /// Builds a query from parts, applying the same rules as parsing.
    pub fn new(
        credentials: Vec<CredentialQuery>,
        credential_sets: Option<Vec<CredentialSetQuery>>,
    ) -> Result<Self, Oid4vpError> {
        let query = Self {
            credentials,
            credential_sets,
        };
        query.validate()?;
        Ok(query)
    }

    /// The credential queries.
    pub fn credentials(&self) -> &[CredentialQuery] {
        &self.credentials
    }

    /// The credential set queries, if any.
    pub fn credential_sets(&self) -> Option<&[CredentialSetQuery]> {
        self.credential_sets.as_deref()
    }

    /// The credential query with this id.
    pub fn credential(&self, id: &str) -> Option<&CredentialQuery> {
        self.credentials.iter().find(|c| c.id == id)
    }

    /// The JSON form, as sent in `dcql_query`.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    fn validate(&self) -> Result<(), Oid4vpError> {
        if self.credentials.is_empty() {
            return Err(invalid("credentials must be a non-empty array"));
        }
        if self.credentials.len() > MAX_CREDENTIAL_QUERIES {
            return Err(invalid("too many credential queries"));
        }
        let mut ids = BTreeSet::new();
        for c in &self.credentials {
            if !is_valid_id(&c.id) {
                return Err(invalid(format!(
                    "invalid credential query id {:?}",
                    trunc(&c.id)
                )));
            }
            if !ids.insert(c.id.as_str()) {
                return Err(invalid(format!("duplicate credential query id {:?}", c.id)));
            }
            c.validate()?;
        }
        if let Some(sets) = &self.credential_sets {
            if sets.is_empty() {
                return Err(invalid("credential_sets must be a non-empty array"));
            }
            for set in sets {
                if set.options.is_empty() || set.options.len() > MAX_CLAIMS {
                    return Err(invalid("credential set options must be a non-empty array"));
                }
                for option in &set.options {
                    if option.is_empty() {
                        return Err(invalid("a credential set option must be non-empty"));
                    }
                    for id in option {
                        if !ids.contains(id.as_str()) {
                            return Err(invalid(format!(
                                "credential set refers to unknown credential query {:?}",
                                trunc(id)
                            )));
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

impl CredentialQuery {
    /// The claims query with this id.
    pub fn claim(&self, id: &str) -> Option<&ClaimsQuery> {
        self.claims
            .as_deref()
            .unwrap_or_default()
            .iter()
            .find(|c| c.id.as_deref() == Some(id))
    }

    fn validate(&self) -> Result<(), Oid4vpError> {
        let here = |r: &str| invalid(format!("credential query {:?}: {r}", self.id));
        match &self.format {
            CredentialFormat::DcSdJwt => match &self.meta.vct_values {
                Some(v) if !v.is_empty() => {}
                _ => return Err(here("dc+sd-jwt requires a non-empty meta.vct_values")),
            },
            CredentialFormat::JwtVcJson => check_type_values(&self.meta).map_err(here)?,
            CredentialFormat::Other(f) if f == "ldp_vc" => {
                check_type_values(&self.meta).map_err(here)?
            }
            CredentialFormat::MsoMdoc => {
                if self.meta.doctype_value.as_deref().is_none_or(str::is_empty) {
                    return Err(here("mso_mdoc requires meta.doctype_value"));
                }
            }
            CredentialFormat::Other(_) => {}
        }
        if let Some(tas) = &self.trusted_authorities {
            if tas.is_empty() {
                return Err(here("trusted_authorities must be non-empty"));
            }
            if tas.iter().any(|t| t.values.is_empty() || t.kind.is_empty()) {
                return Err(here("a trusted authorities query needs a type and values"));
            }
        }
        let mut claim_ids = BTreeSet::new();
        if let Some(claims) = &self.claims {
            if claims.is_empty() || claims.len() > MAX_CLAIMS {
                return Err(here("claims must be a non-empty array"));
            }
            for claim in claims {
                if let Some(id) = &claim.id {
                    if !is_valid_id(id) {
                        return Err(here(&format!("invalid claim id {:?}", trunc(id))));
                    }
                    if !claim_ids.insert(id.as_str()) {
                        return Err(here(&format!("duplicate claim id {id:?}")));
                    }
                } else if self.claim_sets.is_some() {
                    return Err(here("claim ids are required when claim_sets is present"));
                }
                if let Some(values) = &claim.values {
                    if values.is_empty() {
                        return Err(here("values must be non-empty"));
                    }
                    if !values
                        .iter()
                        .all(|v| v.is_string() || v.is_boolean() || v.is_i64() || v.is_u64())
                    {
                        return Err(here("values must be strings, integers or booleans"));
                    }
                }
                if self.format == CredentialFormat::MsoMdoc
                    && !(claim.path.elements().len() == 2 && claim.path.is_concrete())
                {
                    return Err(here("mdoc claim paths are [namespace, element]"));
                }
                if self.format != CredentialFormat::MsoMdoc && claim.intent_to_retain.is_some() {
                    return Err(here("intent_to_retain is for mso_mdoc only"));
                }
            }
        }
        if let Some(sets) = &self.claim_sets {
            if self.claims.is_none() {
                return Err(here("claim_sets must not be present without claims"));
            }
            if sets.is_empty() {
                return Err(here("claim_sets must be a non-empty array"));
            }
            for set in sets {
                if set.is_empty() {
                    return Err(here("a claim set must be non-empty"));
                }
                for id in set {
                    if !claim_ids.contains(id.as_str()) {
                        return Err(here(&format!(
                            "claim set refers to unknown claim {:?}",
                            trunc(id)
                        )));
                    }
                }
            }
        }
        Ok(())
    }
}

fn check_type_values(meta: &CredentialMeta) -> Result<(), &'static str> {
    match &meta.type_values {
        Some(alts) if !alts.is_empty() && alts.iter().all(|a| !a.is_empty()) => Ok(()),
        _ => Err("W3C formats require a non-empty meta.type_values of non-empty arrays"),
    }
}

fn trunc(s: &str) -> String {
    s.chars().take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn base() -> Value {
        json!({
            "credentials": [{
                "id": "diploma",
                "format": "dc+sd-jwt",
                "meta": {"vct_values": ["https://kakehashi.example/diploma"]},
                "claims": [
                    {"id": "name", "path": ["family_name"]},
                    {"id": "degree", "path": ["degree", "title"]},
                    {"id": "grade", "path": ["degree", "grade"], "values": ["A", 1, true]}
                ],
                "claim_sets": [["name", "degree"], ["name", "grade"]]
            }]
        })
    }

    fn err(v: Value) -> String {
        match DcqlQuery::from_json(&v) {
            Err(Oid4vpError::InvalidDcql(r)) => r,
            other => panic!("expected InvalidDcql, got {other:?}"),
        }
    }

    #[test]
    fn valid_query_round_trips() {
        let q = DcqlQuery::from_json(&base()).unwrap();
        assert_eq!(q.credentials()[0].format, CredentialFormat::DcSdJwt);
        assert!(q.credentials()[0].require_cryptographic_holder_binding);
        assert!(!q.credentials()[0].multiple);
        assert_eq!(DcqlQuery::from_json(&q.to_json()).unwrap(), q);
        assert!(q.credential("diploma").unwrap().claim("grade").is_some());
    }

    #[test]
    fn every_rule_is_enforced() {
        let mut v = base();
        v["credentials"] = json!([]);
        assert!(err(v).contains("non-empty"));

        let mut v = base();
        v["credentials"][0]["id"] = json!("dip loma");
        assert!(err(v).contains("invalid credential query id"));

        let mut v = base();
        v["credentials"][0]["id"] = json!("");
        assert!(err(v).contains("invalid credential query id"));

        let mut v = base();
        let c = v["credentials"][0].clone();
        v["credentials"].as_array_mut().unwrap().push(c);
        assert!(err(v).contains("duplicate credential query id"));

        let mut v = base();
        v["credentials"][0]["claim_sets"] = json!([["name", "nope"]]);
        assert!(err(v).contains("unknown claim"));

        let mut v = base();
        v["credentials"][0]["claim_sets"] = json!([[]]);
        assert!(err(v).contains("non-empty"));

        let mut v = base();
        v["credentials"][0]["claims"][1]
            .as_object_mut()
            .unwrap()
            .remove("id");
        assert!(err(v).contains("required when claim_sets"));

        let mut v = base();
        v["credentials"][0]["claims"][1]["id"] = json!("name");
        assert!(err(v).contains("duplicate claim id"));

        let mut v = base();
        v["credentials"][0]
            .as_object_mut()
            .unwrap()
            .remove("claims");
        assert!(err(v).contains("without claims"));

        let mut v = base();
        v["credentials"][0]["claims"] = json!([]);
        v["credentials"][0]
            .as_object_mut()
            .unwrap()
            .remove("claim_sets");
        assert!(err(v).contains("claims must be a non-empty"));

        let mut v = base();
        v["credentials"][0]["claims"][2]["values"] = json!([1.5]);
        assert!(err(v).contains("values must be"));

        let mut v = base();
        v["credentials"][0]["claims"][0]["path"] = json!([]);
        assert!(!err(v).is_empty());

        let mut v = base();
        v["credentials"][0]["meta"] = json!({});
        assert!(err(v).contains("vct_values"));

        let mut v = base();
        v["credentials"][0].as_object_mut().unwrap().remove("meta");
        assert!(err(v).contains("meta"));

        let mut v = base();
        v["credentials"][0]["format"] = json!("jwt_vc_json");
        assert!(err(v).contains("type_values"));

        let mut v = base();
        v["credential_sets"] = json!([{"options": [["other"]]}]);
        assert!(err(v).contains("unknown credential query"));

        let mut v = base();
        v["credential_sets"] = json!([{"options": []}]);
        assert!(err(v).contains("non-empty"));

        let mut v = base();
        v["credential_sets"] = json!([]);
        assert!(err(v).contains("non-empty"));

        let mut v = base();
        v["credentials"][0]["trusted_authorities"] = json!([{"type": "aki", "values": []}]);
        assert!(err(v).contains("trusted authorities"));

        let mut v = base();
        v["credentials"][0]["format"] = json!("mso_mdoc");
        v["credentials"][0]["meta"] = json!({"doctype_value": "org.iso.18013.5.1.mDL"});
        assert!(err(v).contains("mdoc claim paths"));
    }

    #[test]
    fn unknown_members_are_tolerated() {
        let mut v = base();
        v["credentials"][0]["meta"]["future"] = json!(1);
        v["extension"] = json!(true);
        let q = DcqlQuery::from_json(&v).unwrap();
        assert_eq!(q.credentials()[0].meta.other["future"], json!(1));
    }
}
