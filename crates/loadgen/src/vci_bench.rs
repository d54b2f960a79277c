//! The OpenID4VCI credential endpoint benchmark: N offers redeemed beforehand (token with DPoP,
//! `c_nonce`, a JWT key proof and the resource DPoP proof built per request), then only the
//! `POST /credential` (token and DPoP checks, proof check, nonce use, status index, signing,
//! storage) is timed. The client side uses the pure `kakehashi-oid4vci` wallet state machine.

use std::sync::Arc;
use std::time::Instant;

use kakehashi_core::UnixTime;
use kakehashi_crypto::{CryptoProvider, SignatureAlgorithm};
use kakehashi_crypto_aws_lc::SoftwareSigner;
use kakehashi_http_issuer::Profile;
use kakehashi_oid4vci::credential::{CredentialResponse, NonceResponse};
use kakehashi_oid4vci::dpop::{DpopClaims, create_dpop_proof};
use kakehashi_oid4vci::metadata::{
    AuthorizationServerMetadata, CredentialIssuerMetadata, WELL_KNOWN_AS,
};
use kakehashi_oid4vci::oauth::TokenResponse;
use kakehashi_oid4vci::offer::{CredentialOffer, CredentialOfferRequest};
use kakehashi_oid4vci::proof::{ProofClaims, ProofKeyReference, create_jwt_proof};
use kakehashi_oid4vci::wallet::OfferReceived;

use crate::node::{LoadError, Node, diploma, http_err};
use crate::stats::{Latencies, ms};

/// One prepared credential request.
struct Prepared {
    url: String,
    authorization: String,
    dpop: String,
    body: String,
}

/// What the benchmark measured.
#[derive(Debug)]
pub struct VciReport {
    /// `POST /credential` latencies.
    pub post: Latencies,
    /// Credentials issued per second (`concurrency` in flight).
    pub rate: f64,
    /// Requests in flight.
    pub concurrency: usize,
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

fn jti(i: usize, what: &str, run_id: &str) -> String {
    format!("{run_id}-{what}-{i}")
}

/// `https://host/path` → `https://host/.well-known/oauth-authorization-server/path`.
fn as_metadata_url(issuer: &str) -> Option<String> {
    let rest = issuer.strip_prefix("https://")?;
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let path = path.trim_end_matches('/');
    Some(if path.is_empty() {
        format!("https://{host}{WELL_KNOWN_AS}")
    } else {
        format!("https://{host}{WELL_KNOWN_AS}/{path}")
    })
}

async fn get_json(node: &Node, url: &str, step: &'static str) -> Result<Vec<u8>, LoadError> {
    let r = node
        .http
        .get(url)
        .header("accept", "application/json")
        .send()
        .await
        .map_err(http_err(step))?;
    if !r.status().is_success() {
        return Err(check(step)(format!("HTTP {}", r.status())));
    }
    Ok(r.bytes().await.map_err(http_err(step))?.to_vec())
}

/// The issuer's and its authorization server's metadata, found from an offer as a wallet does.
async fn fetch_metadata(
    node: &Node,
    offer: &CredentialOffer,
) -> Result<(CredentialIssuerMetadata, AuthorizationServerMetadata), LoadError> {
    let received = OfferReceived::new(offer.clone());
    let url = received
        .metadata_url()
        .ok_or_else(|| check("issuer metadata")("not https".into()))?;
    let issuer = CredentialIssuerMetadata::parse(&get_json(node, &url, "issuer metadata").await?)
        .map_err(|e| check("issuer metadata")(e.to_string()))?;
    let as_url = as_metadata_url(&received.authorization_server(&issuer))
        .ok_or_else(|| check("AS metadata")("not https".into()))?;
    let server = AuthorizationServerMetadata::parse(&get_json(node, &as_url, "AS metadata").await?)
        .map_err(|e| check("AS metadata")(e.to_string()))?;
    Ok((issuer, server))
}

/// Redeems one offer up to a ready credential request.
async fn prepare(
    node: &Node,
    offer: CredentialOffer,
    tx_code: Option<&str>,
    metadata: &(CredentialIssuerMetadata, AuthorizationServerMetadata),
    i: usize,
    run_id: &str,
    provider: &CryptoProvider,
) -> Result<Prepared, LoadError> {
    let fetched = OfferReceived::new(offer)
        .metadata_fetched(metadata.0.clone(), metadata.1.clone())
        .map_err(|e| check("metadata")(e.to_string()))?;
    let anonymous = fetched
        .authorization_server()
        .pre_authorized_grant_anonymous_access_supported
        == Some(true);
    let client_id = (!anonymous).then(|| kakehashi_wallet::WalletConfig::default().client_id);
    let request = fetched
        .pre_authorized_token_request(tx_code, client_id.as_deref())
        .map_err(|e| check("token request")(e.to_string()))?;
    let dpop_key = SoftwareSigner::generate(SignatureAlgorithm::Es256)
        .map_err(|e| check("dpop key")(e.to_string()))?;
    let token_url = fetched.authorization_server().token_endpoint.clone();
    let dpop = |url: &str, what: &str, access_token: Option<&str>| {
        create_dpop_proof(
            &dpop_key,
            &DpopClaims {
                method: "POST",
                url,
                iat: now(),
                jti: &jti(i, what, run_id),
                nonce: None,
                access_token,
            },
            provider,
        )
        .map_err(|e| check("dpop")(e.to_string()))
    };
    let r = node
        .http
        .post(&token_url)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("dpop", dpop(&token_url, "token", None)?)
        .body(request.to_form())
        .send()
        .await
        .map_err(http_err("token"))?;
    let status = r.status();
    let body = r.bytes().await.map_err(http_err("token"))?;
    if !status.is_success() {
        return Err(check("token")(format!(
            "HTTP {status}: {}",
            String::from_utf8_lossy(&body)
        )));
    }
    let token = TokenResponse::parse(&body).map_err(|e| check("token")(e.to_string()))?;
    let token = fetched
        .token_received(token, now())
        .map_err(|e| check("token")(e.to_string()))?;
    let issuer = token.issuer().clone();
    let nonce_url = issuer
        .nonce_endpoint
        .clone()
        .ok_or_else(|| check("nonce")("no nonce endpoint".into()))?;
    let r = node
        .http
        .post(&nonce_url)
        .send()
        .await
        .map_err(http_err("nonce"))?;
    let nonce: NonceResponse = serde_json::from_slice(&r.bytes().await.map_err(http_err("nonce"))?)
        .map_err(|e| check("nonce")(e.to_string()))?;
    let token = token.nonce_received(nonce);
    let target = token
        .targets()
        .first()
        .cloned()
        .ok_or_else(|| check("token")("no credential target".into()))?;
    let key = SoftwareSigner::generate(SignatureAlgorithm::Es256)
        .map_err(|e| check("proof key")(e.to_string()))?;
    let at = now();
    let proof = create_jwt_proof(
        &key,
        &ProofClaims {
            credential_issuer: &issuer.credential_issuer,
            client_id: client_id.as_deref(),
            nonce: token.c_nonce(),
            iat: at,
        },
        ProofKeyReference::Jwk,
    )
    .map_err(|e| check("proof")(e.to_string()))?;
    let request = token
        .credential_request(&target, vec![proof], at)
        .map_err(|e| check("credential request")(e.to_string()))?;
    let url = issuer.credential_endpoint.clone();
    let scheme = if token.is_dpop() { "DPoP" } else { "Bearer" };
    Ok(Prepared {
        dpop: dpop(&url, "credential", Some(token.access_token()))?,
        authorization: format!("{scheme} {}", token.access_token()),
        body: request.to_json().to_string(),
        url,
    })
}

/// Runs the benchmark on the EU issuer (SD-JWT VC): `requests` credentials, `concurrency` in
/// flight.
pub async fn run(
    node: &Node,
    requests: usize,
    concurrency: usize,
    run_id: &str,
) -> Result<VciReport, LoadError> {
    let provider = kakehashi_crypto_aws_lc::provider();
    let mut metadata: Option<(CredentialIssuerMetadata, AuthorizationServerMetadata)> = None;
    let mut prepared = Vec::with_capacity(requests);
    for i in 0..requests {
        let (offer_uri, tx_code) = node
            .offer(
                "eu",
                &diploma(Profile::Eu, &format!("BENCH-VCI-{run_id}-{i}"))?,
            )
            .await?;
        let offer = match CredentialOfferRequest::parse_uri(&offer_uri)
            .map_err(|e| check("offer")(e.to_string()))?
        {
            CredentialOfferRequest::ByValue(o) => *o,
            CredentialOfferRequest::ByReference(_) => {
                return Err(check("offer")("expected an offer by value".into()));
            }
        };
        // The metadata is the same for every offer of the issuer: fetched once.
        let metadata = match &metadata {
            Some(m) => m,
            None => metadata.insert(fetch_metadata(node, &offer).await?),
        };
        prepared.push(
            prepare(
                node,
                offer,
                tx_code.as_deref(),
                metadata,
                i,
                run_id,
                &provider,
            )
            .await?,
        );
    }

    let prepared = Arc::new(prepared);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency.max(1) {
        let (node, prepared, next) = (node.clone(), prepared.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut post = Latencies::default();
            let mut errors = Vec::new();
            let mut issued = 0usize;
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(p) = prepared.get(i) else { break };
                let t = Instant::now();
                let r = node
                    .http
                    .post(&p.url)
                    .header("content-type", "application/json")
                    .header("authorization", &p.authorization)
                    .header("dpop", &p.dpop)
                    .body(p.body.clone())
                    .send()
                    .await;
                let outcome = match r {
                    Ok(r) => {
                        let status = r.status();
                        match r.bytes().await {
                            Ok(b) if status.as_u16() == 200 => Ok(b),
                            Ok(b) => Err(format!("HTTP {status}: {}", String::from_utf8_lossy(&b))),
                            Err(e) => Err(e.to_string()),
                        }
                    }
                    Err(e) => Err(e.to_string()),
                };
                post.push(t.elapsed());
                match outcome.and_then(|b| CredentialResponse::parse(&b).map_err(|e| e.to_string()))
                {
                    Ok(c) if c.credentials.as_ref().is_some_and(|l| !l.is_empty()) => {
                        issued += 1;
                    }
                    Ok(_) => errors.push(format!("credential {i}: no credential in the answer")),
                    Err(e) => errors.push(format!("credential {i}: {e}")),
                }
            }
            (post, errors, issued)
        }));
    }
    let mut report = VciReport {
        post: Latencies::default(),
        rate: 0.0,
        concurrency: concurrency.max(1),
        errors: Vec::new(),
    };
    let mut issued = 0usize;
    for t in tasks {
        let (post, errors, n) = t.await.map_err(|e| check("task")(e.to_string()))?;
        report.post.extend(&post);
        report.errors.extend(errors);
        issued += n;
    }
    let elapsed = started.elapsed().as_secs_f64();
    report.rate = f64::from(u32::try_from(issued).unwrap_or(u32::MAX)) / elapsed;
    Ok(report)
}

impl VciReport {
    /// Markdown.
    pub fn markdown(&self, title: &str) -> String {
        let mut s = format!(
            "#### {title}\n\nOffers redeemed beforehand (token with DPoP, c_nonce, key proof, resource DPoP proof); timed: POST /credential only (EU issuer, SD-JWT VC, one key proof), {} in flight.\n\n| measure | n | p50 ms | p99 ms | credentials/s |\n|---|---:|---:|---:|---:|\n| POST /credential | {} | {} | {} | {:.1} |\n",
            self.concurrency,
            self.post.len(),
            ms(self.post.percentile(50)),
            ms(self.post.percentile(99)),
            self.rate,
        );
        s.push_str(&format!("\nErrors: {}\n", self.errors.len()));
        for e in self.errors.iter().take(10) {
            s.push_str(&format!("- {e}\n"));
        }
        s
    }
}
