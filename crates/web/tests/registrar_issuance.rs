//! Issuing from the registrar portal, end to end on one loopback HTTPS node: the portal, the EU
//! issuer (`/issuers/eu`, SD-JWT VC) and the Japanese issuer (`/issuers/jp`, Open Badges 3.0)
//! over one SQLite file, and the real wallet library as the student.
//!
//! ```text
//! registrar ──POST offers──▶ portal ──▶ IssuerState (EU) ──▶ QR + link + tx_code (once)
//! wallet ──credential_offer_uri, token(tx_code), credential──▶ /issuers/eu   (real HTTPS)
//! registrar ──POST revoke──▶ portal ──▶ status list bit ──▶ GET /issuers/eu/status/tsl-1
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use kakehashi_academic::model::{AwardingBody, Diploma};
use kakehashi_core::UnixTime;
use kakehashi_crypto::{SignatureAlgorithm, Signer};
use kakehashi_crypto_aws_lc::SoftwareSigner;
use kakehashi_crypto_aws_lc::sealed::KeyEncryptionKey;
use kakehashi_fetch::FetchConfig;
use kakehashi_http_issuer::{
    IssuerConfig, IssuerIdentity, IssuerState, Profile, ensure_status_lists,
    load_or_create_offer_secret,
};
use kakehashi_storage::{
    Graduate, IssuerStore as _, PortalStore as _, RegistrarUser, StatusStore as _,
};
use kakehashi_storage_sqlite::SqliteStore;
use kakehashi_wallet::{HolderId, SystemClock, WalletConfig, WalletContext, WalletHttp};
use kakehashi_web::registrar::{RegistrarConfig, RegistrarPortal, University, hash_password};
use kakehashi_web::site;
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tower::ServiceExt as _;

const EU_USER: &str = "registrar@leuven.example";
const JP_USER: &str = "registrar@morinomiyako.example";
const PASSWORD: &str = "correct horse battery staple";

fn eu_body() -> AwardingBody {
    serde_json::from_value(json!({
        "legal_name": {"en": "Kakehashi Test University Leuven"},
        "country": "BE",
        "legal_identifier": {"scheme": "VAT", "value": "BE0123456789"}
    }))
    .unwrap()
}

fn jp_body() -> AwardingBody {
    serde_json::from_value(json!({
        "legal_name": {"ja": "国立大学法人杜の都大学", "en": "Morinomiyako National University"},
        "country": "JP",
        "legal_identifier": {"scheme": "JP-CorporateNumber", "value": "7000012050002"},
        "school_code": "F104310000013"
    }))
    .unwrap()
}

fn diploma(profile: Profile, number: &str) -> Diploma {
    match profile {
        Profile::Eu => serde_json::from_value(json!({
            "holder": {"family_name": {"en": "Janssens"}, "given_name": {"en": "Eva"}, "birth_date": "2000-01-15"},
            "awarding_body": eu_body(),
            "qualification": {"title": {"en": "Master of Science in Engineering"}, "eqf_level": 7, "isced_field": "0714"},
            "award_date": "2026-06-30",
            "diploma_number": number
        }))
        .unwrap(),
        Profile::Jp => serde_json::from_value(json!({
            "holder": {
                "family_name": {"ja": "山田", "ja-Latn": "YAMADA"},
                "given_name": {"ja": "花子", "ja-Latn": "HANAKO"},
                "birth_date": "2000-04-01"
            },
            "awarding_body": jp_body(),
            "qualification": {"title": {"ja": "修士(工学)", "en": "Master of Engineering"}, "jp_degree": "修士", "isced_field": "0714"},
            "award_date": "2026-03-25",
            "diploma_number": number
        }))
        .unwrap(),
    }
}

// ------------------------------------------------------------------ loopback TLS

struct Pki {
    ca_der: Vec<u8>,
    tls_chain: Vec<Vec<u8>>,
    tls_key_pkcs8: Vec<u8>,
}

fn pki() -> Pki {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Kakehashi Test CA");
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let leaf = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &issuer)
        .unwrap();
    Pki {
        ca_der: ca_cert.der().to_vec(),
        tls_chain: vec![leaf.der().to_vec()],
        tls_key_pkcs8: leaf_key.serialize_der(),
    }
}

struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((tcp, addr)) = self.tcp.accept().await else {
                continue;
            };
            if let Ok(tls) = self.acceptor.accept(tcp).await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

fn serve_tls(pki: &Pki, tcp: TcpListener, router: Router) -> tokio::task::JoinHandle<()> {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        pki.tls_chain
            .iter()
            .map(|c| CertificateDer::from(c.clone()))
            .collect(),
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pki.tls_key_pkcs8.clone())),
    )
    .unwrap();
    let listener = TlsListener {
        tcp,
        acceptor: TlsAcceptor::from(Arc::new(config)),
    };
    tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    })
}

// ------------------------------------------------------------------ the node

/// A temp directory removed at the end of the test.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "kakehashi-web-{name}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct Node {
    router: Router,
    base: String,
    store: SqliteStore,
    eu: IssuerState<SqliteStore>,
    ca_der: Vec<u8>,
    server: tokio::task::JoinHandle<()>,
    _dir: TempDir,
}

impl Drop for Node {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn seal_for(org: &str) -> Arc<dyn Signer> {
    let signer = SoftwareSigner::generate(SignatureAlgorithm::Es256).unwrap();
    let key = rcgen::KeyPair::try_from(signer.to_pkcs8().unwrap().as_slice()).unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::OrganizationName, org);
    let cert = params.self_signed(&key).unwrap();
    Arc::new(signer.with_certificate_chain(vec![cert.der().to_vec()]))
}

async fn issuer(
    store: &SqliteStore,
    base: &str,
    profile: Profile,
    kek: &KeyEncryptionKey,
) -> IssuerState<SqliteStore> {
    let (path, body, org) = match profile {
        Profile::Eu => ("eu", eu_body(), "Kakehashi Test University Leuven"),
        Profile::Jp => ("jp", jp_body(), "Morinomiyako National University"),
    };
    let secret = load_or_create_offer_secret(store, kek, UnixTime(0))
        .await
        .unwrap();
    let identity = IssuerIdentity {
        credential_issuer: format!("{base}/issuers/{path}"),
        awarding_body: body,
        profile,
        signer: seal_for(org),
    };
    let state = IssuerState::new(store.clone(), identity, IssuerConfig::default(), secret);
    ensure_status_lists(&state).await.unwrap();
    state
}

async fn node(name: &str) -> Node {
    let dir = TempDir::new(name);
    let store = SqliteStore::open(dir.0.join("node.db")).await.unwrap();
    let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("https://localhost:{}", tcp.local_addr().unwrap().port());
    let (kek, _) = KeyEncryptionKey::generate("kek-test").unwrap();
    let eu = issuer(&store, &base, Profile::Eu, &kek).await;
    let jp = issuer(&store, &base, Profile::Jp, &kek).await;
    for (user, name) in [(EU_USER, "Els Peeters"), (JP_USER, "佐々木 恵")] {
        store
            .insert_registrar_user(&RegistrarUser {
                username: user.into(),
                password_hash: hash_password(PASSWORD).unwrap(),
                display_name: name.into(),
                disabled: false,
                created_at: UnixTime(0),
            })
            .await
            .unwrap();
    }
    let universities = vec![
        University {
            slug: "leuven".into(),
            profile: eu_body(),
            registrars: vec![EU_USER.into()],
        },
        University {
            slug: "morinomiyako".into(),
            profile: jp_body(),
            registrars: vec![JP_USER.into()],
        },
    ];
    let portal = RegistrarPortal::new(store.clone(), RegistrarConfig::new(universities, false))
        .with_issuers(HashMap::from([
            ("leuven".to_owned(), eu.clone()),
            ("morinomiyako".to_owned(), jp.clone()),
        ]))
        .router();
    let router = site(portal)
        .nest("/issuers/eu", kakehashi_http_issuer::router(eu.clone()))
        .nest("/issuers/jp", kakehashi_http_issuer::router(jp.clone()))
        .merge(kakehashi_http_issuer::well_known_router(eu.clone()))
        .merge(kakehashi_http_issuer::well_known_router(jp.clone()));
    let pki = pki();
    let server = serve_tls(&pki, tcp, router.clone());
    Node {
        router,
        base,
        store,
        eu,
        ca_der: pki.ca_der,
        server,
        _dir: dir,
    }
}

/// Stores a graduate the way the portal's form does (a bare diploma under its CSV key).
async fn graduate(node: &Node, profile: Profile, number: &str) -> String {
    let body = match profile {
        Profile::Eu => eu_body(),
        Profile::Jp => jp_body(),
    };
    let id = kakehashi_academic::csv_import::idempotency_key(&body, number);
    node.store
        .upsert_graduate(&Graduate {
            id: id.clone(),
            record: serde_json::to_value(diploma(profile, number)).unwrap(),
            updated_at: UnixTime(0),
        })
        .await
        .unwrap();
    id
}

// ------------------------------------------------------------------ a browser

struct Page {
    status: StatusCode,
    location: Option<String>,
    cache_control: Option<String>,
    body: String,
}

async fn send(node: &Node, req: Request<Body>) -> Page {
    let res = node.router.clone().oneshot(req).await.unwrap();
    let header_of = |name: header::HeaderName| {
        res.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let location = header_of(header::LOCATION);
    let cache_control = header_of(header::CACHE_CONTROL);
    let status = res.status();
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 22)
        .await
        .unwrap();
    Page {
        status,
        location,
        cache_control,
        body: String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

fn get(path: &str, cookie: &str) -> Request<Body> {
    Request::get(path)
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .unwrap()
}

fn post(path: &str, cookie: &str, form: &[(&str, &str)]) -> Request<Body> {
    let encoded = form
        .iter()
        .map(|(k, v)| format!("{k}={}", kakehashi_web::page::encode_segment(v)))
        .collect::<Vec<_>>()
        .join("&");
    Request::post(path)
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(encoded))
        .unwrap()
}

fn cookie_named(res: &axum::http::Response<Body>, name: &str) -> String {
    res.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|v| v.starts_with(&format!("{name}=")))
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

/// The text between `start` and the next `end` after it.
fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let i = html
        .find(start)
        .unwrap_or_else(|| panic!("{start} not in page"))
        + start.len();
    &html[i..i + html[i..].find(end).unwrap()]
}

fn unescape(html: &str) -> String {
    html.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn csrf_of(html: &str) -> String {
    between(html, "name=\"csrf\" value=\"", "\"").to_owned()
}

/// Signs `user` in; returns the session cookie pair.
async fn sign_in(node: &Node, user: &str) -> String {
    let res = node
        .router
        .clone()
        .oneshot(get("/registrar/sign-in", ""))
        .await
        .unwrap();
    let pre = cookie_named(&res, "kakehashi-sign-in");
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 22)
        .await
        .unwrap();
    let csrf = csrf_of(std::str::from_utf8(&bytes).unwrap());
    let res = node
        .router
        .clone()
        .oneshot(post(
            "/registrar/sign-in",
            &pre,
            &[("username", user), ("password", PASSWORD), ("csrf", &csrf)],
        ))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    cookie_named(&res, "kakehashi-registrar")
}

fn segment(id: &str) -> String {
    kakehashi_web::page::encode_segment(id)
}

struct Offer {
    uri: String,
    wallet_link: String,
    tx_code: String,
}

/// Issues from the portal as the signed-in registrar and reads the offer page.
async fn issue(node: &Node, cookie: &str, graduate: &str) -> Offer {
    let credentials = format!("/registrar/graduates/{}/credentials", segment(graduate));
    let page = send(node, get(&credentials, cookie)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let csrf = csrf_of(&page.body);
    let offered = send(
        node,
        post(
            &format!("/registrar/graduates/{}/offers", segment(graduate)),
            cookie,
            &[("csrf", &csrf)],
        ),
    )
    .await;
    assert_eq!(offered.status, StatusCode::OK, "{}", offered.body);
    assert_eq!(offered.cache_control.as_deref(), Some("no-store"));
    assert!(offered.body.contains("<svg role=\"img\""), "inline QR code");
    assert!(!offered.body.contains("<?xml"));
    let tx_code = between(&offered.body, "class=\"tx-code-value\"><strong>", "<").to_owned();
    assert!(tx_code.len() == 6 && tx_code.bytes().all(|b| b.is_ascii_digit()));
    // Labelled in both languages whatever the page language.
    assert!(offered.body.contains("Transaction code") && offered.body.contains("確認コード"));
    let uri = unescape(between(
        &offered.body,
        "id=\"offer-link\" rows=\"3\" readonly>",
        "<",
    ));
    let wallet_link = unescape(between(
        &offered.body,
        "id=\"wallet-link\" rows=\"4\" readonly>",
        "<",
    ));
    Offer {
        uri,
        wallet_link,
        tx_code,
    }
}

async fn wallet(node: &Node) -> kakehashi_wallet::Wallet<SqliteStore> {
    let store = SqliteStore::open_in_memory().await.unwrap();
    let (kek, _) = KeyEncryptionKey::generate("wallet-kek").unwrap();
    let http =
        WalletHttp::with_tls_roots_only(FetchConfig::default(), std::slice::from_ref(&node.ca_der))
            .unwrap();
    WalletContext::new(
        store,
        kek,
        http,
        Arc::new(SystemClock),
        WalletConfig::default(),
    )
    .wallet(HolderId::new("eva").unwrap())
}

/// The value of entry `index` in the EU Token Status List as served by the issuer router.
async fn token_status(node: &Node, index: u32) -> u8 {
    let page = send(node, get("/issuers/eu/status/tsl-1", "")).await;
    assert_eq!(page.status, StatusCode::OK);
    let list = kakehashi_status_list::verify_status_list_token(
        &page.body,
        &kakehashi_crypto_aws_lc::provider(),
        node.eu.identity.signer.public_jwk(),
        &format!("{}/issuers/eu/status/tsl-1", node.base),
        &kakehashi_status_list::VerifyOptions::at(node.eu.now()),
    )
    .unwrap();
    list.list().get(u64::from(index)).unwrap()
}

// ------------------------------------------------------------------ tests

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registrar_issues_the_wallet_redeems_and_revocation_flips_the_status_bit() {
    let node = node("issue-revoke").await;
    let grad = graduate(&node, Profile::Eu, "EU-2026-0001").await;
    let eu = sign_in(&node, EU_USER).await;

    // The graduate's page links to issuance.
    let detail = send(
        &node,
        get(&format!("/registrar/graduates/{}", segment(&grad)), &eu),
    )
    .await;
    let credentials = format!("/registrar/graduates/{}/credentials", segment(&grad));
    assert!(detail.body.contains(&format!("href=\"{credentials}\"")));

    // Without the CSRF token nothing is offered.
    let refused = send(
        &node,
        post(
            &format!("/registrar/graduates/{}/offers", segment(&grad)),
            &eu,
            &[],
        ),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(
        node.store
            .credential_offers_for_subject(&grad)
            .await
            .unwrap()
            .is_empty()
    );

    let offer = issue(&node, &eu, &grad).await;
    let reference = offer
        .uri
        .strip_prefix(&format!(
            "openid-credential-offer://?credential_offer_uri={}",
            segment(&format!("{}/issuers/eu/offers/", node.base))
        ))
        .expect("an offer by reference to the EU issuer")
        .to_owned();
    assert_eq!(
        offer.wallet_link,
        format!("{}/wallet/receive?offer={}", node.base, segment(&offer.uri))
    );
    // The offer resolves at the issuer router.
    let resolved = send(&node, get(&format!("/issuers/eu/offers/{reference}"), "")).await;
    assert_eq!(resolved.status, StatusCode::OK);
    let resolved: Value = serde_json::from_str(&resolved.body).unwrap();
    assert_eq!(
        resolved["credential_issuer"],
        format!("{}/issuers/eu", node.base)
    );
    let pre_authorized_code = resolved["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]
        ["pre-authorized_code"]
        .as_str()
        .unwrap()
        .to_owned();
    let listed = send(&node, get(&credentials, &eu)).await;
    assert!(listed.body.contains("Offered, waiting for the student"));

    // The student's wallet redeems it over HTTPS with the transaction code.
    let wallet = wallet(&node).await;
    let received = wallet
        .receive(&offer.uri, Some(&offer.tx_code))
        .await
        .expect("the wallet receives the credential");
    // One credential per fresh holder key (a batch, for unlinkable presentations).
    assert!(!received.is_empty());
    let issued = node
        .store
        .issued_credentials_for_subject(&grad)
        .await
        .unwrap();
    assert_eq!(issued.len(), received.len());
    let credential = &issued[0];
    let index = credential.status.as_ref().unwrap().index;
    assert_eq!(token_status(&node, index).await, 0, "valid");
    let listed = send(&node, get(&credentials, &eu)).await;
    assert!(listed.body.contains("Issued, valid"));
    assert!(
        !listed.body.contains("Offered, waiting"),
        "the used offer became the credential"
    );

    // The other university's registrar sees none of it.
    let jp = sign_in(&node, JP_USER).await;
    let jp_csrf = csrf_of(&send(&node, get("/registrar/graduates/new", &jp)).await.body);
    assert_eq!(
        send(&node, get(&credentials, &jp)).await.status,
        StatusCode::NOT_FOUND
    );
    let stranger = send(
        &node,
        post(
            &format!("/registrar/graduates/{}/offers", segment(&grad)),
            &jp,
            &[("csrf", &jp_csrf)],
        ),
    )
    .await;
    assert_eq!(stranger.status, StatusCode::NOT_FOUND);
    let revoke = format!("{credentials}/{}/revoke", segment(&credential.id));
    let stranger = send(&node, post(&revoke, &jp, &[("csrf", &jp_csrf)])).await;
    assert_eq!(stranger.status, StatusCode::NOT_FOUND);
    // Nor through one of their own graduates.
    let jp_grad = graduate(&node, Profile::Jp, "JP-2026-0001").await;
    let sideways = format!(
        "/registrar/graduates/{}/credentials/{}/revoke",
        segment(&jp_grad),
        segment(&credential.id)
    );
    let stranger = send(&node, post(&sideways, &jp, &[("csrf", &jp_csrf)])).await;
    assert_eq!(stranger.status, StatusCode::NOT_FOUND);
    assert_eq!(token_status(&node, index).await, 0, "still valid");

    // Revocation: a confirmation page, CSRF required, then the bit flips.
    let confirm = send(
        &node,
        get(
            &format!("{credentials}/{}/confirm-revoke", segment(&credential.id)),
            &eu,
        ),
    )
    .await;
    assert_eq!(confirm.status, StatusCode::OK);
    assert!(confirm.body.contains("Revocation is final"));
    assert_eq!(
        send(&node, post(&revoke, &eu, &[])).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(token_status(&node, index).await, 0, "no CSRF, no change");
    let done = send(
        &node,
        post(&revoke, &eu, &[("csrf", &csrf_of(&confirm.body))]),
    )
    .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(done.location, Some(format!("{credentials}?done=revoke")));
    assert_eq!(
        token_status(&node, index).await,
        1,
        "revoked in the served list"
    );
    let listed = send(&node, get(&format!("{credentials}?done=revoke"), &eu)).await;
    assert!(listed.body.contains("The credential is revoked"));
    assert!(listed.body.contains(">Revoked<"));
    assert!(
        !listed.body.contains("/confirm-revoke"),
        "nothing left to do"
    );

    // The audit trail has both actions, with the actor and target, and no secret.
    let audit = send(&node, get("/registrar/audit", &eu)).await;
    assert!(audit.body.contains("Credential offer created"));
    assert!(audit.body.contains("Credential revoked"));
    let entries = node.store.audit_entries(0, 1000).await.unwrap();
    let offered = entries
        .iter()
        .find(|e| e.action == "portal.offer_created")
        .unwrap();
    assert_eq!(
        (offered.actor.as_str(), offered.target.as_str()),
        (EU_USER, grad.as_str())
    );
    let revoked = entries
        .iter()
        .find(|e| e.action == "portal.credential_revoke")
        .unwrap();
    assert_eq!(
        (revoked.actor.as_str(), revoked.target.as_str()),
        (EU_USER, grad.as_str())
    );
    assert_eq!(revoked.details["credential"], credential.id.as_str());
    for e in &entries {
        let text = format!("{} {} {} {}", e.actor, e.action, e.target, e.details);
        assert!(
            !text.contains(&offer.tx_code),
            "tx_code in the audit: {text}"
        );
        assert!(
            !text.contains(&pre_authorized_code),
            "pre-authorized code in the audit: {text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn japanese_registrar_issues_open_badges_and_suspends_then_reinstates() {
    let node = node("jp-suspend").await;
    let grad = graduate(&node, Profile::Jp, "JP-2026-0042").await;
    let jp = sign_in(&node, JP_USER).await;
    let offer = issue(&node, &jp, &grad).await;
    assert!(
        offer
            .uri
            .contains(&segment(&format!("{}/issuers/jp/offers/", node.base)))
    );
    let received = wallet(&node)
        .await
        .receive(&offer.uri, Some(&offer.tx_code))
        .await
        .expect("the wallet receives the Open Badge");
    assert!(!received.is_empty());
    let credential = node
        .store
        .issued_credentials_for_subject(&grad)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(credential.format, "jwt_vc_json");
    let credentials = format!("/registrar/graduates/{}/credentials", segment(&grad));
    let page = send(&node, get(&format!("{credentials}?lang=ja"), &jp)).await;
    assert!(page.body.contains("発行済み(有効)"));
    let csrf = csrf_of(&page.body);
    let index = credential.status.as_ref().unwrap().index;
    let suspension_bit = |list: kakehashi_storage::StatusList| {
        kakehashi_status_list::bitstring::Bitstring::from_bytes(1, list.statuses)
            .unwrap()
            .get(u64::from(index))
            .unwrap()
    };
    let action = |a: &str| format!("{credentials}/{}/{a}", segment(&credential.id));
    let done = send(&node, post(&action("suspend"), &jp, &[("csrf", &csrf)])).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let stored = node.store.status_list("w3c-suspension-1").await.unwrap();
    assert_eq!(suspension_bit(stored), 1);
    assert!(
        send(&node, get(&credentials, &jp))
            .await
            .body
            .contains(">Suspended<")
    );
    // The served suspension list is republished with the entry set.
    let served = send(&node, get("/issuers/jp/status/w3c/w3c-suspension-1", "")).await;
    assert_eq!(served.status, StatusCode::OK);
    let done = send(&node, post(&action("reinstate"), &jp, &[("csrf", &csrf)])).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let stored = node.store.status_list("w3c-suspension-1").await.unwrap();
    assert_eq!(suspension_bit(stored), 0);
    // An unknown action is no route to anything.
    let bogus = send(&node, post(&action("delete"), &jp, &[("csrf", &csrf)])).await;
    assert_eq!(bogus.status, StatusCode::NOT_FOUND);
    let audit = send(&node, get("/registrar/audit", &jp)).await;
    assert!(audit.body.contains("Credential suspended"));
    assert!(audit.body.contains("Credential reinstated"));
}
