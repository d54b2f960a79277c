//! Every OpenID4VCI 1.0 example in testdata/spec parses with this crate's types, except those
//! listed with a reason in testdata/exceptions.toml (see testdata/SOURCES.md).

// Test helpers outside #[test] functions unwrap too: a failure is a test failure.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::Path;

use kakehashi_core::{UnixTime, b64};
use kakehashi_crypto_aws_lc::provider;
use kakehashi_oid4vci::Oid4vciError;
use kakehashi_oid4vci::credential::{
    CredentialRequest, CredentialResponse, CredentialTarget, DeferredCredentialRequest,
    NonceResponse, NotificationEvent, NotificationRequest,
};
use kakehashi_oid4vci::metadata::{CredentialIssuerMetadata, verify_signed_metadata};
use kakehashi_oid4vci::oauth::{
    AuthorizationDetail, PushedAuthorizationResponse, TokenRequest, TokenResponse,
    parse_authorization_details,
};
use kakehashi_oid4vci::offer::CredentialOffer;
use kakehashi_oid4vci::proof::{ProofCheck, validate_jwt_proof};
use serde_json::{Value, json};

fn dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/spec"))
}

fn exceptions() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(dir().join("../exceptions.toml")).unwrap();
    text.lines()
        .filter(|l| l.starts_with('"'))
        .map(|l| {
            let (k, v) = l.split_once(" = ").unwrap();
            (
                k.trim_matches('"').to_owned(),
                v.trim_matches('"').to_owned(),
            )
        })
        .collect()
}

/// The body of an HTTP example (after the first blank line), or the whole text.
fn body(text: &str) -> &str {
    let text = text.trim_start();
    if !text.starts_with("HTTP/") && !text.starts_with("POST ") && !text.starts_with("GET ") {
        return text;
    }
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        offset += line.len();
        if line.trim().is_empty() {
            return &text[offset..];
        }
    }
    ""
}

/// Re-joins JSON strings the specification wrapped over several lines.
fn unwrap_json(text: &str) -> String {
    let mut out = String::new();
    let mut in_string = false;
    for (i, line) in text.lines().enumerate() {
        if i > 0 {
            if in_string {
                out.push_str(line.trim_start());
            } else {
                out.push('\n');
                out.push_str(line);
            }
        } else {
            out.push_str(line);
        }
        let mut escaped = false;
        let appended = if i > 0 && in_string {
            line.trim_start()
        } else {
            line
        };
        for c in appended.chars() {
            match c {
                '\\' if !escaped => escaped = true,
                '"' if !escaped => in_string = !in_string,
                _ => escaped = false,
            }
        }
    }
    out
}

fn json_body(text: &str) -> Result<Value, String> {
    serde_json::from_str(&unwrap_json(body(text))).map_err(|e| e.to_string())
}

fn form_body(text: &str) -> String {
    body(text).split_whitespace().collect()
}

fn metadata_with(
    configs: Value,
    separate_as: bool,
) -> Result<CredentialIssuerMetadata, Oid4vciError> {
    let mut m = json!({
        "credential_issuer": "https://credential-issuer.example.com",
        "credential_endpoint": "https://credential-issuer.example.com/credential",
        "credential_configurations_supported": configs
    });
    if separate_as {
        m["authorization_servers"] = json!(["https://server.example.com"]);
    }
    CredentialIssuerMetadata::from_json(m)
}

fn check(name: &str, text: &str) -> Result<(), String> {
    let e = |x: Oid4vciError| x.to_string();
    let p = provider();
    match name {
        n if n.starts_with("authorization_details") => {
            let details: Vec<AuthorizationDetail> =
                serde_json::from_value(json_body(text)?).map_err(|x| x.to_string())?;
            let with_as = details.iter().any(|d| d.locations.is_some());
            let configs: serde_json::Map<String, Value> = details
                .iter()
                .map(|d| {
                    (
                        d.credential_configuration_id.clone(),
                        json!({"format": "dc+sd-jwt", "vct": "urn:x"}),
                    )
                })
                .collect();
            let m = metadata_with(Value::Object(configs), with_as).map_err(e)?;
            parse_authorization_details(body(text), &m).map_err(e)?;
        }
        "credential_issuer_metadata_sd_jwt_long.json" => {
            let m = CredentialIssuerMetadata::parse(text.as_bytes()).map_err(e)?;
            assert_eq!(m.batch_credential_issuance.unwrap().batch_size, 10);
            assert_eq!(m.display_name("fr"), Some("Example Université"));
        }
        "credential_issuer_metadata_sd_jwt_jwt.txt" => {
            // iat 1516239022; verified against its x5c leaf.
            let v = verify_signed_metadata(
                text,
                "https://credential-issuer.example.com",
                UnixTime(1_516_239_100),
                &p,
            )
            .map_err(e)?;
            assert_eq!(v.certificate_chain.len(), 1);
            assert!(
                verify_signed_metadata(text, "https://other.example", UnixTime(1_516_239_100), &p)
                    .is_err()
            );
            let mut tampered: String = text.split_whitespace().collect();
            tampered.insert(tampered.find('.').unwrap() + 5, 'A');
            assert!(
                verify_signed_metadata(
                    &tampered,
                    "https://credential-issuer.example.com",
                    UnixTime(1_516_239_100),
                    &p
                )
                .is_err()
            );
        }
        n if n.starts_with("credential_metadata_") => {
            let v = json_body(text)?;
            metadata_with(v["credential_configurations_supported"].clone(), false).map_err(e)?;
        }
        n if n.starts_with("credential_offer_") => {
            CredentialOffer::parse(body(text).as_bytes()).map_err(e)?;
        }
        n if n.starts_with("credential_response_") => {
            let r = CredentialResponse::parse(unwrap_json(body(text)).as_bytes()).map_err(e)?;
            if r.credentials.is_none_or(|c| c.is_empty()) {
                return Err("no credentials".into());
            }
        }
        "credential_request_iso_mdl.json" => {
            CredentialRequest::parse(text.as_bytes()).map_err(e)?;
        }
        "issuer_jwks.json" => {
            let v = json_body(text)?;
            for k in v["jwks"]["keys"].as_array().ok_or("no keys")? {
                kakehashi_crypto::PublicJwk::from_json(k).map_err(|x| x.to_string())?;
            }
        }
        "wallet_attestation.jwt.txt" => return Err("not implemented".into()),
        "block-009-pushed-authorization-request.txt" => {
            let m = metadata_with(json!({"x": {"format": "dc+sd-jwt", "vct": "x"}}), false)
                .map_err(e)?;
            kakehashi_oid4vci::oauth::PushedAuthorizationRequest::from_form(&form_body(text), &m)
                .map_err(e)?;
        }
        "block-010-pushed-authorization-request.txt" => {
            let r: PushedAuthorizationResponse =
                serde_json::from_value(json_body(text)?).map_err(|x| x.to_string())?;
            assert!(
                r.request_uri
                    .starts_with("urn:ietf:params:oauth:request_uri:")
            );
        }
        "block-014-token-request.txt" => {
            let r = TokenRequest::from_form(&form_body(text)).map_err(e)?;
            assert!(matches!(r, TokenRequest::AuthorizationCode { .. }));
        }
        "block-015-request-credential-issuance-using-author.txt" => {
            let r = TokenRequest::from_form(&form_body(text)).map_err(e)?;
            let TokenRequest::PreAuthorizedCode {
                tx_code,
                authorization_details,
                ..
            } = r
            else {
                return Err("expected pre-authorized".into());
            };
            assert_eq!(tx_code.as_deref(), Some("493536"));
            let m = metadata_with(
                json!({"UniversityDegreeCredential": {"format": "dc+sd-jwt", "vct": "x"}}),
                false,
            )
            .map_err(e)?;
            parse_authorization_details(&authorization_details.unwrap(), &m).map_err(e)?;
        }
        "block-016-successful-token-response.txt" => {
            let r = TokenResponse::parse(body(text).as_bytes()).map_err(e)?;
            assert_eq!(
                r.authorization_details.unwrap()[0]
                    .credential_identifiers
                    .as_ref()
                    .unwrap()
                    .len(),
                2
            );
        }
        "block-017-token-error-response.txt"
        | "block-026-credential-request-errors.txt"
        | "block-030-deferred-credential-error-response.txt"
        | "block-034-notification-error-response.txt" => {
            let error = match TokenResponse::parse(body(text).as_bytes()) {
                Err(Oid4vciError::ServerError { error, .. }) => error,
                other => return Err(format!("expected an error body, got {other:?}")),
            };
            let known = [
                "invalid_request",
                "unknown_credential_configuration",
                "invalid_transaction_id",
                "invalid_notification_id",
            ];
            assert!(known.contains(&error.as_str()), "{error}");
        }
        "block-019-nonce-response.txt" => {
            let r: NonceResponse =
                serde_json::from_value(json_body(text)?).map_err(|x| x.to_string())?;
            assert_eq!(r.c_nonce, "wKI4LT17ac15ES9bw8ac4");
        }
        "block-020-credential-request.txt"
        | "block-021-credential-request.txt"
        | "block-022-credential-request.txt" => {
            let r = CredentialRequest::parse(unwrap_json(body(text)).as_bytes()).map_err(e)?;
            assert!(r.proofs.is_some());
            if name.starts_with("block-021") {
                assert_eq!(
                    r.target,
                    CredentialTarget::Identifier("CivilEngineeringDegree-2023".into())
                );
            }
        }
        "block-023-credential-response.txt"
        | "block-024-credential-response.txt"
        | "block-025-credential-response.txt"
        | "block-028-deferred-credential-response.txt"
        | "block-029-deferred-credential-response.txt" => {
            let r = CredentialResponse::parse(body(text).as_bytes()).map_err(e)?;
            let status: u16 = text[9..12].parse().unwrap();
            assert_eq!(r.status(), status, "HTTP status of {name}");
        }
        "block-027-deferred-credential-request.txt" => {
            DeferredCredentialRequest::parse(body(text).as_bytes()).map_err(e)?;
        }
        "block-031-notification-request.txt" | "block-032-notification-request.txt" => {
            let r = NotificationRequest::parse(body(text).as_bytes()).map_err(e)?;
            assert!(matches!(
                r.event,
                NotificationEvent::CredentialAccepted | NotificationEvent::CredentialFailure
            ));
        }
        "block-039-jwt-proof-type.json.txt" => {
            let v = json_body(text)?;
            let jwt: String = v["jwt"][0].as_str().unwrap().split_whitespace().collect();
            let check = ProofCheck {
                credential_issuer: "https://credential-issuer.example.com",
                client_id: None,
                now: UnixTime(1_701_960_444),
                max_age_seconds: 300,
                skew_seconds: 5,
                allowed_algorithms: &["ES256"],
                nonce_required: true,
                max_proofs: 1,
            };
            let key = validate_jwt_proof(&jwt, &check, &p).map_err(e)?;
            assert_eq!(key.nonce.as_deref(), Some("LarRGSbmUPYtRYO6BQ4yn8"));
            let mut wrong_aud = check;
            wrong_aud.credential_issuer = "https://server.example.com";
            assert!(validate_jwt_proof(&jwt, &wrong_aud, &p).is_err());
        }
        "block-040-jwt-proof-type.json.txt" => {
            // The decoded form of block 039: header "." payload.
            let (h, c) = text.split_once("}.{").ok_or("no header.payload")?;
            let header: Value =
                serde_json::from_str(&format!("{h}}}")).map_err(|x| x.to_string())?;
            let claims: Value =
                serde_json::from_str(&format!("{{{c}")).map_err(|x| x.to_string())?;
            let jwt: String = serde_json::from_str::<Value>(&unwrap_json(
                &std::fs::read_to_string(dir().join("block-039-jwt-proof-type.json.txt")).unwrap(),
            ))
            .unwrap()["jwt"][0]
                .as_str()
                .unwrap()
                .split_whitespace()
                .collect();
            let parts: Vec<&str> = jwt.split('.').collect();
            let decode =
                |s: &str| serde_json::from_slice::<Value>(&b64::decode(s).unwrap()).unwrap();
            assert_eq!(decode(parts[0]), header);
            assert_eq!(decode(parts[1]), claims);
        }
        other => return Err(format!("no parser assigned to {other}")),
    }
    Ok(())
}

#[test]
fn every_example_parses_or_is_an_exception() {
    let exceptions = exceptions();
    let mut names: Vec<String> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    let (mut passed, mut skipped) = (0, 0);
    for name in names {
        let text = std::fs::read_to_string(dir().join(&name)).unwrap();
        let result = check(&name, &text);
        match exceptions.get(&name) {
            Some(reason) => {
                assert!(
                    result.is_err(),
                    "{name} is an exception ({reason}) but parses: remove it"
                );
                skipped += 1;
            }
            None => {
                if let Err(reason) = result {
                    panic!("{name}: {reason}");
                }
                passed += 1;
            }
        }
    }
    assert_eq!(
        skipped,
        exceptions.len(),
        "every exception names an existing file"
    );
    assert!(passed >= 39, "only {passed} examples checked");
}
