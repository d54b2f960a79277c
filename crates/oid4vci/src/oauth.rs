//! The OAuth side of issuance: `authorization_details` of type `openid_credential` (RFC 9396,
//! OpenID4VCI 1.0 section 5.1.1), PKCE S256 (RFC 7636), Pushed Authorization Requests
//! (RFC 9126) and the Token Request / Response (section 6).

use kakehashi_core::{JsonLimits, b64, json};
use kakehashi_crypto::{CryptoProvider, HashAlgorithm};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::Oid4vciError;
use crate::form;
use crate::metadata::CredentialIssuerMetadata;
use crate::offer::PRE_AUTHORIZED_CODE_GRANT;

/// `type` of OpenID4VCI authorization details.
pub const OPENID_CREDENTIAL: &str = "openid_credential";
/// Authorization details per request: a diploma flow asks for a handful at most.
pub const MAX_AUTHORIZATION_DETAILS: usize = 16;

/// One `authorization_details` entry of type `openid_credential`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthorizationDetail {
    /// Always `openid_credential`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The requested configuration.
    pub credential_configuration_id: String,
    /// Requested claims (claims description objects).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<Vec<Value>>,
    /// The credential issuer(s), required when the issuer uses a separate AS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locations: Option<Vec<String>>,
    /// Token response only: the datasets the token authorizes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_identifiers: Option<Vec<String>>,
    /// Other members.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl AuthorizationDetail {
    /// A request for one configuration.
    pub fn for_configuration(id: impl Into<String>) -> Self {
        Self {
            kind: OPENID_CREDENTIAL.into(),
            credential_configuration_id: id.into(),
            claims: None,
            locations: None,
            credential_identifiers: None,
            other: Map::new(),
        }
    }
}

/// Parses an `authorization_details` parameter value (a JSON array) and checks each entry
/// against the issuer metadata: known configuration, `locations` naming the issuer when the
/// issuer has a separate AS, no `credential_identifiers` in a request.
pub fn parse_authorization_details(
    text: &str,
    metadata: &CredentialIssuerMetadata,
) -> Result<Vec<AuthorizationDetail>, Oid4vciError> {
    let bad = |r: String| Oid4vciError::InvalidAuthorizationDetails(r);
    let value = json::parse_limited(text.as_bytes(), JsonLimits::DEFAULT)?;
    let details: Vec<AuthorizationDetail> =
        serde_json::from_value(value).map_err(|e| bad(e.to_string()))?;
    if details.is_empty() || details.len() > MAX_AUTHORIZATION_DETAILS {
        return Err(bad("1 to 16 entries".into()));
    }
    for d in &details {
        if d.kind != OPENID_CREDENTIAL {
            return Err(bad(format!("unsupported type {:?}", d.kind)));
        }
        if metadata
            .configuration(&d.credential_configuration_id)
            .is_none()
        {
            return Err(bad(format!(
                "unknown credential_configuration_id {:?}",
                d.credential_configuration_id
            )));
        }
        if d.credential_identifiers.is_some() {
            return Err(bad(
                "credential_identifiers belongs in the token response".into()
            ));
        }
        if metadata.authorization_servers.is_some() {
            let names_issuer = d
                .locations
                .as_ref()
                .is_some_and(|l| l.contains(&metadata.credential_issuer));
            if !names_issuer {
                return Err(bad("locations must contain the credential issuer".into()));
            }
        }
    }
    Ok(details)
}

/// RFC 7636 section 4.1: 43 to 128 unreserved characters.
pub fn is_valid_code_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// The S256 challenge of a verifier: `BASE64URL(SHA256(ASCII(verifier)))`.
pub fn pkce_s256_challenge(provider: &CryptoProvider, verifier: &str) -> String {
    b64::encode(provider.digest(HashAlgorithm::Sha256, verifier.as_bytes()))
}

/// Verifies a PKCE `code_verifier` against the stored S256 `code_challenge`.
pub fn verify_pkce_s256(
    provider: &CryptoProvider,
    verifier: &str,
    challenge: &str,
) -> Result<(), Oid4vciError> {
    if !is_valid_code_verifier(verifier) {
        return Err(Oid4vciError::InvalidGrant("malformed code_verifier".into()));
    }
    if constant_time_eq(
        pkce_s256_challenge(provider, verifier).as_bytes(),
        challenge.as_bytes(),
    ) {
        Ok(())
    } else {
        Err(Oid4vciError::InvalidGrant(
            "code_verifier does not match".into(),
        ))
    }
}

/// Compares secrets without an early exit on the first differing byte.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A validated Pushed Authorization Request (authorization code flow).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushedAuthorizationRequest {
    /// The wallet's client id.
    pub client_id: String,
    /// Where the AS redirects with the code.
    pub redirect_uri: String,
    /// PKCE S256 challenge.
    pub code_challenge: String,
    /// What is requested (from `authorization_details`).
    pub authorization_details: Vec<AuthorizationDetail>,
    /// Scopes, when used instead of or beside authorization details.
    pub scope: Option<String>,
    /// From the credential offer.
    pub issuer_state: Option<String>,
    /// The wallet's CSRF state.
    pub state: Option<String>,
}

impl PushedAuthorizationRequest {
    /// Parses and validates a PAR body: `response_type=code`, `client_id`, `redirect_uri`,
    /// PKCE with `S256` only (HAIP), and `authorization_details` or `scope` naming known
    /// configurations.
    pub fn from_form(
        body: &str,
        metadata: &CredentialIssuerMetadata,
    ) -> Result<Self, Oid4vciError> {
        let pairs = form::decode(body)?;
        let get = |n: &'static str| form::get(&pairs, n);
        let require = |n: &'static str| {
            get(n)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| Oid4vciError::InvalidRequest(format!("missing {n}")))
        };
        if pairs.iter().any(|(k, _)| k == "request_uri") {
            return Err(Oid4vciError::InvalidRequest(
                "request_uri must not be pushed".into(),
            ));
        }
        if require("response_type")? != "code" {
            return Err(Oid4vciError::InvalidRequest(
                "response_type must be code".into(),
            ));
        }
        let client_id = require("client_id")?.to_owned();
        let redirect_uri = require("redirect_uri")?.to_owned();
        let code_challenge = require("code_challenge")?.to_owned();
        if get("code_challenge_method") != Some("S256") {
            return Err(Oid4vciError::InvalidRequest(
                "code_challenge_method must be S256".into(),
            ));
        }
        if b64::decode(&code_challenge).map(|c| c.len()) != Ok(32) {
            return Err(Oid4vciError::InvalidRequest(
                "code_challenge is not a SHA-256 value".into(),
            ));
        }
        let authorization_details = match get("authorization_details") {
            Some(text) => parse_authorization_details(text, metadata)?,
            None => Vec::new(),
        };
        let scope = get("scope").map(str::to_owned);
        if let Some(scope) = &scope {
            for s in scope.split(' ').filter(|s| !s.is_empty()) {
                let known = metadata
                    .credential_configurations_supported
                    .values()
                    .any(|c| c.scope.as_deref() == Some(s));
                if !known {
                    return Err(Oid4vciError::InvalidRequest(format!("unknown scope {s:?}")));
                }
            }
        }
        if authorization_details.is_empty() && scope.is_none() {
            return Err(Oid4vciError::InvalidRequest(
                "authorization_details or scope required".into(),
            ));
        }
        Ok(Self {
            client_id,
            redirect_uri,
            code_challenge,
            authorization_details,
            scope,
            issuer_state: get("issuer_state").map(str::to_owned),
            state: get("state").map(str::to_owned),
        })
    }

    /// The configuration ids this request asks for (details and scopes).
    pub fn configuration_ids(&self, metadata: &CredentialIssuerMetadata) -> Vec<String> {
        let mut ids: Vec<String> = self
            .authorization_details
            .iter()
            .map(|d| d.credential_configuration_id.clone())
            .collect();
        for s in self.scope.iter().flat_map(|s| s.split(' ')) {
            for (id, c) in &metadata.credential_configurations_supported {
                if c.scope.as_deref() == Some(s) && !ids.contains(id) {
                    ids.push(id.clone());
                }
            }
        }
        ids
    }

    /// The form body (wallet side).
    pub fn to_form(&self) -> String {
        let details = (!self.authorization_details.is_empty())
            .then(|| serde_json::to_string(&self.authorization_details).unwrap_or_default());
        let mut pairs = vec![
            ("response_type", "code"),
            ("client_id", self.client_id.as_str()),
            ("redirect_uri", self.redirect_uri.as_str()),
            ("code_challenge", self.code_challenge.as_str()),
            ("code_challenge_method", "S256"),
        ];
        for (name, value) in [
            ("authorization_details", details.as_deref()),
            ("scope", self.scope.as_deref()),
            ("issuer_state", self.issuer_state.as_deref()),
            ("state", self.state.as_deref()),
        ] {
            if let Some(v) = value {
                pairs.push((name, v));
            }
        }
        form::encode(&pairs)
    }
}

/// The PAR response (RFC 9126 section 2.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushedAuthorizationResponse {
    /// `urn:ietf:params:oauth:request_uri:<random>`.
    pub request_uri: String,
    /// Lifetime in seconds.
    pub expires_in: u64,
}

/// A Token Request (section 6.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "grant_type")]
pub enum TokenRequest {
    /// Pre-Authorized Code Flow.
    #[serde(rename = "urn:ietf:params:oauth:grant-type:pre-authorized_code")]
    PreAuthorizedCode {
        /// The code from the offer.
        #[serde(rename = "pre-authorized_code")]
        pre_authorized_code: String,
        /// The Transaction Code the user typed.
        tx_code: Option<String>,
        /// Optional client id (absent with anonymous access).
        client_id: Option<String>,
        /// Raw `authorization_details` JSON, checked against metadata by the issuer.
        authorization_details: Option<String>,
    },
    /// Authorization Code Flow.
    #[serde(rename = "authorization_code")]
    AuthorizationCode {
        /// The code from the authorization response.
        code: String,
        /// PKCE verifier.
        code_verifier: String,
        /// Must equal the PAR's `redirect_uri`.
        redirect_uri: String,
        /// The client id (public client).
        client_id: Option<String>,
        /// Raw `authorization_details` JSON.
        authorization_details: Option<String>,
    },
}

impl TokenRequest {
    /// Parses a form body.
    pub fn from_form(body: &str) -> Result<Self, Oid4vciError> {
        if body.len() > 64 * 1024 {
            return Err(Oid4vciError::InvalidRequest("body too large".into()));
        }
        let pairs = form::decode(body)?;
        let get = |n: &str| form::get(&pairs, n).map(str::to_owned);
        let require = |n: &'static str| {
            get(n)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| Oid4vciError::InvalidRequest(format!("missing {n}")))
        };
        match require("grant_type")?.as_str() {
            PRE_AUTHORIZED_CODE_GRANT => Ok(Self::PreAuthorizedCode {
                pre_authorized_code: require("pre-authorized_code")?,
                tx_code: get("tx_code"),
                client_id: get("client_id"),
                authorization_details: get("authorization_details"),
            }),
            "authorization_code" => {
                if get("tx_code").is_some() {
                    return Err(Oid4vciError::InvalidRequest(
                        "tx_code is only for the pre-authorized code grant".into(),
                    ));
                }
                Ok(Self::AuthorizationCode {
                    code: require("code")?,
                    code_verifier: require("code_verifier")?,
                    redirect_uri: require("redirect_uri")?,
                    client_id: get("client_id"),
                    authorization_details: get("authorization_details"),
                })
            }
            other => Err(Oid4vciError::UnsupportedGrantType(
                other.chars().take(64).collect(),
            )),
        }
    }

    /// The form body (wallet side).
    pub fn to_form(&self) -> String {
        let (mut pairs, optional): (Vec<(&str, &str)>, [OptionalPair<'_>; 3]) = match self {
            Self::PreAuthorizedCode {
                pre_authorized_code,
                tx_code,
                client_id,
                authorization_details,
            } => (
                vec![
                    ("grant_type", PRE_AUTHORIZED_CODE_GRANT),
                    ("pre-authorized_code", pre_authorized_code),
                ],
                [
                    ("tx_code", tx_code.as_ref()),
                    ("client_id", client_id.as_ref()),
                    ("authorization_details", authorization_details.as_ref()),
                ],
            ),
            Self::AuthorizationCode {
                code,
                code_verifier,
                redirect_uri,
                client_id,
                authorization_details,
            } => (
                vec![
                    ("grant_type", "authorization_code"),
                    ("code", code),
                    ("code_verifier", code_verifier),
                    ("redirect_uri", redirect_uri),
                ],
                [
                    ("client_id", client_id.as_ref()),
                    ("authorization_details", authorization_details.as_ref()),
                    ("", None),
                ],
            ),
        };
        pairs.extend(
            optional
                .into_iter()
                .filter_map(|(n, v)| v.map(|v| (n, v.as_str()))),
        );
        form::encode(&pairs)
    }
}

type OptionalPair<'a> = (&'static str, Option<&'a String>);

/// A successful Token Response (section 6.2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenResponse {
    /// The access token.
    pub access_token: String,
    /// `DPoP` when bound to a DPoP key, else `Bearer`.
    pub token_type: String,
    /// Lifetime in seconds.
    pub expires_in: u64,
    /// Authorized details with `credential_identifiers`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_details: Option<Vec<AuthorizationDetail>>,
    /// Refresh token, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// Other members.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl TokenResponse {
    /// Parses a token endpoint body (wallet side): a success or the error body.
    pub fn parse(bytes: &[u8]) -> Result<Self, Oid4vciError> {
        let value = json::parse_limited(bytes, JsonLimits::DEFAULT)?;
        if let Some(error) = value.get("error").and_then(Value::as_str) {
            return Err(Oid4vciError::ServerError {
                error: error.chars().take(64).collect(),
                description: value
                    .get("error_description")
                    .and_then(Value::as_str)
                    .map(|d| d.chars().take(256).collect()),
            });
        }
        let r: Self = serde_json::from_value(value)
            .map_err(|e| Oid4vciError::InvalidRequest(e.to_string()))?;
        if r.access_token.is_empty() {
            return Err(Oid4vciError::InvalidRequest("empty access_token".into()));
        }
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::CredentialIssuerMetadata;
    use kakehashi_crypto_aws_lc::provider;
    use serde_json::json;

    fn metadata(separate_as: bool) -> CredentialIssuerMetadata {
        let mut v = json!({
            "credential_issuer": "https://issuer.example",
            "credential_endpoint": "https://issuer.example/credential",
            "credential_configurations_supported": {
                "diploma": {"format": "dc+sd-jwt", "vct": "urn:diploma", "scope": "diploma"}
            }
        });
        if separate_as {
            v["authorization_servers"] = json!(["https://as.example"]);
        }
        CredentialIssuerMetadata::from_json(v).unwrap()
    }

    #[test]
    fn pkce_rfc7636_appendix_b() {
        let p = provider();
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert_eq!(pkce_s256_challenge(&p, verifier), challenge);
        assert!(verify_pkce_s256(&p, verifier, challenge).is_ok());
        let other = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXK";
        assert!(matches!(
            verify_pkce_s256(&p, other, challenge),
            Err(Oid4vciError::InvalidGrant(_))
        ));
        assert!(verify_pkce_s256(&p, "short", challenge).is_err());
        assert!(!is_valid_code_verifier(&"a".repeat(129)));
        assert!(!is_valid_code_verifier(&format!("{}+", "a".repeat(43))));
    }

    #[test]
    fn par_validation() {
        let m = metadata(false);
        let ok = "response_type=code&client_id=wallet&redirect_uri=https%3A%2F%2Fwallet.example%2Fcb\
                  &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256\
                  &authorization_details=%5B%7B%22type%22%3A%22openid_credential%22%2C%22credential_configuration_id%22%3A%22diploma%22%7D%5D\
                  &issuer_state=st";
        let par = PushedAuthorizationRequest::from_form(ok, &m).unwrap();
        assert_eq!(par.configuration_ids(&m), ["diploma"]);
        assert_eq!(par.issuer_state.as_deref(), Some("st"));
        assert_eq!(
            PushedAuthorizationRequest::from_form(&par.to_form(), &m).unwrap(),
            par
        );
        for (from, to) in [
            ("code_challenge_method=S256", "code_challenge_method=plain"),
            ("response_type=code", "response_type=token"),
            ("client_id=wallet&", ""),
            ("diploma%22", "unknown%22"),
            (
                "code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                "code_challenge=abc",
            ),
        ] {
            let body = ok.replace(from, to);
            assert!(
                PushedAuthorizationRequest::from_form(&body, &m).is_err(),
                "{to}"
            );
        }
        let scope_only = "response_type=code&client_id=w&redirect_uri=https%3A%2F%2Fw.example%2Fcb\
                          &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256&scope=diploma";
        assert_eq!(
            PushedAuthorizationRequest::from_form(scope_only, &m)
                .unwrap()
                .configuration_ids(&m),
            ["diploma"]
        );
        assert!(
            PushedAuthorizationRequest::from_form(
                &scope_only.replace("scope=diploma", "scope=x"),
                &m
            )
            .is_err()
        );
    }

    #[test]
    fn authorization_details_locations() {
        let d = r#"[{"type":"openid_credential","credential_configuration_id":"diploma"}]"#;
        assert!(parse_authorization_details(d, &metadata(false)).is_ok());
        assert!(matches!(
            parse_authorization_details(d, &metadata(true)),
            Err(Oid4vciError::InvalidAuthorizationDetails(_))
        ));
        let with_loc = r#"[{"type":"openid_credential","credential_configuration_id":"diploma","locations":["https://issuer.example"]}]"#;
        assert!(parse_authorization_details(with_loc, &metadata(true)).is_ok());
        assert!(parse_authorization_details("[]", &metadata(false)).is_err());
        assert!(
            parse_authorization_details(
                r#"[{"type":"x","credential_configuration_id":"diploma"}]"#,
                &metadata(false)
            )
            .is_err()
        );
    }

    #[test]
    fn token_requests() {
        let pre = TokenRequest::from_form(
            "grant_type=urn:ietf:params:oauth:grant-type:pre-authorized_code&pre-authorized_code=SplxlOBeZQQYbYS6WxSbIA&tx_code=493536",
        )
        .unwrap();
        assert_eq!(TokenRequest::from_form(&pre.to_form()).unwrap(), pre);
        let code = TokenRequest::from_form(
            "grant_type=authorization_code&code=c&code_verifier=v&redirect_uri=https%3A%2F%2Fw%2Fcb",
        )
        .unwrap();
        assert_eq!(TokenRequest::from_form(&code.to_form()).unwrap(), code);
        assert!(matches!(
            TokenRequest::from_form("grant_type=password&username=x"),
            Err(Oid4vciError::UnsupportedGrantType(_))
        ));
        assert!(TokenRequest::from_form("grant_type=authorization_code&code=c").is_err());
        assert!(
            TokenRequest::from_form(
                "grant_type=authorization_code&code=c&code_verifier=v&redirect_uri=r&tx_code=1"
            )
            .is_err()
        );
        assert!(TokenRequest::from_form("grant_type=authorization_code&grant_type=x").is_err());
    }

    #[test]
    fn token_response_and_error() {
        let r = TokenResponse::parse(
            json!({"access_token": "t", "token_type": "DPoP", "expires_in": 300,
                   "authorization_details": [{"type": "openid_credential", "credential_configuration_id": "diploma",
                                              "credential_identifiers": ["diploma-2026"]}]})
            .to_string()
            .as_bytes(),
        )
        .unwrap();
        assert_eq!(
            r.authorization_details.unwrap()[0]
                .credential_identifiers
                .as_ref()
                .unwrap()[0],
            "diploma-2026"
        );
        assert_eq!(
            TokenResponse::parse(br#"{"error":"invalid_grant"}"#),
            Err(Oid4vciError::ServerError {
                error: "invalid_grant".into(),
                description: None
            })
        );
    }
}
