//! Matching held credentials to a DCQL query (OpenID4VP 1.0 section 6.4).
//!
//! The wallet gives each credential as its processed claims (every disclosure revealed) with
//! its format and type; the result says which credentials satisfy which credential query and
//! the exact, concrete claim paths to disclose — the list the consent screen shows and the
//! selective-disclosure layer reveals, nothing more. The verifier runs the same function on
//! the claims a presentation actually disclosed, so both sides share one reading of the query.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::dcql::{ClaimsQuery, CredentialFormat, CredentialQuery, DcqlQuery};
use crate::path::ClaimsPath;

/// A credential as seen by the matcher.
#[derive(Debug, Clone, PartialEq)]
pub struct HeldCredential {
    /// The credential's format.
    pub format: CredentialFormat,
    /// `dc+sd-jwt`: the `vct`.
    pub vct: Option<String>,
    /// W3C formats: the `type` values.
    pub types: Vec<String>,
    /// The processed claims as one JSON object (for W3C VCs the whole credential, so paths start
    /// with `credentialSubject`).
    pub claims: Value,
    /// Whether the credential is bound to a holder key (a presentation can prove possession).
    pub holder_binding: bool,
    /// Trust information about the issuer as `(type, value)` pairs, e.g. `("aki", "s9tI…")`,
    /// `("etsi_tl", "https://lotl.example.com")`; filled by the trust layer.
    pub authorities: Vec<(String, String)>,
}

/// One credential satisfying one credential query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialMatch {
    /// Index into the held credentials given to [`match_query`].
    pub credential_index: usize,
    /// The concrete claim paths to disclose, sorted, without duplicates.
    pub disclosed: Vec<ClaimsPath>,
    /// Which `claim_sets` option was satisfied (the first one that could be), if the query has
    /// claim sets.
    pub claim_set: Option<usize>,
}

/// The candidates for one credential query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryMatch {
    /// The credential query id.
    pub query_id: String,
    /// Every held credential that satisfies it, in the order given.
    pub candidates: Vec<CredentialMatch>,
}

/// How one credential set query can be satisfied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetMatch {
    /// Whether the set is required.
    pub required: bool,
    /// Indices of the options whose every credential query has a candidate.
    pub satisfiable_options: Vec<usize>,
}

/// The result of matching a whole query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchOutcome {
    /// Per credential query, in query order.
    pub queries: Vec<QueryMatch>,
    /// Per credential set query, in query order; empty when the query has none.
    pub sets: Vec<SetMatch>,
    /// True when every required credential (set) can be satisfied; otherwise the wallet must
    /// not return any credential.
    pub satisfiable: bool,
}

impl MatchOutcome {
    /// The candidates of one credential query.
    pub fn candidates(&self, query_id: &str) -> &[CredentialMatch] {
        self.queries
            .iter()
            .find(|q| q.query_id == query_id)
            .map(|q| q.candidates.as_slice())
            .unwrap_or_default()
    }

    /// The verifier-preferred selection: for each set the first satisfiable option (optional
    /// sets only when satisfiable), or every query when there are no sets, each with its first
    /// candidate. `None` when the query cannot be satisfied. The consent screen may offer
    /// other choices; this is the default.
    pub fn default_selection(&self, query: &DcqlQuery) -> Option<Vec<(String, CredentialMatch)>> {
        if !self.satisfiable {
            return None;
        }
        let mut ids: Vec<&str> = Vec::new();
        match query.credential_sets() {
            None => ids.extend(query.credentials().iter().map(|c| c.id.as_str())),
            Some(sets) => {
                for (set, outcome) in sets.iter().zip(&self.sets) {
                    if let Some(first) = outcome.satisfiable_options.first()
                        && let Some(option) = set.options.get(*first)
                    {
                        ids.extend(option.iter().map(String::as_str));
                    }
                }
            }
        }
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for id in ids {
            if seen.insert(id) {
                let first = self.candidates(id).first()?;
                out.push((id.to_owned(), first.clone()));
            }
        }
        Some(out)
    }
}

/// Matches `held` credentials against `query`.
pub fn match_query(query: &DcqlQuery, held: &[HeldCredential]) -> MatchOutcome {
    let queries: Vec<QueryMatch> = query
        .credentials()
        .iter()
        .map(|cq| QueryMatch {
            query_id: cq.id.clone(),
            candidates: held
                .iter()
                .enumerate()
                .filter_map(|(i, h)| match_credential(cq, h, i))
                .collect(),
        })
        .collect();
    let has = |id: &str| {
        queries
            .iter()
            .any(|q| q.query_id == id && !q.candidates.is_empty())
    };
    let (sets, satisfiable) = match query.credential_sets() {
        None => (Vec::new(), queries.iter().all(|q| !q.candidates.is_empty())),
        Some(sets) => {
            let sets: Vec<SetMatch> = sets
                .iter()
                .map(|set| SetMatch {
                    required: set.required,
                    satisfiable_options: set
                        .options
                        .iter()
                        .enumerate()
                        .filter(|(_, option)| option.iter().all(|id| has(id)))
                        .map(|(i, _)| i)
                        .collect(),
                })
                .collect();
            let ok = sets
                .iter()
                .all(|s| !s.required || !s.satisfiable_options.is_empty());
            (sets, ok)
        }
    };
    MatchOutcome {
        queries,
        sets,
        satisfiable,
    }
}

/// Whether one credential satisfies one credential query, and what it must disclose.
pub fn match_credential(
    query: &CredentialQuery,
    held: &HeldCredential,
    credential_index: usize,
) -> Option<CredentialMatch> {
    if query.format != held.format || !meta_matches(query, held) {
        return None;
    }
    if query.require_cryptographic_holder_binding && !held.holder_binding {
        return None;
    }
    if let Some(tas) = &query.trusted_authorities {
        let trusted = tas.iter().any(|ta| {
            held.authorities
                .iter()
                .any(|(kind, value)| *kind == ta.kind && ta.values.contains(value))
        });
        if !trusted {
            return None;
        }
    }
    let Some(claims) = &query.claims else {
        return Some(CredentialMatch {
            credential_index,
            disclosed: Vec::new(),
            claim_set: None,
        });
    };
    match &query.claim_sets {
        None => {
            let mut disclosed = BTreeSet::new();
            for claim in claims {
                disclosed.extend(match_claim(claim, &held.claims)?);
            }
            Some(CredentialMatch {
                credential_index,
                disclosed: disclosed.into_iter().collect(),
                claim_set: None,
            })
        }
        Some(sets) => sets.iter().enumerate().find_map(|(index, set)| {
            let mut disclosed = BTreeSet::new();
            for id in set {
                let claim = claims.iter().find(|c| c.id.as_deref() == Some(id))?;
                disclosed.extend(match_claim(claim, &held.claims)?);
            }
            Some(CredentialMatch {
                credential_index,
                disclosed: disclosed.into_iter().collect(),
                claim_set: Some(index),
            })
        }),
    }
}

fn meta_matches(query: &CredentialQuery, held: &HeldCredential) -> bool {
    match query.format {
        CredentialFormat::DcSdJwt => match (&query.meta.vct_values, &held.vct) {
            (Some(values), Some(vct)) => values.contains(vct),
            _ => false,
        },
        CredentialFormat::JwtVcJson => match &query.meta.type_values {
            Some(alternatives) => alternatives
                .iter()
                .any(|required| required.iter().all(|t| held.types.contains(t))),
            None => false,
        },
        // Parse-only formats: never matched.
        CredentialFormat::MsoMdoc | CredentialFormat::Other(_) => false,
    }
}

/// The concrete paths one claims query selects in `claims`, or `None` when the claim is
/// absent or no selected value is among `values` (treated as absent, section 6.4.1).
pub fn match_claim(claim: &ClaimsQuery, claims: &Value) -> Option<Vec<ClaimsPath>> {
    let selected = claim.path.select(claims).ok()?;
    let kept: Vec<ClaimsPath> = selected
        .into_iter()
        .filter(|s| match &claim.values {
            None => true,
            Some(values) => values.iter().any(|v| same_type_and_value(v, s.value)),
        })
        .map(|s| s.path)
        .collect();
    if kept.is_empty() { None } else { Some(kept) }
}

fn same_type_and_value(expected: &Value, found: &Value) -> bool {
    match (expected, found) {
        (Value::String(a), Value::String(b)) => a == b,
        (Value::Bool(a), Value::Bool(b)) => a == b,
        (Value::Number(a), Value::Number(b)) => match (a.as_i64(), b.as_i64()) {
            (Some(x), Some(y)) => x == y,
            _ => a.as_u64().is_some() && a.as_u64() == b.as_u64(),
        },
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sd(vct: &str, claims: Value) -> HeldCredential {
        HeldCredential {
            format: CredentialFormat::DcSdJwt,
            vct: Some(vct.into()),
            types: vec![],
            claims,
            holder_binding: true,
            authorities: vec![],
        }
    }

    fn paths(m: &CredentialMatch) -> Vec<String> {
        m.disclosed.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn claim_sets_take_the_first_satisfiable_option() {
        let q = DcqlQuery::from_json(&json!({"credentials": [{
            "id": "pid", "format": "dc+sd-jwt",
            "meta": {"vct_values": ["urn:pid"]},
            "claims": [
                {"id": "over18", "path": ["age_over_18"]},
                {"id": "birth", "path": ["birthdate"]},
                {"id": "name", "path": ["given_name"]}
            ],
            "claim_sets": [["over18", "name"], ["birth", "name"]]
        }]}))
        .unwrap();
        let with_age = sd(
            "urn:pid",
            json!({"age_over_18": true, "birthdate": "2000-01-01", "given_name": "Hana"}),
        );
        let no_age = sd(
            "urn:pid",
            json!({"birthdate": "2000-01-01", "given_name": "Hana"}),
        );
        let nothing = sd("urn:pid", json!({"birthdate": "2000-01-01"}));
        let other_vct = sd("urn:other", json!({"age_over_18": true, "given_name": "x"}));
        let out = match_query(&q, &[with_age, no_age, nothing, other_vct]);
        assert!(out.satisfiable);
        let c = out.candidates("pid");
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].claim_set, Some(0));
        assert_eq!(paths(&c[0]), [r#"["age_over_18"]"#, r#"["given_name"]"#]);
        assert_eq!(c[1].claim_set, Some(1));
        assert_eq!(paths(&c[1]), [r#"["birthdate"]"#, r#"["given_name"]"#]);
    }

    #[test]
    fn values_null_and_w3c_types() {
        let q = DcqlQuery::from_json(&json!({"credentials": [{
            "id": "degree", "format": "jwt_vc_json",
            "meta": {"type_values": [["VerifiableCredential", "OpenBadgeCredential"]]},
            "claims": [
                {"path": ["credentialSubject", "achievement", null, "level"], "values": ["master", 7]}
            ]
        }]}))
        .unwrap();
        let cred = HeldCredential {
            format: CredentialFormat::JwtVcJson,
            vct: None,
            types: vec!["VerifiableCredential".into(), "OpenBadgeCredential".into()],
            claims: json!({"credentialSubject": {"achievement": [
                {"level": "bachelor"}, {"level": 7}, {"level": "7"}, {"name": "x"}
            ]}}),
            holder_binding: true,
            authorities: vec![],
        };
        let out = match_query(&q, std::slice::from_ref(&cred));
        assert!(out.satisfiable);
        assert_eq!(
            paths(&out.candidates("degree")[0]),
            [r#"["credentialSubject","achievement",1,"level"]"#]
        );
        let mut wrong_type = cred.clone();
        wrong_type.types = vec!["VerifiableCredential".into()];
        assert!(!match_query(&q, &[wrong_type]).satisfiable);
        let mut unbound = cred;
        unbound.holder_binding = false;
        assert!(!match_query(&q, &[unbound]).satisfiable);
    }

    #[test]
    fn credential_sets_required_and_optional() {
        // The spec's credentials_alternatives example, reduced.
        let q = DcqlQuery::from_json(&json!({
            "credentials": [
                {"id": "pid", "format": "dc+sd-jwt", "meta": {"vct_values": ["urn:pid"]},
                 "claims": [{"path": ["given_name"]}]},
                {"id": "other_pid", "format": "dc+sd-jwt", "meta": {"vct_values": ["urn:other"]},
                 "claims": [{"path": ["given_name"]}]},
                {"id": "rewards", "format": "dc+sd-jwt", "meta": {"vct_values": ["urn:rewards"]}}
            ],
            "credential_sets": [
                {"options": [["pid"], ["other_pid"]]},
                {"required": false, "options": [["rewards"]]}
            ]
        }))
        .unwrap();
        let other = sd("urn:other", json!({"given_name": "Taro"}));
        let out = match_query(&q, std::slice::from_ref(&other));
        assert!(out.satisfiable);
        assert_eq!(out.sets[0].satisfiable_options, vec![1]);
        assert!(out.sets[1].satisfiable_options.is_empty());
        let sel = out.default_selection(&q).unwrap();
        assert_eq!(sel.len(), 1);
        assert_eq!(sel[0].0, "other_pid");

        let rewards = sd("urn:rewards", json!({"number": 1}));
        let out = match_query(&q, &[other, rewards.clone()]);
        let sel = out.default_selection(&q).unwrap();
        assert_eq!(
            sel.iter().map(|s| s.0.as_str()).collect::<Vec<_>>(),
            ["other_pid", "rewards"]
        );
        assert!(sel[1].1.disclosed.is_empty(), "no claims requested");

        let out = match_query(&q, &[rewards]);
        assert!(!out.satisfiable, "required set unsatisfied");
        assert!(out.default_selection(&q).is_none());
    }

    #[test]
    fn without_sets_every_query_is_required() {
        let q = DcqlQuery::from_json(&json!({"credentials": [
            {"id": "a", "format": "dc+sd-jwt", "meta": {"vct_values": ["urn:a"]}},
            {"id": "b", "format": "dc+sd-jwt", "meta": {"vct_values": ["urn:b"]}}
        ]}))
        .unwrap();
        assert!(!match_query(&q, &[sd("urn:a", json!({}))]).satisfiable);
        assert!(match_query(&q, &[sd("urn:a", json!({})), sd("urn:b", json!({}))]).satisfiable);
    }

    #[test]
    fn trusted_authorities_filter() {
        let q = DcqlQuery::from_json(&json!({"credentials": [
            {"id": "a", "format": "dc+sd-jwt", "meta": {"vct_values": ["urn:a"]},
             "trusted_authorities": [{"type": "etsi_tl", "values": ["https://lotl.example"]}]}
        ]}))
        .unwrap();
        let mut c = sd("urn:a", json!({}));
        assert!(!match_query(&q, std::slice::from_ref(&c)).satisfiable);
        c.authorities
            .push(("etsi_tl".into(), "https://lotl.example".into()));
        assert!(match_query(&q, &[c]).satisfiable);
    }

    #[test]
    fn value_matching_is_type_exact() {
        let claim: ClaimsQuery =
            serde_json::from_value(json!({"path": ["n"], "values": [1, "true"]})).unwrap();
        assert!(match_claim(&claim, &json!({"n": 1})).is_some());
        assert!(match_claim(&claim, &json!({"n": "1"})).is_none());
        assert!(match_claim(&claim, &json!({"n": true})).is_none());
        assert!(match_claim(&claim, &json!({"n": 1.0})).is_none());
        assert!(match_claim(&claim, &json!({"n": "true"})).is_some());
    }
}
