//! SD-JWT VC Type Metadata: the draft's examples, `extends`, integrity, `sd` rules and
//! bilingual labels.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::collections::HashMap;
use std::fs;
use std::path::PathBuf;

use kakehashi_core::{JsonLimits, UnixTime, b64};
use kakehashi_crypto::{HashAlgorithm, SignatureAlgorithm, Signer};
use kakehashi_crypto_aws_lc::{SoftwareSigner, provider};
use kakehashi_sd_jwt::type_metadata::{
    PathPattern, ResolvedTypeMetadata, SdRule, TypeMetadata, TypeMetadataResolver, check_integrity,
};
use kakehashi_sd_jwt::{
    ClaimPath, IssuerKey, Limits, PathSegment, SdJwt, SdJwtBuilder, SdJwtError, Selection,
    VcVerifyOptions, VerifyOptions, verify_sd_jwt_vc,
};
use serde_json::{Map, Value, json};

const L: JsonLimits = JsonLimits::DEFAULT;

fn block(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/sd-jwt-vc/spec-blocks")
        .join(name);
    fs::read(p).unwrap()
}

struct Docs(HashMap<String, Vec<u8>>);

impl TypeMetadataResolver for Docs {
    fn resolve(&mut self, uri: &str) -> Result<Vec<u8>, String> {
        self.0
            .get(uri)
            .cloned()
            .ok_or_else(|| "not found".to_owned())
    }
}

fn sri(bytes: &[u8], hash: HashAlgorithm) -> String {
    let b = b64::encode(provider().digest(hash, bytes))
        .replace('-', "+")
        .replace('_', "/");
    let pad = "=".repeat((4 - b.len() % 4) % 4);
    format!("{}-{b}{pad}", hash.sri_name())
}

#[test]
fn spec_examples_parse() {
    let full = TypeMetadata::parse(&block("017-example-type-metadata.json"), L).unwrap();
    assert_eq!(
        full.vct,
        "https://betelgeuse.example.com/education_credential/v42"
    );
    assert_eq!(
        full.extends.as_deref(),
        Some("https://galaxy.example.com/galactic-education-credential/v2")
    );
    let claims = full.claims.as_ref().unwrap();
    assert_eq!(claims.len(), 7);
    assert_eq!(
        claims[4].path,
        vec![PathPattern::Key("degrees".into()), PathPattern::AnyElement]
    );
    assert_eq!(claims[3].sd, Some(SdRule::Never));
    assert_eq!(claims[0].mandatory, Some(true));
    let display = full.display.as_ref().unwrap();
    assert!(
        display
            .iter()
            .any(|d| d.locale.as_str() == "en-US" && d.rendering.is_some())
    );
    let header = TypeMetadata::parse(&block("010-type-metadata-example.json"), L).unwrap();
    assert!(header.extends_integrity.unwrap().starts_with("sha256-"));
    for name in [
        "013-example-for-extending-type-metadata.json",
        "014-example-for-extending-type-metadata.json",
    ] {
        TypeMetadata::parse(&block(name), L).unwrap();
    }
}

#[test]
fn extends_merge_matches_the_draft() {
    let base = block("013-example-for-extending-type-metadata.json");
    let child = block("014-example-for-extending-type-metadata.json");
    let mut docs = Docs(HashMap::from([
        (
            "https://example.com/base-type-metadata".to_owned(),
            base.clone(),
        ),
        (
            "https://example.com/custom-type-metadata".to_owned(),
            child.clone(),
        ),
    ]));
    let vct = "https://example.com/custom-type-metadata";
    let integrity = sri(&child, HashAlgorithm::Sha256);
    let resolved =
        ResolvedTypeMetadata::resolve(vct, Some(&integrity), &mut docs, &provider(), L).unwrap();
    assert_eq!(
        resolved.chain(),
        [
            "https://example.com/custom-type-metadata",
            "https://example.com/base-type-metadata"
        ]
    );
    let effective: Value =
        serde_json::from_slice(&block("015-example-for-extending-type-metadata.json")).unwrap();
    let expected: Vec<(Vec<PathPattern>, String)> = effective["claims"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let path = c["path"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| PathPattern::Key(s.as_str().unwrap().into()))
                .collect();
            (path, c["display"][0]["label"].as_str().unwrap().to_owned())
        })
        .collect();
    let got: Vec<(Vec<PathPattern>, String)> = resolved
        .claims()
        .iter()
        .map(|c| (c.path.clone(), c.display.as_ref().unwrap()[0].label.clone()))
        .collect();
    assert_eq!(got, expected);
    // Wrong integrity, and the strongest algorithm decides.
    let wrong = sri(b"other", HashAlgorithm::Sha256);
    assert!(matches!(
        ResolvedTypeMetadata::resolve(vct, Some(&wrong), &mut docs, &provider(), L),
        Err(SdJwtError::IntegrityMismatch(_))
    ));
    let mixed = format!(
        "{} {}",
        sri(&child, HashAlgorithm::Sha256),
        sri(b"x", HashAlgorithm::Sha384)
    );
    assert!(check_integrity(&provider(), &child, &mixed, "doc").is_err());
    let both = format!(
        "{} {}",
        sri(b"x", HashAlgorithm::Sha512),
        sri(&child, HashAlgorithm::Sha512)
    );
    assert!(check_integrity(&provider(), &child, &both, "doc").is_ok());
    assert!(check_integrity(&provider(), &child, "md5-AAAA", "doc").is_err());
}

#[test]
fn cycles_depth_and_overrides() {
    let doc = |vct: &str, extends: Option<&str>, claims: Value| {
        let mut m = json!({"vct": vct, "claims": claims});
        if let Some(e) = extends {
            m["extends"] = e.into();
        }
        serde_json::to_vec(&m).unwrap()
    };
    let mut cyc = Docs(HashMap::from([
        ("urn:a".to_owned(), doc("urn:a", Some("urn:b"), json!([]))),
        ("urn:b".to_owned(), doc("urn:b", Some("urn:a"), json!([]))),
    ]));
    assert_eq!(
        ResolvedTypeMetadata::resolve("urn:a", None, &mut cyc, &provider(), L).unwrap_err(),
        SdJwtError::ExtendsCycle("urn:a".into())
    );
    let mut long = Docs(HashMap::new());
    for i in 0..10 {
        long.0.insert(
            format!("urn:{i}"),
            doc(
                &format!("urn:{i}"),
                Some(&format!("urn:{}", i + 1)),
                json!([]),
            ),
        );
    }
    assert!(matches!(
        ResolvedTypeMetadata::resolve("urn:0", None, &mut long, &provider(), L),
        Err(SdJwtError::TypeMetadata(_))
    ));
    for (base, child) in [
        (
            json!({"path": ["a"], "sd": "always"}),
            json!({"path": ["a"], "sd": "never"}),
        ),
        (
            json!({"path": ["a"], "mandatory": true}),
            json!({"path": ["a"], "mandatory": false}),
        ),
    ] {
        let mut d = Docs(HashMap::from([
            ("urn:base".to_owned(), doc("urn:base", None, json!([base]))),
            (
                "urn:child".to_owned(),
                doc("urn:child", Some("urn:base"), json!([child])),
            ),
        ]));
        assert!(matches!(
            ResolvedTypeMetadata::resolve("urn:child", None, &mut d, &provider(), L),
            Err(SdJwtError::IllegalOverride { .. })
        ));
    }
    let mut d = Docs(HashMap::from([(
        "urn:x".to_owned(),
        doc("urn:y", None, json!([])),
    )]));
    assert!(matches!(
        ResolvedTypeMetadata::resolve("urn:x", None, &mut d, &provider(), L),
        Err(SdJwtError::TypeMetadata(_))
    ));
    for bad in [
        json!({"vct": "x", "claims": [{"path": []}]}),
        json!({"vct": "x", "claims": [{"path": ["a"], "sd": "sometimes"}]}),
        json!({"vct": "x", "claims": [{"path": [-1]}]}),
        json!({"vct": "x", "claims": [{"path": ["a"], "svg_id": "1a"}]}),
        json!({"vct": "x", "claims": [{"path": ["a"], "svg_id": "a"}, {"path": ["b"], "svg_id": "a"}]}),
        json!({"vct": "x", "display": [{"name": "no locale"}]}),
        json!({"name": "no vct"}),
    ] {
        assert!(
            TypeMetadata::parse(bad.to_string().as_bytes(), L).is_err(),
            "{bad}"
        );
    }
}

fn degree_metadata() -> ResolvedTypeMetadata {
    let doc = json!({
        "vct": "https://kakehashi.example/degree",
        "display": [
            {"locale": "en", "name": "University Degree"},
            {"locale": "ja", "name": "学位記"}
        ],
        "claims": [
            {"path": ["name"], "sd": "always", "mandatory": true,
             "display": [{"locale": "en", "label": "Name"}, {"locale": "ja", "label": "氏名"}]},
            {"path": ["degrees"], "sd": "never"},
            {"path": ["degrees", null], "sd": "always"},
            {"path": ["degrees", null, "field_of_study"], "sd": "never",
             "display": [{"locale": "en", "label": "Field of Study"}, {"locale": "ja", "label": "専攻"}]},
            {"path": ["degrees", null, "date_awarded"], "sd": "always"}
        ]
    });
    let mut d = Docs(HashMap::from([(
        "https://kakehashi.example/degree".to_owned(),
        doc.to_string().into_bytes(),
    )]));
    ResolvedTypeMetadata::resolve(
        "https://kakehashi.example/degree",
        None,
        &mut d,
        &provider(),
        L,
    )
    .unwrap()
}

#[test]
fn bilingual_labels() {
    let tm = degree_metadata();
    assert_eq!(tm.type_name("ja").as_deref(), Some("学位記"));
    assert_eq!(tm.type_name("en-GB").as_deref(), Some("University Degree"));
    assert_eq!(tm.type_name("de").as_deref(), Some("University Degree"));
    let field = ClaimPath(vec![
        PathSegment::Key("degrees".into()),
        PathSegment::Index(3),
        PathSegment::Key("field_of_study".into()),
    ]);
    assert_eq!(tm.claim_label(&field, "ja").as_deref(), Some("専攻"));
    assert_eq!(
        tm.claim_label(&field, "en").as_deref(),
        Some("Field of Study")
    );
    assert_eq!(
        tm.claim_label(&ClaimPath::top("name"), "ja-JP").as_deref(),
        Some("氏名")
    );
    assert_eq!(tm.claim_label(&ClaimPath::top("unknown"), "ja"), None);
}

fn fill(buf: &mut [u8]) {
    static N: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    buf.iter_mut()
        .enumerate()
        .for_each(|(i, b)| *b = n.wrapping_add(u8::try_from(i).unwrap()));
}

#[test]
fn sd_rules_are_enforced_on_credentials() {
    let p = provider();
    let issuer = SoftwareSigner::generate(SignatureAlgorithm::Es256).unwrap();
    let claims: Map<String, Value> = serde_json::from_value(json!({
        "iss": "https://uni.example", "name": "Sato Taro",
        "degrees": [
            {"field_of_study": "Physics", "date_awarded": "2020-03-25"},
            {"field_of_study": "Law", "date_awarded": "2022-03-25"}
        ]
    }))
    .unwrap();
    let c = Value::Object(claims.clone());
    let ptr = |s: &str| ClaimPath::from_pointer(s, &c).unwrap();
    let good = [
        ptr("/name"),
        ptr("/degrees/0"),
        ptr("/degrees/1"),
        ptr("/degrees/0/date_awarded"),
        ptr("/degrees/1/date_awarded"),
    ];
    let issue = |paths: &[ClaimPath]| {
        let mut b = SdJwtBuilder::sd_jwt_vc(claims.clone(), "https://kakehashi.example/degree");
        for path in paths {
            b = b.conceal(path.clone());
        }
        b.issue(&p, &issuer, &mut fill).unwrap()
    };
    let tm = degree_metadata();
    let verify = |sd: &SdJwt, disclose: &[ClaimPath]| {
        let presented = sd
            .present(&p, disclose, Selection::WithDescendants, Limits::DEFAULT)
            .unwrap();
        let mut o = VcVerifyOptions::new(VerifyOptions::new(UnixTime(1_800_000_000)));
        o.type_metadata = Some(&tm);
        verify_sd_jwt_vc(
            SdJwt::parse(&presented.to_compact(), Limits::DEFAULT).unwrap(),
            &p,
            IssuerKey::Jwk(issuer.public_jwk()),
            &o,
        )
    };
    let ok = issue(&good);
    let v = verify(&ok, &[ptr("/degrees/1")]).unwrap();
    assert_eq!(
        v.claims()["degrees"],
        json!([{"field_of_study": "Law", "date_awarded": "2022-03-25"}])
    );
    assert!(
        verify(&ok, &[]).is_ok(),
        "undisclosed elements still count as selectively disclosable"
    );
    let holder_view = ok.decode(&p, Limits::DEFAULT).unwrap();
    tm.check_mandatory(holder_view.claim_records()).unwrap();
    // `name` (sd: always) in the clear.
    let clear_name = issue(&good[1..]);
    assert_eq!(
        verify(&clear_name, &[]).unwrap_err(),
        SdJwtError::SdRuleViolation {
            path: "/name".into(),
            rule: "always"
        }
    );
    // `degrees` (sd: never) made selectively disclosable.
    let mut hidden_degrees = good.to_vec();
    hidden_degrees.push(ptr("/degrees"));
    assert_eq!(
        verify(&issue(&hidden_degrees), &[ptr("/degrees")]).unwrap_err(),
        SdJwtError::SdRuleViolation {
            path: "/degrees".into(),
            rule: "never"
        }
    );
    // A nested `sd: never` claim concealed.
    let mut hidden_field = good.to_vec();
    hidden_field.push(ptr("/degrees/0/field_of_study"));
    assert!(matches!(
        verify(&issue(&hidden_field), &[ptr("/degrees/0")]),
        Err(SdJwtError::SdRuleViolation { rule: "never", .. })
    ));
    // A metadata path that runs through a string is an error.
    let bad_path =
        json!({"vct": "https://kakehashi.example/degree", "claims": [{"path": ["name", "x"]}]});
    let mut d = Docs(HashMap::from([(
        "https://kakehashi.example/degree".to_owned(),
        bad_path.to_string().into_bytes(),
    )]));
    let tm2 =
        ResolvedTypeMetadata::resolve("https://kakehashi.example/degree", None, &mut d, &p, L)
            .unwrap();
    let presented = ok
        .present(&p, &[ptr("/name")], Selection::Exact, Limits::DEFAULT)
        .unwrap();
    let mut o = VcVerifyOptions::new(VerifyOptions::new(UnixTime(1_800_000_000)));
    o.type_metadata = Some(&tm2);
    assert!(matches!(
        verify_sd_jwt_vc(presented, &p, IssuerKey::Jwk(issuer.public_jwk()), &o),
        Err(SdJwtError::ClaimPathMismatch(_))
    ));
}
