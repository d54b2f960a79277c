//! Interactions that wait for the holder between two HTTP requests — a [`ConsentRequest`] between
//! "prepare" and "confirm", a [`PendingAuthorization`] while the user logs in at the issuer —
//! parked in the shared store rather than in one node's memory, so that any node behind the
//! load balancer can finish what another started.
//!
//! Each is serialized, sealed under the wallet's KEK (the authorization flow holds a PKCE
//! verifier) with the kind, id and holder as associated data, and taken out once: a second
//! answer, another holder's id or an expired one finds nothing.

use kakehashi_storage::{EncryptedKey, PendingInteraction, StorageError, Store};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::issuance::PendingAuthorization;
use crate::presentation::ConsentRequest;
use crate::{SEAL_ALGORITHM, Wallet, WalletError, random_token};

const CONSENT: &str = "consent";
const AUTHORIZATION: &str = "authorization";

fn aad(kind: &str, id: &str, holder_prefix: &str) -> String {
    format!("wallet-pending/{kind}/{id}/{holder_prefix}")
}

impl<S: Store + Clone> Wallet<S> {
    /// Parks a consent until the holder answers it (at most the configured consent lifetime
    /// after the request was fetched).
    pub async fn park_consent(&self, consent: &ConsentRequest) -> Result<(), WalletError> {
        let expires_at = consent
            .prepared_at
            .saturating_add(self.config().consent_lifetime_seconds);
        self.park(CONSENT, &consent.id, consent, expires_at).await
    }

    /// Takes this holder's parked consent `id` out, once. `NotFound` when there is none (never
    /// parked, answered already, another holder's); `ConsentExpired` after its lifetime.
    pub async fn take_consent(&self, id: &str) -> Result<ConsentRequest, WalletError> {
        self.take(CONSENT, id).await
    }

    /// Parks an authorization-code flow until the user comes back from the issuer; returns its
    /// id.
    pub async fn park_authorization(
        &self,
        pending: &PendingAuthorization,
    ) -> Result<String, WalletError> {
        let id = random_token(16)?;
        let expires_at = self
            .now()
            .saturating_add(self.config().consent_lifetime_seconds);
        self.park(AUTHORIZATION, &id, pending, expires_at).await?;
        Ok(id)
    }

    /// Takes this holder's parked authorization flow `id` out, once.
    pub async fn take_authorization(&self, id: &str) -> Result<PendingAuthorization, WalletError> {
        self.take(AUTHORIZATION, id).await
    }

    async fn park<T: Serialize>(
        &self,
        kind: &str,
        id: &str,
        value: &T,
        expires_at: kakehashi_core::UnixTime,
    ) -> Result<(), WalletError> {
        let now = self.now();
        // Expired interactions go when new ones come: no separate sweeper needed.
        self.store().purge_expired_pending_interactions(now).await?;
        let plain = serde_json::to_vec(value)
            .map_err(|e| WalletError::InvalidInput(format!("{kind}: {e}")))?;
        let holder = self.holder.prefix();
        let ciphertext = self
            .context
            .kek
            .seal(&plain, &aad(kind, id, &holder))
            .map_err(|e| WalletError::Key(e.to_string()))?;
        let record = PendingInteraction {
            id: id.to_owned(),
            kind: kind.to_owned(),
            holder,
            sealed: EncryptedKey {
                kek_id: self.context.kek.id().to_owned(),
                algorithm: SEAL_ALGORITHM.into(),
                ciphertext,
            },
            created_at: now,
            expires_at,
        };
        Ok(self.store().insert_pending_interaction(&record).await?)
    }

    async fn take<T: DeserializeOwned>(&self, kind: &str, id: &str) -> Result<T, WalletError> {
        let holder = self.holder.prefix();
        let record = match self
            .store()
            .take_pending_interaction(kind, id, &holder, self.now())
            .await
        {
            Ok(r) => r,
            Err(StorageError::NotFound { .. }) => {
                return Err(WalletError::NotFound(format!("{kind} {id}")));
            }
            Err(StorageError::Expired { .. }) if kind == CONSENT => {
                return Err(WalletError::ConsentExpired);
            }
            Err(StorageError::Expired { .. }) => {
                return Err(WalletError::NotFound(format!("{kind} {id} (expired)")));
            }
            Err(e) => return Err(e.into()),
        };
        let plain = self
            .context
            .kek
            .open(
                &record.sealed.algorithm,
                &record.sealed.ciphertext,
                &aad(kind, id, &holder),
            )
            .map_err(|e| WalletError::Key(e.to_string()))?;
        serde_json::from_slice(&plain)
            .map_err(|e| WalletError::Storage(StorageError::corrupt("wallet_pending", e)))
    }
}
