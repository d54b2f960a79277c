//! `kakehashi pilot`: both jurisdictions end to end, on loopback, in one command.
//!
//! With no configuration it creates both sides' test PKIs (an EU qualified trust service
//! provider issuing seal certificates, listed in a signed test LOTL and Belgian list; a Japanese
//! accredited e-seal CA listed in a signed `JPlist`), the two verifiers' mutual-recognition
//! policies, two fictional universities, a holder and two verifiers; publishes the lists and
//! the status lists from a registry on loopback HTTP; loads the lists over HTTP the way a
//! verifier does (LOTL pinned, pointers followed); then runs the scenarios and reports, for
//! each, what was expected and what was observed.
//!
//! Each verifier session lives in SQLite (replay is refused by the store's single-use rule),
//! every check is the production verification pipeline (`kakehashi-verify`).

#![forbid(unsafe_code)]

pub mod issue;
pub mod world;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use kakehashi_academic::model::Diploma;
use kakehashi_academic::recognition::Reader;
use kakehashi_core::UnixTime;
use kakehashi_crypto::{SignatureAlgorithm, Signer};
use kakehashi_crypto_aws_lc::SoftwareSigner;
use kakehashi_fetch::{FetchConfig, Fetcher};
use kakehashi_status_list::StatusListReference;
use kakehashi_storage::{SessionStatus, StorageError, VerifierSession, VerifierStore};
use kakehashi_storage_sqlite::SqliteStore;
use kakehashi_trust::policy::Scheme;
use kakehashi_trust::{ListAnchors, RecognitionPolicy, VerifiedTrustedList};
use kakehashi_verify::{Fetched, Presented, Verdict, VerifierContext, verify_presentation};
use serde_json::{Value, json};

use crate::world::World;

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

/// Options of a pilot run.
#[derive(Debug, Clone)]
pub struct PilotOptions {
    /// Where the world and the databases go.
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
            .map(|r| r.expected.len())
            .max()
            .unwrap_or(8)
            .max(8);
        let mut out = format!(
            "{:<w0$}  {:<w1$}  {:>8}  observed\n",
            "scenario", "expected", "time"
        );
        for r in &self.rows {
            out.push_str(&format!(
                "{:<w0$}  {:<w1$}  {:>6.1}ms  {} {}\n",
                r.scenario,
                r.expected,
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

/// A verifier on one side: its policy, its loaded lists, its session store.
struct Verifier {
    client_id: String,
    reader: Reader,
    policy: RecognitionPolicy,
    lists: Vec<VerifiedTrustedList>,
    eu_universities: Vec<String>,
}

const EU_CLIENT: &str = "x509_san_dns:admissions.brabant-leuven.example";
const JP_CLIENT: &str = "x509_san_dns:admissions.morinomiyako.example";

struct Pilot {
    world: World,
    fetcher: Fetcher,
    store: SqliteStore,
    eu: Verifier,
    jp: Verifier,
    holder: SoftwareSigner,
    now: UnixTime,
    next_index: u64,
}

/// What a scenario saw.
enum Outcome {
    Accepted(Box<Verdict>),
    Rejected(String),
}

impl Outcome {
    fn describe(&self) -> String {
        match self {
            Outcome::Accepted(_) => "accepted".into(),
            Outcome::Rejected(r) => format!("rejected: {r}"),
        }
    }
}

/// Runs the pilot.
pub async fn run(options: &PilotOptions) -> Result<PilotReport, PilotError> {
    let dir = &options.data_dir;
    std::fs::create_dir_all(dir).map_err(|e| PilotError::io(dir, e))?;
    let now = system_now();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| PilotError::Net(e.to_string()))?;
    let addr = listener
        .local_addr()
        .map_err(|e| PilotError::Net(e.to_string()))?;
    let base = format!("http://{addr}");
    let world = world::generate(&dir.join("world"), &base, now)?;
    let app = world::registry_router(&world, system_now);
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "pilot registry stopped");
        }
    });

    let fetcher = Fetcher::new(FetchConfig {
        dangerous_allow_http_loopback: true,
        ..FetchConfig::default()
    })
    .map_err(|e| PilotError::Net(e.to_string()))?;
    let eu = load_verifier(
        &fetcher,
        &world,
        world.eu_policy.clone(),
        EU_CLIENT,
        Reader::Eu,
        now,
    )
    .await?;
    let jp = load_verifier(
        &fetcher,
        &world,
        world.jp_policy.clone(),
        JP_CLIENT,
        Reader::Japan,
        now,
    )
    .await?;
    let store_path = dir.join("verifier.sqlite");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", store_path.display()));
    }
    let store = SqliteStore::open(&store_path).await?;
    let holder = SoftwareSigner::generate(SignatureAlgorithm::Es256)
        .map_err(|e| PilotError::Issue(e.to_string()))?;
    let mut pilot = Pilot {
        world,
        fetcher,
        store,
        eu,
        jp,
        holder,
        now,
        next_index: 7,
    };
    let rows = pilot.scenarios().await?;
    Ok(PilotReport {
        rows,
        registry: base,
    })
}

async fn load_verifier(
    fetcher: &Fetcher,
    world: &World,
    policy: RecognitionPolicy,
    client_id: &str,
    reader: Reader,
    now: UnixTime,
) -> Result<Verifier, PilotError> {
    let pins = policy.pins(Scheme::Eu);
    let set = kakehashi_fetch::trusted_lists::load(fetcher, &world.lotl_url(), &pins, now)
        .await
        .map_err(|e| PilotError::World(format!("trusted lists: {e}")))?;
    if let Some(f) = set.failures.first() {
        return Err(PilotError::World(format!(
            "list {} not trusted: {}",
            f.location, f.error
        )));
    }
    let mut lists = vec![set.lotl];
    lists.extend(set.lists);
    Ok(Verifier {
        client_id: client_id.into(),
        reader,
        policy,
        lists,
        eu_universities: vec![kakehashi_testpki::EU_UNIVERSITY_ORG_ID.into()],
    })
}

fn eu_master() -> Result<Diploma, PilotError> {
    serde_json::from_value(json!({
        "holder": {"family_name": {"en": "Janssens"}, "given_name": {"en": "Eva"}, "birth_date": "2001-02-03"},
        "awarding_body": {
            "legal_name": {"en": kakehashi_testpki::EU_UNIVERSITY_NAME, "nl": "Universiteit Brabant-Leuven"},
            "country": "BE",
            "legal_identifier": {"scheme": "VAT", "value": "BE0123456789"}
        },
        "qualification": {"title": {"en": "Master of Science in Computer Science", "fr": "Master en sciences informatiques"}, "eqf_level": 7, "isced_field": "0613"},
        "credits": {"amount": 120.0, "system": "ECTS"},
        "award_date": "2026-07-01",
        "diploma_number": "UTB-2026-000042",
        "thesis_title": {"en": "Bridges between wallets"}
    }))
    .map_err(|e| PilotError::Issue(e.to_string()))
}

fn jp_master() -> Result<Diploma, PilotError> {
    serde_json::from_value(json!({
        "holder": {
            "family_name": {"ja": "山田", "ja-Kana": "ヤマダ", "ja-Latn": "YAMADA"},
            "given_name": {"ja": "花子", "ja-Kana": "ハナコ", "ja-Latn": "HANAKO"}
        },
        "awarding_body": {
            "legal_name": {"ja": kakehashi_testpki::JP_UNIVERSITY_NAME_JA, "en": kakehashi_testpki::JP_UNIVERSITY_NAME_EN},
            "country": "JP",
            "legal_identifier": {"scheme": "JP-CorporateNumber", "value": kakehashi_testpki::JP_UNIVERSITY_CORPORATE_NUMBER},
            "school_code": kakehashi_testpki::JP_UNIVERSITY_SCHOOL_CODE
        },
        "qualification": {"title": {"ja": "修士(工学)", "en": "Master of Engineering"}, "jp_degree": "修士", "field": {"ja": "工学", "en": "Engineering"}, "isced_field": "0714"},
        "credits": {"amount": 30.0, "system": "JP-tani"},
        "award_date": "2026-03-25",
        "diploma_number": "修第2026-0042号"
    }))
    .map_err(|e| PilotError::Issue(e.to_string()))
}

fn random_token() -> String {
    use aws_lc_rs::rand::SecureRandom as _;
    let mut b = [0u8; 16];
    if aws_lc_rs::rand::SystemRandom::new().fill(&mut b).is_err() {
        std::process::abort();
    }
    kakehashi_core::b64::encode(b)
}

impl Pilot {
    fn index(&mut self) -> u64 {
        self.next_index += 13;
        self.next_index
    }

    fn eu_diploma(
        &mut self,
        with_birth_date: bool,
    ) -> Result<(kakehashi_sd_jwt::SdJwt, u64), PilotError> {
        let mut d = eu_master()?;
        if !with_birth_date {
            d.holder.birth_date = None;
        }
        let idx = self.index();
        let status = StatusListReference {
            idx,
            uri: self.world.eu_status_url(),
        };
        let seal = self.world.eu_seal.clone();
        Ok((
            issue::issue_eu(
                seal.as_ref(),
                &d,
                self.holder.public_jwk(),
                Some(status),
                self.now.saturating_sub(600),
            )?,
            idx,
        ))
    }

    fn jp_diploma(&mut self, seal: Arc<SoftwareSigner>) -> Result<(String, u64), PilotError> {
        let idx = self.index();
        let vc = issue::issue_jp(
            seal.as_ref(),
            &jp_master()?,
            self.holder.public_jwk(),
            &self.world.jp_status_url(),
            idx,
            self.now.saturating_sub(600),
        )?;
        Ok((vc, idx))
    }

    /// One verifier session: created, request fetched, response accepted once (the store
    /// refuses a second), then the verification pipeline.
    async fn session(
        &self,
        side: Side,
        format: &str,
        presentation: &str,
        state: &str,
        nonce: &str,
        lists: Option<&[VerifiedTrustedList]>,
    ) -> Result<Outcome, PilotError> {
        let response = json!({"vp_token": {"diploma": [presentation]}, "state": state}).to_string();
        match self.store.accept_response(state, &response, self.now).await {
            Ok(_) => {}
            Err(StorageError::AlreadyUsed { .. }) => {
                return Ok(Outcome::Rejected(
                    "response already received for this session (replay)".into(),
                ));
            }
            Err(e) => return Err(e.into()),
        }
        let v = match side {
            Side::Eu => &self.eu,
            Side::Jp => &self.jp,
        };
        let presented = Presented {
            format,
            presentation,
        };
        let needs = match kakehashi_verify::plan(presented) {
            Ok(n) => n,
            Err(e) => return Ok(Outcome::Rejected(e.to_string())),
        };
        let mut fetched = Fetched::default();
        for url in needs.status_urls {
            let doc = self
                .fetcher
                .get(&url, "application/statuslist+jwt, application/vc+jwt")
                .await
                .map_err(|e| PilotError::Net(e.to_string()))?;
            fetched.status_lists.insert(url, doc.body);
        }
        let provider = kakehashi_crypto_aws_lc::provider();
        let ctx = VerifierContext {
            provider: &provider,
            nonce,
            client_id: &v.client_id,
            now: self.now,
            max_presentation_age: 300,
            skew_seconds: 60,
            trusted_lists: lists.unwrap_or(&v.lists),
            list_grace_seconds: 0,
            policy: &v.policy,
            reader: v.reader,
            overrides: None,
            type_metadata: None,
            eu_university_register: Some(&v.eu_universities),
        };
        let outcome = match verify_presentation(presented, &fetched, &ctx) {
            Ok(verdict) => Outcome::Accepted(Box::new(verdict)),
            Err(rejection) => Outcome::Rejected(rejection.to_string()),
        };
        Ok(outcome)
    }

    async fn new_session(&self) -> Result<(String, String), PilotError> {
        let (id, state, nonce) = (random_token(), random_token(), random_token());
        let uri = format!("{}/verifier/request/{id}", self.world.base);
        let session = VerifierSession {
            id: id.clone(),
            state: state.clone(),
            nonce: nonce.clone(),
            dcql_query: json!({"credentials": [{"id": "diploma", "format": "dc+sd-jwt", "meta": {"vct_values": [kakehashi_academic::profiles::EU_DIPLOMA_VCT]}}]}),
            request_object: Some(String::new()),
            request_uri: Some(uri.clone()),
            response_mode: "direct_post".into(),
            encryption_key: None,
            status: SessionStatus::Created,
            response: None,
            result: None,
            webhook_url: None,
            created_at: self.now,
            expires_at: self.now.saturating_add(600),
        };
        self.store.insert_verifier_session(&session).await?;
        self.store.fetch_request_object(&uri, self.now).await?;
        Ok((state, nonce))
    }

    /// A fresh session at `side`'s verifier, the EU diploma presented with `pointers` and a
    /// KB-JWT made for `audience`.
    async fn present_eu_to(
        &self,
        vc: &kakehashi_sd_jwt::SdJwt,
        pointers: &[&str],
        side: Side,
        audience: &str,
    ) -> Result<Outcome, PilotError> {
        let (state, nonce) = self.new_session().await?;
        let p = issue::present_eu(vc, &self.holder, pointers, audience, &nonce, self.now)?;
        self.session(side, "dc+sd-jwt", &p, &state, &nonce, None)
            .await
    }

    /// A fresh session at `side`'s verifier (with `lists` instead of its own when given), the
    /// Japanese diploma presented as a `vp+jwt` for that verifier.
    async fn present_jp_to(
        &self,
        vc_jwt: &str,
        side: Side,
        lists: Option<&[VerifiedTrustedList]>,
    ) -> Result<Outcome, PilotError> {
        let audience = match side {
            Side::Eu => EU_CLIENT,
            Side::Jp => JP_CLIENT,
        };
        let (state, nonce) = self.new_session().await?;
        let p = issue::present_jp(vc_jwt, &self.holder, audience, &nonce, self.now)?;
        self.session(side, "jwt_vc_json", &p, &state, &nonce, lists)
            .await
    }

    async fn scenarios(&mut self) -> Result<Vec<Row>, PilotError> {
        let mut rows = Vec::new();
        macro_rules! scenario {
            ($name:expr, $expected:expr, $body:expr) => {{
                #[allow(clippy::disallowed_methods)] // timing a scenario at the edge
                let start = Instant::now();
                let (ok, observed): (bool, String) = $body;
                rows.push(Row {
                    scenario: $name,
                    expected: $expected,
                    observed,
                    ok,
                    millis: start.elapsed().as_secs_f64() * 1000.0,
                });
            }};
        }

        // 1. EU diploma to the Japanese verifier.
        let (eu_vc, _) = self.eu_diploma(true)?;
        scenario!(
            "EU diploma → Japanese verifier",
            "accepted, 修士相当",
            {
                match self
                    .present_eu_to(
                        &eu_vc,
                        &["/family_name", "/given_name"],
                        Side::Jp,
                        JP_CLIENT,
                    )
                    .await?
                {
                    Outcome::Accepted(v) => {
                        let eq = v
                            .report()
                            .academic
                            .japanese_equivalent
                            .as_ref()
                            .map(|b| b.ja.clone())
                            .unwrap_or_default();
                        let class = v.report().trust.trust_class.clone().unwrap_or_default();
                        (eq == "修士相当", format!("accepted, {eq}, {class}"))
                    }
                    o => (false, o.describe()),
                }
            }
        );

        // 2. Japanese diploma to the EU verifier.
        let jp_seal = self.world.jp_seal.clone();
        let (jp_vc, jp_idx) = self.jp_diploma(jp_seal.clone())?;
        scenario!(
            "Japanese diploma → EU verifier",
            "accepted, EQF 7 (advisory)",
            {
                match self.present_jp_to(&jp_vc, Side::Eu, None).await? {
                    Outcome::Accepted(v) => {
                        let eqf = v.report().academic.eqf.as_ref();
                        let advisory = eqf.is_some_and(|l| {
                            matches!(
                                l.basis,
                                kakehashi_academic::recognition::LevelBasis::Advisory { .. }
                            )
                        });
                        let level = eqf.map_or(0, |l| l.value);
                        let class = v.report().trust.trust_class.clone().unwrap_or_default();
                        (
                            level == 7 && advisory,
                            format!(
                                "accepted, EQF {level}{}, {class}",
                                if advisory { " (advisory)" } else { "" }
                            ),
                        )
                    }
                    o => (false, o.describe()),
                }
            }
        );

        // 3. Selective disclosure: the birth date is withheld.
        scenario!(
            "Selective disclosure: birth date withheld",
            "accepted, no birth_date",
            {
                let (state, nonce) = self.new_session().await?;
                let p = issue::present_eu(
                    &eu_vc,
                    &self.holder,
                    &["/family_name"],
                    EU_CLIENT,
                    &nonce,
                    self.now,
                )?;
                match self
                    .session(Side::Eu, "dc+sd-jwt", &p, &state, &nonce, None)
                    .await?
                {
                    Outcome::Accepted(v) => {
                        let seen = v.disclosed_claims().contains_key("birth_date");
                        let in_presentation = p.contains("2001-02-03");
                        (
                            !seen && !in_presentation,
                            format!(
                                "accepted, birth_date {}",
                                if seen || in_presentation {
                                    "VISIBLE"
                                } else {
                                    "not visible"
                                }
                            ),
                        )
                    }
                    o => (false, o.describe()),
                }
            }
        );

        // 4. Revoked diploma.
        scenario!("Revoked diploma", "rejected (status)", {
            if let Ok(mut board) = self.world.status.lock() {
                board.jp_revoked.insert(jp_idx);
            }
            let o = self.present_jp_to(&jp_vc, Side::Eu, None).await?;
            expect_rejection(&o, &["revoked", "status"])
        });

        // 5. Tampered disclosure.
        scenario!("Tampered disclosure", "rejected (digest)", {
            let (state, nonce) = self.new_session().await?;
            let p = issue::present_eu(
                &eu_vc,
                &self.holder,
                &["/family_name"],
                EU_CLIENT,
                &nonce,
                self.now,
            )?;
            let tampered = tamper_disclosure(&p);
            let o = self
                .session(Side::Eu, "dc+sd-jwt", &tampered, &state, &nonce, None)
                .await?;
            expect_rejection(&o, &["disclosure", "digest", "sd_hash", "key binding"])
        });

        // 6. Issuer in no trusted list.
        let rogue = self.world.rogue_seal.clone();
        scenario!("Issuer in no trusted list", "rejected (trust)", {
            let mut d = eu_master()?;
            d.holder.birth_date = None;
            // The unlisted issuer publishes its own, validly signed status list, so the trust
            // evaluation is what refuses it.
            let status = StatusListReference {
                idx: self.index(),
                uri: self.world.rogue_status_url(),
            };
            let vc = issue::issue_eu(
                rogue.as_ref(),
                &d,
                self.holder.public_jwk(),
                Some(status),
                self.now.saturating_sub(600),
            )?;
            let o = self
                .present_eu_to(&vc, &["/family_name"], Side::Jp, JP_CLIENT)
                .await?;
            expect_rejection(&o, &["trust", "chain", "anchor", "issuer"])
        });

        // 7. A trusted list past its NextUpdate.
        scenario!("Trusted list past NextUpdate", "rejected (stale list)", {
            let lotl = self.eu.lists.first().cloned();
            let stale = lotl.as_ref().and_then(|l| {
                kakehashi_trust::verify_list(
                    &self.world.stale_jplist,
                    ListAnchors::Lotl(l),
                    self.now.saturating_sub(7200),
                )
                .ok()
            });
            match (lotl, stale) {
                (Some(lotl), Some(stale)) => {
                    let mut lists = vec![lotl];
                    lists.extend(
                        self.eu
                            .lists
                            .iter()
                            .skip(1)
                            .filter(|l| l.territory() != "JP")
                            .cloned(),
                    );
                    lists.push(stale);
                    let (jp_vc2, _) = self.jp_diploma(jp_seal.clone())?;
                    let o = self.present_jp_to(&jp_vc2, Side::Eu, Some(&lists)).await?;
                    expect_rejection(&o, &["stale", "next update", "nextupdate", "expired"])
                }
                _ => (false, "could not prepare the stale list".into()),
            }
        });

        // 8. Replayed presentation.
        scenario!("Replayed presentation", "rejected (replay)", {
            let (state, nonce) = self.new_session().await?;
            let p = issue::present_eu(
                &eu_vc,
                &self.holder,
                &["/family_name"],
                EU_CLIENT,
                &nonce,
                self.now,
            )?;
            let first = self
                .session(Side::Eu, "dc+sd-jwt", &p, &state, &nonce, None)
                .await?;
            let second = self
                .session(Side::Eu, "dc+sd-jwt", &p, &state, &nonce, None)
                .await?;
            match first {
                Outcome::Accepted(_) => expect_rejection(&second, &["replay", "already"]),
                o => (
                    false,
                    format!("first presentation not accepted: {}", o.describe()),
                ),
            }
        });

        // 9. KB-JWT made for another verifier.
        scenario!("Key-binding JWT for another verifier", "rejected (aud)", {
            let o = self
                .present_eu_to(&eu_vc, &["/family_name"], Side::Eu, JP_CLIENT)
                .await?;
            expect_rejection(&o, &["aud", "audience"])
        });
        Ok(rows)
    }
}

#[derive(Clone, Copy)]
enum Side {
    Eu,
    Jp,
}

fn expect_rejection(o: &Outcome, any_of: &[&str]) -> (bool, String) {
    match o {
        Outcome::Accepted(_) => (false, "ACCEPTED".into()),
        Outcome::Rejected(reason) => {
            let lower = reason.to_lowercase();
            (
                any_of.iter().any(|k| lower.contains(k)),
                format!("rejected: {reason}"),
            )
        }
    }
}

/// Replaces one disclosure of a presentation with a forged one (same salt, other value).
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
