//! The cross-device presentation flow end to end, with real signatures and encryption:
//!
//! ```text
//! verifier                          wallet
//! Created ── QR openid4vp://?client_id&request_uri&request_uri_method=post ──▶ RequestUri::parse
//!         ◀── POST wallet_nonce ──────────────────────────────────────────────  RequestUriPost
//! RequestFetched ── signed request object (x5c, wallet_nonce) ──▶ verify_request_object
//!                                                                 match_credentials, respond
//!         ◀── POST response=<JWE ECDH-ES/A128GCM> ──────────────────────────────  jwe::encrypt
//! Verified (nonce/aud/claims checked)
//! ```
//!
//! The format verifier is a test double: presentations are JSON strings carrying the claims and
//! the holder-binding values, so the session's own checks can be exercised.

// Test helpers outside #[test] functions unwrap too: a failure is a test failure.
#![allow(clippy::unwrap_used)]

use kakehashi_core::UnixTime;
use kakehashi_crypto::{CryptoProvider, SignatureAlgorithm};
use kakehashi_crypto_aws_lc::jwe::{self, ContentEncryption, DecryptionKey, EncryptOptions};
use kakehashi_crypto_aws_lc::{SoftwareSigner, provider};
use kakehashi_oid4vp::dcql::CredentialFormat;
use kakehashi_oid4vp::matching::HeldCredential;
use kakehashi_oid4vp::request::{
    ClientId, ClientMetadata, JwkSet, OPENID4VP_SCHEME, RequestUri, RequestUriPost, ResponseMode,
    STATIC_AUDIENCE, WalletRequestContext, verify_request_object,
};
use kakehashi_oid4vp::response::{AuthorizationResponse, encrypted_form};
use kakehashi_oid4vp::verifier::{
    Created, HolderBinding, NewSession, PresentationContext, PresentationVerifier,
    ResponseDecryptor, VerificationOutcome, VerifiedPresentation, VerifierSession,
};
use kakehashi_oid4vp::wallet::{PendingPresentation, WalletResponse};
use kakehashi_oid4vp::{DcqlQuery, Oid4vpError};
use serde_json::{Map, Value, json};

const NOW: UnixTime = UnixTime(1_790_000_000);
const KEY: &[u8] = include_bytes!("../testdata/verifier_key.p8.der");
const CERT: &[u8] = include_bytes!("../testdata/verifier_cert.der");
const OTHER_CERT: &[u8] = include_bytes!("../testdata/other_cert.der");
const VCT: &str = "https://kakehashi.example/diploma";

fn signer(cert: &[u8]) -> SoftwareSigner {
    SoftwareSigner::from_pkcs8(SignatureAlgorithm::Es256, KEY)
        .unwrap()
        .with_certificate_chain(vec![cert.to_vec()])
}

fn query() -> DcqlQuery {
    DcqlQuery::from_json(&json!({"credentials": [{
        "id": "diploma", "format": "dc+sd-jwt",
        "meta": {"vct_values": [VCT]},
        "claims": [{"path": ["degree", "title"]}, {"path": ["family_name"]}]
    }]}))
    .unwrap()
}

fn new_session(client_id: &str, mode: ResponseMode, key: &DecryptionKey) -> Created {
    let mut formats = Map::new();
    formats.insert(
        "dc+sd-jwt".into(),
        json!({"sd-jwt_alg_values": ["ES256"], "kb-jwt_alg_values": ["ES256"]}),
    );
    Created::new(
        NewSession {
            client_id: client_id.into(),
            response_uri: "https://verifier.example.org/response/s1".into(),
            request_uri: "https://verifier.example.org/request/s1".into(),
            response_mode: mode,
            client_metadata: ClientMetadata {
                jwks: Some(JwkSet {
                    keys: vec![key.public_jwk_json()],
                }),
                encrypted_response_enc_values_supported: Some(vec!["A256GCM".into()]),
                vp_formats_supported: formats,
                other: Map::new(),
            },
            dcql_query: query(),
            nonce: "n-0S6_WzA2Mj-session-nonce".into(),
            state: "st-eyJhb-6-sVA-random".into(),
            redirect_uri: None,
            response_code: None,
            lifetime_seconds: 600,
        },
        NOW,
    )
    .unwrap()
}

struct Decryptor<'a>(&'a DecryptionKey);

impl ResponseDecryptor for Decryptor<'_> {
    fn decrypt(&self, compact_jwe: &str) -> Result<Vec<u8>, String> {
        jwe::decrypt(compact_jwe, self.0)
            .map(|d| d.plaintext.to_vec())
            .map_err(|e| e.to_string())
    }
}

/// Test double: a presentation is a JSON string `{"claims", "vct", "nonce", "aud"}`.
struct FakeFormat;

impl PresentationVerifier for FakeFormat {
    fn verify(
        &self,
        format: &CredentialFormat,
        presentation: &Value,
        _context: &PresentationContext<'_>,
    ) -> Result<VerifiedPresentation, String> {
        if *format != CredentialFormat::DcSdJwt {
            return Err("format".into());
        }
        let p: Value = serde_json::from_str(presentation.as_str().ok_or("not a string")?)
            .map_err(|e| e.to_string())?;
        Ok(VerifiedPresentation {
            claims: p["claims"].clone(),
            vct: p["vct"].as_str().map(str::to_owned),
            types: vec![],
            authorities: vec![],
            holder_binding: p["nonce"].as_str().map(|n| HolderBinding {
                nonce: n.into(),
                audience: p["aud"].as_str().unwrap_or_default().into(),
            }),
        })
    }
}

fn held() -> HeldCredential {
    HeldCredential {
        format: CredentialFormat::DcSdJwt,
        vct: Some(VCT.into()),
        types: vec![],
        claims: json!({"family_name": "Yamada", "given_name": "Hana",
                       "degree": {"title": "MSc Informatics", "grade": "A"}}),
        holder_binding: true,
        authorities: vec![],
    }
}

/// Wallet side: scan, POST wallet_nonce, verify the request object.
fn wallet_fetch(
    session: VerifierSession,
    signer: &SoftwareSigner,
    provider: &CryptoProvider,
) -> Result<(VerifierSession, PendingPresentation), Oid4vpError> {
    let VerifierSession::Created(created) = &session else {
        panic!("not created")
    };
    let qr = RequestUri::parse(&created.request_uri(OPENID4VP_SCHEME))?;
    let post = RequestUriPost {
        wallet_metadata: None,
        wallet_nonce: Some("wallet-nonce-1".into()),
    };
    let post = RequestUriPost::from_form(&post.to_form())?;
    let (session, jwt) = session.fetch_request(Some(&post), signer, NOW)?;
    let verified = verify_request_object(
        &jwt,
        &WalletRequestContext {
            outer_client_id: Some(&qr.client_id),
            wallet_nonce: Some("wallet-nonce-1"),
            accepted_audiences: &[STATIC_AUDIENCE],
            now: NOW.saturating_add(5),
        },
        provider,
    )?;
    Ok((session, PendingPresentation::new(verified)))
}

fn presentation(
    pending: &PendingPresentation,
    claims: Value,
    nonce: Option<&str>,
) -> Map<String, Value> {
    let (_, aud) = pending.binding();
    let p = json!({"claims": claims, "vct": VCT, "nonce": nonce, "aud": aud});
    json!({"diploma": [p.to_string()]})
        .as_object()
        .unwrap()
        .clone()
}

fn post_body(response: WalletResponse) -> String {
    match response {
        WalletResponse::Form { body, .. } => body,
        WalletResponse::Encrypt {
            plaintext,
            recipient_jwk,
            enc,
            ..
        } => {
            let jwe = jwe::encrypt(
                &plaintext,
                &recipient_jwk,
                ContentEncryption::from_jose(enc).unwrap(),
                &EncryptOptions::default(),
            )
            .unwrap();
            encrypted_form(&jwe)
        }
    }
}

fn store(session: VerifierSession) -> VerifierSession {
    // Sessions outlive requests: a serde round trip stands in for the store.
    serde_json::from_str(&serde_json::to_string(&session).unwrap()).unwrap()
}

#[test]
fn cross_device_flow_with_encrypted_response() {
    let provider = provider();
    let key = DecryptionKey::generate().unwrap();
    let signer = signer(CERT);
    let session = store(VerifierSession::Created(new_session(
        "x509_san_dns:verifier.example.org",
        ResponseMode::DirectPostJwt,
        &key,
    )));
    let (session, pending) = wallet_fetch(session, &signer, &provider).unwrap();
    let session = store(session);
    assert_eq!(session.state_name(), "request_fetched");
    assert_eq!(pending.request().certificate_chain(), [CERT.to_vec()]);
    assert!(pending.check_formats(&[CredentialFormat::DcSdJwt]).is_ok());
    assert_eq!(
        pending
            .check_formats(&[CredentialFormat::MsoMdoc])
            .unwrap_err()
            .wire(),
        (400, "vp_formats_not_supported")
    );
    assert_eq!(
        *pending.request().client_id(),
        ClientId::X509SanDns("verifier.example.org".into())
    );

    let outcome = pending.match_credentials(&[held()]);
    let selection = outcome
        .default_selection(&pending.request().request().dcql_query)
        .unwrap();
    let disclosed: Vec<String> = selection[0]
        .1
        .disclosed
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(disclosed, [r#"["degree","title"]"#, r#"["family_name"]"#]);

    // The wallet discloses exactly the selected claims.
    let (nonce, _) = pending.binding();
    let nonce = nonce.to_owned();
    let vp = presentation(
        &pending,
        json!({"family_name": "Yamada", "degree": {"title": "MSc Informatics"}}),
        Some(&nonce),
    );
    let response = pending.respond(vp).unwrap();
    let WalletResponse::Encrypt { enc, .. } = &response else {
        panic!("direct_post.jwt must be encrypted")
    };
    assert_eq!(*enc, "A256GCM");
    let body = post_body(response);

    let (session, answer) = session
        .receive_response(&body, &Decryptor(&key), &FakeFormat, NOW.saturating_add(10))
        .unwrap();
    assert_eq!(answer.redirect_uri, None);
    let session = store(session);
    let VerifierSession::Verified(verified) = &session else {
        panic!("expected verified, got {session:?}")
    };
    assert_eq!(verified.credentials[0].query_id, "diploma");
    assert_eq!(
        verified.credentials[0].presentation.claims["degree"]["title"],
        "MSc Informatics"
    );

    assert_eq!(session.result(None).unwrap().len(), 1);

    // A response is accepted once.
    assert!(matches!(
        session.receive_response(&body, &Decryptor(&key), &FakeFormat, NOW),
        Err(Oid4vpError::WrongSessionState { .. })
    ));
}

fn fetched(mode: ResponseMode) -> (VerifierSession, PendingPresentation, DecryptionKey) {
    let key = DecryptionKey::generate().unwrap();
    let session =
        VerifierSession::Created(new_session("x509_san_dns:verifier.example.org", mode, &key));
    let (s, p) = wallet_fetch(session, &signer(CERT), &provider()).unwrap();
    (s, p, key)
}

#[test]
fn presentation_checks_fail_the_session() {
    let claims = json!({"family_name": "Yamada", "degree": {"title": "MSc"}});
    // Wrong nonce, missing binding, missing claim: each ends in Failed.
    for (claims, nonce, expect) in [
        (claims.clone(), Some("other-nonce"), "nonce"),
        (claims.clone(), None, "holder binding required"),
        (
            json!({"family_name": "Yamada"}),
            Some("SESSION"),
            "do not satisfy",
        ),
    ] {
        let (session, pending, key) = fetched(ResponseMode::DirectPostJwt);
        let session_nonce = pending.binding().0.to_owned();
        let nonce = nonce.map(|n| {
            if n == "SESSION" {
                session_nonce.clone()
            } else {
                n.to_owned()
            }
        });
        let vp = presentation(&pending, claims, nonce.as_deref());
        let body = post_body(pending.respond(vp).unwrap());
        let (session, _) = session
            .receive_response(&body, &Decryptor(&key), &FakeFormat, NOW)
            .unwrap();
        let VerifierSession::Failed(failed) = session else {
            panic!("expected failed")
        };
        assert_eq!(failed.error, "invalid_request");
        assert!(failed.reason.contains(expect), "{}", failed.reason);
    }
}

#[test]
fn responses_that_do_not_move_the_session() {
    let (session, pending, key) = fetched(ResponseMode::DirectPostJwt);
    let nonce = pending.binding().0.to_owned();
    let vp = presentation(
        &pending,
        json!({"family_name": "Y", "degree": {"title": "x"}}),
        Some(&nonce),
    );
    // Clear vp_token where encryption is required.
    let clear = AuthorizationResponse::new(vp.clone(), pending.request().request().state.clone())
        .unwrap()
        .to_form();
    assert!(matches!(
        session
            .clone()
            .receive_response(&clear, &Decryptor(&key), &FakeFormat, NOW),
        Err(Oid4vpError::ResponseModeMismatch(_))
    ));
    // Wrong state.
    let wrong_state = AuthorizationResponse::new(vp.clone(), Some("forged".into())).unwrap();
    let jwe = jwe::encrypt(
        &wrong_state.to_json_bytes(),
        &key.public_jwk_json(),
        ContentEncryption::A128Gcm,
        &EncryptOptions::default(),
    )
    .unwrap();
    assert!(matches!(
        session
            .clone()
            .receive_response(&encrypted_form(&jwe), &Decryptor(&key), &FakeFormat, NOW),
        Err(Oid4vpError::StateMismatch)
    ));
    // Encrypted to another key.
    let other = DecryptionKey::generate().unwrap();
    let body = post_body(pending.respond(vp).unwrap());
    assert!(
        session
            .clone()
            .receive_response(&body, &Decryptor(&other), &FakeFormat, NOW)
            .is_err()
    );
    // Expired.
    assert!(matches!(
        session.clone().receive_response(
            &body,
            &Decryptor(&key),
            &FakeFormat,
            NOW.saturating_add(601)
        ),
        Err(Oid4vpError::SessionExpired)
    ));
    // Unknown query id / two presentations where one is allowed.
    let extra = json!({"diploma": ["a", "b"]}).as_object().unwrap().clone();
    let plain = AuthorizationResponse::new(extra, pending_state(&session)).unwrap();
    let jwe = jwe::encrypt(
        &plain.to_json_bytes(),
        &key.public_jwk_json(),
        ContentEncryption::A128Gcm,
        &EncryptOptions::default(),
    )
    .unwrap();
    assert!(matches!(
        session
            .clone()
            .receive_response(&encrypted_form(&jwe), &Decryptor(&key), &FakeFormat, NOW),
        Err(Oid4vpError::InvalidVpToken(_))
    ));
    // After all that the original response is still accepted.
    let (s, _) = session
        .receive_response(&body, &Decryptor(&key), &FakeFormat, NOW)
        .unwrap();
    assert_eq!(s.state_name(), "verified");
}

fn pending_state(session: &VerifierSession) -> Option<String> {
    session.data().request.state.clone()
}

#[test]
fn wallet_refusals_and_decline() {
    let p = provider();
    let key = DecryptionKey::generate().unwrap();
    // Certificate for another DNS name.
    let session = VerifierSession::Created(new_session(
        "x509_san_dns:verifier.example.org",
        ResponseMode::DirectPost,
        &key,
    ));
    assert!(matches!(
        wallet_fetch(session, &signer(OTHER_CERT), &p),
        Err(Oid4vpError::ClientIdMismatch { .. })
    ));
    // x509_hash of the leaf certificate works; of another certificate does not.
    let ClientId::X509Hash(hash) = ClientId::x509_hash_of(&p, CERT) else {
        unreachable!()
    };
    let id = format!("x509_hash:{hash}");
    let session = VerifierSession::Created(new_session(&id, ResponseMode::DirectPost, &key));
    let (session, pending) = wallet_fetch(session, &signer(CERT), &p).unwrap();
    let session2 = VerifierSession::Created(new_session(&id, ResponseMode::DirectPost, &key));
    assert!(matches!(
        wallet_fetch(session2, &signer(OTHER_CERT), &p),
        Err(Oid4vpError::ClientIdMismatch { .. })
    ));
    // The user declines: an access_denied error response fails the session.
    let body = post_body(pending.decline(&Oid4vpError::AccessDenied("user".into())));
    let (session, _) = session
        .receive_response(&body, &Decryptor(&key), &FakeFormat, NOW)
        .unwrap();
    let VerifierSession::Failed(f) = session else {
        panic!()
    };
    assert_eq!(f.error, "access_denied");

    // Request object checks on the wallet: wallet_nonce, audience, tampering, expiry.
    let created = new_session(
        "x509_san_dns:verifier.example.org",
        ResponseMode::DirectPost,
        &key,
    );
    let (_, jwt) = created
        .fetch_request(
            Some(&RequestUriPost {
                wallet_metadata: None,
                wallet_nonce: Some("n1".into()),
            }),
            &signer(CERT),
            NOW,
        )
        .unwrap();
    let ctx = |nonce: &'static str, aud: &'static [&'static str], now| WalletRequestContext {
        outer_client_id: Some("x509_san_dns:verifier.example.org"),
        wallet_nonce: Some(nonce),
        accepted_audiences: aud,
        now,
    };
    assert!(verify_request_object(&jwt, &ctx("n1", &[STATIC_AUDIENCE], NOW), &p).is_ok());
    assert_eq!(
        verify_request_object(&jwt, &ctx("n2", &[STATIC_AUDIENCE], NOW), &p).unwrap_err(),
        Oid4vpError::WalletNonceMismatch
    );
    assert!(matches!(
        verify_request_object(&jwt, &ctx("n1", &["https://wallet.example"], NOW), &p),
        Err(Oid4vpError::RequestObject(_))
    ));
    assert!(matches!(
        verify_request_object(
            &jwt,
            &ctx("n1", &[STATIC_AUDIENCE], NOW.saturating_add(3600)),
            &p
        ),
        Err(Oid4vpError::Jose(_))
    ));
    let mut parts: Vec<String> = jwt.split('.').map(str::to_owned).collect();
    let mut claims: Value =
        serde_json::from_slice(&kakehashi_core::b64::decode(&parts[1]).unwrap()).unwrap();
    claims["response_uri"] = "https://evil.example/post".into();
    parts[1] = kakehashi_core::b64::encode(claims.to_string());
    assert!(matches!(
        verify_request_object(&parts.join("."), &ctx("n1", &[STATIC_AUDIENCE], NOW), &p),
        Err(Oid4vpError::Jose(_))
    ));
    let mut outer = ctx("n1", &[STATIC_AUDIENCE], NOW);
    outer.outer_client_id = Some("x509_san_dns:other.example.org");
    assert!(verify_request_object(&jwt, &outer, &p).is_err());
}

#[test]
fn response_uri_must_be_the_certified_host() {
    let key = DecryptionKey::generate().unwrap();
    let mut created = new_session(
        "x509_san_dns:verifier.example.org",
        ResponseMode::DirectPost,
        &key,
    );
    // Rebuild with a response_uri on another host through serde (the field is private).
    let mut v = serde_json::to_value(&created).unwrap();
    v["data"]["request"]["response_uri"] = "https://elsewhere.example/post".into();
    created = serde_json::from_value(v).unwrap();
    let (_, jwt) = created.fetch_request(None, &signer(CERT), NOW).unwrap();
    let err = verify_request_object(
        &jwt,
        &WalletRequestContext {
            outer_client_id: None,
            wallet_nonce: None,
            accepted_audiences: &[STATIC_AUDIENCE],
            now: NOW,
        },
        &provider(),
    )
    .unwrap_err();
    assert!(matches!(err, Oid4vpError::ClientIdMismatch { .. }), "{err}");
}

#[test]
fn same_device_redirect_carries_a_response_code() {
    let p = provider();
    let key = DecryptionKey::generate().unwrap();
    let created = new_session(
        "x509_san_dns:verifier.example.org",
        ResponseMode::DirectPost,
        &key,
    );
    // Rebuild the session with a same-device redirect through its parameters.
    let mut params_json = serde_json::to_value(&created).unwrap();
    params_json["data"]["redirect_uri"] = "https://verifier.example.org/done".into();
    params_json["data"]["response_code"] = "rc-091535f699ea575c7937".into();
    let session = VerifierSession::Created(serde_json::from_value(params_json).unwrap());
    let (session, pending) = wallet_fetch(session, &signer(CERT), &p).unwrap();
    let nonce = pending.binding().0.to_owned();
    let vp = presentation(
        &pending,
        json!({"family_name": "Y", "degree": {"title": "x"}}),
        Some(&nonce),
    );
    let body = post_body(pending.respond(vp).unwrap());
    let (session, answer) = session
        .receive_response(&body, &Decryptor(&key), &FakeFormat, NOW)
        .unwrap();
    assert_eq!(
        answer.redirect_uri.as_deref(),
        Some("https://verifier.example.org/done#response_code=rc-091535f699ea575c7937")
    );
    assert!(session.result(None).is_err());
    assert!(session.result(Some("rc-guess")).is_err());
    assert_eq!(
        session
            .result(Some("rc-091535f699ea575c7937"))
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn same_device_requires_a_response_code() {
    let key = DecryptionKey::generate().unwrap();
    let err = Created::new(
        NewSession {
            client_id: "x509_san_dns:verifier.example.org".into(),
            response_uri: "https://verifier.example.org/response/s1".into(),
            request_uri: "https://verifier.example.org/request/s1".into(),
            response_mode: ResponseMode::DirectPost,
            client_metadata: ClientMetadata {
                jwks: Some(JwkSet {
                    keys: vec![key.public_jwk_json()],
                }),
                ..ClientMetadata::default()
            },
            dcql_query: query(),
            nonce: "n-0S6_WzA2Mj-session-nonce".into(),
            state: "st-eyJhb-6-sVA-random".into(),
            redirect_uri: Some("https://verifier.example.org/done".into()),
            response_code: None,
            lifetime_seconds: 600,
        },
        NOW,
    )
    .unwrap_err();
    assert!(matches!(
        err,
        Oid4vpError::InvalidParameter {
            name: "response_code",
            ..
        }
    ));
}

#[test]
fn restored_fetched_state_accepts_the_response_and_exposes_the_decrypted_vp_token() {
    let provider = provider();
    let key = DecryptionKey::generate().unwrap();
    let created = new_session(
        "x509_san_dns:verifier.example.org",
        ResponseMode::DirectPostJwt,
        &key,
    );
    // The wallet fetched the signed request earlier (the store recorded it); the response
    // endpoint rebuilds the session from the record and restores that state unsigned.
    let (_, pending) = wallet_fetch(
        VerifierSession::Created(created.clone()),
        &signer(CERT),
        &provider,
    )
    .unwrap();
    let (nonce, _) = pending.binding();
    let nonce = nonce.to_owned();
    let vp = presentation(
        &pending,
        json!({"family_name": "Yamada", "degree": {"title": "MSc Informatics"}}),
        Some(&nonce),
    );
    let body = post_body(pending.respond(vp.clone()).unwrap());

    let now = NOW.saturating_add(10);
    let restored = created.clone().restore_fetched(now).unwrap();
    let (received, _) = restored
        .receive_response(&body, &Decryptor(&key), now)
        .unwrap();
    assert_eq!(received.response().unwrap().vp_token, vp);
    let VerificationOutcome::Verified(v) = received.verify(&FakeFormat, now) else {
        panic!("expected verified")
    };
    assert_eq!(v.credentials[0].query_id, "diploma");

    // Restoring keeps the checks: an expired session is refused, and the state still checks
    // the response's `state`.
    assert!(matches!(
        created.clone().restore_fetched(NOW.saturating_add(600)),
        Err(Oid4vpError::SessionExpired)
    ));
    let other_key = DecryptionKey::generate().unwrap();
    assert!(
        created
            .restore_fetched(now)
            .unwrap()
            .receive_response(&body, &Decryptor(&other_key), now)
            .is_err()
    );
}

#[test]
fn a_declining_wallet_has_no_response_to_read() {
    let (session, pending, key) = fetched(ResponseMode::DirectPostJwt);
    let VerifierSession::RequestFetched(fetched) = session else {
        panic!("not fetched")
    };
    let body = post_body(pending.decline(&Oid4vpError::AccessDenied("user".into())));
    let (received, _) = fetched
        .receive_response(&body, &Decryptor(&key), NOW)
        .unwrap();
    assert_eq!(received.response().unwrap_err().error, "access_denied");
}
