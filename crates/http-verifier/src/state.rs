//! [`VerifierState`]: the store, the verifier's identity (access certificate, client_id),
//! request templates, loaded trusted lists, status-list cache, clock and configuration.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};

use aws_lc_rs::hmac;
use aws_lc_rs::rand::{SecureRandom as _, SystemRandom};
use kakehashi_academic::recognition::Reader;
use kakehashi_core::{UnixTime, b64};
use kakehashi_crypto::{CryptoProvider, SignatureAlgorithm, Signer};
use kakehashi_crypto_aws_lc::SoftwareSigner;
use kakehashi_crypto_aws_lc::sealed::KeyEncryptionKey;
use kakehashi_fetch::{FetchConfig, Fetcher};
use kakehashi_oid4vp::DcqlQuery;
use kakehashi_oid4vp::request::ClientId;
use kakehashi_report_pdf::PdfFont;
use kakehashi_sd_jwt::type_metadata::{ResolvedTypeMetadata, TypeMetadata};
use kakehashi_trust::{RecognitionPolicy, VerifiedTrustedList};

use crate::VerifierError;

/// Default IPAex Gothic location (Debian `fonts-ipaexfont-gothic`).
pub const DEFAULT_FONT_PATH: &str = "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf";
/// The templates shipped with the crate (`data/templates.toml`).
pub const DEFAULT_TEMPLATES: &str = include_str!("../data/templates.toml");

/// One request template: what a relying party may ask for.
#[derive(Debug, Clone)]
pub struct RequestTemplate {
    /// Id used by `POST /verifier/sessions`.
    pub id: String,
    /// English title.
    pub title_en: String,
    /// Japanese title.
    pub title_ja: String,
    /// The DCQL query (validated).
    pub dcql_query: DcqlQuery,
    /// JSON pointers dropped from the disclosed claims before the result is stored.
    pub discard: Vec<String>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateFile {
    template: Vec<TemplateEntry>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateEntry {
    id: String,
    title: Titles,
    #[serde(default)]
    discard: Vec<String>,
    dcql_query: String,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Titles {
    en: String,
    ja: String,
}

/// Parses a templates file (TOML, see `data/templates.toml`); every DCQL query is validated.
pub fn parse_templates(text: &str) -> Result<Vec<RequestTemplate>, VerifierError> {
    let file: TemplateFile =
        toml::from_str(text).map_err(|e| VerifierError::BadRequest(format!("templates: {e}")))?;
    let mut out: Vec<RequestTemplate> = Vec::new();
    for t in file.template {
        if out.iter().any(|o| o.id == t.id) {
            return Err(VerifierError::BadRequest(format!(
                "templates: duplicate id {}",
                t.id
            )));
        }
        let dcql_query = DcqlQuery::parse(t.dcql_query.as_bytes())?;
        out.push(RequestTemplate {
            id: t.id,
            title_en: t.title.en,
            title_ja: t.title.ja,
            dcql_query,
            discard: t.discard,
        });
    }
    Ok(out)
}

/// Which client identifier prefix the verifier uses (OpenID4VP 1.0 section 5.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientIdScheme {
    /// `x509_san_dns:<host of public_url>`; the certificate's SAN names the host.
    X509SanDns,
    /// `x509_hash:<SHA-256 of the leaf>`.
    X509Hash,
}

/// Verifier configuration. Defaults are safe; `public_url` must be set.
#[derive(Debug, Clone)]
pub struct VerifierConfig {
    /// The public `https` base URL of the verifier (request and response URIs derive from it).
    pub public_url: String,
    /// Client identifier prefix.
    pub client_id_scheme: ClientIdScheme,
    /// Session lifetime, seconds.
    pub session_lifetime: i64,
    /// Largest request body, bytes (413 above).
    pub max_body_bytes: usize,
    /// How old a KB-JWT or `vp+jwt` may be, seconds.
    pub max_presentation_age: i64,
    /// Clock skew tolerated, seconds.
    pub skew_seconds: i64,
    /// Seconds a trusted list stays usable after `NextUpdate` (0: fail closed at `NextUpdate`).
    pub list_grace_seconds: i64,
    /// Trusted-list locations (URLs, or files when the fetcher allows them).
    pub trusted_list_locations: Vec<String>,
    /// How often to refresh the trusted lists, seconds.
    pub trusted_list_refresh: u64,
    /// How long a fetched status list is reused, seconds.
    pub status_list_ttl: i64,
    /// The reader of the academic mapping.
    pub reader: Reader,
    /// organizationIdentifiers of recognised EU universities.
    pub eu_university_register: Vec<String>,
    /// IPAex Gothic (or another CJK font) for the PDF report.
    pub font_path: PathBuf,
    /// Webhook receiving every result (JSON), if any.
    pub webhook_url: Option<String>,
    /// Shared secret for the webhook's `X-Kakehashi-Signature` (HMAC-SHA256).
    pub webhook_secret: Option<Vec<u8>>,
    /// Webhook attempts (bounded).
    pub webhook_attempts: u32,
    /// First retry delay, milliseconds (doubles each attempt).
    pub webhook_backoff_ms: u64,
    /// Fetching limits.
    pub fetch: FetchConfig,
}

impl VerifierConfig {
    /// Defaults around `public_url`.
    pub fn new(public_url: impl Into<String>) -> Self {
        Self {
            public_url: public_url.into().trim_end_matches('/').to_owned(),
            client_id_scheme: ClientIdScheme::X509SanDns,
            session_lifetime: 600,
            max_body_bytes: 256 * 1024,
            max_presentation_age: 300,
            skew_seconds: 60,
            list_grace_seconds: 0,
            trusted_list_locations: Vec::new(),
            trusted_list_refresh: 3600,
            status_list_ttl: 300,
            reader: Reader::Eu,
            eu_university_register: Vec::new(),
            font_path: PathBuf::from(DEFAULT_FONT_PATH),
            webhook_url: None,
            webhook_secret: None,
            webhook_attempts: 4,
            webhook_backoff_ms: 500,
            fetch: FetchConfig::default(),
        }
    }
}

/// The verifier's access certificate: signing key and `x5c` chain for request objects.
#[derive(Clone)]
pub struct AccessCertificate {
    /// The signer, with its certificate chain.
    pub signer: Arc<dyn Signer>,
}

impl std::fmt::Debug for AccessCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessCertificate")
            .field("chain_len", &self.signer.certificate_chain().len())
            .finish_non_exhaustive()
    }
}

impl AccessCertificate {
    /// A P-256 key and a self-signed certificate whose SAN names `host` (loopback and pilot
    /// deployments without a configured certificate). Wallets must trust it explicitly.
    pub fn generate_self_signed(host: &str) -> Result<Self, VerifierError> {
        let signer =
            SoftwareSigner::generate(SignatureAlgorithm::Es256).map_err(VerifierError::internal)?;
        let pkcs8 = signer.to_pkcs8().map_err(VerifierError::internal)?;
        let der = rustls_pki_der(&pkcs8);
        let key = rcgen::KeyPair::try_from(der.as_slice()).map_err(VerifierError::internal)?;
        let mut params = rcgen::CertificateParams::new(vec![host.to_owned()])
            .map_err(VerifierError::internal)?;
        params.distinguished_name.push(
            rcgen::DnType::CommonName,
            format!("Kakehashi verifier {host}"),
        );
        params
            .distinguished_name
            .push(rcgen::DnType::OrganizationName, "Kakehashi pilot verifier");
        let cert = params.self_signed(&key).map_err(VerifierError::internal)?;
        Ok(Self {
            signer: Arc::new(signer.with_certificate_chain(vec![cert.der().to_vec()])),
        })
    }

    /// From PEM files' contents: a PKCS#8 P-256 key and its chain (leaf first).
    pub fn from_pem(key_pem: &str, chain_pem: &str) -> Result<Self, VerifierError> {
        let key = pem_blocks(key_pem, "PRIVATE KEY")?
            .pop()
            .ok_or_else(|| VerifierError::BadRequest("access key: no PRIVATE KEY block".into()))?;
        let chain = pem_blocks(chain_pem, "CERTIFICATE")?;
        let signer = SoftwareSigner::from_pkcs8(SignatureAlgorithm::Es256, &key)
            .map_err(|e| VerifierError::BadRequest(format!("access key: {e}")))?
            .with_certificate_chain(chain);
        Self::from_signer(Arc::new(signer))
    }

    /// From a configured signer whose certificate chain is set.
    pub fn from_signer(signer: Arc<dyn Signer>) -> Result<Self, VerifierError> {
        if signer.certificate_chain().is_empty() {
            return Err(VerifierError::BadRequest(
                "the access certificate signer has no certificate chain".into(),
            ));
        }
        Ok(Self { signer })
    }
}

fn pem_blocks(text: &str, label: &str) -> Result<Vec<Vec<u8>>, VerifierError> {
    use base64::Engine as _;
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines().map(str::trim) {
        if line == begin {
            current = Some(String::new());
        } else if line == end {
            let body = current.take().unwrap_or_default();
            out.push(
                base64::engine::general_purpose::STANDARD
                    .decode(body.as_bytes())
                    .map_err(|e| VerifierError::BadRequest(format!("PEM {label}: {e}")))?,
            );
        } else if let Some(body) = current.as_mut() {
            body.push_str(line);
        }
    }
    Ok(out)
}

fn rustls_pki_der(pkcs8: &[u8]) -> Vec<u8> {
    pkcs8.to_vec()
}

/// The trusted lists in use, replaced as a whole on refresh.
#[derive(Debug, Default)]
pub struct TrustSnapshot {
    /// Verified, anchored lists.
    pub lists: Vec<VerifiedTrustedList>,
    /// When they were loaded.
    pub loaded_at: Option<UnixTime>,
    /// Lists that failed at the last refresh (name, reason).
    pub failures: Vec<(String, String)>,
}

/// A cached status list.
#[derive(Debug, Clone)]
pub(crate) struct CachedStatus {
    pub(crate) bytes: Vec<u8>,
    pub(crate) until: UnixTime,
}

/// The clock, injectable so tests move time.
pub type Clock = Arc<dyn Fn() -> UnixTime + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    // The edge is where the clock is read; everything below takes `now` as an argument.
    #[allow(clippy::disallowed_methods)]
    Arc::new(|| {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        UnixTime(i64::try_from(now).unwrap_or(i64::MAX))
    })
}

/// What every handler needs. Cheap to clone.
#[derive(Clone)]
pub struct VerifierState<S> {
    /// The store.
    pub store: S,
    /// Configuration.
    pub config: Arc<VerifierConfig>,
    /// Request templates.
    pub templates: Arc<Vec<RequestTemplate>>,
    /// Access certificate (request object signing).
    pub access: AccessCertificate,
    /// The client_id derived from the access certificate and the public URL.
    pub client_id: Arc<str>,
    /// Seals per-session response-decryption keys at rest.
    pub kek: Arc<KeyEncryptionKey>,
    /// Recognition policy.
    pub policy: Arc<RecognitionPolicy>,
    /// Trusted lists in use.
    pub trust: Arc<RwLock<Arc<TrustSnapshot>>>,
    /// Fetcher for lists and status lists.
    pub fetcher: Arc<Fetcher>,
    /// Status lists by URL.
    pub(crate) status_cache: Arc<Mutex<HashMap<String, CachedStatus>>>,
    /// Verified status lists and chain validations (keyed by the trusted-list snapshot's
    /// content, and cleared when a snapshot is installed).
    pub verification_cache: Arc<kakehashi_verify::VerificationCache>,
    /// EU diploma Type Metadata (its `sd` rules apply).
    pub type_metadata: Arc<Option<ResolvedTypeMetadata>>,
    /// Derives result tokens and same-device response codes.
    pub(crate) secret: Arc<hmac::Key>,
    /// The clock.
    pub clock: Clock,
    /// Crypto provider.
    pub provider: Arc<CryptoProvider>,
    /// Webhook HTTP client.
    pub(crate) http: reqwest::Client,
    /// The report font, read and parsed on the first PDF download (`None`: unreadable).
    pub(crate) report_font: Arc<tokio::sync::OnceCell<Option<PdfFont>>>,
}

impl<S> std::fmt::Debug for VerifierState<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifierState")
            .field("client_id", &self.client_id)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl<S> VerifierState<S> {
    /// Builds the state. `secret` (32 random bytes, shared by all nodes) derives result tokens
    /// and response codes; `kek` seals the per-session decryption keys.
    pub fn new(
        store: S,
        config: VerifierConfig,
        templates: Vec<RequestTemplate>,
        access: AccessCertificate,
        kek: KeyEncryptionKey,
        policy: RecognitionPolicy,
        secret: &[u8],
    ) -> Result<Self, VerifierError> {
        let provider = kakehashi_crypto_aws_lc::provider();
        let host = kakehashi_oid4vp::form::https_host(&config.public_url)
            .ok_or_else(|| VerifierError::BadRequest("public_url must be an https URL".into()))?;
        let leaf = access
            .signer
            .certificate_chain()
            .first()
            .cloned()
            .ok_or_else(|| VerifierError::BadRequest("no access certificate".into()))?;
        let client_id = match config.client_id_scheme {
            ClientIdScheme::X509SanDns => ClientId::X509SanDns(host),
            ClientIdScheme::X509Hash => ClientId::x509_hash_of(&provider, &leaf),
        };
        client_id.check_certificate(&provider, &leaf)?;
        let fetcher = Fetcher::new(config.fetch.clone()).map_err(VerifierError::internal)?;
        let type_metadata = serde_json::to_vec(&kakehashi_academic::profiles::eu_type_metadata())
            .ok()
            .and_then(|bytes| TypeMetadata::parse(&bytes, kakehashi_core::JsonLimits::DEFAULT).ok())
            .and_then(|doc| ResolvedTypeMetadata::merge(vec![doc]).ok());
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(VerifierError::internal)?;
        Ok(Self {
            store,
            config: Arc::new(config),
            templates: Arc::new(templates),
            access,
            client_id: client_id.to_string().into(),
            kek: Arc::new(kek),
            policy: Arc::new(policy),
            trust: Arc::new(RwLock::new(Arc::new(TrustSnapshot::default()))),
            fetcher: Arc::new(fetcher),
            status_cache: Arc::new(Mutex::new(HashMap::new())),
            verification_cache: Arc::default(),
            type_metadata: Arc::new(type_metadata),
            secret: Arc::new(hmac::Key::new(hmac::HMAC_SHA256, secret)),
            clock: system_clock(),
            provider: Arc::new(provider),
            http,
            report_font: Arc::new(tokio::sync::OnceCell::new()),
        })
    }

    /// The PDF report font (`config.font_path`), loaded once per process: 6 MB read and
    /// hashed on every verification was the largest cost of a response. `None` when the file
    /// is missing or not a font (then there is no PDF, and downloads say why).
    pub async fn report_font(&self) -> Option<PdfFont> {
        self.report_font
            .get_or_init(|| async {
                let path = self.config.font_path.clone();
                let loaded = tokio::task::spawn_blocking(move || {
                    std::fs::read(&path)
                        .map_err(|e| e.to_string())
                        .and_then(|bytes| PdfFont::new(bytes).map_err(|e| e.to_string()))
                })
                .await
                .map_err(|e| e.to_string())
                .and_then(|r| r);
                match loaded {
                    Ok(font) => Some(font),
                    Err(error) => {
                        tracing::warn!(path = %self.config.font_path.display(), %error, "no PDF reports: the report font is unusable");
                        None
                    }
                }
            })
            .await
            .clone()
    }

    /// Replaces the clock (tests).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Drops every cached status list, so the next verification fetches them again (e.g. after
    /// an issuer announces a revocation that must count before the lists' `ttl` runs out).
    pub fn clear_status_cache(&self) {
        if let Ok(mut cache) = self.status_cache.lock() {
            cache.clear();
        }
    }

    /// Installs already verified lists (tests, or lists loaded by the composition).
    pub fn set_trusted_lists(&self, lists: Vec<VerifiedTrustedList>, now: UnixTime) {
        let snapshot = Arc::new(TrustSnapshot {
            lists,
            loaded_at: Some(now),
            failures: Vec::new(),
        });
        if let Ok(mut guard) = self.trust.write() {
            *guard = snapshot;
        }
        self.verification_cache.clear();
    }

    /// The lists in use.
    pub fn trust_snapshot(&self) -> Arc<TrustSnapshot> {
        self.trust
            .read()
            .map(|g| Arc::clone(&g))
            .unwrap_or_default()
    }

    /// The current time.
    pub fn now(&self) -> UnixTime {
        (self.clock)()
    }

    /// `public_url` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.config.public_url)
    }

    pub(crate) fn derive(&self, label: &str, id: &str) -> String {
        let mut ctx = hmac::Context::with_key(&self.secret);
        ctx.update(label.as_bytes());
        ctx.update(b"\0");
        ctx.update(id.as_bytes());
        b64::encode(&ctx.sign().as_ref()[..24])
    }

    /// The token that opens a session's result (given to the portal that created it).
    pub fn result_token(&self, session_id: &str) -> String {
        self.derive("result", session_id)
    }

    pub(crate) fn response_code(&self, session_id: &str) -> String {
        self.derive("response_code", session_id)
    }
}

/// `n` random bytes as base64url.
pub(crate) fn random_token(n: usize) -> Result<String, VerifierError> {
    let mut buf = vec![0u8; n];
    SystemRandom::new()
        .fill(&mut buf)
        .map_err(|_| VerifierError::internal("system randomness unavailable"))?;
    Ok(b64::encode(&buf))
}

/// Loads (or reloads) the configured trusted lists through the fetcher and verifies them with
/// the policy's pins. Keeps the previous lists when nothing verifies (fail closed happens at
/// evaluation time, when they go stale).
pub async fn refresh_trusted_lists<S>(state: &VerifierState<S>) -> Result<usize, VerifierError> {
    let mut bytes = Vec::new();
    let mut failures = Vec::new();
    for location in &state.config.trusted_list_locations {
        match state
            .fetcher
            .get(location, "application/xml, application/json, */*")
            .await
        {
            Ok(f) => bytes.push((location.clone(), f.body)),
            Err(e) => failures.push((location.clone(), e.to_string())),
        }
    }
    let now = state.now();
    let loaded = kakehashi_trust::policy::load_lists(
        &bytes,
        &state.policy,
        now,
        &kakehashi_trust::VerifyOptions::default(),
    );
    failures.extend(
        loaded
            .rejected
            .iter()
            .map(|(n, e)| (n.clone(), e.to_string())),
    );
    for (name, reason) in &failures {
        tracing::warn!(list = %name, %reason, "trusted list not loaded");
    }
    let count = loaded.accepted.len();
    if count == 0 {
        return Err(VerifierError::Internal(format!(
            "no trusted list verified ({} failures)",
            failures.len()
        )));
    }
    let snapshot = Arc::new(TrustSnapshot {
        lists: loaded.accepted,
        loaded_at: Some(now),
        failures,
    });
    if let Ok(mut guard) = state.trust.write() {
        *guard = snapshot;
    }
    state.verification_cache.clear();
    Ok(count)
}

/// Refreshes the lists every `trusted_list_refresh` seconds until the task is dropped.
pub fn spawn_trusted_list_refresh<S: Send + Sync + Clone + 'static>(
    state: VerifierState<S>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let period = std::time::Duration::from_secs(state.config.trusted_list_refresh.max(60));
        loop {
            if let Err(e) = refresh_trusted_lists(&state).await {
                tracing::warn!(error = %e, "trusted list refresh failed");
            }
            tokio::time::sleep(period).await;
        }
    })
}

/// Deletes expired verifier sessions (and their sealed keys and results) every `every`.
pub fn spawn_session_purge<S: kakehashi_storage::Store + Clone + 'static>(
    state: VerifierState<S>,
    every: std::time::Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            match state
                .store
                .purge_expired_verifier_sessions(state.now())
                .await
            {
                Ok(n) if n > 0 => tracing::info!(purged = n, "expired verifier sessions purged"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "verifier session purge failed"),
            }
        }
    })
}
