//! Property: issue -> present any subset -> verify yields exactly that subset (plus the
//! claims that were never concealed), never more.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::collections::BTreeMap;
use std::sync::OnceLock;

use kakehashi_core::UnixTime;
use kakehashi_crypto::{SignatureAlgorithm, Signer};
use kakehashi_crypto_aws_lc::{SoftwareSigner, provider};
use kakehashi_sd_jwt::{
    ClaimPath, KbJwtClaims, KeyBinding, Limits, PathSegment, SdJwt, SdJwtBuilder, Selection,
    VerifyOptions,
};
use proptest::prelude::*;
use serde_json::{Map, Value};

fn keys() -> &'static (SoftwareSigner, SoftwareSigner) {
    static KEYS: OnceLock<(SoftwareSigner, SoftwareSigner)> = OnceLock::new();
    KEYS.get_or_init(|| {
        (
            SoftwareSigner::generate(SignatureAlgorithm::Es256).unwrap(),
            SoftwareSigner::generate(SignatureAlgorithm::EdDsa).unwrap(),
        )
    })
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        "[a-zA-Z0-9 東京]{0,8}".prop_map(Value::String),
        any::<i32>().prop_map(Value::from),
        any::<bool>().prop_map(Value::Bool),
        Just(Value::Null),
    ]
}

/// A top-level claim name other than the registered JWT / SD-JWT VC claims, whose values the
/// verifier checks by their own rules (a random `nbf` string is rightly refused).
fn top_level_name() -> impl Strategy<Value = String> {
    const REGISTERED: [&str; 10] = [
        "iss", "sub", "aud", "exp", "nbf", "iat", "jti", "cnf", "vct", "status",
    ];
    "[a-z]{1,6}".prop_filter("a registered claim name", |k| {
        !REGISTERED.contains(&k.as_str())
    })
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z]{1,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Every path in `v` below `prefix`.
fn all_paths(v: &Value, prefix: &mut Vec<PathSegment>, out: &mut Vec<ClaimPath>) {
    let children: Vec<(PathSegment, &Value)> = match v {
        Value::Object(m) => m
            .iter()
            .map(|(k, v)| (PathSegment::Key(k.clone()), v))
            .collect(),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .map(|(i, v)| (PathSegment::Index(i), v))
            .collect(),
        _ => Vec::new(),
    };
    for (seg, child) in children {
        prefix.push(seg);
        out.push(ClaimPath(prefix.clone()));
        all_paths(child, prefix, out);
        prefix.pop();
    }
}

/// The claims a verifier must see: a node is visible when every concealed path on the way
/// to it (itself included) was disclosed.
fn expected(
    v: &Value,
    prefix: &mut Vec<PathSegment>,
    concealed: &[ClaimPath],
    disclosed: &[ClaimPath],
) -> Value {
    let visible = |p: &ClaimPath| !concealed.contains(p) || disclosed.contains(p);
    match v {
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, child) in m {
                prefix.push(PathSegment::Key(k.clone()));
                if visible(&ClaimPath(prefix.clone())) {
                    out.insert(k.clone(), expected(child, prefix, concealed, disclosed));
                }
                prefix.pop();
            }
            Value::Object(out)
        }
        Value::Array(a) => {
            let mut out = Vec::new();
            for (i, child) in a.iter().enumerate() {
                prefix.push(PathSegment::Index(i));
                if visible(&ClaimPath(prefix.clone())) {
                    out.push(expected(child, prefix, concealed, disclosed));
                }
                prefix.pop();
            }
            Value::Array(out)
        }
        other => other.clone(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn present_any_subset(
        claims in prop::collection::btree_map(top_level_name(), value(), 1..6),
        conceal_bits in prop::collection::vec(any::<bool>(), 64),
        disclose_bits in prop::collection::vec(any::<bool>(), 64),
        decoys in 0usize..3,
        bind in any::<bool>(),
        json in any::<bool>(),
    ) {
        let claims: Map<String, Value> = claims.into_iter().collect::<BTreeMap<_, _>>().into_iter().collect();
        let root = Value::Object(claims.clone());
        let mut paths = Vec::new();
        all_paths(&root, &mut Vec::new(), &mut paths);
        let concealed: Vec<ClaimPath> = paths.iter().zip(conceal_bits.iter().cycle()).filter(|(_, b)| **b).map(|(p, _)| p.clone()).collect();
        let chosen: Vec<ClaimPath> = concealed.iter().zip(disclose_bits.iter().cycle()).filter(|(_, b)| **b).map(|(p, _)| p.clone()).collect();
        // Choosing a nested claim discloses its concealed ancestors too.
        let disclosed: Vec<ClaimPath> = concealed.iter().filter(|c| chosen.iter().any(|s| c.is_prefix_of(s))).cloned().collect();

        let (issuer, holder) = keys();
        let p = provider();
        let mut counter = 0u64;
        let mut fill = |buf: &mut [u8]| {
            counter += 1;
            buf.fill(0);
            buf[..8].copy_from_slice(&counter.to_le_bytes());
        };
        let mut b = SdJwtBuilder::new(claims.clone()).decoys_per_object(decoys).holder_key(holder.public_jwk().clone());
        for c in &concealed {
            b = b.conceal(c.clone());
        }
        let issued = b.issue(&p, issuer, &mut fill).unwrap();
        let mut presentation = issued.present(&p, &chosen, Selection::Exact, Limits::DEFAULT).unwrap();
        let mut options = VerifyOptions::new(UnixTime(1_800_000_000));
        if bind {
            let kb = KbJwtClaims { audience: "aud".into(), nonce: "n".into(), issued_at: UnixTime(1_800_000_000) };
            presentation = presentation.bind(&p, holder, &kb, Limits::DEFAULT).unwrap();
            options.key_binding = KeyBinding::Required { nonce: "n", audience: "aud" };
        }
        let text = if json { presentation.to_json(false).to_string() } else { presentation.to_compact() };
        let verified = SdJwt::parse(&text, Limits::DEFAULT).unwrap().verify(&p, issuer.public_jwk(), &options).unwrap();
        let mut got = verified.claims().clone();
        prop_assert!(got.remove("cnf").is_some());
        let want = expected(&root, &mut Vec::new(), &concealed, &disclosed);
        prop_assert_eq!(Value::Object(got), want);
        prop_assert_eq!(verified.disclosed_paths().len(), disclosed.len());
        // The one-step verifier's fast path takes every compact form and agrees exactly
        // (claim order, disclosed paths, records) with parse + verify; it also agrees on the
        // presentation with one Disclosure dropped or repeated, and on a changed nonce.
        let mut recording = options;
        recording.record_claims = true;
        for o in [&options, &recording] {
            let taken = kakehashi_sd_jwt::testing::compare_sd_jwt(&text, &p, issuer.public_jwk(), o);
            prop_assert_eq!(taken, Ok(!json));
        }
        if !json {
            let ds: Vec<&str> = presentation.disclosures().iter().map(|d| d.encoded()).collect();
            let kb = text.rsplit('~').next().unwrap_or_default();
            for i in 0..ds.len() {
                let mut dropped = ds.clone();
                dropped.remove(i);
                let mut repeated = ds.clone();
                repeated.push(ds[i]);
                for list in [dropped, repeated] {
                    let t = format!("{}~{}~{kb}", presentation.issuer_jwt(), list.iter().map(|d| format!("{d}~")).collect::<String>().trim_end_matches('~'));
                    let t = if list.is_empty() { format!("{}~{kb}", presentation.issuer_jwt()) } else { t };
                    prop_assert!(kakehashi_sd_jwt::testing::compare_sd_jwt(&t, &p, issuer.public_jwk(), &options).is_ok());
                }
            }
            let mut other_nonce = options;
            other_nonce.key_binding = KeyBinding::Required { nonce: "other", audience: "aud" };
            prop_assert!(kakehashi_sd_jwt::testing::compare_sd_jwt(&text, &p, issuer.public_jwk(), &other_nonce).is_ok());
            let one_step = SdJwt::parse_and_verify(&text, &p, issuer.public_jwk(), &other_nonce);
            prop_assert_eq!(one_step.err(), Some(if bind { kakehashi_sd_jwt::SdJwtError::KbJwtNonceMismatch } else { kakehashi_sd_jwt::SdJwtError::KbJwtMissing }));
        }
    }

    #[test]
    fn parsing_never_panics(text in "[A-Za-z0-9_~.{}\\[\\]\":,-]{0,200}") {
        let _ = SdJwt::parse(&text, Limits::DEFAULT);
    }
}
