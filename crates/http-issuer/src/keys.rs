//! Seal key rotation without downtime, across nodes sharing one store.
//!
//! The store is the single source of truth: exactly one current key per owner, older keys
//! stay *active* (published, still verifying) until an operator retires them. A node holds a
//! [`KeyRing`] (the current signer and the published keys) and reloads it from the store every
//! `reload_interval`, so a rotation made on any node reaches every node without a restart:
//!
//! ```text
//! rotate_key_of:  new key -> certify -> seal -> insert -> make current (old one stays active)
//! every node:     reload_keys every interval -> signer = current, JWKS = all active keys
//! retire:         retire_signing_key -> gone from every JWKS at the next reload
//! ```
//!
//! Trusted lists name the CA, not the seal certificate, so a new seal certificate from the
//! same CA needs no list change; credentials sealed earlier keep verifying by `x5c`, and by
//! `kid` against `/.well-known/jwt-vc-issuer` until their key is retired.

use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse as _, Response};
use kakehashi_core::UnixTime;
use kakehashi_crypto::{PublicJwk, Signer};
use kakehashi_crypto_aws_lc::sealed::KeyEncryptionKey;
use kakehashi_storage::{KeyStore, StorageError, Store};
use serde_json::json;

use crate::state::{create_key, open_issuer_key};
use crate::status::check_admin;
use crate::{IssuerError, IssuerState};

/// Certifies a new seal key: PKCS#8 in, certificate chain (DER, leaf first) out.
pub type Certify = Arc<dyn Fn(&[u8]) -> Result<Vec<Vec<u8>>, String> + Send + Sync>;

/// What a node needs to rotate and reload its keys.
#[derive(Clone)]
pub struct KeyRotation {
    /// Opens the sealed private keys.
    pub kek: Arc<KeyEncryptionKey>,
    /// The key owner in the store (e.g. `issuer:eu:<world-id>`).
    pub owner: String,
    /// Certifies new keys.
    pub certify: Certify,
    /// How often the node reloads its keys from the store. Default 30 s.
    pub reload_interval: Duration,
}

impl std::fmt::Debug for KeyRotation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRotation")
            .field("owner", &self.owner)
            .field("reload_interval", &self.reload_interval)
            .finish_non_exhaustive()
    }
}

struct Loaded {
    current: Arc<dyn Signer>,
    published: Vec<PublicJwk>,
}

/// The node's view of its keys: swapped as a whole so a reader never sees a signer from one
/// reload and a JWKS from another.
pub struct KeyRing {
    loaded: RwLock<Arc<Loaded>>,
    rotation: RwLock<Option<KeyRotation>>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing")
            .field("kid", &self.current().public_jwk().kid())
            .finish_non_exhaustive()
    }
}

impl KeyRing {
    /// A ring with one key, current and published.
    pub fn new(signer: Arc<dyn Signer>) -> Self {
        let published = vec![signer.public_jwk().clone()];
        Self {
            loaded: RwLock::new(Arc::new(Loaded {
                current: signer,
                published,
            })),
            rotation: RwLock::new(None),
        }
    }

    fn snapshot(&self) -> Arc<Loaded> {
        self.loaded
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The key new signatures use.
    pub fn current(&self) -> Arc<dyn Signer> {
        self.snapshot().current.clone()
    }

    /// The keys the JWKS publishes (current first).
    pub fn published(&self) -> Vec<PublicJwk> {
        self.snapshot().published.clone()
    }

    /// The rotation settings, if this node rotates and reloads.
    pub fn rotation(&self) -> Option<KeyRotation> {
        self.rotation
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Enables rotation and reloading.
    pub fn set_rotation(&self, rotation: KeyRotation) {
        *self
            .rotation
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(rotation);
    }

    fn replace(&self, loaded: Loaded) {
        *self.loaded.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(loaded);
    }
}

/// Creates, certifies and stores a new key of `owner` and makes it current; the previous key
/// stays active (published, verifying) until retired. Returns the new signer. Two nodes
/// rotating at once: one wins, the other gets `Conflict` from the store (its key stays
/// stored but never current) and reports it.
pub async fn rotate_key_of<K: KeyStore>(
    store: &K,
    kek: &KeyEncryptionKey,
    owner: &str,
    now: UnixTime,
    certify: impl FnOnce(&[u8]) -> Result<Vec<Vec<u8>>, String>,
) -> Result<Arc<dyn Signer>, IssuerError> {
    let previous = match store.current_signing_key(owner).await {
        Ok(k) => Some(k.id),
        Err(StorageError::NotFound { .. }) => None,
        Err(e) => return Err(e.into()),
    };
    let (id, signer) = create_key(store, kek, owner, now, certify).await?;
    store.make_signing_key_current(&id).await?;
    tracing::info!(target: "audit", owner, kid = %id, previous = ?previous, "seal key rotated");
    Ok(signer)
}

/// Reloads the node's keys from the store: the owner's current key (opened with the KEK only
/// when it changed) and every active key for the JWKS. Returns whether the current key
/// changed. Without rotation settings there is nothing to reload.
pub async fn reload_keys<S: KeyStore>(state: &IssuerState<S>) -> Result<bool, IssuerError> {
    let Some(rotation) = state.keys.rotation() else {
        return Ok(false);
    };
    let active = state.store.active_signing_keys(&rotation.owner).await?;
    let mut published = Vec::with_capacity(active.len());
    for key in &active {
        let value: serde_json::Value =
            serde_json::from_str(&key.public_jwk).map_err(IssuerError::internal)?;
        let jwk = PublicJwk::from_json(&value).map_err(IssuerError::internal)?;
        published.push(jwk.with_kid(key.id.clone()));
    }
    let Some(current) = active.into_iter().find(|k| k.current) else {
        return Err(IssuerError::Internal(format!(
            "no current key of {}",
            rotation.owner
        )));
    };
    let held = state.keys.current();
    let changed = held.public_jwk().kid() != Some(current.id.as_str());
    let signer = if changed {
        let kid = current.id.clone();
        let signer = open_issuer_key(current, &rotation.kek)?;
        tracing::info!(owner = %rotation.owner, kid = %kid, "seal key reloaded");
        signer
    } else {
        held
    };
    state.keys.replace(Loaded {
        current: signer,
        published,
    });
    Ok(changed)
}

/// Rotates the key of this node's owner and reloads at once (the other nodes follow within
/// their reload interval).
pub async fn rotate_now<S: KeyStore>(state: &IssuerState<S>) -> Result<String, IssuerError> {
    let rotation = state
        .keys
        .rotation()
        .ok_or(IssuerError::NotFound("key rotation"))?;
    let certify = rotation.certify.clone();
    let signer = rotate_key_of(
        &state.store,
        &rotation.kek,
        &rotation.owner,
        state.now(),
        move |pkcs8| certify(pkcs8),
    )
    .await?;
    reload_keys(state).await?;
    Ok(signer.public_jwk().kid().unwrap_or_default().to_owned())
}

/// Retires key `kid` of this node's owner: it leaves every JWKS at the next reload. The
/// current key cannot be retired (rotate first), so a node always has a key to seal with.
pub async fn retire_key<S: KeyStore>(state: &IssuerState<S>, kid: &str) -> Result<(), IssuerError> {
    let rotation = state
        .keys
        .rotation()
        .ok_or(IssuerError::NotFound("key rotation"))?;
    let key = match state.store.signing_key(kid).await {
        Ok(k) if k.owner == rotation.owner => k,
        Ok(_) | Err(StorageError::NotFound { .. }) => return Err(IssuerError::NotFound("key")),
        Err(e) => return Err(e.into()),
    };
    if key.current {
        return Err(IssuerError::BadRequest(
            "the current key cannot be retired; rotate first".into(),
        ));
    }
    state.store.retire_signing_key(kid, state.now()).await?;
    tracing::info!(target: "audit", owner = %rotation.owner, kid, "seal key retired");
    reload_keys(state).await?;
    Ok(())
}

/// Reloads this node's keys every `reload_interval` until the runtime stops. A failed reload
/// keeps the keys the node has (the store may be briefly away) and is logged.
pub fn spawn_key_reloader<S: Store + Clone + 'static>(
    state: IssuerState<S>,
) -> Option<tokio::task::JoinHandle<()>> {
    let interval = state.keys.rotation()?.reload_interval;
    Some(tokio::spawn(async move {
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = reload_keys(&state).await {
                tracing::warn!(error = %e, "seal key reload failed; keeping the loaded keys");
            }
        }
    }))
}

/// `POST /admin/keys/rotate` with `Authorization: Bearer <admin token>`.
pub(crate) async fn admin_rotate<S: Store + Clone + 'static>(
    State(state): State<IssuerState<S>>,
    headers: HeaderMap,
) -> Result<Response, IssuerError> {
    check_admin(&state, &headers)?;
    let kid = rotate_now(&state).await?;
    Ok(axum::Json(json!({"kid": kid, "current": true})).into_response())
}

/// `POST /admin/keys/{kid}/retire` with `Authorization: Bearer <admin token>`.
pub(crate) async fn admin_retire<S: Store + Clone + 'static>(
    State(state): State<IssuerState<S>>,
    Path(kid): Path<String>,
    headers: HeaderMap,
) -> Result<Response, IssuerError> {
    check_admin(&state, &headers)?;
    retire_key(&state, &kid).await?;
    Ok(axum::Json(json!({"kid": kid, "retired": true})).into_response())
}

impl<S> IssuerState<S> {
    /// Enables rotation and periodic reloading of the seal key (see [`spawn_key_reloader`]).
    pub fn with_key_rotation(self, rotation: KeyRotation) -> Self {
        self.keys.set_rotation(rotation);
        self
    }
}
