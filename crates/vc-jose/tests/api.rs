//! The public API as other crates use it: issue, verify, refuse.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use common::{read_json, suite_dir};
use kakehashi_core::{UnixTime, b64};
use kakehashi_crypto::{CryptoError, SignatureAlgorithm, Signer as _};
use kakehashi_crypto_aws_lc::{SoftwareSigner, provider};
use kakehashi_jose::{JoseError, sign_compact};
use kakehashi_vc_jose::{
    CompiledSchema, ControlledIdentifierDocument, CredentialStatus, HolderBinding, KeySource,
    PresentationClaims, SchemaOutcome, SchemaSet, VcError, VerifyOptions, check_open_badge,
    envelope_vc_jwt, issue_vc_jwt, issue_vp_jwt, verify_vc_jwt, verify_vp_jwt,
};
use serde_json::{Map, Value, json};

const OB_SCHEMA_ID: &str =
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json";

fn diploma() -> Value {
    read_json(&suite_dir("kakehashi").join("diploma-ob3.json"))
}

fn now() -> UnixTime {
    UnixTime::parse_rfc3339("2026-11-23T00:00:00Z").unwrap()
}

fn ob_schemas() -> SchemaSet {
    let mut schema = read_json(
        &suite_dir("open-badges").join("schemas/ob_v3p0_achievementcredential_schema_draft4.json"),
    );
    for name in schema["required"].as_array_mut().unwrap() {
        if name == "issuanceDate" {
            *name = "validFrom".into();
        }
    }
    SchemaSet::new().with_schema(OB_SCHEMA_ID, &schema).unwrap()
}

fn es256() -> SoftwareSigner {
    SoftwareSigner::generate(SignatureAlgorithm::Es256)
        .unwrap()
        .with_kid("https://www.is.tohoku.example/issuers/gsis#key-1")
}

#[test]
fn diploma_round_trip_with_schema_and_profile() {
    let signer = es256();
    let token = issue_vc_jwt(&diploma(), &signer, Map::new()).unwrap();
    let schemas = ob_schemas();
    let options = VerifyOptions::at(now())
        .with_key(signer.public_jwk())
        .with_schemas(&schemas)
        .require_schemas();
    let verified = verify_vc_jwt(&token, &provider(), &options).unwrap();
    assert_eq!(verified.credential().to_value(), diploma());
    assert_eq!(verified.key_source(), &KeySource::Given);
    assert_eq!(verified.header().typ(), Some("vc+jwt"));
    assert_eq!(verified.header().kid(), signer.public_jwk().kid());
    assert_eq!(verified.schema_checks()[0].outcome, SchemaOutcome::Valid);
    let view = check_open_badge(verified.credential()).unwrap();
    assert_eq!(
        view.achievement.achievement_type.as_deref(),
        Some("MasterDegree")
    );
    assert_eq!(view.achievement.alignments.len(), 2);
    assert_eq!(view.results[0].value.as_deref(), Some("3.82"));
}

#[test]
fn schema_violation_lists_errors() {
    let mut bad = diploma();
    bad["credentialSubject"]["achievement"]["creditsAvailable"] = json!("thirty");
    let signer = es256();
    let token = issue_vc_jwt(&bad, &signer, Map::new()).unwrap();
    let schemas = ob_schemas();
    let options = VerifyOptions::at(now())
        .with_key(signer.public_jwk())
        .with_schemas(&schemas);
    match verify_vc_jwt(&token, &provider(), &options) {
        Err(VcError::SchemaViolation { schema_id, errors }) => {
            assert_eq!(schema_id, OB_SCHEMA_ID);
            assert!(
                errors
                    .iter()
                    .any(|e| e.starts_with("/credentialSubject/achievement/creditsAvailable")),
                "{errors:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    // Without the resolver the schema is reported as not checked, or refused when required.
    let plain = VerifyOptions::at(now()).with_key(signer.public_jwk());
    let verified = verify_vc_jwt(&token, &provider(), &plain).unwrap();
    assert_eq!(
        verified.schema_checks()[0].outcome,
        SchemaOutcome::NotResolved
    );
    assert!(matches!(
        verify_vc_jwt(&token, &provider(), &plain.require_schemas()),
        Err(VcError::SchemaUnavailable { .. })
    ));
    assert!(CompiledSchema::compile("x", &json!({"type": "nonsense"})).is_err());
}

#[test]
fn tampering_and_wrong_keys_are_refused() {
    let signer = es256();
    let token = issue_vc_jwt(&diploma(), &signer, Map::new()).unwrap();
    let options = VerifyOptions::at(now()).with_key(signer.public_jwk());
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut payload: Value = serde_json::from_slice(&b64::decode(&parts[1]).unwrap()).unwrap();
    payload["credentialSubject"]["result"][0]["value"] = json!("4.00");
    parts[1] = b64::encode(payload.to_string());
    assert!(matches!(
        verify_vc_jwt(&parts.join("."), &provider(), &options),
        Err(VcError::Jose(JoseError::Crypto(CryptoError::BadSignature)))
    ));
    let other = es256();
    assert!(matches!(
        verify_vc_jwt(
            &token,
            &provider(),
            &VerifyOptions::at(now()).with_key(other.public_jwk())
        ),
        Err(VcError::Jose(JoseError::Crypto(CryptoError::BadSignature)))
    ));
    assert!(matches!(
        verify_vc_jwt(&token, &provider(), &VerifyOptions::at(now())),
        Err(VcError::NoVerificationKey)
    ));
    let resolver = vec![signer.public_jwk().clone()];
    let resolved = verify_vc_jwt(
        &token,
        &provider(),
        &VerifyOptions::at(now()).with_key_resolver(&resolver),
    )
    .unwrap();
    assert_eq!(resolved.key_source(), &KeySource::Resolved);
}

#[test]
fn time_checks() {
    let signer = es256();
    let mut credential = diploma();
    credential["validUntil"] = json!("2030-03-31T23:59:59+09:00");
    let token = issue_vc_jwt(&credential, &signer, Map::new()).unwrap();
    let at = |t: &str| {
        VerifyOptions::at(UnixTime::parse_rfc3339(t).unwrap()).with_key(signer.public_jwk())
    };
    assert!(matches!(
        verify_vc_jwt(&token, &provider(), &at("2026-03-01T00:00:00Z")),
        Err(VcError::NotYetValid { .. })
    ));
    assert!(matches!(
        verify_vc_jwt(&token, &provider(), &at("2031-01-01T00:00:00Z")),
        Err(VcError::Expired { .. })
    ));
    assert!(verify_vc_jwt(&token, &provider(), &at("2028-01-01T00:00:00Z")).is_ok());
    // JWT exp is checked as well.
    let mut with_exp = diploma();
    with_exp["exp"] = json!(now().seconds() - 3600);
    let token = issue_vc_jwt(&with_exp, &signer, Map::new()).unwrap();
    assert!(matches!(
        verify_vc_jwt(
            &token,
            &provider(),
            &VerifyOptions::at(now()).with_key(signer.public_jwk())
        ),
        Err(VcError::Jose(JoseError::Expired { .. }))
    ));
}

/// Signs an arbitrary header and payload, bypassing the issuer's checks.
fn raw_token(header: Value, payload: &Value, signer: &SoftwareSigner) -> String {
    sign_compact(
        header.as_object().unwrap().clone(),
        payload.to_string().as_bytes(),
        signer,
    )
    .unwrap()
}

#[test]
fn envelope_refusals() {
    let signer = es256();
    let options = VerifyOptions::at(now()).with_key(signer.public_jwk());
    let verify = |t: &str| verify_vc_jwt(t, &provider(), &options);
    let legacy = raw_token(
        json!({"typ": "vc+jwt"}),
        &json!({"vc": diploma(), "iss": "x"}),
        &signer,
    );
    assert!(matches!(
        verify(&legacy),
        Err(VcError::LegacyJwtClaim("vc"))
    ));
    let no_typ = raw_token(json!({}), &diploma(), &signer);
    assert!(matches!(
        verify(&no_typ),
        Err(VcError::WrongMediaType { found: None, .. })
    ));
    let jwt_typ = raw_token(json!({"typ": "JWT"}), &diploma(), &signer);
    assert!(matches!(
        verify(&jwt_typ),
        Err(VcError::WrongMediaType { .. })
    ));
    let application = raw_token(
        json!({"typ": "application/vc+jwt", "cty": "application/vc"}),
        &diploma(),
        &signer,
    );
    assert!(verify(&application).is_ok());
    let bad_cty = raw_token(json!({"typ": "vc+jwt", "cty": "vp"}), &diploma(), &signer);
    assert!(matches!(
        verify(&bad_cty),
        Err(VcError::WrongContentType { .. })
    ));
    let mut wrong_iss = diploma();
    wrong_iss["iss"] = json!("https://someone-else.example");
    let token = raw_token(json!({"typ": "vc+jwt"}), &wrong_iss, &signer);
    assert!(matches!(
        verify(&token),
        Err(VcError::IssuerMismatch { .. })
    ));
    assert!(matches!(
        issue_vc_jwt(&wrong_iss, &signer, Map::new()),
        Err(VcError::IssuerMismatch { .. })
    ));
    let mut right_iss = diploma();
    right_iss["iss"] = right_iss["issuer"]["id"].clone();
    assert!(verify(&raw_token(json!({"typ": "vc+jwt"}), &right_iss, &signer)).is_ok());
    assert!(matches!(
        verify("{\"a\":1}"),
        Err(VcError::NotCompactJws(_))
    ));
    assert!(matches!(verify("a.b.c~d~"), Err(VcError::NotCompactJws(_))));
    assert!(matches!(
        verify("d28459"),
        Err(VcError::CoseUnsupported { .. })
    ));
    assert!(matches!(
        verify("0oRYVqQBJgNu"),
        Err(VcError::CoseUnsupported { .. })
    ));
    assert!(matches!(
        verify(""),
        Err(VcError::Jose(JoseError::Malformed(_)))
    ));
    let none = format!(
        "{}.{}.",
        b64::encode(br#"{"alg":"none","typ":"vc+jwt"}"#),
        b64::encode(diploma().to_string())
    );
    assert!(matches!(
        verify(&none),
        Err(VcError::Jose(JoseError::Crypto(CryptoError::AlgorithmNone)))
    ));
    // The issuer refuses what a verifier would refuse.
    let mut no_subject = diploma();
    no_subject
        .as_object_mut()
        .unwrap()
        .remove("credentialSubject");
    assert!(matches!(
        issue_vc_jwt(&no_subject, &signer, Map::new()),
        Err(VcError::MissingCredentialSubject)
    ));
}

#[test]
fn x5c_and_header_jwk() {
    let dir = suite_dir("kakehashi");
    let der = std::fs::read(dir.join("issuer-p256.pkcs8.der")).unwrap();
    let cert = std::fs::read(dir.join("issuer-p256.cert.der")).unwrap();
    let signer = SoftwareSigner::from_pkcs8(SignatureAlgorithm::Es256, &der)
        .unwrap()
        .with_certificate_chain(vec![cert.clone()]);
    let token = issue_vc_jwt(&diploma(), &signer, Map::new()).unwrap();
    let verified = verify_vc_jwt(&token, &provider(), &VerifyOptions::at(now())).unwrap();
    assert_eq!(verified.key_source(), &KeySource::X5cLeaf);
    assert_eq!(verified.certificate_chain(), std::slice::from_ref(&cert));
    assert_eq!(verified.key(), signer.public_jwk());
    // A pinned key that is not the x5c leaf is a contradiction.
    let other = es256();
    assert!(matches!(
        verify_vc_jwt(
            &token,
            &provider(),
            &VerifyOptions::at(now()).with_key(other.public_jwk())
        ),
        Err(VcError::HeaderKeyMismatch { member: "x5c" })
    ));
    // An x5c leaf that did not sign: the signature fails under the leaf key.
    let impostor = es256().with_certificate_chain(vec![cert]);
    let forged = issue_vc_jwt(&diploma(), &impostor, Map::new()).unwrap();
    assert!(matches!(
        verify_vc_jwt(&forged, &provider(), &VerifyOptions::at(now())),
        Err(VcError::Jose(JoseError::Crypto(CryptoError::BadSignature)))
    ));
    // A jwk header is used, and reported as self-asserted.
    let mut extras = Map::new();
    extras.insert("jwk".into(), other.public_jwk().to_json());
    let token = issue_vc_jwt(&diploma(), &other, extras).unwrap();
    let verified = verify_vc_jwt(&token, &provider(), &VerifyOptions::at(now())).unwrap();
    assert_eq!(verified.key_source(), &KeySource::HeaderJwk);
    assert!(verified.certificate_chain().is_empty());
}

#[test]
fn presentation_round_trip_and_binding() {
    let issuer = es256();
    let holder = SoftwareSigner::generate(SignatureAlgorithm::EdDsa)
        .unwrap()
        .with_kid("did:example:learner:7a1c2e#key-1");
    let vc = issue_vc_jwt(&diploma(), &issuer, Map::new()).unwrap();
    let presentation = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": "did:example:learner:7a1c2e",
        "verifiableCredential": [envelope_vc_jwt(&vc)]
    });
    let claims = PresentationClaims {
        nonce: "nonce-8f2a".into(),
        audience: "https://verifier.example.eu".into(),
        issued_at: now(),
        expires_at: Some(now().saturating_add(300)),
    };
    let vp = issue_vp_jwt(&presentation, &holder, &claims, Map::new()).unwrap();
    let issuers = vec![issuer.public_jwk().clone()];
    let options = VerifyOptions::at(now())
        .with_key(holder.public_jwk())
        .with_key_resolver(&issuers);
    let required = HolderBinding::Required {
        nonce: "nonce-8f2a",
        audience: "https://verifier.example.eu",
    };
    let verified = verify_vp_jwt(&vp, &provider(), &options, required).unwrap();
    assert!(verified.binding_checked());
    assert_eq!(
        verified.presentation().holder(),
        Some("did:example:learner:7a1c2e")
    );
    assert_eq!(verified.credentials().len(), 1);
    assert_eq!(verified.credentials()[0].credential().to_value(), diploma());
    assert_eq!(verified.credentials()[0].key_source(), &KeySource::Resolved);

    let wrong_nonce = HolderBinding::Required {
        nonce: "other",
        audience: "https://verifier.example.eu",
    };
    assert!(matches!(
        verify_vp_jwt(&vp, &provider(), &options, wrong_nonce),
        Err(VcError::NonceMismatch)
    ));
    let wrong_aud = HolderBinding::Required {
        nonce: "nonce-8f2a",
        audience: "https://evil.example",
    };
    assert!(matches!(
        verify_vp_jwt(&vp, &provider(), &options, wrong_aud),
        Err(VcError::AudienceMismatch { .. })
    ));
    let later = VerifyOptions::at(now().saturating_add(3600))
        .with_key(holder.public_jwk())
        .with_key_resolver(&issuers);
    assert!(matches!(
        verify_vp_jwt(&vp, &provider(), &later, required),
        Err(VcError::Jose(JoseError::Expired { .. }))
    ));
    // The inner credential's issuer key is unknown: refused with the entry's index.
    let no_issuer_key = VerifyOptions::at(now()).with_key(holder.public_jwk());
    assert!(matches!(
        verify_vp_jwt(&vp, &provider(), &no_issuer_key, required),
        Err(VcError::PresentedCredential { index: 0, .. })
    ));
    // A vp+jwt is not a vc+jwt and vice versa.
    assert!(matches!(
        verify_vc_jwt(&vp, &provider(), &options),
        Err(VcError::WrongMediaType { .. })
    ));
    assert!(matches!(
        verify_vp_jwt(&vc, &provider(), &options, required),
        Err(VcError::WrongMediaType { .. })
    ));

    // Embedded (unsecured) credentials and other media types are refused.
    let mut embedded = presentation.clone();
    embedded["verifiableCredential"] = json!([diploma()]);
    assert!(matches!(
        issue_vp_jwt(&embedded, &holder, &claims, Map::new()),
        Err(VcError::PresentedCredential { index: 0, .. })
    ));
    let forged = raw_token(
        json!({"typ": "vp+jwt"}),
        &json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"], "type": "VerifiablePresentation",
            "nonce": "nonce-8f2a", "aud": "https://verifier.example.eu",
            "verifiableCredential": [{"@context": "https://www.w3.org/ns/credentials/v2",
                "type": "EnvelopedVerifiableCredential", "id": "data:application/vc+cose;base64,0oRY"}]
        }),
        &holder,
    );
    match verify_vp_jwt(&forged, &provider(), &options, required) {
        Err(VcError::PresentedCredential { index: 0, source }) => {
            assert!(matches!(*source, VcError::CoseUnsupported { .. }))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn controlled_identifier_document_resolves_the_issuer_key() {
    let signer = es256();
    let issuer = "https://www.is.tohoku.example/issuers/gsis";
    let document = json!({
        "id": issuer,
        "verificationMethod": [{"id": "#key-1", "type": "JsonWebKey", "controller": issuer,
                                "publicKeyJwk": signer.public_jwk().to_json()}],
        "assertionMethod": ["#key-1"]
    });
    let cid = ControlledIdentifierDocument::parse(&document).unwrap();
    let mut extras = Map::new();
    extras.insert("kid".into(), json!(format!("{issuer}#key-1")));
    let token = issue_vc_jwt(&diploma(), &signer, extras).unwrap();
    let options = VerifyOptions::at(now()).with_key_resolver(&cid);
    let verified = verify_vc_jwt(&token, &provider(), &options).unwrap();
    assert_eq!(verified.key_source(), &KeySource::Resolved);
    // The same kid claimed for another issuer does not resolve.
    let mut other = diploma();
    other["issuer"]["id"] = json!("https://impostor.example");
    let mut extras = Map::new();
    extras.insert("kid".into(), json!(format!("{issuer}#key-1")));
    let token = issue_vc_jwt(&other, &signer, extras).unwrap();
    assert!(matches!(
        verify_vc_jwt(&token, &provider(), &options),
        Err(VcError::NoVerificationKey)
    ));
}

#[test]
fn status_entry_is_exposed() {
    let signer = es256();
    let mut credential = diploma();
    credential["credentialStatus"] = json!({
        "id": "https://status.tohoku.example/lists/3#94567",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "94567",
        "statusListCredential": "https://status.tohoku.example/lists/3"
    });
    let token = issue_vc_jwt(&credential, &signer, Map::new()).unwrap();
    let verified = verify_vc_jwt(
        &token,
        &provider(),
        &VerifyOptions::at(now()).with_key(signer.public_jwk()),
    )
    .unwrap();
    match &verified.credential().status()[0] {
        CredentialStatus::BitstringStatusList(entry) => {
            assert_eq!(entry.status_list_index, 94567);
            assert_eq!(
                entry.status_list_credential,
                "https://status.tohoku.example/lists/3"
            );
        }
        other => panic!("{other:?}"),
    }
    credential["credentialStatus"]["statusListIndex"] = json!("-4");
    assert!(matches!(
        issue_vc_jwt(&credential, &signer, Map::new()),
        Err(VcError::MalformedStatusEntry {
            field: "statusListIndex",
            ..
        })
    ));
}
