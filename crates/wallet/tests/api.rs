//! The web-wallet API in-process (`oneshot`), against the in-test issuer and verifier over
//! loopback HTTPS: receive, list, detail, prepare, confirm, history; the holder comes from the
//! `HolderId` extension the sign-in layer sets.

#![allow(clippy::unwrap_used)]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::{Extension, Router};
use common::*;
use kakehashi_oid4vp::request::ResponseMode;
use kakehashi_wallet::HolderId;
use kakehashi_wallet::api::{ApiState, router};
use serde_json::{Value, json};
use tower::ServiceExt as _;

async fn call(app: &Router, method: &str, uri: &str, body: Option<Value>) -> (StatusCode, Value) {
    let mut request = Request::builder().method(method).uri(uri);
    if body.is_some() {
        request = request.header("content-type", "application/json");
    }
    let request = request
        .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn web_wallet_api_story() {
    let pki = pki();
    let (_, context) = wallet(&pki).await;
    let state = ApiState::new(context.clone());
    let anonymous = router(state.clone());
    let app = router(state).layer(Extension(HolderId::new("hana").unwrap()));

    let (status, body) = call(&anonymous, "GET", "/wallet/api/credentials", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "unauthenticated");

    let (issuer, _h) = start_issuer(
        &pki,
        IssuerOptions {
            tx_code: true,
            ..Default::default()
        },
    )
    .await;
    let offer = offer_by_reference(&issuer);
    let (status, body) = call(
        &app,
        "POST",
        "/wallet/api/credentials/receive",
        Some(json!({"offer_uri": offer, "tx_code": "000000"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"], "tx_code");
    let (status, body) = call(
        &app,
        "POST",
        "/wallet/api/credentials/receive",
        Some(json!({"offer_uri": offer, "tx_code": TX_CODE})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = body[0]["id"].as_str().unwrap().to_owned();
    assert!(
        body[0].get("raw").is_none(),
        "the raw credential never leaves"
    );

    let (_, list) = call(&app, "GET", "/wallet/api/credentials", None).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    let encoded = id.replace('/', "%2F");
    let (status, detail) = call(
        &app,
        "GET",
        &format!("/wallet/api/credentials/{encoded}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(detail["claims"]["family_name"], "Yamada");

    let vct = format!("{}{VCT_PATH}", issuer.lock().unwrap().base);
    let (verifier, uri, _v) = start_verifier(
        &pki,
        VerifierOptions {
            mode: ResponseMode::DirectPostJwt,
            query: diploma_query(&vct),
            certificate_dns: "localhost",
        },
    )
    .await;
    let (status, consent) = call(
        &app,
        "POST",
        "/wallet/api/presentations/prepare",
        Some(json!({"request_uri": uri})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{consent}");
    assert_eq!(consent["verifier"]["name"], "Kakehashi Test Verifier");
    let consent_id = consent["id"].as_str().unwrap();
    // Another holder cannot confirm it.
    let taro = router(ApiState::new(wallet(&pki).await.1))
        .layer(Extension(HolderId::new("taro").unwrap()));
    let confirm = format!("/wallet/api/presentations/{consent_id}/confirm");
    assert_eq!(
        call(&taro, "POST", &confirm, None).await.0,
        StatusCode::NOT_FOUND
    );
    // The answer reaches another node over the same store (behind one load balancer): the
    // consent was parked in the store, not in the first node's memory.
    let other_node =
        router(ApiState::new(context)).layer(Extension(HolderId::new("hana").unwrap()));
    let (status, outcome) = call(&other_node, "POST", &confirm, None).await;
    assert_eq!(status, StatusCode::OK, "{outcome}");
    assert_eq!(outcome["presented"], true);
    assert!(matches!(
        verifier.lock().unwrap().clone_view().session,
        Some(kakehashi_oid4vp::verifier::VerifierSession::Verified(_))
    ));
    // A consent is used once.
    assert_eq!(
        call(&app, "POST", &confirm, None).await.0,
        StatusCode::NOT_FOUND
    );
    let (_, history) = call(&app, "GET", "/wallet/api/history", None).await;
    assert_eq!(history.as_array().unwrap().len(), 1);
    assert_eq!(history[0]["verifier"], "x509_san_dns:localhost");

    // An untrusted request is a typed refusal.
    let (_, uri, _w) = start_verifier(
        &pki,
        VerifierOptions {
            mode: ResponseMode::DirectPost,
            query: diploma_query(&vct),
            certificate_dns: "elsewhere.example",
        },
    )
    .await;
    let (status, body) = call(
        &app,
        "POST",
        "/wallet/api/presentations/prepare",
        Some(json!({"request_uri": uri})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"], "untrusted_request");
}

#[tokio::test]
async fn authorization_code_flow_through_the_api() {
    let pki = pki();
    let (_, context) = wallet(&pki).await;
    let app = router(ApiState::new(context)).layer(Extension(HolderId::new("hana").unwrap()));
    let (issuer, _h) = start_issuer(
        &pki,
        IssuerOptions {
            authorization_code: true,
            ..Default::default()
        },
    )
    .await;
    let offer = offer_by_value(&issuer);
    let (status, body) = call(
        &app,
        "POST",
        "/wallet/api/credentials/receive",
        Some(json!({"offer_uri": offer})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"], "authorization_required");
    let (status, started) = call(
        &app,
        "POST",
        "/wallet/api/credentials/authorize",
        Some(json!({"offer_uri": offer})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{started}");
    let url = started["authorization_url"].as_str().unwrap();
    assert!(url.contains("/authorize?client_id="));
    // The browser comes back with ?code=…&state=… (the state the PAR carried).
    let finish = format!(
        "/wallet/api/credentials/authorize/{}",
        started["id"].as_str().unwrap()
    );
    let (status, _) = call(
        &app,
        "POST",
        &finish,
        Some(json!({"code": AUTHORIZATION_CODE, "state": "forged"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // A pending flow is used once, even after a failure.
    let (status, _) = call(
        &app,
        "POST",
        &finish,
        Some(json!({"code": AUTHORIZATION_CODE, "state": "forged"})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Again, this time with the state the AS echoes.
    let (issuer, _h2) = start_issuer(
        &pki,
        IssuerOptions {
            authorization_code: true,
            ..Default::default()
        },
    )
    .await;
    let (_, started) = call(
        &app,
        "POST",
        "/wallet/api/credentials/authorize",
        Some(json!({"offer_uri": offer_by_value(&issuer)})),
    )
    .await;
    let state = issuer.lock().unwrap().par_state.clone().unwrap();
    let (status, got) = call(
        &app,
        "POST",
        &format!(
            "/wallet/api/credentials/authorize/{}",
            started["id"].as_str().unwrap()
        ),
        Some(json!({"code": AUTHORIZATION_CODE, "state": state})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!(got.as_array().unwrap().len(), 1);
}
