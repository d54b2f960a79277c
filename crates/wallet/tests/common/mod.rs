//! Minimal in-test issuer and verifier over real HTTPS on 127.0.0.1 (port 0), built from the
//! pure `kakehashi-oid4vci` / `kakehashi-oid4vp` issuer and verifier states, plus a test PKI
//! (one CA for TLS, certificates for the issuer seal and the verifier's request signing).
//!
//! OpenID4VCI and OpenID4VP require `https` URLs, so the servers speak TLS with a
//! `localhost` certificate and the wallet trusts only the test CA.

#![allow(clippy::unwrap_used, clippy::result_large_err, dead_code)]

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use kakehashi_core::UnixTime;
use kakehashi_crypto::{CryptoProvider, SignatureAlgorithm, Signer};
use kakehashi_crypto_aws_lc::jwe::{self, DecryptionKey};
use kakehashi_crypto_aws_lc::sealed::KeyEncryptionKey;
use kakehashi_crypto_aws_lc::{SoftwareSigner, provider};
use kakehashi_fetch::FetchConfig;
use kakehashi_oid4vci::credential::{
    CredentialRequest, DeferredCredentialRequest, NotificationRequest,
};
use kakehashi_oid4vci::dpop::{DpopCheck, ValidatedDpop, validate_dpop_proof};
use kakehashi_oid4vci::issuer::{
    Access, FlowPolicy, IssuanceFlow, IssuanceResult, NewOffer, Offered, TokenContext,
};
use kakehashi_oid4vci::metadata::CredentialIssuerMetadata;
use kakehashi_oid4vci::oauth::TokenRequest;
use kakehashi_oid4vci::offer::{CredentialOfferRequest, InputMode, OFFER_SCHEME, TxCode};
use kakehashi_oid4vci::proof::{ProofCheck, did_jwk_of, validate_proofs};
use kakehashi_oid4vp::request::{
    ClientMetadata, JwkSet, OPENID4VP_SCHEME, RequestUriPost, ResponseMode,
};
use kakehashi_oid4vp::verifier::{
    Created, HolderBinding, NewSession, PresentationContext, PresentationVerifier,
    ResponseDecryptor, VerifiedPresentation, VerifierSession,
};
use kakehashi_oid4vp::{CredentialFormat, DcqlQuery};
use kakehashi_sd_jwt::{
    ClaimPath, IssuerKey, KeyBinding, SdJwt, SdJwtBuilder, VcVerifyOptions, VerifyOptions,
    verify_sd_jwt_vc,
};
use kakehashi_storage_sqlite::SqliteStore;
use kakehashi_wallet::{Clock, HolderId, Wallet, WalletConfig, WalletContext, WalletHttp};
use serde_json::{Map, Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

pub const VCT_PATH: &str = "/types/diploma";

/// The test PKI.
pub struct Pki {
    pub ca_der: Vec<u8>,
    pub tls_chain: Vec<Vec<u8>>,
    pub tls_key_pkcs8: Vec<u8>,
}

fn rcgen_key_of(signer: &SoftwareSigner) -> rcgen::KeyPair {
    let der = signer.to_pkcs8().unwrap();
    rcgen::KeyPair::try_from(der.as_slice()).unwrap()
}

pub fn pki() -> Pki {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Kakehashi Test CA");
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let leaf_params =
        rcgen::CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .unwrap();
    let leaf = leaf_params.signed_by(&leaf_key, &issuer).unwrap();
    Pki {
        ca_der: ca_cert.der().to_vec(),
        tls_chain: vec![leaf.der().to_vec()],
        tls_key_pkcs8: leaf_key.serialize_der(),
    }
}

/// A self-signed certificate for `signer` with `dns` SAN and organization `org`.
pub fn certificate_for(signer: &SoftwareSigner, dns: &str, org: &str) -> Vec<u8> {
    let key = rcgen_key_of(signer);
    let mut params = rcgen::CertificateParams::new(vec![dns.to_owned()]).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::OrganizationName, org);
    params.self_signed(&key).unwrap().der().to_vec()
}

struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((tcp, addr)) = self.tcp.accept().await else {
                continue;
            };
            if let Ok(tls) = self.acceptor.accept(tcp).await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

/// Serves `router` over TLS on 127.0.0.1:0; returns `https://localhost:PORT`.
pub async fn serve_tls(pki: &Pki, router: Router) -> (String, tokio::task::JoinHandle<()>) {
    let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = tcp.local_addr().unwrap().port();
    let (base, handle) = serve_tls_on(pki, tcp, router).await;
    assert!(base.ends_with(&port.to_string()));
    (base, handle)
}

pub async fn bind() -> (TcpListener, String) {
    let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = tcp.local_addr().unwrap().port();
    (tcp, format!("https://localhost:{port}"))
}

pub async fn serve_tls_on(
    pki: &Pki,
    tcp: TcpListener,
    router: Router,
) -> (String, tokio::task::JoinHandle<()>) {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    let port = tcp.local_addr().unwrap().port();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        pki.tls_chain
            .iter()
            .map(|c| CertificateDer::from(c.clone()))
            .collect(),
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pki.tls_key_pkcs8.clone())),
    )
    .unwrap();
    let listener = TlsListener {
        tcp,
        acceptor: TlsAcceptor::from(Arc::new(config)),
    };
    let handle = tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    (format!("https://localhost:{port}"), handle)
}

/// A clock the test can move.
#[derive(Debug)]
pub struct TestClock(pub std::sync::atomic::AtomicI64);

impl Clock for TestClock {
    fn now(&self) -> UnixTime {
        UnixTime(self.0.load(std::sync::atomic::Ordering::SeqCst))
    }
}

pub fn system_now() -> UnixTime {
    kakehashi_wallet::SystemClock.now()
}

/// A wallet over an in-memory SQLite store, trusting only the test CA.
pub async fn wallet(pki: &Pki) -> (Wallet<SqliteStore>, WalletContext<SqliteStore>) {
    wallet_with(pki, WalletConfig::default()).await
}

/// [`wallet`] with a policy.
pub async fn wallet_with(
    pki: &Pki,
    config: WalletConfig,
) -> (Wallet<SqliteStore>, WalletContext<SqliteStore>) {
    let store = SqliteStore::open_in_memory().await.unwrap();
    let (kek, _) = KeyEncryptionKey::generate("test-kek").unwrap();
    let http =
        WalletHttp::with_tls_roots_only(FetchConfig::default(), std::slice::from_ref(&pki.ca_der))
            .unwrap();
    let config = WalletConfig {
        max_poll_interval: std::time::Duration::from_secs(2),
        max_deferred_wait: std::time::Duration::from_secs(10),
        ..config
    };
    let context = WalletContext::new(
        store,
        kek,
        http,
        Arc::new(kakehashi_wallet::SystemClock),
        config,
    );
    (context.wallet(HolderId::new("hana").unwrap()), context)
}

// ---------------------------------------------------------------- issuer

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueMode {
    Immediate,
    Deferred,
    /// Signed with a key that is not the x5c leaf's.
    BadSignature,
}

#[derive(Debug, Clone)]
pub struct IssuerOptions {
    pub tx_code: bool,
    pub batch_size: u32,
    pub mode: IssueMode,
    pub require_dpop_nonce: bool,
    pub format: &'static str,
    /// Offer the authorization code grant (PAR + PKCE) instead of a pre-authorized code.
    pub authorization_code: bool,
    /// The first c_nonce handed out is forgotten at once (as if it expired).
    pub stale_first_nonce: bool,
}

impl Default for IssuerOptions {
    fn default() -> Self {
        Self {
            tx_code: false,
            batch_size: 1,
            mode: IssueMode::Immediate,
            require_dpop_nonce: false,
            format: "dc+sd-jwt",
            authorization_code: false,
            stale_first_nonce: false,
        }
    }
}

pub const TX_CODE: &str = "493536";
pub const ACCESS_TOKEN: &str = "access-token-0123456789abcdef";

pub struct IssuerState {
    pub base: String,
    pub options: IssuerOptions,
    pub flow: Option<IssuanceFlow>,
    pub offer_json: Value,
    pub c_nonces: Vec<String>,
    pub nonces_issued: usize,
    pub dpop_nonce: String,
    pub dpop_nonce_refusals: usize,
    pub notifications: Vec<String>,
    pub deferred_ready: Option<Vec<Value>>,
    pub seal: SoftwareSigner,
    pub seal_cert: Vec<u8>,
    pub bad_seal: SoftwareSigner,
    /// The `state` of the last PAR (what the AS would echo in the redirect).
    pub par_state: Option<String>,
}

pub type SharedIssuer = Arc<Mutex<IssuerState>>;

pub fn issuer_metadata(base: &str, options: &IssuerOptions) -> CredentialIssuerMetadata {
    let mut doc = json!({
        "credential_issuer": base,
        "credential_endpoint": format!("{base}/credential"),
        "nonce_endpoint": format!("{base}/nonce"),
        "deferred_credential_endpoint": format!("{base}/deferred"),
        "notification_endpoint": format!("{base}/notification"),
        "display": [{"name": "Kakehashi University", "locale": "en"}, {"name": "架け橋大学", "locale": "ja"}],
        "credential_configurations_supported": {
            "diploma_sd_jwt": {
                "format": "dc+sd-jwt",
                "vct": format!("{base}{VCT_PATH}"),
                "cryptographic_binding_methods_supported": ["jwk"],
                "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported": ["ES256"]}},
                "credential_metadata": {"display": [{"name": "Diploma", "locale": "en"}, {"name": "学位記", "locale": "ja"}]}
            },
            "ob3_jwt": {
                "format": "jwt_vc_json",
                "credential_definition": {"type": ["VerifiableCredential", "OpenBadgeCredential"]},
                "cryptographic_binding_methods_supported": ["did:jwk"],
                "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported": ["ES256"]}}
            },
            "badge_jwt": {
                "format": "jwt_vc_json",
                "credential_definition": {"type": ["VerifiableCredential", "KakehashiTranscript"]},
                "cryptographic_binding_methods_supported": ["did:jwk"],
                "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported": ["ES256"]}}
            }
        }
    });
    if options.batch_size > 1 {
        doc["batch_credential_issuance"] = json!({"batch_size": options.batch_size});
    }
    CredentialIssuerMetadata::from_json(doc).unwrap()
}

fn as_metadata(base: &str) -> Value {
    json!({
        "issuer": base,
        "token_endpoint": format!("{base}/token"),
        "authorization_endpoint": format!("{base}/authorize"),
        "pushed_authorization_request_endpoint": format!("{base}/par"),
        "require_pushed_authorization_requests": true,
        "code_challenge_methods_supported": ["S256"],
        "dpop_signing_alg_values_supported": ["ES256"],
        "pre-authorized_grant_anonymous_access_supported": true
    })
}

fn type_metadata(base: &str) -> Value {
    json!({
        "vct": format!("{base}{VCT_PATH}"),
        "display": [{"locale": "en", "name": "University Diploma"}, {"locale": "ja", "name": "大学学位記"}],
        "claims": [
            {"path": ["family_name"], "display": [{"locale": "en", "label": "Family name"}, {"locale": "ja", "label": "姓"}]},
            {"path": ["degree", "title"], "display": [{"locale": "en", "label": "Degree"}, {"locale": "ja", "label": "学位"}]},
            {"path": ["birth_date"], "display": [{"locale": "en", "label": "Date of birth"}, {"locale": "ja", "label": "生年月日"}]}
        ]
    })
}

fn oauth_error(e: &kakehashi_oid4vci::Oid4vciError, dpop_nonce: Option<&str>) -> Response {
    let (status, code) = e.wire();
    let mut headers = HeaderMap::new();
    if let Some(n) = dpop_nonce {
        headers.insert("dpop-nonce", n.parse().unwrap());
    }
    (
        StatusCode::from_u16(status).unwrap(),
        headers,
        axum::Json(json!({"error": code, "error_description": e.to_string()})),
    )
        .into_response()
}

fn dpop_check<'a>(
    url: &'a str,
    now: UnixTime,
    nonce: Option<&'a str>,
    token: Option<&'a str>,
    jkt: Option<&'a str>,
) -> DpopCheck<'a> {
    DpopCheck {
        method: "POST",
        url,
        now,
        max_age_seconds: 300,
        skew_seconds: 5,
        expected_nonce: nonce,
        access_token: token,
        bound_jkt: jkt,
        allowed_algorithms: &["ES256"],
    }
}

fn grant_jkt(flow: &IssuanceFlow) -> Option<String> {
    match flow {
        IssuanceFlow::TokenIssued(t) => t.grant().dpop_jkt.clone(),
        IssuanceFlow::Deferred(d) => d.grant().dpop_jkt.clone(),
        IssuanceFlow::CredentialIssued(c) => c.grant().dpop_jkt.clone(),
        _ => None,
    }
}

/// Checks a resource request's DPoP proof; `Err` is the response to send.
fn resource_dpop(
    state: &mut IssuerState,
    headers: &HeaderMap,
    path: &str,
) -> Result<ValidatedDpop, Response> {
    let url = format!("{}{path}", state.base);
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if auth != format!("DPoP {ACCESS_TOKEN}") {
        return Err((
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"error": "invalid_token"})),
        )
            .into_response());
    }
    let proof = headers
        .get("dpop")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let jkt = state.flow.as_ref().and_then(grant_jkt);
    let nonce = state
        .options
        .require_dpop_nonce
        .then(|| state.dpop_nonce.clone());
    match validate_dpop_proof(
        proof,
        &dpop_check(
            &url,
            system_now(),
            nonce.as_deref(),
            Some(ACCESS_TOKEN),
            jkt.as_deref(),
        ),
        &provider(),
    ) {
        Ok(v) => Ok(v),
        Err(e) => {
            if matches!(e, kakehashi_oid4vci::Oid4vciError::UseDpopNonce { .. }) {
                state.dpop_nonce_refusals += 1;
            }
            Err(oauth_error(&e, nonce.as_deref()))
        }
    }
}

/// Signs credentials for the proven holder keys.
fn sign_credentials(
    state: &IssuerState,
    keys: &[kakehashi_oid4vci::proof::HolderKey],
) -> Vec<Value> {
    let p = provider();
    let signer = if state.options.mode == IssueMode::BadSignature {
        &state.bad_seal
    } else {
        &state.seal
    };
    keys.iter()
        .map(|k| match state.options.format {
            "ob3" => {
                let vc = json!({
                    "@context": ["https://www.w3.org/ns/credentials/v2",
                                 "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
                    "id": "urn:uuid:5f3c0d8e-6a57-4c1e-9a40-3b1f7c2d9e11",
                    "type": ["VerifiableCredential", "OpenBadgeCredential"],
                    "name": "Master of Engineering",
                    "issuer": {"id": state.base, "type": ["Profile"], "name": "Kakehashi University"},
                    "validFrom": "2026-03-25T10:00:00+09:00",
                    "credentialSubject": {
                        "id": did_jwk_of(&k.key),
                        "type": ["AchievementSubject"],
                        "achievement": {
                            "id": "https://kakehashi.example/programmes/meng",
                            "type": ["Achievement"],
                            "name": "Master of Engineering (Information Sciences)",
                            "description": "Two-year master's programme.",
                            "criteria": {"narrative": "30 credits and a thesis."}
                        }
                    }
                });
                Value::String(kakehashi_vc_jose::issue_vc_jwt(&vc, signer, Map::new()).unwrap())
            }
            "jwt_vc_json" => {
                let vc = json!({
                    "@context": ["https://www.w3.org/ns/credentials/v2"],
                    "type": ["VerifiableCredential", "KakehashiTranscript"],
                    "issuer": state.base,
                    "validFrom": "2026-01-01T00:00:00Z",
                    "credentialSubject": {"id": did_jwk_of(&k.key), "name": "Yamada Hana", "gpa": "3.9"}
                });
                Value::String(kakehashi_vc_jose::issue_vc_jwt(&vc, signer, Map::new()).unwrap())
            }
            _ => {
                let claims = json!({
                    "iss": state.base,
                    "given_name": "Hana",
                    "family_name": "Yamada",
                    "birth_date": "2000-04-01",
                    "degree": {"title": "MSc Informatics", "grade": "A"}
                });
                let mut counter = 0u8;
                let mut fill = |buf: &mut [u8]| {
                    aws_lc_rs::rand::SecureRandom::fill(&aws_lc_rs::rand::SystemRandom::new(), buf)
                        .unwrap();
                    counter = counter.wrapping_add(1);
                };
                let sd = SdJwtBuilder::sd_jwt_vc(
                    claims.as_object().unwrap().clone(),
                    &format!("{}{VCT_PATH}", state.base),
                )
                .conceal(ClaimPath::top("given_name"))
                .conceal(ClaimPath::top("family_name"))
                .conceal(ClaimPath::top("birth_date"))
                .conceal(ClaimPath::from_json(&json!(["degree", "title"])).unwrap())
                .conceal(ClaimPath::from_json(&json!(["degree", "grade"])).unwrap())
                .holder_key(k.key.clone())
                .issue(&p, signer, &mut fill)
                .unwrap();
                Value::String(sd.serialize())
            }
        })
        .collect()
}

pub async fn start_issuer(
    pki: &Pki,
    options: IssuerOptions,
) -> (SharedIssuer, tokio::task::JoinHandle<()>) {
    let (tcp, base) = bind().await;
    let seal_key = SoftwareSigner::generate(SignatureAlgorithm::Es256).unwrap();
    let cert = certificate_for(&seal_key, "localhost", "Kakehashi Test University");
    let seal = seal_key.with_certificate_chain(vec![cert.clone()]);
    let seal_cert = cert.clone();
    let bad_seal = SoftwareSigner::generate(SignatureAlgorithm::Es256)
        .unwrap()
        .with_certificate_chain(vec![cert]);
    let metadata = issuer_metadata(&base, &options);
    let configuration = match options.format {
        "jwt_vc_json" => "badge_jwt",
        "ob3" => "ob3_jwt",
        _ => "diploma_sd_jwt",
    };
    let (offered, offer) = Offered::new(
        NewOffer {
            subject: "student-42".into(),
            credential_configuration_ids: vec![configuration.into()],
            pre_authorized_code: (!options.authorization_code)
                .then(|| "pre-authorized-code-0123456789".into()),
            tx_code: options.tx_code.then(|| {
                (
                    TX_CODE.into(),
                    TxCode {
                        input_mode: Some(InputMode::Numeric),
                        length: Some(6),
                        description: Some("code from the student portal".into()),
                    },
                )
            }),
            issuer_state: options
                .authorization_code
                .then(|| "issuer-state-0123456789".into()),
            lifetime_seconds: 600,
        },
        &metadata,
        &provider(),
        system_now(),
    )
    .unwrap();
    let state = Arc::new(Mutex::new(IssuerState {
        base: base.clone(),
        options,
        flow: Some(IssuanceFlow::Offered(offered)),
        offer_json: serde_json::to_value(&offer).unwrap(),
        c_nonces: vec![],
        nonces_issued: 0,
        dpop_nonce: "server-dpop-nonce-1".into(),
        dpop_nonce_refusals: 0,
        notifications: vec![],
        deferred_ready: None,
        seal,
        seal_cert,
        bad_seal,
        par_state: None,
    }));
    let router = Router::new()
        .route(
            "/.well-known/openid-credential-issuer",
            get(|State(s): State<SharedIssuer>| async move {
                let s = s.lock().unwrap();
                axum::Json(serde_json::to_value(issuer_metadata(&s.base, &s.options)).unwrap())
            }),
        )
        .route(
            "/.well-known/oauth-authorization-server",
            get(|State(s): State<SharedIssuer>| async move {
                axum::Json(as_metadata(&s.lock().unwrap().base))
            }),
        )
        .route(
            VCT_PATH,
            get(|State(s): State<SharedIssuer>| async move {
                axum::Json(type_metadata(&s.lock().unwrap().base))
            }),
        )
        .route(
            "/offer",
            get(|State(s): State<SharedIssuer>| async move {
                axum::Json(s.lock().unwrap().offer_json.clone())
            }),
        )
        .route("/par", post(par))
        .route("/token", post(token))
        .route("/nonce", post(nonce))
        .route("/credential", post(credential))
        .route("/deferred", post(deferred))
        .route("/notification", post(notification))
        .with_state(state.clone());
    let (_, handle) = serve_tls_on(pki, tcp, router).await;
    (state, handle)
}

pub fn offer_by_reference(state: &SharedIssuer) -> String {
    let base = state.lock().unwrap().base.clone();
    CredentialOfferRequest::ByReference(format!("{base}/offer")).to_uri(OFFER_SCHEME)
}

pub fn offer_by_value(state: &SharedIssuer) -> String {
    let offer = state.lock().unwrap().offer_json.clone();
    let offer =
        kakehashi_oid4vci::offer::CredentialOffer::parse(offer.to_string().as_bytes()).unwrap();
    CredentialOfferRequest::ByValue(Box::new(offer)).to_uri(OFFER_SCHEME)
}

async fn token(State(s): State<SharedIssuer>, headers: HeaderMap, body: String) -> Response {
    let mut s = s.lock().unwrap();
    let url = format!("{}/token", s.base);
    let nonce = s.options.require_dpop_nonce.then(|| s.dpop_nonce.clone());
    let proof = headers
        .get("dpop")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let p = provider();
    let dpop = match validate_dpop_proof(
        proof,
        &dpop_check(&url, system_now(), nonce.as_deref(), None, None),
        &p,
    ) {
        Ok(d) => d,
        Err(e) => {
            if matches!(e, kakehashi_oid4vci::Oid4vciError::UseDpopNonce { .. }) {
                s.dpop_nonce_refusals += 1;
            }
            return oauth_error(&e, nonce.as_deref());
        }
    };
    let request = match TokenRequest::from_form(&body) {
        Ok(r) => r,
        Err(e) => return oauth_error(&e, None),
    };
    let metadata = issuer_metadata(&s.base, &s.options);
    let policy = FlowPolicy::default();
    let ids = |_: &str| -> Vec<String> { vec![] };
    let ctx = TokenContext {
        access_token: ACCESS_TOKEN,
        dpop: Some(&dpop),
        credential_identifiers: &ids,
        metadata: &metadata,
        policy: &policy,
        provider: &p,
        now: system_now(),
    };
    let flow = s.flow.take().unwrap();
    match flow.clone().token(&request, &ctx) {
        Ok((flow, response)) => {
            s.flow = Some(flow);
            axum::Json(serde_json::to_value(response).unwrap()).into_response()
        }
        Err(rejected) => {
            s.flow = Some(rejected.flow.map(|f| *f).unwrap_or(flow));
            oauth_error(&rejected.error, None)
        }
    }
}

pub const AUTHORIZATION_CODE: &str = "authorization-code-0123456789";

/// PAR: the user's login is simulated, the code is issued at once.
async fn par(State(s): State<SharedIssuer>, body: String) -> Response {
    let mut s = s.lock().unwrap();
    let metadata = issuer_metadata(&s.base, &s.options);
    let request =
        match kakehashi_oid4vci::oauth::PushedAuthorizationRequest::from_form(&body, &metadata) {
            Ok(r) => r,
            Err(e) => return oauth_error(&e, None),
        };
    let Some(IssuanceFlow::Offered(offered)) = s.flow.clone() else {
        return (StatusCode::BAD_REQUEST, "wrong state").into_response();
    };
    match offered.authorize(
        &request,
        AUTHORIZATION_CODE,
        &metadata,
        &FlowPolicy::default(),
        &provider(),
        system_now(),
    ) {
        Ok(authorized) => {
            s.flow = Some(IssuanceFlow::Authorized(authorized));
            s.par_state = request.state.clone();
            (
                StatusCode::CREATED,
                axum::Json(json!({"request_uri": "urn:ietf:params:oauth:request_uri:r-0123456789", "expires_in": 60})),
            )
                .into_response()
        }
        Err(e) => oauth_error(&e, None),
    }
}

async fn nonce(State(s): State<SharedIssuer>) -> Response {
    let mut s = s.lock().unwrap();
    s.nonces_issued += 1;
    let n = format!("c-nonce-{}", s.nonces_issued);
    if !(s.options.stale_first_nonce && s.nonces_issued == 1) {
        s.c_nonces.push(n.clone());
    }
    (
        [("cache-control", "no-store")],
        axum::Json(json!({"c_nonce": n})),
    )
        .into_response()
}

async fn credential(State(s): State<SharedIssuer>, headers: HeaderMap, body: String) -> Response {
    let mut s = s.lock().unwrap();
    let dpop = match resource_dpop(&mut s, &headers, "/credential") {
        Ok(d) => d,
        Err(r) => return r,
    };
    let p = provider();
    let access = Access {
        access_token: ACCESS_TOKEN,
        dpop: Some(&dpop),
        provider: &p,
        now: system_now(),
    };
    let request = match CredentialRequest::parse(body.as_bytes()) {
        Ok(r) => r,
        Err(e) => return oauth_error(&e, None),
    };
    let Some(IssuanceFlow::TokenIssued(issued)) = s.flow.clone() else {
        return (StatusCode::BAD_REQUEST, "wrong state").into_response();
    };
    let decision = match issued.authorize_request(&request, &access) {
        Ok(d) => d,
        Err(e) => return oauth_error(&e, None),
    };
    let metadata = issuer_metadata(&s.base, &s.options);
    let algs = metadata
        .configuration(&decision.credential_configuration_id)
        .unwrap()
        .jwt_proof_algorithms();
    let base = s.base.clone();
    let mut nonces = std::mem::take(&mut s.c_nonces);
    let keys = validate_proofs(
        request.proofs.as_ref().unwrap(),
        &ProofCheck {
            credential_issuer: &base,
            client_id: decision.client_id.as_deref(),
            now: system_now(),
            max_age_seconds: 300,
            skew_seconds: 5,
            allowed_algorithms: &algs,
            nonce_required: true,
            max_proofs: usize::try_from(s.options.batch_size.max(1)).unwrap(),
        },
        &mut |n| {
            let known = nonces.iter().position(|x| x == n);
            known.map(|i| nonces.remove(i)).is_some()
        },
        &p,
    );
    s.c_nonces = nonces;
    let keys = match keys {
        Ok(k) => k,
        Err(e) => return oauth_error(&e, None),
    };
    let credentials = sign_credentials(&s, &keys);
    let result = if s.options.mode == IssueMode::Deferred {
        s.deferred_ready = Some(credentials);
        IssuanceResult::Deferred {
            transaction_id: "transaction-0123456789".into(),
            interval: 1,
        }
    } else {
        IssuanceResult::Issued {
            credentials,
            notification_id: "note-1".into(),
        }
    };
    let (flow, response) = issued.complete(&decision, result, &p).unwrap();
    s.flow = Some(flow);
    (
        StatusCode::from_u16(response.status()).unwrap(),
        axum::Json(serde_json::to_value(response).unwrap()),
    )
        .into_response()
}

async fn deferred(State(s): State<SharedIssuer>, headers: HeaderMap, body: String) -> Response {
    let mut s = s.lock().unwrap();
    let dpop = match resource_dpop(&mut s, &headers, "/deferred") {
        Ok(d) => d,
        Err(r) => return r,
    };
    let p = provider();
    let access = Access {
        access_token: ACCESS_TOKEN,
        dpop: Some(&dpop),
        provider: &p,
        now: system_now(),
    };
    let poll = DeferredCredentialRequest::parse(body.as_bytes()).unwrap();
    let ready = s.deferred_ready.take().map(|c| (c, "note-2".to_owned()));
    let flow = s.flow.take().unwrap();
    match flow.clone().poll_deferred(&poll, &access, ready) {
        Ok((flow, response)) => {
            s.flow = Some(flow);
            (
                StatusCode::from_u16(response.status()).unwrap(),
                axum::Json(serde_json::to_value(response).unwrap()),
            )
                .into_response()
        }
        Err(e) => {
            s.flow = Some(flow);
            oauth_error(&e, None)
        }
    }
}

async fn notification(State(s): State<SharedIssuer>, headers: HeaderMap, body: String) -> Response {
    let mut s = s.lock().unwrap();
    let dpop = match resource_dpop(&mut s, &headers, "/notification") {
        Ok(d) => d,
        Err(r) => return r,
    };
    let p = provider();
    let access = Access {
        access_token: ACCESS_TOKEN,
        dpop: Some(&dpop),
        provider: &p,
        now: system_now(),
    };
    let note = NotificationRequest::parse(body.as_bytes()).unwrap();
    let flow = s.flow.take().unwrap();
    match flow.clone().notify(&note, &access) {
        Ok(flow) => {
            s.flow = Some(flow);
            s.notifications.push(
                serde_json::to_value(note.event)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => {
            s.flow = Some(flow);
            oauth_error(&e, None)
        }
    }
}

// ---------------------------------------------------------------- verifier

pub struct VerifierState {
    pub certificate: Vec<u8>,
    pub session: Option<VerifierSession>,
    pub signer: SoftwareSigner,
    pub key: DecryptionKey,
    pub response_bodies: Vec<String>,
}

pub type SharedVerifier = Arc<Mutex<VerifierState>>;

pub struct VerifierOptions {
    pub mode: ResponseMode,
    pub query: Value,
    /// DNS name in the request-signing certificate (the client id names `localhost`).
    pub certificate_dns: &'static str,
}

struct Decryptor<'a>(&'a DecryptionKey);

impl ResponseDecryptor for Decryptor<'_> {
    fn decrypt(&self, compact_jwe: &str) -> Result<Vec<u8>, String> {
        jwe::decrypt(compact_jwe, self.0)
            .map(|d| d.plaintext.to_vec())
            .map_err(|e| e.to_string())
    }
}

/// SD-JWT VC verification with key binding required, issuer key from x5c.
struct SdJwtVerifier;

impl PresentationVerifier for SdJwtVerifier {
    fn verify(
        &self,
        format: &CredentialFormat,
        presentation: &Value,
        context: &PresentationContext<'_>,
    ) -> Result<VerifiedPresentation, String> {
        let text = presentation.as_str().ok_or("not a string")?;
        if *format == CredentialFormat::JwtVcJson {
            return verify_vp(text, context);
        }
        if *format != CredentialFormat::DcSdJwt {
            return Err("format".into());
        }
        let sd =
            SdJwt::parse(text, kakehashi_sd_jwt::Limits::DEFAULT).map_err(|e| e.to_string())?;
        let mut base = VerifyOptions::new(context.now);
        base.key_binding = KeyBinding::Required {
            nonce: context.nonce,
            audience: context.audience,
        };
        let v = verify_sd_jwt_vc(sd, &provider(), IssuerKey::X5c, &VcVerifyOptions::new(base))
            .map_err(|e| e.to_string())?;
        let kb = v.sd_jwt().key_binding().ok_or("no key binding")?;
        Ok(VerifiedPresentation {
            claims: Value::Object(v.claims().clone()),
            vct: Some(v.vct().to_owned()),
            types: vec![],
            authorities: vec![],
            holder_binding: Some(HolderBinding {
                nonce: kb.nonce.clone(),
                audience: kb.audience.clone(),
            }),
        })
    }
}

/// Resolves `did:jwk` holder keys.
struct DidJwk;

impl kakehashi_vc_jose::KeyResolver for DidJwk {
    fn resolve(
        &self,
        kid: Option<&str>,
        _issuer: Option<&str>,
    ) -> Option<kakehashi_crypto::PublicJwk> {
        let did = kid?.split('#').next()?;
        kakehashi_oid4vci::proof::did_jwk_key(did).ok()
    }
}

/// A `vp+jwt`: holder signature (did:jwk), nonce/aud, the enveloped credential (x5c), and the
/// credential subject bound to the holder.
fn verify_vp(
    text: &str,
    context: &PresentationContext<'_>,
) -> Result<VerifiedPresentation, String> {
    let options = kakehashi_vc_jose::VerifyOptions::at(context.now).with_key_resolver(&DidJwk);
    let vp = kakehashi_vc_jose::verify_vp_jwt(
        text,
        &provider(),
        &options,
        kakehashi_vc_jose::HolderBinding::Required {
            nonce: context.nonce,
            audience: context.audience,
        },
    )
    .map_err(|e| e.to_string())?;
    let credential = vp.credentials().first().ok_or("no credential")?;
    let view = credential.credential();
    let holder = vp.presentation().holder().ok_or("no holder")?;
    if view
        .subjects()
        .first()
        .and_then(|s| s.get("id"))
        .and_then(Value::as_str)
        != Some(holder)
    {
        return Err("credential subject is not the holder".into());
    }
    let document = vp.presentation().document();
    Ok(VerifiedPresentation {
        claims: Value::Object(view.document().clone()),
        vct: None,
        types: view.types().to_vec(),
        authorities: vec![],
        holder_binding: Some(HolderBinding {
            nonce: document["nonce"].as_str().unwrap_or_default().into(),
            audience: document["aud"].as_str().unwrap_or_default().into(),
        }),
    })
}

pub async fn start_verifier(
    pki: &Pki,
    options: VerifierOptions,
) -> (SharedVerifier, String, tokio::task::JoinHandle<()>) {
    start_verifier_with(pki, options, false).await
}

pub const RESPONSE_CODE: &str = "rc-091535f699ea575c7937";

/// `same_device`: the session has a `redirect_uri` (`{base}/done`) and a response code.
pub async fn start_verifier_with(
    pki: &Pki,
    options: VerifierOptions,
    same_device: bool,
) -> (SharedVerifier, String, tokio::task::JoinHandle<()>) {
    let (tcp, base) = bind().await;
    let key = DecryptionKey::generate().unwrap();
    let signer_key = SoftwareSigner::generate(SignatureAlgorithm::Es256).unwrap();
    let cert = certificate_for(
        &signer_key,
        options.certificate_dns,
        "Kakehashi Test Verifier",
    );
    let signer = signer_key.with_certificate_chain(vec![cert.clone()]);
    let mut formats = Map::new();
    formats.insert(
        "dc+sd-jwt".into(),
        json!({"sd-jwt_alg_values": ["ES256"], "kb-jwt_alg_values": ["ES256"]}),
    );
    formats.insert("jwt_vc_json".into(), json!({"alg_values": ["ES256"]}));
    let created = Created::new(
        NewSession {
            client_id: "x509_san_dns:localhost".into(),
            response_uri: format!("{base}/response"),
            request_uri: format!("{base}/request"),
            response_mode: options.mode,
            client_metadata: ClientMetadata {
                jwks: Some(JwkSet {
                    keys: vec![key.public_jwk_json()],
                }),
                encrypted_response_enc_values_supported: Some(vec!["A128GCM".into()]),
                vp_formats_supported: formats,
                other: Map::new(),
            },
            dcql_query: DcqlQuery::from_json(&options.query).unwrap(),
            nonce: "verifier-nonce-0123456789abcdef".into(),
            state: "verifier-state-0123456789".into(),
            redirect_uri: same_device.then(|| format!("{base}/done")),
            response_code: same_device.then(|| RESPONSE_CODE.to_owned()),
            lifetime_seconds: 600,
        },
        system_now(),
    )
    .unwrap();
    let uri = created.request_uri(OPENID4VP_SCHEME);
    let state = Arc::new(Mutex::new(VerifierState {
        certificate: cert,
        session: Some(VerifierSession::Created(created)),
        signer,
        key,
        response_bodies: vec![],
    }));
    let router = Router::new()
        .route(
            "/request",
            post(|State(s): State<SharedVerifier>, body: String| async move {
                let mut s = s.lock().unwrap();
                let post = RequestUriPost::from_form(&body).unwrap();
                let session = s.session.take().unwrap();
                let (session, jwt) = session
                    .fetch_request(Some(&post), &s.signer, system_now())
                    .unwrap();
                s.session = Some(session);
                ([("content-type", "application/oauth-authz-req+jwt")], jwt).into_response()
            }),
        )
        .route(
            "/response",
            post(|State(s): State<SharedVerifier>, body: String| async move {
                let mut s = s.lock().unwrap();
                s.response_bodies.push(body.clone());
                let session = s.session.take().unwrap();
                let result = session.clone().receive_response(
                    &body,
                    &Decryptor(&s.key),
                    &SdJwtVerifier,
                    system_now(),
                );
                match result {
                    Ok((session, answer)) => {
                        s.session = Some(session);
                        axum::Json(serde_json::to_value(answer).unwrap()).into_response()
                    }
                    Err(e) => {
                        s.session = Some(session);
                        (
                            StatusCode::BAD_REQUEST,
                            axum::Json(json!({"error": e.wire().1})),
                        )
                            .into_response()
                    }
                }
            }),
        )
        .with_state(state.clone());
    let (_, handle) = serve_tls_on(pki, tcp, router).await;
    (state, uri, handle)
}

pub fn diploma_query(vct: &str) -> Value {
    json!({"credentials": [{"id": "diploma", "format": "dc+sd-jwt", "meta": {"vct_values": [vct]},
        "claims": [{"path": ["degree", "title"]}, {"path": ["family_name"]}]}]})
}

pub fn _unused(_: &dyn Signer, _: &CryptoProvider) {}

/// What a test inspects of the verifier, without holding its lock across awaits.
pub struct VerifierView {
    pub session: Option<VerifierSession>,
    pub key: DecryptionKey,
    pub response_bodies: Vec<String>,
}

impl VerifierState {
    pub fn clone_view(&self) -> VerifierView {
        VerifierView {
            session: self.session.clone(),
            key: DecryptionKey::from_private_jwk(
                &serde_json::from_str(&self.key.to_private_jwk().unwrap()).unwrap(),
            )
            .unwrap(),
            response_bodies: self.response_bodies.clone(),
        }
    }
}
