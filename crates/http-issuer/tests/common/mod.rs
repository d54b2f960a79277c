//! Test harness: the issuer router on a real port 0 with SQLite, an injectable clock, a test
//! seal certificate made with rcgen, and a wallet (DPoP and key proofs with aws-lc keys).

#![allow(clippy::unwrap_used, dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use kakehashi_academic::model::{AwardingBody, Diploma};
use kakehashi_core::UnixTime;
use kakehashi_crypto::{SignatureAlgorithm, Signer};
use kakehashi_crypto_aws_lc::SoftwareSigner;
use kakehashi_crypto_aws_lc::sealed::KeyEncryptionKey;
use kakehashi_http_issuer::{
    Approval, IssuerConfig, IssuerIdentity, IssuerState, OfferOptions, Profile,
    ensure_status_lists, load_or_create_issuer_key, load_or_create_offer_secret, router,
    upsert_graduate,
};
use kakehashi_oid4vci::dpop::{DpopClaims, create_dpop_proof};
use kakehashi_oid4vci::proof::{ProofClaims, ProofKeyReference, create_jwt_proof};
use kakehashi_storage_sqlite::SqliteStore;
use serde_json::{Value, json};

pub const ISSUER: &str = "https://issuer.test";
pub const START: i64 = 1_790_000_000;
pub const ADMIN_TOKEN: &str = "admin-token-for-tests-0123456789";

pub fn eu_body() -> AwardingBody {
    serde_json::from_value(json!({
        "legal_name": {"en": "Kakehashi Test University Leuven", "nl": "Kakehashi Testuniversiteit Leuven"},
        "country": "BE",
        "legal_identifier": {"scheme": "VAT", "value": "BE0123456789"}
    }))
    .unwrap()
}

pub fn jp_body() -> AwardingBody {
    serde_json::from_value(json!({
        "legal_name": {"ja": "国立大学法人杜の都大学", "en": "Morinomiyako National University"},
        "country": "JP",
        "legal_identifier": {"scheme": "JP-CorporateNumber", "value": "7000012050002"},
        "school_code": "F104310000013"
    }))
    .unwrap()
}

pub fn diploma(profile: Profile, number: &str) -> Diploma {
    match profile {
        Profile::Eu => serde_json::from_value(json!({
            "holder": {"family_name": {"en": "Janssens"}, "given_name": {"en": "Eva"}, "birth_date": "2000-01-15"},
            "awarding_body": eu_body(),
            "qualification": {"title": {"en": "Master of Science in Engineering"}, "eqf_level": 7, "isced_field": "0714"},
            "award_date": "2026-06-30",
            "diploma_number": number,
            "thesis_title": {"en": "Bridges between wallets"}
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

/// A self-signed test seal certificate for the key in `pkcs8`.
pub fn self_signed(pkcs8: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let der = rustls_pki_types_der(pkcs8);
    let key = rcgen::KeyPair::try_from(der.as_slice()).map_err(|e| e.to_string())?;
    let mut params =
        rcgen::CertificateParams::new(vec!["issuer.test".to_owned()]).map_err(|e| e.to_string())?;
    params
        .distinguished_name
        .push(rcgen::DnType::OrganizationName, "Kakehashi Test University");
    let cert = params.self_signed(&key).map_err(|e| e.to_string())?;
    Ok(vec![cert.der().to_vec()])
}

fn rustls_pki_types_der(pkcs8: &[u8]) -> Vec<u8> {
    pkcs8.to_vec()
}

pub struct Harness {
    pub base: String,
    pub state: IssuerState<SqliteStore>,
    pub http: reqwest::Client,
    pub clock: Arc<AtomicI64>,
    pub task: tokio::task::JoinHandle<()>,
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub async fn state_for(
    store: SqliteStore,
    profile: Profile,
    kek: &KeyEncryptionKey,
    clock: Arc<AtomicI64>,
    config: IssuerConfig,
) -> IssuerState<SqliteStore> {
    let now = UnixTime(clock.load(Ordering::SeqCst));
    let signer = load_or_create_issuer_key(&store, kek, now, self_signed)
        .await
        .unwrap();
    let secret = load_or_create_offer_secret(&store, kek, now).await.unwrap();
    let identity = IssuerIdentity {
        credential_issuer: ISSUER.into(),
        awarding_body: match profile {
            Profile::Eu => eu_body(),
            Profile::Jp => jp_body(),
        },
        profile,
        signer,
    };
    let c = clock.clone();
    let state = IssuerState::new(store, identity, config, secret)
        .with_clock(Arc::new(move || UnixTime(c.load(Ordering::SeqCst))));
    ensure_status_lists(&state).await.unwrap();
    state
}

pub fn test_kek() -> KeyEncryptionKey {
    KeyEncryptionKey::from_bytes("kek-test", &[7u8; 32]).unwrap()
}

pub async fn serve(state: IssuerState<SqliteStore>, clock: Arc<AtomicI64>) -> Harness {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = router(state.clone());
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Harness {
        base,
        state,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        clock,
        task,
    }
}

pub async fn start(profile: Profile) -> Harness {
    let store = SqliteStore::open_in_memory().await.unwrap();
    start_with(store, profile).await
}

pub async fn start_with(store: SqliteStore, profile: Profile) -> Harness {
    let clock = Arc::new(AtomicI64::new(START));
    let config = IssuerConfig::default().with_admin_token(ADMIN_TOKEN);
    let state = state_for(store, profile, &test_kek(), clock.clone(), config).await;
    serve(state, clock).await
}

pub struct Wallet {
    pub dpop: SoftwareSigner,
    pub jti: std::cell::Cell<u32>,
}

impl Wallet {
    pub fn new() -> Self {
        Self {
            dpop: SoftwareSigner::generate(SignatureAlgorithm::Es256).unwrap(),
            jti: std::cell::Cell::new(0),
        }
    }

    pub fn next_jti(&self) -> String {
        self.jti.set(self.jti.get() + 1);
        format!("jti-{}-{}", self.jti.get(), std::process::id())
    }

    pub fn dpop_for(&self, h: &Harness, method: &str, path: &str, token: Option<&str>) -> String {
        self.dpop_with(
            &self.dpop,
            h,
            method,
            &format!("{ISSUER}{path}"),
            token,
            &self.next_jti(),
        )
    }

    pub fn dpop_with(
        &self,
        key: &SoftwareSigner,
        h: &Harness,
        method: &str,
        url: &str,
        token: Option<&str>,
        jti: &str,
    ) -> String {
        create_dpop_proof(
            key,
            &DpopClaims {
                method,
                url,
                iat: h.now(),
                jti,
                nonce: None,
                access_token: token,
            },
            &kakehashi_crypto_aws_lc::provider(),
        )
        .unwrap()
    }
}

pub fn key_proof(h: &Harness, key: &SoftwareSigner, nonce: Option<&str>) -> String {
    create_jwt_proof(
        key,
        &ProofClaims {
            credential_issuer: ISSUER,
            client_id: None,
            nonce,
            iat: h.now(),
        },
        ProofKeyReference::Jwk,
    )
    .unwrap()
}

impl Harness {
    pub fn now(&self) -> UnixTime {
        UnixTime(self.clock.load(Ordering::SeqCst))
    }

    pub fn advance(&self, seconds: i64) {
        self.clock.fetch_add(seconds, Ordering::SeqCst);
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn profile(&self) -> Profile {
        self.state.identity.profile
    }

    pub fn configuration_id(&self) -> &'static str {
        self.profile().configuration_id()
    }

    /// Stores a graduate and creates an on-screen offer; returns (pre-authorized code, tx_code).
    pub async fn offer(&self, graduate: &str, approval: Approval) -> (String, Option<String>) {
        upsert_graduate(
            &self.state.store,
            graduate,
            diploma(self.profile(), graduate),
            Some(approval),
            self.now(),
        )
        .await
        .unwrap();
        let shown = kakehashi_http_issuer::create_offer_for_graduate(
            &self.state,
            graduate,
            &OfferOptions::on_screen(&self.state),
        )
        .await
        .unwrap();
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
        (code, shown.tx_code)
    }

    pub async fn post_form(
        &self,
        path: &str,
        body: String,
        dpop: Option<String>,
    ) -> (u16, Value, reqwest::header::HeaderMap) {
        let mut req = self
            .http
            .post(self.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        if let Some(d) = dpop {
            req = req.header("DPoP", d);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
            headers,
        )
    }

    pub async fn post_json(
        &self,
        path: &str,
        body: &Value,
        token: Option<&str>,
        dpop: Option<String>,
    ) -> (u16, Value) {
        let mut req = self.http.post(self.url(path)).json(body);
        if let Some(t) = token {
            req = req.header("Authorization", format!("DPoP {t}"));
        }
        if let Some(d) = dpop {
            req = req.header("DPoP", d);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// Token request with the pre-authorized code.
    pub async fn token_pre_auth(
        &self,
        wallet: &Wallet,
        code: &str,
        tx_code: Option<&str>,
    ) -> (u16, Value) {
        let mut pairs = vec![
            (
                "grant_type",
                kakehashi_oid4vci::offer::PRE_AUTHORIZED_CODE_GRANT,
            ),
            ("pre-authorized_code", code),
        ];
        if let Some(t) = tx_code {
            pairs.push(("tx_code", t));
        }
        let body = kakehashi_oid4vci::form::encode(&pairs);
        let dpop = wallet.dpop_for(self, "POST", "/token", None);
        let (s, v, _) = self.post_form("/token", body, Some(dpop)).await;
        (s, v)
    }

    pub async fn nonce(&self) -> String {
        let resp = self.http.post(self.url("/nonce")).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        let v: Value = resp.json().await.unwrap();
        v["c_nonce"].as_str().unwrap().to_owned()
    }

    /// Credential request with key proofs for `keys`.
    pub async fn credential(
        &self,
        wallet: &Wallet,
        token: &str,
        keys: &[&SoftwareSigner],
        target: Value,
    ) -> (u16, Value) {
        let nonce = self.nonce().await;
        let proofs: Vec<String> = keys
            .iter()
            .map(|k| key_proof(self, k, Some(&nonce)))
            .collect();
        let mut body = target;
        body["proofs"] = json!({"jwt": proofs});
        let dpop = wallet.dpop_for(self, "POST", "/credential", Some(token));
        self.post_json("/credential", &body, Some(token), Some(dpop))
            .await
    }

    /// Offer → token → one credential, the happy path.
    pub async fn issue_one(&self, graduate: &str, holder: &SoftwareSigner) -> Value {
        let (code, tx) = self.offer(graduate, Approval::Approved).await;
        let wallet = Wallet::new();
        let (s, token) = self.token_pre_auth(&wallet, &code, tx.as_deref()).await;
        assert_eq!(s, 200, "{token}");
        let token = token["access_token"].as_str().unwrap().to_owned();
        let (s, body) = self
            .credential(
                &wallet,
                &token,
                &[holder],
                json!({"credential_configuration_id": self.configuration_id()}),
            )
            .await;
        assert_eq!(s, 200, "{body}");
        body
    }
}

pub fn signer_key() -> SoftwareSigner {
    SoftwareSigner::generate(SignatureAlgorithm::Es256).unwrap()
}

pub fn public_of(s: &SoftwareSigner) -> kakehashi_crypto::PublicJwk {
    s.public_jwk().clone()
}
