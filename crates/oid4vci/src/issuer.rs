//! The issuer's flow for one offer, as states the HTTP layer stores between requests:
//!
//! ```text
//!             ┌── authorize (PAR + user login) ──▶ Authorized ──┐
//! Offered ────┤                                                 ├─ token ─▶ TokenIssued ─┬─ issue ─▶ CredentialIssued ─ notify
//!             └── token (pre-authorized code + tx_code) ────────┘                        └─ defer ─▶ Deferred ─ poll ─┘
//!   │ wrong tx_code: attempts + 1, Closed after the limit; expired: Closed
//! ```
//!
//! Every transition consumes the state and returns the next one (or a [`Rejected`] that says
//! which state to save, so a wrong `tx_code` is counted even though the request fails).
//! Codes, tokens and transaction ids are stored only as SHA-256 digests: a leaked store does
//! not leak bearer secrets. Single use is a transition: a redeemed code's state is gone.

use kakehashi_core::{UnixTime, b64};
use kakehashi_crypto::{CryptoProvider, HashAlgorithm};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Oid4vciError;
use crate::credential::{
    CredentialRequest, CredentialResponse, CredentialTarget, DeferredCredentialRequest,
    NotificationEvent, NotificationRequest,
};
use crate::dpop::ValidatedDpop;
use crate::metadata::CredentialIssuerMetadata;
use crate::oauth::{
    AuthorizationDetail, PushedAuthorizationRequest, TokenRequest, TokenResponse, constant_time_eq,
    parse_authorization_details, verify_pkce_s256,
};
use crate::offer::{CredentialOffer, Grants, PreAuthorizedCodeGrant, TxCode};

/// Wrong Transaction Codes accepted before the offer is closed (brute-force bound: a 6-digit
/// code guessed in 5 tries succeeds with probability 5 × 10⁻⁶).
pub const DEFAULT_TX_CODE_ATTEMPTS: u32 = 5;

/// The digest under which secrets are stored and looked up.
pub fn secret_digest(provider: &CryptoProvider, secret: &str) -> String {
    b64::encode(provider.digest(HashAlgorithm::Sha256, secret.as_bytes()))
}

fn digest_matches(provider: &CryptoProvider, secret: &str, digest: &str) -> bool {
    constant_time_eq(
        secret_digest(provider, secret).as_bytes(),
        digest.as_bytes(),
    )
}

/// Issuer policy for the flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowPolicy {
    /// Wrong `tx_code` attempts before the offer closes.
    pub tx_code_attempts: u32,
    /// Access token lifetime in seconds.
    pub access_token_lifetime: i64,
    /// Authorization code lifetime in seconds.
    pub authorization_code_lifetime: i64,
    /// Whether tokens must be DPoP-bound (HAIP).
    pub require_dpop: bool,
    /// Whether the pre-authorized code may be redeemed without `client_id`.
    pub anonymous_pre_authorized: bool,
}

impl Default for FlowPolicy {
    fn default() -> Self {
        Self {
            tx_code_attempts: DEFAULT_TX_CODE_ATTEMPTS,
            access_token_lifetime: 300,
            authorization_code_lifetime: 60,
            require_dpop: true,
            anonymous_pre_authorized: true,
        }
    }
}

/// A stored flow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum IssuanceFlow {
    /// See [`Offered`].
    Offered(Offered),
    /// See [`Authorized`].
    Authorized(Authorized),
    /// See [`TokenIssued`].
    TokenIssued(TokenIssued),
    /// See [`Deferred`].
    Deferred(Deferred),
    /// See [`CredentialIssued`].
    CredentialIssued(CredentialIssued),
    /// See [`Closed`].
    Closed(Closed),
}

/// A failed transition: the error for the response and the state to store (`None` = keep the
/// stored state unchanged).
#[derive(Debug, Clone, PartialEq)]
pub struct Rejected {
    /// The state to save, when the failure changed it.
    pub flow: Option<Box<IssuanceFlow>>,
    /// The error to answer with.
    pub error: Oid4vciError,
}

impl From<Oid4vciError> for Rejected {
    fn from(error: Oid4vciError) -> Self {
        Self { flow: None, error }
    }
}

/// Terminal: the offer expired, was exhausted or a code was misused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Closed {
    /// The issuer's reference to the learner / record.
    pub subject: String,
    /// Why.
    pub reason: String,
}

/// What the issuer sets up for a new offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOffer {
    /// The issuer's reference to the learner / record (opaque here).
    pub subject: String,
    /// Offered configurations.
    pub credential_configuration_ids: Vec<String>,
    /// Fresh random pre-authorized code (Pre-Authorized Code Flow).
    pub pre_authorized_code: Option<String>,
    /// The Transaction Code (sent out of band) and how the wallet should ask for it.
    pub tx_code: Option<(String, TxCode)>,
    /// Fresh random `issuer_state` (Authorization Code Flow).
    pub issuer_state: Option<String>,
    /// Offer lifetime in seconds.
    pub lifetime_seconds: i64,
}

/// State 1: the offer exists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Offered {
    subject: String,
    credential_configuration_ids: Vec<String>,
    pre_authorized_code_digest: Option<String>,
    tx_code_digest: Option<String>,
    tx_code_attempts: u32,
    issuer_state: Option<String>,
    expires_at: UnixTime,
}

/// State 1b (authorization code flow): the user authenticated; a code was issued.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Authorized {
    subject: String,
    credential_configuration_ids: Vec<String>,
    code_digest: String,
    code_challenge: String,
    redirect_uri: String,
    client_id: String,
    expires_at: UnixTime,
}

/// One credential the token authorizes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizedCredential {
    /// The configuration.
    pub credential_configuration_id: String,
    /// The dataset identifier, when the issuer returned `credential_identifiers`.
    pub credential_identifier: Option<String>,
    /// Progress.
    pub status: CredentialStatus,
}

/// Progress of one authorized credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum CredentialStatus {
    /// Not yet requested.
    Pending,
    /// Deferred; the wallet polls with the transaction id.
    Deferred {
        /// Digest of the transaction id.
        transaction_id_digest: String,
        /// Poll interval in seconds.
        interval: u64,
    },
    /// Issued.
    Issued {
        /// For the Notification Endpoint.
        notification_id: String,
        /// The last event the wallet reported.
        event: Option<NotificationEvent>,
    },
}

/// The access grant shared by the states after the token request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grant {
    /// The issuer's reference to the learner / record.
    pub subject: String,
    /// The client the token was issued to (`None`: anonymous pre-authorized access).
    pub client_id: Option<String>,
    access_token_digest: String,
    /// `cnf.jkt` of a DPoP-bound token.
    pub dpop_jkt: Option<String>,
    /// Token expiry.
    pub expires_at: UnixTime,
    /// What may be issued and how far it got.
    pub credentials: Vec<AuthorizedCredential>,
}

/// State 2: the wallet holds an access token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenIssued {
    grant: Grant,
}

/// State 3a: at least one credential is deferred.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deferred {
    grant: Grant,
}

/// State 3b: every authorized credential was issued.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CredentialIssued {
    grant: Grant,
}

/// What the token endpoint supplies besides the request.
#[derive(Clone, Copy)]
pub struct TokenContext<'a> {
    /// Fresh random access token.
    pub access_token: &'a str,
    /// The validated DPoP proof of the token request, if any.
    pub dpop: Option<&'a ValidatedDpop>,
    /// Per configuration id, the dataset identifiers to return (empty = none).
    pub credential_identifiers: &'a dyn Fn(&str) -> Vec<String>,
    /// The issuer metadata (for `authorization_details`).
    pub metadata: &'a CredentialIssuerMetadata,
    /// Policy.
    pub policy: &'a FlowPolicy,
    /// Digests and PKCE.
    pub provider: &'a CryptoProvider,
    /// The current time.
    pub now: UnixTime,
}

impl std::fmt::Debug for TokenContext<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenContext")
            .field("dpop", &self.dpop)
            .field("policy", &self.policy)
            .field("now", &self.now)
            .finish_non_exhaustive()
    }
}

/// A presented access token.
#[derive(Debug, Clone, Copy)]
pub struct Access<'a> {
    /// The token from `Authorization: DPoP …` / `Bearer …`.
    pub access_token: &'a str,
    /// The validated DPoP proof (validated with `ath` for this token).
    pub dpop: Option<&'a ValidatedDpop>,
    /// Digests.
    pub provider: &'a CryptoProvider,
    /// The current time.
    pub now: UnixTime,
}

/// What the Credential Endpoint may issue for a request; the edge then validates the key
/// proofs (with [`CredentialGrantDecision::client_id`] for `iss`) and signs the credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialGrantDecision {
    /// The configuration to issue.
    pub credential_configuration_id: String,
    /// The dataset, when identifiers were returned.
    pub credential_identifier: Option<String>,
    /// The learner / record.
    pub subject: String,
    /// The token's client id.
    pub client_id: Option<String>,
    index: usize,
}

/// What the edge did with a granted request.
#[derive(Debug, Clone, PartialEq)]
pub enum IssuanceResult {
    /// Credentials signed now.
    Issued {
        /// The credentials (one per proven key).
        credentials: Vec<Value>,
        /// Fresh random notification id.
        notification_id: String,
    },
    /// Issued later.
    Deferred {
        /// Fresh random transaction id.
        transaction_id: String,
        /// Poll interval in seconds.
        interval: u64,
    },
}

impl Offered {
    /// Creates the offer state and the Credential Offer to show.
    pub fn new(
        params: NewOffer,
        metadata: &CredentialIssuerMetadata,
        provider: &CryptoProvider,
        now: UnixTime,
    ) -> Result<(Self, CredentialOffer), Oid4vciError> {
        for id in &params.credential_configuration_ids {
            if metadata.configuration(id).is_none() {
                return Err(Oid4vciError::UnknownCredentialConfiguration(id.clone()));
            }
        }
        if params.pre_authorized_code.is_none() && params.issuer_state.is_none() {
            return Err(Oid4vciError::InvalidOffer("no grant".into()));
        }
        for secret in [&params.pre_authorized_code, &params.issuer_state]
            .into_iter()
            .flatten()
        {
            if secret.len() < 16 {
                return Err(Oid4vciError::InvalidOffer(
                    "codes need at least 16 characters of randomness".into(),
                ));
            }
        }
        if params.tx_code.is_some() && params.pre_authorized_code.is_none() {
            return Err(Oid4vciError::InvalidOffer(
                "tx_code needs a pre-authorized code".into(),
            ));
        }
        if let Some((value, spec)) = &params.tx_code
            && !spec.accepts(value)
        {
            return Err(Oid4vciError::InvalidOffer(
                "tx_code does not fit its input_mode / length".into(),
            ));
        }
        let grants = Grants {
            authorization_code: params.issuer_state.as_ref().map(|s| {
                crate::offer::AuthorizationCodeGrant {
                    issuer_state: Some(s.clone()),
                    authorization_server: None,
                }
            }),
            pre_authorized_code: params.pre_authorized_code.as_ref().map(|c| {
                PreAuthorizedCodeGrant {
                    pre_authorized_code: c.clone(),
                    tx_code: params.tx_code.as_ref().map(|(_, spec)| spec.clone()),
                    authorization_server: None,
                }
            }),
            other: Default::default(),
        };
        let offer = CredentialOffer {
            credential_issuer: metadata.credential_issuer.clone(),
            credential_configuration_ids: params.credential_configuration_ids.clone(),
            grants: Some(grants),
            other: Default::default(),
        };
        offer.validate()?;
        let state = Self {
            subject: params.subject,
            credential_configuration_ids: params.credential_configuration_ids,
            pre_authorized_code_digest: params
                .pre_authorized_code
                .as_deref()
                .map(|c| secret_digest(provider, c)),
            tx_code_digest: params
                .tx_code
                .as_ref()
                .map(|(v, _)| secret_digest(provider, v)),
            tx_code_attempts: 0,
            issuer_state: params.issuer_state,
            expires_at: now.saturating_add(params.lifetime_seconds),
        };
        Ok((state, offer))
    }

    /// The digest the store indexes this offer by for the token endpoint.
    pub fn pre_authorized_code_digest(&self) -> Option<&str> {
        self.pre_authorized_code_digest.as_deref()
    }

    /// Wrong Transaction Codes so far.
    pub fn tx_code_attempts(&self) -> u32 {
        self.tx_code_attempts
    }

    fn close(self, reason: &str) -> IssuanceFlow {
        IssuanceFlow::Closed(Closed {
            subject: self.subject,
            reason: reason.to_owned(),
        })
    }

    /// Token Endpoint, Pre-Authorized Code Flow.
    pub fn redeem_pre_authorized(
        self,
        request: &TokenRequest,
        ctx: &TokenContext<'_>,
    ) -> Result<(TokenIssued, TokenResponse), Rejected> {
        let TokenRequest::PreAuthorizedCode {
            pre_authorized_code,
            tx_code,
            client_id,
            authorization_details,
        } = request
        else {
            return Err(Oid4vciError::UnsupportedGrantType("authorization_code".into()).into());
        };
        let Some(expected) = &self.pre_authorized_code_digest else {
            return Err(Oid4vciError::UnsupportedGrantType(
                "no pre-authorized code was offered".into(),
            )
            .into());
        };
        if !digest_matches(ctx.provider, pre_authorized_code, expected) {
            return Err(Oid4vciError::InvalidGrant("unknown pre-authorized code".into()).into());
        }
        if ctx.now >= self.expires_at {
            return Err(Rejected {
                flow: Some(Box::new(self.close("offer expired"))),
                error: Oid4vciError::Expired,
            });
        }
        if client_id.is_none() && !ctx.policy.anonymous_pre_authorized {
            return Err(Oid4vciError::InvalidClient("client_id required".into()).into());
        }
        match (&self.tx_code_digest, tx_code) {
            (None, None) => {}
            (None, Some(_)) => {
                return Err(Oid4vciError::InvalidRequest("no tx_code was offered".into()).into());
            }
            (Some(_), None) => {
                return Err(Oid4vciError::InvalidRequest("tx_code required".into()).into());
            }
            (Some(digest), Some(given)) => {
                if !digest_matches(ctx.provider, given, digest) {
                    let attempts = self.tx_code_attempts.saturating_add(1);
                    let flow = if attempts >= ctx.policy.tx_code_attempts {
                        self.close("tx_code attempts exhausted")
                    } else {
                        IssuanceFlow::Offered(Self {
                            tx_code_attempts: attempts,
                            ..self
                        })
                    };
                    return Err(Rejected {
                        flow: Some(Box::new(flow)),
                        error: Oid4vciError::InvalidGrant("wrong tx_code".into()),
                    });
                }
            }
        }
        let ids = requested_ids(
            authorization_details.as_deref(),
            &self.credential_configuration_ids,
            ctx.metadata,
        )?;
        let (token, response) = issue_token(self.subject, client_id.clone(), ids, ctx)?;
        Ok((token, response))
    }

    /// Authorization Endpoint, after the user authenticated: binds the PAR to this offer
    /// (`issuer_state`) and issues a code. `code` is fresh randomness.
    pub fn authorize(
        self,
        par: &PushedAuthorizationRequest,
        code: &str,
        metadata: &CredentialIssuerMetadata,
        policy: &FlowPolicy,
        provider: &CryptoProvider,
        now: UnixTime,
    ) -> Result<Authorized, Oid4vciError> {
        if now >= self.expires_at {
            return Err(Oid4vciError::Expired);
        }
        match (&self.issuer_state, &par.issuer_state) {
            (Some(expected), Some(given))
                if constant_time_eq(expected.as_bytes(), given.as_bytes()) => {}
            _ => return Err(Oid4vciError::InvalidRequest("issuer_state mismatch".into())),
        }
        let ids = par.configuration_ids(metadata);
        if let Some(id) = ids
            .iter()
            .find(|id| !self.credential_configuration_ids.contains(id))
        {
            return Err(Oid4vciError::InvalidAuthorizationDetails(format!(
                "{id:?} was not offered"
            )));
        }
        Authorized::new(self.subject, par, ids, code, policy, provider, now)
    }
}

impl Authorized {
    /// A code for a wallet-initiated flow (no offer) or from [`Offered::authorize`].
    pub fn new(
        subject: String,
        par: &PushedAuthorizationRequest,
        credential_configuration_ids: Vec<String>,
        code: &str,
        policy: &FlowPolicy,
        provider: &CryptoProvider,
        now: UnixTime,
    ) -> Result<Self, Oid4vciError> {
        if code.len() < 16 {
            return Err(Oid4vciError::InvalidRequest(
                "codes need at least 16 characters of randomness".into(),
            ));
        }
        if credential_configuration_ids.is_empty() {
            return Err(Oid4vciError::InvalidAuthorizationDetails(
                "nothing requested".into(),
            ));
        }
        Ok(Self {
            subject,
            credential_configuration_ids,
            code_digest: secret_digest(provider, code),
            code_challenge: par.code_challenge.clone(),
            redirect_uri: par.redirect_uri.clone(),
            client_id: par.client_id.clone(),
            expires_at: now.saturating_add(policy.authorization_code_lifetime),
        })
    }

    /// The digest the store indexes this code by.
    pub fn code_digest(&self) -> &str {
        &self.code_digest
    }

    /// Token Endpoint, Authorization Code Flow. Once the code matched, any failure burns it.
    pub fn redeem(
        self,
        request: &TokenRequest,
        ctx: &TokenContext<'_>,
    ) -> Result<(TokenIssued, TokenResponse), Rejected> {
        let TokenRequest::AuthorizationCode {
            code,
            code_verifier,
            redirect_uri,
            client_id,
            authorization_details,
        } = request
        else {
            return Err(Oid4vciError::UnsupportedGrantType("pre-authorized_code".into()).into());
        };
        if !digest_matches(ctx.provider, code, &self.code_digest) {
            return Err(Oid4vciError::InvalidGrant("unknown code".into()).into());
        }
        let burn = |subject: String, error: Oid4vciError| Rejected {
            flow: Some(Box::new(IssuanceFlow::Closed(Closed {
                subject,
                reason: "authorization code misused".into(),
            }))),
            error,
        };
        if ctx.now >= self.expires_at {
            return Err(burn(self.subject, Oid4vciError::Expired));
        }
        if client_id.as_deref() != Some(self.client_id.as_str()) {
            return Err(burn(
                self.subject,
                Oid4vciError::InvalidGrant("code was issued to another client".into()),
            ));
        }
        if *redirect_uri != self.redirect_uri {
            return Err(burn(
                self.subject,
                Oid4vciError::InvalidGrant("redirect_uri differs".into()),
            ));
        }
        if let Err(e) = verify_pkce_s256(ctx.provider, code_verifier, &self.code_challenge) {
            return Err(burn(self.subject, e));
        }
        let ids = match requested_ids(
            authorization_details.as_deref(),
            &self.credential_configuration_ids,
            ctx.metadata,
        ) {
            Ok(ids) => ids,
            Err(e) => return Err(burn(self.subject, e)),
        };
        issue_token(self.subject, Some(self.client_id), ids, ctx).map_err(|e| Rejected {
            flow: None,
            error: e,
        })
    }
}

fn requested_ids(
    details: Option<&str>,
    authorized: &[String],
    metadata: &CredentialIssuerMetadata,
) -> Result<Vec<String>, Oid4vciError> {
    let Some(text) = details else {
        return Ok(authorized.to_vec());
    };
    let details = parse_authorization_details(text, metadata)?;
    let mut ids = Vec::new();
    for d in details {
        if !authorized.contains(&d.credential_configuration_id) {
            return Err(Oid4vciError::InvalidAuthorizationDetails(format!(
                "{:?} was not offered",
                d.credential_configuration_id
            )));
        }
        if !ids.contains(&d.credential_configuration_id) {
            ids.push(d.credential_configuration_id);
        }
    }
    Ok(ids)
}

fn issue_token(
    subject: String,
    client_id: Option<String>,
    ids: Vec<String>,
    ctx: &TokenContext<'_>,
) -> Result<(TokenIssued, TokenResponse), Oid4vciError> {
    if ctx.policy.require_dpop && ctx.dpop.is_none() {
        return Err(Oid4vciError::InvalidDpopProof {
            reason: "a DPoP proof is required".into(),
            resource_server: false,
        });
    }
    if ctx.access_token.len() < 16 {
        return Err(Oid4vciError::InvalidRequest(
            "access tokens need at least 16 characters of randomness".into(),
        ));
    }
    let mut credentials = Vec::new();
    let mut details = Vec::new();
    for id in ids {
        let identifiers = (ctx.credential_identifiers)(&id);
        let mut detail = AuthorizationDetail::for_configuration(id.clone());
        if ctx.metadata.authorization_servers.is_some() {
            detail.locations = Some(vec![ctx.metadata.credential_issuer.clone()]);
        }
        if identifiers.is_empty() {
            credentials.push(AuthorizedCredential {
                credential_configuration_id: id,
                credential_identifier: None,
                status: CredentialStatus::Pending,
            });
        } else {
            for ident in &identifiers {
                credentials.push(AuthorizedCredential {
                    credential_configuration_id: id.clone(),
                    credential_identifier: Some(ident.clone()),
                    status: CredentialStatus::Pending,
                });
            }
            detail.credential_identifiers = Some(identifiers);
        }
        details.push(detail);
    }
    let lifetime = u64::try_from(ctx.policy.access_token_lifetime)
        .map_err(|_| Oid4vciError::InvalidRequest("negative token lifetime".into()))?;
    let grant = Grant {
        subject,
        client_id,
        access_token_digest: secret_digest(ctx.provider, ctx.access_token),
        dpop_jkt: ctx.dpop.map(|d| d.jkt.clone()),
        expires_at: ctx.now.saturating_add(ctx.policy.access_token_lifetime),
        credentials,
    };
    let response = TokenResponse {
        access_token: ctx.access_token.to_owned(),
        token_type: if grant.dpop_jkt.is_some() {
            "DPoP"
        } else {
            "Bearer"
        }
        .into(),
        expires_in: lifetime,
        authorization_details: Some(details),
        refresh_token: None,
        other: Default::default(),
    };
    Ok((TokenIssued { grant }, response))
}

impl Grant {
    /// The digest the store indexes this grant by for resource requests.
    pub fn access_token_digest(&self) -> &str {
        &self.access_token_digest
    }

    /// Checks a presented token: digest, expiry and the DPoP binding.
    pub fn check_access(&self, access: &Access<'_>) -> Result<(), Oid4vciError> {
        if !digest_matches(
            access.provider,
            access.access_token,
            &self.access_token_digest,
        ) {
            return Err(Oid4vciError::InvalidToken("unknown access token".into()));
        }
        if access.now >= self.expires_at {
            return Err(Oid4vciError::InvalidToken("access token expired".into()));
        }
        if let Some(jkt) = &self.dpop_jkt {
            match access.dpop {
                Some(proof) if constant_time_eq(proof.jkt.as_bytes(), jkt.as_bytes()) => {}
                Some(_) => {
                    return Err(Oid4vciError::InvalidDpopProof {
                        reason: "proof key is not the token's key".into(),
                        resource_server: true,
                    });
                }
                None => {
                    return Err(Oid4vciError::InvalidToken(
                        "DPoP-bound token presented without a DPoP proof".into(),
                    ));
                }
            }
        }
        Ok(())
    }

    fn into_flow(self) -> IssuanceFlow {
        let pending = self
            .credentials
            .iter()
            .any(|c| c.status == CredentialStatus::Pending);
        let deferred = self
            .credentials
            .iter()
            .any(|c| matches!(c.status, CredentialStatus::Deferred { .. }));
        if pending {
            IssuanceFlow::TokenIssued(TokenIssued { grant: self })
        } else if deferred {
            IssuanceFlow::Deferred(Deferred { grant: self })
        } else {
            IssuanceFlow::CredentialIssued(CredentialIssued { grant: self })
        }
    }

    fn poll(
        mut self,
        request: &DeferredCredentialRequest,
        access: &Access<'_>,
        ready: Option<(Vec<Value>, String)>,
    ) -> Result<(IssuanceFlow, CredentialResponse), Oid4vciError> {
        self.check_access(access)?;
        let entry = self
            .credentials
            .iter_mut()
            .find(|c| {
                matches!(&c.status, CredentialStatus::Deferred { transaction_id_digest, .. }
                    if digest_matches(access.provider, &request.transaction_id, transaction_id_digest))
            })
            .ok_or(Oid4vciError::InvalidTransactionId)?;
        let interval = match &entry.status {
            CredentialStatus::Deferred { interval, .. } => *interval,
            _ => return Err(Oid4vciError::InvalidTransactionId),
        };
        let response = match ready {
            Some((credentials, notification_id)) if !credentials.is_empty() => {
                entry.status = CredentialStatus::Issued {
                    notification_id: notification_id.clone(),
                    event: None,
                };
                CredentialResponse::issued(credentials, Some(notification_id))
            }
            _ => CredentialResponse::deferred(request.transaction_id.clone(), interval),
        };
        Ok((self.into_flow(), response))
    }

    fn notify(
        mut self,
        request: &NotificationRequest,
        access: &Access<'_>,
    ) -> Result<IssuanceFlow, Oid4vciError> {
        self.check_access(access)?;
        let entry = self
            .credentials
            .iter_mut()
            .find(|c| {
                matches!(&c.status, CredentialStatus::Issued { notification_id, .. }
                    if constant_time_eq(notification_id.as_bytes(), request.notification_id.as_bytes()))
            })
            .ok_or(Oid4vciError::InvalidNotificationId)?;
        if let CredentialStatus::Issued { event, .. } = &mut entry.status {
            *event = Some(request.event);
        }
        Ok(self.into_flow())
    }
}

impl TokenIssued {
    /// The grant.
    pub fn grant(&self) -> &Grant {
        &self.grant
    }

    /// Credential Endpoint, step 1: authenticates the token and resolves what the request
    /// asks for. The state is unchanged; the edge validates proofs, signs, then calls
    /// [`TokenIssued::complete`].
    pub fn authorize_request(
        &self,
        request: &CredentialRequest,
        access: &Access<'_>,
    ) -> Result<CredentialGrantDecision, Oid4vciError> {
        self.grant.check_access(access)?;
        let credentials = &self.grant.credentials;
        let uses_identifiers = credentials
            .iter()
            .any(|c| c.credential_identifier.is_some());
        let index = match &request.target {
            CredentialTarget::Identifier(ident) => credentials
                .iter()
                .position(|c| c.credential_identifier.as_deref() == Some(ident.as_str()))
                .ok_or_else(|| Oid4vciError::UnknownCredentialIdentifier(ident.clone()))?,
            CredentialTarget::Configuration(id) => {
                if uses_identifiers {
                    return Err(Oid4vciError::InvalidCredentialRequest(
                        "the token returned credential_identifiers; use credential_identifier"
                            .into(),
                    ));
                }
                credentials
                    .iter()
                    .position(|c| c.credential_configuration_id == *id)
                    .ok_or_else(|| Oid4vciError::UnknownCredentialConfiguration(id.clone()))?
            }
        };
        let entry = &credentials[index];
        if entry.status != CredentialStatus::Pending {
            return Err(Oid4vciError::CredentialRequestDenied(
                "this credential was already issued or deferred".into(),
            ));
        }
        Ok(CredentialGrantDecision {
            credential_configuration_id: entry.credential_configuration_id.clone(),
            credential_identifier: entry.credential_identifier.clone(),
            subject: self.grant.subject.clone(),
            client_id: self.grant.client_id.clone(),
            index,
        })
    }

    /// Credential Endpoint, step 2: records the issuance or deferral and builds the response.
    pub fn complete(
        mut self,
        decision: &CredentialGrantDecision,
        result: IssuanceResult,
        provider: &CryptoProvider,
    ) -> Result<(IssuanceFlow, CredentialResponse), Oid4vciError> {
        let entry = self
            .grant
            .credentials
            .get_mut(decision.index)
            .filter(|e| {
                e.status == CredentialStatus::Pending
                    && e.credential_configuration_id == decision.credential_configuration_id
            })
            .ok_or(Oid4vciError::WrongFlowState {
                expected: "a pending credential",
                found: "another",
            })?;
        let response = match result {
            IssuanceResult::Issued {
                credentials,
                notification_id,
            } => {
                if credentials.is_empty() {
                    return Err(Oid4vciError::CredentialRequestDenied(
                        "no credential issued".into(),
                    ));
                }
                entry.status = CredentialStatus::Issued {
                    notification_id: notification_id.clone(),
                    event: None,
                };
                CredentialResponse::issued(credentials, Some(notification_id))
            }
            IssuanceResult::Deferred {
                transaction_id,
                interval,
            } => {
                if interval == 0 || transaction_id.len() < 16 {
                    return Err(Oid4vciError::InvalidRequest(
                        "deferral needs a random transaction id and a positive interval".into(),
                    ));
                }
                entry.status = CredentialStatus::Deferred {
                    transaction_id_digest: secret_digest(provider, &transaction_id),
                    interval,
                };
                CredentialResponse::deferred(transaction_id, interval)
            }
        };
        Ok((self.grant.into_flow(), response))
    }
}

impl Deferred {
    /// The grant.
    pub fn grant(&self) -> &Grant {
        &self.grant
    }

    /// Deferred Credential Endpoint. `ready` is `Some((credentials, notification_id))` when
    /// the issuer has the credentials now. The transaction id is invalidated once used.
    pub fn poll(
        self,
        request: &DeferredCredentialRequest,
        access: &Access<'_>,
        ready: Option<(Vec<Value>, String)>,
    ) -> Result<(IssuanceFlow, CredentialResponse), Oid4vciError> {
        self.grant.poll(request, access, ready)
    }
}

impl CredentialIssued {
    /// The grant.
    pub fn grant(&self) -> &Grant {
        &self.grant
    }
}

impl IssuanceFlow {
    /// The state's name.
    pub fn state_name(&self) -> &'static str {
        match self {
            Self::Offered(_) => "offered",
            Self::Authorized(_) => "authorized",
            Self::TokenIssued(_) => "token_issued",
            Self::Deferred(_) => "deferred",
            Self::CredentialIssued(_) => "credential_issued",
            Self::Closed(_) => "closed",
        }
    }

    fn wrong(&self, expected: &'static str) -> Oid4vciError {
        Oid4vciError::WrongFlowState {
            expected,
            found: self.state_name(),
        }
    }

    /// Token Endpoint on a stored flow (either grant).
    pub fn token(
        self,
        request: &TokenRequest,
        ctx: &TokenContext<'_>,
    ) -> Result<(IssuanceFlow, TokenResponse), Rejected> {
        let (token, response) = match self {
            Self::Offered(o) => o.redeem_pre_authorized(request, ctx)?,
            Self::Authorized(a) => a.redeem(request, ctx)?,
            // A code or pre-authorized code is single use.
            other => {
                return Err(Oid4vciError::InvalidGrant(format!(
                    "code already used (flow is {})",
                    other.state_name()
                ))
                .into());
            }
        };
        Ok((IssuanceFlow::TokenIssued(token), response))
    }

    /// Notification Endpoint on a stored flow.
    pub fn notify(
        self,
        request: &NotificationRequest,
        access: &Access<'_>,
    ) -> Result<IssuanceFlow, Oid4vciError> {
        match self {
            Self::TokenIssued(TokenIssued { grant })
            | Self::Deferred(Deferred { grant })
            | Self::CredentialIssued(CredentialIssued { grant }) => grant.notify(request, access),
            other => Err(other.wrong("credential_issued")),
        }
    }

    /// Deferred Credential Endpoint on a stored flow.
    pub fn poll_deferred(
        self,
        request: &DeferredCredentialRequest,
        access: &Access<'_>,
        ready: Option<(Vec<Value>, String)>,
    ) -> Result<(IssuanceFlow, CredentialResponse), Oid4vciError> {
        match self {
            // A flow with another credential still pending is TokenIssued yet may hold a
            // deferred one.
            Self::Deferred(Deferred { grant }) | Self::TokenIssued(TokenIssued { grant }) => {
                grant.poll(request, access, ready)
            }
            _ => Err(Oid4vciError::InvalidTransactionId),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::offer::InputMode;
    use kakehashi_crypto_aws_lc::provider;
    use serde_json::json;

    fn metadata() -> CredentialIssuerMetadata {
        CredentialIssuerMetadata::from_json(json!({
            "credential_issuer": "https://issuer.example",
            "credential_endpoint": "https://issuer.example/credential",
            "credential_configurations_supported": {
                "diploma": {"format": "dc+sd-jwt", "vct": "urn:diploma"}
            }
        }))
        .unwrap()
    }

    fn params() -> NewOffer {
        NewOffer {
            subject: "s".into(),
            credential_configuration_ids: vec!["diploma".into()],
            pre_authorized_code: Some("pre-authorized-code-0123".into()),
            tx_code: Some((
                "1234".into(),
                TxCode {
                    input_mode: Some(InputMode::Numeric),
                    length: Some(4),
                    description: None,
                },
            )),
            issuer_state: None,
            lifetime_seconds: 60,
        }
    }

    #[test]
    fn offers_store_digests_not_secrets() {
        let p = provider();
        let (state, offer) = Offered::new(params(), &metadata(), &p, UnixTime(0)).unwrap();
        let stored = serde_json::to_string(&state).unwrap();
        assert!(!stored.contains("pre-authorized-code-0123"));
        assert!(!stored.contains("\"1234\""));
        assert_eq!(
            state.pre_authorized_code_digest(),
            Some(secret_digest(&p, "pre-authorized-code-0123").as_str())
        );
        let grant = offer.pre_authorized().unwrap();
        assert_eq!(grant.pre_authorized_code, "pre-authorized-code-0123");
        assert_eq!(grant.tx_code.as_ref().unwrap().length, Some(4));
    }

    #[test]
    fn offer_parameters_are_checked() {
        let p = provider();
        let m = metadata();
        let mut x = params();
        x.credential_configuration_ids = vec!["other".into()];
        assert_eq!(
            Offered::new(x, &m, &p, UnixTime(0)).unwrap_err().wire().1,
            "unknown_credential_configuration"
        );
        let mut x = params();
        x.pre_authorized_code = Some("short".into());
        assert!(Offered::new(x, &m, &p, UnixTime(0)).is_err());
        let mut x = params();
        x.tx_code = Some((
            "12345".into(),
            TxCode {
                input_mode: None,
                length: Some(4),
                description: None,
            },
        ));
        assert!(
            Offered::new(x, &m, &p, UnixTime(0)).is_err(),
            "tx_code must fit its spec"
        );
        let mut x = params();
        x.pre_authorized_code = None;
        assert!(
            Offered::new(x, &m, &p, UnixTime(0)).is_err(),
            "tx_code without a pre-authorized code"
        );
        let mut x = params();
        x.pre_authorized_code = None;
        x.tx_code = None;
        assert!(Offered::new(x, &m, &p, UnixTime(0)).is_err(), "no grant");
    }

    #[test]
    fn wrong_state_transitions() {
        let closed = IssuanceFlow::Closed(Closed {
            subject: "s".into(),
            reason: "r".into(),
        });
        let p = provider();
        let access = Access {
            access_token: "t",
            dpop: None,
            provider: &p,
            now: UnixTime(0),
        };
        let note = NotificationRequest {
            notification_id: "n".into(),
            event: NotificationEvent::CredentialDeleted,
            event_description: None,
        };
        assert!(matches!(
            closed.clone().notify(&note, &access),
            Err(Oid4vciError::WrongFlowState {
                found: "closed",
                ..
            })
        ));
        let poll = DeferredCredentialRequest {
            transaction_id: "t".into(),
            credential_response_encryption: None,
        };
        assert_eq!(
            closed.poll_deferred(&poll, &access, None).unwrap_err(),
            Oid4vciError::InvalidTransactionId
        );
    }
}
