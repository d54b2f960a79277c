//! OpenID4VCI over HTTP: offer → metadata → token → nonce → credential (→ deferred) → verify →
//! store → notification. The states are `kakehashi_oid4vci::wallet`'s; this module moves bytes.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use kakehashi_core::UnixTime;
use kakehashi_crypto::{HashAlgorithm, Signer as _};
use kakehashi_crypto_aws_lc::SoftwareSigner;
use kakehashi_oid4vci::credential::{
    CredentialResponse, CredentialTarget, NonceResponse, NotificationEvent, NotificationRequest,
};
use kakehashi_oid4vci::dpop::{DpopClaims, create_dpop_proof};
use kakehashi_oid4vci::metadata::{
    AuthorizationServerMetadata, CredentialIssuerMetadata, WELL_KNOWN_AS,
};
use kakehashi_oid4vci::oauth::{PushedAuthorizationResponse, TokenRequest, TokenResponse};
use kakehashi_oid4vci::offer::{CredentialOffer, CredentialOfferRequest};
use kakehashi_oid4vci::proof::{ProofClaims, ProofKeyReference, create_jwt_proof};
use kakehashi_oid4vci::wallet::{
    CredentialOutcome, CredentialsReceived, MetadataFetched, OfferReceived, TokenReceived,
};
use kakehashi_storage::{StorageError, Store, StoredCredential};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::display::{self, VerifiedIssued};
use crate::http::HttpResponse;
use crate::{Wallet, WalletError, random_token};

/// The authorization code flow, between the PAR and the user's return with a code. A serde
/// value: keep it in the session while the user logs in at the issuer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingAuthorization {
    /// Open this URL in the browser.
    pub authorization_url: String,
    /// The `state` the redirect must carry back.
    pub state: String,
    code_verifier: String,
    offer: CredentialOffer,
    fetched: MetadataFetched,
}

/// DPoP nonces per server origin (RFC 9449 section 8), remembered for one flow.
#[derive(Debug, Default)]
struct DpopNonces(HashMap<String, String>);

impl DpopNonces {
    fn origin(url: &str) -> String {
        reqwest::Url::parse(url)
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_default()
    }
    fn get(&self, url: &str) -> Option<&str> {
        self.0.get(&Self::origin(url)).map(String::as_str)
    }
    fn set(&mut self, url: &str, response: &HttpResponse) -> bool {
        match &response.dpop_nonce {
            Some(n) => {
                self.0.insert(Self::origin(url), n.clone());
                true
            }
            None => false,
        }
    }
}

impl<S: Store + Clone> Wallet<S> {
    /// Receives the credentials of an offer with the pre-authorized code flow: fetches the
    /// offer (by value or reference) and the metadata, redeems the code (with `tx_code` when
    /// the offer asks for one), requests one credential per fresh holder key, verifies every
    /// credential (issuer signature, holder binding to the proof key) and stores them.
    pub async fn receive(
        &self,
        offer_uri: &str,
        tx_code: Option<&str>,
    ) -> Result<Vec<StoredCredential>, WalletError> {
        let (offer, fetched) = self.fetch_offer(offer_uri).await?;
        if offer.pre_authorized().is_none() {
            return Err(if offer.authorization_code().is_some() {
                WalletError::AuthorizationRequired
            } else {
                WalletError::InvalidOffer("no grant the wallet can use".into())
            });
        }
        let anonymous = fetched
            .authorization_server()
            .pre_authorized_grant_anonymous_access_supported
            == Some(true);
        let client_id = (!anonymous).then(|| self.config().client_id.clone());
        let request = fetched
            .pre_authorized_token_request(tx_code, client_id.as_deref())
            .map_err(|e| match e {
                kakehashi_oid4vci::Oid4vciError::InvalidRequest(m) => WalletError::TxCode(m),
                other => WalletError::InvalidOffer(other.to_string()),
            })?;
        self.redeem(&offer, fetched, request, client_id).await
    }

    /// Starts the authorization code flow (PAR + PKCE S256): returns the URL the user must
    /// open at the issuer and the state to keep until [`Wallet::finish_authorization`].
    pub async fn begin_authorization(
        &self,
        offer_uri: &str,
    ) -> Result<PendingAuthorization, WalletError> {
        let (offer, fetched) = self.fetch_offer(offer_uri).await?;
        let code_verifier = random_token(32)?;
        let state = random_token(16)?;
        let config = self.config();
        let par = fetched
            .authorization_request(
                &config.client_id,
                &config.redirect_uri,
                &code_verifier,
                &state,
                &self.provider(),
            )
            .map_err(|e| WalletError::InvalidOffer(e.to_string()))?;
        let as_meta = fetched.authorization_server();
        let authorization_endpoint = as_meta.authorization_endpoint.clone().ok_or_else(|| {
            WalletError::InvalidOffer("the AS has no authorization_endpoint".into())
        })?;
        let par_endpoint = as_meta
            .pushed_authorization_request_endpoint
            .clone()
            .ok_or_else(|| WalletError::InvalidOffer("the AS has no PAR endpoint".into()))?;
        let response = self
            .http()
            .post_form(&par_endpoint, par.to_form(), &[])
            .await?;
        if !response.is_success() {
            return Err(issuer_error("PAR", &response));
        }
        let par_response: PushedAuthorizationResponse = serde_json::from_slice(&response.body)
            .map_err(|e| WalletError::Issuer(format!("PAR response: {e}")))?;
        let authorization_url = format!(
            "{authorization_endpoint}?{}",
            kakehashi_oid4vci::form::encode(&[
                ("client_id", config.client_id.as_str()),
                ("request_uri", par_response.request_uri.as_str()),
            ])
        );
        Ok(PendingAuthorization {
            authorization_url,
            state,
            code_verifier,
            offer,
            fetched,
        })
    }

    /// Finishes the authorization code flow with the `code` (and `state`) of the redirect.
    pub async fn finish_authorization(
        &self,
        pending: PendingAuthorization,
        code: &str,
        state: &str,
    ) -> Result<Vec<StoredCredential>, WalletError> {
        if state != pending.state {
            return Err(WalletError::InvalidInput("state does not match".into()));
        }
        let config = self.config();
        let request = TokenRequest::AuthorizationCode {
            code: code.to_owned(),
            code_verifier: pending.code_verifier,
            redirect_uri: config.redirect_uri.clone(),
            client_id: Some(config.client_id.clone()),
            authorization_details: None,
        };
        self.redeem(
            &pending.offer,
            pending.fetched,
            request,
            Some(config.client_id.clone()),
        )
        .await
    }

    async fn fetch_offer(
        &self,
        offer_uri: &str,
    ) -> Result<(CredentialOffer, MetadataFetched), WalletError> {
        let offer = match CredentialOfferRequest::parse_uri(offer_uri.trim())
            .map_err(|e| WalletError::InvalidOffer(e.to_string()))?
        {
            CredentialOfferRequest::ByValue(offer) => *offer,
            CredentialOfferRequest::ByReference(url) => {
                let r = self.http().get(&url, "application/json").await?;
                if !r.is_success() {
                    return Err(issuer_error("credential offer", &r));
                }
                CredentialOffer::parse(&r.body)
                    .map_err(|e| WalletError::InvalidOffer(e.to_string()))?
            }
        };
        let received = OfferReceived::new(offer.clone());
        let url = received
            .metadata_url()
            .ok_or_else(|| WalletError::InvalidOffer("credential_issuer is not https".into()))?;
        let r = self.http().get(&url, "application/json").await?;
        if !r.is_success() {
            return Err(issuer_error("issuer metadata", &r));
        }
        let issuer = CredentialIssuerMetadata::parse(&r.body)
            .map_err(|e| WalletError::InvalidOffer(format!("issuer metadata: {e}")))?;
        let as_url = as_metadata_url(&received.authorization_server(&issuer))
            .ok_or_else(|| WalletError::InvalidOffer("authorization server is not https".into()))?;
        let r = self.http().get(&as_url, "application/json").await?;
        if !r.is_success() {
            return Err(issuer_error("authorization server metadata", &r));
        }
        let as_meta = AuthorizationServerMetadata::parse(&r.body)
            .map_err(|e| WalletError::InvalidOffer(format!("AS metadata: {e}")))?;
        let fetched = received
            .metadata_fetched(issuer, as_meta)
            .map_err(|e| WalletError::InvalidOffer(e.to_string()))?;
        Ok((offer, fetched))
    }

    /// Token, then every target: the common tail of both flows.
    async fn redeem(
        &self,
        offer: &CredentialOffer,
        fetched: MetadataFetched,
        request: TokenRequest,
        client_id: Option<String>,
    ) -> Result<Vec<StoredCredential>, WalletError> {
        let dpop = if fetched.authorization_server().supports_dpop() {
            Some(self.dpop_key().await?)
        } else {
            None
        };
        let mut nonces = DpopNonces::default();
        let token_url = fetched.authorization_server().token_endpoint.clone();
        let body = request.to_form();
        let mut attempt = 0;
        let response = loop {
            let mut headers = Vec::new();
            if let Some(key) = &dpop {
                headers.push((
                    "dpop",
                    self.dpop_proof(key, &token_url, nonces.get(&token_url), None)?,
                ));
            }
            let r = self
                .http()
                .post_form(&token_url, body.clone(), &headers)
                .await?;
            if attempt == 0
                && !r.is_success()
                && r.oauth_error().as_deref() == Some("use_dpop_nonce")
                && nonces.set(&token_url, &r)
            {
                attempt += 1;
                continue;
            }
            nonces.set(&token_url, &r);
            break r;
        };
        if !response.is_success() {
            let has_tx_code = matches!(
                &request,
                TokenRequest::PreAuthorizedCode {
                    tx_code: Some(_),
                    ..
                }
            );
            if has_tx_code && response.oauth_error().as_deref() == Some("invalid_grant") {
                return Err(WalletError::TxCode(
                    "the issuer refused the transaction code (or the offer was used)".into(),
                ));
            }
            return Err(issuer_error("token", &response));
        }
        let token = TokenResponse::parse(&response.body)
            .map_err(|e| WalletError::Issuer(format!("token response: {e}")))?;
        // credential_identifier → configuration id, for display and format.
        let mut configuration_of: BTreeMap<String, String> = BTreeMap::new();
        for d in token.authorization_details.iter().flatten() {
            for id in d.credential_identifiers.iter().flatten() {
                configuration_of.insert(id.clone(), d.credential_configuration_id.clone());
            }
        }
        let offered = offer.credential_configuration_ids.clone();
        let mut token = fetched
            .token_received(token, self.now())
            .map_err(|e| WalletError::Issuer(e.to_string()))?;
        let mut stored = Vec::new();
        for target in token.targets().to_vec() {
            let configuration_id = match &target {
                CredentialTarget::Configuration(id) => id.clone(),
                CredentialTarget::Identifier(id) => match configuration_of.get(id) {
                    Some(c) => c.clone(),
                    None if offered.len() == 1 => offered[0].clone(),
                    None => {
                        return Err(WalletError::Issuer(format!(
                            "no configuration for credential identifier {id:?}"
                        )));
                    }
                },
            };
            let (next, got) = self
                .request_target(
                    token,
                    target,
                    &configuration_id,
                    dpop.as_ref(),
                    &mut nonces,
                    client_id.as_deref(),
                )
                .await?;
            token = next;
            stored.extend(got);
        }
        Ok(stored)
    }

    /// One credential request (batch of fresh keys), deferred polling, verification, storage
    /// and notification. Returns the token for the next target.
    async fn request_target(
        &self,
        mut token: TokenReceived,
        target: CredentialTarget,
        configuration_id: &str,
        dpop: Option<&SoftwareSigner>,
        nonces: &mut DpopNonces,
        client_id: Option<&str>,
    ) -> Result<(TokenReceived, Vec<StoredCredential>), WalletError> {
        let issuer = token.issuer().clone();
        let configuration = issuer
            .configuration(configuration_id)
            .ok_or_else(|| {
                WalletError::Issuer(format!("unknown configuration {configuration_id:?}"))
            })?
            .clone();
        let binding = configuration.requires_key_proof();
        let batch = issuer
            .batch_credential_issuance
            .map_or(1, |b| usize::try_from(b.batch_size).unwrap_or(1))
            .clamp(1, self.config().max_batch.max(1));
        let keys: Vec<SoftwareSigner> = if binding {
            (0..batch)
                .map(|_| self.generate_key())
                .collect::<Result<_, _>>()?
        } else {
            Vec::new()
        };
        // A c_nonce can expire between /nonce and /credential: on `invalid_nonce` fetch a
        // fresh one and prove again, once.
        let mut attempt = 0;
        let (response, now) = loop {
            if binding && let Some(nonce_url) = &issuer.nonce_endpoint {
                let r = self.http().post_json(nonce_url, None, &[]).await?;
                if !r.is_success() {
                    return Err(issuer_error("nonce", &r));
                }
                let nonce: NonceResponse = serde_json::from_slice(&r.body)
                    .map_err(|e| WalletError::Issuer(format!("nonce response: {e}")))?;
                token = token.nonce_received(nonce);
            }
            let now = self.now();
            let proofs = keys
                .iter()
                .map(|k| {
                    create_jwt_proof(
                        k,
                        &ProofClaims {
                            credential_issuer: &issuer.credential_issuer,
                            client_id,
                            nonce: token.c_nonce(),
                            iat: now,
                        },
                        ProofKeyReference::Jwk,
                    )
                    .map_err(|e| WalletError::Key(e.to_string()))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let request = token
                .credential_request(&target, proofs, now)
                .map_err(|e| WalletError::Issuer(e.to_string()))?;
            let body = request.to_json();
            let response = self
                .resource_post(&token, &issuer.credential_endpoint, &body, dpop, nonces)
                .await?;
            if attempt == 0
                && binding
                && issuer.nonce_endpoint.is_some()
                && response.status == 400
                && response.oauth_error().as_deref() == Some("invalid_nonce")
            {
                attempt += 1;
                continue;
            }
            break (response, now);
        };
        if response.status != 200 && response.status != 202 {
            return Err(issuer_error("credential", &response));
        }
        let parsed = CredentialResponse::parse(&response.body)
            .map_err(|e| WalletError::Issuer(format!("credential response: {e}")))?;
        let outcome = token
            .credentials_received(target, parsed, keys.len(), now)
            .map_err(|e| WalletError::Issuer(e.to_string()))?;
        let received = match outcome {
            CredentialOutcome::Received(r) => r,
            CredentialOutcome::Deferred(pending) => {
                let deferred_url =
                    issuer.deferred_credential_endpoint.clone().ok_or_else(|| {
                        WalletError::Issuer(
                            "deferred without a deferred_credential_endpoint".into(),
                        )
                    })?;
                self.poll_deferred(pending, &deferred_url, dpop, nonces)
                    .await?
            }
        };
        let stored = self
            .verify_and_store(&received, &issuer, configuration_id, &keys)
            .await;
        // Tell the issuer either way; a failed notification does not undo the storage.
        if let (Some(notification_id), Some(url)) =
            (&received.notification_id, &issuer.notification_endpoint)
        {
            let event = if stored.is_ok() {
                NotificationEvent::CredentialAccepted
            } else {
                NotificationEvent::CredentialFailure
            };
            let note = NotificationRequest {
                notification_id: notification_id.clone(),
                event,
                event_description: None,
            };
            let note = serde_json::to_value(&note).unwrap_or_default();
            let token_ref = received.clone().into_token();
            if let Err(e) = self
                .resource_post(&token_ref, url, &note, dpop, nonces)
                .await
            {
                tracing::warn!(error = %e, "notification failed");
            }
        }
        Ok((received.into_token(), stored?))
    }

    async fn poll_deferred(
        &self,
        mut pending: kakehashi_oid4vci::wallet::DeferredPending,
        url: &str,
        dpop: Option<&SoftwareSigner>,
        nonces: &mut DpopNonces,
    ) -> Result<CredentialsReceived, WalletError> {
        #[allow(clippy::disallowed_methods)] // an edge: bounds the real time spent polling
        let started = std::time::Instant::now();
        loop {
            let now = self.now();
            let request = match pending.request(now) {
                Some(r) => r,
                None => {
                    let wait = pending_wait(&pending, now, self.config().max_poll_interval);
                    if started.elapsed() + wait > self.config().max_deferred_wait {
                        return Err(WalletError::DeferredPending {
                            transaction_id: pending.transaction_id.clone(),
                        });
                    }
                    tokio::time::sleep(wait).await;
                    continue;
                }
            };
            let body = serde_json::json!({"transaction_id": request.transaction_id});
            let r = self
                .deferred_post(&pending, url, &body, dpop, nonces)
                .await?;
            if r.status != 200 && r.status != 202 {
                return Err(issuer_error("deferred credential", &r));
            }
            let parsed = CredentialResponse::parse(&r.body)
                .map_err(|e| WalletError::Issuer(format!("deferred response: {e}")))?;
            match pending
                .deferred_received(parsed, self.now())
                .map_err(|e| WalletError::Issuer(e.to_string()))?
            {
                CredentialOutcome::Received(r) => return Ok(r),
                CredentialOutcome::Deferred(next) => pending = next,
            }
        }
    }

    async fn deferred_post(
        &self,
        pending: &kakehashi_oid4vci::wallet::DeferredPending,
        url: &str,
        body: &Value,
        dpop: Option<&SoftwareSigner>,
        nonces: &mut DpopNonces,
    ) -> Result<HttpResponse, WalletError> {
        self.authorized_post(
            pending.access_token(),
            dpop.is_some(),
            url,
            body,
            dpop,
            nonces,
        )
        .await
    }

    async fn resource_post(
        &self,
        token: &TokenReceived,
        url: &str,
        body: &Value,
        dpop: Option<&SoftwareSigner>,
        nonces: &mut DpopNonces,
    ) -> Result<HttpResponse, WalletError> {
        self.authorized_post(
            token.access_token(),
            token.is_dpop(),
            url,
            body,
            dpop,
            nonces,
        )
        .await
    }

    /// POST with `Authorization: DPoP <token>` and a proof carrying `ath`, retried once with
    /// the server's nonce on `use_dpop_nonce`; or `Bearer`.
    async fn authorized_post(
        &self,
        access_token: &str,
        is_dpop: bool,
        url: &str,
        body: &Value,
        dpop: Option<&SoftwareSigner>,
        nonces: &mut DpopNonces,
    ) -> Result<HttpResponse, WalletError> {
        let mut attempt = 0;
        loop {
            let mut headers = Vec::new();
            match (is_dpop, dpop) {
                (true, Some(key)) => {
                    headers.push(("authorization", format!("DPoP {access_token}")));
                    headers.push((
                        "dpop",
                        self.dpop_proof(key, url, nonces.get(url), Some(access_token))?,
                    ));
                }
                (true, None) => {
                    return Err(WalletError::Issuer(
                        "DPoP-bound token without a DPoP key".into(),
                    ));
                }
                (false, _) => headers.push(("authorization", format!("Bearer {access_token}"))),
            }
            let r = self.http().post_json(url, Some(body), &headers).await?;
            let wants_nonce = r.status == 400 || r.status == 401;
            if attempt == 0
                && is_dpop
                && wants_nonce
                && (r.oauth_error().as_deref() == Some("use_dpop_nonce") || r.body.is_empty())
                && nonces.set(url, &r)
            {
                attempt += 1;
                continue;
            }
            nonces.set(url, &r);
            return Ok(r);
        }
    }

    fn dpop_proof(
        &self,
        key: &SoftwareSigner,
        url: &str,
        nonce: Option<&str>,
        access_token: Option<&str>,
    ) -> Result<String, WalletError> {
        let jti = random_token(16)?;
        create_dpop_proof(
            key,
            &DpopClaims {
                method: "POST",
                url,
                iat: self.now(),
                jti: &jti,
                nonce,
                access_token,
            },
            &self.provider(),
        )
        .map_err(|e| WalletError::Key(e.to_string()))
    }

    /// Verifies every credential of a response and stores them with their keys, or stores
    /// nothing.
    async fn verify_and_store(
        &self,
        received: &CredentialsReceived,
        issuer: &CredentialIssuerMetadata,
        configuration_id: &str,
        keys: &[SoftwareSigner],
    ) -> Result<Vec<StoredCredential>, WalletError> {
        let provider = self.provider();
        let configuration = issuer.configuration(configuration_id).ok_or_else(|| {
            WalletError::Issuer(format!("unknown configuration {configuration_id:?}"))
        })?;
        let thumbprints: Vec<String> = keys
            .iter()
            .map(|k| k.public_jwk().thumbprint(&provider, HashAlgorithm::Sha256))
            .collect();
        let mut verified: Vec<(VerifiedIssued, Option<usize>)> = Vec::new();
        let mut used = vec![false; keys.len()];
        for credential in &received.credentials {
            let text = credential.as_str().ok_or_else(|| {
                WalletError::CredentialRejected("credential is not a string".into())
            })?;
            let v = display::verify_issued(
                self.http(),
                &provider,
                &configuration.format,
                text,
                configuration,
                self.now(),
                self.config().issuer_anchors.as_deref(),
            )
            .await?;
            let key_index = match &v.holder_thumbprint {
                Some(t) => {
                    let i = thumbprints.iter().position(|x| x == t).ok_or_else(|| {
                        WalletError::CredentialRejected(
                            "bound to a key the wallet did not prove".into(),
                        )
                    })?;
                    if std::mem::replace(&mut used[i], true) {
                        return Err(WalletError::CredentialRejected(
                            "two credentials bound to one key".into(),
                        ));
                    }
                    Some(i)
                }
                None if keys.is_empty() => None,
                None => {
                    return Err(WalletError::CredentialRejected(
                        "no holder binding although a key was proven".into(),
                    ));
                }
            };
            verified.push((v, key_index));
        }
        let display = display::display_for(self.http(), issuer, configuration_id, &verified).await;
        let mut stored = Vec::new();
        for (v, key_index) in verified {
            let holder_key_id = match key_index.and_then(|i| keys.get(i)) {
                Some(key) => {
                    let id = self.new_id()?;
                    self.store_key(&id, key).await?;
                    Some(id)
                }
                None => None,
            };
            let record = StoredCredential {
                id: self.new_id()?,
                format: configuration.format.clone(),
                raw: v.raw.clone(),
                issuer: v
                    .issuer
                    .clone()
                    .unwrap_or_else(|| issuer.credential_issuer.clone()),
                display: display.clone(),
                holder_key_id,
                received_at: self.now(),
            };
            match self.store().insert_stored_credential(&record).await {
                Ok(()) => stored.push(record),
                Err(StorageError::Conflict { .. }) => {
                    return Err(WalletError::Key("random id collision".into()));
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(stored)
    }
}

/// How long to wait before the next deferred poll: the issuer's interval, bounded.
fn pending_wait(
    pending: &kakehashi_oid4vci::wallet::DeferredPending,
    now: UnixTime,
    max: Duration,
) -> Duration {
    let secs = pending
        .poll_after
        .seconds()
        .saturating_sub(now.seconds())
        .max(1);
    Duration::from_secs(u64::try_from(secs).unwrap_or(1)).min(max)
}

/// RFC 8414 section 3: the well-known path is inserted between host and path.
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

fn issuer_error(step: &str, r: &HttpResponse) -> WalletError {
    let detail = serde_json::from_slice::<Value>(&r.body)
        .ok()
        .map(|v| {
            let code = v.get("error").and_then(Value::as_str).unwrap_or("error");
            match v.get("error_description").and_then(Value::as_str) {
                Some(d) => format!("{code}: {d}"),
                None => code.to_owned(),
            }
        })
        .unwrap_or_else(|| "no error body".into());
    WalletError::Issuer(format!(
        "{step} endpoint answered HTTP {}: {detail}",
        r.status
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn as_metadata_url_inserts_the_well_known_path() {
        assert_eq!(
            as_metadata_url("https://as.example").unwrap(),
            "https://as.example/.well-known/oauth-authorization-server"
        );
        assert_eq!(
            as_metadata_url("https://as.example/tenant/1/").unwrap(),
            "https://as.example/.well-known/oauth-authorization-server/tenant/1"
        );
        assert!(as_metadata_url("http://as.example").is_none());
    }
}
