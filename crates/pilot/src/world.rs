//! The pilot's world: both sides' test PKIs, the signed EU LOTL, the Belgian list and the
//! Japanese `JPlist` (fresh keys, dates around now), the two verifiers' recognition policies,
//! and a registry on loopback HTTP that publishes the lists and the issuers' status lists.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use kakehashi_core::UnixTime;
use kakehashi_crypto::{SignatureAlgorithm, Signer};
use kakehashi_crypto_aws_lc::SoftwareSigner;
use kakehashi_testpki::Params;
use kakehashi_trust::RecognitionPolicy;
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::PilotError;

/// Status lists the registry serves, mutable so the pilot can revoke.
#[derive(Default)]
pub struct StatusBoard {
    /// Revoked indexes on the EU issuer's Token Status List.
    pub eu_revoked: BTreeSet<u64>,
    /// Revoked indexes on the JP issuer's Bitstring Status List.
    pub jp_revoked: BTreeSet<u64>,
}

/// Everything the scenarios need.
pub struct World {
    pub dir: PathBuf,
    pub base: String,
    pub eu_seal: Arc<SoftwareSigner>,
    pub jp_seal: Arc<SoftwareSigner>,
    pub rogue_seal: Arc<SoftwareSigner>,
    pub eu_policy: RecognitionPolicy,
    pub jp_policy: RecognitionPolicy,
    pub status: Arc<Mutex<StatusBoard>>,
    /// The JPlist re-signed with a `NextUpdate` in the past.
    pub stale_jplist: Vec<u8>,
}

impl World {
    /// The LOTL location.
    pub fn lotl_url(&self) -> String {
        format!("{}/tsl/eu-lotl.xml", self.base)
    }
    /// The EU issuer's Token Status List.
    pub fn eu_status_url(&self) -> String {
        format!("{}/status/eu/1", self.base)
    }
    /// The unlisted issuer's own Token Status List.
    pub fn rogue_status_url(&self) -> String {
        format!("{}/status/rogue/1", self.base)
    }
    /// The JP issuer's Bitstring Status List credential.
    pub fn jp_status_url(&self) -> String {
        format!("{}/status/jp/1", self.base)
    }
}

fn read_chain(path: &Path) -> Result<Vec<Vec<u8>>, PilotError> {
    let bytes = std::fs::read(path).map_err(|e| PilotError::io(path, e))?;
    CertificateDer::pem_slice_iter(&bytes)
        .map(|c| c.map(|c| c.to_vec()))
        .collect::<Result<_, _>>()
        .map_err(|e| PilotError::World(format!("{}: {e}", path.display())))
}

fn read_signer(dir: &Path, name: &str, kid: &str) -> Result<Arc<SoftwareSigner>, PilotError> {
    let key_path = dir.join(format!("pki/{name}.key.pem"));
    let bytes = std::fs::read(&key_path).map_err(|e| PilotError::io(&key_path, e))?;
    let key = PrivateKeyDer::from_pem_slice(&bytes)
        .map_err(|e| PilotError::World(format!("{}: {e}", key_path.display())))?;
    let signer = SoftwareSigner::from_pkcs8(SignatureAlgorithm::Es256, key.secret_der())
        .map_err(|e| PilotError::World(format!("{name}: {e}")))?
        .with_certificate_chain(read_chain(&dir.join(format!("chains/{name}.pem")))?)
        .with_kid(kid);
    Ok(Arc::new(signer))
}

fn read_policy(dir: &Path, name: &str) -> Result<RecognitionPolicy, PilotError> {
    let path = dir.join(format!("policy/{name}.toml"));
    let text = std::fs::read_to_string(&path).map_err(|e| PilotError::io(&path, e))?;
    RecognitionPolicy::from_toml(&text)
        .map_err(|e| PilotError::World(format!("{}: {e}", path.display())))
}

/// Generates the world under `dir` for a registry reachable at `base`.
pub fn generate(dir: &Path, base: &str, now: UnixTime) -> Result<World, PilotError> {
    let params = Params {
        issue: now.saturating_sub(86_400).to_rfc3339(),
        next_update: now.saturating_add(90 * 86_400).to_rfc3339(),
        list_base: format!("{base}/tsl"),
    };
    // The generator panics only on its own defects; keep them from tearing the pilot down
    // silently.
    let (gen_dir, gen_params) = (dir.to_path_buf(), params.clone());
    std::panic::catch_unwind(move || {
        kakehashi_testpki::generate(&gen_dir, &gen_params);
        kakehashi_testpki::rogue_seal(&gen_dir);
    })
    .map_err(|_| PilotError::World("test PKI generation failed".into()))?;
    let stale = kakehashi_testpki::republish(
        dir,
        "JP",
        &now.saturating_sub(40 * 86_400).to_rfc3339(),
        &now.saturating_sub(3600).to_rfc3339(),
    );
    Ok(World {
        dir: dir.to_path_buf(),
        base: base.to_owned(),
        eu_seal: read_signer(dir, "eu-university-seal", "eu-seal-1")?,
        jp_seal: read_signer(dir, "jp-university-seal", "jp-seal-1")?,
        rogue_seal: read_signer(dir, "rogue-seal", "rogue-1")?,
        eu_policy: read_policy(dir, "eu-verifier")?,
        jp_policy: read_policy(dir, "jp-verifier")?,
        status: Arc::new(Mutex::new(StatusBoard::default())),
        stale_jplist: stale.into_bytes(),
    })
}

#[derive(Clone)]
struct RegistryState {
    dir: PathBuf,
    base: String,
    eu_seal: Arc<SoftwareSigner>,
    jp_seal: Arc<SoftwareSigner>,
    rogue_seal: Arc<SoftwareSigner>,
    status: Arc<Mutex<StatusBoard>>,
    clock: fn() -> UnixTime,
}

/// The registry: trusted lists (`/tsl/{name}.xml`) and status lists (`/status/eu/1` as
/// `statuslist+jwt`, `/status/jp/1` as a Bitstring Status List `vc+jwt`), signed on request
/// from the current revocations.
pub fn registry_router(world: &World, clock: fn() -> UnixTime) -> Router {
    let state = RegistryState {
        dir: world.dir.clone(),
        base: world.base.clone(),
        eu_seal: world.eu_seal.clone(),
        jp_seal: world.jp_seal.clone(),
        rogue_seal: world.rogue_seal.clone(),
        status: world.status.clone(),
        clock,
    };
    Router::new()
        .route("/tsl/{name}", get(list))
        .route("/status/eu/1", get(eu_status))
        .route("/status/jp/1", get(jp_status))
        .route("/status/rogue/1", get(rogue_status))
        .with_state(state)
}

async fn list(State(s): State<RegistryState>, UrlPath(name): UrlPath<String>) -> Response {
    // Only the three published lists: never a path from the request.
    let file = match name.as_str() {
        "eu-lotl.xml" | "BE.xml" | "JP.xml" => name,
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    match tokio::fs::read(s.dir.join("lists").join(file)).await {
        Ok(bytes) => (
            [(header::CONTENT_TYPE, "application/vnd.etsi.tsl+xml")],
            bytes,
        )
            .into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn eu_status(State(s): State<RegistryState>) -> Response {
    let revoked: Vec<u64> = s
        .status
        .lock()
        .map(|b| b.eu_revoked.iter().copied().collect())
        .unwrap_or_default();
    match crate::issue::token_status_list(
        s.eu_seal.as_ref(),
        &format!("{}/status/eu/1", s.base),
        &revoked,
        (s.clock)(),
    ) {
        Ok(token) => (
            [(header::CONTENT_TYPE, "application/statuslist+jwt")],
            token,
        )
            .into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

async fn jp_status(State(s): State<RegistryState>) -> Response {
    let revoked: Vec<u64> = s
        .status
        .lock()
        .map(|b| b.jp_revoked.iter().copied().collect())
        .unwrap_or_default();
    let seal: &dyn Signer = s.jp_seal.as_ref();
    match crate::issue::bitstring_status_list(
        seal,
        &format!("{}/status/jp/1", s.base),
        crate::issue::JP_ISSUER,
        &revoked,
        (s.clock)(),
    ) {
        Ok(vc) => ([(header::CONTENT_TYPE, "application/vc+jwt")], vc).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

async fn rogue_status(State(s): State<RegistryState>) -> Response {
    match crate::issue::token_status_list(
        s.rogue_seal.as_ref(),
        &format!("{}/status/rogue/1", s.base),
        &[],
        (s.clock)(),
    ) {
        Ok(token) => (
            [(header::CONTENT_TYPE, "application/statuslist+jwt")],
            token,
        )
            .into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}
