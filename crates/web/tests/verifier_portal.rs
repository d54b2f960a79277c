//! The verifier portal and the wallet pages together, in-process, over the real verifier
//! (`kakehashi-http-verifier` on loopback HTTPS, trusted lists of the shared test PKI loaded)
//! and the real wallet library: an admissions office creates a request, the student opens the
//! same-device link in the web wallet, consents, and the office's page shows the result with
//! the trust explanation and the recognition report in its language, and the PDF. Only the
//! browser that created the request sees its result.
//!
//! ```text
//!  desk browser ──▶ /verifier-portal ──new_session──▶ VerifierState (EU / JP policy)
//!  student browser ──▶ /wallet/present?client_id=…&request_uri=… ──https──▶ /verifier/request, /response
//!  desk browser ──▶ /verifier-portal/{desk}/sessions/{id} (+ report.pdf)
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::result_large_err)]

#[path = "../../wallet/tests/common/mod.rs"]
mod common;
mod support;

use std::sync::Arc;
use std::sync::atomic::AtomicI64;

use axum::Router;
use axum::http::StatusCode;
use common::{Pki, TestClock, bind, pki, serve_tls_on};
use kakehashi_academic::recognition::Reader;
use kakehashi_crypto::Signer as _;
use kakehashi_crypto_aws_lc::sealed::{KeyEncryptionKey, SEAL_ALGORITHM};
use kakehashi_fetch::FetchConfig;
use kakehashi_http_verifier::{
    AccessCertificate, DEFAULT_TEMPLATES, VerifierConfig, VerifierState, parse_templates,
};
use kakehashi_storage::{
    EncryptedKey, HolderAccount, HolderAccountStore as _, HolderKey, StoredCredential,
    WalletStore as _,
};
use kakehashi_storage_sqlite::SqliteStore;
use kakehashi_verify::testing::{self, EU_ISSUER, EU_UNIVERSITY, NOW};
use kakehashi_wallet::{WalletConfig, WalletContext, WalletHttp};
use kakehashi_web::registrar::hash_password;
use kakehashi_web::site;
use kakehashi_web::verifier::{VerifierPortal, VerifierPortalConfig};
use kakehashi_web::wallet::{WalletPortal, WalletPortalConfig};
use serde_json::json;
use support::{Browser, field, form_action, link, sign_in};

const PASSWORD: &str = "correct horse battery staple";

/// A verifier over TLS at `https://localhost:<port>`, its clock at the test PKI's `NOW`.
async fn verifier(
    pki: &Pki,
    policy_is_jp: bool,
) -> (VerifierState<SqliteStore>, tokio::task::JoinHandle<()>) {
    let (tcp, base) = bind().await;
    let store = SqliteStore::open_in_memory().await.unwrap();
    let (kek, _) = KeyEncryptionKey::generate("verifier-kek").unwrap();
    let mut config = VerifierConfig::new(&base);
    // The issuer's status list is served on plain loopback http by this test.
    config.fetch.dangerous_allow_http_loopback = true;
    config.eu_university_register = vec![EU_UNIVERSITY.to_owned()];
    let policy = if policy_is_jp {
        config.reader = Reader::Japan;
        testing::jp_policy()
    } else {
        testing::eu_policy()
    };
    let lists = testing::lists(&policy, NOW);
    let state = VerifierState::new(
        store,
        config,
        parse_templates(DEFAULT_TEMPLATES).unwrap(),
        AccessCertificate::generate_self_signed("localhost").unwrap(),
        kek,
        policy,
        &[9u8; 32],
    )
    .unwrap()
    .with_clock(Arc::new(|| NOW));
    state.set_trusted_lists(lists, NOW);
    let (_, task) = serve_tls_on(pki, tcp, kakehashi_http_verifier::router(state.clone())).await;
    (state, task)
}

/// A wallet whose clock is `NOW`, holding the EU test diploma (issued and sealed by the test
/// PKI's Belgian university, bound to a key sealed at rest like the wallet's own).
async fn wallet_with_eu_diploma(
    pki: &Pki,
    status_uri: &str,
) -> (SqliteStore, WalletContext<SqliteStore>) {
    let store = SqliteStore::open_in_memory().await.unwrap();
    let (kek, kek_text) = KeyEncryptionKey::generate("wallet-kek").unwrap();
    let sealer = KeyEncryptionKey::from_base64url("wallet-kek", &kek_text).unwrap();
    let holder_key = testing::holder();
    let key_id = "hana/key-1";
    store
        .insert_holder_key(&HolderKey {
            id: key_id.into(),
            algorithm: "ES256".into(),
            public_jwk: holder_key.public_jwk().to_json().to_string(),
            private_key: EncryptedKey {
                kek_id: "wallet-kek".into(),
                algorithm: SEAL_ALGORITHM.into(),
                ciphertext: sealer
                    .seal(&holder_key.to_pkcs8().unwrap(), &format!("wallet/{key_id}"))
                    .unwrap(),
            },
            created_at: NOW,
        })
        .await
        .unwrap();
    let seal = testing::eu_seal();
    let sd = testing::issue_eu(
        &seal,
        &testing::eu_diploma(),
        holder_key.public_jwk(),
        status_uri,
        3,
        NOW.saturating_sub(3600),
    );
    store
        .insert_stored_credential(&StoredCredential {
            id: "hana/diploma-1".into(),
            format: "dc+sd-jwt".into(),
            raw: sd.serialize(),
            issuer: EU_ISSUER.into(),
            display: json!({
                "name": {"en": "Diploma", "ja": "学位記"},
                "issuer_name": {"en": "Kakehashi Test University Leuven"},
                "claims": {
                    "[\"family_name\"]": {"en": "Family name", "ja": "姓"},
                    "[\"qualification\",\"title\"]": {"en": "Title", "ja": "学位名"}
                }
            }),
            holder_key_id: Some(key_id.into()),
            received_at: NOW,
        })
        .await
        .unwrap();
    store
        .insert_holder_account(&HolderAccount {
            username: "eva@student.example".into(),
            holder_id: "hana".into(),
            password_hash: hash_password(PASSWORD).unwrap(),
            display_name: "Eva Janssens".into(),
            disabled: false,
            created_at: NOW,
        })
        .await
        .unwrap();
    let http =
        WalletHttp::with_tls_roots_only(FetchConfig::default(), std::slice::from_ref(&pki.ca_der))
            .unwrap();
    let context = WalletContext::new(
        store.clone(),
        kek,
        http,
        Arc::new(TestClock(AtomicI64::new(NOW.seconds()))),
        WalletConfig::default(),
    );
    (store, context)
}

struct Node {
    app: Router,
    _tasks: Vec<tokio::task::JoinHandle<()>>,
}

/// The EU issuer's Token Status List (nothing revoked) on plain loopback http.
async fn status_server() -> (String, tokio::task::JoinHandle<()>) {
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let uri = format!("http://{}/status/1", tcp.local_addr().unwrap());
    let token = testing::status_token(&testing::eu_seal(), &uri, &[13], NOW.saturating_sub(60));
    let app = Router::new().route(
        "/status/1",
        axum::routing::get(move || {
            let token = token.clone();
            async move { token }
        }),
    );
    let task = tokio::spawn(async move { axum::serve(tcp, app).await.unwrap() });
    (uri, task)
}

async fn node(pki: &Pki) -> Node {
    let (eu, t1) = verifier(pki, false).await;
    let (jp, t2) = verifier(pki, true).await;
    let (status_uri, t3) = status_server().await;
    let (store, context) = wallet_with_eu_diploma(pki, &status_uri).await;
    let portal = VerifierPortal::new(
        vec![
            (
                "eu".into(),
                "EU admissions office".into(),
                "EU 入試課".into(),
                eu,
            ),
            (
                "jp".into(),
                "Japanese admissions office".into(),
                "日本の入試課".into(),
                jp,
            ),
        ],
        VerifierPortalConfig::new(true),
    );
    let wallet = WalletPortal::new(store, context, WalletPortalConfig::new(true));
    Node {
        app: site(portal.router().merge(wallet.router())),
        _tasks: vec![t1, t2, t3],
    }
}

/// Creates a request at the desk and returns the session page's path.
async fn create(desk: &mut Browser, app: &Router, choice: &str) -> String {
    let index = desk.get(app, "/verifier-portal").await;
    assert_eq!(index.status, StatusCode::OK);
    let csrf = field(&index.body, "csrf");
    let created = desk
        .post(
            app,
            "/verifier-portal/sessions",
            &[("csrf", &csrf), ("choice", choice)],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    created.location.unwrap()
}

/// The student opens the same-device link, checks the consent and answers.
async fn answer(student: &mut Browser, app: &Router, wallet_link: &str, decision: &str) -> String {
    let consent = student.get(app, wallet_link).await;
    assert_eq!(consent.status, StatusCode::OK, "{}", consent.body);
    let csrf = field(&consent.body, "csrf");
    let action = form_action(&consent.body, "/wallet/consents/");
    let outcome = student
        .post(app, &action, &[("csrf", &csrf), ("decision", decision)])
        .await;
    assert_eq!(outcome.status, StatusCode::OK, "{}", outcome.body);
    consent.body
}

#[tokio::test]
async fn eu_diploma_to_the_japanese_office_in_japanese() {
    let pki = pki();
    let node = node(&pki).await;
    let app = &node.app;
    let mut desk = Browser::default();
    let mut student = Browser::default();
    sign_in(
        &mut student,
        app,
        "/wallet",
        "eva@student.example",
        PASSWORD,
    )
    .await;

    let index = desk.get(app, "/verifier-portal?lang=ja").await;
    assert!(index.body.contains("日本の入試課"));
    assert!(
        index.body.contains("修士課程入学審査"),
        "template titles in Japanese"
    );
    // The create form is CSRF-protected by the desk cookie.
    let refused = Browser::default()
        .post(
            app,
            "/verifier-portal/sessions",
            &[("csrf", "x"), ("choice", "jp/masters-admission")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    let session = create(&mut desk, app, "jp/masters-admission").await;
    assert!(session.starts_with("/verifier-portal/jp/sessions/vps_"));
    assert!(!session.contains("token"), "no result token in the address");
    let waiting = desk.get(app, &session).await;
    assert_eq!(waiting.status, StatusCode::OK);
    assert!(
        waiting
            .body
            .contains("<img class=\"qr\" src=\"data:image/svg+xml;base64,")
    );
    assert!(
        waiting
            .body
            .contains("<meta http-equiv=\"refresh\" content=\"3\">")
    );
    assert!(waiting.body.contains("学生の回答を待っています"));
    // Someone with the address but not the cookie sees nothing.
    assert_eq!(
        Browser::default().get(app, &session).await.status,
        StatusCode::NOT_FOUND
    );

    let wallet_link = link(&waiting.body, "/wallet/present?");
    assert!(wallet_link.contains("client_id=x509_san_dns%3Alocalhost"));
    let consent = answer(
        &mut student,
        app,
        &format!("{wallet_link}&lang=ja"),
        "accept",
    )
    .await;
    // Exactly what the template asks for, named by the verifier's certificate.
    assert!(consent.contains("Kakehashi pilot verifier"), "{consent}");
    assert!(
        consent.contains("<dt>姓</dt><dd>Janssens</dd>"),
        "{consent}"
    );
    assert!(!consent.contains("2000-01-15"), "no birth date");
    assert!(!consent.contains("BE-2026-0001"), "no diploma number");

    let result = desk.get(app, &session).await;
    assert_eq!(result.status, StatusCode::OK);
    assert!(result.body.contains("有効:学位記は真正"), "{}", result.body);
    assert!(result.body.contains("発行者を信頼する根拠"));
    assert!(result.body.contains("トラストリスト"));
    assert!(result.body.contains("承認レポート"));
    assert!(
        result.body.contains("修士"),
        "a Japanese reader's level: {}",
        result.body
    );
    assert!(
        !result.body.contains("meta http-equiv=\"refresh\""),
        "a result does not reload"
    );
    let pdf_href = link(&result.body, &format!("{session}/report.pdf"));
    assert!(pdf_href.ends_with("report.pdf?lang=ja"));
    let pdf = desk.get(app, &pdf_href).await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert_eq!(pdf.content_type, "application/pdf");
    assert!(pdf.bytes.starts_with(b"%PDF"));
    assert_eq!(
        Browser::default().get(app, &pdf_href).await.status,
        StatusCode::NOT_FOUND
    );

    // The wallet recorded it.
    let history = student.get(app, "/wallet/history").await;
    assert!(history.body.contains("Kakehashi pilot verifier"));
}

#[tokio::test]
async fn eu_office_in_english_and_a_declined_request() {
    let pki = pki();
    let node = node(&pki).await;
    let app = &node.app;
    let mut desk = Browser::default();
    let mut student = Browser::default();
    sign_in(
        &mut student,
        app,
        "/wallet",
        "eva@student.example",
        PASSWORD,
    )
    .await;

    let session = create(&mut desk, app, "eu/employer-check").await;
    let waiting = desk.get(app, &session).await;
    let wallet_link = link(&waiting.body, "/wallet/present?");
    let consent = answer(&mut student, app, &wallet_link, "accept").await;
    assert!(
        consent.contains("<dt>Title</dt><dd>Master of Science in Engineering</dd>"),
        "{consent}"
    );
    assert!(
        !consent.contains("<dd>Janssens</dd>"),
        "the employer check does not ask for the name: {consent}"
    );
    let result = desk.get(app, &session).await;
    assert!(
        result.body.contains("VALID: the diploma is authentic"),
        "{}",
        result.body
    );
    assert!(result.body.contains("Why the issuer is trusted"));
    assert!(
        result.body.contains("qualified-equivalent electronic seal")
            || result.body.contains("electronic seal")
    );
    assert!(result.body.contains("Recognition report"));
    assert!(result.body.contains("EQF"), "{}", result.body);

    // A second request, declined by the student.
    let session = create(&mut desk, app, "eu/masters-admission").await;
    let waiting = desk.get(app, &session).await;
    answer(
        &mut student,
        app,
        &link(&waiting.body, "/wallet/present?"),
        "decline",
    )
    .await;
    let result = desk.get(app, &session).await;
    assert!(
        result.body.contains("The student declined the request."),
        "{}",
        result.body
    );
    assert!(!result.body.contains("report.pdf"));
    // Each session has its own cookie: one desk's cookie does not open another's session.
    let other = Browser::default();
    let mut other = other;
    let own = create(&mut other, app, "eu/masters-admission").await;
    assert_eq!(other.get(app, &session).await.status, StatusCode::NOT_FOUND);
    assert_eq!(other.get(app, &own).await.status, StatusCode::OK);
}
