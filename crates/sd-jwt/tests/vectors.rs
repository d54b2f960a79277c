//! Runs every case of testdata/sd-jwt and testdata/sd-jwt-vc (see testdata/README.md).

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use kakehashi_core::{UnixTime, b64};
use kakehashi_crypto::{PublicJwk, Signer};
use kakehashi_crypto_aws_lc::{SoftwareSigner, provider};
use kakehashi_sd_jwt::{
    ClaimPath, IssuerKey, JsonStyle, KbJwtClaims, KeyBinding, Limits, PathSegment, SdJwt,
    SdJwtBuilder, SdJwtError, Selection, VcVerifyOptions, VerifyOptions, verify_sd_jwt_vc,
};
use serde_json::{Map, Value, json};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata")
}

fn read_json(p: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .unwrap()
}

/// The serialized SD-JWT of a case: `.txt` for compact, `.json` holding a JSON string for JSON.
fn read_sd_jwt(dir: &Path, stem: &str) -> String {
    let txt = dir.join(format!("{stem}.txt"));
    if txt.exists() {
        return fs::read_to_string(txt).unwrap().trim().to_owned();
    }
    match read_json(&dir.join(format!("{stem}.json"))) {
        Value::String(s) => s,
        other => other.to_string(),
    }
}

fn public(jwk: &Value) -> PublicJwk {
    let mut j = jwk.clone();
    j.as_object_mut().unwrap().remove("d");
    PublicJwk::from_json(&j).unwrap()
}

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => panic!("not an object"),
    }
}

fn path_of(segments: &Value) -> ClaimPath {
    ClaimPath(
        segments
            .as_array()
            .unwrap()
            .iter()
            .map(|s| match s {
                Value::String(k) => PathSegment::Key(k.clone()),
                n => PathSegment::Index(usize::try_from(n.as_u64().unwrap()).unwrap()),
            })
            .collect(),
    )
}

fn strip_decoys(value: &mut Value, decoys: &BTreeSet<String>) {
    match value {
        Value::Object(m) => {
            if let Some(Value::Array(sd)) = m.get_mut("_sd") {
                sd.retain(|d| !decoys.contains(d.as_str().unwrap()));
            }
            m.values_mut().for_each(|v| strip_decoys(v, decoys));
        }
        Value::Array(a) => a.iter_mut().for_each(|v| strip_decoys(v, decoys)),
        _ => {}
    }
}

fn run_case(dir: &Path, log: &mut Vec<String>) -> Result<(), SdJwtError> {
    let p = provider();
    let limits = Limits::DEFAULT;
    let case = read_json(&dir.join("case.json"));
    let issuer_keys: Vec<&Value> = case["issuer_keys"].as_array().unwrap().iter().collect();
    let holder_private = &case["holder_key"];
    let holder_public = public(holder_private);
    let key_binding = case["key_binding"].as_bool().unwrap();
    let nonce = case["nonce"].as_str().unwrap();
    let verifier = case["verifier"].as_str().unwrap();
    let kb_payload = key_binding.then(|| read_json(&dir.join("kb_jwt_payload.json")));
    // The vectors were generated at the KB-JWT's iat; the issuer JWT is valid 2023..2029.
    let now = UnixTime(
        kb_payload
            .as_ref()
            .map_or(1_795_439_887, |k| k["iat"].as_i64().unwrap()),
    );

    // 1. Issuance, byte for byte (except the randomized signature).
    let vector_issuance = read_sd_jwt(dir, "sd_jwt_issuance");
    let issued = SdJwt::parse(&vector_issuance, limits)?;
    let mut salts: Vec<Vec<u8>> = issued
        .disclosures()
        .iter()
        .map(|d| b64::decode(d.salt()).unwrap())
        .collect();
    salts.reverse();
    let mut fill = |buf: &mut [u8]| {
        let salt = salts.pop().expect("more salts drawn than the vector has");
        buf.copy_from_slice(&salt);
    };
    let mut claims = Map::new();
    if case["include_default_claims"].as_bool().unwrap() {
        claims.insert("iss".into(), case["issuer"].clone());
        claims.insert("iat".into(), case["iat"].clone());
        claims.insert("exp".into(), case["exp"].clone());
    }
    claims.extend(obj(read_json(&dir.join("user_claims.json"))));
    let mut builder = SdJwtBuilder::new(claims.clone())
        .typ("example+sd-jwt")
        .json_style(JsonStyle::PythonCompatible);
    for (k, v) in case["extra_header_parameters"].as_object().unwrap() {
        builder = builder.header_member(k, v.clone());
    }
    for path in case["sd_paths"].as_array().unwrap() {
        builder = builder.conceal(path_of(path));
    }
    if key_binding {
        builder = builder.holder_key(holder_public.clone());
    }
    let issuer_signer = SoftwareSigner::from_private_jwk(issuer_keys[0]).unwrap();
    let mine = builder.issue(&p, &issuer_signer, &mut fill)?;
    let signing_input = |jwt: &str| jwt.rsplit_once('.').unwrap().0.to_owned();
    let mut expected_payload = read_json(&dir.join("sd_jwt_payload.json"));
    let decoys_file = dir.join("decoy_digests.json");
    let mine_payload = Value::Object(mine.unverified_payload(limits.json)?);
    if decoys_file.exists() {
        // Decoy digests come from the generator's seeded RNG interleaved with salts; compare
        // everything else exactly.
        let decoys: BTreeSet<String> = read_json(&decoys_file)
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_str().unwrap().to_owned())
            .collect();
        strip_decoys(&mut expected_payload, &decoys);
        assert_eq!(mine_payload, expected_payload, "payload without decoys");
        log.push("issuance reproduced (decoys excluded)".into());
    } else {
        assert_eq!(
            signing_input(mine.issuer_jwt()),
            signing_input(issued.issuer_jwt()),
            "issuer JWT header.payload"
        );
        log.push("issuance reproduced byte for byte".into());
    }
    let mine_d: Vec<&str> = mine.disclosures().iter().map(|d| d.encoded()).collect();
    let vec_d: Vec<&str> = issued.disclosures().iter().map(|d| d.encoded()).collect();
    assert_eq!(mine_d, vec_d, "disclosures");

    // 2. The vector's issuance verifies with every issuer key and yields all claims.
    let mut all_claims = claims.clone();
    if key_binding {
        all_claims.insert("cnf".into(), json!({"jwk": holder_public.to_json()}));
    }
    for key in &issuer_keys {
        let v = SdJwt::parse(&vector_issuance, limits)?.verify(
            &p,
            &public(key),
            &VerifyOptions::new(now),
        )?;
        assert_eq!(v.claims(), &all_claims, "all claims of the issuance");
    }

    // 3. The vector's presentation verifies to verified_contents.json.
    let expected = obj(read_json(&dir.join("verified_contents.json")));
    let mut options = VerifyOptions::new(now);
    if key_binding {
        options.key_binding = KeyBinding::Required {
            nonce,
            audience: verifier,
        };
    }
    let presentation_text = read_sd_jwt(dir, "sd_jwt_presentation");
    let presented = SdJwt::parse(&presentation_text, limits)?;
    let verified = presented
        .clone()
        .verify(&p, &public(issuer_keys[0]), &options)?;
    assert_eq!(verified.claims(), &expected, "verified contents");
    if let Some(kb) = &kb_payload {
        let got = verified.key_binding().unwrap();
        assert_eq!(got.nonce, kb["nonce"].as_str().unwrap());
        assert_eq!(got.audience, kb["aud"].as_str().unwrap());
    }
    log.push("vector presentation verified".into());
    // The one-step verifier agrees with parse + verify, result and claim order, and its fast
    // path takes every compact vector.
    for (text, o) in [
        (&presentation_text, &options),
        (&vector_issuance, &VerifyOptions::new(now)),
    ] {
        let compact = !text.trim_start().starts_with('{');
        let taken = kakehashi_sd_jwt::testing::compare_sd_jwt(text, &p, &public(issuer_keys[0]), o);
        assert_eq!(taken, Ok(compact), "{}", dir.display());
        let one_step = SdJwt::parse_and_verify(text, &p, &public(issuer_keys[0]), o)?;
        assert_eq!(
            serde_json::to_string(one_step.claims()).unwrap(),
            serde_json::to_string(
                SdJwt::parse(text, limits)?
                    .verify(&p, &public(issuer_keys[0]), o)?
                    .claims()
            )
            .unwrap()
        );
    }
    log.push("one-step verifier agrees".into());

    // 4. Re-create the presentation by claim path and verify it.
    let decoded = issued.decode(&p, limits)?;
    let wanted: Vec<ClaimPath> = presented
        .disclosures()
        .iter()
        .map(|d| {
            let i = issued
                .disclosures()
                .iter()
                .position(|x| x.encoded() == d.encoded())
                .unwrap();
            decoded.disclosure_paths()[i].clone()
        })
        .collect();
    let mut again = issued.present(&p, &wanted, Selection::Exact, limits)?;
    let set = |s: &SdJwt| -> BTreeSet<String> {
        s.disclosures()
            .iter()
            .map(|d| d.encoded().to_owned())
            .collect()
    };
    assert_eq!(
        set(&again),
        set(&presented),
        "same disclosures selected by path"
    );
    if key_binding {
        let holder = SoftwareSigner::from_private_jwk(holder_private).unwrap();
        assert_eq!(holder.public_jwk(), &holder_public);
        let kb = KbJwtClaims {
            audience: verifier.to_owned(),
            nonce: nonce.to_owned(),
            issued_at: now,
        };
        again = again.bind(&p, &holder, &kb, limits)?;
    }
    let reparsed = SdJwt::parse(&again.serialize(), limits)?;
    let v = reparsed.verify(&p, &public(issuer_keys[0]), &options)?;
    assert_eq!(v.claims(), &expected, "own presentation");
    log.push("presentation re-created by path and verified".into());

    // 5. SD-JWT VC cases also go through the VC verifier, with a key and with metadata.
    if issued.header().typ() == Some("dc+sd-jwt") {
        let key = public(issuer_keys[0]);
        let mut jwk = key.to_json();
        if let Some(kid) = issued.header().kid() {
            jwk["kid"] = kid.into();
        }
        let metadata = json!({"issuer": all_claims["iss"], "jwks": {"keys": [jwk]}});
        for issuer_key in [IssuerKey::Jwk(&key), IssuerKey::Metadata(&metadata)] {
            let vc = verify_sd_jwt_vc(
                SdJwt::parse(&presentation_text, limits)?,
                &p,
                issuer_key,
                &VcVerifyOptions::new(options),
            )?;
            assert_eq!(vc.claims(), &expected);
            assert!(!vc.vct().is_empty());
            let one_step = kakehashi_sd_jwt::verify_sd_jwt_vc_text(
                &presentation_text,
                &p,
                issuer_key,
                &VcVerifyOptions::new(options),
            )?;
            assert_eq!(format!("{one_step:?}"), format!("{vc:?}"));
        }
        log.push("SD-JWT VC verified (key and issuer metadata)".into());
    }
    Ok(())
}

#[test]
fn all_vectors() {
    let exceptions: toml::Value =
        toml::from_str(&fs::read_to_string(root().join("exceptions.toml")).unwrap()).unwrap();
    let exceptions = exceptions["exception"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut dirs: Vec<PathBuf> = Vec::new();
    for group in [
        "sd-jwt/owf-testcases",
        "sd-jwt/spec-examples",
        "sd-jwt-vc/examples",
    ] {
        for entry in fs::read_dir(root().join(group)).unwrap() {
            let path = entry.unwrap().path();
            if path.join("specification.yml").exists() {
                dirs.push(path);
            }
        }
    }
    dirs.sort();
    assert_eq!(
        dirs.len(),
        24,
        "12 OWF cases, 10 spec examples, 2 SD-JWT VC examples"
    );
    let (mut passed, mut excepted) = (0, 0);
    for dir in &dirs {
        let name = dir
            .strip_prefix(root())
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let exception = exceptions
            .iter()
            .find(|e| e["case"].as_str() == Some(name.as_str()));
        let mut log = Vec::new();
        let result = run_case(dir, &mut log);
        match (result, exception) {
            (Ok(()), None) => {
                passed += 1;
                println!("PASS      {name}: {}", log.join("; "));
            }
            (Err(e), Some(ex)) => {
                let want = ex["expect_error"].as_str().unwrap();
                assert!(
                    format!("{e:?}").contains(want),
                    "{name}: expected {want}, got {e:?}"
                );
                excepted += 1;
                println!("EXCEPTION {name}: {e} (listed in exceptions.toml)");
            }
            (Ok(()), Some(_)) => panic!("{name} passes now: remove it from exceptions.toml"),
            (Err(e), None) => panic!("{name}: {e} ({e:?}); done: {log:?}"),
        }
    }
    println!(
        "vectors: {passed} passed, {excepted} exceptions, {} total",
        dirs.len()
    );
    assert_eq!(passed + excepted, dirs.len());
}
