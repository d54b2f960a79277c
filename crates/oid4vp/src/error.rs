//! The crate's one error type and its single mapping to the wire (OpenID4VP 1.0 section 8.5,
//! RFC 6749 section 4.1.2.1, RFC 9101 section 6.3).

use kakehashi_core::JsonError;
use kakehashi_jose::JoseError;

use crate::path::PathError;

/// Everything that can go wrong in an OpenID4VP exchange.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Oid4vpError {
    /// Oversized, over-nested or malformed JSON.
    #[error("JSON: {0}")]
    Json(#[from] JsonError),
    /// A DCQL query breaks a rule of section 6.
    #[error("invalid DCQL query: {0}")]
    InvalidDcql(String),
    /// A claims path pointer is malformed.
    #[error("claims path: {0}")]
    Path(#[from] PathError),
    /// A required request or response parameter is absent.
    #[error("missing parameter {0:?}")]
    MissingParameter(&'static str),
    /// A parameter has the wrong type, value or combination with others.
    #[error("invalid parameter {name:?}: {reason}")]
    InvalidParameter { name: &'static str, reason: String },
    /// `client_id` uses a prefix this implementation does not support for the operation.
    #[error("unsupported client identifier prefix in {0:?}")]
    UnsupportedClientIdPrefix(String),
    /// The request object's certificate does not belong to the `client_id`.
    #[error("client_id {client_id:?} does not match the request object's certificate: {reason}")]
    ClientIdMismatch { client_id: String, reason: String },
    /// The signed request object is malformed or its signature does not verify.
    #[error("request object: {0}")]
    RequestObject(String),
    /// A JOSE failure (request object signature, header checks).
    #[error("JOSE: {0}")]
    Jose(#[from] JoseError),
    /// `request_uri_method` is neither `get` nor `post`.
    #[error("request_uri_method {0:?} is neither \"get\" nor \"post\"")]
    InvalidRequestUriMethod(String),
    /// The request object lacks the `wallet_nonce` the wallet sent.
    #[error("request object wallet_nonce does not match the wallet's")]
    WalletNonceMismatch,
    /// None of the verifier's formats is supported.
    #[error("none of the requested credential formats is supported")]
    VpFormatsNotSupported,
    /// The wallet cannot or will not satisfy the request (or the user declined).
    #[error("access denied: {0}")]
    AccessDenied(String),
    /// A response's `state` is not the session's.
    #[error("state does not match the session")]
    StateMismatch,
    /// The session is not in the state the operation needs (e.g. a second response).
    #[error("session is {found}, expected {expected}")]
    WrongSessionState {
        expected: &'static str,
        found: &'static str,
    },
    /// The session's lifetime has passed.
    #[error("session expired")]
    SessionExpired,
    /// The response mode requires an encrypted response but got a plain one, or vice versa.
    #[error("response mode requires {0}")]
    ResponseModeMismatch(&'static str),
    /// `vp_token` is not shaped per section 8.1 or does not fit the query.
    #[error("invalid vp_token: {0}")]
    InvalidVpToken(String),
    /// A presentation failed verification (signature, KB-JWT nonce/aud, disclosed claims).
    #[error("presentation for {credential_id:?} rejected: {reason}")]
    PresentationRejected {
        credential_id: String,
        reason: String,
    },
    /// The wallet returned an error response (section 8.5).
    #[error("wallet returned error {error:?}")]
    WalletError {
        error: String,
        description: Option<String>,
    },
}

impl Oid4vpError {
    /// The HTTP status and the `error` code to send. Verifier endpoints answer with these;
    /// a wallet sends the code in its error response to the `response_uri`.
    pub fn wire(&self) -> (u16, &'static str) {
        match self {
            Self::Json(_)
            | Self::InvalidDcql(_)
            | Self::Path(_)
            | Self::MissingParameter(_)
            | Self::InvalidParameter { .. }
            | Self::WalletNonceMismatch
            | Self::StateMismatch
            | Self::WrongSessionState { .. }
            | Self::SessionExpired
            | Self::ResponseModeMismatch(_)
            | Self::InvalidVpToken(_)
            | Self::PresentationRejected { .. }
            | Self::WalletError { .. } => (400, "invalid_request"),
            Self::UnsupportedClientIdPrefix(_) | Self::ClientIdMismatch { .. } => {
                (400, "invalid_client")
            }
            Self::RequestObject(_) | Self::Jose(_) => (400, "invalid_request_object"),
            Self::InvalidRequestUriMethod(_) => (400, "invalid_request_uri_method"),
            Self::VpFormatsNotSupported => (400, "vp_formats_not_supported"),
            Self::AccessDenied(_) => (403, "access_denied"),
        }
    }

    pub(crate) fn param(name: &'static str, reason: impl Into<String>) -> Self {
        Self::InvalidParameter {
            name,
            reason: reason.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_codes() {
        let cases: Vec<(Oid4vpError, u16, &str)> = vec![
            (Oid4vpError::InvalidDcql("x".into()), 400, "invalid_request"),
            (
                Oid4vpError::MissingParameter("nonce"),
                400,
                "invalid_request",
            ),
            (Oid4vpError::StateMismatch, 400, "invalid_request"),
            (
                Oid4vpError::UnsupportedClientIdPrefix("did:x".into()),
                400,
                "invalid_client",
            ),
            (
                Oid4vpError::ClientIdMismatch {
                    client_id: "x".into(),
                    reason: "y".into(),
                },
                400,
                "invalid_client",
            ),
            (
                Oid4vpError::RequestObject("x".into()),
                400,
                "invalid_request_object",
            ),
            (
                Oid4vpError::InvalidRequestUriMethod("PUT".into()),
                400,
                "invalid_request_uri_method",
            ),
            (
                Oid4vpError::VpFormatsNotSupported,
                400,
                "vp_formats_not_supported",
            ),
            (
                Oid4vpError::AccessDenied("user".into()),
                403,
                "access_denied",
            ),
            (
                Oid4vpError::WrongSessionState {
                    expected: "a",
                    found: "b",
                },
                400,
                "invalid_request",
            ),
        ];
        for (e, status, code) in cases {
            assert_eq!(e.wire(), (status, code), "{e}");
        }
    }
}
