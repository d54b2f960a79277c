//! OpenID4VCI issuer state: offers, PAR, codes, tokens, nonces, replay cache, deferred
//! issuance, notifications and the ledger of issued credentials.
//!
//! Secrets that a client presents back (pre-authorized codes, transaction codes, authorization
//! codes, access tokens) are stored as hashes computed by the caller: a leaked database does not
//! let anyone redeem them.

use std::future::Future;

use kakehashi_core::UnixTime;

use crate::StorageError;

/// A credential offer made to a graduate.
#[derive(Debug, Clone, PartialEq)]
pub struct CredentialOffer {
    /// Offer id.
    pub id: String,
    /// Credential issuer identifier (URL).
    pub issuer: String,
    /// The graduate (or other subject) the offer is for.
    pub subject: String,
    /// `credential_configuration_ids` offered.
    pub configuration_ids: Vec<String>,
    /// Hash of the pre-authorized code; `None` for authorization-code offers. Unique.
    pub pre_authorized_code_hash: Option<Vec<u8>>,
    /// Hash of the transaction code the holder must type; `None` when not required.
    pub tx_code_hash: Option<Vec<u8>>,
    /// Wrong transaction codes still tolerated before the offer dies (brute-force limit).
    pub tx_code_attempts_left: u32,
    /// `issuer_state` for the authorization-code flow.
    pub issuer_state: Option<String>,
    /// The id in `credential_offer_uri` when the offer is passed by reference. Unique.
    pub reference_id: Option<String>,
    /// When the offer was created.
    pub created_at: UnixTime,
    /// Valid while `now < expires_at`.
    pub expires_at: UnixTime,
    /// When the pre-authorized code was redeemed; set exactly once.
    pub used_at: Option<UnixTime>,
}

/// A pushed authorization request (RFC 9126), single use.
#[derive(Debug, Clone, PartialEq)]
pub struct PushedAuthorizationRequest {
    /// The `request_uri` handed to the client. Primary key.
    pub request_uri: String,
    /// The client that pushed it.
    pub client_id: String,
    /// The pushed parameters (JSON object).
    pub parameters: serde_json::Value,
    /// Valid while `now < expires_at`.
    pub expires_at: UnixTime,
    /// When it was used at the authorization endpoint.
    pub used_at: Option<UnixTime>,
}

/// An authorization code bound to a PKCE challenge, single use.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthorizationCode {
    /// Hash of the code. Primary key.
    pub code_hash: Vec<u8>,
    /// The client it was issued to.
    pub client_id: String,
    /// The redirect URI it was issued for (must match at the token endpoint).
    pub redirect_uri: Option<String>,
    /// PKCE `code_challenge` (RFC 7636).
    pub pkce_challenge: String,
    /// PKCE `code_challenge_method`, `"S256"`.
    pub pkce_method: String,
    /// The authenticated subject.
    pub subject: String,
    /// The granted `authorization_details` (JSON).
    pub authorization_details: serde_json::Value,
    /// Valid while `now < expires_at`.
    pub expires_at: UnixTime,
    /// When it was redeemed.
    pub used_at: Option<UnixTime>,
}

/// An access token (stored by hash), optionally DPoP-bound.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessToken {
    /// Hash of the token. Primary key.
    pub token_hash: Vec<u8>,
    /// The subject whose credentials the token grants.
    pub subject: String,
    /// The offer it came from, if any.
    pub offer_id: Option<String>,
    /// JWK SHA-256 thumbprint of the DPoP key (RFC 9449 `jkt`); `None` for bearer tokens.
    pub dpop_jkt: Option<String>,
    /// The granted `authorization_details` (JSON).
    pub authorization_details: serde_json::Value,
    /// Valid while `now < expires_at`.
    pub expires_at: UnixTime,
}

/// State of a deferred issuance transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeferredState {
    /// Waiting for the registrar / back office.
    Pending,
    /// Credentials are ready for the wallet to fetch.
    Ready,
    /// The wallet fetched them; the `transaction_id` is spent.
    Issued,
    /// Issuance was refused.
    Failed,
}

impl DeferredState {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Ready => "ready",
            Self::Issued => "issued",
            Self::Failed => "failed",
        }
    }

    /// Parses the stored text.
    pub fn parse(text: &str) -> Result<Self, StorageError> {
        Ok(match text {
            "pending" => Self::Pending,
            "ready" => Self::Ready,
            "issued" => Self::Issued,
            "failed" => Self::Failed,
            other => return Err(StorageError::corrupt("deferred state", other)),
        })
    }
}

/// A deferred issuance transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct DeferredTransaction {
    /// `transaction_id`. Primary key.
    pub transaction_id: String,
    /// The subject.
    pub subject: String,
    /// The credential configuration requested.
    pub configuration_id: String,
    /// Current state.
    pub state: DeferredState,
    /// The credentials once ready (serialized, one entry per credential).
    pub credentials: Vec<String>,
    /// When it was created.
    pub created_at: UnixTime,
    /// The wallet may poll while `now < expires_at`.
    pub expires_at: UnixTime,
}

/// Events a wallet reports at the notification endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotificationEvent {
    /// `credential_accepted`.
    CredentialAccepted,
    /// `credential_failure`.
    CredentialFailure,
    /// `credential_deleted`.
    CredentialDeleted,
}

impl NotificationEvent {
    /// The protocol / stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CredentialAccepted => "credential_accepted",
            Self::CredentialFailure => "credential_failure",
            Self::CredentialDeleted => "credential_deleted",
        }
    }

    /// Parses the protocol / stored text.
    pub fn parse(text: &str) -> Result<Self, StorageError> {
        Ok(match text {
            "credential_accepted" => Self::CredentialAccepted,
            "credential_failure" => Self::CredentialFailure,
            "credential_deleted" => Self::CredentialDeleted,
            other => return Err(StorageError::corrupt("notification event", other)),
        })
    }
}

/// A `notification_id` handed out with a credential, and the event the wallet reported.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    /// `notification_id`. Primary key.
    pub notification_id: String,
    /// The issued credential it is about.
    pub credential_id: String,
    /// The event, once reported.
    pub event: Option<NotificationEvent>,
    /// `event_description`, once reported.
    pub description: Option<String>,
    /// When the event was reported.
    pub reported_at: Option<UnixTime>,
}

/// A credential the issuer signed. Written before the credential leaves the issuer, so nothing
/// issued is ever lost (audits, revocation, re-delivery).
#[derive(Debug, Clone, PartialEq)]
pub struct IssuedCredential {
    /// Credential id. Primary key.
    pub id: String,
    /// Format, e.g. `"dc+sd-jwt"` or `"jwt_vc_json"`.
    pub format: String,
    /// SD-JWT VC `vct` or W3C `type`.
    pub credential_type: String,
    /// The graduate record the credential is about.
    pub subject: String,
    /// JWK thumbprint of the holder key the credential is bound to.
    pub holder_key_thumbprint: Option<String>,
    /// Status list id and index, when the credential is revocable.
    pub status: Option<StatusReference>,
    /// When it was issued.
    pub issued_at: UnixTime,
    /// The credential exactly as sent.
    pub credential: String,
    /// Unique key of the issuing intent (e.g. import file hash + row), so a re-run issues
    /// nothing twice.
    pub idempotency_key: Option<String>,
}

/// Where a credential's status lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusReference {
    /// Status list id.
    pub list_id: String,
    /// Index in the list.
    pub index: u32,
}

/// OpenID4VCI issuer state.
///
/// Every `redeem_*` / `consume_*` / `take_*` method is one conditional `UPDATE … RETURNING`: two
/// nodes racing on one PostgreSQL cannot both succeed; the loser gets `AlreadyUsed`.
pub trait IssuerStore: Send + Sync {
    /// Stores an offer. `Conflict` if id, code hash or reference id exists.
    fn insert_credential_offer(
        &self,
        offer: &CredentialOffer,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;

    /// An offer by id, whatever its state.
    fn credential_offer(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<CredentialOffer, StorageError>> + Send;

    /// The offers made to a subject, oldest first, whatever their state: what the registrar
    /// portal lists as "offered" until the wallet redeems one.
    fn credential_offers_for_subject(
        &self,
        subject: &str,
    ) -> impl Future<Output = Result<Vec<CredentialOffer>, StorageError>> + Send;

    /// The offer behind a `credential_offer_uri`: `Expired` after expiry, `AlreadyUsed` once
    /// redeemed, so a leaked link stops working.
    fn credential_offer_by_reference(
        &self,
        reference_id: &str,
        now: UnixTime,
    ) -> impl Future<Output = Result<CredentialOffer, StorageError>> + Send;

    /// Redeems a pre-authorized code atomically. When the offer requires a transaction code,
    /// `tx_code_hash` must match; a mismatch burns one attempt (`WrongTxCode`), and with none
    /// left the offer is dead (`AttemptsExhausted`). Also `NotFound`, `Expired`, `AlreadyUsed`.
    fn redeem_pre_authorized_code(
        &self,
        code_hash: &[u8],
        tx_code_hash: Option<&[u8]>,
        now: UnixTime,
    ) -> impl Future<Output = Result<CredentialOffer, StorageError>> + Send;

    /// Stores a pushed authorization request. `Conflict` if the `request_uri` exists.
    fn insert_pushed_authorization_request(
        &self,
        request: &PushedAuthorizationRequest,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;

    /// Uses a `request_uri` once (RFC 9126 §4: one-time use).
    fn consume_pushed_authorization_request(
        &self,
        request_uri: &str,
        now: UnixTime,
    ) -> impl Future<Output = Result<PushedAuthorizationRequest, StorageError>> + Send;

    /// Stores an authorization code.
    fn insert_authorization_code(
        &self,
        code: &AuthorizationCode,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;

    /// Redeems an authorization code once. The caller checks PKCE against the returned
    /// challenge afterwards: a failed check still burns the code (RFC 6749 §4.1.2).
    fn redeem_authorization_code(
        &self,
        code_hash: &[u8],
        now: UnixTime,
    ) -> impl Future<Output = Result<AuthorizationCode, StorageError>> + Send;

    /// Stores an access token.
    fn insert_access_token(
        &self,
        token: &AccessToken,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;

    /// Looks up a live access token: `NotFound` or `Expired`.
    fn access_token(
        &self,
        token_hash: &[u8],
        now: UnixTime,
    ) -> impl Future<Output = Result<AccessToken, StorageError>> + Send;

    /// Stores a fresh `c_nonce` from the nonce endpoint.
    fn insert_c_nonce(
        &self,
        nonce: &str,
        expires_at: UnixTime,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;

    /// Consumes a `c_nonce` found in a key proof: succeeds once, before expiry.
    fn consume_c_nonce(
        &self,
        nonce: &str,
        now: UnixTime,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;

    /// Remembers a DPoP / key-proof `jti` in `scope` until `expires_at`. `AlreadyUsed` if it
    /// is already remembered and not expired: a replayed proof.
    fn remember_jti(
        &self,
        scope: &str,
        jti: &str,
        expires_at: UnixTime,
        now: UnixTime,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;

    /// Deletes what expired at or before `now`: replay-cache entries, nonces, PARs,
    /// authorization codes, access tokens. Returns the number of rows removed. Offers and
    /// issued credentials are kept for the audit trail.
    fn purge_expired_issuer_state(
        &self,
        now: UnixTime,
    ) -> impl Future<Output = Result<u64, StorageError>> + Send;

    /// Starts a deferred transaction (state `Pending`).
    fn insert_deferred_transaction(
        &self,
        transaction: &DeferredTransaction,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;

    /// A deferred transaction by id (any state).
    fn deferred_transaction(
        &self,
        transaction_id: &str,
    ) -> impl Future<Output = Result<DeferredTransaction, StorageError>> + Send;

    /// Moves `Pending` to `Ready` with the credentials, or to `Failed` (empty credentials).
    /// `WrongState` otherwise.
    fn complete_deferred_transaction(
        &self,
        transaction_id: &str,
        outcome: DeferredState,
        credentials: &[String],
    ) -> impl Future<Output = Result<(), StorageError>> + Send;

    /// Hands out the credentials of a `Ready` transaction once (`Ready` → `Issued`).
    /// `WrongState` while pending or failed, `AlreadyUsed` after, `Expired` after expiry.
    fn take_deferred_credentials(
        &self,
        transaction_id: &str,
        now: UnixTime,
    ) -> impl Future<Output = Result<Vec<String>, StorageError>> + Send;

    /// Registers a `notification_id` for an issued credential.
    fn insert_notification(
        &self,
        notification_id: &str,
        credential_id: &str,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;

    /// Records the wallet's event. The first report wins; repeating the same event is
    /// accepted (idempotent), a different one is `Conflict`.
    fn record_notification_event(
        &self,
        notification_id: &str,
        event: NotificationEvent,
        description: Option<&str>,
        now: UnixTime,
    ) -> impl Future<Output = Result<Notification, StorageError>> + Send;

    /// Records an issued credential. `Conflict` if the id or the idempotency key exists.
    fn insert_issued_credential(
        &self,
        credential: &IssuedCredential,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;

    /// One issued credential by id.
    fn issued_credential(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<IssuedCredential, StorageError>> + Send;

    /// The credential issued under an idempotency key, if any: what a re-run checks first.
    fn issued_credential_by_idempotency_key(
        &self,
        idempotency_key: &str,
    ) -> impl Future<Output = Result<Option<IssuedCredential>, StorageError>> + Send;

    /// The credentials issued about a subject, oldest first.
    fn issued_credentials_for_subject(
        &self,
        subject: &str,
    ) -> impl Future<Output = Result<Vec<IssuedCredential>, StorageError>> + Send;
}
