//! The verifier over real loopback HTTP (port 0), with this test playing the wallet through
//! `kakehashi-oid4vp`'s wallet functions and a small loopback server playing the issuer's
//! status lists and the relying party's webhook.
//!
//! ```text
//!  test (portal)  ── POST /verifier/sessions ─────────────▶ verifier
//!  test (wallet)  ── GET|POST request_uri ────────────────▶ verifier   (signed request object)
//!                 ── POST response_uri (direct_post[.jwt]) ▶ verifier ──▶ status server
//!  test (portal)  ── GET /verifier/sessions/{id}, report.pdf ▶ verifier ──▶ webhook
//! ```
//!
//! The request and response URIs are `https://verifier.test/…` (OpenID4VP requires https);
//! the test wallet sends them to the loopback address instead, as a TLS proxy would.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a test failure

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::routing::{get, post};
use kakehashi_core::UnixTime;
use kakehashi_crypto::Signer as _;
use kakehashi_crypto_aws_lc::jwe::{self, ContentEncryption, EncryptOptions};
use kakehashi_crypto_aws_lc::sealed::KeyEncryptionKey;
use kakehashi_http_verifier::{
    AccessCertificate, VerifierConfig, VerifierState, parse_templates, router, webhook,
};
use kakehashi_oid4vp::request::{
    RequestUri, RequestUriPost, STATIC_AUDIENCE, WalletRequestContext, verify_request_object,
};
use kakehashi_oid4vp::response::{AuthorizationResponse, encrypted_form};
use kakehashi_oid4vp::wallet::{PendingPresentation, WalletResponse};
use kakehashi_storage::VerifierStore as _;
use kakehashi_storage_sqlite::SqliteStore;
use kakehashi_verify::testing::{self, EU_UNIVERSITY, NOW};
use serde_json::{Map, Value, json};

const PUBLIC: &str = "https://verifier.test";
const WEBHOOK_SECRET: &[u8] = b"webhook-shared-secret-for-tests";

type Hooks = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

struct Harness {
    base: String,
    http: reqwest::Client,
    status_base: String,
    hooks: Hooks,
    status_token: Arc<Mutex<String>>,
    w3c_list: Arc<Mutex<String>>,
    eu_seal: kakehashi_crypto_aws_lc::SoftwareSigner,
    jp_seal: kakehashi_crypto_aws_lc::SoftwareSigner,
    _clock: Arc<AtomicI64>,
    /// The verifier's store, to read what a result stores.
    store: SqliteStore,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Harness {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

async fn serve(app: Router) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (format!("http://{addr}"), task)
}

async fn harness() -> Harness {
    harness_with(|_| {}).await
}

async fn harness_with(adjust: impl FnOnce(&mut VerifierConfig)) -> Harness {
    // The issuer side: status lists and the webhook receiver.
    let eu_seal = testing::eu_seal();
    let jp_seal = testing::jp_seal();
    let status_token = Arc::new(Mutex::new(String::new()));
    let w3c_list = Arc::new(Mutex::new(String::new()));
    let hooks: Hooks = Arc::new(Mutex::new(Vec::new()));
    let (t, w, h) = (status_token.clone(), w3c_list.clone(), hooks.clone());
    let side = Router::new()
        .route(
            "/status/1",
            get(move || {
                let t = t.clone();
                async move { t.lock().unwrap().clone() }
            }),
        )
        .route(
            "/w3c/1",
            get(move || {
                let w = w.clone();
                async move { w.lock().unwrap().clone() }
            }),
        )
        .route(
            "/hook",
            post(
                move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                    let h = h.clone();
                    async move {
                        let sig = headers
                            .get(webhook::SIGNATURE_HEADER)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_owned();
                        h.lock().unwrap().push((sig, body.to_vec()));
                        "ok"
                    }
                },
            ),
        );
    let (status_base, side_task) = serve(side).await;
    *status_token.lock().unwrap() = testing::status_token(
        &eu_seal,
        &format!("{status_base}/status/1"),
        &[13],
        NOW.saturating_add(-60),
    );
    *w3c_list.lock().unwrap() =
        testing::w3c_status_list(&jp_seal, &format!("{status_base}/w3c/1"), &[], NOW);

    // The verifier.
    let store = SqliteStore::open_in_memory().await.unwrap();
    let (kek, _) = KeyEncryptionKey::generate("kek-test").unwrap();
    let mut config = VerifierConfig::new(PUBLIC);
    config.eu_university_register = vec![EU_UNIVERSITY.to_owned()];
    config.fetch.dangerous_allow_http_loopback = true;
    config.webhook_url = Some(format!("{status_base}/hook"));
    config.webhook_secret = Some(WEBHOOK_SECRET.to_vec());
    config.webhook_backoff_ms = 10;
    adjust(&mut config);
    let policy = testing::eu_policy();
    let lists = testing::lists(&policy, NOW);
    let clock = Arc::new(AtomicI64::new(NOW.0));
    let c = clock.clone();
    let state = VerifierState::new(
        store.clone(),
        config,
        parse_templates(kakehashi_http_verifier::DEFAULT_TEMPLATES).unwrap(),
        AccessCertificate::generate_self_signed("verifier.test").unwrap(),
        kek,
        policy,
        &[7u8; 32],
    )
    .unwrap()
    .with_clock(Arc::new(move || UnixTime(c.load(Ordering::SeqCst))));
    state.set_trusted_lists(lists, NOW);
    let (base, task) = serve(router(state)).await;
    Harness {
        base,
        http: reqwest::Client::new(),
        status_base,
        hooks,
        status_token,
        w3c_list,
        eu_seal,
        jp_seal,
        _clock: clock,
        store,
        tasks: vec![side_task, task],
    }
}

impl Harness {
    fn local(&self, url: &str) -> String {
        url.replacen(PUBLIC, &self.base, 1)
    }

    async fn create(&self, body: Value) -> Value {
        let r = self
            .http
            .post(format!("{}/verifier/sessions", self.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        r.json().await.unwrap()
    }

    /// Fetches and verifies the request object as a wallet does.
    async fn fetch_request(&self, session: &Value, post: bool) -> PendingPresentation {
        let uri = RequestUri::parse(session["request_uri"].as_str().unwrap()).unwrap();
        let wallet_nonce = "wallet-nonce-0123456789";
        let response = if post {
            self.http
                .post(self.local(&uri.request_uri))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(
                    RequestUriPost {
                        wallet_metadata: Some(json!({"vp_formats_supported": {"dc+sd-jwt": {}}})),
                        wallet_nonce: Some(wallet_nonce.into()),
                    }
                    .to_form(),
                )
                .send()
                .await
                .unwrap()
        } else {
            self.http
                .get(self.local(&uri.request_uri))
                .send()
                .await
                .unwrap()
        };
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.headers()["content-type"],
            "application/oauth-authz-req+jwt"
        );
        let jwt = response.text().await.unwrap();
        let verified = verify_request_object(
            &jwt,
            &WalletRequestContext {
                outer_client_id: Some(&uri.client_id),
                wallet_nonce: post.then_some(wallet_nonce),
                accepted_audiences: &[STATIC_AUDIENCE],
                now: NOW,
            },
            &kakehashi_crypto_aws_lc::provider(),
        )
        .unwrap();
        assert_eq!(
            verified.client_id().to_string(),
            session["client_id"].as_str().unwrap()
        );
        PendingPresentation::new(verified)
    }

    fn eu_vp(&self, pending: &PendingPresentation, index: u64) -> String {
        let holder = testing::holder();
        let sd = testing::issue_eu(
            &self.eu_seal,
            &testing::eu_diploma(),
            holder.public_jwk(),
            &format!("{}/status/1", self.status_base),
            index,
            NOW.saturating_add(-86_400),
        );
        let (nonce, client_id) = pending.binding();
        testing::present_eu(
            &sd,
            &holder,
            &["/family_name", "/given_name"],
            client_id,
            nonce,
            NOW,
        )
    }

    fn jp_vp(&self, pending: &PendingPresentation) -> String {
        let holder = testing::holder();
        let vc = testing::issue_jp(
            &self.jp_seal,
            &testing::jp_diploma(),
            holder.public_jwk(),
            &format!("{}/w3c/1", self.status_base),
            5,
            NOW.saturating_add(-86_400),
        );
        let (nonce, client_id) = pending.binding();
        testing::present_jp(&vc, &holder, client_id, nonce, NOW)
    }

    /// The form body the wallet posts (encrypting with `enc` when asked to).
    fn body(
        &self,
        pending: PendingPresentation,
        vp_token: Map<String, Value>,
        enc: Option<ContentEncryption>,
    ) -> (String, String) {
        match pending.respond(vp_token).unwrap() {
            WalletResponse::Form { response_uri, body } => (response_uri, body),
            WalletResponse::Encrypt {
                response_uri,
                plaintext,
                recipient_jwk,
                enc: offered,
            } => {
                let enc = enc.unwrap_or_else(|| ContentEncryption::from_jose(offered).unwrap());
                let jwe = jwe::encrypt(&plaintext, &recipient_jwk, enc, &EncryptOptions::default())
                    .unwrap();
                (response_uri, encrypted_form(&jwe))
            }
        }
    }

    async fn post_response(&self, response_uri: &str, body: &str) -> reqwest::Response {
        self.http
            .post(self.local(response_uri))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_owned())
            .send()
            .await
            .unwrap()
    }

    async fn result(&self, session: &Value) -> Value {
        let r = self
            .http
            .get(self.local(session["status_url"].as_str().unwrap()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }
}

fn token(id: &str, vp: String) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert(id.into(), json!([vp]));
    m
}

async fn eu_flow(enc: Option<ContentEncryption>, mode: &str, post: bool) {
    let h = harness().await;
    let session = h
        .create(json!({"template": "masters-admission", "response_mode": mode}))
        .await;
    assert!(session["qr_svg"].as_str().unwrap().contains("<svg"));
    assert!(
        session["request_uri"]
            .as_str()
            .unwrap()
            .starts_with("openid4vp://?client_id=x509_san_dns%3Averifier.test")
    );
    let pending = h.fetch_request(&session, post).await;
    assert_eq!(pending.request().request().response_mode.as_str(), mode);
    let vp = h.eu_vp(&pending, 7);
    let (response_uri, body) = h.body(pending, token("eu_diploma", vp), enc);
    let r = h.post_response(&response_uri, &body).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());

    let result = h.result(&session).await;
    assert_eq!(result["status"], "verified", "{result:#}");
    let credential = &result["result"]["credentials"][0];
    assert_eq!(credential["format"], "dc+sd-jwt");
    assert_eq!(
        credential["disclosed_claims"]["family_name"]["en"],
        "Janssens"
    );
    assert!(credential["disclosed_claims"].get("birth_date").is_none());
    assert!(
        !result.to_string().contains("2000-01-15"),
        "birth date leaked"
    );
    assert!(credential["report"]["sections"]["ja"].as_array().is_some());
    assert!(
        credential["report"].get("pdf").is_none(),
        "PDFs stay out of the JSON"
    );

    // Replay of the same response: refused, result unchanged.
    let again = h.post_response(&response_uri, &body).await;
    assert_eq!(again.status(), 400);
    let err: Value = again.json().await.unwrap();
    assert_eq!(err["error"], "invalid_request");
    assert_eq!(h.result(&session).await["status"], "verified");

    // The webhook got the result, signed.
    let mut delivered = Vec::new();
    for _ in 0..100 {
        delivered = h.hooks.lock().unwrap().clone();
        if !delivered.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let (sig, hook_body) = delivered.first().expect("webhook delivered");
    assert_eq!(*sig, webhook::signature(WEBHOOK_SECRET, hook_body));
    let hook: Value = serde_json::from_slice(hook_body).unwrap();
    assert_eq!(hook["status"], "verified");
    assert_eq!(hook["session_id"], session["session_id"]);
}

#[tokio::test]
async fn cross_device_direct_post_jwt_a128gcm_with_request_uri_post() {
    eu_flow(Some(ContentEncryption::A128Gcm), "direct_post.jwt", true).await;
}

#[tokio::test]
async fn cross_device_direct_post_jwt_a256gcm() {
    eu_flow(Some(ContentEncryption::A256Gcm), "direct_post.jwt", false).await;
}

#[tokio::test]
async fn cross_device_direct_post() {
    eu_flow(None, "direct_post", false).await;
}

#[tokio::test]
async fn jp_credential_and_pdf_reports_in_both_languages() {
    let h = harness().await;
    let session = h.create(json!({"template": "masters-admission"})).await;
    let pending = h.fetch_request(&session, false).await;
    let vp = h.jp_vp(&pending);
    let (response_uri, body) = h.body(pending, token("jp_diploma", vp), None);
    let r = h.post_response(&response_uri, &body).await;
    assert_eq!(r.status(), 200);
    let result = h.result(&session).await;
    assert_eq!(result["status"], "verified", "{result:#}");
    let claims = &result["result"]["credentials"][0]["disclosed_claims"];
    assert!(
        claims["credentialSubject"]["diploma"]["holder"]
            .get("birth_date")
            .is_none(),
        "the template discards the birth date: {claims:#}"
    );
    let id = session["session_id"].as_str().unwrap();
    let token = session["result_token"].as_str().unwrap();
    for lang in ["en", "ja"] {
        let r = h
            .http
            .get(format!(
                "{}/verifier/sessions/{id}/report.pdf?token={token}&lang={lang}",
                h.base
            ))
            .send()
            .await
            .unwrap();
        if !std::path::Path::new(kakehashi_http_verifier::DEFAULT_FONT_PATH).exists() {
            eprintln!("no IPAex font: PDF not checked");
            return;
        }
        assert_eq!(r.status(), 200, "{lang}");
        assert_eq!(r.headers()["content-type"], "application/pdf");
        let bytes = r.bytes().await.unwrap();
        assert!(bytes.starts_with(b"%PDF-"), "{lang}");
        // Rendered on download from the stored report: its headings and lines are real text.
        let Some(text) = pdf_text(&bytes) else {
            continue;
        };
        let title = if lang == "ja" {
            "学位承認レポート"
        } else {
            "Kakehashi recognition report"
        };
        assert!(text.contains(title), "{lang}: {text}");
        let sections = result["result"]["credentials"][0]["report"]["sections"][lang]
            .as_array()
            .unwrap();
        assert!(!sections.is_empty());
        for section in sections {
            let heading = section["heading"].as_str().unwrap();
            assert!(text.contains(heading), "{lang}: {heading:?} not in\n{text}");
        }
        let report = &result["result"]["credentials"][0]["report"]["report"];
        let verified = if lang == "ja" {
            "検証済み"
        } else {
            "VERIFIED"
        };
        for needle in [
            verified,
            report["qualification_title"]["ja"].as_str().unwrap(),
            report["awarding_body"]["ja"].as_str().unwrap(),
        ] {
            assert!(text.contains(needle), "{lang}: {needle:?} not in\n{text}");
        }
    }
    // Without the token: refused.
    let r = h
        .http
        .get(format!(
            "{}/verifier/sessions/{id}/report.pdf?lang=en",
            h.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn revoked_credential_fails_with_its_report() {
    let h = harness().await;
    let session = h.create(json!({"template": "masters-admission"})).await;
    let pending = h.fetch_request(&session, true).await;
    let vp = h.eu_vp(&pending, 13);
    let (response_uri, body) = h.body(pending, token("eu_diploma", vp), None);
    assert_eq!(h.post_response(&response_uri, &body).await.status(), 200);
    let result = h.result(&session).await;
    assert_eq!(result["status"], "failed");
    let c = &result["result"]["credentials"][0];
    assert_eq!(c["check"], "revoked");
    assert_eq!(c["report"]["report"]["credential"]["status"], "revoked");
    assert_eq!(c["report"]["report"]["verified"], false);
    let _ = (&h.status_token, &h.w3c_list);
}

#[tokio::test]
async fn wrong_state_request_refetch_and_oversize() {
    let h = harness().await;
    let session = h.create(json!({"template": "employer-check"})).await;
    let pending = h.fetch_request(&session, true).await;

    // The request object is handed out once.
    let uri = RequestUri::parse(session["request_uri"].as_str().unwrap()).unwrap();
    let r = h.http.get(h.local(&uri.request_uri)).send().await.unwrap();
    assert_eq!(r.status(), 400);

    let vp = h.eu_vp(&pending, 7);
    let response_uri = pending.request().request().response_uri.clone();
    // A response for another state: refused, the session still waits.
    let wrong = AuthorizationResponse::new(
        token("eu_diploma", vp.clone()),
        Some("not-the-state-0123456789".into()),
    )
    .unwrap();
    let (_, key_and_enc) = {
        let req = pending.request().request();
        (
            req.response_mode,
            req.encryption_key().map(|(k, e)| (k.clone(), e)).unwrap(),
        )
    };
    let jwe = jwe::encrypt(
        &wrong.to_json_bytes(),
        &key_and_enc.0,
        ContentEncryption::from_jose(key_and_enc.1).unwrap(),
        &EncryptOptions::default(),
    )
    .unwrap();
    let r = h.post_response(&response_uri, &encrypted_form(&jwe)).await;
    assert_eq!(r.status(), 400);
    let err: Value = r.json().await.unwrap();
    assert_eq!(err["error"], "invalid_request");
    assert_eq!(h.result(&session).await["status"], "request_fetched");

    // Oversize body: 413 before anything is parsed.
    let big = format!("response={}", "a".repeat(300 * 1024));
    let r = h.post_response(&response_uri, &big).await;
    assert_eq!(r.status(), 413);

    // A body that is not a form.
    let r = h
        .http
        .post(h.local(&response_uri))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    // The right response still goes through, and the employer sees no name.
    let (response_uri, body) = h.body(pending, token("eu_diploma", vp), None);
    assert_eq!(h.post_response(&response_uri, &body).await.status(), 200);
    let result = h.result(&session).await;
    assert_eq!(result["status"], "verified", "{result:#}");
}

#[tokio::test]
async fn unknown_template_and_session() {
    let h = harness().await;
    let r = h
        .http
        .post(format!("{}/verifier/sessions", h.base))
        .json(&json!({"template": "nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = h
        .http
        .get(format!("{}/verifier/sessions/vps_unknown?token=x", h.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = h
        .http
        .get(format!("{}/verifier/templates", h.base))
        .send()
        .await
        .unwrap();
    let t: Value = r.json().await.unwrap();
    assert_eq!(t["templates"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn same_device_redirect_with_response_code() {
    let h = harness().await;
    let session = h
        .create(json!({"template": "masters-admission", "flow": "same_device"}))
        .await;
    let pending = h.fetch_request(&session, false).await;
    let vp = h.eu_vp(&pending, 7);
    let (response_uri, body) = h.body(pending, token("eu_diploma", vp), None);
    let r = h.post_response(&response_uri, &body).await;
    assert_eq!(r.status(), 200);
    let answer: Value = r.json().await.unwrap();
    let redirect = answer["redirect_uri"].as_str().unwrap();
    let id = session["session_id"].as_str().unwrap();
    assert!(redirect.starts_with(&format!(
        "{PUBLIC}/verifier/sessions/{id}/done#response_code="
    )));
    let code = redirect.split("response_code=").nth(1).unwrap();
    let r = h
        .http
        .get(format!(
            "{}/verifier/sessions/{id}?response_code={code}",
            h.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["status"], "verified");
    let r = h
        .http
        .get(format!(
            "{}/verifier/sessions/{id}?response_code=wrong",
            h.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn x509_hash_client_id() {
    let h =
        harness_with(|c| c.client_id_scheme = kakehashi_http_verifier::ClientIdScheme::X509Hash)
            .await;
    let session = h.create(json!({"template": "employer-check"})).await;
    assert!(
        session["client_id"]
            .as_str()
            .unwrap()
            .starts_with("x509_hash:")
    );
    let pending = h.fetch_request(&session, true).await;
    let vp = h.jp_vp(&pending);
    let (response_uri, body) = h.body(pending, token("jp_diploma", vp), None);
    assert_eq!(h.post_response(&response_uri, &body).await.status(), 200);
    let result = h.result(&session).await;
    assert_eq!(result["status"], "verified", "{result:#}");
    // The employer template keeps neither the name nor the birth date of a JP credential.
    let claims = &result["result"]["credentials"][0]["disclosed_claims"];
    assert!(
        claims["credentialSubject"]["diploma"]
            .get("holder")
            .is_none(),
        "{claims:#}"
    );
    assert!(!result.to_string().contains("2000-04-01"));
}

#[test]
fn access_certificate_from_pem() {
    use base64::Engine as _;
    let generated = AccessCertificate::generate_self_signed("verifier.example").unwrap();
    let _ = generated;
    let seal = testing::eu_seal();
    let pem = |label: &str, der: &[u8]| {
        format!(
            "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
            base64::engine::general_purpose::STANDARD.encode(der)
        )
    };
    let key = pem("PRIVATE KEY", &seal.to_pkcs8().unwrap());
    let chain: String = seal
        .certificate_chain()
        .iter()
        .map(|c| pem("CERTIFICATE", c))
        .collect();
    let access = AccessCertificate::from_pem(&key, &chain).unwrap();
    assert_eq!(access.signer.certificate_chain().len(), 2);
    assert!(AccessCertificate::from_pem(&key, "").is_err());
}

#[tokio::test]
async fn trusted_lists_load_through_the_fetcher_and_stale_lists_are_refused() {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../trust/testdata/fixtures/lists"
    );
    let mut config = VerifierConfig::new(PUBLIC);
    config.fetch.allow_files = true;
    config.trusted_list_locations = ["eu-lotl", "BE", "JP"]
        .iter()
        .map(|n| format!("{dir}/{n}.xml"))
        .collect();
    let (kek, _) = KeyEncryptionKey::generate("kek-test").unwrap();
    let clock = Arc::new(AtomicI64::new(NOW.0));
    let c = clock.clone();
    let state = VerifierState::new(
        SqliteStore::open_in_memory().await.unwrap(),
        config,
        parse_templates(kakehashi_http_verifier::DEFAULT_TEMPLATES).unwrap(),
        AccessCertificate::generate_self_signed("verifier.test").unwrap(),
        kek,
        testing::eu_policy(),
        &[1u8; 32],
    )
    .unwrap()
    .with_clock(Arc::new(move || UnixTime(c.load(Ordering::SeqCst))));
    assert_eq!(
        kakehashi_http_verifier::refresh_trusted_lists(&state)
            .await
            .unwrap(),
        3
    );
    assert_eq!(state.trust_snapshot().lists.len(), 3);
    // 2027-06-01: the lists are past NextUpdate; a refresh finds nothing newer and fails,
    // the old lists stay (and the pipeline refuses them as stale).
    clock.store(1_811_808_000, Ordering::SeqCst);
    assert!(
        kakehashi_http_verifier::refresh_trusted_lists(&state)
            .await
            .is_err()
    );
    assert_eq!(state.trust_snapshot().lists.len(), 3);
}

/// The text of a PDF through `pdftotext` (poppler-utils), or `None` when it is not installed.
fn pdf_text(pdf: &[u8]) -> Option<String> {
    static N: AtomicI64 = AtomicI64::new(0);
    let path = std::env::temp_dir().join(format!(
        "kakehashi-verifier-pdf-{}-{}.pdf",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output();
    let _ = std::fs::remove_file(&path);
    match out {
        Ok(out) if out.status.success() => Some(String::from_utf8(out.stdout).unwrap()),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must install poppler-utils"
            );
            eprintln!("no pdftotext: PDF text not checked");
            None
        }
    }
}

#[tokio::test]
async fn stored_result_has_no_pdf_and_the_result_get_is_the_stored_result() {
    let h = harness().await;
    let session = h.create(json!({"template": "masters-admission"})).await;
    let pending = h.fetch_request(&session, true).await;
    let vp = h.eu_vp(&pending, 7);
    let (response_uri, body) = h.body(pending, token("eu_diploma", vp), None);
    let r = h.post_response(&response_uri, &body).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());

    let id = session["session_id"].as_str().unwrap();
    let record = h.store.verifier_session(id).await.unwrap();
    let stored = record.result.expect("a stored result");
    let credential = &stored["credentials"][0];
    // The report is stored (data, sections and text in both languages), its PDF is not.
    let mut keys: Vec<&str> = credential["report"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["report", "sections", "text"]);
    assert_eq!(credential["report"]["report"]["verified"], true);
    for lang in ["en", "ja"] {
        assert!(
            credential["report"]["sections"][lang]
                .as_array()
                .is_some_and(|s| !s.is_empty())
        );
        assert!(
            credential["report"]["text"][lang]
                .as_str()
                .is_some_and(|t| !t.is_empty())
        );
    }
    let stored_text = stored.to_string();
    assert!(!stored_text.contains("JVBERi0"), "no base64 PDF is stored");
    assert!(
        stored_text.len() < 64 * 1024,
        "{} bytes stored",
        stored_text.len()
    );

    // The result GET answers the stored result with the session id and status: the same
    // public result as when PDFs were stored and stripped on each read.
    let answer = h.result(&session).await;
    assert_eq!(answer["status"], "verified");
    let mut expected = stored.clone();
    expected["session_id"] = id.into();
    expected["status"] = "verified".into();
    assert_eq!(answer["result"], expected);
    let mut top: Vec<&str> = answer["result"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    top.sort_unstable();
    assert_eq!(
        top,
        [
            "credentials",
            "error",
            "session_id",
            "status",
            "template",
            "verified",
            "verified_at"
        ]
    );

    // The webhook receives the same public result.
    let mut delivered = Vec::new();
    for _ in 0..100 {
        delivered = h.hooks.lock().unwrap().clone();
        if !delivered.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let (_, hook_body) = delivered.first().expect("webhook delivered");
    let hook: Value = serde_json::from_slice(hook_body).unwrap();
    assert_eq!(hook, expected);
}

#[tokio::test]
async fn without_a_font_the_result_stands_and_the_pdf_download_says_why() {
    let h = harness_with(|c| c.font_path = "/nonexistent/kakehashi-font.ttf".into()).await;
    let session = h.create(json!({"template": "masters-admission"})).await;
    let pending = h.fetch_request(&session, false).await;
    let vp = h.jp_vp(&pending);
    let (response_uri, body) = h.body(pending, token("jp_diploma", vp), None);
    assert_eq!(h.post_response(&response_uri, &body).await.status(), 200);
    assert_eq!(h.result(&session).await["status"], "verified");
    let id = session["session_id"].as_str().unwrap();
    let token = session["result_token"].as_str().unwrap();
    let r = h
        .http
        .get(format!(
            "{}/verifier/sessions/{id}/report.pdf?token={token}&lang=ja",
            h.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let err: Value = r.json().await.unwrap();
    assert_eq!(
        err["error_description"],
        "no PDF report: the report font is not available"
    );
}
