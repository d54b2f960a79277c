//! Credential Endpoint messages (OpenID4VCI 1.0 sections 7–11): nonce, credential request and
//! response, deferred request and response, notification request.

use kakehashi_core::{JsonLimits, json};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::Oid4vciError;

/// Key proofs per request; batch sizes in practice are single digits.
pub const MAX_PROOFS: usize = 32;

/// Nonce Endpoint response (section 7.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NonceResponse {
    /// A fresh challenge for key proofs.
    pub c_nonce: String,
}

/// `proofs` (section 8.2): exactly one proof type with a non-empty array.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Proofs {
    /// JWT key proofs (Appendix F.1).
    #[serde(rename = "jwt")]
    Jwt(Vec<String>),
    /// Key attestations without proof of possession (Appendix F.3).
    #[serde(rename = "attestation")]
    Attestation(Vec<String>),
}

impl Proofs {
    /// Number of proofs.
    pub fn len(&self) -> usize {
        match self {
            Self::Jwt(v) | Self::Attestation(v) => v.len(),
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// `credential_response_encryption` of a request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseEncryption {
    /// The wallet's public key (JWK).
    pub jwk: Value,
    /// JWE `enc`.
    pub enc: String,
    /// JWE `zip`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zip: Option<String>,
}

/// Which credential the request is for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CredentialTarget {
    /// `credential_identifier` (when the token response carried `credential_identifiers`).
    Identifier(String),
    /// `credential_configuration_id`.
    Configuration(String),
}

/// A Credential Request (section 8.2).
#[derive(Debug, Clone, PartialEq)]
pub struct CredentialRequest {
    /// The requested credential.
    pub target: CredentialTarget,
    /// Key proofs.
    pub proofs: Option<Proofs>,
    /// Response encryption.
    pub credential_response_encryption: Option<ResponseEncryption>,
    /// Other parameters.
    pub other: Map<String, Value>,
}

impl CredentialRequest {
    /// Parses untrusted bytes. The draft singular `proof` is refused: OpenID4VCI 1.0 section 8.2
    /// defines only `proofs`.
    pub fn parse(bytes: &[u8]) -> Result<Self, Oid4vciError> {
        let bad = |r: &str| Oid4vciError::InvalidCredentialRequest(r.to_owned());
        // A body that is not a JSON object within the limits is a malformed Credential
        // Request too: section 8.3.1.2 has no `invalid_request` for this endpoint.
        let mut obj = json::parse_object(bytes, JsonLimits::DEFAULT)
            .map_err(|e| Oid4vciError::InvalidCredentialRequest(e.to_string()))?;
        if obj.contains_key("proof") {
            return Err(bad("\"proof\" is not OpenID4VCI 1.0; use \"proofs\""));
        }
        for legacy in ["format", "credential_definition", "vct", "doctype"] {
            if obj.contains_key(legacy) {
                return Err(bad("format-based requests are not OpenID4VCI 1.0"));
            }
        }
        let text =
            |obj: &mut Map<String, Value>, name: &str| -> Result<Option<String>, Oid4vciError> {
                match obj.remove(name) {
                    None => Ok(None),
                    Some(Value::String(s)) if !s.is_empty() => Ok(Some(s)),
                    Some(_) => Err(bad(&format!("{name} must be a non-empty string"))),
                }
            };
        let target = match (
            text(&mut obj, "credential_identifier")?,
            text(&mut obj, "credential_configuration_id")?,
        ) {
            (Some(i), None) => CredentialTarget::Identifier(i),
            (None, Some(c)) => CredentialTarget::Configuration(c),
            (Some(_), Some(_)) => {
                return Err(bad(
                    "credential_identifier and credential_configuration_id are exclusive",
                ));
            }
            (None, None) => {
                return Err(bad(
                    "credential_identifier or credential_configuration_id required",
                ));
            }
        };
        let proofs = match obj.remove("proofs") {
            None => None,
            Some(Value::Object(p)) => {
                if p.len() != 1 {
                    return Err(Oid4vciError::InvalidProof(
                        "proofs must contain exactly one proof type".into(),
                    ));
                }
                let proofs: Proofs = serde_json::from_value(Value::Object(p))
                    .map_err(|e| Oid4vciError::InvalidProof(e.to_string()))?;
                if proofs.is_empty() || proofs.len() > MAX_PROOFS {
                    return Err(Oid4vciError::InvalidProof(
                        "proofs must be a non-empty array".into(),
                    ));
                }
                Some(proofs)
            }
            Some(_) => {
                return Err(Oid4vciError::InvalidProof(
                    "proofs must be an object".into(),
                ));
            }
        };
        let credential_response_encryption = obj
            .remove("credential_response_encryption")
            .map(|v| {
                serde_json::from_value::<ResponseEncryption>(v)
                    .map_err(|e| Oid4vciError::InvalidEncryptionParameters(e.to_string()))
            })
            .transpose()?;
        Ok(Self {
            target,
            proofs,
            credential_response_encryption,
            other: obj,
        })
    }

    /// The JSON body (wallet side).
    pub fn to_json(&self) -> Value {
        let mut obj = self.other.clone();
        match &self.target {
            CredentialTarget::Identifier(i) => {
                obj.insert("credential_identifier".into(), i.clone().into())
            }
            CredentialTarget::Configuration(c) => {
                obj.insert("credential_configuration_id".into(), c.clone().into())
            }
        };
        if let Some(p) = &self.proofs {
            obj.insert("proofs".into(), serde_json::to_value(p).unwrap_or_default());
        }
        if let Some(e) = &self.credential_response_encryption {
            obj.insert(
                "credential_response_encryption".into(),
                serde_json::to_value(e).unwrap_or_default(),
            );
        }
        Value::Object(obj)
    }
}

/// One issued credential.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IssuedCredential {
    /// The credential (a string for JWT-based formats).
    pub credential: Value,
}

/// A Credential Response or Deferred Credential Response (sections 8.3, 9.2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CredentialResponse {
    /// Issued credentials (immediate issuance).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<Vec<IssuedCredential>>,
    /// Deferred issuance transaction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    /// Seconds to wait before polling the deferred endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<u64>,
    /// Identifier for the Notification Endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification_id: Option<String>,
}

impl CredentialResponse {
    /// Immediate issuance.
    pub fn issued(credentials: Vec<Value>, notification_id: Option<String>) -> Self {
        Self {
            credentials: Some(
                credentials
                    .into_iter()
                    .map(|credential| IssuedCredential { credential })
                    .collect(),
            ),
            transaction_id: None,
            interval: None,
            notification_id,
        }
    }

    /// Deferred issuance (HTTP 202 at the deferred endpoint, 202 at the credential endpoint).
    pub fn deferred(transaction_id: String, interval: u64) -> Self {
        Self {
            credentials: None,
            transaction_id: Some(transaction_id),
            interval: Some(interval),
            notification_id: None,
        }
    }

    /// The HTTP status for this response: 200 when credentials are present, 202 when deferred.
    pub fn status(&self) -> u16 {
        if self.transaction_id.is_some() {
            202
        } else {
            200
        }
    }

    /// Parses a body (wallet side), refusing error bodies and inconsistent members.
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
        r.validate()?;
        Ok(r)
    }

    /// Section 8.3 rules: credentials xor transaction_id; interval with transaction_id only;
    /// notification_id with credentials only.
    pub fn validate(&self) -> Result<(), Oid4vciError> {
        let bad = |r: &str| Err(Oid4vciError::InvalidRequest(r.to_owned()));
        match (&self.credentials, &self.transaction_id) {
            (Some(c), None) => {
                if c.is_empty() {
                    return bad("credentials must be non-empty");
                }
                if self.interval.is_some() {
                    return bad("interval only with transaction_id");
                }
            }
            (None, Some(_)) => {
                if self.interval.is_none_or(|i| i == 0) {
                    return bad("interval must be positive with transaction_id");
                }
                if self.notification_id.is_some() {
                    return bad("notification_id only with credentials");
                }
            }
            _ => return bad("exactly one of credentials and transaction_id"),
        }
        Ok(())
    }
}

/// Deferred Credential Request (section 9.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeferredCredentialRequest {
    /// The transaction.
    pub transaction_id: String,
    /// Response encryption.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_response_encryption: Option<ResponseEncryption>,
}

impl DeferredCredentialRequest {
    /// Parses untrusted bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, Oid4vciError> {
        let v = json::parse_limited(bytes, JsonLimits::DEFAULT)?;
        let r: Self = serde_json::from_value(v)
            .map_err(|e| Oid4vciError::InvalidCredentialRequest(e.to_string()))?;
        if r.transaction_id.is_empty() {
            return Err(Oid4vciError::InvalidTransactionId);
        }
        Ok(r)
    }
}

/// Notification events (section 11.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationEvent {
    /// Stored by the wallet.
    CredentialAccepted,
    /// Not stored because of an error.
    CredentialFailure,
    /// Deleted (or refused) by the user.
    CredentialDeleted,
}

/// Notification Request (section 11.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationRequest {
    /// From the credential response.
    pub notification_id: String,
    /// What happened.
    pub event: NotificationEvent,
    /// ASCII detail for the issuer's developers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_description: Option<String>,
}

impl NotificationRequest {
    /// Parses untrusted bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, Oid4vciError> {
        let v = json::parse_limited(bytes, JsonLimits::DEFAULT)?;
        let r: Self = serde_json::from_value(v)
            .map_err(|e| Oid4vciError::InvalidNotificationRequest(e.to_string()))?;
        if r.notification_id.is_empty() {
            return Err(Oid4vciError::InvalidNotificationId);
        }
        if r.event_description.as_ref().is_some_and(|d| {
            !d.bytes()
                .all(|b| (0x20..=0x7e).contains(&b) && b != b'"' && b != b'\\')
        }) {
            return Err(Oid4vciError::InvalidNotificationRequest(
                "event_description must be restricted ASCII".into(),
            ));
        }
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<CredentialRequest, Oid4vciError> {
        CredentialRequest::parse(v.to_string().as_bytes())
    }

    #[test]
    fn credential_requests() {
        let r =
            parse(json!({"credential_configuration_id": "diploma", "proofs": {"jwt": ["a", "b"]}}))
                .unwrap();
        assert_eq!(r.target, CredentialTarget::Configuration("diploma".into()));
        assert_eq!(r.proofs, Some(Proofs::Jwt(vec!["a".into(), "b".into()])));
        assert_eq!(
            CredentialRequest::parse(r.to_json().to_string().as_bytes()).unwrap(),
            r
        );
        let r = parse(json!({"credential_identifier": "d-2026"})).unwrap();
        assert_eq!(r.target, CredentialTarget::Identifier("d-2026".into()));

        let cases = [
            (
                json!({"credential_configuration_id": "d", "proof": {"proof_type": "jwt", "jwt": "x"}}),
                "invalid_credential_request",
            ),
            (
                json!({"format": "dc+sd-jwt", "vct": "x"}),
                "invalid_credential_request",
            ),
            (
                json!({"credential_configuration_id": "d", "credential_identifier": "i"}),
                "invalid_credential_request",
            ),
            (json!({}), "invalid_credential_request"),
            (
                json!({"credential_configuration_id": 5}),
                "invalid_credential_request",
            ),
            (
                json!({"credential_configuration_id": "d", "proofs": {"jwt": []}}),
                "invalid_proof",
            ),
            (
                json!({"credential_configuration_id": "d", "proofs": {"jwt": ["a"], "attestation": ["b"]}}),
                "invalid_proof",
            ),
            (
                json!({"credential_configuration_id": "d", "proofs": {"unknown": ["a"]}}),
                "invalid_proof",
            ),
            (
                json!({"credential_configuration_id": "d", "proofs": ["a"]}),
                "invalid_proof",
            ),
            (
                json!({"credential_configuration_id": "d", "credential_response_encryption": {"enc": "A128GCM"}}),
                "invalid_encryption_parameters",
            ),
        ];
        for (v, code) in cases {
            assert_eq!(parse(v.clone()).unwrap_err().wire().1, code, "{v}");
        }
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        for body in [&b"[]"[..], b"{", deep.as_bytes()] {
            assert_eq!(
                CredentialRequest::parse(body).unwrap_err().wire(),
                (400, "invalid_credential_request")
            );
        }
    }

    #[test]
    fn responses() {
        let r = CredentialResponse::issued(vec![json!("eyJ...")], Some("n-1".into()));
        assert_eq!(r.status(), 200);
        assert_eq!(
            CredentialResponse::parse(serde_json::to_string(&r).unwrap().as_bytes()).unwrap(),
            r
        );
        let d = CredentialResponse::deferred("8xLOxBtZp8".into(), 86400);
        assert_eq!(d.status(), 202);
        d.validate().unwrap();
        for bad in [
            json!({}),
            json!({"credentials": []}),
            json!({"credentials": [{"credential": "x"}], "transaction_id": "t", "interval": 1}),
            json!({"transaction_id": "t"}),
            json!({"transaction_id": "t", "interval": 0}),
            json!({"transaction_id": "t", "interval": 5, "notification_id": "n"}),
            json!({"credentials": [{"credential": "x"}], "interval": 5}),
        ] {
            assert!(
                CredentialResponse::parse(bad.to_string().as_bytes()).is_err(),
                "{bad}"
            );
        }
        assert!(matches!(
            CredentialResponse::parse(br#"{"error":"invalid_nonce"}"#),
            Err(Oid4vciError::ServerError { .. })
        ));
    }

    #[test]
    fn notifications() {
        let n = NotificationRequest::parse(
            br#"{"notification_id":"3fwe98js","event":"credential_accepted"}"#,
        )
        .unwrap();
        assert_eq!(n.event, NotificationEvent::CredentialAccepted);
        assert_eq!(
            NotificationRequest::parse(br#"{"notification_id":"x","event":"credential_lost"}"#)
                .unwrap_err()
                .wire()
                .1,
            "invalid_notification_request"
        );
        assert!(NotificationRequest::parse("{\"notification_id\":\"x\",\"event\":\"credential_failure\",\"event_description\":\"日本\"}".as_bytes()).is_err());
        assert_eq!(
            NotificationRequest::parse(br#"{"notification_id":"","event":"credential_deleted"}"#)
                .unwrap_err(),
            Oid4vciError::InvalidNotificationId
        );
    }
}
