//! The wallet's issuance client as consumed states (the wallet edge does the HTTP):
//!
//! ```text
//! OfferReceived ─metadata_fetched─▶ MetadataFetched ─token_received─▶ TokenReceived ─credentials_received─▶ CredentialsReceived
//!   (offer URI parsed)               (offer checked against            (nonce_received,                     │
//!                                     issuer and AS metadata)           credential_request)                  └▶ DeferredPending ─deferred_received─▶ …
//! ```
//!
//! Each state only offers the requests that make sense in it, and each response is checked
//! against what was asked (offered configurations, batch size, response shape).

use kakehashi_core::UnixTime;
use kakehashi_crypto::CryptoProvider;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Oid4vciError;
use crate::credential::{
    CredentialRequest, CredentialResponse, CredentialTarget, DeferredCredentialRequest,
    NonceResponse, Proofs,
};
use crate::metadata::{AuthorizationServerMetadata, CredentialIssuerMetadata};
use crate::oauth::{
    AuthorizationDetail, PushedAuthorizationRequest, TokenRequest, TokenResponse,
    is_valid_code_verifier, pkce_s256_challenge,
};
use crate::offer::{CredentialOffer, TxCode};

/// Step 1: an offer was scanned (by value, or fetched from `credential_offer_uri`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfferReceived {
    offer: CredentialOffer,
}

/// Step 2: metadata fetched and the offer checked against it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetadataFetched {
    offer: CredentialOffer,
    issuer: CredentialIssuerMetadata,
    authorization_server: AuthorizationServerMetadata,
}

/// Step 3: an access token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenReceived {
    issuer: CredentialIssuerMetadata,
    token: TokenResponse,
    expires_at: UnixTime,
    c_nonce: Option<String>,
    targets: Vec<CredentialTarget>,
}

/// Step 4: credentials received for one target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CredentialsReceived {
    /// The target they were issued for.
    pub target: CredentialTarget,
    /// The credentials (strings for JWT formats).
    pub credentials: Vec<Value>,
    /// For the Notification Endpoint.
    pub notification_id: Option<String>,
    token: TokenReceived,
}

/// Step 4': issuance deferred for one target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeferredPending {
    /// The target.
    pub target: CredentialTarget,
    /// The transaction to poll.
    pub transaction_id: String,
    /// Earliest next poll.
    pub poll_after: UnixTime,
    token: TokenReceived,
}

/// What a credential (or deferred) response led to.
#[derive(Debug, Clone, PartialEq)]
pub enum CredentialOutcome {
    /// Issued.
    Received(CredentialsReceived),
    /// Not yet.
    Deferred(DeferredPending),
}

impl OfferReceived {
    /// Wraps a parsed offer.
    pub fn new(offer: CredentialOffer) -> Self {
        Self { offer }
    }

    /// The offer.
    pub fn offer(&self) -> &CredentialOffer {
        &self.offer
    }

    /// Where to fetch the issuer metadata.
    pub fn metadata_url(&self) -> Option<String> {
        CredentialIssuerMetadata::well_known_url(&self.offer.credential_issuer)
    }

    /// The AS whose metadata to fetch: the offer's `authorization_server`, the first of the
    /// issuer's `authorization_servers`, or the issuer itself.
    pub fn authorization_server(&self, issuer: &CredentialIssuerMetadata) -> String {
        let named = self
            .offer
            .pre_authorized()
            .and_then(|g| g.authorization_server.clone())
            .or_else(|| {
                self.offer
                    .authorization_code()
                    .and_then(|g| g.authorization_server.clone())
            });
        named
            .or_else(|| issuer.authorization_servers.as_ref()?.first().cloned())
            .unwrap_or_else(|| issuer.credential_issuer.clone())
    }

    /// Checks the fetched metadata: same issuer, offered configurations known, the AS
    /// metadata from the expected AS.
    pub fn metadata_fetched(
        self,
        issuer: CredentialIssuerMetadata,
        authorization_server: AuthorizationServerMetadata,
    ) -> Result<MetadataFetched, Oid4vciError> {
        self.offer.check_against(&issuer)?;
        if authorization_server.issuer != self.authorization_server(&issuer) {
            return Err(Oid4vciError::InvalidMetadata(
                "authorization server metadata is for another issuer".into(),
            ));
        }
        Ok(MetadataFetched {
            offer: self.offer,
            issuer,
            authorization_server,
        })
    }
}

impl MetadataFetched {
    /// The issuer metadata.
    pub fn issuer(&self) -> &CredentialIssuerMetadata {
        &self.issuer
    }

    /// The AS metadata.
    pub fn authorization_server(&self) -> &AuthorizationServerMetadata {
        &self.authorization_server
    }

    /// The Transaction Code prompt, when the pre-authorized grant needs one.
    pub fn tx_code(&self) -> Option<&TxCode> {
        self.offer.pre_authorized()?.tx_code.as_ref()
    }

    /// The Token Request of the Pre-Authorized Code Flow.
    pub fn pre_authorized_token_request(
        &self,
        tx_code: Option<&str>,
        client_id: Option<&str>,
    ) -> Result<TokenRequest, Oid4vciError> {
        let grant = self
            .offer
            .pre_authorized()
            .ok_or_else(|| Oid4vciError::UnsupportedGrantType("pre-authorized_code".into()))?;
        match (&grant.tx_code, tx_code) {
            (Some(spec), Some(value)) if spec.accepts(value) => {}
            (Some(_), Some(_)) => {
                return Err(Oid4vciError::InvalidRequest(
                    "tx_code does not fit the requested input mode / length".into(),
                ));
            }
            (Some(_), None) => return Err(Oid4vciError::InvalidRequest("tx_code required".into())),
            (None, Some(_)) => {
                return Err(Oid4vciError::InvalidRequest(
                    "no tx_code was asked for".into(),
                ));
            }
            (None, None) => {}
        }
        if client_id.is_none()
            && self
                .authorization_server
                .pre_authorized_grant_anonymous_access_supported
                != Some(true)
        {
            return Err(Oid4vciError::InvalidClient(
                "the AS does not support anonymous pre-authorized access".into(),
            ));
        }
        Ok(TokenRequest::PreAuthorizedCode {
            pre_authorized_code: grant.pre_authorized_code.clone(),
            tx_code: tx_code.map(str::to_owned),
            client_id: client_id.map(str::to_owned),
            authorization_details: None,
        })
    }

    /// The Pushed Authorization Request of the Authorization Code Flow. `code_verifier` is
    /// fresh randomness (43–128 characters); keep it for the token request.
    pub fn authorization_request(
        &self,
        client_id: &str,
        redirect_uri: &str,
        code_verifier: &str,
        state: &str,
        provider: &CryptoProvider,
    ) -> Result<PushedAuthorizationRequest, Oid4vciError> {
        if !is_valid_code_verifier(code_verifier) {
            return Err(Oid4vciError::InvalidRequest(
                "code_verifier must be 43-128 unreserved characters".into(),
            ));
        }
        let issuer_state = self
            .offer
            .authorization_code()
            .and_then(|g| g.issuer_state.clone());
        let authorization_details = self
            .offer
            .credential_configuration_ids
            .iter()
            .map(|id| {
                let mut d = AuthorizationDetail::for_configuration(id.clone());
                if self.issuer.authorization_servers.is_some() {
                    d.locations = Some(vec![self.issuer.credential_issuer.clone()]);
                }
                d
            })
            .collect();
        Ok(PushedAuthorizationRequest {
            client_id: client_id.to_owned(),
            redirect_uri: redirect_uri.to_owned(),
            code_challenge: pkce_s256_challenge(provider, code_verifier),
            authorization_details,
            scope: None,
            issuer_state,
            state: Some(state.to_owned()),
        })
    }

    /// Checks the Token Response: only offered configurations; DPoP-bound when the AS
    /// supports DPoP.
    pub fn token_received(
        self,
        token: TokenResponse,
        now: UnixTime,
    ) -> Result<TokenReceived, Oid4vciError> {
        if self.authorization_server.supports_dpop()
            && !token.token_type.eq_ignore_ascii_case("DPoP")
        {
            return Err(Oid4vciError::InvalidRequest(
                "the AS supports DPoP but issued a bearer token".into(),
            ));
        }
        let mut targets = Vec::new();
        for d in token.authorization_details.iter().flatten() {
            if !self
                .offer
                .credential_configuration_ids
                .contains(&d.credential_configuration_id)
            {
                return Err(Oid4vciError::InvalidAuthorizationDetails(format!(
                    "{:?} was not offered",
                    d.credential_configuration_id
                )));
            }
            match &d.credential_identifiers {
                Some(ids) if !ids.is_empty() => {
                    targets.extend(ids.iter().cloned().map(CredentialTarget::Identifier));
                }
                _ => targets.push(CredentialTarget::Configuration(
                    d.credential_configuration_id.clone(),
                )),
            }
        }
        if targets.is_empty() {
            targets = self
                .offer
                .credential_configuration_ids
                .iter()
                .cloned()
                .map(CredentialTarget::Configuration)
                .collect();
        }
        Ok(TokenReceived {
            expires_at: now.saturating_add(i64::try_from(token.expires_in).unwrap_or(i64::MAX)),
            issuer: self.issuer,
            token,
            c_nonce: None,
            targets,
        })
    }
}

impl TokenReceived {
    /// The access token (send as `Authorization: DPoP <token>` with a DPoP proof carrying
    /// `ath`, or `Bearer`).
    pub fn access_token(&self) -> &str {
        &self.token.access_token
    }

    /// Whether the token is DPoP-bound.
    pub fn is_dpop(&self) -> bool {
        self.token.token_type.eq_ignore_ascii_case("DPoP")
    }

    /// What can be requested with this token.
    pub fn targets(&self) -> &[CredentialTarget] {
        &self.targets
    }

    /// The `c_nonce` to put in key proofs.
    pub fn c_nonce(&self) -> Option<&str> {
        self.c_nonce.as_deref()
    }

    /// The issuer metadata.
    pub fn issuer(&self) -> &CredentialIssuerMetadata {
        &self.issuer
    }

    /// Records the Nonce Endpoint's answer.
    pub fn nonce_received(mut self, nonce: NonceResponse) -> Self {
        self.c_nonce = Some(nonce.c_nonce);
        self
    }

    /// Builds a Credential Request for `target` with JWT key proofs.
    pub fn credential_request(
        &self,
        target: &CredentialTarget,
        proofs: Vec<String>,
        now: UnixTime,
    ) -> Result<CredentialRequest, Oid4vciError> {
        if now >= self.expires_at {
            return Err(Oid4vciError::InvalidToken("access token expired".into()));
        }
        if !self.targets.contains(target) {
            return Err(Oid4vciError::InvalidCredentialRequest(
                "not authorized by the token".into(),
            ));
        }
        let max = self
            .issuer
            .batch_credential_issuance
            .map_or(1, |b| usize::try_from(b.batch_size).unwrap_or(1));
        if proofs.len() > max {
            return Err(Oid4vciError::InvalidProof(format!(
                "at most {max} proofs per request"
            )));
        }
        if self.issuer.nonce_endpoint.is_some() && self.c_nonce.is_none() && !proofs.is_empty() {
            return Err(Oid4vciError::InvalidNonce);
        }
        Ok(CredentialRequest {
            target: target.clone(),
            proofs: (!proofs.is_empty()).then_some(Proofs::Jwt(proofs)),
            credential_response_encryption: None,
            other: Default::default(),
        })
    }

    /// Takes the Credential Response for `target`.
    pub fn credentials_received(
        self,
        target: CredentialTarget,
        response: CredentialResponse,
        proofs_sent: usize,
        now: UnixTime,
    ) -> Result<CredentialOutcome, Oid4vciError> {
        response.validate()?;
        match (response.credentials, response.transaction_id) {
            (Some(credentials), None) => {
                if proofs_sent > 0 && credentials.len() > proofs_sent {
                    return Err(Oid4vciError::InvalidRequest(
                        "more credentials than proven keys".into(),
                    ));
                }
                Ok(CredentialOutcome::Received(CredentialsReceived {
                    target,
                    credentials: credentials.into_iter().map(|c| c.credential).collect(),
                    notification_id: response.notification_id,
                    token: self,
                }))
            }
            (None, Some(transaction_id)) => {
                let interval = i64::try_from(response.interval.unwrap_or(1)).unwrap_or(i64::MAX);
                Ok(CredentialOutcome::Deferred(DeferredPending {
                    target,
                    transaction_id,
                    poll_after: now.saturating_add(interval),
                    token: self,
                }))
            }
            _ => Err(Oid4vciError::InvalidRequest(
                "inconsistent credential response".into(),
            )),
        }
    }
}

impl DeferredPending {
    /// The Deferred Credential Request, once `poll_after` has passed.
    pub fn request(&self, now: UnixTime) -> Option<DeferredCredentialRequest> {
        (now >= self.poll_after).then(|| DeferredCredentialRequest {
            transaction_id: self.transaction_id.clone(),
            credential_response_encryption: None,
        })
    }

    /// The access token for the poll.
    pub fn access_token(&self) -> &str {
        self.token.access_token()
    }

    /// Takes the Deferred Credential Response (200 with credentials or 202 pending).
    pub fn deferred_received(
        self,
        response: CredentialResponse,
        now: UnixTime,
    ) -> Result<CredentialOutcome, Oid4vciError> {
        if let Some(t) = &response.transaction_id
            && *t != self.transaction_id
        {
            return Err(Oid4vciError::InvalidTransactionId);
        }
        self.token
            .credentials_received(self.target, response, 0, now)
    }
}

impl CredentialsReceived {
    /// Continues with the token for the remaining targets.
    pub fn into_token(self) -> TokenReceived {
        self.token
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fetched(anonymous: bool, dpop: bool) -> MetadataFetched {
        let offer = CredentialOffer::parse(
            json!({
                "credential_issuer": "https://issuer.example",
                "credential_configuration_ids": ["diploma"],
                "grants": {"urn:ietf:params:oauth:grant-type:pre-authorized_code": {
                    "pre-authorized_code": "code", "tx_code": {"length": 4}
                }}
            })
            .to_string()
            .as_bytes(),
        )
        .unwrap();
        let issuer = CredentialIssuerMetadata::from_json(json!({
            "credential_issuer": "https://issuer.example",
            "credential_endpoint": "https://issuer.example/credential",
            "credential_configurations_supported": {
                "diploma": {"format": "dc+sd-jwt", "vct": "urn:diploma"},
                "transcript": {"format": "dc+sd-jwt", "vct": "urn:transcript"}
            }
        }))
        .unwrap();
        let mut as_meta = json!({"issuer": "https://issuer.example", "token_endpoint": "https://issuer.example/token"});
        if anonymous {
            as_meta["pre-authorized_grant_anonymous_access_supported"] = true.into();
        }
        if dpop {
            as_meta["dpop_signing_alg_values_supported"] = json!(["ES256"]);
        }
        let as_meta = AuthorizationServerMetadata::parse(as_meta.to_string().as_bytes()).unwrap();
        OfferReceived::new(offer)
            .metadata_fetched(issuer, as_meta)
            .unwrap()
    }

    fn token(details: Value, token_type: &str) -> TokenResponse {
        TokenResponse::parse(
            json!({"access_token": "t", "token_type": token_type, "expires_in": 60,
                   "authorization_details": details})
            .to_string()
            .as_bytes(),
        )
        .unwrap()
    }

    #[test]
    fn token_request_rules() {
        let f = fetched(true, true);
        assert!(f.pre_authorized_token_request(Some("1234"), None).is_ok());
        assert!(f.pre_authorized_token_request(None, None).is_err());
        assert!(f.pre_authorized_token_request(Some("12a4"), None).is_err());
        let f = fetched(false, true);
        assert_eq!(
            f.pre_authorized_token_request(Some("1234"), None)
                .unwrap_err()
                .wire()
                .1,
            "invalid_client"
        );
        assert!(
            f.pre_authorized_token_request(Some("1234"), Some("wallet"))
                .is_ok()
        );
    }

    #[test]
    fn token_response_checks() {
        let d = json!([{"type": "openid_credential", "credential_configuration_id": "diploma"}]);
        assert!(
            fetched(true, true)
                .token_received(token(d.clone(), "DPoP"), UnixTime(0))
                .is_ok()
        );
        assert!(
            fetched(true, true)
                .token_received(token(d.clone(), "Bearer"), UnixTime(0))
                .is_err(),
            "bearer token from a DPoP AS"
        );
        assert!(
            fetched(true, false)
                .token_received(token(d, "Bearer"), UnixTime(0))
                .is_ok()
        );
        let other =
            json!([{"type": "openid_credential", "credential_configuration_id": "transcript"}]);
        assert!(
            fetched(true, true)
                .token_received(token(other, "DPoP"), UnixTime(0))
                .is_err()
        );
    }

    #[test]
    fn credential_request_checks() {
        let d = json!([{"type": "openid_credential", "credential_configuration_id": "diploma"}]);
        let t = fetched(true, true)
            .token_received(token(d, "DPoP"), UnixTime(0))
            .unwrap();
        let target = CredentialTarget::Configuration("diploma".into());
        assert!(
            t.credential_request(&target, vec!["p".into()], UnixTime(0))
                .is_ok()
        );
        assert!(
            t.credential_request(&target, vec!["p".into(), "q".into()], UnixTime(0))
                .is_err(),
            "no batch"
        );
        assert!(
            t.credential_request(&target, vec![], UnixTime(60)).is_err(),
            "token expired"
        );
        let other = CredentialTarget::Configuration("transcript".into());
        assert!(t.credential_request(&other, vec![], UnixTime(0)).is_err());
    }
}
