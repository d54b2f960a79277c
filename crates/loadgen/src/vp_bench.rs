//! The OpenID4VP response benchmark: N sessions created and N encrypted responses built
//! beforehand (one EU diploma received by the real wallet, presented to the Japanese verifier
//! with a fresh KB-JWT per session), then only the `direct_post.jwt` POST (the server decrypts,
//! verifies and stores the result) and the result fetch are timed. The same presentations are
//! verified in-process with `kakehashi-verify` and the verifier's own trusted-list loading, for
//! the rate HTTP is compared with.

use std::sync::Arc;
use std::time::Instant;

use kakehashi_core::UnixTime;
use kakehashi_crypto::{CryptoProvider, SignatureAlgorithm};
use kakehashi_crypto_aws_lc::SoftwareSigner;
use kakehashi_crypto_aws_lc::jwe::{self, ContentEncryption, EncryptOptions};
use kakehashi_http_issuer::Profile;
use kakehashi_http_verifier::{AccessCertificate, VerifierConfig, VerifierState};
use kakehashi_oid4vp::CredentialFormat;
use kakehashi_oid4vp::matching::HeldCredential;
use kakehashi_oid4vp::request::{
    RequestUri, RequestUriMethod, RequestUriPost, STATIC_AUDIENCE, WalletRequestContext,
    verify_request_object,
};
use kakehashi_oid4vp::response::encrypted_form;
use kakehashi_oid4vp::wallet::{PendingPresentation, WalletResponse};
use kakehashi_sd_jwt::{ClaimPath, KbJwtClaims, Limits, SdJwt, Selection};
use kakehashi_storage::WalletStore as _;
use kakehashi_storage_sqlite::SqliteStore;
use kakehashi_verify::{Fetched, Presented, VerifierContext};
use serde_json::{Map, Value, json};

use crate::node::{LoadError, Node, diploma, http_err};
use crate::stats::{Latencies, ms};

/// One prepared response.
struct Prepared {
    response_uri: String,
    form: String,
    status_url: String,
    presentation: String,
    nonce: String,
    client_id: String,
}

/// What the benchmark measured.
#[derive(Debug)]
pub struct VpReport {
    /// POST of the response (decrypt + verify + store + answer).
    pub post: Latencies,
    /// POST and the following result fetch.
    pub post_and_result: Latencies,
    /// Verified responses per second over HTTP (`concurrency` in flight).
    pub http_rate: f64,
    /// Concurrent requests in flight.
    pub concurrency: usize,
    /// In-process verifications per second on one thread.
    pub inproc_rate_1: f64,
    /// In-process verifications per second on two threads.
    pub inproc_rate_2: f64,
    /// In-process latency of one verification (1 thread).
    pub inproc: Latencies,
    /// Sessions.
    pub sessions: usize,
    /// Errors (must be zero).
    pub errors: Vec<String>,
}

fn now() -> UnixTime {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    UnixTime(i64::try_from(secs).unwrap_or(i64::MAX))
}

fn check(step: &'static str) -> impl Fn(String) -> LoadError {
    move |e| LoadError::Check(format!("{step}: {e}"))
}

/// The holder's signing key for a stored credential, opened with the wallet's KEK (the
/// wallet seals holder keys with the context `wallet/<id>`).
async fn holder_key(
    holder: &crate::node::Holder,
    key_id: &str,
) -> Result<SoftwareSigner, LoadError> {
    let record = holder
        .store
        .holder_key(key_id)
        .await
        .map_err(|e| LoadError::Check(format!("holder key: {e}")))?;
    let pkcs8 = holder
        .kek
        .open(
            &record.private_key.algorithm,
            &record.private_key.ciphertext,
            &format!("wallet/{key_id}"),
        )
        .map_err(|e| LoadError::Check(format!("holder key: {e}")))?;
    SoftwareSigner::from_pkcs8(SignatureAlgorithm::Es256, &pkcs8)
        .map_err(|e| LoadError::Check(format!("holder key: {e}")))
}

/// Fetches and checks the signed request of `request_uri` as a wallet does.
async fn fetch_request(
    node: &Node,
    request_uri: &str,
    provider: &CryptoProvider,
) -> Result<PendingPresentation, LoadError> {
    let uri = RequestUri::parse(request_uri).map_err(|e| check("request_uri")(e.to_string()))?;
    let (jwt, wallet_nonce) = match uri.request_uri_method {
        Some(RequestUriMethod::Post) => {
            let nonce = format!("n{}", request_uri.len());
            let body = RequestUriPost {
                wallet_metadata: Some(json!({
                    "vp_formats_supported": {
                        "dc+sd-jwt": {"sd-jwt_alg_values": ["ES256"], "kb-jwt_alg_values": ["ES256"]}
                    },
                    "client_id_prefixes_supported": ["x509_san_dns", "x509_hash"],
                    "request_object_signing_alg_values_supported": ["ES256"],
                    "response_types_supported": ["vp_token"]
                })),
                wallet_nonce: Some(nonce.clone()),
            }
            .to_form();
            let r = node
                .http
                .post(&uri.request_uri)
                .header("content-type", "application/x-www-form-urlencoded")
                .header("accept", "application/oauth-authz-req+jwt")
                .body(body)
                .send()
                .await
                .map_err(http_err("request object"))?;
            (r, Some(nonce))
        }
        _ => (
            node.http
                .get(&uri.request_uri)
                .header("accept", "application/oauth-authz-req+jwt")
                .send()
                .await
                .map_err(http_err("request object"))?,
            None,
        ),
    };
    if !jwt.status().is_success() {
        return Err(check("request object")(format!("HTTP {}", jwt.status())));
    }
    let jwt = jwt.text().await.map_err(http_err("request object"))?;
    let verified = verify_request_object(
        jwt.trim(),
        &WalletRequestContext {
            outer_client_id: Some(&uri.client_id),
            wallet_nonce: wallet_nonce.as_deref(),
            accepted_audiences: &[STATIC_AUDIENCE],
            now: now(),
        },
        provider,
    )
    .map_err(|e| check("request object")(e.to_string()))?;
    Ok(PendingPresentation::new(verified))
}

/// Builds the encrypted response of one session: the SD-JWT with exactly the disclosures the
/// DCQL query asks for, bound with a KB-JWT to this session's nonce and client_id.
fn respond(
    pending: PendingPresentation,
    sd: &SdJwt,
    held: &HeldCredential,
    key: &SoftwareSigner,
    provider: &CryptoProvider,
) -> Result<(String, String, String, String, String), LoadError> {
    let outcome = pending.match_credentials(std::slice::from_ref(held));
    let selection = outcome
        .default_selection(&pending.request().request().dcql_query)
        .ok_or_else(|| check("match")("the credential does not answer the query".into()))?;
    let (nonce, client_id) = {
        let (n, a) = pending.binding();
        (n.to_owned(), a.to_owned())
    };
    let mut vp_token = Map::new();
    let mut presentation = String::new();
    for (query_id, m) in &selection {
        let paths = m
            .disclosed
            .iter()
            .map(|p| {
                ClaimPath::from_json(&serde_json::to_value(p).unwrap_or(Value::Null))
                    .map_err(|e| check("present")(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let presented = sd
            .present(
                provider,
                &paths,
                Selection::WithDescendants,
                Limits::DEFAULT,
            )
            .and_then(|p| {
                p.bind(
                    provider,
                    key,
                    &KbJwtClaims {
                        audience: client_id.clone(),
                        nonce: nonce.clone(),
                        issued_at: now(),
                    },
                    Limits::DEFAULT,
                )
            })
            .map_err(|e| check("present")(e.to_string()))?
            .serialize();
        presentation = presented.clone();
        vp_token.insert(
            query_id.clone(),
            Value::Array(vec![Value::String(presented)]),
        );
    }
    match pending
        .respond(vp_token)
        .map_err(|e| check("respond")(e.to_string()))?
    {
        WalletResponse::Encrypt {
            response_uri,
            plaintext,
            recipient_jwk,
            enc,
        } => {
            let enc = ContentEncryption::from_jose(enc).map_err(|e| check("jwe")(e.to_string()))?;
            let jwe = jwe::encrypt(&plaintext, &recipient_jwk, enc, &EncryptOptions::default())
                .map_err(|e| check("jwe")(e.to_string()))?;
            Ok((
                response_uri,
                encrypted_form(&jwe),
                presentation,
                nonce,
                client_id,
            ))
        }
        WalletResponse::Form { .. } => Err(check("respond")(
            "the verifier did not ask for direct_post.jwt".into(),
        )),
    }
}

/// A verifier state like the node's Japanese verifier (reader, policy, trusted lists fetched
/// and verified the same way, EU university register), for the in-process rate.
async fn local_verifier(node: &Node) -> Result<VerifierState<SqliteStore>, LoadError> {
    let world = node.data_dir.join("demo");
    let policy_path = world.join("policy/jp-verifier.toml");
    let policy = std::fs::read_to_string(&policy_path)
        .map_err(|e| LoadError::Files(format!("{}: {e}", policy_path.display())))?;
    let policy = kakehashi_trust::RecognitionPolicy::from_toml(&policy)
        .map_err(|e| check("policy")(e.to_string()))?;
    let mut config = VerifierConfig::new(format!("{}/verifiers/jp", node.url));
    config.reader = kakehashi_academic::recognition::Reader::Japan;
    config.trusted_list_locations = ["eu-lotl.xml", "BE.xml", "JP.xml"]
        .iter()
        .map(|n| format!("{}/tsl/{n}", node.url))
        .collect();
    config.eu_university_register = vec![kakehashi_testpki::EU_UNIVERSITY_ORG_ID.into()];
    config.fetch = kakehashi_fetch::FetchConfig {
        extra_tls_roots: vec![node.tls_ca.clone()],
        ..kakehashi_fetch::FetchConfig::default()
    };
    let access = AccessCertificate::generate_self_signed("localhost")
        .map_err(|e| check("verifier")(e.to_string()))?;
    let (kek, _) = kakehashi_crypto_aws_lc::sealed::KeyEncryptionKey::generate("bench")
        .map_err(|e| check("verifier")(e.to_string()))?;
    let store = SqliteStore::open_in_memory()
        .await
        .map_err(|e| check("verifier")(e.to_string()))?;
    let state = VerifierState::new(store, config, Vec::new(), access, kek, policy, &[7u8; 32])
        .map_err(|e| check("verifier")(e.to_string()))?;
    kakehashi_http_verifier::refresh_trusted_lists(&state)
        .await
        .map_err(|e| check("trusted lists")(e.to_string()))?;
    Ok(state)
}

/// Verifies every prepared presentation in-process on `threads` threads; returns the rate
/// and the per-verification latencies.
fn verify_in_process(
    state: &VerifierState<SqliteStore>,
    fetched: &Fetched,
    prepared: &[Prepared],
    threads: usize,
) -> Result<(f64, Latencies), LoadError> {
    let snapshot = state.trust_snapshot();
    let register = state.config.eu_university_register.clone();
    let at = now();
    // The server's own cache: this measures what the server runs.
    let cache = &state.verification_cache;
    let one = |p: &Prepared| {
        let ctx = VerifierContext {
            provider: &state.provider,
            nonce: &p.nonce,
            client_id: &p.client_id,
            now: at,
            max_presentation_age: state.config.max_presentation_age,
            skew_seconds: state.config.skew_seconds,
            trusted_lists: &snapshot.lists,
            list_grace_seconds: state.config.list_grace_seconds,
            policy: &state.policy,
            reader: state.config.reader,
            overrides: None,
            type_metadata: state.type_metadata.as_ref().as_ref(),
            eu_university_register: Some(&register),
            cache: Some(cache),
        };
        kakehashi_verify::verify_presentation(
            Presented {
                format: "dc+sd-jwt",
                presentation: &p.presentation,
            },
            fetched,
            &ctx,
        )
        .map(|_| ())
        .map_err(|r| format!("{}: {}", r.error.check(), r.error))
    };
    let chunk = prepared.len().div_ceil(threads.max(1)).max(1);
    let started = Instant::now();
    let results: Vec<Result<Latencies, String>> = std::thread::scope(|s| {
        let handles: Vec<_> = prepared
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    let mut l = Latencies::default();
                    for p in part {
                        let t = Instant::now();
                        one(p)?;
                        l.push(t.elapsed());
                    }
                    Ok(l)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err("thread panicked".into())))
            .collect()
    });
    let elapsed = started.elapsed().as_secs_f64();
    let mut all = Latencies::default();
    for r in results {
        all.extend(&r.map_err(|e| check("in-process verify")(e))?);
    }
    let n = f64::from(u32::try_from(prepared.len()).unwrap_or(u32::MAX));
    Ok((n / elapsed, all))
}

/// Runs the benchmark: `sessions` responses, `concurrency` POSTs in flight.
pub async fn run(
    node: &Node,
    sessions: usize,
    concurrency: usize,
    run_id: &str,
) -> Result<VpReport, LoadError> {
    let provider = kakehashi_crypto_aws_lc::provider();
    let holder = node.wallet("bench-vp").await?;
    let (offer_uri, tx_code) = node
        .offer("eu", &diploma(Profile::Eu, &format!("BENCH-VP-{run_id}"))?)
        .await?;
    let received = holder
        .wallet
        .receive(&offer_uri, tx_code.as_deref())
        .await
        .map_err(|source| LoadError::Wallet {
            step: "receive",
            source,
        })?;
    let credential = received
        .first()
        .ok_or_else(|| check("receive")("no credential".into()))?;
    let key_id = credential
        .holder_key_id
        .as_deref()
        .ok_or_else(|| check("receive")("credential without holder key".into()))?;
    let key = holder_key(&holder, key_id).await?;
    let sd = SdJwt::parse(&credential.raw, Limits::DEFAULT)
        .map_err(|e| check("credential")(e.to_string()))?;
    let claims = sd
        .decode(&provider, Limits::DEFAULT)
        .map_err(|e| check("credential")(e.to_string()))?
        .claims()
        .clone();
    let held = HeldCredential {
        format: CredentialFormat::DcSdJwt,
        vct: claims.get("vct").and_then(Value::as_str).map(str::to_owned),
        types: vec![],
        holder_binding: claims.contains_key("cnf"),
        claims: Value::Object(claims),
        authorities: vec![],
    };

    // Prepare: sessions, request objects fetched and checked, responses built.
    let mut prepared = Vec::with_capacity(sessions);
    for _ in 0..sessions {
        let (request_uri, status_url) = node.session("jp").await?;
        let pending = fetch_request(node, &request_uri, &provider).await?;
        let (response_uri, form, presentation, nonce, client_id) =
            respond(pending, &sd, &held, &key, &provider)?;
        prepared.push(Prepared {
            response_uri,
            form,
            status_url,
            presentation,
            nonce,
            client_id,
        });
    }

    // In-process: the same presentations through kakehashi-verify, status list fetched once.
    let state = local_verifier(node).await?;
    let mut fetched = Fetched::default();
    if let Some(p) = prepared.first() {
        let needs = kakehashi_verify::plan(Presented {
            format: "dc+sd-jwt",
            presentation: &p.presentation,
        })
        .map_err(|e| check("plan")(e.to_string()))?;
        for url in needs.status_urls {
            let r = node
                .http
                .get(&url)
                .header("accept", "application/statuslist+jwt")
                .send()
                .await
                .map_err(http_err("status list"))?;
            let bytes = r.bytes().await.map_err(http_err("status list"))?;
            fetched.status_lists.insert(url, bytes.to_vec());
        }
    }
    let prepared = Arc::new(prepared);
    let (p1, s1, f1) = (prepared.clone(), state.clone(), fetched.clone());
    let (inproc_rate_1, inproc) =
        tokio::task::spawn_blocking(move || verify_in_process(&s1, &f1, &p1, 1))
            .await
            .map_err(|e| check("in-process")(e.to_string()))??;
    let (p2, s2, f2) = (prepared.clone(), state.clone(), fetched.clone());
    let (inproc_rate_2, _) =
        tokio::task::spawn_blocking(move || verify_in_process(&s2, &f2, &p2, 2))
            .await
            .map_err(|e| check("in-process")(e.to_string()))??;

    // Timed: POST every response with `concurrency` in flight, then fetch its result.
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency.max(1) {
        let (node, prepared, next) = (node.clone(), prepared.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut post = Latencies::default();
            let mut both = Latencies::default();
            let mut errors = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(p) = prepared.get(i) else { break };
                let t = Instant::now();
                let r = node
                    .http
                    .post(&p.response_uri)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(p.form.clone())
                    .send()
                    .await;
                let ok = match r {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        true
                    }
                    Ok(r) => {
                        let status = r.status();
                        errors.push(format!(
                            "response {i}: HTTP {status}: {}",
                            r.text().await.unwrap_or_default()
                        ));
                        false
                    }
                    Err(e) => {
                        errors.push(format!("response {i}: {e}"));
                        false
                    }
                };
                post.push(t.elapsed());
                if !ok {
                    continue;
                }
                match node.status(&p.status_url).await {
                    Ok((s, _)) if s == "verified" => both.push(t.elapsed()),
                    Ok((s, body)) => errors.push(format!("result {i}: {s}: {body}")),
                    Err(e) => errors.push(format!("result {i}: {e}")),
                }
            }
            (post, both, errors)
        }));
    }
    let mut report = VpReport {
        post: Latencies::default(),
        post_and_result: Latencies::default(),
        http_rate: 0.0,
        concurrency: concurrency.max(1),
        inproc_rate_1,
        inproc_rate_2,
        inproc,
        sessions,
        errors: Vec::new(),
    };
    for t in tasks {
        let (post, both, errors) = t.await.map_err(|e| check("task")(e.to_string()))?;
        report.post.extend(&post);
        report.post_and_result.extend(&both);
        report.errors.extend(errors);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let verified = f64::from(u32::try_from(report.post_and_result.len()).unwrap_or(u32::MAX));
    report.http_rate = verified / elapsed;
    Ok(report)
}

impl VpReport {
    /// Markdown.
    pub fn markdown(&self, title: &str) -> String {
        let ratio = |r: f64| {
            if r > 0.0 {
                self.http_rate / r * 100.0
            } else {
                0.0
            }
        };
        let mut s = format!(
            "#### {title}\n\n{} sessions prepared beforehand (request object fetched, SD-JWT + KB-JWT, JWE); timed: the POST (decrypt, verify, status list, store, answer) and the result GET, {} in flight.\n\n| measure | n | p50 ms | p99 ms |\n|---|---:|---:|---:|\n",
            self.sessions, self.concurrency
        );
        for (name, l) in [
            ("POST direct_post.jwt", &self.post),
            ("POST + GET result (verified)", &self.post_and_result),
            ("in-process verify (1 thread)", &self.inproc),
        ] {
            s.push_str(&format!(
                "| {name} | {} | {} | {} |\n",
                l.len(),
                ms(l.percentile(50)),
                ms(l.percentile(99))
            ));
        }
        s.push_str(&format!(
            "\n| rate | per second | HTTP as % of it |\n|---|---:|---:|\n| HTTP, verified results | {:.1} | |\n| in-process, 1 thread | {:.1} | {:.0} % |\n| in-process, 2 threads | {:.1} | {:.0} % |\n",
            self.http_rate,
            self.inproc_rate_1,
            ratio(self.inproc_rate_1),
            self.inproc_rate_2,
            ratio(self.inproc_rate_2),
        ));
        s.push_str(&format!("\nErrors: {}\n", self.errors.len()));
        for e in self.errors.iter().take(10) {
            s.push_str(&format!("- {e}\n"));
        }
        s
    }

    /// The limit: HTTP at least `fraction` of the in-process rate on as many threads as the
    /// machine has cores (2 here).
    pub fn meets(&self, fraction: f64) -> bool {
        self.errors.is_empty() && self.http_rate >= fraction * self.inproc_rate_2
    }
}
