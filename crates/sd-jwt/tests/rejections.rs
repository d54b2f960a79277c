//! End-to-end: every verifier rejection rule of RFC 9901 and SD-JWT VC on signed inputs,
//! each with its specific error, plus the holder's refusals.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use kakehashi_core::{UnixTime, b64};
use kakehashi_crypto::{CryptoError, CryptoProvider, HashAlgorithm, SignatureAlgorithm, Signer};
use kakehashi_crypto_aws_lc::{SoftwareSigner, provider};
use kakehashi_jose::{JoseError, sign_compact};
use kakehashi_sd_jwt::{
    ClaimPath, Disclosure, IssuerKey, JsonStyle, KbJwtClaims, KeyBinding, Limits, SdJwt,
    SdJwtBuilder, SdJwtError, Selection, VcVerifyOptions, VerifiedSdJwtVc, VerifyOptions,
    verify_sd_jwt_vc, verify_sd_jwt_vc_text,
};
use serde_json::{Map, Value, json};

const NOW: UnixTime = UnixTime(1_800_000_000);
const L: Limits = Limits::DEFAULT;

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

fn fill(buf: &mut [u8]) {
    // Deterministic, distinct salts for tests: a counter.
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    for (i, b) in buf.iter_mut().enumerate() {
        *b = u8::try_from((n >> ((i % 8) * 8)) & 0xff).unwrap() ^ u8::try_from(i).unwrap();
    }
}

struct Fixture {
    issuer: SoftwareSigner,
    holder: SoftwareSigner,
    sd_jwt: SdJwt,
}

fn claims() -> Map<String, Value> {
    obj(json!({
        "iss": "https://issuer.example", "iat": 1_700_000_000, "exp": 1_900_000_000,
        "given_name": "Hanako", "family_name": "Yamada",
        "address": {"street": "1-1 Chiyoda", "city": "Tokyo"},
        "nationalities": ["JP", "DE"]
    }))
}

fn fixture() -> Fixture {
    let issuer = SoftwareSigner::generate(SignatureAlgorithm::Es256).unwrap();
    let holder = SoftwareSigner::generate(SignatureAlgorithm::Es256).unwrap();
    let sd_jwt = SdJwtBuilder::new(claims())
        .typ("example+sd-jwt")
        .conceal(ClaimPath::top("given_name"))
        .conceal(ClaimPath::top("address"))
        .conceal(ClaimPath::from_pointer("/address/street", &Value::Object(claims())).unwrap())
        .conceal(ClaimPath::from_pointer("/nationalities/1", &Value::Object(claims())).unwrap())
        .decoys_per_object(2)
        .holder_key(holder.public_jwk().clone())
        .issue(&provider(), &issuer, &mut fill)
        .unwrap();
    Fixture {
        issuer,
        holder,
        sd_jwt,
    }
}

fn kb(nonce: &str, iat: UnixTime) -> KbJwtClaims {
    KbJwtClaims {
        audience: "https://verifier.example".into(),
        nonce: nonce.into(),
        issued_at: iat,
    }
}

fn required() -> VerifyOptions<'static> {
    let mut o = VerifyOptions::new(NOW);
    o.key_binding = KeyBinding::Required {
        nonce: "n-123",
        audience: "https://verifier.example",
    };
    o
}

fn presentation(f: &Fixture, paths: &[&str]) -> SdJwt {
    let c = Value::Object(claims());
    let paths: Vec<ClaimPath> = paths
        .iter()
        .map(|p| ClaimPath::from_pointer(p, &c).unwrap())
        .collect();
    f.sd_jwt
        .present(&provider(), &paths, Selection::WithDescendants, L)
        .unwrap()
        .bind(&provider(), &f.holder, &kb("n-123", NOW), L)
        .unwrap()
}

/// Verifies through both entry points, which must agree: `parse` + `verify`, and the
/// one-step `parse_and_verify` (whose fast path must give the same result or error, claim
/// order included, whenever it takes the input rather than falling back).
fn verify(
    text: &str,
    f: &Fixture,
    options: &VerifyOptions<'_>,
) -> Result<Map<String, Value>, SdJwtError> {
    let (p, key) = (provider(), f.issuer.public_jwk());
    if let Err(diff) = kakehashi_sd_jwt::testing::compare_sd_jwt(text, &p, key, options) {
        panic!("fast and general paths differ:\n{diff}");
    }
    let one_step = SdJwt::parse_and_verify(text, &p, key, options).map(|v| v.into_claims());
    let two_step = SdJwt::parse(text, options.limits)
        .and_then(|s| s.verify(&p, key, options))
        .map(|v| v.into_claims());
    assert_eq!(one_step, two_step);
    one_step
}

#[test]
fn round_trip_discloses_exactly_the_selection() {
    let f = fixture();
    let p = presentation(&f, &["/address/street"]);
    let claims = verify(&p.to_compact(), &f, &required()).unwrap();
    assert_eq!(
        claims["address"],
        json!({"city": "Tokyo", "street": "1-1 Chiyoda"})
    );
    assert!(!claims.contains_key("given_name"));
    assert_eq!(claims["nationalities"], json!(["JP"]));
    // Exact selection of the parent keeps the nested claim concealed.
    let c = Value::Object(self::claims());
    let exact = f
        .sd_jwt
        .present(
            &provider(),
            &[ClaimPath::from_pointer("/address", &c).unwrap()],
            Selection::Exact,
            L,
        )
        .unwrap();
    let claims = verify(&exact.to_compact(), &f, &VerifyOptions::new(NOW)).unwrap();
    assert_eq!(claims["address"], json!({"city": "Tokyo"}));
    // JSON serialization, flattened and general.
    for flattened in [true, false] {
        let text = p.to_json(flattened).to_string();
        assert!(verify(&text, &f, &required()).is_ok());
    }
}

#[test]
fn key_binding_rules() {
    let f = fixture();
    let p = presentation(&f, &["/given_name"]);
    let without_kb = f
        .sd_jwt
        .present(&provider(), &[], Selection::Exact, L)
        .unwrap();
    assert_eq!(
        verify(&without_kb.to_compact(), &f, &required()),
        Err(SdJwtError::KbJwtMissing)
    );
    let mut o = required();
    o.key_binding = KeyBinding::Required {
        nonce: "other",
        audience: "https://verifier.example",
    };
    assert_eq!(
        verify(&p.to_compact(), &f, &o),
        Err(SdJwtError::KbJwtNonceMismatch)
    );
    o.key_binding = KeyBinding::Required {
        nonce: "n-123",
        audience: "https://evil.example",
    };
    assert!(matches!(
        verify(&p.to_compact(), &f, &o),
        Err(SdJwtError::KbJwtAudienceMismatch { .. })
    ));
    // A disclosure removed after binding: sd_hash no longer matches.
    let text = p.to_compact();
    let parts: Vec<&str> = text.split('~').collect();
    let dropped = format!("{}~{}", parts[0], parts[2..].join("~"));
    assert_eq!(
        verify(&dropped, &f, &required()),
        Err(SdJwtError::SdHashMismatch)
    );
    // Old and future KB-JWTs.
    for iat in [NOW.saturating_sub(3600), NOW.saturating_add(3600)] {
        let old = f
            .sd_jwt
            .present(&provider(), &[], Selection::Exact, L)
            .unwrap()
            .bind(&provider(), &f.holder, &kb("n-123", iat), L)
            .unwrap();
        assert!(matches!(
            verify(&old.to_compact(), &f, &required()),
            Err(SdJwtError::KbJwtIatOutOfWindow { .. })
        ));
    }
    // KB-JWT signed by someone else, or with the wrong typ.
    let thief = SoftwareSigner::generate(SignatureAlgorithm::Es256).unwrap();
    let base = f
        .sd_jwt
        .present(&provider(), &[], Selection::Exact, L)
        .unwrap();
    assert_eq!(
        base.clone()
            .bind(&provider(), &thief, &kb("n-123", NOW), L)
            .unwrap_err(),
        SdJwtError::HolderKeyMismatch
    );
    let sd_hash =
        b64::encode(provider().digest(HashAlgorithm::Sha256, base.sd_hash_input().as_bytes()));
    let payload =
        json!({"nonce":"n-123","aud":"https://verifier.example","iat":NOW.0,"sd_hash":sd_hash})
            .to_string();
    let forged = sign_compact(obj(json!({"typ":"kb+jwt"})), payload.as_bytes(), &thief).unwrap();
    assert!(matches!(
        verify(&format!("{}{forged}", base.to_compact()), &f, &required()),
        Err(SdJwtError::Jose {
            context: "KB-JWT",
            source: JoseError::Crypto(CryptoError::BadSignature)
        })
    ));
    let wrong_typ = sign_compact(obj(json!({"typ":"JWT"})), payload.as_bytes(), &f.holder).unwrap();
    assert!(matches!(
        verify(
            &format!("{}{wrong_typ}", base.to_compact()),
            &f,
            &required()
        ),
        Err(SdJwtError::Jose {
            context: "KB-JWT",
            source: JoseError::WrongType { .. }
        })
    ));
    let no_nonce =
        json!({"aud":"https://verifier.example","iat":NOW.0,"sd_hash":sd_hash}).to_string();
    let no_nonce =
        sign_compact(obj(json!({"typ":"kb+jwt"})), no_nonce.as_bytes(), &f.holder).unwrap();
    assert_eq!(
        verify(&format!("{}{no_nonce}", base.to_compact()), &f, &required()),
        Err(SdJwtError::KbJwtClaim("nonce"))
    );
    // The holder never accepts an SD-JWT+KB as issued.
    let p2 = SdJwt::parse(&p.to_compact(), L).unwrap();
    assert_eq!(
        p2.present(&provider(), &[], Selection::Exact, L)
            .unwrap_err(),
        SdJwtError::UnexpectedKbJwt
    );
}

#[test]
fn cnf_required_for_key_binding() {
    let f = fixture();
    let no_cnf = SdJwtBuilder::new(claims())
        .issue(&provider(), &f.issuer, &mut fill)
        .unwrap();
    assert_eq!(
        no_cnf
            .clone()
            .bind(&provider(), &f.holder, &kb("n", NOW), L)
            .unwrap_err(),
        SdJwtError::CnfMissing
    );
    // A KB-JWT taken from another presentation and appended.
    let p = presentation(&f, &[]);
    let kb_jwt = p.kb_jwt().unwrap();
    assert_eq!(
        verify(&format!("{}{kb_jwt}", no_cnf.to_compact()), &f, &required()),
        Err(SdJwtError::CnfMissing)
    );
}

#[test]
fn issuer_side_tampering() {
    let f = fixture();
    let good = f.sd_jwt.to_compact();
    // A disclosure the issuer never made.
    let extra = Disclosure::property(
        "c2FsdA".into(),
        "is_admin".into(),
        json!(true),
        JsonStyle::Compact,
    )
    .unwrap();
    assert!(matches!(
        verify(
            &format!("{good}{}~", extra.encoded()),
            &f,
            &VerifyOptions::new(NOW)
        ),
        Err(SdJwtError::UnreferencedDisclosure(_))
    ));
    // The same disclosure twice.
    let d = f.sd_jwt.disclosures()[0].encoded();
    assert!(matches!(
        verify(&format!("{good}{d}~"), &f, &VerifyOptions::new(NOW)),
        Err(SdJwtError::DuplicateDisclosure(_))
    ));
    // Another issuer key, an expired credential.
    let other = SoftwareSigner::generate(SignatureAlgorithm::Es256).unwrap();
    assert!(matches!(
        SdJwt::parse(&good, L).unwrap().verify(
            &provider(),
            other.public_jwk(),
            &VerifyOptions::new(NOW)
        ),
        Err(SdJwtError::Jose {
            source: JoseError::Crypto(CryptoError::BadSignature),
            ..
        })
    ));
    assert!(matches!(
        verify(&good, &f, &VerifyOptions::new(UnixTime(2_000_000_000))),
        Err(SdJwtError::Jose {
            source: JoseError::Expired { .. },
            ..
        })
    ));
    let mut typed = VerifyOptions::new(NOW);
    typed.typ = Some("dc+sd-jwt");
    assert!(matches!(
        verify(&good, &f, &typed),
        Err(SdJwtError::Jose {
            source: JoseError::WrongType { .. },
            ..
        })
    ));
}

/// Signs an arbitrary payload so structural rules can be tested behind a valid signature.
/// `verify_sd_jwt_vc` through both entry points, which must agree (see [`verify`]).
fn verify_vc(
    text: &str,
    p: &CryptoProvider,
    key: IssuerKey<'_>,
    options: &VcVerifyOptions<'_>,
) -> Result<VerifiedSdJwtVc, SdJwtError> {
    if let Err(diff) = kakehashi_sd_jwt::testing::compare_sd_jwt_vc(text, p, key, options) {
        panic!("fast and general paths differ:\n{diff}");
    }
    let one_step = verify_sd_jwt_vc_text(text, p, key, options);
    let two_step =
        SdJwt::parse(text, options.base.limits).and_then(|s| verify_sd_jwt_vc(s, p, key, options));
    assert_eq!(format!("{one_step:?}"), format!("{two_step:?}"));
    one_step
}

fn signed(issuer: &SoftwareSigner, payload: Value, disclosures: &[&Disclosure]) -> String {
    let jwt = sign_compact(Map::new(), payload.to_string().as_bytes(), issuer).unwrap();
    let mut out = format!("{jwt}~");
    for d in disclosures {
        out.push_str(d.encoded());
        out.push('~');
    }
    out
}

#[test]
fn structural_rules_behind_a_valid_signature() {
    let f = fixture();
    let p = provider();
    let d = |name: &str| {
        Disclosure::property("c2FsdA".into(), name.into(), json!("v"), JsonStyle::Compact).unwrap()
    };
    let dg = |d: &Disclosure| d.digest(&p, HashAlgorithm::Sha256);
    let (a, b) = (d("a"), d("b"));
    let elem = Disclosure::element("c2FsdB".into(), json!(1), JsonStyle::Compact);
    let raw_sd_name = b64::encode(br#"["c2FsdA","_sd","x"]"#);
    let o = VerifyOptions::new(NOW);
    let run = |payload: Value, ds: &[&Disclosure]| verify(&signed(&f.issuer, payload, ds), &f, &o);
    assert!(matches!(
        run(json!({"_sd": [dg(&a), dg(&a)]}), &[&a]),
        Err(SdJwtError::DuplicateDigest(_))
    ));
    assert!(matches!(
        run(json!({"_sd": [dg(&a)], "x": {"_sd": [dg(&a)]}}), &[&a]),
        Err(SdJwtError::DuplicateDigest(_))
    ));
    // The same digest twice with no Disclosure behind it (a repeated decoy) too.
    for payload in [
        json!({"_sd": [dg(&b), dg(&b)]}),
        json!({"l": [{"...": dg(&b)}, {"...": dg(&b)}]}),
        json!({"_sd": [dg(&b)], "x": [{"...": dg(&b)}]}),
    ] {
        assert!(matches!(
            run(payload, &[]),
            Err(SdJwtError::DuplicateDigest(_))
        ));
    }
    assert_eq!(
        run(json!({"_sd": [dg(&a)], "a": 1}), &[&a]),
        Err(SdJwtError::ClaimNameCollision("a".into()))
    );
    assert!(matches!(
        run(json!({"_sd": dg(&a)}), &[&a]),
        Err(SdJwtError::MisplacedSd(_))
    ));
    assert!(matches!(
        run(json!({"l": [{"...": dg(&elem), "x": 1}]}), &[&elem]),
        Err(SdJwtError::MisplacedEllipsis(_))
    ));
    assert!(matches!(
        run(json!({"l": [{"...": dg(&a)}]}), &[&a]),
        Err(SdJwtError::DisclosureShape(_))
    ));
    assert!(matches!(
        run(json!({"_sd": [dg(&elem)]}), &[&elem]),
        Err(SdJwtError::DisclosureShape(_))
    ));
    assert_eq!(
        run(json!({"_sd": [dg(&b)], "_sd_alg": "md5"}), &[&b]),
        Err(SdJwtError::UnsupportedHashAlgorithm("md5".into()))
    );
    let text = format!("{}{raw_sd_name}~", signed(&f.issuer, json!({}), &[]));
    assert_eq!(
        verify(&text, &f, &o),
        Err(SdJwtError::ReservedClaimName("_sd".into()))
    );
    let salt_num = b64::encode(br#"[1,"a","x"]"#);
    let text = format!("{}{salt_num}~", signed(&f.issuer, json!({}), &[]));
    assert_eq!(verify(&text, &f, &o), Err(SdJwtError::SaltNotString));
    // A disclosure that is referenced from inside another disclosure works.
    let inner = d("inner");
    let outer = Disclosure::property(
        "c2FsdC".into(),
        "outer".into(),
        json!({"_sd": [dg(&inner)]}),
        JsonStyle::Compact,
    )
    .unwrap();
    let claims = run(json!({"_sd": [dg(&outer)]}), &[&inner, &outer]).unwrap();
    assert_eq!(claims["outer"], json!({"inner": "v"}));
}

#[test]
fn hash_algorithms() {
    let issuer = SoftwareSigner::generate(SignatureAlgorithm::EdDsa).unwrap();
    for hash in [HashAlgorithm::Sha384, HashAlgorithm::Sha512] {
        let s = SdJwtBuilder::new(claims())
            .conceal(ClaimPath::top("given_name"))
            .hash_algorithm(hash)
            .issue(&provider(), &issuer, &mut fill)
            .unwrap();
        let v = SdJwt::parse(&s.to_compact(), L)
            .unwrap()
            .verify(&provider(), issuer.public_jwk(), &VerifyOptions::new(NOW))
            .unwrap();
        assert_eq!(v.hash_algorithm(), hash);
        assert_eq!(v.claims()["given_name"], "Hanako");
        let mut only256 = VerifyOptions::new(NOW);
        only256.allowed_hashes = &[HashAlgorithm::Sha256];
        assert!(matches!(
            SdJwt::parse(&s.to_compact(), L).unwrap().verify(
                &provider(),
                issuer.public_jwk(),
                &only256
            ),
            Err(SdJwtError::UnsupportedHashAlgorithm(_))
        ));
    }
}

#[test]
fn issuer_input_rules() {
    let issuer = SoftwareSigner::generate(SignatureAlgorithm::Es256).unwrap();
    let bad =
        SdJwtBuilder::new(obj(json!({"a": {"_sd": []}}))).issue(&provider(), &issuer, &mut fill);
    assert_eq!(
        bad.unwrap_err(),
        SdJwtError::ReservedClaimName("_sd".into())
    );
    let missing = SdJwtBuilder::new(claims())
        .conceal(ClaimPath::top("nope"))
        .issue(&provider(), &issuer, &mut fill);
    assert!(matches!(missing, Err(SdJwtError::UnknownClaimPath(_))));
    let vc_exp = SdJwtBuilder::sd_jwt_vc(claims(), "urn:x")
        .conceal(ClaimPath::top("exp"))
        .issue(&provider(), &issuer, &mut fill);
    assert_eq!(
        vc_exp.unwrap_err(),
        SdJwtError::NotSelectivelyDisclosable("/exp".into())
    );
}

#[test]
fn limits() {
    let f = fixture();
    let few = Limits {
        max_disclosures: 2,
        ..L
    };
    assert!(matches!(
        SdJwt::parse(&f.sd_jwt.to_compact(), few),
        Err(SdJwtError::TooManyDisclosures { .. })
    ));
    let shallow = Limits {
        max_disclosure_depth: 1,
        ..L
    };
    let mut o = VerifyOptions::new(NOW);
    o.limits = shallow;
    assert_eq!(
        verify(&f.sd_jwt.to_compact(), &f, &o),
        Err(SdJwtError::TooDeep { limit: 1 })
    );
}

/// A syntactically valid X.509 certificate carrying `key` (the signature is not checked by
/// the SD-JWT layer; the trust layer does path validation).
fn certificate(key: &kakehashi_crypto::PublicJwk) -> Vec<u8> {
    fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let len = content.len();
        if len < 128 {
            out.push(u8::try_from(len).unwrap());
        } else if len < 256 {
            out.push(0x81);
            out.push(u8::try_from(len).unwrap());
        } else {
            out.push(0x82);
            out.extend_from_slice(&u16::try_from(len).unwrap().to_be_bytes());
        }
        out.extend_from_slice(content);
        out
    }
    let alg = [
        0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02,
    ];
    let spki_alg = [
        0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86,
        0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,
    ];
    let mut point = vec![0u8];
    point.extend(key.public_key_bytes());
    let spki = tlv(0x30, &[&spki_alg[..], &tlv(0x03, &point)].concat());
    let validity = tlv(
        0x30,
        &[tlv(0x17, b"250101000000Z"), tlv(0x17, b"350101000000Z")].concat(),
    );
    let tbs = tlv(
        0x30,
        &[
            &[0xa0, 0x03, 0x02, 0x01, 0x02, 0x02, 0x01, 0x01][..],
            &alg,
            &[0x30, 0x00],
            &validity,
            &[0x30, 0x00],
            &spki,
        ]
        .concat(),
    );
    tlv(
        0x30,
        &[&tbs[..], &alg, &tlv(0x03, &[0, 0x30, 0x00])].concat(),
    )
}

#[test]
fn sd_jwt_vc_rules() {
    let p = provider();
    let issuer_key = SoftwareSigner::generate(SignatureAlgorithm::Es256).unwrap();
    let chain = vec![certificate(issuer_key.public_jwk())];
    let issuer = SoftwareSigner::from_private_jwk(&issuer_key.to_private_jwk().unwrap())
        .unwrap()
        .with_certificate_chain(chain.clone());
    let holder = SoftwareSigner::generate(SignatureAlgorithm::Es256).unwrap();
    let mut c = claims();
    c.insert(
        "status".into(),
        json!({"status_list": {"idx": 3, "uri": "https://s.example/1"}}),
    );
    let vc = SdJwtBuilder::sd_jwt_vc(c, "https://credentials.example/degree")
        .conceal_all_top_level()
        .holder_key(holder.public_jwk().clone())
        .issue(&p, &issuer, &mut fill)
        .unwrap();
    let text = vc
        .present(
            &p,
            &[ClaimPath::top("family_name")],
            Selection::WithDescendants,
            L,
        )
        .unwrap()
        .bind(&p, &holder, &kb("n-123", NOW), L)
        .unwrap()
        .to_compact();
    let options = VcVerifyOptions::new(required());
    let v = verify_vc(&text, &p, IssuerKey::X5c, &options).unwrap();
    assert_eq!(v.untrusted_x5c(), &chain[..]);
    assert_eq!(v.vct(), "https://credentials.example/degree");
    assert_eq!(v.status().unwrap()["status_list"]["idx"], 3);
    assert_eq!(v.claims()["family_name"], "Yamada");
    assert!(!v.claims().contains_key("given_name"));
    assert!(v.aka_vcts().is_empty());
    // aka_vcts must be a non-empty list of other types.
    for (aka, ok) in [
        (json!(["urn:eu:degree"]), true),
        (json!([]), false),
        (json!(["https://credentials.example/degree"]), false),
        (json!("urn:x"), false),
    ] {
        let mut c = claims();
        c.insert("aka_vcts".into(), aka);
        let s = SdJwtBuilder::sd_jwt_vc(c, "https://credentials.example/degree")
            .issue(&p, &issuer_key, &mut fill)
            .unwrap();
        let r = verify_vc(
            &s.to_compact(),
            &p,
            IssuerKey::Jwk(issuer_key.public_jwk()),
            &VcVerifyOptions::new(VerifyOptions::new(NOW)),
        );
        assert_eq!(r.is_ok(), ok, "{r:?}");
        if !ok {
            assert_eq!(r.unwrap_err(), SdJwtError::VcClaim("aka_vcts"));
        }
    }
    // Issuer metadata: issuer must match iss.
    let meta = json!({"issuer": "https://other.example", "jwks": {"keys": [issuer.public_jwk().to_json()]}});
    assert!(matches!(
        verify_vc(&text, &p, IssuerKey::Metadata(&meta), &options),
        Err(SdJwtError::IssuerMismatch { .. })
    ));
    let uri_only =
        json!({"issuer": "https://issuer.example", "jwks_uri": "https://issuer.example/jwks"});
    assert!(matches!(
        verify_vc(&text, &p, IssuerKey::Metadata(&uri_only), &options),
        Err(SdJwtError::IssuerKey(_))
    ));
    // Legacy typ only when asked; a selectively disclosed `exp` is refused.
    let legacy = SdJwtBuilder::new(claims())
        .typ("vc+sd-jwt")
        .conceal(ClaimPath::top("exp"))
        .header_member("kid", json!("k1"))
        .issue(&p, &issuer_key, &mut fill)
        .unwrap();
    let mut legacy_text = legacy.to_compact();
    let strict = VcVerifyOptions::new(VerifyOptions::new(NOW));
    let key = IssuerKey::Jwk(issuer_key.public_jwk());
    assert!(matches!(
        verify_vc(&legacy_text, &p, key, &strict),
        Err(SdJwtError::Jose {
            source: JoseError::WrongType { .. },
            ..
        })
    ));
    let lenient = VcVerifyOptions {
        accept_legacy_typ: true,
        ..strict
    };
    assert_eq!(
        verify_vc(&legacy_text, &p, key, &lenient).unwrap_err(),
        SdJwtError::ForbiddenDisclosure("exp".into())
    );
    // Without the `exp` disclosure the credential is fine except that it has no vct.
    legacy_text = format!("{}~", legacy.issuer_jwt());
    assert_eq!(
        verify_vc(&legacy_text, &p, key, &lenient).unwrap_err(),
        SdJwtError::VcClaim("vct")
    );
}

/// KB-JWT headers other than the plain `{"alg","typ":"kb+jwt"}` skip the verifier's fast
/// path and get the general checks: accepted when those accept, refused with their error.
#[test]
fn kb_jwt_headers_outside_the_fast_path() {
    let f = fixture();
    let base = f
        .sd_jwt
        .present(&provider(), &[], Selection::Exact, L)
        .unwrap();
    let sd_hash =
        b64::encode(provider().digest(HashAlgorithm::Sha256, base.sd_hash_input().as_bytes()));
    let payload =
        json!({"nonce":"n-123","aud":"https://verifier.example","iat":NOW.0,"sd_hash":sd_hash})
            .to_string();
    let with = |header: Value, signer: &SoftwareSigner| {
        let kb = sign_compact(obj(header), payload.as_bytes(), signer).unwrap();
        verify(&format!("{}{kb}", base.to_compact()), &f, &required())
    };
    // Accepted by the general path: an extra member, a media type with prefix and case.
    assert!(with(json!({"typ":"kb+jwt","kid":"h-1"}), &f.holder).is_ok());
    assert!(with(json!({"typ":"application/KB+JWT"}), &f.holder).is_ok());
    // The same headers with another key: the signature error, as on the fast path.
    let thief = SoftwareSigner::generate(SignatureAlgorithm::Es256).unwrap();
    for header in [json!({"typ":"kb+jwt","kid":"h-1"}), json!({"typ":"kb+jwt"})] {
        assert!(matches!(
            with(header, &thief),
            Err(SdJwtError::Jose {
                context: "KB-JWT",
                source: JoseError::Crypto(CryptoError::BadSignature)
            })
        ));
    }
    // Refused by the general path's header checks.
    assert!(matches!(
        with(json!({"typ":"kb+jwt","crit":["x"],"x":1}), &f.holder),
        Err(SdJwtError::Jose {
            context: "KB-JWT",
            source: JoseError::UnsupportedCritical(_)
        })
    ));
    assert!(matches!(
        with(json!({"typ":"kb+jwt","kid":7}), &f.holder),
        Err(SdJwtError::Jose {
            context: "KB-JWT",
            source: JoseError::HeaderMember("kid")
        })
    ));
    // A signature that is not base64url fails as a parse error, not as a bad signature.
    let kb = sign_compact(obj(json!({"typ":"kb+jwt"})), payload.as_bytes(), &f.holder).unwrap();
    let broken = format!("{}{}=", base.to_compact(), kb);
    assert!(matches!(
        verify(&broken, &f, &required()),
        Err(SdJwtError::Jose {
            context: "KB-JWT",
            source: JoseError::Base64 { part: "signature" }
        })
    ));
}
