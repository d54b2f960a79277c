//! The Kakehashi holder wallet: the client side of OpenID4VCI 1.0 and OpenID4VP 1.0 over real
//! HTTP, holder keys sealed at rest, the credential store, DCQL matching, a consent step and
//! presentations with key binding.
//!
//! ```text
//! receive(offer_uri, tx_code)                         prepare_presentation(request_uri)
//!   offer (by value / by reference)                     request object (GET, or POST wallet_nonce)
//!   issuer + AS metadata                                verify: x509_san_dns / x509_hash, aud, exp
//!   token (pre-authorized_code + tx_code, DPoP)         match DCQL against held credentials
//!   /nonce, one fresh key per credential (batch)      ──▶ ConsentRequest (serde: survives requests)
//!   credential (DPoP + ath), deferred polling         present(consent, Choice::Accept | Decline)
//!   verify signature + holder binding, then store       SD-JWT + KB-JWT / VP JWT with nonce + aud
//!   notification credential_accepted                    direct_post or direct_post.jwt (ECDH-ES)
//!                                                       history record, redirect_uri (same device)
//! ```
//!
//! The protocol decisions are made by the pure crates (`kakehashi-oid4vci::wallet`,
//! `kakehashi-oid4vp::wallet`, `kakehashi-sd-jwt`, `kakehashi-vc-jose`); this crate does the
//! I/O between their states. Time comes from an injected [`Clock`], HTTP from [`WalletHttp`].
//!
//! Several holders can share one store: every record id starts with the [`HolderId`] and a
//! `/`, and a wallet only ever reads its own prefix.

#![forbid(unsafe_code)]

pub mod api;
mod display;
pub mod http;
mod issuance;
mod pending;
mod presentation;

use std::sync::Arc;
use std::time::Duration;

use aws_lc_rs::rand::{SecureRandom as _, SystemRandom};
use kakehashi_core::{UnixTime, b64};
use kakehashi_crypto::{CryptoProvider, SignatureAlgorithm, Signer as _};
use kakehashi_crypto_aws_lc::SoftwareSigner;
use kakehashi_crypto_aws_lc::sealed::{KeyEncryptionKey, SEAL_ALGORITHM};
use kakehashi_storage::{EncryptedKey, HolderKey, StorageError, Store};
use serde::{Deserialize, Serialize};

pub use http::{HttpResponse, WalletHttp, default_fetch_config};
pub use issuance::PendingAuthorization;
pub use kakehashi_storage::{PresentationRecord, StoredCredential};
pub use presentation::{
    Alteration, Choice, ConsentItem, ConsentRequest, DisclosedClaim, PresentationOutcome,
    VerifierInfo,
};

/// Where the wallet reads the time. Injected so tests and replays are deterministic.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current time.
    fn now(&self) -> UnixTime;
}

/// The operating system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> UnixTime {
        #[allow(clippy::disallowed_methods)] // the one place the wallet reads the clock
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        UnixTime(i64::try_from(secs).unwrap_or(i64::MAX))
    }
}

/// A holder account: the prefix of every record the wallet writes for this holder.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct HolderId(String);

impl HolderId {
    /// 1–64 characters of `[A-Za-z0-9_.-]`.
    pub fn new(id: impl Into<String>) -> Result<Self, WalletError> {
        let id = id.into();
        if id.is_empty()
            || id.len() > 64
            || !id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        {
            return Err(WalletError::InvalidInput(
                "holder id must be 1-64 characters of [A-Za-z0-9_.-]".into(),
            ));
        }
        Ok(Self(id))
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn prefix(&self) -> String {
        format!("{}/", self.0)
    }
}

impl TryFrom<String> for HolderId {
    type Error = WalletError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<HolderId> for String {
    fn from(value: HolderId) -> Self {
        value.0
    }
}

/// Why the wallet refused or failed. Refusals the user should see are their own variants.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WalletError {
    /// No held credential satisfies the verifier's query.
    #[error("no held credential matches the request")]
    NoMatchingCredential,
    /// The request object failed validation (signature, client id prefix, aud, nonce, …).
    #[error("untrusted presentation request: {0}")]
    UntrustedRequest(String),
    /// The offer is malformed or inconsistent with the issuer metadata.
    #[error("invalid credential offer: {0}")]
    InvalidOffer(String),
    /// The offer needs a transaction code and none (or a malformed one) was given.
    #[error("transaction code: {0}")]
    TxCode(String),
    /// The offer only has the authorization code grant: use [`Wallet::begin_authorization`].
    #[error("this offer needs the authorization code flow (open the issuer's login page)")]
    AuthorizationRequired,
    /// The issuer answered with an error.
    #[error("issuer refused: {0}")]
    Issuer(String),
    /// A received credential failed verification; nothing was stored.
    #[error("received credential rejected: {0}")]
    CredentialRejected(String),
    /// Deferred issuance did not complete in time.
    #[error("deferred issuance still pending (transaction {transaction_id})")]
    DeferredPending {
        /// The transaction id to poll later.
        transaction_id: String,
    },
    /// The verifier answered the response with an error.
    #[error("verifier refused the response: {0}")]
    Verifier(String),
    /// The consent was given too late.
    #[error("the presentation request expired before consent")]
    ConsentExpired,
    /// Not found (credential, consent).
    #[error("not found: {0}")]
    NotFound(String),
    /// Bad input from the user.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// Network failure.
    #[error("HTTP: {0}")]
    Http(String),
    /// Key generation, sealing or signing.
    #[error("key: {0}")]
    Key(String),
    /// Storage.
    #[error("storage: {0}")]
    Storage(#[from] StorageError),
}

/// Policy knobs.
#[derive(Debug, Clone)]
pub struct WalletConfig {
    /// At most this many credentials (and fresh keys) per credential request, even when the
    /// issuer's `batch_size` allows more.
    pub max_batch: usize,
    /// Longest wait between deferred polls, whatever `interval` the issuer asks for.
    pub max_poll_interval: Duration,
    /// Total time to keep polling a deferred credential before returning
    /// [`WalletError::DeferredPending`].
    pub max_deferred_wait: Duration,
    /// How long a consent stays valid after the request was fetched.
    pub consent_lifetime_seconds: i64,
    /// OAuth client id for the authorization code flow (and when the AS refuses anonymous
    /// pre-authorized access).
    pub client_id: String,
    /// Redirect URI registered for the authorization code flow.
    pub redirect_uri: String,
    /// Trust anchors (DER) for verifiers' request-signing certificates. When set, a request
    /// whose `x5c` chain does not validate to one of them is refused as untrusted; when
    /// `None` the consent shows the verifier as not evaluated.
    pub verifier_anchors: Option<Vec<Vec<u8>>>,
    /// Trust anchors (DER) for issuers' `x5c` chains. When set, a credential signed under a
    /// chain that does not validate to one of them is rejected.
    pub issuer_anchors: Option<Vec<Vec<u8>>>,
}

impl Default for WalletConfig {
    fn default() -> Self {
        Self {
            max_batch: 3,
            max_poll_interval: Duration::from_secs(5),
            max_deferred_wait: Duration::from_secs(30),
            consent_lifetime_seconds: 300,
            client_id: "kakehashi-wallet".into(),
            redirect_uri: "https://wallet.kakehashi.example/callback".into(),
            verifier_anchors: None,
            issuer_anchors: None,
        }
    }
}

/// Everything holders share: store, key-encryption key, HTTP client, clock, policy.
#[derive(Debug, Clone)]
pub struct WalletContext<S> {
    store: S,
    kek: Arc<KeyEncryptionKey>,
    http: Arc<WalletHttp>,
    clock: Arc<dyn Clock>,
    config: Arc<WalletConfig>,
}

impl<S: Store + Clone> WalletContext<S> {
    /// Assembles the shared parts.
    pub fn new(
        store: S,
        kek: KeyEncryptionKey,
        http: WalletHttp,
        clock: Arc<dyn Clock>,
        config: WalletConfig,
    ) -> Self {
        Self {
            store,
            kek: Arc::new(kek),
            http: Arc::new(http),
            clock,
            config: Arc::new(config),
        }
    }

    /// The wallet of one holder.
    pub fn wallet(&self, holder: HolderId) -> Wallet<S> {
        Wallet {
            context: self.clone(),
            holder,
        }
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }
}

/// One holder's wallet.
#[derive(Debug, Clone)]
pub struct Wallet<S> {
    context: WalletContext<S>,
    holder: HolderId,
}

impl<S: Store + Clone> Wallet<S> {
    /// The holder.
    pub fn holder(&self) -> &HolderId {
        &self.holder
    }

    fn now(&self) -> UnixTime {
        self.context.clock.now()
    }

    fn provider(&self) -> CryptoProvider {
        kakehashi_crypto_aws_lc::provider()
    }

    fn http(&self) -> &WalletHttp {
        &self.context.http
    }

    fn store(&self) -> &S {
        &self.context.store
    }

    fn config(&self) -> &WalletConfig {
        &self.context.config
    }

    /// The holder's credentials, oldest first.
    pub async fn credentials(&self) -> Result<Vec<StoredCredential>, WalletError> {
        let prefix = self.holder.prefix();
        Ok(self
            .store()
            .stored_credentials()
            .await?
            .into_iter()
            .filter(|c| c.id.starts_with(&prefix))
            .collect())
    }

    /// One credential of the holder.
    pub async fn credential(&self, id: &str) -> Result<StoredCredential, WalletError> {
        if !id.starts_with(&self.holder.prefix()) {
            return Err(WalletError::NotFound(id.to_owned()));
        }
        match self.store().stored_credential(id).await {
            Ok(c) => Ok(c),
            Err(StorageError::NotFound { .. }) => Err(WalletError::NotFound(id.to_owned())),
            Err(e) => Err(e.into()),
        }
    }

    /// The claims of a credential as the holder sees them (all disclosures applied).
    pub async fn credential_claims(&self, id: &str) -> Result<serde_json::Value, WalletError> {
        let c = self.credential(id).await?;
        display::holder_claims(&c, &self.provider())
    }

    /// Deletes a credential of the holder.
    pub async fn delete_credential(&self, id: &str) -> Result<(), WalletError> {
        self.credential(id).await?;
        Ok(self.store().delete_stored_credential(id).await?)
    }

    /// The holder's presentation history, newest first.
    pub async fn history(&self) -> Result<Vec<PresentationRecord>, WalletError> {
        let prefix = self.holder.prefix();
        Ok(self
            .store()
            .presentations()
            .await?
            .into_iter()
            .filter(|r| r.id.starts_with(&prefix))
            .collect())
    }

    fn new_id(&self) -> Result<String, WalletError> {
        Ok(format!("{}{}", self.holder.prefix(), random_token(12)?))
    }

    /// Generates a key (not yet stored).
    fn generate_key(&self) -> Result<SoftwareSigner, WalletError> {
        SoftwareSigner::generate(SignatureAlgorithm::Es256)
            .map_err(|e| WalletError::Key(e.to_string()))
    }

    /// Seals and stores `signer` under `id`.
    async fn store_key(&self, id: &str, signer: &SoftwareSigner) -> Result<(), WalletError> {
        let pkcs8 = signer
            .to_pkcs8()
            .map_err(|e| WalletError::Key(e.to_string()))?;
        let ciphertext = self
            .context
            .kek
            .seal(&pkcs8, &seal_context(id))
            .map_err(|e| WalletError::Key(e.to_string()))?;
        let record = HolderKey {
            id: id.to_owned(),
            algorithm: "ES256".into(),
            public_jwk: signer.public_jwk().to_json().to_string(),
            private_key: EncryptedKey {
                kek_id: self.context.kek.id().to_owned(),
                algorithm: SEAL_ALGORITHM.into(),
                ciphertext,
            },
            created_at: self.now(),
        };
        Ok(self.store().insert_holder_key(&record).await?)
    }

    /// Loads and opens a stored key.
    async fn load_key(&self, id: &str) -> Result<SoftwareSigner, WalletError> {
        if !id.starts_with(&self.holder.prefix()) {
            return Err(WalletError::NotFound(id.to_owned()));
        }
        let record = self.store().holder_key(id).await?;
        let pkcs8 = self
            .context
            .kek
            .open(
                &record.private_key.algorithm,
                &record.private_key.ciphertext,
                &seal_context(id),
            )
            .map_err(|e| WalletError::Key(e.to_string()))?;
        SoftwareSigner::from_pkcs8(SignatureAlgorithm::Es256, &pkcs8)
            .map_err(|e| WalletError::Key(e.to_string()))
    }

    /// The wallet's DPoP key, created on first use.
    async fn dpop_key(&self) -> Result<SoftwareSigner, WalletError> {
        let id = format!("{}dpop", self.holder.prefix());
        match self.load_key(&id).await {
            Ok(k) => return Ok(k),
            Err(WalletError::Storage(StorageError::NotFound { .. })) => {}
            Err(e) => return Err(e),
        }
        let key = self.generate_key()?;
        match self.store_key(&id, &key).await {
            Ok(()) => Ok(key),
            // Another request created it first.
            Err(WalletError::Storage(StorageError::Conflict { .. })) => self.load_key(&id).await,
            Err(e) => Err(e),
        }
    }
}

/// Validates `chain` (leaf first) to one of `anchors` at `now` (RFC 5280 through webpki).
pub(crate) fn chain_is_anchored(
    chain: &[Vec<u8>],
    anchors: &[Vec<u8>],
    now: UnixTime,
) -> Result<(), String> {
    let anchors: Vec<&[u8]> = anchors.iter().map(Vec::as_slice).collect();
    kakehashi_trust::x509::verify_chain(chain, &anchors, now, &kakehashi_trust::Limits::default())
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// The additional authenticated data binding a sealed key to its record.
fn seal_context(id: &str) -> String {
    format!("wallet/{id}")
}

/// `n` random bytes as base64url.
pub(crate) fn random_token(n: usize) -> Result<String, WalletError> {
    let mut bytes = vec![0u8; n];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| WalletError::Key("randomness unavailable".into()))?;
    Ok(b64::encode(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holder_ids_are_safe_prefixes() {
        assert!(HolderId::new("hana.yamada-01").is_ok());
        for bad in ["", "a/b", "a b", "../x", &"x".repeat(65)] {
            assert!(HolderId::new(bad).is_err(), "{bad:?}");
        }
        assert_eq!(HolderId::new("hana").unwrap().prefix(), "hana/");
    }
}
