//! The wallet's side of a presentation: after [`crate::request::verify_request_object`] it
//! matches held credentials, then builds the response for the `response_uri` (clear form for
//! `direct_post`, or the plaintext and recipient key for the edge to encrypt with
//! `kakehashi_crypto_aws_lc::jwe` for `direct_post.jwt`).

use serde_json::{Map, Value};

use crate::Oid4vpError;
use crate::dcql::CredentialFormat;
use crate::matching::{HeldCredential, MatchOutcome, match_query};
use crate::request::{ResponseMode, VerifiedRequest};
use crate::response::{AuthorizationResponse, ErrorResponse};

/// A verified request the user is deciding on.
#[derive(Debug, Clone)]
pub struct PendingPresentation {
    verified: VerifiedRequest,
}

/// What the wallet edge sends to the `response_uri`.
#[derive(Debug, Clone, PartialEq)]
pub enum WalletResponse {
    /// POST this `application/x-www-form-urlencoded` body.
    Form {
        /// Target.
        response_uri: String,
        /// Body.
        body: String,
    },
    /// Encrypt `plaintext` to `recipient_jwk` with ECDH-ES and `enc`, then POST
    /// [`crate::response::encrypted_form`] of the JWE.
    Encrypt {
        /// Target.
        response_uri: String,
        /// The JSON response to encrypt.
        plaintext: Vec<u8>,
        /// The verifier's encryption key from `client_metadata.jwks`.
        recipient_jwk: Value,
        /// `A128GCM` or `A256GCM`.
        enc: &'static str,
    },
}

impl PendingPresentation {
    /// Wraps a verified request.
    pub fn new(verified: VerifiedRequest) -> Self {
        Self { verified }
    }

    /// The verified request.
    pub fn request(&self) -> &VerifiedRequest {
        &self.verified
    }

    /// Refuses a request none of whose credential formats this wallet supports
    /// (`vp_formats_not_supported`).
    pub fn check_formats(&self, supported: &[CredentialFormat]) -> Result<(), Oid4vpError> {
        let query = &self.verified.request().dcql_query;
        if query
            .credentials()
            .iter()
            .any(|c| supported.contains(&c.format))
        {
            Ok(())
        } else {
            Err(Oid4vpError::VpFormatsNotSupported)
        }
    }

    /// Which held credentials satisfy the query and what each must disclose.
    pub fn match_credentials(&self, held: &[HeldCredential]) -> MatchOutcome {
        match_query(&self.verified.request().dcql_query, held)
    }

    /// The `nonce` and `aud` the holder-binding proofs (KB-JWT, VP) must carry.
    pub fn binding(&self) -> (&str, &str) {
        let r = self.verified.request();
        (&r.nonce, &r.client_id)
    }

    /// Builds the response from presentations keyed by credential query id, after checking
    /// them against the query as the verifier will.
    pub fn respond(self, vp_token: Map<String, Value>) -> Result<WalletResponse, Oid4vpError> {
        let request = self.verified.request();
        let response = AuthorizationResponse::new(vp_token, request.state.clone())?;
        for (id, list) in &response.vp_token {
            let query = request
                .dcql_query
                .credential(id)
                .ok_or_else(|| Oid4vpError::InvalidVpToken(format!("{id:?} is not a query id")))?;
            if !query.multiple && list.as_array().is_some_and(|l| l.len() != 1) {
                return Err(Oid4vpError::InvalidVpToken(format!(
                    "{id:?} allows one presentation"
                )));
            }
        }
        self.deliver(response)
    }

    /// The error response when the user declines or nothing matches.
    pub fn decline(self, error: &Oid4vpError) -> WalletResponse {
        let request = self.verified.request();
        WalletResponse::Form {
            response_uri: request.response_uri.clone(),
            body: ErrorResponse {
                error: error.wire().1.to_owned(),
                error_description: None,
                state: request.state.clone(),
            }
            .to_form(),
        }
    }

    fn deliver(&self, response: AuthorizationResponse) -> Result<WalletResponse, Oid4vpError> {
        let request = self.verified.request();
        let response_uri = request.response_uri.clone();
        Ok(match request.response_mode {
            ResponseMode::DirectPost => WalletResponse::Form {
                response_uri,
                body: response.to_form(),
            },
            ResponseMode::DirectPostJwt => {
                let (key, enc) = request.encryption_key()?;
                WalletResponse::Encrypt {
                    response_uri,
                    plaintext: response.to_json_bytes(),
                    recipient_jwk: key.clone(),
                    enc,
                }
            }
        })
    }
}
