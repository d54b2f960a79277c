//! The crate's one error type and its single mapping to the wire: OAuth 2.0 (RFC 6749 section
//! 5.2), DPoP (RFC 9449 sections 5, 7.1, 8, 9) and OpenID4VCI 1.0 (sections 6.3, 8.3.1, 9.3,
//! 11.3) error codes with their HTTP status.

use kakehashi_core::JsonError;
use kakehashi_jose::JoseError;

/// Everything that can go wrong in an issuance exchange.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Oid4vciError {
    /// Oversized, over-nested or malformed JSON.
    #[error("JSON: {0}")]
    Json(#[from] JsonError),
    /// A request is missing a parameter, repeats one or is otherwise malformed (OAuth).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// Client authentication or identification failed (wrong or missing `client_id`).
    #[error("invalid client: {0}")]
    InvalidClient(String),
    /// The code, pre-authorized code, PKCE verifier, redirect URI or tx_code is wrong,
    /// expired or already used.
    #[error("invalid grant: {0}")]
    InvalidGrant(String),
    /// The grant type is not offered for this flow.
    #[error("unsupported grant type {0:?}")]
    UnsupportedGrantType(String),
    /// `authorization_details` are malformed or name unknown configurations.
    #[error("invalid authorization_details: {0}")]
    InvalidAuthorizationDetails(String),
    /// The DPoP proof is missing or invalid. `resource_server` selects 401 over 400.
    #[error("invalid DPoP proof: {reason}")]
    InvalidDpopProof {
        reason: String,
        resource_server: bool,
    },
    /// The server requires (a fresh) DPoP `nonce`; the edge sends it in `DPoP-Nonce`.
    #[error("DPoP nonce required")]
    UseDpopNonce { resource_server: bool },
    /// The access token is missing, unknown, expired or not bound as presented (RFC 6750).
    #[error("invalid token: {0}")]
    InvalidToken(String),
    /// The Credential Request is malformed (incl. the pre-1.0 singular `proof`).
    #[error("invalid credential request: {0}")]
    InvalidCredentialRequest(String),
    /// `credential_configuration_id` is unknown or not authorized.
    #[error("unknown credential configuration {0:?}")]
    UnknownCredentialConfiguration(String),
    /// `credential_identifier` is unknown or not authorized.
    #[error("unknown credential identifier {0:?}")]
    UnknownCredentialIdentifier(String),
    /// A key proof is missing or invalid.
    #[error("invalid proof: {0}")]
    InvalidProof(String),
    /// A key proof's `nonce` is not a valid `c_nonce` (wallet fetches a fresh one).
    #[error("invalid nonce")]
    InvalidNonce,
    /// Credential response encryption parameters are invalid or missing.
    #[error("invalid encryption parameters: {0}")]
    InvalidEncryptionParameters(String),
    /// The issuer will not issue (policy, revoked consent).
    #[error("credential request denied: {0}")]
    CredentialRequestDenied(String),
    /// The deferred `transaction_id` is unknown or already used.
    #[error("invalid transaction_id")]
    InvalidTransactionId,
    /// The `notification_id` is unknown.
    #[error("invalid notification_id")]
    InvalidNotificationId,
    /// The notification request is malformed.
    #[error("invalid notification request: {0}")]
    InvalidNotificationRequest(String),
    /// Metadata or an offer breaks a rule of the specification.
    #[error("invalid metadata: {0}")]
    InvalidMetadata(String),
    /// A credential offer is malformed.
    #[error("invalid credential offer: {0}")]
    InvalidOffer(String),
    /// The flow is not in the state the operation needs.
    #[error("flow is {found}, expected {expected}")]
    WrongFlowState {
        expected: &'static str,
        found: &'static str,
    },
    /// The offer, code or token has expired.
    #[error("expired")]
    Expired,
    /// A JOSE failure outside DPoP and key proofs (signed metadata).
    #[error("JOSE: {0}")]
    Jose(#[from] JoseError),
    /// The server returned an error response (wallet side).
    #[error("server returned error {error:?}")]
    ServerError {
        error: String,
        description: Option<String>,
    },
}

impl Oid4vciError {
    /// The HTTP status and `error` code to send.
    pub fn wire(&self) -> (u16, &'static str) {
        match self {
            Self::Json(_) | Self::InvalidRequest(_) | Self::WrongFlowState { .. } => {
                (400, "invalid_request")
            }
            Self::InvalidClient(_) => (401, "invalid_client"),
            Self::InvalidGrant(_) | Self::Expired => (400, "invalid_grant"),
            Self::UnsupportedGrantType(_) => (400, "unsupported_grant_type"),
            Self::InvalidAuthorizationDetails(_) => (400, "invalid_authorization_details"),
            Self::InvalidDpopProof {
                resource_server, ..
            } => (
                if *resource_server { 401 } else { 400 },
                "invalid_dpop_proof",
            ),
            Self::UseDpopNonce { resource_server } => {
                (if *resource_server { 401 } else { 400 }, "use_dpop_nonce")
            }
            Self::InvalidToken(_) => (401, "invalid_token"),
            Self::InvalidCredentialRequest(_) => (400, "invalid_credential_request"),
            Self::UnknownCredentialConfiguration(_) => (400, "unknown_credential_configuration"),
            Self::UnknownCredentialIdentifier(_) => (400, "unknown_credential_identifier"),
            Self::InvalidProof(_) => (400, "invalid_proof"),
            Self::InvalidNonce => (400, "invalid_nonce"),
            Self::InvalidEncryptionParameters(_) => (400, "invalid_encryption_parameters"),
            Self::CredentialRequestDenied(_) => (400, "credential_request_denied"),
            Self::InvalidTransactionId => (400, "invalid_transaction_id"),
            Self::InvalidNotificationId => (400, "invalid_notification_id"),
            Self::InvalidNotificationRequest(_) => (400, "invalid_notification_request"),
            Self::InvalidMetadata(_)
            | Self::InvalidOffer(_)
            | Self::ServerError { .. }
            | Self::Jose(_) => (400, "invalid_request"),
        }
    }

    /// The JSON error body (`{"error": …, "error_description": …}`). The description is
    /// restricted to the ASCII set the specifications allow.
    pub fn to_error_body(&self) -> serde_json::Value {
        let description: String = self
            .to_string()
            .chars()
            .map(|c| match c {
                '"' | '\\' => '\'',
                c if (' '..='~').contains(&c) => c,
                _ => '?',
            })
            .take(256)
            .collect();
        serde_json::json!({"error": self.wire().1, "error_description": description})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_codes() {
        let s = String::new;
        let cases: Vec<(Oid4vciError, u16, &str)> = vec![
            (Oid4vciError::InvalidRequest(s()), 400, "invalid_request"),
            (Oid4vciError::InvalidClient(s()), 401, "invalid_client"),
            (Oid4vciError::InvalidGrant(s()), 400, "invalid_grant"),
            (Oid4vciError::Expired, 400, "invalid_grant"),
            (
                Oid4vciError::UnsupportedGrantType(s()),
                400,
                "unsupported_grant_type",
            ),
            (
                Oid4vciError::InvalidAuthorizationDetails(s()),
                400,
                "invalid_authorization_details",
            ),
            (
                Oid4vciError::InvalidDpopProof {
                    reason: s(),
                    resource_server: false,
                },
                400,
                "invalid_dpop_proof",
            ),
            (
                Oid4vciError::InvalidDpopProof {
                    reason: s(),
                    resource_server: true,
                },
                401,
                "invalid_dpop_proof",
            ),
            (
                Oid4vciError::UseDpopNonce {
                    resource_server: false,
                },
                400,
                "use_dpop_nonce",
            ),
            (
                Oid4vciError::UseDpopNonce {
                    resource_server: true,
                },
                401,
                "use_dpop_nonce",
            ),
            (Oid4vciError::InvalidToken(s()), 401, "invalid_token"),
            (
                Oid4vciError::InvalidCredentialRequest(s()),
                400,
                "invalid_credential_request",
            ),
            (
                Oid4vciError::UnknownCredentialConfiguration(s()),
                400,
                "unknown_credential_configuration",
            ),
            (
                Oid4vciError::UnknownCredentialIdentifier(s()),
                400,
                "unknown_credential_identifier",
            ),
            (Oid4vciError::InvalidProof(s()), 400, "invalid_proof"),
            (Oid4vciError::InvalidNonce, 400, "invalid_nonce"),
            (
                Oid4vciError::InvalidEncryptionParameters(s()),
                400,
                "invalid_encryption_parameters",
            ),
            (
                Oid4vciError::CredentialRequestDenied(s()),
                400,
                "credential_request_denied",
            ),
            (
                Oid4vciError::InvalidTransactionId,
                400,
                "invalid_transaction_id",
            ),
            (
                Oid4vciError::InvalidNotificationId,
                400,
                "invalid_notification_id",
            ),
            (
                Oid4vciError::InvalidNotificationRequest(s()),
                400,
                "invalid_notification_request",
            ),
        ];
        for (e, status, code) in cases {
            assert_eq!(e.wire(), (status, code), "{e}");
            assert_eq!(e.to_error_body()["error"], code);
        }
    }

    #[test]
    fn error_description_is_restricted_ascii() {
        let e = Oid4vciError::InvalidRequest("bad \"quote\" \\ ünïcode".into());
        let body = e.to_error_body();
        let d = body["error_description"].as_str().unwrap();
        assert!(
            d.chars()
                .all(|c| (' '..='~').contains(&c) && c != '"' && c != '\\'),
            "{d}"
        );
    }
}
