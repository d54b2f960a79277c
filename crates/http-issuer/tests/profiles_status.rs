//! Both diploma profiles issued over HTTP and verified with the project's verifiers (holder
//! binding to the proof key), revocation visible in the published status lists, the
//! authorization code flow (PAR + PKCE + student sign-in), bulk CSV issuance (idempotent,
//! resumable) and restart durability on a SQLite file.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::AtomicI64;

use common::*;
use kakehashi_crypto::Signer;
use kakehashi_http_issuer::{
    Approval, IssuerConfig, OfferOptions, Profile, bulk_issue, create_offer_for_graduate,
    set_student_sign_in_code, upsert_graduate,
};
use kakehashi_oid4vci::oauth::pkce_s256_challenge;
use kakehashi_sd_jwt::{IssuerKey, KbJwtClaims, KeyBinding, Limits, SdJwt, VcVerifyOptions};
use kakehashi_status_list::{StatusListReference, StatusType};
use kakehashi_storage::IssuerStore as _;
use kakehashi_storage_sqlite::SqliteStore;
use serde_json::{Value, json};

async fn get_text(h: &Harness, path: &str) -> (u16, String, String) {
    let resp = h.http.get(h.url(path)).send().await.unwrap();
    let status = resp.status().as_u16();
    let ct = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, ct, resp.text().await.unwrap())
}

#[tokio::test]
async fn eu_sd_jwt_vc_verifies_with_key_binding_and_revocation_shows_in_the_token_status_list() {
    let h = start(Profile::Eu).await;
    let holder = signer_key();
    let body = h.issue_one("eu-grad", &holder).await;
    let compact = body["credentials"][0]["credential"].as_str().unwrap();
    let provider = kakehashi_crypto_aws_lc::provider();
    let sd = SdJwt::parse(compact, Limits::DEFAULT).unwrap();
    assert_eq!(sd.header().typ(), Some("dc+sd-jwt"));
    assert!(!sd.header().x5c().unwrap().is_empty(), "x5c seal chain");
    // Holder binds to the proof key, verifier checks everything against JWT VC Issuer Metadata.
    let bound = sd
        .clone()
        .bind(
            &provider,
            &holder,
            &KbJwtClaims {
                audience: "https://verifier.test".into(),
                nonce: "n-123".into(),
                issued_at: h.now(),
            },
            Limits::DEFAULT,
        )
        .unwrap();
    let (_, _, metadata) = get_text(&h, "/.well-known/jwt-vc-issuer").await;
    let metadata: Value = serde_json::from_str(&metadata).unwrap();
    let mut base = kakehashi_sd_jwt::VerifyOptions::new(h.now());
    base.key_binding = KeyBinding::Required {
        nonce: "n-123",
        audience: "https://verifier.test",
    };
    let verified = kakehashi_sd_jwt::verify_sd_jwt_vc(
        bound,
        &provider,
        IssuerKey::Metadata(&metadata),
        &VcVerifyOptions::new(base),
    )
    .unwrap();
    assert_eq!(verified.vct(), kakehashi_academic::profiles::EU_DIPLOMA_VCT);
    assert_eq!(verified.issuer(), Some(ISSUER));
    assert_eq!(verified.claims()["family_name"]["en"], "Janssens");
    assert!(verified.claims().contains_key("exp"));
    // Names and birth date are selectively disclosable.
    assert!(sd.disclosures().len() >= 4);
    // vct#integrity matches the served Type Metadata bytes.
    let (s, _, type_metadata) = get_text(&h, "/type-metadata/diploma-eu").await;
    assert_eq!(s, 200);
    kakehashi_sd_jwt::type_metadata::check_integrity(
        &provider,
        type_metadata.as_bytes(),
        verified.vct_integrity().unwrap(),
        "vct",
    )
    .unwrap();

    // Status: valid, then revoked through the admin API.
    let reference = StatusListReference::from_claims(verified.claims()).unwrap();
    let status_of = |token: String| {
        let list = kakehashi_status_list::verify_status_list_token(
            &token,
            &provider,
            h.state.identity.signer.public_jwk(),
            &reference.uri,
            &kakehashi_status_list::VerifyOptions::at(h.now()),
        )
        .unwrap();
        list.status(&reference, h.now()).unwrap()
    };
    let path = reference.uri.strip_prefix(ISSUER).unwrap().to_owned();
    let (s, ct, token) = get_text(&h, &path).await;
    assert_eq!((s, ct.as_str()), (200, "application/statuslist+jwt"));
    assert_eq!(status_of(token), StatusType::Valid);

    let issued = h
        .state
        .store
        .issued_credentials_for_subject("eu-grad")
        .await
        .unwrap();
    assert_eq!(issued.len(), 1, "stored before it was returned");
    let id = issued[0].id.clone();
    let admin = |action: &str, token: Option<&str>| {
        let mut req = h
            .http
            .post(h.url(&format!("/admin/credentials/{id}/{action}")));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send()
    };
    assert_eq!(admin("revoke", None).await.unwrap().status(), 401);
    assert_eq!(admin("revoke", Some("wrong")).await.unwrap().status(), 401);
    let resp = admin("suspend", Some(ADMIN_TOKEN)).await.unwrap();
    assert_eq!(resp.status(), 200);
    let (_, _, token) = get_text(&h, &path).await;
    assert_eq!(status_of(token), StatusType::Suspended);
    let resp = admin("revoke", Some(ADMIN_TOKEN)).await.unwrap();
    assert_eq!(resp.status(), 200);
    let (_, _, token) = get_text(&h, &path).await;
    assert_eq!(status_of(token), StatusType::Invalid);
    let resp = admin("reinstate", Some(ADMIN_TOKEN)).await.unwrap();
    assert_eq!(resp.status(), 400, "revocation is final");
}

#[tokio::test]
async fn jp_achievement_credential_verifies_with_holder_binding_and_bitstring_status() {
    let h = start(Profile::Jp).await;
    let holder = signer_key();
    let body = h.issue_one("jp-grad", &holder).await;
    let vc = body["credentials"][0]["credential"].as_str().unwrap();
    let provider = kakehashi_crypto_aws_lc::provider();
    let issuer_key = h.state.identity.signer.public_jwk().clone();
    let verified = kakehashi_vc_jose::verify_vc_jwt(
        vc,
        &provider,
        &kakehashi_vc_jose::VerifyOptions::at(h.now()).with_key(&issuer_key),
    )
    .unwrap();
    assert_eq!(verified.header().typ(), Some("vc+jwt"));
    let doc = verified.credential().document().clone();
    let types = doc["type"].as_array().unwrap();
    assert!(types.iter().any(|t| t == "AchievementCredential"));
    let did = kakehashi_oid4vci::proof::did_jwk_of(holder.public_jwk());
    assert_eq!(doc["credentialSubject"]["id"], did.as_str());

    // Holder binding: a vp+jwt signed by the proof key verifies with the credential inside.
    let vp = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": did,
        "verifiableCredential": [kakehashi_vc_jose::envelope_vc_jwt(vc)]
    });
    let vp_jwt = kakehashi_vc_jose::issue_vp_jwt(
        &vp,
        &holder,
        &kakehashi_vc_jose::PresentationClaims {
            nonce: "n-1".into(),
            audience: "https://verifier.test".into(),
            issued_at: h.now(),
            expires_at: None,
        },
        serde_json::Map::new(),
    )
    .unwrap();
    let holder_key = kakehashi_oid4vci::proof::did_jwk_key(&did).unwrap();
    let presented = kakehashi_vc_jose::verify_vp_jwt(
        &vp_jwt,
        &provider,
        &kakehashi_vc_jose::VerifyOptions::at(h.now()).with_key(&holder_key),
        kakehashi_vc_jose::HolderBinding::Required {
            nonce: "n-1",
            audience: "https://verifier.test",
        },
    )
    .unwrap();
    assert_eq!(presented.credentials().len(), 1);

    // Status: revocation entry → W3C list credential; revoke via the service.
    let entries =
        kakehashi_status_list::bitstring::BitstringStatusListEntry::from_credential(&doc).unwrap();
    assert_eq!(entries.len(), 2);
    let check =
        |list_jwt: String, entry: &kakehashi_status_list::bitstring::BitstringStatusListEntry| {
            let list = kakehashi_vc_jose::verify_vc_jwt(
                &list_jwt,
                &provider,
                &kakehashi_vc_jose::VerifyOptions::at(h.now()).with_key(&issuer_key),
            )
            .unwrap();
            let cred = kakehashi_status_list::bitstring::BitstringStatusListCredential::from_json(
                &Value::Object(list.credential().document().clone()),
            )
            .unwrap();
            kakehashi_status_list::bitstring::check_status(
                entry,
                &cred,
                h.now(),
                Default::default(),
            )
            .unwrap()
            .valid
        };
    let path = |e: &kakehashi_status_list::bitstring::BitstringStatusListEntry| {
        e.status_list_credential
            .strip_prefix(ISSUER)
            .unwrap()
            .to_owned()
    };
    let (s, ct, list) = get_text(&h, &path(&entries[0])).await;
    assert_eq!((s, ct.as_str()), (200, "application/vc+jwt"));
    assert!(check(list, &entries[0]));
    let id = h
        .state
        .store
        .issued_credentials_for_subject("jp-grad")
        .await
        .unwrap()[0]
        .id
        .clone();
    kakehashi_http_issuer::suspend(&h.state, &id, "registrar")
        .await
        .unwrap();
    let (_, _, list) = get_text(&h, &path(&entries[1])).await;
    assert!(!check(list, &entries[1]), "suspended");
    kakehashi_http_issuer::reinstate(&h.state, &id, "registrar")
        .await
        .unwrap();
    let (_, _, list) = get_text(&h, &path(&entries[1])).await;
    assert!(check(list, &entries[1]), "reinstated");
    kakehashi_http_issuer::revoke(&h.state, &id, "registrar")
        .await
        .unwrap();
    let (_, _, list) = get_text(&h, &path(&entries[0])).await;
    assert!(!check(list, &entries[0]), "revoked");
}

#[tokio::test]
async fn authorization_code_flow_with_par_pkce_and_student_sign_in() {
    let h = start(Profile::Eu).await;
    upsert_graduate(
        &h.state.store,
        "s-1001",
        diploma(Profile::Eu, "EU-1001"),
        Some(Approval::Approved),
        h.now(),
    )
    .await
    .unwrap();
    let sign_in_code = set_student_sign_in_code(&h.state, "s-1001").await.unwrap();
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-0123456789";
    let challenge = pkce_s256_challenge(&kakehashi_crypto_aws_lc::provider(), verifier);
    let details =
        json!([{"type": "openid_credential", "credential_configuration_id": "eu_diploma_sd_jwt"}])
            .to_string();
    let par = kakehashi_oid4vci::form::encode(&[
        ("response_type", "code"),
        ("client_id", "wallet-client"),
        ("redirect_uri", "https://wallet.test/cb"),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
        ("authorization_details", &details),
        ("state", "xyz"),
    ]);
    let (s, v, _) = h.post_form("/par", par, None).await;
    assert_eq!(s, 201, "{v}");
    let request_uri = v["request_uri"].as_str().unwrap().to_owned();
    // Without PAR: refused.
    let (s, _, _) = get_text(&h, "/authorize?client_id=wallet-client&response_type=code").await;
    assert_eq!(s, 400);
    let q = kakehashi_oid4vci::form::encode(&[
        ("client_id", "wallet-client"),
        ("request_uri", &request_uri),
    ]);
    let (s, _, page) = get_text(&h, &format!("/authorize?{q}")).await;
    assert_eq!(s, 200);
    let login = page
        .split("name=\"login\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    // The request_uri is single use.
    let (s, _, _) = get_text(&h, &format!("/authorize?{q}")).await;
    assert_eq!(s, 400);
    // Wrong code: the form comes back with a new session.
    let form = kakehashi_oid4vci::form::encode(&[
        ("login", &login),
        ("student_id", "s-1001"),
        ("sign_in_code", "wrong"),
    ]);
    let (s, page, _) = h.post_form("/authorize", form, None).await;
    assert_eq!(s, 401);
    let page = page.as_str().unwrap().to_owned();
    let login = page
        .split("name=\"login\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let form = kakehashi_oid4vci::form::encode(&[
        ("login", &login),
        ("student_id", "s-1001"),
        ("sign_in_code", &sign_in_code),
    ]);
    let (s, _, headers) = h.post_form("/authorize", form, None).await;
    assert_eq!(s, 303);
    let location = headers["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("https://wallet.test/cb?code="));
    let (_, query) = location.split_once('?').unwrap();
    let pairs = kakehashi_oid4vci::form::decode(query).unwrap();
    assert_eq!(kakehashi_oid4vci::form::get(&pairs, "state"), Some("xyz"));
    assert_eq!(kakehashi_oid4vci::form::get(&pairs, "iss"), Some(ISSUER));
    let code = kakehashi_oid4vci::form::get(&pairs, "code")
        .unwrap()
        .to_owned();

    let wallet = Wallet::new();
    let token_form = |verifier: &str| {
        kakehashi_oid4vci::form::encode(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("code_verifier", verifier),
            ("redirect_uri", "https://wallet.test/cb"),
            ("client_id", "wallet-client"),
        ])
    };
    let dpop = wallet.dpop_for(&h, "POST", "/token", None);
    let (s, token, _) = h
        .post_form("/token", token_form(verifier), Some(dpop))
        .await;
    assert_eq!(s, 200, "{token}");
    let identifier = token["authorization_details"][0]["credential_identifiers"][0]
        .as_str()
        .unwrap()
        .to_owned();
    let access = token["access_token"].as_str().unwrap().to_owned();
    // The code is single use.
    let dpop = wallet.dpop_for(&h, "POST", "/token", None);
    let (s, v, _) = h
        .post_form("/token", token_form(verifier), Some(dpop))
        .await;
    assert_eq!((s, v["error"].as_str().unwrap()), (400, "invalid_grant"));
    // credential_identifier is required once identifiers were returned.
    let holder = signer_key();
    let (s, v) = h
        .credential(
            &wallet,
            &access,
            &[&holder],
            json!({"credential_configuration_id": "eu_diploma_sd_jwt"}),
        )
        .await;
    assert_eq!(
        (s, v["error"].as_str().unwrap()),
        (400, "invalid_credential_request")
    );
    let (s, v) = h
        .credential(
            &wallet,
            &access,
            &[&holder],
            json!({"credential_identifier": identifier}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
}

#[tokio::test]
async fn wrong_pkce_verifier_burns_the_code() {
    let h = start(Profile::Eu).await;
    upsert_graduate(
        &h.state.store,
        "s-2",
        diploma(Profile::Eu, "EU-2"),
        Some(Approval::Approved),
        h.now(),
    )
    .await
    .unwrap();
    let sign_in_code = set_student_sign_in_code(&h.state, "s-2").await.unwrap();
    let challenge = pkce_s256_challenge(&kakehashi_crypto_aws_lc::provider(), &"v".repeat(50));
    let par = kakehashi_oid4vci::form::encode(&[
        ("response_type", "code"),
        ("client_id", "c"),
        ("redirect_uri", "https://wallet.test/cb"),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
        ("scope", "diploma_eu"),
    ]);
    let (_, v, _) = h.post_form("/par", par, None).await;
    let q = kakehashi_oid4vci::form::encode(&[
        ("client_id", "c"),
        ("request_uri", v["request_uri"].as_str().unwrap()),
    ]);
    let (_, _, page) = get_text(&h, &format!("/authorize?{q}")).await;
    let login = page
        .split("name=\"login\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let form = kakehashi_oid4vci::form::encode(&[
        ("login", &login),
        ("student_id", "s-2"),
        ("sign_in_code", &sign_in_code),
    ]);
    let (_, _, headers) = h.post_form("/authorize", form, None).await;
    let location = headers["location"].to_str().unwrap().to_owned();
    let pairs = kakehashi_oid4vci::form::decode(location.split_once('?').unwrap().1).unwrap();
    let code = kakehashi_oid4vci::form::get(&pairs, "code")
        .unwrap()
        .to_owned();
    let wallet = Wallet::new();
    for verifier in ["w".repeat(50), "v".repeat(50)] {
        let form = kakehashi_oid4vci::form::encode(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("code_verifier", &verifier),
            ("redirect_uri", "https://wallet.test/cb"),
        ]);
        let dpop = wallet.dpop_for(&h, "POST", "/token", None);
        let (s, v, _) = h.post_form("/token", form, Some(dpop)).await;
        assert_eq!((s, v["error"].as_str().unwrap()), (400, "invalid_grant"));
    }
}

fn csv(rows: usize) -> String {
    let mut text = String::from(
        "family_name_ja,family_name_latn,given_name_ja,given_name_latn,birth_date,degree,title_ja,title_en,isced_field,award_date,diploma_number\n",
    );
    for i in 0..rows {
        text.push_str(&format!("山田,YAMADA,花子,HANAKO,2000-04-01,修士,修士(工学),Master of Engineering,0714,2026-03-25,M-{i:05}\n"));
    }
    text.push_str("山田,YAMADA,花子,HANAKO,2000-04-01,修士(魔法),修士(魔法),,,2026-03-25,BAD-1\n");
    text
}

#[tokio::test]
async fn bulk_csv_of_2000_rows_twice_issues_nothing_the_second_time_and_offers_redeem() {
    let h = start(Profile::Jp).await;
    let file = csv(2000);
    let parsed = kakehashi_academic::csv_import::parse(file.as_bytes(), &jp_body()).unwrap();
    assert_eq!(parsed.rows.len(), 2000);
    assert_eq!(parsed.errors.len(), 1);
    let spec = kakehashi_http_issuer::ImportSpec {
        file_hash: kakehashi_crypto_aws_lc::provider()
            .digest(kakehashi_crypto::HashAlgorithm::Sha256, file.as_bytes()),
        username: "registrar".into(),
        offer_lifetime: 3600,
    };
    let issuer = h.state.offer_issuer();
    let clock = h.state.clock.clone();
    let mut last = (0, 0);
    let first = bulk_issue(
        &h.state.store,
        &issuer,
        &parsed.rows,
        &spec,
        clock.as_ref(),
        |d, t| last = (d, t),
    )
    .await
    .unwrap();
    assert_eq!(last, (2000, 2000));
    assert_eq!((first.rows, first.issued, first.skipped), (2000, 2000, 0));
    let second = bulk_issue(
        &h.state.store,
        &issuer,
        &parsed.rows,
        &spec,
        clock.as_ref(),
        |_, _| {},
    )
    .await
    .unwrap();
    assert_eq!((second.issued, second.skipped), (0, 2000));
    // A different file with the same diplomas (re-exported): found by idempotency keys.
    let spec2 = kakehashi_http_issuer::ImportSpec {
        file_hash: vec![1; 32],
        ..spec.clone()
    };
    let third = bulk_issue(
        &h.state.store,
        &issuer,
        &parsed.rows[..10],
        &spec2,
        clock.as_ref(),
        |_, _| {},
    )
    .await
    .unwrap();
    assert_eq!((third.issued, third.skipped), (0, 10));

    // A bulk offer shown later redeems.
    let offer_id = kakehashi_http_issuer::services::bulk_offer_id(&parsed.rows[7].idempotency_key);
    let shown = kakehashi_http_issuer::show_offer(&h.state, &offer_id)
        .await
        .unwrap();
    assert!(shown.offer_uri.contains("credential_offer_uri"));
    assert!(shown.qr_svg.contains("<svg"));
    let reference = shown
        .offer_uri
        .split("offers%2F")
        .nth(1)
        .unwrap()
        .to_owned();
    let (s, _, offer) = get_text(&h, &format!("/offers/{reference}")).await;
    assert_eq!(s, 200);
    let offer: Value = serde_json::from_str(&offer).unwrap();
    let code = offer["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]["pre-authorized_code"]
        .as_str()
        .unwrap()
        .to_owned();
    let wallet = Wallet::new();
    let (s, v) = h
        .token_pre_auth(&wallet, &code, shown.tx_code.as_deref())
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, _, _) = get_text(&h, &format!("/offers/{reference}")).await;
    assert_eq!(s, 404, "a used offer link stops working");
}

#[tokio::test]
async fn an_offer_made_before_a_restart_redeems_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("issuer.sqlite");
    let clock = Arc::new(AtomicI64::new(START));
    let store = SqliteStore::open(&path).await.unwrap();
    let state = state_for(
        store,
        Profile::Eu,
        &test_kek(),
        clock.clone(),
        IssuerConfig::default(),
    )
    .await;
    upsert_graduate(
        &state.store,
        "g-restart",
        diploma(Profile::Eu, "EU-R"),
        Some(Approval::Approved),
        state.now(),
    )
    .await
    .unwrap();
    let shown = create_offer_for_graduate(&state, "g-restart", &OfferOptions::on_screen(&state))
        .await
        .unwrap();
    let kid_before = state.identity.signer.public_jwk().kid().map(str::to_owned);
    let h = serve(state, clock.clone()).await;
    drop(h);
    // Restart: reopen the file, reload the sealed key and offer secret.
    let store = SqliteStore::open(&path).await.unwrap();
    let state = state_for(
        store,
        Profile::Eu,
        &test_kek(),
        clock.clone(),
        IssuerConfig::default(),
    )
    .await;
    assert_eq!(
        state.identity.signer.public_jwk().kid().map(str::to_owned),
        kid_before
    );
    let again = kakehashi_http_issuer::show_offer(&state, &shown.offer_id)
        .await
        .unwrap();
    assert_eq!(
        again.offer_uri, shown.offer_uri,
        "codes derive from the stored secret"
    );
    let h = serve(state, clock).await;
    let code = shown
        .offer
        .grants
        .as_ref()
        .unwrap()
        .pre_authorized_code
        .as_ref()
        .unwrap()
        .pre_authorized_code
        .clone();
    let wallet = Wallet::new();
    let (s, v) = h
        .token_pre_auth(&wallet, &code, shown.tx_code.as_deref())
        .await;
    assert_eq!(s, 200, "{v}");
    let holder = signer_key();
    let (s, v) = h
        .credential(
            &wallet,
            v["access_token"].as_str().unwrap(),
            &[&holder],
            json!({"credential_configuration_id": "eu_diploma_sd_jwt"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
}

#[tokio::test]
async fn a_bulk_import_killed_half_way_resumes_without_losing_or_repeating_rows() {
    use kakehashi_storage::PortalStore as _;
    let h = start(Profile::Jp).await;
    let file = csv(300);
    let parsed = kakehashi_academic::csv_import::parse(file.as_bytes(), &jp_body()).unwrap();
    let spec = kakehashi_http_issuer::ImportSpec {
        file_hash: vec![9; 32],
        username: "registrar".into(),
        offer_lifetime: 3600,
    };
    // The process dies right after row 175 (between two saved positions: 150 and 200).
    let (store, issuer, rows, spec2, clock) = (
        h.state.store.clone(),
        h.state.offer_issuer(),
        parsed.rows.clone(),
        spec.clone(),
        h.state.clock.clone(),
    );
    let crashed = tokio::spawn(async move {
        bulk_issue(&store, &issuer, &rows, &spec2, clock.as_ref(), |done, _| {
            assert!(done != 175, "kill -9");
        })
        .await
    })
    .await;
    assert!(crashed.is_err());
    let job = h
        .state
        .store
        .import_job_by_file_hash(&spec.file_hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(job.rows_done, 150);
    let issuer = h.state.offer_issuer();
    let resumed = bulk_issue(
        &h.state.store,
        &issuer,
        &parsed.rows,
        &spec,
        h.state.clock.as_ref(),
        |_, _| {},
    )
    .await
    .unwrap();
    // Rows 151..=175 were done before the crash: found by idempotency key, not repeated.
    assert_eq!((resumed.issued, resumed.skipped), (125, 175));
    for row in &parsed.rows {
        let id = kakehashi_http_issuer::services::bulk_offer_id(&row.idempotency_key);
        h.state.store.credential_offer(&id).await.unwrap();
    }
    let job = h
        .state
        .store
        .import_job_by_file_hash(&spec.file_hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(job.rows_done, 300);
    assert!(job.finished_at.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_issuance_never_shares_a_status_index() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(AtomicI64::new(START));
    let store = SqliteStore::open(dir.path().join("issuer.sqlite"))
        .await
        .unwrap();
    let state = state_for(
        store,
        Profile::Eu,
        &test_kek(),
        clock,
        IssuerConfig::default(),
    )
    .await;
    upsert_graduate(
        &state.store,
        "g-c",
        diploma(Profile::Eu, "EU-C"),
        Some(Approval::Approved),
        state.now(),
    )
    .await
    .unwrap();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let state = state.clone();
        tasks.push(tokio::spawn(async move {
            let keys = [public_of(&signer_key()), public_of(&signer_key())];
            kakehashi_http_issuer::issue_credentials(&state, "g-c", &keys, None)
                .await
                .unwrap()
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let issued = state
        .store
        .issued_credentials_for_subject("g-c")
        .await
        .unwrap();
    assert_eq!(issued.len(), 16);
    let mut indexes: Vec<u32> = issued
        .iter()
        .map(|c| c.status.as_ref().unwrap().index)
        .collect();
    indexes.sort_unstable();
    indexes.dedup();
    assert_eq!(indexes.len(), 16, "every credential has its own index");
}
