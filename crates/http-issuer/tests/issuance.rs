//! OpenID4VCI flows over real HTTP (port 0, SQLite in memory):
//!
//! ```text
//! registrar ─ create_offer_for_graduate ─▶ offer (pre-authorized code + tx_code)
//! wallet ── POST /token (DPoP, tx_code) ─▶ DPoP-bound access token
//!        ── POST /nonce ─▶ c_nonce
//!        ── POST /credential (DPoP + ath, proofs.jwt) ─▶ credentials | transaction_id
//!        ── POST /deferred_credential, /notification
//! ```

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use kakehashi_crypto::Signer;
use kakehashi_http_issuer::{Approval, Profile, set_approval};
use serde_json::json;

#[tokio::test]
async fn pre_authorized_flow_counts_wrong_tx_codes_and_dies_after_the_limit() {
    let h = start(Profile::Eu).await;
    let wallet = Wallet::new();
    let (code, tx) = h.offer("grad-1", Approval::Approved).await;
    let tx = tx.unwrap();
    assert_eq!(tx.len(), 6);
    // Missing tx_code: invalid_request.
    let (s, body) = h.token_pre_auth(&wallet, &code, None).await;
    assert_eq!(
        (s, body["error"].as_str().unwrap()),
        (400, "invalid_request")
    );
    // Wrong codes burn attempts (1 burnt above, limit 5).
    for left in (0..4).rev() {
        let (s, body) = h.token_pre_auth(&wallet, &code, Some("000000x")).await;
        assert_eq!(
            (s, body["error"].as_str().unwrap()),
            (400, "invalid_grant"),
            "{body}"
        );
        let description = body["error_description"].as_str().unwrap();
        assert!(
            description.contains(&format!("{left} attempts left")),
            "{description}"
        );
    }
    // Attempts exhausted: even the right code no longer works.
    let (s, body) = h.token_pre_auth(&wallet, &code, Some(&tx)).await;
    assert_eq!((s, body["error"].as_str().unwrap()), (400, "invalid_grant"));
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("exhausted"),
        "{body}"
    );

    // A fresh offer: one wrong code, then the right one; single use.
    let (code, tx) = h.offer("grad-2", Approval::Approved).await;
    let (s, _) = h.token_pre_auth(&wallet, &code, Some("12345x")).await;
    assert_eq!(s, 400);
    let (s, token) = h.token_pre_auth(&wallet, &code, tx.as_deref()).await;
    assert_eq!(s, 200, "{token}");
    assert_eq!(token["token_type"], "DPoP");
    assert!(token["expires_in"].as_u64().unwrap() > 0);
    let (s, body) = h.token_pre_auth(&wallet, &code, tx.as_deref()).await;
    assert_eq!((s, body["error"].as_str().unwrap()), (400, "invalid_grant"));
}

#[tokio::test]
async fn expired_offers_and_tokens_are_refused_by_the_injected_clock() {
    let h = start(Profile::Eu).await;
    let wallet = Wallet::new();
    let (code, tx) = h.offer("grad-exp", Approval::Approved).await;
    h.advance(h.state.config.offer_lifetime + 1);
    let (s, body) = h.token_pre_auth(&wallet, &code, tx.as_deref()).await;
    assert_eq!((s, body["error"].as_str().unwrap()), (400, "invalid_grant"));

    let (code, tx) = h.offer("grad-exp2", Approval::Approved).await;
    let (_, token) = h.token_pre_auth(&wallet, &code, tx.as_deref()).await;
    let token = token["access_token"].as_str().unwrap().to_owned();
    h.advance(h.state.config.token_lifetime + 1);
    let holder = signer_key();
    let (s, body) = h
        .credential(
            &wallet,
            &token,
            &[&holder],
            json!({"credential_configuration_id": h.configuration_id()}),
        )
        .await;
    assert_eq!((s, body["error"].as_str().unwrap()), (401, "invalid_token"));
}

#[tokio::test]
async fn dpop_is_required_checked_and_not_replayable() {
    let h = start(Profile::Eu).await;
    let wallet = Wallet::new();
    let (code, tx) = h.offer("grad-dpop", Approval::Approved).await;
    let body = kakehashi_oid4vci::form::encode(&[
        (
            "grant_type",
            kakehashi_oid4vci::offer::PRE_AUTHORIZED_CODE_GRANT,
        ),
        ("pre-authorized_code", &code),
        ("tx_code", tx.as_deref().unwrap()),
    ]);
    // Missing.
    let (s, v, _) = h.post_form("/token", body.clone(), None).await;
    assert_eq!(
        (s, v["error"].as_str().unwrap()),
        (400, "invalid_dpop_proof")
    );
    // Wrong htu and wrong htm.
    let wrong_htu = wallet.dpop_with(
        &wallet.dpop,
        &h,
        "POST",
        "https://evil.test/token",
        None,
        "j-htu",
    );
    let (s, v, _) = h.post_form("/token", body.clone(), Some(wrong_htu)).await;
    assert_eq!(
        (s, v["error"].as_str().unwrap()),
        (400, "invalid_dpop_proof")
    );
    let wrong_htm = wallet.dpop_with(
        &wallet.dpop,
        &h,
        "GET",
        &format!("{ISSUER}/token"),
        None,
        "j-htm",
    );
    let (s, v, _) = h.post_form("/token", body.clone(), Some(wrong_htm)).await;
    assert_eq!(
        (s, v["error"].as_str().unwrap()),
        (400, "invalid_dpop_proof")
    );
    // The code survived the refused requests; a good proof works, its replay does not.
    let good = wallet.dpop_with(
        &wallet.dpop,
        &h,
        "POST",
        &format!("{ISSUER}/token"),
        None,
        "j-once",
    );
    let (s, token, _) = h
        .post_form("/token", body.clone(), Some(good.clone()))
        .await;
    assert_eq!(s, 200, "{token}");
    let (s, v, _) = h.post_form("/token", body.clone(), Some(good)).await;
    assert_eq!(
        (s, v["error"].as_str().unwrap()),
        (400, "invalid_dpop_proof")
    );
    let token = token["access_token"].as_str().unwrap().to_owned();

    let holder = signer_key();
    let nonce = h.nonce().await;
    let request = json!({
        "credential_configuration_id": h.configuration_id(),
        "proofs": {"jwt": [key_proof(&h, &holder, Some(&nonce))]}
    });
    // Missing proof at the resource.
    let (s, v) = h
        .post_json("/credential", &request, Some(&token), None)
        .await;
    assert_eq!((s, v["error"].as_str().unwrap()), (401, "invalid_token"));
    // Bearer scheme for a DPoP-bound token.
    let resp = h
        .http
        .post(h.url("/credential"))
        .header("Authorization", format!("Bearer {token}"))
        .json(&request)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert!(resp.headers().get("www-authenticate").is_some());
    // Another key than the token's.
    let other = signer_key();
    let wrong_key = wallet.dpop_with(
        &other,
        &h,
        "POST",
        &format!("{ISSUER}/credential"),
        Some(&token),
        "j-key",
    );
    let (s, v) = h
        .post_json("/credential", &request, Some(&token), Some(wrong_key))
        .await;
    assert_eq!(
        (s, v["error"].as_str().unwrap()),
        (401, "invalid_dpop_proof")
    );
    // Right key, then its replay.
    let proof = wallet.dpop_with(
        &wallet.dpop,
        &h,
        "POST",
        &format!("{ISSUER}/credential"),
        Some(&token),
        "j-cred",
    );
    let (s, v) = h
        .post_json("/credential", &request, Some(&token), Some(proof.clone()))
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = h
        .post_json("/credential", &request, Some(&token), Some(proof))
        .await;
    assert_eq!(
        (s, v["error"].as_str().unwrap()),
        (401, "invalid_dpop_proof")
    );
}

#[tokio::test]
async fn key_proof_errors_and_nonces() {
    let h = start(Profile::Eu).await;
    let wallet = Wallet::new();
    let (code, tx) = h.offer("grad-proof", Approval::Approved).await;
    let (_, token) = h.token_pre_auth(&wallet, &code, tx.as_deref()).await;
    let token = token["access_token"].as_str().unwrap().to_owned();
    let holder = signer_key();
    let target = h.configuration_id();
    let send = |proofs: Vec<String>| {
        let body = json!({"credential_configuration_id": target, "proofs": {"jwt": proofs}});
        let dpop = wallet.dpop_for(&h, "POST", "/credential", Some(&token));
        let h = &h;
        let token = token.clone();
        async move {
            h.post_json("/credential", &body, Some(&token), Some(dpop))
                .await
        }
    };
    // Not a JWT / wrong typ (a DPoP proof is not a key proof).
    let (s, v) = send(vec!["not-a-jwt".into()]).await;
    assert_eq!((s, v["error"].as_str().unwrap()), (400, "invalid_proof"));
    let dpop_as_proof = wallet.dpop_for(&h, "POST", "/credential", None);
    let (s, v) = send(vec![dpop_as_proof]).await;
    assert_eq!((s, v["error"].as_str().unwrap()), (400, "invalid_proof"));
    // Missing nonce.
    let (s, v) = send(vec![key_proof(&h, &holder, None)]).await;
    assert_eq!((s, v["error"].as_str().unwrap()), (400, "invalid_proof"));
    // Unknown nonce: invalid_nonce with a fresh c_nonce to retry with.
    let (s, v) = send(vec![key_proof(&h, &holder, Some("made-up-nonce"))]).await;
    assert_eq!((s, v["error"].as_str().unwrap()), (400, "invalid_nonce"));
    let fresh = v["c_nonce"].as_str().unwrap().to_owned();
    // Missing proofs.
    let body = json!({"credential_configuration_id": target});
    let dpop = wallet.dpop_for(&h, "POST", "/credential", Some(&token));
    let (s, v) = h
        .post_json("/credential", &body, Some(&token), Some(dpop))
        .await;
    assert_eq!((s, v["error"].as_str().unwrap()), (400, "invalid_proof"));
    // The fresh nonce works once; replaying it is invalid_nonce.
    let (s, v) = send(vec![key_proof(&h, &holder, Some(&fresh))]).await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = send(vec![key_proof(&h, &holder, Some(&fresh))]).await;
    assert_eq!((s, v["error"].as_str().unwrap()), (400, "invalid_nonce"));
}

#[tokio::test]
async fn batch_of_two_unknown_configuration_notification_and_oversize_body() {
    let h = start(Profile::Eu).await;
    let wallet = Wallet::new();
    let (code, tx) = h.offer("grad-batch", Approval::Approved).await;
    let (_, token) = h.token_pre_auth(&wallet, &code, tx.as_deref()).await;
    let token = token["access_token"].as_str().unwrap().to_owned();
    let (k1, k2) = (signer_key(), signer_key());

    let (s, v) = h
        .credential(
            &wallet,
            &token,
            &[&k1],
            json!({"credential_configuration_id": "jp_diploma_jwt_vc_json"}),
        )
        .await;
    assert_eq!(
        (s, v["error"].as_str().unwrap()),
        (400, "unknown_credential_configuration")
    );
    let (s, v) = h
        .credential(
            &wallet,
            &token,
            &[&k1],
            json!({"credential_identifier": "nope"}),
        )
        .await;
    assert_eq!(
        (s, v["error"].as_str().unwrap()),
        (400, "unknown_credential_identifier")
    );

    let (s, v) = h
        .credential(
            &wallet,
            &token,
            &[&k1, &k2],
            json!({"credential_configuration_id": h.configuration_id()}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let creds = v["credentials"].as_array().unwrap();
    assert_eq!(creds.len(), 2);
    let cnf: Vec<_> = creds
        .iter()
        .map(|c| {
            let sd = kakehashi_sd_jwt::SdJwt::parse(
                c["credential"].as_str().unwrap(),
                kakehashi_sd_jwt::Limits::DEFAULT,
            )
            .unwrap();
            sd.unverified_payload(Default::default()).unwrap()["cnf"]["jwk"]["x"].clone()
        })
        .collect();
    assert_eq!(cnf[0], k1.public_jwk().to_json()["x"]);
    assert_eq!(cnf[1], k2.public_jwk().to_json()["x"]);
    // One issuance per grant: the same token cannot mint more.
    let (s, again) = h
        .credential(
            &wallet,
            &token,
            &[&k1],
            json!({"credential_configuration_id": h.configuration_id()}),
        )
        .await;
    assert_eq!(
        (s, again["error"].as_str().unwrap()),
        (400, "credential_request_denied")
    );

    // Notification: accepted, repeat accepted, unknown id refused.
    let nid = v["notification_id"].as_str().unwrap().to_owned();
    let note = json!({"notification_id": nid, "event": "credential_accepted"});
    let dpop = wallet.dpop_for(&h, "POST", "/notification", Some(&token));
    let (s, _) = h
        .post_json("/notification", &note, Some(&token), Some(dpop))
        .await;
    assert_eq!(s, 204);
    let dpop = wallet.dpop_for(&h, "POST", "/notification", Some(&token));
    let (s, _) = h
        .post_json("/notification", &note, Some(&token), Some(dpop))
        .await;
    assert_eq!(s, 204);
    let dpop = wallet.dpop_for(&h, "POST", "/notification", Some(&token));
    let bad = json!({"notification_id": "unknown", "event": "credential_deleted"});
    let (s, v) = h
        .post_json("/notification", &bad, Some(&token), Some(dpop))
        .await;
    assert_eq!(
        (s, v["error"].as_str().unwrap()),
        (400, "invalid_notification_id")
    );

    // Oversize body.
    let big = "a".repeat(h.state.config.max_body_bytes + 1);
    let resp = h.http.post(h.url("/token")).body(big).send().await.unwrap();
    assert_eq!(resp.status(), 413);
}

#[tokio::test]
async fn deferred_until_the_registrar_approves_then_delivered_once() {
    let h = start(Profile::Jp).await;
    let wallet = Wallet::new();
    let (code, tx) = h.offer("grad-deferred", Approval::Pending).await;
    let (_, token) = h.token_pre_auth(&wallet, &code, tx.as_deref()).await;
    let token = token["access_token"].as_str().unwrap().to_owned();
    let holder = signer_key();
    let (s, v) = h
        .credential(
            &wallet,
            &token,
            &[&holder],
            json!({"credential_configuration_id": h.configuration_id()}),
        )
        .await;
    assert_eq!(s, 202, "{v}");
    let transaction_id = v["transaction_id"].as_str().unwrap().to_owned();
    assert!(v["interval"].as_u64().unwrap() > 0);
    let poll = |id: String| {
        let dpop = wallet.dpop_for(&h, "POST", "/deferred_credential", Some(&token));
        let h = &h;
        let token = token.clone();
        async move {
            h.post_json(
                "/deferred_credential",
                &json!({"transaction_id": id}),
                Some(&token),
                Some(dpop),
            )
            .await
        }
    };
    let (s, v) = poll(transaction_id.clone()).await;
    assert_eq!(s, 202, "{v}");
    assert_eq!(v["transaction_id"], transaction_id.as_str());
    set_approval(&h.state.store, "grad-deferred", Approval::Approved, h.now())
        .await
        .unwrap();
    let (s, v) = poll(transaction_id.clone()).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["credentials"].as_array().unwrap().len(), 1);
    assert!(v["notification_id"].is_string());
    let (s, v) = poll(transaction_id.clone()).await;
    assert_eq!(
        (s, v["error"].as_str().unwrap()),
        (400, "invalid_transaction_id")
    );
    let (s, v) = poll("unknown-transaction".into()).await;
    assert_eq!(
        (s, v["error"].as_str().unwrap()),
        (400, "invalid_transaction_id")
    );
}

#[tokio::test]
async fn metadata_documents() {
    let h = start(Profile::Eu).await;
    let v: serde_json::Value = h
        .http
        .get(h.url("/.well-known/openid-credential-issuer"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["credential_issuer"], ISSUER);
    assert_eq!(
        v["credential_configurations_supported"]["eu_diploma_sd_jwt"]["format"],
        "dc+sd-jwt"
    );
    let resp = h
        .http
        .get(h.url("/.well-known/openid-credential-issuer"))
        .header("Accept", "application/jwt")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["content-type"], "application/jwt");
    let jwt = resp.text().await.unwrap();
    let verified = kakehashi_oid4vci::metadata::verify_signed_metadata(
        &jwt,
        ISSUER,
        h.now(),
        &kakehashi_crypto_aws_lc::provider(),
    );
    assert!(verified.is_ok(), "{verified:?}");
    let v: serde_json::Value = h
        .http
        .get(h.url("/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["token_endpoint"], format!("{ISSUER}/token"));
    assert_eq!(v["require_pushed_authorization_requests"], true);
    let v: serde_json::Value = h
        .http
        .get(h.url("/.well-known/jwt-vc-issuer"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["issuer"], ISSUER);
    assert_eq!(v["jwks"]["keys"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn server_dpop_nonces_when_required() {
    use std::sync::Arc;
    use std::sync::atomic::AtomicI64;
    let clock = Arc::new(AtomicI64::new(START));
    let config = kakehashi_http_issuer::IssuerConfig {
        require_dpop_nonce: true,
        ..Default::default()
    };
    let store = kakehashi_storage_sqlite::SqliteStore::open_in_memory()
        .await
        .unwrap();
    let state = state_for(store, Profile::Eu, &test_kek(), clock.clone(), config).await;
    let h = serve(state, clock).await;
    let wallet = Wallet::new();
    let (code, tx) = h.offer("grad-nonce", Approval::Approved).await;
    let body = kakehashi_oid4vci::form::encode(&[
        (
            "grant_type",
            kakehashi_oid4vci::offer::PRE_AUTHORIZED_CODE_GRANT,
        ),
        ("pre-authorized_code", &code),
        ("tx_code", tx.as_deref().unwrap()),
    ]);
    let dpop = wallet.dpop_for(&h, "POST", "/token", None);
    let (s, v, headers) = h.post_form("/token", body.clone(), Some(dpop)).await;
    assert_eq!((s, v["error"].as_str().unwrap()), (400, "use_dpop_nonce"));
    let nonce = headers["dpop-nonce"].to_str().unwrap().to_owned();
    let proof = kakehashi_oid4vci::dpop::create_dpop_proof(
        &wallet.dpop,
        &kakehashi_oid4vci::dpop::DpopClaims {
            method: "POST",
            url: &format!("{ISSUER}/token"),
            iat: h.now(),
            jti: "with-nonce",
            nonce: Some(&nonce),
            access_token: None,
        },
        &kakehashi_crypto_aws_lc::provider(),
    )
    .unwrap();
    let (s, v, headers) = h.post_form("/token", body, Some(proof)).await;
    assert_eq!(s, 200, "{v}");
    assert!(headers.contains_key("dpop-nonce"));
    // The nonce of the previous window is still accepted, older ones are not.
    h.advance(300);
    let nonce_req = |jti: &'static str, nonce: String| {
        kakehashi_oid4vci::dpop::create_dpop_proof(
            &wallet.dpop,
            &kakehashi_oid4vci::dpop::DpopClaims {
                method: "POST",
                url: &format!("{ISSUER}/token"),
                iat: h.now(),
                jti,
                nonce: Some(&nonce),
                access_token: None,
            },
            &kakehashi_crypto_aws_lc::provider(),
        )
        .unwrap()
    };
    let (s, v, _) = h
        .post_form(
            "/token",
            "grant_type=x".into(),
            Some(nonce_req("a", nonce.clone())),
        )
        .await;
    assert_eq!(
        (s, v["error"].as_str().unwrap()),
        (400, "unsupported_grant_type"),
        "nonce accepted"
    );
    h.advance(300);
    let (s, v, _) = h
        .post_form("/token", "grant_type=x".into(), Some(nonce_req("b", nonce)))
        .await;
    assert_eq!((s, v["error"].as_str().unwrap()), (400, "use_dpop_nonce"));
}

#[tokio::test]
async fn an_issuer_with_a_path_is_nested_and_its_well_known_documents_sit_at_the_root() {
    use std::sync::Arc;
    use std::sync::atomic::AtomicI64;
    let clock = Arc::new(AtomicI64::new(START));
    let store = kakehashi_storage_sqlite::SqliteStore::open_in_memory()
        .await
        .unwrap();
    let mut state = state_for(store, Profile::Jp, &test_kek(), clock, Default::default()).await;
    state.identity.credential_issuer = format!("{ISSUER}/jp");
    assert_eq!(kakehashi_http_issuer::issuer_path(&state), "/jp");
    let app = axum::Router::new()
        .nest("/jp", kakehashi_http_issuer::router(state.clone()))
        .merge(kakehashi_http_issuer::well_known_router(state));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let get = |p: &str| reqwest::get(format!("{base}{p}"));
    let v: serde_json::Value = get("/.well-known/openid-credential-issuer/jp")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["credential_endpoint"], format!("{ISSUER}/jp/credential"));
    let v: serde_json::Value = get("/.well-known/oauth-authorization-server/jp")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["issuer"], format!("{ISSUER}/jp"));
    assert_eq!(
        get("/.well-known/jwt-vc-issuer/jp").await.unwrap().status(),
        200
    );
    let resp = reqwest::Client::new()
        .post(format!("{base}/jp/nonce"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    task.abort();
}
