//! [`IssuerState`]: the store, the issuer's identity and keys, the injected clock and random
//! source, and the configuration every handler and service reads.

use std::sync::Arc;

use aws_lc_rs::hmac;
use aws_lc_rs::rand::{SecureRandom as _, SystemRandom};
use kakehashi_academic::model::AwardingBody;
use kakehashi_core::{UnixTime, b64};
use kakehashi_crypto::{CryptoProvider, HashAlgorithm, SignatureAlgorithm, Signer};
use kakehashi_crypto_aws_lc::SoftwareSigner;
use kakehashi_crypto_aws_lc::sealed::{KeyEncryptionKey, SEAL_ALGORITHM};
use kakehashi_storage::{EncryptedKey, KeyStore, SigningKey, StorageError};

use crate::IssuerError;
use crate::keys::KeyRing;

/// Which credential profile a university issues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// EU: SD-JWT VC (`dc+sd-jwt`), Token Status List.
    Eu,
    /// Japan: W3C VC 2.0 / Open Badges 3.0 `AchievementCredential` as `jwt_vc_json`,
    /// Bitstring Status List.
    Jp,
}

impl Profile {
    /// The one `credential_configuration_id` of the profile.
    pub fn configuration_id(self) -> &'static str {
        match self {
            Self::Eu => crate::metadata::EU_CONFIGURATION_ID,
            Self::Jp => crate::metadata::JP_CONFIGURATION_ID,
        }
    }
}

/// Lifetimes and limits. Defaults are safe for production.
#[derive(Debug, Clone)]
pub struct IssuerConfig {
    /// Offer lifetime, seconds (offers shown on screen to a graduate).
    pub offer_lifetime: i64,
    /// Offer lifetime for bulk imports (the graduate receives the offer later), seconds.
    pub bulk_offer_lifetime: i64,
    /// PAR `request_uri` lifetime, seconds.
    pub par_lifetime: i64,
    /// Authorization code lifetime, seconds.
    pub code_lifetime: i64,
    /// Access token lifetime, seconds.
    pub token_lifetime: i64,
    /// `c_nonce` lifetime, seconds.
    pub nonce_lifetime: i64,
    /// How old a DPoP proof or key proof `iat` may be, seconds.
    pub proof_max_age: i64,
    /// Tolerated clock skew into the future, seconds.
    pub clock_skew: i64,
    /// Wrong `tx_code`s tolerated per offer.
    pub tx_code_attempts: u32,
    /// Largest request body, bytes (413 above).
    pub max_body_bytes: usize,
    /// Credentials (and key proofs) per request.
    pub batch_size: u32,
    /// Credential validity, seconds (`exp` / `validUntil`).
    pub credential_lifetime: i64,
    /// Deferred transaction lifetime, seconds.
    pub deferred_lifetime: i64,
    /// Poll interval returned with a deferral, seconds.
    pub deferred_interval: u64,
    /// Status list token validity (`exp`) and cache `ttl`, seconds.
    pub status_list_lifetime: i64,
    /// `ttl` of the status list token, seconds.
    pub status_list_ttl: u64,
    /// Entries per status list (W3C minimum 131 072).
    pub status_list_size: u32,
    /// SHA-256 of the admin bearer token; `None` disables the admin API.
    pub admin_token_sha256: Option<Vec<u8>>,
    /// Require server-provided DPoP nonces (RFC 9449 section 8) at every DPoP endpoint. The
    /// nonces are stateless (HMAC of a 5-minute window under the offer secret), so every node
    /// accepts every other node's; the current and the previous window are accepted.
    pub require_dpop_nonce: bool,
}

impl Default for IssuerConfig {
    fn default() -> Self {
        Self {
            offer_lifetime: 15 * 60,
            bulk_offer_lifetime: 90 * 24 * 3600,
            par_lifetime: 60,
            code_lifetime: 60,
            token_lifetime: 300,
            nonce_lifetime: 300,
            proof_max_age: 300,
            clock_skew: 60,
            tx_code_attempts: kakehashi_oid4vci::issuer::DEFAULT_TX_CODE_ATTEMPTS,
            max_body_bytes: 64 * 1024,
            batch_size: 4,
            credential_lifetime: 10 * 365 * 24 * 3600,
            deferred_lifetime: 30 * 24 * 3600,
            deferred_interval: 60,
            status_list_lifetime: 24 * 3600,
            status_list_ttl: 300,
            status_list_size: 131_072,
            admin_token_sha256: None,
            require_dpop_nonce: false,
        }
    }
}

impl IssuerConfig {
    /// Sets the admin token (only its SHA-256 is kept).
    pub fn with_admin_token(mut self, token: &str) -> Self {
        self.admin_token_sha256 = Some(sha256(token.as_bytes()));
        self
    }
}

/// Who issues: the Credential Issuer Identifier, the university, the profile and the seal.
#[derive(Clone)]
pub struct IssuerIdentity {
    /// The Credential Issuer Identifier: the public `https` base URL of this issuer (all
    /// endpoint URLs, DPoP `htu` checks and status list URIs derive from it).
    pub credential_issuer: String,
    /// The university, as the academic crate models it.
    pub awarding_body: AwardingBody,
    /// The credential profile.
    pub profile: Profile,
    /// The seal key with its `x5c` chain (and `kid`).
    pub signer: Arc<dyn Signer>,
}

impl std::fmt::Debug for IssuerIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuerIdentity")
            .field("credential_issuer", &self.credential_issuer)
            .field("profile", &self.profile)
            .field("kid", &self.signer.public_jwk().kid())
            .finish_non_exhaustive()
    }
}

/// The clock, injectable so tests move time.
pub type Clock = Arc<dyn Fn() -> UnixTime + Send + Sync>;
/// The random source (fills the buffer with CSPRNG output).
pub type RandomSource = Arc<dyn Fn(&mut [u8]) + Send + Sync>;

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

/// The operating system's CSPRNG.
pub fn system_random() -> RandomSource {
    Arc::new(|buf: &mut [u8]| {
        // A failing system RNG is unrecoverable: aws-lc aborts internally in that case too.
        #[allow(clippy::expect_used)]
        SystemRandom::new()
            .fill(buf)
            .expect("operating system randomness unavailable");
    })
}

/// The secret from which pre-authorized codes, transaction codes and offer reference ids are
/// derived (HMAC-SHA256 over the offer id). Deriving them lets the issuer show an offer again
/// later (bulk imports) while storing only their hashes.
#[derive(Clone)]
pub struct OfferSecret(hmac::Key);

impl std::fmt::Debug for OfferSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OfferSecret(<redacted>)")
    }
}

impl OfferSecret {
    /// From 32 secret bytes.
    pub fn from_bytes(bytes: &[u8]) -> Self {
        Self(hmac::Key::new(hmac::HMAC_SHA256, bytes))
    }

    /// HMAC-SHA256 of `label`, a zero byte and `offer_id`: one secret, many independent derived
    /// values (codes, nonces, other roles' secrets shared by every node of a database).
    pub fn derive(&self, label: &str, offer_id: &str) -> Vec<u8> {
        let mut ctx = hmac::Context::with_key(&self.0);
        ctx.update(label.as_bytes());
        ctx.update(b"\0");
        ctx.update(offer_id.as_bytes());
        ctx.sign().as_ref().to_vec()
    }
}

/// What every handler and service needs. Cheap to clone.
#[derive(Clone)]
pub struct IssuerState<S> {
    /// The store.
    pub store: S,
    /// The issuer.
    pub identity: IssuerIdentity,
    /// Lifetimes and limits.
    pub config: Arc<IssuerConfig>,
    /// Offer code derivation secret.
    pub offer_secret: OfferSecret,
    /// The clock.
    pub clock: Clock,
    /// The random source.
    pub random: RandomSource,
    /// Crypto provider (verification, digests).
    pub provider: Arc<CryptoProvider>,
    /// The EU Type Metadata document exactly as served (its SHA-256 is `vct#integrity`).
    pub type_metadata: Arc<Vec<u8>>,
    /// The seal key in use and the published keys, swapped on rotation (`crate::keys`).
    pub keys: Arc<KeyRing>,
}

impl<S> std::fmt::Debug for IssuerState<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuerState")
            .field("identity", &self.identity)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl<S> IssuerState<S> {
    /// State with the system clock and randomness.
    pub fn new(
        store: S,
        identity: IssuerIdentity,
        config: IssuerConfig,
        offer_secret: OfferSecret,
    ) -> Self {
        let type_metadata =
            serde_json::to_vec_pretty(&kakehashi_academic::profiles::eu_type_metadata())
                .unwrap_or_default();
        let keys = Arc::new(KeyRing::new(identity.signer.clone()));
        Self {
            store,
            identity,
            keys,
            config: Arc::new(config),
            offer_secret,
            clock: system_clock(),
            random: system_random(),
            provider: Arc::new(kakehashi_crypto_aws_lc::provider()),
            type_metadata: Arc::new(type_metadata),
        }
    }

    /// Replaces the clock (tests).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Replaces the random source.
    pub fn with_random(mut self, random: RandomSource) -> Self {
        self.random = random;
        self
    }

    /// The seal key for a new signature: the owner's current key as this node last loaded it
    /// (`identity.signer` is only the key at start). Take it once per credential so `kid`,
    /// `x5c` and signature come from one key.
    pub fn signer(&self) -> Arc<dyn Signer> {
        self.keys.current()
    }

    /// The current time.
    pub fn now(&self) -> UnixTime {
        (self.clock)()
    }

    /// A fresh random base64url string of `bytes` random bytes.
    pub fn random_token(&self, bytes: usize) -> String {
        let mut buf = vec![0u8; bytes];
        (self.random)(&mut buf);
        b64::encode(&buf)
    }

    /// An endpoint URL under the credential issuer.
    pub fn url(&self, path: &str) -> String {
        format!(
            "{}{path}",
            self.identity.credential_issuer.trim_end_matches('/')
        )
    }

    /// The server DPoP nonce of the 5-minute window `offset` windows before now.
    pub fn dpop_nonce(&self, offset: i64) -> String {
        let window = self.now().seconds().div_euclid(300) - offset;
        let mac = self.offer_secret.derive("dpop-nonce", &window.to_string());
        b64::encode(&mac[..18])
    }

    /// SHA-256 of a secret the client presents (codes, tokens), as the store keys it.
    pub fn secret_hash(&self, secret: &str) -> Vec<u8> {
        self.provider
            .digest(HashAlgorithm::Sha256, secret.as_bytes())
    }
}

pub(crate) fn sha256(bytes: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes)
        .as_ref()
        .to_vec()
}

/// Owner of the issuer's seal key in the [`KeyStore`].
pub const ISSUER_KEY_OWNER: &str = "issuer";
/// Owner of the offer code secret in the [`KeyStore`].
pub const OFFER_SECRET_OWNER: &str = "issuer-offer-secret";

fn seal_context(owner: &str, id: &str) -> String {
    format!("{owner}/{id}")
}

/// Loads the current issuer seal key from the store and opens it with the KEK; on first start
/// generates an ES256 key, asks `certify` for its certificate chain (DER, leaf first; the
/// argument is the PKCS#8 private key, e.g. for a CSR or a test CA), seals it and stores it.
///
/// The returned signer carries the chain (for `x5c`) and the key id (`kid`).
pub async fn load_or_create_issuer_key<K: KeyStore>(
    store: &K,
    kek: &KeyEncryptionKey,
    now: UnixTime,
    certify: impl FnOnce(&[u8]) -> Result<Vec<Vec<u8>>, String>,
) -> Result<Arc<dyn Signer>, IssuerError> {
    load_or_create_key_of(store, kek, ISSUER_KEY_OWNER, now, certify).await
}

/// [`load_or_create_issuer_key`] for the key of `owner`: one store can hold the keys of
/// several issuers (a node serving two universities) and verifiers' request-signing keys, each
/// under its own owner name.
pub async fn load_or_create_key_of<K: KeyStore>(
    store: &K,
    kek: &KeyEncryptionKey,
    owner: &str,
    now: UnixTime,
    certify: impl FnOnce(&[u8]) -> Result<Vec<Vec<u8>>, String>,
) -> Result<Arc<dyn Signer>, IssuerError> {
    match store.current_signing_key(owner).await {
        Ok(key) => return open_issuer_key(key, kek),
        Err(StorageError::NotFound { .. }) => {}
        Err(e) => return Err(e.into()),
    }
    let (id, signer) = create_key(store, kek, owner, now, certify).await?;
    match store.make_signing_key_current(&id).await {
        Ok(()) => Ok(signer),
        // Another node made its key current at the same time: use theirs.
        Err(StorageError::Conflict { .. }) => {
            open_issuer_key(store.current_signing_key(owner).await?, kek)
        }
        Err(e) => Err(e.into()),
    }
}

/// Generates an ES256 key, has `certify` certify it, seals it under the KEK and stores it as
/// a non-current key of `owner`. Returns its id and signer.
pub(crate) async fn create_key<K: KeyStore>(
    store: &K,
    kek: &KeyEncryptionKey,
    owner: &str,
    now: UnixTime,
    certify: impl FnOnce(&[u8]) -> Result<Vec<Vec<u8>>, String>,
) -> Result<(String, Arc<dyn Signer>), IssuerError> {
    let signer =
        SoftwareSigner::generate(SignatureAlgorithm::Es256).map_err(IssuerError::internal)?;
    let pkcs8 = signer.to_pkcs8().map_err(IssuerError::internal)?;
    let chain = certify(&pkcs8).map_err(IssuerError::Internal)?;
    let provider = kakehashi_crypto_aws_lc::provider();
    let id = signer
        .public_jwk()
        .thumbprint(&provider, HashAlgorithm::Sha256);
    let sealed = kek
        .seal(&pkcs8, &seal_context(owner, &id))
        .map_err(IssuerError::internal)?;
    let record = SigningKey {
        id: id.clone(),
        owner: owner.into(),
        algorithm: "ES256".into(),
        public_jwk: signer.public_jwk().to_json().to_string(),
        private_key: EncryptedKey {
            kek_id: kek.id().to_owned(),
            algorithm: SEAL_ALGORITHM.into(),
            ciphertext: sealed,
        },
        certificate_chain: chain.clone(),
        created_at: now,
        current: false,
        retired_at: None,
    };
    store.insert_signing_key(&record).await?;
    Ok((
        id.clone(),
        Arc::new(signer.with_certificate_chain(chain).with_kid(id)),
    ))
}

pub(crate) fn open_issuer_key(
    key: SigningKey,
    kek: &KeyEncryptionKey,
) -> Result<Arc<dyn Signer>, IssuerError> {
    let pkcs8 = kek
        .open(
            &key.private_key.algorithm,
            &key.private_key.ciphertext,
            &seal_context(&key.owner, &key.id),
        )
        .map_err(IssuerError::internal)?;
    let algorithm = match key.algorithm.as_str() {
        "ES256" => SignatureAlgorithm::Es256,
        "ES384" => SignatureAlgorithm::Es384,
        other => return Err(IssuerError::Internal(format!("unsupported key {other}"))),
    };
    let signer = SoftwareSigner::from_pkcs8(algorithm, &pkcs8)
        .map_err(IssuerError::internal)?
        .with_certificate_chain(key.certificate_chain)
        .with_kid(key.id);
    Ok(Arc::new(signer))
}

/// Loads (or on first start creates) the offer code secret, sealed under the KEK in the
/// [`KeyStore`] like a private key, so every node and the `registrar import` command derive
/// the same codes.
pub async fn load_or_create_offer_secret<K: KeyStore>(
    store: &K,
    kek: &KeyEncryptionKey,
    now: UnixTime,
) -> Result<OfferSecret, IssuerError> {
    for _ in 0..2 {
        match store.current_signing_key(OFFER_SECRET_OWNER).await {
            Ok(key) => {
                let bytes = kek
                    .open(
                        &key.private_key.algorithm,
                        &key.private_key.ciphertext,
                        &seal_context(&key.owner, &key.id),
                    )
                    .map_err(IssuerError::internal)?;
                return Ok(OfferSecret::from_bytes(&bytes));
            }
            Err(StorageError::NotFound { .. }) => {
                let mut secret = [0u8; 32];
                SystemRandom::new()
                    .fill(&mut secret)
                    .map_err(|_| IssuerError::Internal("randomness unavailable".into()))?;
                let mut id_bytes = [0u8; 16];
                SystemRandom::new()
                    .fill(&mut id_bytes)
                    .map_err(|_| IssuerError::Internal("randomness unavailable".into()))?;
                let id = format!("offer-secret-{}", b64::encode(id_bytes));
                let sealed = kek
                    .seal(&secret, &seal_context(OFFER_SECRET_OWNER, &id))
                    .map_err(IssuerError::internal)?;
                let record = SigningKey {
                    id: id.clone(),
                    owner: OFFER_SECRET_OWNER.into(),
                    algorithm: "HS256".into(),
                    public_jwk: "{}".into(),
                    private_key: EncryptedKey {
                        kek_id: kek.id().to_owned(),
                        algorithm: SEAL_ALGORITHM.into(),
                        ciphertext: sealed,
                    },
                    certificate_chain: Vec::new(),
                    created_at: now,
                    current: false,
                    retired_at: None,
                };
                match store.insert_signing_key(&record).await {
                    Ok(()) => {}
                    Err(StorageError::Conflict { .. }) => continue,
                    Err(e) => return Err(e.into()),
                }
                match store.make_signing_key_current(&id).await {
                    Ok(()) => return Ok(OfferSecret::from_bytes(&secret)),
                    Err(StorageError::Conflict { .. }) => continue,
                    Err(e) => return Err(e.into()),
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(IssuerError::Internal(
        "could not settle the offer secret".into(),
    ))
}
