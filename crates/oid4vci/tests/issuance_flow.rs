//! Issuance end to end with real DPoP proofs and key proofs, issuer and wallet states stored
//! between steps (serde round trips):
//!
//! ```text
//! issuer                                         wallet
//! Offered ── openid-credential-offer://?credential_offer=… ──▶ OfferReceived
//!                                                              MetadataFetched
//!   token (pre-authorized_code, tx_code, DPoP) ◀──────────────  pre_authorized_token_request
//! TokenIssued ── access_token (DPoP), credential_identifiers ─▶ TokenReceived
//!   nonce ────────────────────────────────────── c_nonce ────▶ nonce_received
//!   credential (proofs.jwt ×2, DPoP + ath) ◀──────────────────  credential_request
//! CredentialIssued ── credentials ×2, notification_id ──────▶ CredentialsReceived
//!   notification (credential_accepted) ◀────────────────────
//! ```
//!
//! Credentials here are placeholders naming the bound key: signing SD-JWT VCs is the edge's
//! job with kakehashi-sd-jwt.

// Test helpers outside #[test] functions unwrap too: a failure is a test failure.
#![allow(clippy::unwrap_used)]

use kakehashi_core::UnixTime;
use kakehashi_crypto::{HashAlgorithm, SignatureAlgorithm, Signer};
use kakehashi_crypto_aws_lc::{SoftwareSigner, provider};
use kakehashi_oid4vci::Oid4vciError;
use kakehashi_oid4vci::credential::{
    CredentialRequest, CredentialResponse, DeferredCredentialRequest, NonceResponse,
    NotificationEvent, NotificationRequest,
};
use kakehashi_oid4vci::dpop::{DpopCheck, DpopClaims, create_dpop_proof, validate_dpop_proof};
use kakehashi_oid4vci::issuer::{
    Access, FlowPolicy, IssuanceFlow, IssuanceResult, NewOffer, Offered, TokenContext,
};
use kakehashi_oid4vci::metadata::{AuthorizationServerMetadata, CredentialIssuerMetadata};
use kakehashi_oid4vci::oauth::{PushedAuthorizationRequest, TokenRequest, TokenResponse};
use kakehashi_oid4vci::offer::{CredentialOfferRequest, InputMode, OFFER_SCHEME, TxCode};
use kakehashi_oid4vci::proof::{
    ProofCheck, ProofClaims, ProofKeyReference, create_jwt_proof, validate_proofs,
};
use kakehashi_oid4vci::wallet::{CredentialOutcome, OfferReceived};
use serde_json::{Value, json};

const NOW: UnixTime = UnixTime(1_790_000_000);
const ISSUER: &str = "https://issuer.kakehashi.example";
const TOKEN_URL: &str = "https://issuer.kakehashi.example/token";
const CREDENTIAL_URL: &str = "https://issuer.kakehashi.example/credential";
const PRE_AUTH_CODE: &str = "oaKazRN8I0IbtZ0C7JuMn5-random";
const TX_CODE: &str = "493536";

fn issuer_metadata() -> CredentialIssuerMetadata {
    CredentialIssuerMetadata::from_json(json!({
        "credential_issuer": ISSUER,
        "credential_endpoint": CREDENTIAL_URL,
        "nonce_endpoint": "https://issuer.kakehashi.example/nonce",
        "deferred_credential_endpoint": "https://issuer.kakehashi.example/deferred",
        "notification_endpoint": "https://issuer.kakehashi.example/notification",
        "batch_credential_issuance": {"batch_size": 2},
        "display": [{"name": "Kakehashi University", "locale": "en"}, {"name": "架け橋大学", "locale": "ja"}],
        "credential_configurations_supported": {
            "diploma_sd_jwt": {
                "format": "dc+sd-jwt", "scope": "diploma",
                "vct": "https://kakehashi.example/diploma",
                "cryptographic_binding_methods_supported": ["jwk"],
                "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported": ["ES256"]}}
            }
        }
    }))
    .unwrap()
}

fn as_metadata() -> AuthorizationServerMetadata {
    AuthorizationServerMetadata::parse(
        json!({
            "issuer": ISSUER,
            "token_endpoint": TOKEN_URL,
            "authorization_endpoint": "https://issuer.kakehashi.example/authorize",
            "pushed_authorization_request_endpoint": "https://issuer.kakehashi.example/par",
            "require_pushed_authorization_requests": true,
            "dpop_signing_alg_values_supported": ["ES256"],
            "pre-authorized_grant_anonymous_access_supported": true,
            "code_challenge_methods_supported": ["S256"]
        })
        .to_string()
        .as_bytes(),
    )
    .unwrap()
}

fn store(flow: IssuanceFlow) -> IssuanceFlow {
    serde_json::from_str(&serde_json::to_string(&flow).unwrap()).unwrap()
}

fn new_offer(tx: bool, issuer_state: bool) -> (IssuanceFlow, String) {
    let (offered, offer) = Offered::new(
        NewOffer {
            subject: "student-42".into(),
            credential_configuration_ids: vec!["diploma_sd_jwt".into()],
            pre_authorized_code: Some(PRE_AUTH_CODE.into()),
            tx_code: tx.then(|| {
                (
                    TX_CODE.into(),
                    TxCode {
                        input_mode: Some(InputMode::Numeric),
                        length: Some(6),
                        description: Some(
                            "学生ポータルのコード / code from the student portal".into(),
                        ),
                    },
                )
            }),
            issuer_state: issuer_state.then(|| "issuer-state-abcdefgh".into()),
            lifetime_seconds: 600,
        },
        &issuer_metadata(),
        &provider(),
        NOW,
    )
    .unwrap();
    let uri = CredentialOfferRequest::ByValue(Box::new(offer)).to_uri(OFFER_SCHEME);
    (store(IssuanceFlow::Offered(offered)), uri)
}

fn dpop(signer: &SoftwareSigner, url: &str, jti: &str, token: Option<&str>) -> String {
    create_dpop_proof(
        signer,
        &DpopClaims {
            method: "POST",
            url,
            iat: NOW,
            jti,
            nonce: None,
            access_token: token,
        },
        &provider(),
    )
    .unwrap()
}

fn token_ctx<'a>(
    access_token: &'a str,
    dpop: Option<&'a kakehashi_oid4vci::dpop::ValidatedDpop>,
    metadata: &'a CredentialIssuerMetadata,
    policy: &'a FlowPolicy,
    provider: &'a kakehashi_crypto::CryptoProvider,
) -> TokenContext<'a> {
    TokenContext {
        access_token,
        dpop,
        credential_identifiers: &|id: &str| {
            if id == "diploma_sd_jwt" {
                vec!["diploma-2026-001".into()]
            } else {
                vec![]
            }
        },
        metadata,
        policy,
        provider,
        now: NOW,
    }
}

fn check_dpop<'a>(url: &'a str, token: Option<&'a str>, jkt: Option<&'a str>) -> DpopCheck<'a> {
    DpopCheck {
        method: "POST",
        url,
        now: NOW,
        max_age_seconds: 300,
        skew_seconds: 5,
        expected_nonce: None,
        access_token: token,
        bound_jkt: jkt,
        allowed_algorithms: &["ES256"],
    }
}

/// The issuer's token endpoint: DPoP check, then the flow transition.
fn token_endpoint(
    flow: IssuanceFlow,
    body: &str,
    dpop_proof: &str,
    access_token: &str,
) -> Result<(IssuanceFlow, TokenResponse), kakehashi_oid4vci::issuer::Rejected> {
    let p = provider();
    let metadata = issuer_metadata();
    let policy = FlowPolicy::default();
    let proof = validate_dpop_proof(dpop_proof, &check_dpop(TOKEN_URL, None, None), &p)?;
    let request = TokenRequest::from_form(body)?;
    let (flow, response) = flow.token(
        &request,
        &token_ctx(access_token, Some(&proof), &metadata, &policy, &p),
    )?;
    Ok((store(flow), response))
}

#[test]
fn pre_authorized_flow_with_tx_code_dpop_batch_and_notification() {
    let p = provider();
    let wallet_dpop = SoftwareSigner::generate(SignatureAlgorithm::Es256).unwrap();
    let (flow, uri) = new_offer(true, false);

    // Wallet: scan, fetch metadata.
    let CredentialOfferRequest::ByValue(offer) = CredentialOfferRequest::parse_uri(&uri).unwrap()
    else {
        panic!("by value")
    };
    let received = OfferReceived::new(*offer);
    assert_eq!(
        received.metadata_url().unwrap(),
        "https://issuer.kakehashi.example/.well-known/openid-credential-issuer"
    );
    let fetched = received
        .metadata_fetched(issuer_metadata(), as_metadata())
        .unwrap();
    assert_eq!(fetched.tx_code().unwrap().length, Some(6));
    assert!(
        fetched
            .pre_authorized_token_request(Some("12345"), None)
            .is_err(),
        "length 6"
    );

    // A wrong tx_code is counted.
    let wrong = fetched
        .pre_authorized_token_request(Some("000000"), None)
        .unwrap();
    let rejected = token_endpoint(
        flow.clone(),
        &wrong.to_form(),
        &dpop(&wallet_dpop, TOKEN_URL, "j1", None),
        "access-token-0123456789",
    )
    .unwrap_err();
    assert_eq!(rejected.error.wire(), (400, "invalid_grant"));
    let Some(IssuanceFlow::Offered(counted)) = rejected.flow.map(|f| *f) else {
        panic!("attempt must be stored")
    };
    assert_eq!(counted.tx_code_attempts(), 1);
    let flow = store(IssuanceFlow::Offered(counted));

    // The right one.
    let request = fetched
        .pre_authorized_token_request(Some(TX_CODE), None)
        .unwrap();
    let access_token = "access-token-0123456789abcdef";
    let (flow, token) = token_endpoint(
        flow,
        &request.to_form(),
        &dpop(&wallet_dpop, TOKEN_URL, "j2", None),
        access_token,
    )
    .unwrap();
    assert_eq!(flow.state_name(), "token_issued");
    assert_eq!(token.token_type, "DPoP");

    // The code is single use.
    let again = token_endpoint(
        flow.clone(),
        &request.to_form(),
        &dpop(&wallet_dpop, TOKEN_URL, "j3", None),
        "another-token-0123456789",
    )
    .unwrap_err();
    assert_eq!(again.error.wire().1, "invalid_grant");
    assert!(again.flow.is_none());

    // Wallet: token, nonce, two keys.
    let token_body = serde_json::to_vec(&token).unwrap();
    let token = fetched
        .token_received(TokenResponse::parse(&token_body).unwrap(), NOW)
        .unwrap();
    assert_eq!(token.targets().len(), 1);
    let token = token.nonce_received(NonceResponse {
        c_nonce: "c-nonce-xyz".into(),
    });
    let keys = [
        SoftwareSigner::generate(SignatureAlgorithm::Es256).unwrap(),
        SoftwareSigner::generate(SignatureAlgorithm::Es256).unwrap(),
    ];
    let proofs: Vec<String> = keys
        .iter()
        .map(|k| {
            create_jwt_proof(
                k,
                &ProofClaims {
                    credential_issuer: ISSUER,
                    client_id: None,
                    nonce: token.c_nonce(),
                    iat: NOW,
                },
                ProofKeyReference::Jwk,
            )
            .unwrap()
        })
        .collect();
    let target = token.targets()[0].clone();
    let request = token.credential_request(&target, proofs, NOW).unwrap();
    let body = request.to_json().to_string();
    let resource_dpop = dpop(
        &wallet_dpop,
        CREDENTIAL_URL,
        "j4",
        Some(token.access_token()),
    );

    // Issuer: credential endpoint.
    let metadata = issuer_metadata();
    let IssuanceFlow::TokenIssued(issued) = flow else {
        panic!()
    };
    let jkt = issued.grant().dpop_jkt.clone();
    let proof = validate_dpop_proof(
        &resource_dpop,
        &check_dpop(CREDENTIAL_URL, Some(access_token), jkt.as_deref()),
        &p,
    )
    .unwrap();
    let access = Access {
        access_token,
        dpop: Some(&proof),
        provider: &p,
        now: NOW,
    };
    let request = CredentialRequest::parse(body.as_bytes()).unwrap();
    // Without the DPoP proof the bound token is refused.
    assert_eq!(
        issued
            .authorize_request(
                &request,
                &Access {
                    dpop: None,
                    ..access
                }
            )
            .unwrap_err()
            .wire()
            .1,
        "invalid_token"
    );
    let decision = issued.authorize_request(&request, &access).unwrap();
    assert_eq!(
        decision.credential_identifier.as_deref(),
        Some("diploma-2026-001")
    );
    let config = metadata
        .configuration(&decision.credential_configuration_id)
        .unwrap();
    let algs = config.jwt_proof_algorithms();
    let mut issued_nonces = vec!["c-nonce-xyz".to_owned()];
    let holder_keys = validate_proofs(
        request.proofs.as_ref().unwrap(),
        &ProofCheck {
            credential_issuer: ISSUER,
            client_id: decision.client_id.as_deref(),
            now: NOW,
            max_age_seconds: 300,
            skew_seconds: 5,
            allowed_algorithms: &algs,
            nonce_required: metadata.nonce_endpoint.is_some(),
            max_proofs: 2,
        },
        &mut |n| {
            let known = issued_nonces.iter().position(|x| x == n);
            known.map(|i| issued_nonces.remove(i)).is_some()
        },
        &p,
    )
    .unwrap();
    assert!(issued_nonces.is_empty(), "nonce consumed");
    let credentials: Vec<Value> = holder_keys
        .iter()
        .map(|k| {
            json!(format!(
                "sd-jwt-bound-to:{}",
                k.key.thumbprint(&p, HashAlgorithm::Sha256)
            ))
        })
        .collect();
    let (flow, response) = issued
        .complete(
            &decision,
            IssuanceResult::Issued {
                credentials,
                notification_id: "3fwe98js".into(),
            },
            &p,
        )
        .unwrap();
    let flow = store(flow);
    assert_eq!(flow.state_name(), "credential_issued");
    assert_eq!(response.status(), 200);

    // Wallet: credentials.
    let response =
        CredentialResponse::parse(serde_json::to_string(&response).unwrap().as_bytes()).unwrap();
    let CredentialOutcome::Received(got) = token
        .credentials_received(target, response, 2, NOW)
        .unwrap()
    else {
        panic!("received")
    };
    assert_eq!(got.credentials.len(), 2);
    assert_eq!(
        got.credentials[0],
        json!(format!(
            "sd-jwt-bound-to:{}",
            keys[0].public_jwk().thumbprint(&p, HashAlgorithm::Sha256)
        ))
    );

    // Notification.
    let note = NotificationRequest {
        notification_id: got.notification_id.clone().unwrap(),
        event: NotificationEvent::CredentialAccepted,
        event_description: None,
    };
    let note =
        NotificationRequest::parse(serde_json::to_string(&note).unwrap().as_bytes()).unwrap();
    let flow = flow.notify(&note, &access).unwrap();
    assert_eq!(flow.state_name(), "credential_issued");
    let bad = NotificationRequest {
        notification_id: "nope".into(),
        ..note
    };
    assert_eq!(
        flow.notify(&bad, &access).unwrap_err(),
        Oid4vciError::InvalidNotificationId
    );
}

#[test]
fn tx_code_attempts_are_limited() {
    let (mut flow, _) = new_offer(true, false);
    let wallet_dpop = SoftwareSigner::generate(SignatureAlgorithm::Es256).unwrap();
    let body = TokenRequest::PreAuthorizedCode {
        pre_authorized_code: PRE_AUTH_CODE.into(),
        tx_code: Some("111111".into()),
        client_id: None,
        authorization_details: None,
    }
    .to_form();
    for attempt in 1..=5 {
        let r = token_endpoint(
            flow,
            &body,
            &dpop(&wallet_dpop, TOKEN_URL, "j", None),
            "access-token-0123456789",
        )
        .unwrap_err();
        flow = *r.flow.unwrap();
        assert_eq!(
            flow.state_name(),
            if attempt < 5 { "offered" } else { "closed" }
        );
    }
    // Even the right code no longer works.
    let right = body.replace("111111", TX_CODE);
    assert!(
        token_endpoint(
            flow,
            &right,
            &dpop(&wallet_dpop, TOKEN_URL, "j", None),
            "access-token-0123456789"
        )
        .is_err()
    );
}

#[test]
fn token_request_rules() {
    let (flow, _) = new_offer(false, false);
    let s = SoftwareSigner::generate(SignatureAlgorithm::Es256).unwrap();
    let form = |tx: Option<&str>, details: Option<&str>, code: &str| {
        TokenRequest::PreAuthorizedCode {
            pre_authorized_code: code.into(),
            tx_code: tx.map(str::to_owned),
            client_id: None,
            authorization_details: details.map(str::to_owned),
        }
        .to_form()
    };
    let err = |body: String| {
        token_endpoint(
            flow.clone(),
            &body,
            &dpop(&s, TOKEN_URL, "j", None),
            "access-token-0123456789",
        )
        .unwrap_err()
        .error
    };
    assert_eq!(
        err(form(Some("1"), None, PRE_AUTH_CODE)).wire().1,
        "invalid_request"
    );
    assert_eq!(
        err(form(None, None, "wrong-code")).wire().1,
        "invalid_grant"
    );
    assert_eq!(
        err(form(
            None,
            Some(r#"[{"type":"openid_credential","credential_configuration_id":"other"}]"#),
            PRE_AUTH_CODE
        ))
        .wire()
        .1,
        "invalid_authorization_details"
    );
    // A DPoP proof for another endpoint.
    let e = token_endpoint(
        flow.clone(),
        &form(None, None, PRE_AUTH_CODE),
        &dpop(&s, CREDENTIAL_URL, "j", None),
        "access-token-0123456789",
    )
    .unwrap_err();
    assert_eq!(e.error.wire().1, "invalid_dpop_proof");
    // Expired offer closes the flow.
    let p = provider();
    let metadata = issuer_metadata();
    let policy = FlowPolicy::default();
    let proof = validate_dpop_proof(
        &dpop(&s, TOKEN_URL, "j", None),
        &check_dpop(TOKEN_URL, None, None),
        &p,
    )
    .unwrap();
    let mut ctx = token_ctx(
        "access-token-0123456789",
        Some(&proof),
        &metadata,
        &policy,
        &p,
    );
    ctx.now = NOW.saturating_add(600);
    let r = flow
        .token(
            &TokenRequest::from_form(&form(None, None, PRE_AUTH_CODE)).unwrap(),
            &ctx,
        )
        .unwrap_err();
    assert_eq!(r.error, Oid4vciError::Expired);
    assert_eq!(r.flow.unwrap().state_name(), "closed");
}

#[test]
fn deferred_issuance() {
    let p = provider();
    let (flow, _) = new_offer(false, false);
    let s = SoftwareSigner::generate(SignatureAlgorithm::Es256).unwrap();
    let body = TokenRequest::PreAuthorizedCode {
        pre_authorized_code: PRE_AUTH_CODE.into(),
        tx_code: None,
        client_id: None,
        authorization_details: None,
    }
    .to_form();
    let access_token = "access-token-0123456789abcdef";
    let (flow, _) =
        token_endpoint(flow, &body, &dpop(&s, TOKEN_URL, "j", None), access_token).unwrap();
    let IssuanceFlow::TokenIssued(issued) = flow else {
        panic!()
    };
    let proof = validate_dpop_proof(
        &dpop(&s, CREDENTIAL_URL, "j2", Some(access_token)),
        &check_dpop(
            CREDENTIAL_URL,
            Some(access_token),
            issued.grant().dpop_jkt.as_deref(),
        ),
        &p,
    )
    .unwrap();
    let access = Access {
        access_token,
        dpop: Some(&proof),
        provider: &p,
        now: NOW,
    };
    let request =
        CredentialRequest::parse(br#"{"credential_identifier":"diploma-2026-001"}"#).unwrap();
    // With credential_identifiers issued, the configuration id is not accepted.
    let by_config =
        CredentialRequest::parse(br#"{"credential_configuration_id":"diploma_sd_jwt"}"#).unwrap();
    assert_eq!(
        issued
            .authorize_request(&by_config, &access)
            .unwrap_err()
            .wire()
            .1,
        "invalid_credential_request"
    );
    let unknown = CredentialRequest::parse(br#"{"credential_identifier":"x"}"#).unwrap();
    assert_eq!(
        issued
            .authorize_request(&unknown, &access)
            .unwrap_err()
            .wire()
            .1,
        "unknown_credential_identifier"
    );
    let decision = issued.authorize_request(&request, &access).unwrap();
    let (flow, response) = issued
        .complete(
            &decision,
            IssuanceResult::Deferred {
                transaction_id: "8xLOxBtZp8-random-tx".into(),
                interval: 60,
            },
            &p,
        )
        .unwrap();
    assert_eq!(response.status(), 202);
    let flow = store(flow);
    assert_eq!(flow.state_name(), "deferred");

    // Wallet side of the deferral.
    let CredentialOfferRequest::ByValue(offer) =
        CredentialOfferRequest::parse_uri(&new_offer(false, false).1).unwrap()
    else {
        panic!()
    };
    let fetched = OfferReceived::new(*offer)
        .metadata_fetched(issuer_metadata(), as_metadata())
        .unwrap();
    let token = fetched
        .token_received(
            TokenResponse::parse(json!({"access_token": access_token, "token_type": "DPoP", "expires_in": 300,
                "authorization_details": [{"type": "openid_credential", "credential_configuration_id": "diploma_sd_jwt",
                                           "credential_identifiers": ["diploma-2026-001"]}]}).to_string().as_bytes())
            .unwrap(),
            NOW,
        )
        .unwrap();
    let target = token.targets()[0].clone();
    let wire =
        CredentialResponse::parse(serde_json::to_string(&response).unwrap().as_bytes()).unwrap();
    let CredentialOutcome::Deferred(pending_wallet) =
        token.credentials_received(target, wire, 0, NOW).unwrap()
    else {
        panic!("deferred")
    };
    assert!(
        pending_wallet.request(NOW).is_none(),
        "interval not yet passed"
    );
    let wallet_poll = pending_wallet.request(NOW.saturating_add(60)).unwrap();
    assert_eq!(wallet_poll.transaction_id, "8xLOxBtZp8-random-tx");

    let poll =
        DeferredCredentialRequest::parse(br#"{"transaction_id":"8xLOxBtZp8-random-tx"}"#).unwrap();
    let (flow, pending) = flow.poll_deferred(&poll, &access, None).unwrap();
    assert_eq!(pending.status(), 202);
    assert_eq!(
        pending.transaction_id.as_deref(),
        Some("8xLOxBtZp8-random-tx")
    );
    let bad = DeferredCredentialRequest::parse(br#"{"transaction_id":"guess"}"#).unwrap();
    assert_eq!(
        flow.clone().poll_deferred(&bad, &access, None).unwrap_err(),
        Oid4vciError::InvalidTransactionId
    );
    let (flow, done) = flow
        .poll_deferred(
            &poll,
            &access,
            Some((vec![json!("sd-jwt")], "note-1".into())),
        )
        .unwrap();
    assert_eq!(done.status(), 200);
    let wire = CredentialResponse::parse(serde_json::to_string(&done).unwrap().as_bytes()).unwrap();
    let CredentialOutcome::Received(got) = pending_wallet
        .deferred_received(wire, NOW.saturating_add(60))
        .unwrap()
    else {
        panic!("received")
    };
    assert_eq!(got.credentials, [json!("sd-jwt")]);
    assert_eq!(got.notification_id.as_deref(), Some("note-1"));
    assert_eq!(flow.state_name(), "credential_issued");
    assert_eq!(
        flow.poll_deferred(&poll, &access, None).unwrap_err(),
        Oid4vciError::InvalidTransactionId
    );
}

#[test]
fn authorization_code_flow_with_par_and_pkce() {
    let p = provider();
    let metadata = issuer_metadata();
    let policy = FlowPolicy::default();
    let (flow, uri) = new_offer(false, true);
    let CredentialOfferRequest::ByValue(offer) = CredentialOfferRequest::parse_uri(&uri).unwrap()
    else {
        panic!()
    };
    let fetched = OfferReceived::new(*offer)
        .metadata_fetched(metadata.clone(), as_metadata())
        .unwrap();
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let par = fetched
        .authorization_request(
            "wallet-client",
            "https://wallet.example/cb",
            verifier,
            "csrf-state",
            &p,
        )
        .unwrap();
    let par = PushedAuthorizationRequest::from_form(&par.to_form(), &metadata).unwrap();
    assert_eq!(par.issuer_state.as_deref(), Some("issuer-state-abcdefgh"));
    let IssuanceFlow::Offered(offered) = flow else {
        panic!()
    };
    let code = "authorization-code-0123456789";
    let authorized = offered
        .authorize(&par, code, &metadata, &policy, &p, NOW)
        .unwrap();
    let flow = store(IssuanceFlow::Authorized(authorized));

    let s = SoftwareSigner::generate(SignatureAlgorithm::Es256).unwrap();
    let request = |verifier: &str| TokenRequest::AuthorizationCode {
        code: code.into(),
        code_verifier: verifier.into(),
        redirect_uri: "https://wallet.example/cb".into(),
        client_id: Some("wallet-client".into()),
        authorization_details: None,
    };
    // A wrong verifier burns the code.
    let wrong = token_endpoint(
        flow.clone(),
        &request(&verifier.replace('d', "e")).to_form(),
        &dpop(&s, TOKEN_URL, "j", None),
        "access-token-0123456789",
    )
    .unwrap_err();
    assert_eq!(wrong.error.wire().1, "invalid_grant");
    assert_eq!(wrong.flow.unwrap().state_name(), "closed");
    // The right one works, and the client id is kept for key proof `iss` checks.
    let (flow, response) = token_endpoint(
        flow,
        &request(verifier).to_form(),
        &dpop(&s, TOKEN_URL, "j", None),
        "access-token-0123456789",
    )
    .unwrap();
    let IssuanceFlow::TokenIssued(issued) = flow else {
        panic!()
    };
    assert_eq!(issued.grant().client_id.as_deref(), Some("wallet-client"));
    assert_eq!(
        response.authorization_details.unwrap()[0]
            .credential_identifiers
            .as_ref()
            .unwrap(),
        &["diploma-2026-001"]
    );

    // issuer_state must match the offer.
    let (flow, _) = new_offer(false, true);
    let IssuanceFlow::Offered(offered) = flow else {
        panic!()
    };
    let mut other = par.clone();
    other.issuer_state = Some("other-state".into());
    assert!(
        offered
            .authorize(&other, code, &metadata, &policy, &p, NOW)
            .is_err()
    );
}
