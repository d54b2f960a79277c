//! Authorization Response (OpenID4VP 1.0 section 8): `vp_token` keyed by DCQL credential query
//! id, each an array of presentations; `direct_post` form bodies, the encrypted
//! `direct_post.jwt` form (`response=<JWE>`), error responses and the verifier's answer.

use kakehashi_core::{JsonLimits, json};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::Oid4vpError;
use crate::form;
use crate::request::ResponseMode;

/// Presentations per credential query id are few; this bounds hostile input.
pub const MAX_PRESENTATIONS_PER_QUERY: usize = 16;

/// A successful Authorization Response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthorizationResponse {
    /// Credential query id -> presentations (strings for JWT-based formats, objects for others).
    pub vp_token: Map<String, Value>,
    /// The request's `state`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

/// An error response sent by the wallet to the `response_uri` (section 8.5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorResponse {
    /// The error code (`access_denied`, `invalid_request`, …).
    pub error: String,
    /// Human-readable detail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
    /// The request's `state`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

/// A parsed POST to the `response_uri`.
#[derive(Debug, Clone, PartialEq)]
pub enum PostedResponse {
    /// `direct_post`: the response in clear.
    Plain(AuthorizationResponse),
    /// `direct_post.jwt`: a compact JWE to decrypt with the session's key.
    Encrypted(String),
    /// The wallet reports an error.
    Error(ErrorResponse),
}

impl AuthorizationResponse {
    /// Builds a response; checks the `vp_token` shape.
    pub fn new(vp_token: Map<String, Value>, state: Option<String>) -> Result<Self, Oid4vpError> {
        let r = Self { vp_token, state };
        r.check_shape()?;
        Ok(r)
    }

    /// The presentations for a credential query id.
    pub fn presentations(&self, query_id: &str) -> &[Value] {
        self.vp_token
            .get(query_id)
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// Parses the JSON payload of a decrypted `direct_post.jwt` response.
    pub fn from_json_bytes(bytes: &[u8]) -> Result<Self, Oid4vpError> {
        let value = json::parse_limited(bytes, JsonLimits::DEFAULT)?;
        let r: Self = serde_json::from_value(value)
            .map_err(|e| Oid4vpError::InvalidVpToken(e.to_string()))?;
        r.check_shape()?;
        Ok(r)
    }

    /// The `direct_post` form body (wallet side).
    pub fn to_form(&self) -> String {
        let token = Value::Object(self.vp_token.clone()).to_string();
        let mut pairs = vec![("vp_token", token.as_str())];
        if let Some(s) = &self.state {
            pairs.push(("state", s.as_str()));
        }
        form::encode(&pairs)
    }

    /// The JSON payload a wallet encrypts for `direct_post.jwt`.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    fn check_shape(&self) -> Result<(), Oid4vpError> {
        if self.vp_token.is_empty() {
            return Err(Oid4vpError::InvalidVpToken("empty vp_token".into()));
        }
        for (id, list) in &self.vp_token {
            let list = list.as_array().ok_or_else(|| {
                Oid4vpError::InvalidVpToken(format!("{id:?}: presentations must be an array"))
            })?;
            if list.is_empty() || list.len() > MAX_PRESENTATIONS_PER_QUERY {
                return Err(Oid4vpError::InvalidVpToken(format!(
                    "{id:?}: 1 to {MAX_PRESENTATIONS_PER_QUERY} presentations"
                )));
            }
            if !list.iter().all(|p| p.is_string() || p.is_object()) {
                return Err(Oid4vpError::InvalidVpToken(format!(
                    "{id:?}: a presentation is a string or an object"
                )));
            }
        }
        Ok(())
    }
}

/// The form body carrying an encrypted response (wallet side).
pub fn encrypted_form(jwe: &str) -> String {
    form::encode(&[("response", jwe)])
}

impl ErrorResponse {
    /// The form body (wallet side).
    pub fn to_form(&self) -> String {
        let mut pairs = vec![("error", self.error.as_str())];
        if let Some(d) = &self.error_description {
            pairs.push(("error_description", d.as_str()));
        }
        if let Some(s) = &self.state {
            pairs.push(("state", s.as_str()));
        }
        form::encode(&pairs)
    }
}

impl PostedResponse {
    /// Parses the body of a POST to the `response_uri`. With `direct_post.jwt` only an
    /// encrypted response (or an error) is accepted: a clear `vp_token` would let a network
    /// observer read the claims the verifier asked to be encrypted.
    pub fn from_form(body: &str, mode: ResponseMode) -> Result<Self, Oid4vpError> {
        if body.len() > crate::MAX_BODY_LEN {
            return Err(Oid4vpError::param("body", "too large"));
        }
        let pairs = form::decode(body)?;
        if let Some(error) = form::get(&pairs, "error") {
            return Ok(Self::Error(ErrorResponse {
                error: error.chars().take(128).collect(),
                error_description: form::get(&pairs, "error_description")
                    .map(|d| d.chars().take(512).collect()),
                state: form::get(&pairs, "state").map(str::to_owned),
            }));
        }
        match (
            mode,
            form::get(&pairs, "response"),
            form::get(&pairs, "vp_token"),
        ) {
            (ResponseMode::DirectPostJwt, Some(jwe), None) => Ok(Self::Encrypted(jwe.to_owned())),
            (ResponseMode::DirectPostJwt, _, _) => Err(Oid4vpError::ResponseModeMismatch(
                "an encrypted \"response\" parameter",
            )),
            (ResponseMode::DirectPost, None, Some(token)) => {
                let token = json::parse_object(token.as_bytes(), JsonLimits::DEFAULT)?;
                let state = form::get(&pairs, "state").map(str::to_owned);
                Ok(Self::Plain(AuthorizationResponse::new(token, state)?))
            }
            (ResponseMode::DirectPost, Some(_), _) => Err(Oid4vpError::ResponseModeMismatch(
                "a clear vp_token (direct_post)",
            )),
            (ResponseMode::DirectPost, None, None) => {
                Err(Oid4vpError::MissingParameter("vp_token"))
            }
        }
    }
}

/// What the verifier answers to the wallet's POST (section 8.2): a `redirect_uri` for the
/// same-device flow, or `{}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseUriAnswer {
    /// Where the wallet sends the user's browser next (same-device flow).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_uri: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn token() -> Map<String, Value> {
        json!({"diploma": ["eyJ...~"]}).as_object().unwrap().clone()
    }

    #[test]
    fn plain_round_trip() {
        let r = AuthorizationResponse::new(token(), Some("st".into())).unwrap();
        let parsed = PostedResponse::from_form(&r.to_form(), ResponseMode::DirectPost).unwrap();
        assert_eq!(parsed, PostedResponse::Plain(r.clone()));
        assert_eq!(r.presentations("diploma").len(), 1);
        assert!(r.presentations("other").is_empty());
        assert_eq!(
            AuthorizationResponse::from_json_bytes(&r.to_json_bytes()).unwrap(),
            r
        );
    }

    #[test]
    fn mode_is_enforced() {
        let r = AuthorizationResponse::new(token(), None).unwrap();
        assert!(matches!(
            PostedResponse::from_form(&r.to_form(), ResponseMode::DirectPostJwt),
            Err(Oid4vpError::ResponseModeMismatch(_))
        ));
        assert!(matches!(
            PostedResponse::from_form(&encrypted_form("a..b.c.d"), ResponseMode::DirectPost),
            Err(Oid4vpError::ResponseModeMismatch(_))
        ));
        assert_eq!(
            PostedResponse::from_form(&encrypted_form("a..b.c.d"), ResponseMode::DirectPostJwt)
                .unwrap(),
            PostedResponse::Encrypted("a..b.c.d".into())
        );
    }

    #[test]
    fn shapes_and_errors() {
        for bad in [
            json!({}),
            json!({"a": []}),
            json!({"a": "x"}),
            json!({"a": [1]}),
        ] {
            assert!(
                AuthorizationResponse::new(bad.as_object().unwrap().clone(), None).is_err(),
                "{bad}"
            );
        }
        let e = ErrorResponse {
            error: "access_denied".into(),
            error_description: Some("user declined".into()),
            state: Some("s".into()),
        };
        assert_eq!(
            PostedResponse::from_form(&e.to_form(), ResponseMode::DirectPostJwt).unwrap(),
            PostedResponse::Error(e)
        );
        assert!(matches!(
            PostedResponse::from_form("state=x", ResponseMode::DirectPost),
            Err(Oid4vpError::MissingParameter("vp_token"))
        ));
    }
}
