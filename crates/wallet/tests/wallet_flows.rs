//! The wallet against in-test issuer and verifier servers over real HTTPS on loopback:
//!
//! ```text
//! test issuer (oid4vci::issuer states)          wallet                 test verifier (oid4vp::verifier)
//!   /offer, metadata, /token (DPoP), /nonce ◀── receive ──▶ store
//!   /credential (proofs, ath), /deferred,                              /request (wallet_nonce POST)
//!   /notification                                present ──────────▶  /response (direct_post[.jwt])
//! ```

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use kakehashi_crypto::SignatureAlgorithm;
use kakehashi_crypto_aws_lc::SoftwareSigner;
use kakehashi_oid4vp::request::ResponseMode;
use kakehashi_oid4vp::verifier::VerifierSession;
use kakehashi_storage::WalletStore;
use kakehashi_wallet::{Choice, WalletError};
use serde_json::{Value, json};

#[tokio::test]
async fn offer_by_reference_with_tx_code() {
    let pki = pki();
    let (issuer, _h) = start_issuer(
        &pki,
        IssuerOptions {
            tx_code: true,
            ..Default::default()
        },
    )
    .await;
    let (wallet, context) = wallet(&pki).await;
    let uri = offer_by_reference(&issuer);

    // Without the code: refused before any request to the token endpoint.
    assert!(matches!(
        wallet.receive(&uri, None).await,
        Err(WalletError::TxCode(_))
    ));
    let got = wallet.receive(&uri, Some(TX_CODE)).await.unwrap();
    assert_eq!(got.len(), 1);
    let c = &got[0];
    assert_eq!(c.format, "dc+sd-jwt");
    assert!(c.id.starts_with("hana/"));
    assert_eq!(c.display["name"]["en"], "University Diploma");
    assert_eq!(c.display["name"]["ja"], "大学学位記");
    assert_eq!(c.display["issuer_name"]["ja"], "架け橋大学");
    assert_eq!(c.display["claims"][r#"["birth_date"]"#]["ja"], "生年月日");
    assert_eq!(wallet.credentials().await.unwrap(), got);
    assert_eq!(
        issuer.lock().unwrap().notifications,
        ["credential_accepted"]
    );

    // The holder key at rest is sealed: not a PKCS#8 key, no public coordinates in clear.
    let key_id = c.holder_key_id.as_deref().unwrap();
    let record = context.store().holder_key(key_id).await.unwrap();
    assert_eq!(record.private_key.algorithm, "A256GCM");
    assert_eq!(record.private_key.kek_id, "test-kek");
    assert!(
        SoftwareSigner::from_pkcs8(SignatureAlgorithm::Es256, &record.private_key.ciphertext)
            .is_err()
    );
    let public: Value = serde_json::from_str(&record.public_jwk).unwrap();
    let x = kakehashi_core::b64::decode(public["x"].as_str().unwrap()).unwrap();
    assert!(
        !record
            .private_key
            .ciphertext
            .windows(x.len())
            .any(|w| w == x.as_slice()),
        "a plaintext PKCS#8 key would contain the public point"
    );
    // The claims are readable by the holder.
    let claims = wallet.credential_claims(&c.id).await.unwrap();
    assert_eq!(claims["degree"]["title"], "MSc Informatics");

    // Another holder in the same store sees nothing.
    let other = context.wallet(kakehashi_wallet::HolderId::new("taro").unwrap());
    assert!(other.credentials().await.unwrap().is_empty());
    assert!(matches!(
        other.credential(&c.id).await,
        Err(WalletError::NotFound(_))
    ));
}

#[tokio::test]
async fn batch_issuance_binds_one_fresh_key_per_credential() {
    let pki = pki();
    let (issuer, _h) = start_issuer(
        &pki,
        IssuerOptions {
            batch_size: 3,
            ..Default::default()
        },
    )
    .await;
    let (wallet, _) = wallet(&pki).await;
    let got = wallet
        .receive(&offer_by_value(&issuer), None)
        .await
        .unwrap();
    assert_eq!(got.len(), 3);
    let mut keys: Vec<_> = got
        .iter()
        .map(|c| c.holder_key_id.clone().unwrap())
        .collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 3, "one key per credential");
}

#[tokio::test]
async fn deferred_issuance_is_polled() {
    let pki = pki();
    let (issuer, _h) = start_issuer(
        &pki,
        IssuerOptions {
            mode: IssueMode::Deferred,
            ..Default::default()
        },
    )
    .await;
    let (wallet, _) = wallet(&pki).await;
    let got = wallet
        .receive(&offer_by_value(&issuer), None)
        .await
        .unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(
        issuer.lock().unwrap().notifications,
        ["credential_accepted"]
    );
}

#[tokio::test]
async fn dpop_nonce_is_retried_once() {
    let pki = pki();
    let (issuer, _h) = start_issuer(
        &pki,
        IssuerOptions {
            require_dpop_nonce: true,
            ..Default::default()
        },
    )
    .await;
    let (wallet, _) = wallet(&pki).await;
    let got = wallet
        .receive(&offer_by_value(&issuer), None)
        .await
        .unwrap();
    assert_eq!(got.len(), 1);
    // The token endpoint asked once; the nonce was then reused at the same origin.
    assert_eq!(issuer.lock().unwrap().dpop_nonce_refusals, 1);
}

#[tokio::test]
async fn a_credential_whose_signature_does_not_verify_is_not_stored() {
    let pki = pki();
    let (issuer, _h) = start_issuer(
        &pki,
        IssuerOptions {
            mode: IssueMode::BadSignature,
            ..Default::default()
        },
    )
    .await;
    let (wallet, context) = wallet(&pki).await;
    let err = wallet
        .receive(&offer_by_value(&issuer), None)
        .await
        .unwrap_err();
    assert!(matches!(err, WalletError::CredentialRejected(_)), "{err}");
    assert!(wallet.credentials().await.unwrap().is_empty());
    assert!(
        context
            .store()
            .stored_credentials()
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(issuer.lock().unwrap().notifications, ["credential_failure"]);
}

#[tokio::test]
async fn jwt_vc_json_is_verified_and_bound_by_did_jwk() {
    let pki = pki();
    let (issuer, _h) = start_issuer(
        &pki,
        IssuerOptions {
            format: "jwt_vc_json",
            ..Default::default()
        },
    )
    .await;
    let (wallet, _) = wallet(&pki).await;
    let got = wallet
        .receive(&offer_by_value(&issuer), None)
        .await
        .unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].format, "jwt_vc_json");
    let claims = wallet.credential_claims(&got[0].id).await.unwrap();
    assert!(
        claims["credentialSubject"]["id"]
            .as_str()
            .unwrap()
            .starts_with("did:jwk:")
    );
}

/// A wallet holding a diploma (SD-JWT VC) and a transcript (jwt_vc_json).
async fn stocked_wallet(
    pki: &Pki,
) -> (
    kakehashi_wallet::Wallet<kakehashi_storage_sqlite::SqliteStore>,
    String,
    Vec<tokio::task::JoinHandle<()>>,
) {
    let (wallet, _) = wallet(pki).await;
    let (diploma, h1) = start_issuer(pki, IssuerOptions::default()).await;
    let (badge, h2) = start_issuer(
        pki,
        IssuerOptions {
            format: "jwt_vc_json",
            ..Default::default()
        },
    )
    .await;
    wallet.receive(&offer_by_value(&badge), None).await.unwrap();
    wallet
        .receive(&offer_by_value(&diploma), None)
        .await
        .unwrap();
    let vct = format!("{}{VCT_PATH}", diploma.lock().unwrap().base);
    (wallet, vct, vec![h1, h2])
}

#[tokio::test]
async fn credential_sets_pick_the_diploma_and_disclose_exactly_the_requested_claims() {
    let pki = pki();
    let (wallet, vct, _hs) = stocked_wallet(&pki).await;
    let query = json!({
        "credentials": [
            {"id": "pid", "format": "dc+sd-jwt", "meta": {"vct_values": ["https://pid.example/pid"]},
             "claims": [{"path": ["birth_date"]}]},
            {"id": "diploma", "format": "dc+sd-jwt", "meta": {"vct_values": [vct]},
             "claims": [{"path": ["degree", "title"]}, {"path": ["family_name"]}]}
        ],
        "credential_sets": [{"options": [["pid"], ["diploma"]]}]
    });
    let (verifier, uri, _h) = start_verifier(
        &pki,
        VerifierOptions {
            mode: ResponseMode::DirectPostJwt,
            query,
            certificate_dns: "localhost",
        },
    )
    .await;
    let consent = wallet.prepare_presentation(&uri).await.unwrap();
    assert_eq!(consent.verifier.client_id, "x509_san_dns:localhost");
    assert_eq!(consent.verifier.name, "Kakehashi Test Verifier");
    assert!(consent.verifier.encrypted_response);
    assert_eq!(consent.items.len(), 1);
    let item = &consent.items[0];
    assert_eq!(item.query_id, "diploma");
    assert_eq!(item.format, "dc+sd-jwt");
    assert!(!item.whole_credential);
    let paths: Vec<Value> = item.claims.iter().map(|c| c.path.clone()).collect();
    assert_eq!(paths, [json!(["degree", "title"]), json!(["family_name"])]);
    assert_eq!(item.claims[1].value, "Yamada");
    assert_eq!(item.claims[1].label["ja"], "姓");

    // The consent survives a serde round trip (the web wallet keeps it between requests).
    let consent = serde_json::from_str(&serde_json::to_string(&consent).unwrap()).unwrap();
    let outcome = wallet.present(consent, Choice::Accept).await.unwrap();
    assert!(outcome.presented);

    let v = verifier.lock().unwrap().clone_view();
    // direct_post.jwt: the body is `response=<JWE>` only, encrypted to the verifier key.
    let body = &v.response_bodies[0];
    assert!(body.starts_with("response="), "{body}");
    assert!(!body.contains("vp_token"));
    let jwe = body.trim_start_matches("response=");
    assert_eq!(jwe.split('.').count(), 5);
    let header: Value = serde_json::from_slice(
        &kakehashi_core::b64::decode(jwe.split('.').next().unwrap()).unwrap(),
    )
    .unwrap();
    assert_eq!(header["alg"], "ECDH-ES");
    assert!(kakehashi_crypto_aws_lc::jwe::decrypt(jwe, &v.key).is_ok());

    let Some(VerifierSession::Verified(verified)) = &v.session else {
        panic!("verifier session: {:?}", v.session)
    };
    let claims = &verified.credentials[0].presentation.claims;
    assert_eq!(claims["family_name"], "Yamada");
    assert_eq!(claims["degree"]["title"], "MSc Informatics");
    assert!(claims.get("birth_date").is_none(), "birth date withheld");
    assert!(claims.get("given_name").is_none());
    assert!(claims["degree"].get("grade").is_none());

    let history = wallet.history().await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].verifier, "x509_san_dns:localhost");
    assert_eq!(
        history[0].disclosed["claims"][&history[0].credential_ids[0]],
        json!([["degree", "title"], ["family_name"]])
    );
}

#[tokio::test]
async fn a_request_signed_for_another_dns_name_is_refused() {
    let pki = pki();
    let (wallet, vct, _hs) = stocked_wallet(&pki).await;
    let (_verifier, uri, _h) = start_verifier(
        &pki,
        VerifierOptions {
            mode: ResponseMode::DirectPost,
            query: diploma_query(&vct),
            certificate_dns: "verifier.other.example",
        },
    )
    .await;
    let err = wallet.prepare_presentation(&uri).await.unwrap_err();
    assert!(matches!(err, WalletError::UntrustedRequest(_)), "{err}");
    assert!(wallet.history().await.unwrap().is_empty());
}

#[tokio::test]
async fn no_matching_credential_and_decline() {
    let pki = pki();
    let (wallet, vct, _hs) = stocked_wallet(&pki).await;
    let (_v, uri, _h) = start_verifier(
        &pki,
        VerifierOptions {
            mode: ResponseMode::DirectPost,
            query: json!({"credentials": [{"id": "pid", "format": "dc+sd-jwt",
                "meta": {"vct_values": ["https://pid.example/pid"]}}]}),
            certificate_dns: "localhost",
        },
    )
    .await;
    assert!(matches!(
        wallet.prepare_presentation(&uri).await,
        Err(WalletError::NoMatchingCredential)
    ));

    let (verifier, uri, _h2) = start_verifier(
        &pki,
        VerifierOptions {
            mode: ResponseMode::DirectPost,
            query: diploma_query(&vct),
            certificate_dns: "localhost",
        },
    )
    .await;
    let consent = wallet.prepare_presentation(&uri).await.unwrap();
    let outcome = wallet.present(consent, Choice::Decline).await.unwrap();
    assert!(!outcome.presented);
    let v = verifier.lock().unwrap().clone_view();
    let Some(VerifierSession::Failed(failed)) = &v.session else {
        panic!("expected failed: {:?}", v.session)
    };
    assert_eq!(failed.error, "access_denied");
    assert!(wallet.history().await.unwrap().is_empty());
}

#[tokio::test]
async fn direct_post_in_clear_and_consent_expiry() {
    let pki = pki();
    let (wallet, vct, _hs) = stocked_wallet(&pki).await;
    let (verifier, uri, _h) = start_verifier(
        &pki,
        VerifierOptions {
            mode: ResponseMode::DirectPost,
            query: diploma_query(&vct),
            certificate_dns: "localhost",
        },
    )
    .await;
    let consent = wallet.prepare_presentation(&uri).await.unwrap();
    // A consent edited to point at another credential is refused.
    let mut swapped = serde_json::to_value(&consent).unwrap();
    let other = wallet
        .credentials()
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.format == "jwt_vc_json")
        .unwrap();
    swapped["items"][0]["credential_id"] = other.id.into();
    assert!(matches!(
        wallet
            .present(serde_json::from_value(swapped).unwrap(), Choice::Accept)
            .await,
        Err(WalletError::InvalidInput(_))
    ));
    let mut late = consent.clone();
    late.prepared_at = kakehashi_core::UnixTime(late.prepared_at.seconds() - 3600);
    assert!(matches!(
        wallet.present(late, Choice::Accept).await,
        Err(WalletError::ConsentExpired)
    ));
    wallet.present(consent, Choice::Accept).await.unwrap();
    let v = verifier.lock().unwrap().clone_view();
    assert!(v.response_bodies[0].contains("vp_token="));
    assert!(matches!(v.session, Some(VerifierSession::Verified(_))));
}

#[tokio::test]
async fn authorization_code_flow_with_par_and_pkce() {
    let pki = pki();
    let (issuer, _h) = start_issuer(
        &pki,
        IssuerOptions {
            authorization_code: true,
            ..Default::default()
        },
    )
    .await;
    let (wallet, _) = wallet(&pki).await;
    let uri = offer_by_value(&issuer);
    assert!(matches!(
        wallet.receive(&uri, None).await,
        Err(WalletError::AuthorizationRequired)
    ));
    let pending = wallet.begin_authorization(&uri).await.unwrap();
    let base = issuer.lock().unwrap().base.clone();
    assert!(pending.authorization_url.starts_with(&format!(
        "{base}/authorize?client_id=kakehashi-wallet&request_uri=urn"
    )));
    // The pending state is a serde value (kept in the session while the user logs in).
    let pending: kakehashi_wallet::PendingAuthorization =
        serde_json::from_str(&serde_json::to_string(&pending).unwrap()).unwrap();
    let state = pending.state.clone();
    assert!(matches!(
        wallet
            .finish_authorization(pending.clone(), AUTHORIZATION_CODE, "forged-state")
            .await,
        Err(WalletError::InvalidInput(_))
    ));
    let got = wallet
        .finish_authorization(pending, AUTHORIZATION_CODE, &state)
        .await
        .unwrap();
    assert_eq!(got.len(), 1);
}

#[tokio::test]
async fn trust_anchors_for_issuers_and_verifiers() {
    let pki = pki();
    let unrelated = certificate_for(
        &SoftwareSigner::generate(SignatureAlgorithm::Es256).unwrap(),
        "localhost",
        "Somebody Else",
    );
    // Issuer: a chain that does not validate to the anchors is rejected, nothing stored.
    let (issuer, _h) = start_issuer(&pki, IssuerOptions::default()).await;
    let (strict, _) = wallet_with(
        &pki,
        kakehashi_wallet::WalletConfig {
            issuer_anchors: Some(vec![unrelated.clone()]),
            ..Default::default()
        },
    )
    .await;
    let err = strict
        .receive(&offer_by_value(&issuer), None)
        .await
        .unwrap_err();
    assert!(matches!(err, WalletError::CredentialRejected(_)), "{err}");
    assert!(strict.credentials().await.unwrap().is_empty());

    let (issuer, _h2) = start_issuer(&pki, IssuerOptions::default()).await;
    let seal_cert = issuer.lock().unwrap().seal_cert.clone();
    let vct = format!("{}{VCT_PATH}", issuer.lock().unwrap().base);
    let options = || VerifierOptions {
        mode: ResponseMode::DirectPost,
        query: diploma_query(&vct),
        certificate_dns: "localhost",
    };
    let (_va, uri_a, _ha) = start_verifier(&pki, options()).await;
    let (verifier_b, uri_b, _hb) = start_verifier(&pki, options()).await;

    // Verifier: refused when its chain is not anchored (checked before any matching).
    let (wary, _) = wallet_with(
        &pki,
        kakehashi_wallet::WalletConfig {
            verifier_anchors: Some(vec![unrelated]),
            ..Default::default()
        },
    )
    .await;
    assert!(matches!(
        wary.prepare_presentation(&uri_a).await,
        Err(WalletError::UntrustedRequest(_))
    ));

    // Anchored issuer and verifier: received, and the verifier is shown as trusted.
    let verifier_cert = verifier_b.lock().unwrap().certificate.clone();
    let (trusting, _) = wallet_with(
        &pki,
        kakehashi_wallet::WalletConfig {
            issuer_anchors: Some(vec![seal_cert]),
            verifier_anchors: Some(vec![verifier_cert]),
            ..Default::default()
        },
    )
    .await;
    trusting
        .receive(&offer_by_value(&issuer), None)
        .await
        .unwrap();
    let consent = trusting.prepare_presentation(&uri_b).await.unwrap();
    assert!(consent.verifier.trusted);
}

#[tokio::test]
async fn same_device_flow_returns_the_verifier_redirect() {
    let pki = pki();
    let (wallet, vct, _hs) = stocked_wallet(&pki).await;
    let (verifier, uri, _h) = start_verifier_with(
        &pki,
        VerifierOptions {
            mode: ResponseMode::DirectPostJwt,
            query: diploma_query(&vct),
            certificate_dns: "localhost",
        },
        true,
    )
    .await;
    let consent = wallet.prepare_presentation(&uri).await.unwrap();
    let outcome = wallet.present(consent, Choice::Accept).await.unwrap();
    let base = uri
        .split("request_uri=")
        .nth(1)
        .map(|r| kakehashi_oid4vp::form::decode_component(r.split('&').next().unwrap()).unwrap())
        .unwrap()
        .trim_end_matches("/request")
        .to_owned();
    assert_eq!(
        outcome.redirect_uri.as_deref(),
        Some(format!("{base}/done#response_code={RESPONSE_CODE}").as_str())
    );
    assert!(matches!(
        verifier.lock().unwrap().clone_view().session,
        Some(VerifierSession::Verified(_))
    ));
}

#[tokio::test]
async fn jwt_vc_json_is_presented_as_a_vp_jwt() {
    let pki = pki();
    let (wallet, _vct, _hs) = stocked_wallet(&pki).await;
    let (verifier, uri, _h) = start_verifier(
        &pki,
        VerifierOptions {
            mode: ResponseMode::DirectPostJwt,
            query: json!({"credentials": [{"id": "transcript", "format": "jwt_vc_json",
                "meta": {"type_values": [["VerifiableCredential", "KakehashiTranscript"]]},
                "claims": [{"path": ["credentialSubject", "name"]}]}]}),
            certificate_dns: "localhost",
        },
    )
    .await;
    let consent = wallet.prepare_presentation(&uri).await.unwrap();
    assert_eq!(consent.items[0].format, "jwt_vc_json");
    assert!(
        consent.items[0].whole_credential,
        "no selective disclosure: said so"
    );
    assert_eq!(consent.items[0].claims[0].value, "Yamada Hana");
    let outcome = wallet.present(consent, Choice::Accept).await.unwrap();
    assert!(outcome.presented);
    let v = verifier.lock().unwrap().clone_view();
    let Some(VerifierSession::Verified(verified)) = &v.session else {
        panic!("verifier session: {:?}", v.session)
    };
    assert_eq!(
        verified.credentials[0].presentation.claims["credentialSubject"]["name"],
        "Yamada Hana"
    );
}

#[tokio::test]
async fn open_badge_display_uses_the_achievement_name() {
    let pki = pki();
    let (issuer, _h) = start_issuer(
        &pki,
        IssuerOptions {
            format: "ob3",
            ..Default::default()
        },
    )
    .await;
    let (wallet, _) = wallet(&pki).await;
    let got = wallet
        .receive(&offer_by_value(&issuer), None)
        .await
        .unwrap();
    assert_eq!(
        got[0].display["name"]["en"],
        "Master of Engineering (Information Sciences)"
    );
}

#[tokio::test]
async fn an_expired_c_nonce_is_replaced_once() {
    let pki = pki();
    let (issuer, _h) = start_issuer(
        &pki,
        IssuerOptions {
            stale_first_nonce: true,
            ..Default::default()
        },
    )
    .await;
    let (wallet, _) = wallet(&pki).await;
    let got = wallet
        .receive(&offer_by_value(&issuer), None)
        .await
        .unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(issuer.lock().unwrap().nonces_issued, 2);
}
