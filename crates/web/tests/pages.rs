//! The pages in-process (axum `oneshot`) over an in-memory SQLite store: sign-in, session
//! fixation, CSRF refusal, session expiry, language negotiation, security headers, errors, the
//! registry page.
#![allow(clippy::unwrap_used)] // test code

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use kakehashi_core::UnixTime;
use kakehashi_storage::{PortalStore, RegistrarUser};
use kakehashi_storage_sqlite::SqliteStore;
use kakehashi_web::registrar::{RegistrarConfig, RegistrarPortal, University, hash_password};
use kakehashi_web::registry::{
    AnchoringView, ListView, RegistryView, ServiceView, SharedRegistryView,
};
use kakehashi_web::{Clock, site};
use tower::ServiceExt as _;

const USER: &str = "registrar@morinomiyako.example";
const PASSWORD: &str = "correct horse battery staple";
const T0: i64 = 1_795_000_000;

struct App {
    router: Router,
    now: Arc<AtomicI64>,
    registry: SharedRegistryView,
}

fn university() -> University {
    University {
        slug: "morinomiyako".into(),
        profile: serde_json::from_value(serde_json::json!({
            "legal_name": {"ja": "国立大学法人杜の都大学", "en": "Morinomiyako National University"},
            "country": "JP",
            "legal_identifier": {"scheme": "JP-CorporateNumber", "value": "9370005009999"}
        }))
        .unwrap(),
        registrars: vec![USER.into()],
    }
}

async fn app() -> App {
    let store = SqliteStore::open_in_memory().await.unwrap();
    store
        .insert_registrar_user(&RegistrarUser {
            username: USER.into(),
            password_hash: hash_password(PASSWORD).unwrap(),
            display_name: "佐々木 恵".into(),
            disabled: false,
            created_at: UnixTime(T0),
        })
        .await
        .unwrap();
    let now = Arc::new(AtomicI64::new(T0));
    let n = now.clone();
    let clock = Clock::from_fn(move || UnixTime(n.load(Ordering::SeqCst)));
    let mut config = RegistrarConfig::new(vec![university()], false);
    config.clock = clock.clone();
    let registry = SharedRegistryView::default();
    let pages = RegistrarPortal::new(store, config)
        .router()
        .merge(kakehashi_web::registry::router(registry.clone(), clock));
    App {
        router: site(pages),
        now,
        registry,
    }
}

async fn send(app: &App, req: Request<Body>) -> Response<Body> {
    app.router.clone().oneshot(req).await.unwrap()
}

async fn body(res: Response<Body>) -> String {
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 22)
        .await
        .unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn get(path: &str, cookies: &str) -> Request<Body> {
    let mut b = Request::get(path);
    if !cookies.is_empty() {
        b = b.header(header::COOKIE, cookies);
    }
    b.body(Body::empty()).unwrap()
}

fn post(path: &str, cookies: &str, form: &[(&str, &str)]) -> Request<Body> {
    let encoded = form
        .iter()
        .map(|(k, v)| format!("{k}={}", kakehashi_web::page::encode_segment(v)))
        .collect::<Vec<_>>()
        .join("&");
    Request::post(path)
        .header(header::COOKIE, cookies)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(encoded))
        .unwrap()
}

/// `name=value` of a `Set-Cookie` with that name.
fn set_cookie(res: &Response<Body>, name: &str) -> Option<String> {
    res.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with(&format!("{name}=")))
}

fn cookie_pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_owned()
}

/// The value of the hidden `csrf` input of a page.
fn csrf_field(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).unwrap() + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

/// Signs in; returns the session cookie pair.
async fn sign_in(app: &App, password: &str, extra_cookie: &str) -> Response<Body> {
    let page = send(app, get("/registrar/sign-in", "")).await;
    let pre = cookie_pair(&set_cookie(&page, "kakehashi-sign-in").unwrap());
    let csrf = csrf_field(&body(page).await);
    let cookies = if extra_cookie.is_empty() {
        pre
    } else {
        format!("{pre}; {extra_cookie}")
    };
    send(
        app,
        post(
            "/registrar/sign-in",
            &cookies,
            &[
                ("username", USER),
                ("password", password),
                ("csrf", &csrf),
                ("next", "/registrar/audit"),
            ],
        ),
    )
    .await
}

async fn session(app: &App) -> String {
    let res = sign_in(app, PASSWORD, "").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    cookie_pair(&set_cookie(&res, "kakehashi-registrar").unwrap())
}

#[tokio::test]
async fn sign_in_makes_a_new_http_only_session_and_refuses_wrong_passwords() {
    let app = app().await;
    let wrong = sign_in(&app, "wrong", "").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(set_cookie(&wrong, "kakehashi-registrar").is_none());
    assert!(
        body(wrong)
            .await
            .contains("The username or password is not correct.")
    );

    // A planted session id is not adopted (fixation): the cookie set is a fresh one.
    let res = sign_in(&app, PASSWORD, "kakehashi-registrar=planted-by-attacker").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[header::LOCATION], "/registrar/audit");
    let cookie = set_cookie(&res, "kakehashi-registrar").unwrap();
    assert!(!cookie.contains("planted-by-attacker"));
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    assert!(
        !cookie.contains("Secure"),
        "plain http on loopback: {cookie}"
    );
    let page = send(&app, get("/registrar/graduates", &cookie_pair(&cookie))).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = body(page).await;
    assert!(html.contains("佐々木 恵"));
    assert!(html.contains("No graduates yet"));
    // Unknown user: same answer as a wrong password.
    let planted = send(
        &app,
        get(
            "/registrar/graduates",
            "kakehashi-registrar=planted-by-attacker",
        ),
    )
    .await;
    assert_eq!(planted.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn secure_nodes_use_host_prefixed_secure_cookies() {
    let store = SqliteStore::open_in_memory().await.unwrap();
    let router =
        site(RegistrarPortal::new(store, RegistrarConfig::new(vec![university()], true)).router());
    let res = router.oneshot(get("/registrar/sign-in", "")).await.unwrap();
    let c = set_cookie(&res, "__Host-kakehashi-sign-in").unwrap();
    assert!(c.contains("; Secure") && c.contains("Path=/") && !c.contains("Domain"));
}

#[tokio::test]
async fn posts_without_the_csrf_token_are_refused() {
    let app = app().await;
    let cookie = session(&app).await;
    let form = [
        ("family_name_latn", "MALLORY"),
        ("given_name_latn", "EVE"),
        ("title_ja", "学士(工学)"),
        ("award_date", "2026-03-25"),
        ("diploma_number", "X-1"),
    ];
    let res = send(&app, post("/registrar/graduates/new", &cookie, &form)).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res.headers().contains_key(header::CONTENT_SECURITY_POLICY));
    assert!(body(res).await.contains("Request refused"));
    let mut forged = form.to_vec();
    forged.push(("csrf", "forged"));
    let res = send(&app, post("/registrar/graduates/new", &cookie, &forged)).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // The same refusal as JSON for a client asking for JSON.
    let mut req = post("/registrar/sign-out", &cookie, &[]);
    req.headers_mut()
        .insert(header::ACCEPT, "application/json".parse().unwrap());
    let res = send(&app, req).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let json: serde_json::Value = serde_json::from_str(&body(res).await).unwrap();
    assert_eq!(json["error"], "csrf_token_invalid");
    // Sign-in without the sign-in cookie (login CSRF).
    let res = send(
        &app,
        post(
            "/registrar/sign-in",
            "",
            &[("username", USER), ("password", PASSWORD), ("csrf", "x")],
        ),
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // With the token the graduate is added, and nothing was added before.
    let page = body(send(&app, get("/registrar/graduates/new", &cookie)).await).await;
    let mut ok = form.to_vec();
    let csrf = csrf_field(&page);
    ok.push(("csrf", &csrf));
    let res = send(&app, post("/registrar/graduates/new", &cookie, &ok)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{}", body(res).await);
    let again = send(&app, post("/registrar/graduates/new", &cookie, &ok)).await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body(again).await.contains("already exists"));
}

#[tokio::test]
async fn sessions_expire_and_sign_out_ends_them() {
    let app = app().await;
    let cookie = session(&app).await;
    app.now.fetch_add(8 * 3600 - 1, Ordering::SeqCst);
    assert_eq!(
        send(&app, get("/registrar/audit", &cookie)).await.status(),
        StatusCode::OK
    );
    app.now.fetch_add(1, Ordering::SeqCst);
    let res = send(&app, get("/registrar/audit", &cookie)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        res.headers()[header::LOCATION],
        "/registrar/sign-in?next=%2Fregistrar%2Faudit"
    );

    let cookie = session(&app).await;
    let page = body(send(&app, get("/registrar/audit", &cookie)).await).await;
    assert!(page.contains("Signed in"));
    let csrf = csrf_field(&page);
    let out = send(
        &app,
        post("/registrar/sign-out", &cookie, &[("csrf", &csrf)]),
    )
    .await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        send(&app, get("/registrar/audit", &cookie)).await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn language_from_query_cookie_and_accept_language() {
    let app = app().await;
    let lang_of = |html: &str| html[html.find("<html lang=\"").unwrap() + 12..][..2].to_owned();
    let html = body(send(&app, get("/registry", "")).await).await;
    assert_eq!(lang_of(&html), "en");
    let mut req = get("/registry", "");
    req.headers_mut().insert(
        header::ACCEPT_LANGUAGE,
        "fr-FR, ja;q=0.8, en;q=0.5".parse().unwrap(),
    );
    let html = body(send(&app, req).await).await;
    assert_eq!(lang_of(&html), "ja");
    assert!(html.contains("トラストレジストリ"));
    let res = send(&app, get("/registry?lang=ja", "")).await;
    assert!(
        set_cookie(&res, "lang")
            .unwrap()
            .starts_with("lang=ja; Path=/")
    );
    let res = send(&app, get("/registry", "lang=ja")).await;
    let html = body(res).await;
    assert_eq!(lang_of(&html), "ja");
    assert!(html.contains("href=\"/registry?lang=en\""), "switch link");
    // The query wins over the cookie.
    let html = body(send(&app, get("/registry?lang=en", "lang=ja")).await).await;
    assert_eq!(lang_of(&html), "en");
}

#[tokio::test]
async fn every_response_carries_the_security_headers_with_a_fresh_nonce() {
    let app = app().await;
    let a = send(&app, get("/registry", "")).await;
    let b = send(&app, get("/registry", "")).await;
    let csp = |r: &Response<Body>| {
        r.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .to_owned()
    };
    assert_ne!(csp(&a), csp(&b), "one nonce per response");
    for part in [
        "default-src 'self'",
        "frame-ancestors 'none'",
        "script-src 'self' 'nonce-",
        "object-src 'none'",
    ] {
        assert!(csp(&a).contains(part), "{}", csp(&a));
    }
    for res in [
        a,
        send(&app, get("/static/site.nope.css", "")).await,
        send(&app, get("/registrar/sign-in", "")).await,
    ] {
        let h = res.headers();
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(h[header::REFERRER_POLICY], "same-origin");
        assert!(h.contains_key(header::CONTENT_SECURITY_POLICY));
    }
    let missing = send(&app, get("/static/site.nope.css", "")).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert!(body(missing).await.contains("Page not found"));
    // The stylesheet: hashed name, long cache.
    let url = kakehashi_web::assets::stylesheet_url();
    let css = send(&app, get(url, "")).await;
    assert_eq!(css.status(), StatusCode::OK);
    assert!(
        css.headers()[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
}

#[tokio::test]
async fn registry_page_shows_lists_freshness_and_says_when_empty() {
    let app = app().await;
    let html = body(send(&app, get("/registry", "")).await).await;
    assert!(html.contains("No trusted lists are loaded on this node yet"));
    assert!(html.contains("No recognition policy is configured"));
    let list = |territory: &str, next: i64| ListView {
        territory: territory.into(),
        is_list_of_lists: false,
        operator: format!("{territory} supervisory body"),
        sequence_number: 42,
        issue_date: UnixTime(T0 - 86_400),
        next_update: Some(UnixTime(next)),
        signer_subject: "CN=List Signer".into(),
        signer_sha256: "ab".repeat(32),
        anchoring: AnchoringView::Lotl {
            territory: "EU".into(),
            sequence_number: 7,
        },
        services: vec![ServiceView {
            provider: "Qualified Trust Services SA".into(),
            name: "QTSP Seal CA".into(),
            service_type: "http://uri.etsi.org/TrstSvc/Svctype/CA/QC".into(),
            status: "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/granted".into(),
            status_start: UnixTime(T0 - 1000 * 86_400),
        }],
    };
    app.registry.replace(RegistryView {
        verified_at: Some(UnixTime(T0)),
        lists: vec![
            list("BE", T0 + 3 * 86_400 + 2 * 3600),
            list("JP", T0 - 3600),
        ],
        failures: vec![kakehashi_web::registry::FailureView {
            territory: Some("XX".into()),
            location: "https://example.org/xx.xml".into(),
            reason: "signature does not verify".into(),
        }],
        policy: None,
    });
    let html = body(send(&app, get("/registry", "")).await).await;
    assert!(html.contains("BE list, sequence 42"));
    assert!(html.contains("Fresh: 3 d 2 h left"), "{html}");
    assert!(html.contains("Stale: next update was due 1 h 0 min ago"));
    assert!(html.contains("Signer listed in the EU list of lists, sequence 7"));
    assert!(
        html.contains("QTSP Seal CA") && html.contains(">CA/QC<") && html.contains(">granted<")
    );
    assert!(html.contains("signature does not verify"));
    let ja = body(send(&app, get("/registry?lang=ja", "")).await).await;
    assert!(ja.contains("有効:残り 3 日 2 時間"));
}
