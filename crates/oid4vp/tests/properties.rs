//! Properties of the claims path pointer, matching and form encoding, on generated inputs.
//!
//! The central one links wallet and verifier: a credential reduced to exactly the paths the
//! matcher said to disclose still satisfies the query, with the same claim set and the same
//! disclosed paths. So the consent screen never shows less than the verifier will check.

// Test helpers outside #[test] functions unwrap too: a failure is a test failure.
#![allow(clippy::unwrap_used)]

use kakehashi_oid4vp::dcql::{ClaimsQuery, CredentialFormat, CredentialMeta, CredentialQuery};
use kakehashi_oid4vp::form;
use kakehashi_oid4vp::matching::{HeldCredential, match_credential};
use kakehashi_oid4vp::path::PathElement;
use kakehashi_oid4vp::{ClaimsPath, DcqlQuery};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

const KEYS: [&str; 4] = ["a", "b", "c", "d"];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<bool>().prop_map(Value::from),
        (0u8..4).prop_map(Value::from),
        prop::sample::select(vec!["x", "y"]).prop_map(Value::from),
    ]
}

/// Objects (and arrays of objects / leaves) over a small key alphabet, so paths collide often.
fn credential() -> impl Strategy<Value = Value> {
    leaf()
        .prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                prop::collection::btree_map(
                    prop::sample::select(KEYS.to_vec()),
                    inner.clone(),
                    0..4
                )
                .prop_map(|m| Value::Object(
                    m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
                )),
                prop::collection::vec(inner, 0..3).prop_map(Value::Array),
            ]
        })
        .prop_map(|v| match v {
            Value::Object(_) => v,
            other => json!({"a": other}),
        })
}

fn path() -> impl Strategy<Value = ClaimsPath> {
    prop::collection::vec(
        prop_oneof![
            4 => prop::sample::select(KEYS.to_vec()).prop_map(|k| PathElement::Key(k.into())),
            1 => (0u64..3).prop_map(PathElement::Index),
            1 => Just(PathElement::AllElements),
        ],
        1..4,
    )
    .prop_map(|e| ClaimsPath::new(e).unwrap())
}

fn claims_query() -> impl Strategy<Value = Vec<ClaimsQuery>> {
    prop::collection::vec(
        (
            path(),
            prop::option::of(prop::collection::vec(leaf(), 1..3)),
        ),
        1..4,
    )
    .prop_map(|claims| {
        claims
            .into_iter()
            .enumerate()
            .map(|(i, (path, values))| ClaimsQuery {
                id: Some(format!("c{i}")),
                path,
                values,
                intent_to_retain: None,
            })
            .collect()
    })
}

/// Every concrete path to a node of `root` (objects: keys, arrays: indices).
fn all_paths(root: &Value) -> Vec<Vec<PathElement>> {
    fn walk(v: &Value, prefix: &mut Vec<PathElement>, out: &mut Vec<Vec<PathElement>>) {
        let children: Vec<(PathElement, &Value)> = match v {
            Value::Object(m) => m
                .iter()
                .map(|(k, c)| (PathElement::Key(k.clone()), c))
                .collect(),
            Value::Array(a) => a
                .iter()
                .enumerate()
                .map(|(i, c)| (PathElement::Index(u64::try_from(i).unwrap()), c))
                .collect(),
            _ => vec![],
        };
        for (e, c) in children {
            prefix.push(e);
            out.push(prefix.clone());
            walk(c, prefix, out);
            prefix.pop();
        }
    }
    let mut out = Vec::new();
    walk(root, &mut Vec::new(), &mut out);
    out
}

/// A credential and claims queries, most of them pointing at claims that exist (some with
/// the claim's own value in `values`), some random.
fn credential_and_claims() -> impl Strategy<Value = (Value, Vec<ClaimsQuery>)> {
    credential()
        .prop_flat_map(|cred| {
            let existing = all_paths(&cred);
            let picked = if existing.is_empty() {
                Just(Vec::new()).boxed()
            } else {
                prop::collection::vec((prop::sample::select(existing), any::<bool>()), 1..4).boxed()
            };
            (Just(cred), picked, claims_query())
        })
        .prop_map(|(cred, picked, random)| {
            let mut claims: Vec<ClaimsQuery> = picked
                .into_iter()
                .map(|(elements, with_value)| {
                    let path = ClaimsPath::new(elements).unwrap();
                    let value = follow(&cred, &path).cloned().unwrap();
                    let scalar = value.is_string() || value.is_boolean() || value.is_u64();
                    ClaimsQuery {
                        id: None,
                        path,
                        values: (with_value && scalar).then(|| vec![value]),
                        intent_to_retain: None,
                    }
                })
                .collect();
            if claims.is_empty() || claims.len() < 2 {
                claims.extend(random.into_iter().take(1));
            }
            for (i, c) in claims.iter_mut().enumerate() {
                c.id = Some(format!("c{i}"));
            }
            (cred, claims)
        })
}

/// Follows a concrete path.
fn follow<'a>(root: &'a Value, path: &ClaimsPath) -> Option<&'a Value> {
    path.elements().iter().try_fold(root, |v, e| match e {
        PathElement::Key(k) => v.get(k.as_str()),
        PathElement::Index(i) => v.get(usize::try_from(*i).ok()?),
        PathElement::AllElements => None,
    })
}

/// A copy of `root` with only the values at `paths` (arrays keep their length, other
/// elements become null).
fn reduce(root: &Value, paths: &[ClaimsPath]) -> Value {
    fn put(target: &mut Value, source: &Value, rest: &[PathElement]) {
        let Some((first, rest)) = rest.split_first() else {
            *target = source.clone();
            return;
        };
        match first {
            PathElement::Key(k) => {
                if !target.is_object() {
                    *target = Value::Object(Map::new());
                }
                let child_source = &source[k.as_str()];
                let slot = target
                    .as_object_mut()
                    .unwrap()
                    .entry(k.clone())
                    .or_insert(Value::Null);
                put(slot, child_source, rest);
            }
            PathElement::Index(i) => {
                let len = source.as_array().map_or(0, Vec::len);
                if !target.is_array() {
                    *target = Value::Array(vec![Value::Null; len]);
                }
                let i = usize::try_from(*i).unwrap();
                let child_source = &source[i];
                put(&mut target.as_array_mut().unwrap()[i], child_source, rest);
            }
            PathElement::AllElements => unreachable!("disclosed paths are concrete"),
        }
    }
    let mut out = Value::Object(Map::new());
    for p in paths {
        put(&mut out, root, p.elements());
    }
    out
}

proptest! {
    #[test]
    fn selected_paths_are_concrete_and_lead_to_the_value(cred in credential(), p in path()) {
        if let Ok(selected) = p.select(&cred) {
            prop_assert!(!selected.is_empty());
            for s in selected {
                prop_assert!(s.path.is_concrete());
                prop_assert_eq!(s.path.elements().len(), p.elements().len());
                prop_assert_eq!(follow(&cred, &s.path), Some(s.value));
            }
        }
    }

    #[test]
    fn disclosed_claims_alone_satisfy_the_query(
        (cred, claims) in credential_and_claims(),
        use_sets in any::<bool>(),
    ) {
        let n = claims.len();
        let claim_sets = use_sets.then(|| {
            let mut sets: Vec<Vec<String>> = (0..n).map(|i| vec![format!("c{i}")]).collect();
            sets.push((0..n).map(|i| format!("c{i}")).collect());
            sets
        });
        let query = CredentialQuery {
            id: "q".into(),
            format: CredentialFormat::DcSdJwt,
            multiple: false,
            meta: CredentialMeta { vct_values: Some(vec!["urn:t".into()]), ..CredentialMeta::default() },
            trusted_authorities: None,
            require_cryptographic_holder_binding: true,
            claims: Some(claims),
            claim_sets,
        };
        // The generated query must be valid DCQL.
        let dcql = DcqlQuery::new(vec![query.clone()], None).unwrap();
        let held = |claims: Value| HeldCredential {
            format: CredentialFormat::DcSdJwt,
            vct: Some("urn:t".into()),
            types: vec![],
            claims,
            holder_binding: true,
            authorities: vec![],
        };
        if let Some(m) = match_credential(&dcql.credentials()[0], &held(cred.clone()), 0) {
            for p in &m.disclosed {
                prop_assert!(follow(&cred, p).is_some());
            }
            let reduced = reduce(&cred, &m.disclosed);
            let again = match_credential(&query, &held(reduced.clone()), 0);
            // Reducing can only make wildcard paths fail where nulls replaced hidden elements;
            // without wildcards the verifier must see the same match.
            let wildcard = query.claims.iter().flatten().any(|c| !c.path.is_concrete());
            if !wildcard {
                let again = again.expect("the disclosed claims satisfy the query");
                prop_assert_eq!(again.claim_set, m.claim_set);
                prop_assert_eq!(again.disclosed, m.disclosed);
            }
        }
    }

    #[test]
    fn form_round_trip(pairs in prop::collection::btree_map("[ -~é日]{0,12}", "[ -~é日\n]{0,24}", 0..6)) {
        let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let decoded = form::decode(&form::encode(&borrowed)).unwrap();
        let expected: Vec<(String, String)> = pairs.into_iter().collect();
        prop_assert_eq!(decoded, expected);
    }
}
