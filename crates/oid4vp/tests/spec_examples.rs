//! Every OpenID4VP 1.0 example in testdata/spec parses with this crate's types, except those
//! listed with a reason in testdata/exceptions.toml (see testdata/SOURCES.md).

// Test helpers outside #[test] functions unwrap too: a failure is a test failure.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::Path;

use kakehashi_oid4vp::dcql::CredentialFormat;
use kakehashi_oid4vp::matching::{HeldCredential, match_query};
use kakehashi_oid4vp::request::{
    AuthorizationRequest, ClientId, ClientMetadata, RequestUri, RequestUriMethod, RequestUriPost,
    WalletMetadata,
};
use kakehashi_oid4vp::response::{AuthorizationResponse, PostedResponse};
use kakehashi_oid4vp::{ClaimsPath, DcqlQuery, Oid4vpError, request::ResponseMode};
use serde_json::{Value, json};

fn dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/spec"))
}

fn exceptions() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(dir().join("../exceptions.toml")).expect("exceptions.toml");
    text.lines()
        .filter(|l| l.starts_with('"'))
        .map(|l| {
            let (k, v) = l.split_once(" = ").expect("key = value");
            (
                k.trim_matches('"').to_owned(),
                v.trim_matches('"').to_owned(),
            )
        })
        .collect()
}

fn json(name: &str) -> Value {
    serde_json::from_slice(&std::fs::read(dir().join(name)).unwrap()).unwrap()
}

/// The body of an HTTP example: after the blank line, whitespace removed.
fn http_body(text: &str) -> String {
    let body = text.split_once("\n\n").map_or(text, |(_, b)| b);
    body.split_whitespace().collect()
}

fn check(name: &str, text: &str) -> Result<(), String> {
    let e = |r: Oid4vpError| r.to_string();
    let parse = || serde_json::from_str::<Value>(text).map_err(|x| x.to_string());
    match name {
        n if n.ends_with(".json") && !n.starts_with("block-") && !n.contains('_') => {
            DcqlQuery::from_json(&parse()?).map_err(e)?;
        }
        "complex_mdoc.json"
        | "credentials_alternatives.json"
        | "multi_credentials.json"
        | "simple_mdoc.json"
        | "request_dcql_jwt_vc.json"
        | "request_dcql_ldp_vc.json" => {
            DcqlQuery::from_json(&parse()?).map_err(e)?;
        }
        n if n.starts_with("client_metadata_") => {
            let m: ClientMetadata = serde_json::from_value(parse()?).map_err(|x| x.to_string())?;
            if m.vp_formats_supported.is_empty() {
                return Err("no vp_formats_supported".into());
            }
        }
        "credentials_sd_jwt_vc_unsecured.json" => {
            let claims = parse()?;
            let query = DcqlQuery::from_json(&json!({"credentials": [{
                "id": "pid", "format": "dc+sd-jwt",
                "meta": {"vct_values": ["https://credentials.example.com/identity_credential"]},
                "claims": [{"path": ["given_name"]}, {"path": ["birthdate"]}]
            }]}))
            .map_err(e)?;
            let held = HeldCredential {
                format: CredentialFormat::DcSdJwt,
                vct: claims["vct"].as_str().map(str::to_owned),
                types: vec![],
                claims,
                holder_binding: true,
                authorities: vec![],
            };
            if !match_query(&query, &[held]).satisfiable {
                return Err("unsecured SD-JWT VC payload does not match".into());
            }
        }
        "response_jwt_vc.json" => {
            let vp = parse()?;
            let aud = ClientId::parse(vp["aud"].as_str().unwrap_or_default()).map_err(e)?;
            assert_eq!(aud, ClientId::X509SanDns("client.example.org".into()));
        }
        "block-006-examples.txt" => {
            let line: String = text.split_whitespace().collect();
            let uri = line
                .strip_prefix("GET")
                .and_then(|l| l.strip_suffix("HTTP/1.1"))
                .ok_or("not a GET line")?;
            let r = RequestUri::parse(uri).map_err(e)?;
            assert_eq!(r.client_id, "x509_san_dns:client.example.org");
            assert_eq!(r.request_uri_method, Some(RequestUriMethod::Post));
        }
        "block-007-examples.txt" | "block-010-request-uri-method-post.txt" => {
            let p = RequestUriPost::from_form(&http_body(text)).map_err(e)?;
            assert_eq!(p.wallet_nonce.as_deref(), Some("qPmxiNFCR3QTm19POc8u"));
            let meta: WalletMetadata =
                serde_json::from_value(p.wallet_metadata.unwrap()).map_err(|x| x.to_string())?;
            assert!(meta.vp_formats_supported.contains_key("dc+sd-jwt"));
        }
        "block-015-claims-path-pointer-example.json" => {
            let cred = parse()?;
            let p = ClaimsPath::from_json(&json!(["degrees", null, "type"]))
                .map_err(|x| x.to_string())?;
            let selected = p.select(&cred).map_err(|x| x.to_string())?;
            assert_eq!(selected.len(), 2);
        }
        "block-017-examples.json"
        | "block-043-presentation-response.json"
        | "block-046-presentation-response.json" => {
            let map = parse()?.as_object().cloned().ok_or("not an object")?;
            AuthorizationResponse::new(map, None).map_err(e)?;
        }
        "block-022-response-mode-direct-post.txt" => {
            match PostedResponse::from_form(&http_body(text), ResponseMode::DirectPost)
                .map_err(e)?
            {
                PostedResponse::Error(err) => assert_eq!(err.error, "invalid_request"),
                other => return Err(format!("expected an error response, got {other:?}")),
            }
        }
        "block-024-encrypted-responses.json" => {
            // A DC API request (no client_id, response_mode dc_api.jwt): its DCQL query and
            // client metadata parse; the request itself is refused as unsupported.
            let v = parse()?;
            DcqlQuery::from_json(&v["dcql_query"]).map_err(e)?;
            let _: ClientMetadata =
                serde_json::from_value(v["client_metadata"].clone()).map_err(|x| x.to_string())?;
            if serde_json::from_value::<AuthorizationRequest>(v).is_ok() {
                return Err("dc_api.jwt must not be accepted".into());
            }
        }
        "block-026-encrypted-responses.json" => {
            let mut key = parse()?;
            key.as_object_mut().unwrap().remove("d");
            kakehashi_crypto_aws_lc::jwe::recipient_public_key(&key).map_err(|x| x.to_string())?;
        }
        "block-027-encrypted-responses.json" => {
            let h = parse()?;
            assert_eq!(h["alg"], "ECDH-ES");
            kakehashi_crypto_aws_lc::jwe::ContentEncryption::from_jose(
                h["enc"].as_str().unwrap_or_default(),
            )
            .map_err(|x| x.to_string())?;
        }
        "block-028-encrypted-responses.json" | "block-030-response-mode-direct-post-jwt.json" => {
            AuthorizationResponse::from_json_bytes(text.as_bytes()).map_err(e)?;
        }
        "block-031-a-set-of-static-configuration-values-bou.json" => {
            let m: WalletMetadata = serde_json::from_value(parse()?).map_err(|x| x.to_string())?;
            assert_eq!(m.authorization_endpoint.as_deref(), Some("openid4vp:"));
        }
        other => return Err(format!("no parser assigned to {other}")),
    }
    Ok(())
}

#[test]
fn every_example_parses_or_is_an_exception() {
    let exceptions = exceptions();
    let mut passed = 0;
    let mut skipped = 0;
    let mut entries: Vec<_> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    entries.sort();
    for name in entries {
        let text = std::fs::read_to_string(dir().join(&name)).unwrap();
        if let Some(reason) = exceptions.get(&name) {
            assert!(
                check(&name, &text).is_err(),
                "{name} is listed as an exception ({reason}) but parses: remove it"
            );
            skipped += 1;
            continue;
        }
        if let Err(reason) = check(&name, &text) {
            panic!("{name}: {reason}");
        }
        passed += 1;
    }
    assert_eq!(
        skipped,
        exceptions.len(),
        "every exception names an existing file"
    );
    assert!(passed >= 25, "only {passed} examples checked");
}

#[test]
fn spec_dcql_semantics() {
    // credentials_alternatives: the first set requires pid, other_pid or both reduced creds.
    let q = DcqlQuery::from_json(&json("credentials_alternatives.json")).unwrap();
    let sd = |vct: &str, claims: Value| HeldCredential {
        format: CredentialFormat::DcSdJwt,
        vct: Some(vct.into()),
        types: vec![],
        claims,
        holder_binding: true,
        authorities: vec![],
    };
    let reduced1 = sd(
        "https://credentials.example.com/reduced_identity_credential",
        json!({"family_name": "Doe", "given_name": "John"}),
    );
    let reduced2 = sd(
        "https://cred.example/residence_credential",
        json!({"postal_code": "1", "locality": "x", "region": "y"}),
    );
    let out = match_query(&q, std::slice::from_ref(&reduced1));
    assert!(!out.satisfiable, "one reduced credential is not enough");
    let out = match_query(&q, &[reduced1, reduced2]);
    assert!(out.satisfiable);
    assert_eq!(out.sets[0].satisfiable_options, vec![2]);
    let sel = out.default_selection(&q).unwrap();
    assert_eq!(
        sel.iter().map(|s| s.0.as_str()).collect::<Vec<_>>(),
        ["pid_reduced_cred_1", "pid_reduced_cred_2"]
    );

    // mdoc queries parse but never match.
    let q = DcqlQuery::from_json(&json("simple_mdoc.json")).unwrap();
    assert_eq!(q.credentials()[0].format, CredentialFormat::MsoMdoc);
    assert!(!match_query(&q, &[]).satisfiable);
}
