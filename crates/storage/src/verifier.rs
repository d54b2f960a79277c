//! OpenID4VP verifier sessions.

use std::future::Future;

use kakehashi_core::UnixTime;

use crate::{EncryptedKey, StorageError};

/// Where a verifier session stands. Transitions only move forward:
/// `Created → RequestFetched → ResponseReceived → Verified | Failed`
/// (`RequestFetched` is skipped when the request is passed by value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionStatus {
    /// Created, request not yet fetched.
    Created,
    /// The wallet fetched the request object.
    RequestFetched,
    /// A response arrived (accepted once).
    ResponseReceived,
    /// The presentation verified.
    Verified,
    /// The presentation was rejected.
    Failed,
}

impl SessionStatus {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::RequestFetched => "request_fetched",
            Self::ResponseReceived => "response_received",
            Self::Verified => "verified",
            Self::Failed => "failed",
        }
    }

    /// Parses the stored text.
    pub fn parse(text: &str) -> Result<Self, StorageError> {
        Ok(match text {
            "created" => Self::Created,
            "request_fetched" => Self::RequestFetched,
            "response_received" => Self::ResponseReceived,
            "verified" => Self::Verified,
            "failed" => Self::Failed,
            other => return Err(StorageError::corrupt("session status", other)),
        })
    }
}

/// An OpenID4VP presentation session.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifierSession {
    /// Session id. Primary key.
    pub id: String,
    /// The OAuth `state` the response carries. Unique.
    pub state: String,
    /// The `nonce` the presentation must be bound to.
    pub nonce: String,
    /// The DCQL query (JSON).
    pub dcql_query: serde_json::Value,
    /// The signed request object (JWT), when passed by reference.
    pub request_object: Option<String>,
    /// The `request_uri` id, when passed by reference. Unique.
    pub request_uri: Option<String>,
    /// `response_mode`, e.g. `"direct_post.jwt"`.
    pub response_mode: String,
    /// The ephemeral response-encryption private key, encrypted by the caller.
    pub encryption_key: Option<EncryptedKey>,
    /// Where the session stands.
    pub status: SessionStatus,
    /// The raw response (e.g. the JWE or the `vp_token` JSON), once received.
    pub response: Option<String>,
    /// The verification result (JSON), once verified or failed.
    pub result: Option<serde_json::Value>,
    /// Relying-party webhook to call with the result.
    pub webhook_url: Option<String>,
    /// When the session was created.
    pub created_at: UnixTime,
    /// Requests and responses are accepted while `now < expires_at`.
    pub expires_at: UnixTime,
}

/// OpenID4VP verifier sessions.
pub trait VerifierStore: Send + Sync {
    /// Stores a new session (status is stored as given, normally `Created`).
    fn insert_verifier_session(
        &self,
        session: &VerifierSession,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;

    /// A session by id.
    fn verifier_session(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<VerifierSession, StorageError>> + Send;

    /// Marks the request object as fetched (`Created → RequestFetched`) and returns the session.
    /// Once only: a second fetch is `AlreadyUsed`, so a leaked `request_uri` reveals nothing new.
    fn fetch_request_object(
        &self,
        request_uri: &str,
        now: UnixTime,
    ) -> impl Future<Output = Result<VerifierSession, StorageError>> + Send;

    /// Accepts the response for `state` exactly once (`→ ResponseReceived`). A replayed or
    /// racing second response is `AlreadyUsed`; after expiry `Expired`.
    fn accept_response(
        &self,
        state: &str,
        response: &str,
        now: UnixTime,
    ) -> impl Future<Output = Result<VerifierSession, StorageError>> + Send;

    /// Stores the verification outcome (`ResponseReceived → Verified | Failed`).
    /// `WrongState` from any other status.
    fn finish_verification(
        &self,
        id: &str,
        verified: bool,
        result: &serde_json::Value,
    ) -> impl Future<Output = Result<VerifierSession, StorageError>> + Send;

    /// Deletes sessions that expired at or before `now`; returns how many.
    fn purge_expired_verifier_sessions(
        &self,
        now: UnixTime,
    ) -> impl Future<Output = Result<u64, StorageError>> + Send;
}
