//! The student web wallet pages in-process (`oneshot`), over the real wallet library, against
//! the wallet crate's in-test issuer and verifier on loopback HTTPS (`wallet/tests/common`):
//! sign-in, receiving with a transaction code, the list and detail in both languages, the
//! consent screen (exactly the requested claims, the verifier's name), accept, decline, a
//! consent answered once, history, holder isolation, sign-out.
//!
//! ```text
//!  browser ──▶ /wallet/… pages ──▶ kakehashi-wallet ──https──▶ test issuer / test verifier
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::result_large_err)]

#[path = "../../wallet/tests/common/mod.rs"]
mod common;
mod support;

use axum::Router;
use axum::http::StatusCode;
use common::*;
use kakehashi_core::{UnixTime, form};
use kakehashi_oid4vp::request::ResponseMode;
use kakehashi_storage::{HolderAccount, HolderAccountStore as _};
use kakehashi_storage_sqlite::SqliteStore;
use kakehashi_web::registrar::hash_password;
use kakehashi_web::site;
use kakehashi_web::wallet::{WalletPortal, WalletPortalConfig};
use support::{Browser, field, form_action, sign_in};

const PASSWORD: &str = "correct horse battery staple";
const HANA: &str = "hana@student.example";
const KEN: &str = "ken@student.example";

async fn portal(pki: &Pki) -> (Router, SqliteStore) {
    let (_, context) = wallet(pki).await;
    let store = context.store().clone();
    for (username, holder, name) in [(HANA, "hana", "山田 花子"), (KEN, "ken", "Ken Sato")] {
        store
            .insert_holder_account(&HolderAccount {
                username: username.into(),
                holder_id: holder.into(),
                password_hash: hash_password(PASSWORD).unwrap(),
                display_name: name.into(),
                disabled: false,
                created_at: UnixTime(1_795_000_000),
            })
            .await
            .unwrap();
    }
    let pages = WalletPortal::new(store.clone(), context, WalletPortalConfig::new(true)).router();
    (site(pages), store)
}

/// The query of a request or offer link, to open it the way a same-device link does.
fn query_of(link: &str) -> &str {
    link.split_once('?').unwrap().1
}

#[tokio::test]
async fn student_receives_reads_and_presents() {
    let pki = pki();
    let (app, _store) = portal(&pki).await;
    let mut hana = Browser::default();

    // Pages need a session; the sign-in comes back to the page asked for.
    let page = hana.get(&app, "/wallet/credentials").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(
        page.location
            .unwrap()
            .starts_with("/wallet/sign-in?next=%2Fwallet%2Fcredentials")
    );
    let refused = sign_in(&mut hana, &app, "/wallet", HANA, "wrong").await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert!(
        refused
            .body
            .contains("The username or password is not correct.")
    );
    let ok = sign_in(&mut hana, &app, "/wallet", HANA, PASSWORD).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    assert!(hana.cookies.contains_key("__Host-kakehashi-wallet"));
    let first_session = hana.cookies["__Host-kakehashi-wallet"].clone();
    // Signing in again (with the old cookie presented) makes a new session and ends the old.
    sign_in(&mut hana, &app, "/wallet", HANA, PASSWORD).await;
    assert_ne!(hana.cookies["__Host-kakehashi-wallet"], first_session);
    let mut stale = Browser::default();
    stale
        .cookies
        .insert("__Host-kakehashi-wallet".into(), first_session);
    assert_eq!(
        stale.get(&app, "/wallet/credentials").await.status,
        StatusCode::SEE_OTHER
    );

    let page = hana.get(&app, "/wallet/credentials").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Your wallet is empty"), "{}", page.body);
    assert!(page.body.contains("山田 花子"));

    // Receive: the same-device link fills the form; the code is asked for.
    let (issuer, _issuer_task) = start_issuer(
        &pki,
        IssuerOptions {
            tx_code: true,
            ..Default::default()
        },
    )
    .await;
    let offer = offer_by_value(&issuer);
    let page = hana
        .get(&app, &format!("/wallet/receive?{}", query_of(&offer)))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("code from the student portal"),
        "the offer's tx_code description"
    );
    assert!(page.body.contains("inputmode=\"numeric\""));
    assert!(page.body.contains("maxlength=\"6\""));
    let csrf = field(&page.body, "csrf");
    let offer_in_form = support::unescape(
        page.body
            .split("name=\"offer\"")
            .nth(1)
            .and_then(|rest| rest.split_once('>'))
            .and_then(|(_, rest)| rest.split_once("</textarea>"))
            .map(|(v, _)| v)
            .unwrap(),
    );
    assert_eq!(offer_in_form, offer);

    // Without the CSRF token nothing happens.
    let page = hana
        .post(
            &app,
            "/wallet/receive",
            &[("offer", &offer), ("tx_code", TX_CODE)],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    // A wrong code is refused with a message the student can act on.
    let page = hana
        .post(
            &app,
            "/wallet/receive",
            &[("csrf", &csrf), ("offer", &offer), ("tx_code", "000000")],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST, "{}", page.body);
    assert!(
        page.body
            .contains("The transaction code is missing or wrong.")
    );
    assert!(
        hana.get(&app, "/wallet/credentials")
            .await
            .body
            .contains("Your wallet is empty"),
        "nothing stored after a refusal"
    );
    let page = hana
        .post(
            &app,
            "/wallet/receive",
            &[("csrf", &csrf), ("offer", &offer), ("tx_code", TX_CODE)],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(
        page.location.as_deref(),
        Some("/wallet/credentials?received=1")
    );

    // The list and the detail follow the page language, with the issuer's display data.
    let list = hana
        .get(&app, "/wallet/credentials?received=1&lang=ja")
        .await;
    assert!(
        list.body.contains("1 件の証明書をウォレットに追加しました"),
        "{}",
        list.body
    );
    assert!(
        list.body.contains("大学学位記"),
        "Type Metadata name in Japanese"
    );
    assert!(list.body.contains("架け橋大学"), "issuer name in Japanese");
    let detail_href = support::link(&list.body, "/wallet/credentials/hana");
    let detail = hana.get(&app, &detail_href).await;
    assert_eq!(detail.status, StatusCode::OK);
    assert!(
        detail.body.contains("<dt>姓</dt><dd>Yamada</dd>"),
        "{}",
        detail.body
    );
    assert!(detail.body.contains("<dt>学位</dt>"));
    assert!(detail.body.contains("MSc Informatics"));
    assert!(
        !detail.body.contains("cnf"),
        "key binding is not a claim for people"
    );
    let detail_en = hana.get(&app, &format!("{detail_href}?lang=en")).await;
    assert!(
        detail_en
            .body
            .contains("<dt>Family name</dt><dd>Yamada</dd>")
    );

    // Another student sees none of it.
    let mut ken = Browser::default();
    sign_in(&mut ken, &app, "/wallet", KEN, PASSWORD).await;
    assert!(
        ken.get(&app, "/wallet/credentials")
            .await
            .body
            .contains("Your wallet is empty")
    );
    assert_eq!(
        ken.get(&app, &detail_href).await.status,
        StatusCode::NOT_FOUND
    );

    // A verifier asks for the degree title and the family name, not the birth date.
    let vct = format!("{}{VCT_PATH}", issuer.lock().unwrap().base);
    let (verifier, uri, _verifier_task) = start_verifier(
        &pki,
        VerifierOptions {
            mode: ResponseMode::DirectPostJwt,
            query: diploma_query(&vct),
            certificate_dns: "localhost",
        },
    )
    .await;
    let consent = hana
        .get(&app, &format!("/wallet/present?{}", query_of(&uri)))
        .await;
    assert_eq!(consent.status, StatusCode::OK, "{}", consent.body);
    assert!(consent.body.contains("Kakehashi Test Verifier asks to see"));
    assert!(
        consent.body.contains("<dt>Family name</dt><dd>Yamada</dd>"),
        "{}",
        consent.body
    );
    assert!(
        consent
            .body
            .contains("<dt>Degree</dt><dd>MSc Informatics</dd>")
    );
    assert!(
        !consent.body.contains("2000-04-01"),
        "the birth date is not asked for"
    );
    assert!(!consent.body.contains("Hana"), "nor the given name");
    assert!(consent.body.contains("encrypted to the verifier"));
    let action = form_action(&consent.body, "/wallet/consents/");
    // Ken cannot answer Hana's consent.
    let ken_csrf = field(&ken.get(&app, "/wallet/present").await.body, "csrf");
    let page = ken
        .post(
            &app,
            &action,
            &[("csrf", &ken_csrf), ("decision", "accept")],
        )
        .await;
    assert_eq!(page.status, StatusCode::GONE);
    let page = hana
        .post(&app, &action, &[("csrf", &csrf), ("decision", "accept")])
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Shared with Kakehashi Test Verifier"));
    let view = verifier.lock().unwrap().clone_view();
    assert!(matches!(
        view.session,
        Some(kakehashi_oid4vp::verifier::VerifierSession::Verified(_))
    ));
    // A consent is answered once.
    let again = hana
        .post(&app, &action, &[("csrf", &csrf), ("decision", "accept")])
        .await;
    assert_eq!(again.status, StatusCode::GONE);

    // Declining tells the verifier and shares nothing.
    let (declined, uri2, _declined_task) = start_verifier(
        &pki,
        VerifierOptions {
            mode: ResponseMode::DirectPost,
            query: diploma_query(&vct),
            certificate_dns: "localhost",
        },
    )
    .await;
    let pasted = hana
        .post(&app, "/wallet/present", &[("csrf", &csrf), ("link", &uri2)])
        .await;
    assert_eq!(pasted.status, StatusCode::OK, "{}", pasted.body);
    assert!(pasted.body.contains("not encrypted"));
    let action = form_action(&pasted.body, "/wallet/consents/");
    let page = hana
        .post(&app, &action, &[("csrf", &csrf), ("decision", "decline")])
        .await;
    assert!(page.body.contains("You declined."), "{}", page.body);
    let view = declined.lock().unwrap().clone_view();
    assert!(
        view.response_bodies.iter().any(|b| form::decode(b)
            .unwrap()
            .iter()
            .any(|(k, v)| k == "error" && v == "access_denied")),
        "{:?}",
        view.response_bodies
    );

    // History: one presentation, to whom, which items, in the page language.
    let history = hana.get(&app, "/wallet/history?lang=ja").await;
    assert_eq!(
        history.body.matches("<li class=\"card\">").count(),
        1,
        "{}",
        history.body
    );
    assert!(history.body.contains("Kakehashi Test Verifier"));
    assert!(
        history.body.contains("学位, 姓") || history.body.contains("姓, 学位"),
        "{}",
        history.body
    );
    assert!(
        ken.get(&app, "/wallet/history")
            .await
            .body
            .contains("You have not shared anything yet.")
    );

    // A request that cannot be met says so.
    let (_, uri3, _t3) = start_verifier(
        &pki,
        VerifierOptions {
            mode: ResponseMode::DirectPost,
            query: diploma_query("https://elsewhere.example/types/other"),
            certificate_dns: "localhost",
        },
    )
    .await;
    let page = hana
        .get(
            &app,
            &format!("/wallet/present?{}&lang=en", query_of(&uri3)),
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.body
            .contains("None of your credentials has what this verifier asks for."),
        "{}",
        page.body
    );

    // Sign-out ends the session.
    let page = hana.get(&app, "/wallet/credentials").await;
    let csrf = field(&page.body, "csrf");
    let out = hana
        .post(&app, "/wallet/sign-out", &[("csrf", &csrf)])
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(
        hana.get(&app, "/wallet/credentials").await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn registrar_and_student_sessions_do_not_mix() {
    let pki = pki();
    let (app, _) = portal(&pki).await;
    let mut b = Browser::default();
    sign_in(&mut b, &app, "/wallet", HANA, PASSWORD).await;
    let value = b.cookies["__Host-kakehashi-wallet"].clone();
    // The same value under the registrar's cookie name opens nothing there.
    let (_, context) = wallet(&pki).await;
    let store = context.store().clone();
    let registrar = site(
        kakehashi_web::registrar::RegistrarPortal::new(
            store,
            kakehashi_web::registrar::RegistrarConfig::new(vec![], true),
        )
        .router(),
    );
    let mut forged = Browser::default();
    forged
        .cookies
        .insert("__Host-kakehashi-registrar".into(), value);
    let page = forged.get(&registrar, "/registrar/graduates").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(page.location.unwrap().starts_with("/registrar/sign-in"));
}
