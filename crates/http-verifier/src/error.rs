//! One mapping from every verifier failure to the wire: HTTP status + OAuth / OpenID4VP
//! `error` code, JSON body `{"error", "error_description"}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kakehashi_oid4vp::Oid4vpError;
use kakehashi_storage::StorageError;

/// Why a verifier endpoint refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifierError {
    /// A protocol rule of OpenID4VP (state, response mode, request URI method, …).
    #[error(transparent)]
    Protocol(#[from] Oid4vpError),
    /// The store refused (not found, already used, expired, …) or failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The caller's request is malformed (portal API).
    #[error("invalid request: {0}")]
    BadRequest(String),
    /// Unknown request template.
    #[error("unknown request template {0:?}")]
    UnknownTemplate(String),
    /// The result token or response code does not open this session.
    #[error("not authorised to read this session")]
    Unauthorised,
    /// The session has no result yet.
    #[error("the session has no result yet")]
    NotReady,
    /// The response body is larger than allowed.
    #[error("request body too large")]
    TooLarge,
    /// The encrypted response could not be decrypted.
    #[error("the response could not be decrypted: {0}")]
    Decryption(String),
    /// No PDF for this session: no credential with a report, or no usable report font.
    #[error("no PDF report: {0}")]
    NoPdf(&'static str),
    /// A server-side failure (keys, PDF, serialization).
    #[error("internal error: {0}")]
    Internal(String),
}

impl VerifierError {
    pub(crate) fn internal(e: impl std::fmt::Display) -> Self {
        Self::Internal(e.to_string())
    }

    /// The HTTP status and `error` code.
    pub fn wire(&self) -> (StatusCode, &'static str) {
        let status = |code: u16| StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST);
        match self {
            Self::Protocol(e) => {
                let (code, error) = e.wire();
                (status(code), error)
            }
            Self::Storage(e) => match e {
                StorageError::NotFound { .. } => (StatusCode::NOT_FOUND, "invalid_request"),
                // A replayed response or second fetch of the request object.
                StorageError::AlreadyUsed { .. } | StorageError::WrongState { .. } => {
                    (StatusCode::BAD_REQUEST, "invalid_request")
                }
                StorageError::Expired { .. } => (StatusCode::BAD_REQUEST, "invalid_request"),
                StorageError::Invalid { .. } => (StatusCode::BAD_REQUEST, "invalid_request"),
                _ if e.is_retryable() => {
                    (StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable")
                }
                _ => (StatusCode::INTERNAL_SERVER_ERROR, "server_error"),
            },
            Self::BadRequest(_) | Self::UnknownTemplate(_) => {
                (StatusCode::BAD_REQUEST, "invalid_request")
            }
            Self::Unauthorised => (StatusCode::FORBIDDEN, "access_denied"),
            Self::NotReady => (StatusCode::CONFLICT, "invalid_request"),
            Self::NoPdf(_) => (StatusCode::NOT_FOUND, "invalid_request"),
            Self::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "invalid_request"),
            Self::Decryption(_) => (StatusCode::BAD_REQUEST, "invalid_request"),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "server_error"),
        }
    }
}

impl IntoResponse for VerifierError {
    fn into_response(self) -> Response {
        let (status, error) = self.wire();
        let description = match &self {
            // Details of server failures stay in the log.
            Self::Internal(_) => "internal error".to_owned(),
            Self::Storage(e) if status.is_server_error() => {
                tracing::warn!(error = %e, "verifier storage failure");
                "storage unavailable".to_owned()
            }
            other => other.to_string(),
        };
        if let Self::Internal(detail) = &self {
            tracing::error!(%detail, "verifier internal error");
        }
        let mut response = (
            status,
            Json(serde_json::json!({"error": error, "error_description": description})),
        )
            .into_response();
        response.headers_mut().insert(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("no-store"),
        );
        response
    }
}
