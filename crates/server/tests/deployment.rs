//! A whole demo node over https on loopback, driven by the real wallet library: the EU
//! university issues over OpenID4VCI, the Japanese verifier asks over OpenID4VP and reads the
//! recognition report; then the node is stopped mid-flow (an offer made, a request fetched and
//! consented to) and restarted on the same data, and the flow completes.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use kakehashi_crypto_aws_lc::sealed::KeyEncryptionKey;
use kakehashi_http_issuer::Profile;
use kakehashi_server::Config;
use kakehashi_server::node::{Started, start};
use kakehashi_storage_sqlite::SqliteStore;
use kakehashi_wallet::{
    Choice, HolderId, SystemClock, Wallet, WalletConfig, WalletContext, WalletHttp,
    default_fetch_config,
};
use serde_json::{Value, json};

fn env(key: &str) -> Option<String> {
    (key == "KAKEHASHI_DEMO_PASSWORD").then(|| "correct horse battery staple".to_owned())
}

async fn boot(dir: &Path, port: u16) -> Started {
    let mut config = Config::test_config(dir);
    config.demo_data = true;
    config.listen = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let started = start(config, &env).await.expect("node starts");
    for _ in 0..200 {
        if started.ready.reason().is_none() {
            return started;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("not ready: {:?}", started.ready.reason());
}

fn stop(started: Started) {
    started.server.abort();
    for t in started.background {
        t.abort();
    }
}

fn pem_der(path: &Path) -> Vec<u8> {
    kakehashi_testpki::read_pem_cert(path).unwrap()
}

struct Client {
    http: reqwest::Client,
    base: String,
    admin: String,
}

impl Client {
    fn new(dir: &Path, base: &str) -> Self {
        let ca = reqwest::Certificate::from_der(&pem_der(&dir.join("demo/tls/ca.pem"))).unwrap();
        Self {
            http: reqwest::Client::builder()
                .tls_certs_only([ca])
                .build()
                .unwrap(),
            base: base.to_owned(),
            admin: std::fs::read_to_string(kakehashi_server::deployment::admin_token_path(dir))
                .unwrap(),
        }
    }

    async fn offer(&self, issuer: &str, graduate: &str) -> Value {
        let r = self
            .http
            .post(format!("{}/issuers/{issuer}/admin/offers", self.base))
            .bearer_auth(self.admin.trim())
            .json(&json!({ "graduate_id": graduate }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{:?}", r.text().await);
        r.json().await.unwrap()
    }

    async fn session(&self, verifier: &str, template: &str) -> Value {
        let r = self
            .http
            .post(format!(
                "{}/verifiers/{verifier}/verifier/sessions",
                self.base
            ))
            .json(&json!({ "template": template }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{:?}", r.text().await);
        r.json().await.unwrap()
    }

    async fn result(&self, session: &Value) -> Value {
        let url = session["status_url"].as_str().unwrap();
        self.http
            .get(url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

async fn wallet(dir: &Path, world: &Path) -> Wallet<SqliteStore> {
    let store = SqliteStore::open(&dir.join("wallet.sqlite")).await.unwrap();
    let (kek, _) = KeyEncryptionKey::generate("test").unwrap();
    let http = WalletHttp::with_tls_roots_only(
        default_fetch_config(),
        &[pem_der(&world.join("tls/ca.pem"))],
    )
    .unwrap();
    let config = WalletConfig {
        verifier_anchors: Some(vec![pem_der(&world.join("pki/access-ca.pem"))]),
        ..WalletConfig::default()
    };
    WalletContext::new(store, kek, http, Arc::new(SystemClock), config)
        .wallet(HolderId::new("student").unwrap())
}

fn graduate_id(profile: Profile, number: &str) -> String {
    kakehashi_academic::csv_import::idempotency_key(
        &kakehashi_http_issuer::demo::awarding_body(profile),
        number,
    )
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kakehashi-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eu_diploma_to_the_japanese_verifier_and_a_restart_mid_flow() {
    let dir = temp_dir("deployment");
    let node = dir.join("node");
    let first = boot(&node, 0).await;
    let base = first.public_url.clone();
    let port: u16 = base.rsplit(':').next().unwrap().parse().unwrap();
    assert!(base.starts_with("https://localhost:"), "{base}");
    let client = Client::new(&node, &base);
    let holder = wallet(&dir, &node.join("demo")).await;

    // The registrar system asks the EU university for an offer; the student receives it.
    let offer = client
        .offer("eu", &graduate_id(Profile::Eu, "BL-2026-00417"))
        .await;
    let received = holder
        .receive(
            offer["offer_uri"].as_str().unwrap(),
            offer["tx_code"].as_str(),
        )
        .await
        .unwrap();
    assert!(!received.is_empty());

    // The Japanese admissions office asks; the student consents; the office reads 修士相当.
    let session = client.session("jp", "masters-admission").await;
    let consent = holder
        .prepare_presentation(session["request_uri"].as_str().unwrap())
        .await
        .unwrap();
    let listed = serde_json::to_string(&consent).unwrap();
    assert!(listed.contains("Morinomiyako"), "verifier named: {listed}");
    let outcome = holder.present(consent, Choice::Accept).await.unwrap();
    assert!(outcome.presented);
    let result = client.result(&session).await;
    assert_eq!(result["status"], "verified", "{result:#}");
    assert!(result.to_string().contains("修士相当"), "{result:#}");
    assert!(
        !result.to_string().contains("2001-05-14"),
        "birth date withheld"
    );

    // Mid-flow: an offer made and a request consented to, then the node stops.
    let pending_offer = client
        .offer("eu", &graduate_id(Profile::Eu, "BL-2025-01988"))
        .await;
    let session2 = client.session("jp", "masters-admission").await;
    let consent2 = holder
        .prepare_presentation(session2["request_uri"].as_str().unwrap())
        .await
        .unwrap();
    stop(first);
    tokio::time::sleep(Duration::from_millis(300)).await;

    let second = boot(&node, port).await;
    assert_eq!(second.public_url, base);
    let outcome2 = holder.present(consent2, Choice::Accept).await.unwrap();
    assert!(outcome2.presented);
    let result2 = client.result(&session2).await;
    assert_eq!(result2["status"], "verified", "{result2:#}");
    let more = holder
        .receive(
            pending_offer["offer_uri"].as_str().unwrap(),
            pending_offer["tx_code"].as_str(),
        )
        .await
        .unwrap();
    assert!(
        !more.is_empty(),
        "the offer made before the restart still works"
    );
    // And the first credential is still presentable after the restart (same seal key).
    let session3 = client.session("jp", "masters-admission").await;
    let consent3 = holder
        .prepare_presentation(session3["request_uri"].as_str().unwrap())
        .await
        .unwrap();
    holder.present(consent3, Choice::Accept).await.unwrap();
    assert_eq!(client.result(&session3).await["status"], "verified");

    // Admin API: refused without the token.
    let refused = reqwest::Client::builder()
        .tls_certs_only([
            reqwest::Certificate::from_der(&pem_der(&node.join("demo/tls/ca.pem"))).unwrap(),
        ])
        .build()
        .unwrap()
        .post(format!("{base}/issuers/eu/admin/offers"))
        .json(&json!({"graduate_id": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    stop(second);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn japanese_diploma_to_the_eu_verifier_reads_eqf_7_advisory() {
    let dir = temp_dir("deployment-jp");
    let node = dir.join("node");
    let started = boot(&node, 0).await;
    let client = Client::new(&node, &started.public_url);
    // The registry pages show the lists the EU verifier loaded (LOTL first, then BE and JP),
    // and the node is ready while none of them is past its NextUpdate.
    let get = |path: &str| {
        let request = client.http.get(format!("{}{path}", started.public_url));
        async move {
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };
    let mut registry = String::new();
    for _ in 0..50 {
        registry = get("/registry").await.1;
        if registry.contains("JP list, sequence") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (lotl, be, jp) = (
        registry.find("List of trusted lists"),
        registry.find("BE list, sequence"),
        registry.find("JP list, sequence"),
    );
    assert!(
        lotl.is_some() && lotl < be && be.is_some() && jp.is_some(),
        "{registry}"
    );
    assert_eq!(get("/readyz").await, (200, "ready".to_owned()));
    let holder = wallet(&dir, &node.join("demo")).await;
    let offer = client
        .offer("jp", &graduate_id(Profile::Jp, "修第1234号"))
        .await;
    holder
        .receive(
            offer["offer_uri"].as_str().unwrap(),
            offer["tx_code"].as_str(),
        )
        .await
        .unwrap();
    let session = client.session("eu", "masters-admission").await;
    let consent = holder
        .prepare_presentation(session["request_uri"].as_str().unwrap())
        .await
        .unwrap();
    holder.present(consent, Choice::Accept).await.unwrap();
    let result = client.result(&session).await;
    assert_eq!(result["status"], "verified", "{result:#}");
    let text = result.to_string();
    assert!(text.contains("EQF"), "{result:#}");
    stop(started);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Two nodes on one PostgreSQL behind one public URL (as behind a load balancer): an offer
/// made on node B is redeemed through node A, a verifier session created on B is answered
/// through A, and B reads the verified result. No flow state lives only in one process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_on_one_postgres_share_every_flow() {
    let Ok(url) = std::env::var("KAKEHASHI_TEST_DATABASE_URL") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the PostgreSQL tests: use scripts/test (scripts/pg start)"
        );
        eprintln!("skipped: needs KAKEHASHI_TEST_DATABASE_URL (scripts/pg start)");
        return;
    };
    let dir = temp_dir("two-nodes");
    let node_dir = dir.join("node");
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port_a = free.local_addr().unwrap().port();
    drop(free);
    let public = format!("https://localhost:{port_a}");
    let node = |port: u16| {
        let mut config = Config::test_config(&node_dir);
        config.demo_data = true;
        config.database_url = Some(url.clone());
        config.public_url = public.clone();
        config.listen = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        config
    };
    let wait = |started: Started| async move {
        for _ in 0..200 {
            if started.ready.reason().is_none() {
                return started;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("not ready: {:?}", started.ready.reason());
    };
    let a = wait(start(node(port_a), &env).await.unwrap()).await;
    // B announces the shared public URL; the test reaches it directly on its own port.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port_b = free.local_addr().unwrap().port();
    drop(free);
    let b = wait(start(node(port_b), &env).await.unwrap()).await;
    let via_b = Client::new(&node_dir, &format!("https://localhost:{port_b}"));
    let holder = wallet(&dir, &node_dir.join("demo")).await;

    let offer = via_b
        .offer("jp", &graduate_id(Profile::Jp, "修第1234号"))
        .await;
    holder
        .receive(
            offer["offer_uri"].as_str().unwrap(),
            offer["tx_code"].as_str(),
        )
        .await
        .expect("an offer made on B is redeemed through A");
    let session = via_b.session("eu", "masters-admission").await;
    assert!(
        session["request_uri"]
            .as_str()
            .unwrap()
            .contains(&format!("localhost%3A{port_a}")),
        "the wallet is sent to the public URL: {session}"
    );
    let consent = holder
        .prepare_presentation(session["request_uri"].as_str().unwrap())
        .await
        .unwrap();
    holder.present(consent, Choice::Accept).await.unwrap();
    let on_b = session["status_url"].as_str().unwrap().replace(
        &format!("localhost:{port_a}"),
        &format!("localhost:{port_b}"),
    );
    let result: Value = via_b
        .http
        .get(on_b)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(result["status"], "verified", "{result:#}");
    stop(a);
    stop(b);
    let _ = std::fs::remove_dir_all(&dir);
}
