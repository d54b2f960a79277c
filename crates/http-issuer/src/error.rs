//! [`IssuerError`]: the one mapping from anything a handler can hit to an HTTP status and an
//! OAuth 2.0 / DPoP / OpenID4VCI `error` code (axum `examples/error-handling` shape).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kakehashi_oid4vci::Oid4vciError;
use kakehashi_storage::StorageError;
use serde_json::{Value, json};

/// Everything an issuer endpoint or service can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IssuerError {
    /// A protocol error with its wire code (`Oid4vciError::wire`).
    #[error(transparent)]
    Protocol(#[from] Oid4vciError),
    /// `invalid_nonce` answered with a fresh `c_nonce` so the wallet can retry at once.
    #[error("invalid nonce")]
    InvalidNonce {
        /// The fresh nonce.
        c_nonce: String,
    },
    /// `use_dpop_nonce`, answered with the nonce to use in the `DPoP-Nonce` header.
    #[error("DPoP nonce required")]
    UseDpopNonce {
        /// The nonce to use.
        nonce: String,
        /// 401 at resource endpoints, 400 at the token endpoint.
        resource_server: bool,
    },
    /// The store failed (`Unavailable` → 503, the rest → 500).
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// Unknown offer, status list, credential or graduate (404).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The admin API was called without a valid admin token.
    #[error("admin authentication required")]
    AdminUnauthorized,
    /// A registrar-side request that cannot be carried out (unknown action, revoked
    /// credential reinstated, …).
    #[error("{0}")]
    BadRequest(String),
    /// Signing or building a credential / list failed (a bug or a bad key: 500).
    #[error("internal error: {0}")]
    Internal(String),
}

impl IssuerError {
    /// Shorthand for an internal error from anything displayable.
    pub fn internal(e: impl std::fmt::Display) -> Self {
        Self::Internal(e.to_string())
    }

    /// HTTP status, `error` code and `error_description`.
    pub fn wire(&self) -> (StatusCode, &'static str, String) {
        let status = |code: u16| StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST);
        match self {
            Self::Protocol(e) => {
                let (code, error) = e.wire();
                let description = e.to_error_body()["error_description"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                (status(code), error, description)
            }
            Self::InvalidNonce { .. } => (
                StatusCode::BAD_REQUEST,
                "invalid_nonce",
                "the proof nonce is unknown, expired or already used".into(),
            ),
            Self::UseDpopNonce {
                resource_server, ..
            } => (
                if *resource_server {
                    StatusCode::UNAUTHORIZED
                } else {
                    StatusCode::BAD_REQUEST
                },
                "use_dpop_nonce",
                "a DPoP nonce from the DPoP-Nonce header is required".into(),
            ),
            Self::Storage(StorageError::Unavailable { .. }) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily_unavailable",
                "storage unavailable, retry later".into(),
            ),
            Self::Storage(StorageError::Full) => (
                StatusCode::INSUFFICIENT_STORAGE,
                "server_error",
                "storage full".into(),
            ),
            Self::Storage(_) | Self::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "internal error".into(),
            ),
            Self::NotFound(what) => (
                StatusCode::NOT_FOUND,
                "not_found",
                format!("{what} not found"),
            ),
            Self::AdminUnauthorized => (
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                "admin token required".into(),
            ),
            Self::BadRequest(reason) => (StatusCode::BAD_REQUEST, "invalid_request", ascii(reason)),
        }
    }

    /// The JSON body.
    pub fn body(&self) -> Value {
        let (_, error, description) = self.wire();
        let mut body = json!({"error": error, "error_description": description});
        if let Self::InvalidNonce { c_nonce } = self {
            body["c_nonce"] = c_nonce.clone().into();
        }
        body
    }
}

fn ascii(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '"' | '\\' => '\'',
            c if (' '..='~').contains(&c) => c,
            _ => '?',
        })
        .take(256)
        .collect()
}

impl IntoResponse for IssuerError {
    fn into_response(self) -> Response {
        let (status, error, _) = self.wire();
        let dpop_nonce = match &self {
            Self::UseDpopNonce { nonce, .. } => HeaderValue::from_str(nonce).ok(),
            _ => None,
        };
        if status.is_server_error() {
            tracing::error!(error = %self, "issuer request failed");
        } else {
            tracing::debug!(error = %self, "issuer request refused");
        }
        let mut response = (status, axum::Json(self.body())).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(nonce) = dpop_nonce {
            headers.insert("dpop-nonce", nonce);
        }
        // RFC 6750 / RFC 9449: resource-server errors name the scheme and the error.
        if status == StatusCode::UNAUTHORIZED
            && let Ok(value) =
                HeaderValue::from_str(&format!("DPoP error=\"{error}\", algs=\"ES256\""))
        {
            headers.insert(header::WWW_AUTHENTICATE, value);
        }
        response
    }
}

/// Maps a storage failure on a single-use grant (code, token) to the protocol error; other
/// failures stay storage errors.
pub(crate) fn grant_error(e: StorageError, what: &str) -> IssuerError {
    match e {
        StorageError::NotFound { .. } => {
            Oid4vciError::InvalidGrant(format!("unknown {what}")).into()
        }
        StorageError::Expired { .. } => {
            Oid4vciError::InvalidGrant(format!("{what} expired")).into()
        }
        StorageError::AlreadyUsed { .. } => {
            Oid4vciError::InvalidGrant(format!("{what} already used")).into()
        }
        StorageError::WrongTxCode { attempts_left } => {
            Oid4vciError::InvalidGrant(format!("wrong tx_code ({attempts_left} attempts left)"))
                .into()
        }
        StorageError::AttemptsExhausted => {
            Oid4vciError::InvalidGrant("tx_code attempts exhausted".into()).into()
        }
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_unavailable_is_503() {
        let e = IssuerError::from(StorageError::Unavailable {
            reason: "down".into(),
        });
        assert_eq!(e.wire().0, StatusCode::SERVICE_UNAVAILABLE);
        let e = IssuerError::from(StorageError::corrupt("x", "y"));
        assert_eq!(e.wire().0, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(e.body()["error_description"], "internal error");
    }

    #[test]
    fn protocol_codes_pass_through() {
        let e = IssuerError::from(Oid4vciError::InvalidProof("x".into()));
        assert_eq!(e.wire().1, "invalid_proof");
        let e = IssuerError::InvalidNonce {
            c_nonce: "n".into(),
        };
        assert_eq!(e.body()["c_nonce"], "n");
        assert_eq!(
            grant_error(StorageError::AttemptsExhausted, "code")
                .wire()
                .1,
            "invalid_grant"
        );
    }
}
