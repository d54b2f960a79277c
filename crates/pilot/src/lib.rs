//! `kakehashi pilot`: both jurisdictions end to end, over the real protocols, in one command.
//!
//! With no configuration it creates the pilot deployment of `kakehashi serve` in a fresh data
//! directory (`kakehashi_server::deployment`): both sides' test PKIs (an EU qualified trust
//! service provider issuing seal certificates, listed in a signed test LOTL and Belgian list; a
//! Japanese accredited e-seal CA listed in a signed `JPlist`), the two verifiers'
//! mutual-recognition policies, the two fictional universities' OpenID4VCI issuers and a
//! verifier on each side, served over https on loopback with SQLite; an unlisted issuer on a
//! second port; and a holder wallet (the `kakehashi-wallet` library, the one behind
//! `kakehashi wallet` and the web wallet). Then it runs the scenarios — every credential is
//! issued over OpenID4VCI and presented over OpenID4VP `direct_post.jwt` — and reports, for
//! each, what was expected and what the verifier's result API said.
//!
//! The rejection scenarios use the wallet's `adversary` feature to send what an honest wallet
//! never sends (a forged disclosure, another session's presentation, a key-binding JWT made
//! for another verifier); the stale-list scenario gives the EU verifier a cached JPlist that
//! has since passed its `NextUpdate`, as when a refresh fails.

#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use kakehashi_core::UnixTime;
use kakehashi_crypto::SignatureAlgorithm;
use kakehashi_crypto_aws_lc::SoftwareSigner;
use kakehashi_crypto_aws_lc::sealed::KeyEncryptionKey;
use kakehashi_http_issuer::{
    IssuerConfig, IssuerIdentity, IssuerState, Profile, ensure_status_lists,
    load_or_create_offer_secret,
};
use kakehashi_http_verifier::{VerifierState, refresh_trusted_lists};
use kakehashi_server::compose::{self, PageSetup};
use kakehashi_server::deployment::{self, Deployment, KekSource};
use kakehashi_server::{Config, NodeState, Readiness, metrics::Metrics, node_router};
use kakehashi_storage::{IssuerStore as _, StorageError};
use kakehashi_storage_sqlite::SqliteStore;
use kakehashi_trust::ListAnchors;
use kakehashi_wallet::{
    Alteration, Choice, HolderId, SystemClock, Wallet, WalletConfig, WalletContext, WalletHttp,
    default_fetch_config,
};
use rustls_pki_types::PrivateKeyDer;
use rustls_pki_types::pem::PemObject as _;
use serde_json::{Value, json};

/// Why the pilot could not run (as opposed to a scenario not matching).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PilotError {
    #[error("{path}: {reason}")]
    Io { path: String, reason: String },
    #[error("world: {0}")]
    World(String),
    #[error("issuing: {0}")]
    Issue(String),
    #[error("network: {0}")]
    Net(String),
    #[error("storage: {0}")]
    Storage(#[from] StorageError),
}

impl PilotError {
    fn io(path: &Path, e: std::io::Error) -> Self {
        Self::Io {
            path: path.display().to_string(),
            reason: e.to_string(),
        }
    }
}

fn world_err(e: impl std::fmt::Display) -> PilotError {
    PilotError::World(e.to_string())
}

fn net_err(e: impl std::fmt::Display) -> PilotError {
    PilotError::Net(e.to_string())
}

/// Options of a pilot run.
#[derive(Debug, Clone)]
pub struct PilotOptions {
    /// Where the deployment, the wallet and the databases go (emptied first).
    pub data_dir: PathBuf,
}

/// One scenario's outcome.
#[derive(Debug, Clone)]
pub struct Row {
    pub scenario: &'static str,
    pub expected: &'static str,
    pub observed: String,
    pub ok: bool,
    pub millis: f64,
}

/// The whole run.
#[derive(Debug, Clone)]
pub struct PilotReport {
    pub rows: Vec<Row>,
    /// The node's public URL.
    pub registry: String,
}

impl PilotReport {
    /// True when every observation matched its expectation.
    pub fn all_ok(&self) -> bool {
        self.rows.iter().all(|r| r.ok)
    }

    /// The table printed by `kakehashi pilot`.
    pub fn table(&self) -> String {
        let w0 = self
            .rows
            .iter()
            .map(|r| r.scenario.chars().count())
            .max()
            .unwrap_or(8)
            .max(8);
        let w1 = self
            .rows
            .iter()
            .map(|r| r.expected.chars().count())
            .max()
            .unwrap_or(8)
            .max(8);
        let pad = |s: &str, w: usize| {
            let n = s.chars().count();
            format!("{s}{}", " ".repeat(w.saturating_sub(n)))
        };
        let mut out = format!(
            "{}  {}  {:>8}  observed\n",
            pad("scenario", w0),
            pad("expected", w1),
            "time"
        );
        for r in &self.rows {
            out.push_str(&format!(
                "{}  {}  {:>6.1}ms  {} {}\n",
                pad(r.scenario, w0),
                pad(r.expected, w1),
                r.millis,
                if r.ok { "OK  " } else { "DIFF" },
                r.observed
            ));
        }
        let failed = self.rows.iter().filter(|r| !r.ok).count();
        out.push_str(&format!(
            "\n{} scenarios, {} as expected, {} different\n",
            self.rows.len(),
            self.rows.len() - failed,
            failed
        ));
        out
    }

    /// The run as JSON.
    pub fn to_json(&self) -> Value {
        json!({
            "registry": self.registry,
            "all_as_expected": self.all_ok(),
            "scenarios": self.rows.iter().map(|r| json!({
                "scenario": r.scenario, "expected": r.expected, "observed": r.observed,
                "as_expected": r.ok, "millis": r.millis,
            })).collect::<Vec<_>>(),
        })
    }
}

/// The wall clock: the pilot is an edge.
#[allow(clippy::disallowed_methods)]
pub fn system_now() -> UnixTime {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    UnixTime(i64::try_from(secs).unwrap_or(i64::MAX))
}

fn no_env(_: &str) -> Option<String> {
    None
}

/// The running deployment, the wallet and an https client for the admin and verifier APIs.
struct Pilot {
    base: String,
    rogue_base: String,
    admin: String,
    http: reqwest::Client,
    wallet: Wallet<SqliteStore>,
    deployment: Deployment<SqliteStore>,
    world: PathBuf,
    now: UnixTime,
}

/// What the verifier's result API said about one session.
struct Seen {
    verified: bool,
    result: Value,
}

impl Seen {
    fn credential(&self) -> &Value {
        &self.result["result"]["credentials"][0]
    }

    fn reason(&self) -> String {
        let c = self.credential();
        match (c["check"].as_str(), c["error"].as_str()) {
            (Some(check), Some(error)) => format!("{check}: {error}"),
            _ => self.result["result"]["error"]["error_description"]
                .as_str()
                .unwrap_or("no reason given")
                .to_owned(),
        }
    }

    /// Rejected, for one of the reasons named by `any_of` (lower-case fragments).
    fn rejected_for(&self, any_of: &[&str]) -> (bool, String) {
        if self.verified {
            return (false, "ACCEPTED".into());
        }
        let reason = self.reason();
        let lower = reason.to_lowercase();
        (
            any_of.iter().any(|k| lower.contains(k)),
            format!("rejected: {reason}"),
        )
    }
}

fn eu_master(with_birth_date: bool) -> Value {
    let mut holder = json!({"family_name": {"en": "Janssens"}, "given_name": {"en": "Eva"}});
    if with_birth_date {
        holder["birth_date"] = "2001-02-03".into();
    }
    json!({
        "holder": holder,
        "awarding_body": kakehashi_http_issuer::demo::awarding_body(Profile::Eu),
        "qualification": {"title": {"en": "Master of Science in Computer Science", "nl": "Master of Science in de informatica"}, "eqf_level": 7, "isced_field": "0613"},
        "credits": {"amount": 120.0, "system": "ECTS"},
        "award_date": "2026-07-01",
        "diploma_number": format!("BL-2026-{}", random_token()),
        "thesis_title": {"en": "Bridges between wallets"}
    })
}

fn jp_master() -> Value {
    json!({
        "holder": {
            "family_name": {"ja": "山田", "ja-Kana": "ヤマダ", "ja-Latn": "YAMADA"},
            "given_name": {"ja": "花子", "ja-Kana": "ハナコ", "ja-Latn": "HANAKO"},
            "birth_date": "2000-04-01"
        },
        "awarding_body": kakehashi_http_issuer::demo::awarding_body(Profile::Jp),
        "qualification": {"title": {"ja": "修士(工学)", "en": "Master of Engineering"}, "jp_degree": "修士", "field": {"ja": "工学", "en": "Engineering"}, "isced_field": "0714"},
        "credits": {"amount": 30.0, "system": "JP-tani"},
        "award_date": "2026-03-25",
        "diploma_number": format!("修第{}号", random_token())
    })
}

fn random_token() -> String {
    let mut b = [0u8; 9];
    if aws_lc_rs::rand::fill(&mut b).is_err() {
        std::process::abort();
    }
    kakehashi_core::b64::encode(b)
}

/// A `vp_token` captured on its way out.
type Captured = Arc<std::sync::Mutex<Option<serde_json::Map<String, Value>>>>;

/// Which side's verifier.
#[derive(Clone, Copy)]
enum Side {
    Eu,
    Jp,
}

impl Side {
    fn id(self) -> &'static str {
        match self {
            Side::Eu => "eu",
            Side::Jp => "jp",
        }
    }
}

/// Runs the pilot.
pub async fn run(options: &PilotOptions) -> Result<PilotReport, PilotError> {
    let dir = &options.data_dir;
    // A fresh world every run: remove what an earlier run left.
    let node_dir = dir.join("node");
    if node_dir.exists() {
        std::fs::remove_dir_all(&node_dir).map_err(|e| PilotError::io(&node_dir, e))?;
    }
    for f in [
        "wallet.sqlite",
        "wallet.sqlite-wal",
        "wallet.sqlite-shm",
        "rogue.sqlite",
    ] {
        let _ = std::fs::remove_file(dir.join(f));
    }
    std::fs::create_dir_all(&node_dir).map_err(|e| PilotError::io(&node_dir, e))?;
    let now = system_now();

    // The node: the `kakehashi serve` deployment on a loopback port.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(net_err)?;
    listener.set_nonblocking(true).map_err(net_err)?;
    let port = listener.local_addr().map_err(net_err)?.port();
    let base = format!("https://localhost:{port}");
    let mut config = Config::test_config(&node_dir);
    config.demo_data = true;
    config.public_url = base.clone();
    let tls = deployment::demo_tls(&node_dir, &base).map_err(world_err)?;
    let ca = kakehashi_testpki::read_pem_cert(&tls.ca).map_err(world_err)?;
    let store = SqliteStore::open(&node_dir.join("kakehashi.sqlite")).await?;
    let (kek, _) = KekSource::load(&config, &no_env).map_err(world_err)?;
    let admin = deployment::admin_token(&config, &no_env).map_err(world_err)?;
    let d = deployment::build(store.clone(), &config, &kek, &admin, Some(ca.clone()), now)
        .await
        .map_err(world_err)?;
    let composed =
        compose::role_routers(store.clone(), &config, PageSetup::new(Vec::new()), Some(&d));
    let app = node_router(
        NodeState {
            store: store.clone(),
            config: Arc::new(config.clone()),
            metrics: Arc::new(Metrics::new()),
            pending: Readiness::default(),
        },
        composed.router,
    );
    let rustls = axum_server::tls_rustls::RustlsConfig::from_pem_file(&tls.chain, &tls.key)
        .await
        .map_err(net_err)?;
    tokio::spawn(kakehashi_server::serve_tls_on(
        listener,
        rustls.clone(),
        app,
    ));
    for v in &d.verifiers {
        load_lists(&v.state).await?;
    }

    // An issuer in no trusted list, on a second port: the EU university's name and VAT number
    // in a seal from a CA nobody lists.
    let rogue_listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(net_err)?;
    rogue_listener.set_nonblocking(true).map_err(net_err)?;
    let rogue_base = format!(
        "https://localhost:{}",
        rogue_listener.local_addr().map_err(net_err)?.port()
    );
    let rogue = rogue_issuer(
        &d.world,
        &dir.join("rogue.sqlite"),
        &rogue_base,
        &admin,
        now,
    )
    .await?;
    tokio::spawn(kakehashi_server::serve_tls_on(
        rogue_listener,
        rustls,
        kakehashi_http_issuer::router(rogue),
    ));

    // The holder's wallet: trusts the node's TLS CA and the pilot access CA for verifiers; it
    // takes issuers' seals as they come (the verifier is the one that decides trust).
    let wallet_store = SqliteStore::open(&dir.join("wallet.sqlite")).await?;
    let (wallet_kek, _) = KeyEncryptionKey::generate("pilot-wallet").map_err(world_err)?;
    let wallet_http =
        WalletHttp::with_tls_roots_only(default_fetch_config(), std::slice::from_ref(&ca))
            .map_err(world_err)?;
    let wallet = WalletContext::new(
        wallet_store,
        wallet_kek,
        wallet_http,
        Arc::new(SystemClock),
        WalletConfig {
            verifier_anchors: Some(vec![d.access_ca.clone()]),
            ..WalletConfig::default()
        },
    )
    .wallet(HolderId::new("student").map_err(world_err)?);
    let http = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_der(&ca).map_err(net_err)?])
        .build()
        .map_err(net_err)?;
    let mut pilot = Pilot {
        base: base.clone(),
        rogue_base,
        admin: admin.to_string(),
        http,
        wallet,
        world: d.world.clone(),
        deployment: d,
        now,
    };
    let rows = pilot.scenarios().await?;
    Ok(PilotReport {
        rows,
        registry: base,
    })
}

/// Loads a verifier's lists over https from the node (retrying while it starts).
async fn load_lists(v: &VerifierState<SqliteStore>) -> Result<(), PilotError> {
    let mut last = String::new();
    for _ in 0..50 {
        match refresh_trusted_lists(v).await {
            Ok(_) => return Ok(()),
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Err(PilotError::World(format!("trusted lists: {last}")))
}

async fn rogue_issuer(
    world: &Path,
    db: &Path,
    base: &str,
    admin: &str,
    now: UnixTime,
) -> Result<IssuerState<SqliteStore>, PilotError> {
    let w = world.to_path_buf();
    std::panic::catch_unwind(move || kakehashi_testpki::rogue_seal(&w))
        .map_err(|_| world_err("rogue seal generation failed"))?;
    let key_path = world.join("pki/rogue-seal.key.pem");
    let bytes = std::fs::read(&key_path).map_err(|e| PilotError::io(&key_path, e))?;
    let key = PrivateKeyDer::from_pem_slice(&bytes).map_err(world_err)?;
    let chain_path = world.join("chains/rogue-seal.pem");
    let chain_pem = std::fs::read(&chain_path).map_err(|e| PilotError::io(&chain_path, e))?;
    let chain = rustls_pki_types::CertificateDer::pem_slice_iter(&chain_pem)
        .map(|c| c.map(|c| c.to_vec()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(world_err)?;
    let signer = SoftwareSigner::from_pkcs8(SignatureAlgorithm::Es256, key.secret_der())
        .map_err(world_err)?
        .with_certificate_chain(chain)
        .with_kid("rogue-1");
    let store = SqliteStore::open(db).await?;
    let (kek, _) = KeyEncryptionKey::generate("pilot-rogue").map_err(world_err)?;
    let secret = load_or_create_offer_secret(&store, &kek, now)
        .await
        .map_err(world_err)?;
    let state = IssuerState::new(
        store,
        IssuerIdentity {
            credential_issuer: base.to_owned(),
            awarding_body: kakehashi_http_issuer::demo::awarding_body(Profile::Eu),
            profile: Profile::Eu,
            signer: Arc::new(signer),
        },
        IssuerConfig::default().with_admin_token(admin),
        secret,
    );
    ensure_status_lists(&state).await.map_err(world_err)?;
    Ok(state)
}

impl Pilot {
    fn issuer_base(&self, issuer: &str) -> String {
        match issuer {
            "rogue" => self.rogue_base.clone(),
            id => format!("{}/issuers/{id}", self.base),
        }
    }

    /// The registrar system's request for an offer (admin API), received by the wallet over
    /// OpenID4VCI. Returns the graduate id.
    async fn issue(&self, issuer: &str, diploma: Value) -> Result<String, PilotError> {
        let r = self
            .http
            .post(format!("{}/admin/offers", self.issuer_base(issuer)))
            .bearer_auth(&self.admin)
            .json(&json!({ "diploma": diploma }))
            .send()
            .await
            .map_err(net_err)?;
        let status = r.status();
        let offer: Value = r.json().await.map_err(net_err)?;
        if !status.is_success() {
            return Err(PilotError::Issue(format!("offer refused: {offer}")));
        }
        self.wallet
            .receive(
                offer["offer_uri"].as_str().unwrap_or_default(),
                offer["tx_code"].as_str(),
            )
            .await
            .map_err(|e| PilotError::Issue(e.to_string()))?;
        Ok(offer["graduate_id"].as_str().unwrap_or_default().to_owned())
    }

    /// A session at `side`'s verifier for its master's admission template.
    async fn ask(&self, side: Side) -> Result<Value, PilotError> {
        let r = self
            .http
            .post(format!(
                "{}/verifiers/{}/verifier/sessions",
                self.base,
                side.id()
            ))
            .json(&json!({"template": "masters-admission"}))
            .send()
            .await
            .map_err(net_err)?;
        if !r.status().is_success() {
            return Err(PilotError::Net(format!(
                "session refused: {}",
                r.text().await.unwrap_or_default()
            )));
        }
        r.json().await.map_err(net_err)
    }

    async fn seen(&self, session: &Value) -> Result<Seen, PilotError> {
        let result: Value = self
            .http
            .get(session["status_url"].as_str().unwrap_or_default())
            .send()
            .await
            .map_err(net_err)?
            .json()
            .await
            .map_err(net_err)?;
        Ok(Seen {
            verified: result["status"] == "verified",
            result,
        })
    }

    /// Asks `side`, lets the wallet prepare the consent for exactly what is asked, and presents
    /// (honestly, or with `alteration`). The verifier's result for the session.
    async fn present_to(
        &self,
        side: Side,
        alteration: Option<Alteration>,
    ) -> Result<Seen, PilotError> {
        let session = self.ask(side).await?;
        let consent = self
            .wallet
            .prepare_presentation(session["request_uri"].as_str().unwrap_or_default())
            .await
            .map_err(|e| PilotError::Net(format!("request: {e}")))?;
        let sent = match alteration {
            None => self.wallet.present(consent, Choice::Accept).await,
            Some(a) => self.wallet.present_altered(consent, a).await,
        };
        if let Err(e) = sent {
            // The verifier answered the response POST with an error: read its result anyway.
            tracing::debug!(error = %e, "presentation refused at the response endpoint");
        }
        self.seen(&session).await
    }

    /// Removes every credential from the wallet, so the next presentation uses the one
    /// received next.
    async fn forget_credentials(&self) -> Result<(), PilotError> {
        for c in self.wallet.credentials().await.map_err(world_err)? {
            self.wallet
                .delete_credential(&c.id)
                .await
                .map_err(world_err)?;
        }
        Ok(())
    }

    /// The session's presentation as sent, captured by a pass-through alteration.
    fn capture() -> (Alteration, Captured) {
        let slot = Arc::new(std::sync::Mutex::new(None));
        let s = slot.clone();
        (
            Alteration::Token(Box::new(move |token| {
                if let Ok(mut g) = s.lock() {
                    *g = Some(token.clone());
                }
            })),
            slot,
        )
    }

    async fn scenarios(&mut self) -> Result<Vec<Row>, PilotError> {
        let mut rows = Vec::new();
        // Each scenario is timed from its first request (issuing included) to its verdict.
        #[allow(clippy::disallowed_methods)] // timing scenarios at the edge
        let mut start = Instant::now();
        macro_rules! scenario {
            ($name:expr, $expected:expr, $body:expr) => {{
                let (ok, observed): (bool, String) = $body;
                rows.push(Row {
                    scenario: $name,
                    expected: $expected,
                    observed,
                    ok,
                    millis: start.elapsed().as_secs_f64() * 1000.0,
                });
                // The last scenario's reset is never read.
                #[allow(clippy::disallowed_methods, unused_assignments)]
                {
                    start = Instant::now();
                }
            }};
        }

        // 1 and 3. EU diploma to the Japanese verifier; the birth date is in the credential
        // but the request does not ask for it.
        self.issue("eu", eu_master(true)).await?;
        let eu_to_jp = self.present_to(Side::Jp, None).await?;
        scenario!(
            "EU diploma → Japanese verifier",
            "accepted, 修士相当",
            {
                let report = &eu_to_jp.credential()["report"]["report"];
                let eq = report["academic"]["japanese_equivalent"]["ja"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                let class = report["trust"]["trust_class"].as_str().unwrap_or_default();
                if eu_to_jp.verified {
                    (eq == "修士相当", format!("accepted, {eq}, {class}"))
                } else {
                    (false, format!("rejected: {}", eu_to_jp.reason()))
                }
            }
        );
        scenario!("Selective disclosure", "birth date withheld", {
            let disclosed = &eu_to_jp.credential()["disclosed_claims"];
            let leaked = eu_to_jp.result.to_string().contains("2001-02-03");
            let names = disclosed.get("family_name").is_some();
            (
                eu_to_jp.verified && names && !leaked,
                format!(
                    "disclosed: {}; birth date {}",
                    disclosed
                        .as_object()
                        .map(|m| m.keys().cloned().collect::<Vec<_>>().join(", "))
                        .unwrap_or_default(),
                    if leaked { "LEAKED" } else { "not sent" }
                ),
            )
        });

        // 2. Japanese diploma to the EU verifier.
        self.forget_credentials().await?;
        self.issue("jp", jp_master()).await?;
        let jp_to_eu = self.present_to(Side::Eu, None).await?;
        scenario!(
            "Japanese diploma → EU verifier",
            "accepted, EQF 7 (advisory)",
            {
                let report = &jp_to_eu.credential()["report"]["report"];
                let eqf = &report["academic"]["eqf"];
                let level = eqf["value"].as_u64().unwrap_or(0);
                let advisory = eqf.to_string().to_lowercase().contains("advisory");
                let class = report["trust"]["trust_class"].as_str().unwrap_or_default();
                if jp_to_eu.verified {
                    (
                        level == 7 && advisory,
                        format!(
                            "accepted, EQF {level}{}, {class}",
                            if advisory { " (advisory)" } else { "" }
                        ),
                    )
                } else {
                    (false, format!("rejected: {}", jp_to_eu.reason()))
                }
            }
        );

        // 4. A revoked diploma: the registrar revokes, the verifier reads the status list.
        self.forget_credentials().await?;
        let graduate = self.issue("eu", eu_master(false)).await?;
        let eu_issuer = self
            .deployment
            .issuers
            .iter()
            .find(|i| i.id == "eu")
            .map(|i| i.state.clone())
            .ok_or_else(|| world_err("no EU issuer"))?;
        for c in eu_issuer
            .store
            .issued_credentials_for_subject(&graduate)
            .await?
        {
            kakehashi_http_issuer::revoke(&eu_issuer, &c.id, "pilot:registrar")
                .await
                .map_err(|e| PilotError::Issue(e.to_string()))?;
        }
        // The verifier would otherwise reuse the list it fetched a moment ago for its `ttl`.
        for v in &self.deployment.verifiers {
            v.state.clear_status_cache();
        }
        let revoked = self.present_to(Side::Jp, None).await?;
        scenario!("Revoked diploma", "rejected (status)", {
            revoked.rejected_for(&["revoked", "status"])
        });

        // 5. A disclosure forged after issuance.
        self.forget_credentials().await?;
        self.issue("eu", eu_master(false)).await?;
        let forged = self
            .present_to(
                Side::Jp,
                Some(Alteration::Token(Box::new(|token| {
                    for list in token.values_mut() {
                        if let Some(arr) = list.as_array_mut() {
                            for p in arr.iter_mut() {
                                if let Some(s) = p.as_str() {
                                    *p = Value::String(tamper_disclosure(s));
                                }
                            }
                        }
                    }
                }))),
            )
            .await?;
        scenario!("Tampered disclosure", "rejected (digest)", {
            forged.rejected_for(&["disclosure", "digest", "sd_hash", "key binding"])
        });

        // 6. An issuer in no trusted list.
        self.forget_credentials().await?;
        self.issue("rogue", eu_master(false)).await?;
        let unlisted = self.present_to(Side::Jp, None).await?;
        scenario!("Issuer in no trusted list", "rejected (trust)", {
            unlisted.rejected_for(&["trust", "chain", "anchor", "issuer"])
        });

        // 7. The EU verifier's cached JPlist has passed its NextUpdate (its refresh failed).
        self.forget_credentials().await?;
        self.issue("jp", jp_master()).await?;
        let stale = self.with_stale_jplist(Side::Eu).await?;
        scenario!("Trusted list past NextUpdate", "rejected (stale list)", {
            stale.rejected_for(&["stale", "next update", "nextupdate", "expired"])
        });

        // 8. A presentation captured from one session, replayed into another.
        self.forget_credentials().await?;
        self.issue("eu", eu_master(false)).await?;
        let (capture, captured) = Self::capture();
        let first = self.present_to(Side::Jp, Some(capture)).await?;
        let old = captured.lock().ok().and_then(|g| g.clone());
        let replayed = match old {
            Some(old) if first.verified => {
                self.present_to(
                    Side::Jp,
                    Some(Alteration::Token(Box::new(move |token| *token = old))),
                )
                .await?
            }
            _ => first,
        };
        scenario!("Replayed presentation", "rejected (replay)", {
            replayed.rejected_for(&["nonce", "replay", "already"])
        });

        // 9. A key-binding JWT made for the EU verifier, sent to the Japanese one.
        let eu_client = self
            .deployment
            .verifiers
            .iter()
            .find(|v| v.id == "eu")
            .map(|v| v.state.client_id.to_string())
            .unwrap_or_default();
        let misbound = self
            .present_to(Side::Jp, Some(Alteration::Audience(eu_client)))
            .await?;
        scenario!("Key-binding JWT for another verifier", "rejected (aud)", {
            misbound.rejected_for(&["aud", "audience"])
        });
        Ok(rows)
    }

    /// Presents to `side` while its verifier holds LOTL + BE as loaded and a JPlist issued 40
    /// days ago whose NextUpdate passed an hour ago; then reloads the real lists.
    async fn with_stale_jplist(&self, side: Side) -> Result<Seen, PilotError> {
        let verifier = self
            .deployment
            .verifiers
            .iter()
            .find(|v| v.id == side.id())
            .map(|v| v.state.clone())
            .ok_or_else(|| world_err("no verifier"))?;
        let current = verifier.trust_snapshot();
        let lotl = current
            .lists
            .iter()
            .find(|l| l.territory() == "EU")
            .cloned()
            .ok_or_else(|| world_err("no LOTL loaded"))?;
        let (w, issue, next) = (
            self.world.clone(),
            self.now.saturating_sub(40 * 86_400).to_rfc3339(),
            self.now.saturating_sub(3600).to_rfc3339(),
        );
        let xml =
            std::panic::catch_unwind(move || kakehashi_testpki::republish(&w, "JP", &issue, &next))
                .map_err(|_| world_err("re-signing the stale JPlist failed"))?;
        let stale = kakehashi_trust::verify_list(
            xml.as_bytes(),
            ListAnchors::Lotl(&lotl),
            self.now.saturating_sub(7200),
        )
        .map_err(world_err)?;
        let mut lists: Vec<_> = current
            .lists
            .iter()
            .filter(|l| l.territory() != "JP")
            .cloned()
            .collect();
        lists.push(stale);
        verifier.set_trusted_lists(lists, self.now);
        let seen = self.present_to(side, None).await;
        load_lists(&verifier).await?;
        seen
    }
}

/// Replaces the first disclosure of an SD-JWT presentation with a forged one (same salt and
/// name, another value).
fn tamper_disclosure(presentation: &str) -> String {
    let mut parts: Vec<String> = presentation.split('~').map(str::to_owned).collect();
    if parts.len() > 2
        && let Ok(bytes) = kakehashi_core::b64::decode(&parts[1])
        && let Ok(mut v) = serde_json::from_slice::<Value>(&bytes)
    {
        if let Some(arr) = v.as_array_mut()
            && let Some(last) = arr.last_mut()
        {
            *last = json!({"en": "Forged"});
        }
        parts[1] = kakehashi_core::b64::encode(v.to_string());
    }
    parts.join("~")
}
