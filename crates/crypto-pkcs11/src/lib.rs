//! [`Signer`] over PKCS#11: an issuer's seal key that lives on an HSM (or SoftHSM2 in tests)
//! and never leaves it.
//!
//! The module is a shared library loaded at run time, so this is an edge crate. The signer
//! hashes the message here (aws-lc-rs) and asks the token for a raw `CKM_ECDSA` signature over
//! the digest: PKCS#11 returns `r || s` with each half padded to the curve size (PKCS#11 3.1
//! section 6.3.1), which is exactly the JWS `ES256` / `ES384` encoding (RFC 7518 section 3.4),
//! so no DER conversion is needed. Digesting on the host keeps the message off the HSM link and
//! works with tokens that lack `CKM_ECDSA_SHA256`.
//!
//! ```text
//! Pkcs11Module::open(path) -> Pkcs11Module::signer(token label, PIN, key) -> Pkcs11Signer: Signer
//! ```

#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use kakehashi_crypto::{CryptoError, Curve, PublicJwk, SignatureAlgorithm, Signer};

/// DER of the `namedCurve` OIDs in `CKA_EC_PARAMS` (RFC 5480 section 2.1.1.1).
const P256_PARAMS: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const P384_PARAMS: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22];

/// Sessions opened per signer when the caller does not say: each concurrent signature needs
/// its own session (a PKCS#11 session runs one operation at a time).
pub const DEFAULT_SESSIONS: usize = 4;

/// Why the HSM could not be opened or could not sign.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Pkcs11Error {
    /// The module (shared library) could not be loaded or initialised.
    #[error("PKCS#11 module {path}: {reason}")]
    Module { path: PathBuf, reason: String },
    /// No slot holds an initialised token with this label.
    #[error("no PKCS#11 token labelled {label:?}")]
    TokenNotFound { label: String },
    /// The user PIN was refused.
    #[error("PKCS#11 login refused: wrong PIN")]
    PinIncorrect,
    /// The token locked the user PIN after too many failures.
    #[error("PKCS#11 login refused: PIN locked")]
    PinLocked,
    /// The PIN environment variable is unset or not UTF-8.
    #[error("PIN environment variable {name} is not set")]
    PinMissing { name: String },
    /// No private key matches the label or id.
    #[error("no private key {key} on the token")]
    KeyNotFound { key: KeyRef },
    /// More than one private key matches: refusing to guess which one seals.
    #[error("{count} private keys match {key}; labels or ids must be unique")]
    AmbiguousKey { key: KeyRef, count: usize },
    /// The private key has no public key object with the same `CKA_ID` / label.
    #[error("no public key object for {key}")]
    PublicKeyNotFound { key: KeyRef },
    /// The key is not an EC key on P-256 or P-384, or its public point is malformed.
    #[error("unsupported key: {0}")]
    UnsupportedKey(String),
    /// Any other PKCS#11 failure, with the function that failed.
    #[error("PKCS#11: {0}")]
    Pkcs11(String),
}

impl From<CkError> for Pkcs11Error {
    fn from(e: CkError) -> Self {
        match e {
            CkError::Pkcs11(RvError::PinIncorrect, _) => Self::PinIncorrect,
            CkError::Pkcs11(RvError::PinLocked, _) => Self::PinLocked,
            other => Self::Pkcs11(other.to_string()),
        }
    }
}

/// How the key is found on the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyRef {
    /// `CKA_LABEL`.
    Label(String),
    /// `CKA_ID` (bytes; tools usually show it as hex).
    Id(Vec<u8>),
}

impl std::fmt::Display for KeyRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Label(l) => write!(f, "label {l:?}"),
            Self::Id(id) => {
                f.write_str("id ")?;
                id.iter().try_for_each(|b| write!(f, "{b:02x}"))
            }
        }
    }
}

impl KeyRef {
    fn attribute(&self) -> Attribute {
        match self {
            Self::Label(l) => Attribute::Label(l.as_bytes().to_vec()),
            Self::Id(id) => Attribute::Id(id.clone()),
        }
    }
}

/// Reads the user PIN from the environment variable `name`, so it is never written in a
/// configuration file or a command line (where `ps` and shell history would show it).
pub fn pin_from_env(name: &str) -> Result<AuthPin, Pkcs11Error> {
    std::env::var(name)
        .map(AuthPin::from)
        .map_err(|_| Pkcs11Error::PinMissing { name: name.into() })
}

/// A loaded and initialised PKCS#11 module. Cheap to clone (the library handle is shared).
#[derive(Clone)]
pub struct Pkcs11Module {
    ctx: Pkcs11,
    path: PathBuf,
}

impl std::fmt::Debug for Pkcs11Module {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pkcs11Module")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Pkcs11Module {
    /// Loads the module at `path` and calls `C_Initialize` with OS locking (the signer is used
    /// from many threads). A module another part of the process already initialised is fine.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, Pkcs11Error> {
        let path = path.as_ref().to_path_buf();
        let module_error = |e: CkError| Pkcs11Error::Module {
            path: path.clone(),
            reason: e.to_string(),
        };
        let ctx = Pkcs11::new(&path).map_err(module_error)?;
        match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
            Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
            Err(e) => return Err(module_error(e)),
        }
        Ok(Self { ctx, path })
    }

    /// The underlying context, for provisioning tools (generating keys on the token).
    pub fn context(&self) -> &Pkcs11 {
        &self.ctx
    }

    /// The slot whose initialised token has `label` (labels are blank-padded to 32 bytes
    /// on the token; cryptoki trims them).
    pub fn slot_by_token_label(&self, label: &str) -> Result<Slot, Pkcs11Error> {
        for slot in self.ctx.get_slots_with_initialized_token()? {
            if self.ctx.get_token_info(slot)?.label() == label {
                return Ok(slot);
            }
        }
        Err(Pkcs11Error::TokenNotFound {
            label: label.into(),
        })
    }

    /// Logs in to the token labelled `token_label` with `pin` and finds the private key
    /// `key` and its public key. `sessions` concurrent signatures are possible (at least 1).
    pub fn signer(
        &self,
        token_label: &str,
        pin: AuthPin,
        key: &KeyRef,
        sessions: usize,
    ) -> Result<Pkcs11Signer, Pkcs11Error> {
        let slot = self.slot_by_token_label(token_label)?;
        let first = open_logged_in(&self.ctx, slot, &pin)?;
        let private = find_one(&first, ObjectClass::PRIVATE_KEY, key)?;
        let (algorithm, public) = public_key_of(&first, private, key)?;
        let mut pool = vec![Mutex::new(first)];
        for _ in 1..sessions.max(1) {
            // Login state is per token and application: later sessions share it.
            pool.push(Mutex::new(self.ctx.open_ro_session(slot)?));
        }
        tracing::info!(
            module = %self.path.display(),
            token = token_label,
            key = %key,
            alg = %algorithm,
            sessions = pool.len(),
            "PKCS#11 signer ready"
        );
        Ok(Pkcs11Signer {
            ctx: self.ctx.clone(),
            slot,
            pin,
            key: private,
            algorithm,
            public,
            chain: Vec::new(),
            sessions: pool,
            next: AtomicUsize::new(0),
        })
    }
}

fn open_logged_in(ctx: &Pkcs11, slot: Slot, pin: &AuthPin) -> Result<Session, Pkcs11Error> {
    let session = ctx.open_ro_session(slot)?;
    match session.login(UserType::User, Some(pin)) {
        Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => Ok(session),
        Err(e) => Err(e.into()),
    }
}

fn find_one(
    session: &Session,
    class: ObjectClass,
    key: &KeyRef,
) -> Result<ObjectHandle, Pkcs11Error> {
    let found = session.find_objects(&[Attribute::Class(class), key.attribute()])?;
    match found.as_slice() {
        [one] => Ok(*one),
        [] if class == ObjectClass::PRIVATE_KEY => {
            Err(Pkcs11Error::KeyNotFound { key: key.clone() })
        }
        [] => Err(Pkcs11Error::PublicKeyNotFound { key: key.clone() }),
        many => Err(Pkcs11Error::AmbiguousKey {
            key: key.clone(),
            count: many.len(),
        }),
    }
}

/// The JWK of the public key object that pairs with `private` (same `CKA_ID`, else the
/// same lookup attribute): `CKA_EC_PARAMS` names the curve, `CKA_EC_POINT` holds the point.
fn public_key_of(
    session: &Session,
    private: ObjectHandle,
    key: &KeyRef,
) -> Result<(SignatureAlgorithm, PublicJwk), Pkcs11Error> {
    let attrs = session.get_attributes(private, &[AttributeType::KeyType, AttributeType::Id])?;
    let mut id = None;
    for a in attrs {
        match a {
            Attribute::KeyType(t) if t != KeyType::EC => {
                return Err(Pkcs11Error::UnsupportedKey(format!("key type {t}")));
            }
            Attribute::Id(v) if !v.is_empty() => id = Some(v),
            _ => {}
        }
    }
    let public = match id {
        Some(id) => find_one(session, ObjectClass::PUBLIC_KEY, &KeyRef::Id(id)),
        None => find_one(session, ObjectClass::PUBLIC_KEY, key),
    }
    .map_err(|e| match e {
        Pkcs11Error::KeyNotFound { .. } | Pkcs11Error::PublicKeyNotFound { .. } => {
            Pkcs11Error::PublicKeyNotFound { key: key.clone() }
        }
        other => other,
    })?;
    let mut params = None;
    let mut point = None;
    for a in session.get_attributes(public, &[AttributeType::EcParams, AttributeType::EcPoint])? {
        match a {
            Attribute::EcParams(p) => params = Some(p),
            Attribute::EcPoint(p) => point = Some(p),
            _ => {}
        }
    }
    let (curve, algorithm) = match params.as_deref() {
        Some(P256_PARAMS) => (Curve::P256, SignatureAlgorithm::Es256),
        Some(P384_PARAMS) => (Curve::P384, SignatureAlgorithm::Es384),
        _ => {
            return Err(Pkcs11Error::UnsupportedKey(
                "EC key on a curve other than P-256 / P-384".into(),
            ));
        }
    };
    let point = point.ok_or_else(|| Pkcs11Error::UnsupportedKey("no CKA_EC_POINT".into()))?;
    let jwk = PublicJwk::from_sec1(curve, unwrap_ec_point(&point, curve))
        .map_err(|e| Pkcs11Error::UnsupportedKey(e.to_string()))?;
    Ok((algorithm, jwk))
}

/// `CKA_EC_POINT` is the DER `OCTET STRING` around the uncompressed point (PKCS#11 3.1
/// section 2.3.3); some modules return the bare point. Both are accepted; anything else is
/// left for [`PublicJwk::from_sec1`] to reject.
fn unwrap_ec_point(value: &[u8], curve: Curve) -> &[u8] {
    let point_len = 1 + 2 * curve.coordinate_len();
    match value {
        // Short-form DER length: the point is below 128 bytes for P-256 and P-384.
        [0x04, len, rest @ ..] if usize::from(*len) == point_len && rest.len() == point_len => rest,
        other => other,
    }
}

/// A [`Signer`] whose private key stays on a PKCS#11 token.
///
/// Sessions are a small pool of mutex-guarded sessions (a `cryptoki` session is `Send` but
/// not `Sync`, and runs one operation at a time); a signature takes a free one, or waits for
/// one. A session the token dropped (HSM restart, `CKR_SESSION_HANDLE_INVALID`) is reopened
/// and logged in again once, so a restarted HSM does not need a restarted issuer.
pub struct Pkcs11Signer {
    ctx: Pkcs11,
    slot: Slot,
    // Kept to log in again after an HSM restart; `AuthPin` zeroises on drop, never printed.
    pin: AuthPin,
    key: ObjectHandle,
    algorithm: SignatureAlgorithm,
    public: PublicJwk,
    chain: Vec<Vec<u8>>,
    sessions: Vec<Mutex<Session>>,
    next: AtomicUsize,
}

impl std::fmt::Debug for Pkcs11Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pkcs11Signer")
            .field("algorithm", &self.algorithm)
            .field("public", &self.public)
            .field("sessions", &self.sessions.len())
            .finish_non_exhaustive()
    }
}

impl Pkcs11Signer {
    /// Attaches the certificate chain (DER, leaf first) for `x5c`. The HSM holds the key
    /// only; the chain comes from the CA that certified it.
    pub fn with_certificate_chain(mut self, chain: Vec<Vec<u8>>) -> Self {
        self.chain = chain;
        self
    }

    /// Sets the JWK `kid` (emitted as the JWS `kid` by issuers).
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.public = self.public.with_kid(kid);
        self
    }

    fn digest(&self, message: &[u8]) -> Vec<u8> {
        let alg = match self.algorithm {
            SignatureAlgorithm::Es384 => &aws_lc_rs::digest::SHA384,
            _ => &aws_lc_rs::digest::SHA256,
        };
        aws_lc_rs::digest::digest(alg, message).as_ref().to_vec()
    }

    fn session(&self) -> std::sync::MutexGuard<'_, Session> {
        let n = self.sessions.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed) % n;
        for i in 0..n {
            if let Some(Ok(guard)) = self.sessions.get((start + i) % n).map(Mutex::try_lock) {
                return guard;
            }
        }
        // All busy: wait for ours (`start < n`, and the pool is never empty). A panic while
        // holding a session leaves no operation active in it, so a poisoned lock is reused.
        self.sessions[start]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl Signer for Pkcs11Signer {
    fn algorithm(&self) -> SignatureAlgorithm {
        self.algorithm
    }

    fn public_jwk(&self) -> &PublicJwk {
        &self.public
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let digest = self.digest(message);
        let mut session = self.session();
        let signature = match session.sign(&Mechanism::Ecdsa, self.key, &digest) {
            Err(CkError::Pkcs11(
                RvError::SessionHandleInvalid
                | RvError::SessionClosed
                | RvError::UserNotLoggedIn
                | RvError::DeviceRemoved,
                _,
            )) => {
                tracing::warn!(kid = ?self.public.kid(), "PKCS#11 session lost; reopening");
                *session = open_logged_in(&self.ctx, self.slot, &self.pin)
                    .map_err(|e| CryptoError::SigningFailed(e.to_string()))?;
                session.sign(&Mechanism::Ecdsa, self.key, &digest)
            }
            other => other,
        }
        .map_err(|e| CryptoError::SigningFailed(e.to_string()))?;
        if signature.len() != self.algorithm.signature_len() {
            return Err(CryptoError::SigningFailed(format!(
                "token returned a {}-byte ECDSA signature, expected r || s of {}",
                signature.len(),
                self.algorithm.signature_len()
            )));
        }
        Ok(signature)
    }

    fn certificate_chain(&self) -> &[Vec<u8>] {
        &self.chain
    }
}
