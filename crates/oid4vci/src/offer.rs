//! Credential Offer (OpenID4VCI 1.0 section 4.1): the object, its grants, and the
//! `openid-credential-offer://?credential_offer=…` / `?credential_offer_uri=…` forms.

use std::collections::BTreeSet;

use kakehashi_core::{JsonLimits, json};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::Oid4vciError;
use crate::form;
use crate::metadata::CredentialIssuerMetadata;

/// The grant type identifier of the Pre-Authorized Code Flow.
pub const PRE_AUTHORIZED_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:pre-authorized_code";
/// The custom scheme of the Credential Offer Endpoint.
pub const OFFER_SCHEME: &str = "openid-credential-offer://";
/// `tx_code.description` limit (section 4.1.1).
pub const MAX_TX_CODE_DESCRIPTION: usize = 300;
/// An offer URI carrying an offer by value stays well below this.
pub const MAX_OFFER_URI_LEN: usize = 16 * 1024;

/// A Credential Offer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CredentialOffer {
    /// The Credential Issuer Identifier.
    pub credential_issuer: String,
    /// Offered configurations (keys of `credential_configurations_supported`).
    pub credential_configuration_ids: Vec<String>,
    /// Grants the AS is prepared to process.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grants: Option<Grants>,
    /// Unrecognized parameters (ignored, kept).
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// `grants`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Grants {
    /// Authorization Code Flow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_code: Option<AuthorizationCodeGrant>,
    /// Pre-Authorized Code Flow.
    #[serde(
        rename = "urn:ietf:params:oauth:grant-type:pre-authorized_code",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub pre_authorized_code: Option<PreAuthorizedCodeGrant>,
    /// Other grant types.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// The `authorization_code` grant.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationCodeGrant {
    /// Opaque context the wallet returns in the authorization request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer_state: Option<String>,
    /// Which of the metadata's `authorization_servers` to use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_server: Option<String>,
}

/// The pre-authorized code grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreAuthorizedCodeGrant {
    /// The short-lived, single-use code.
    #[serde(rename = "pre-authorized_code")]
    pub pre_authorized_code: String,
    /// Present (even empty) when a Transaction Code is required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tx_code: Option<TxCode>,
    /// Which of the metadata's `authorization_servers` to use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_server: Option<String>,
}

/// `tx_code`: how the wallet asks the user for the Transaction Code.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxCode {
    /// `numeric` (default) or `text`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_mode: Option<InputMode>,
    /// Expected length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<u32>,
    /// Where the code comes from (at most 300 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `tx_code.input_mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InputMode {
    /// Digits only.
    Numeric,
    /// Any characters.
    Text,
}

impl TxCode {
    /// Whether `value` fits the declared input mode and length (wallet-side input check).
    pub fn accepts(&self, value: &str) -> bool {
        let mode_ok = match self.input_mode.unwrap_or(InputMode::Numeric) {
            InputMode::Numeric => !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()),
            InputMode::Text => !value.is_empty(),
        };
        let len_ok = self
            .length
            .is_none_or(|l| usize::try_from(l).is_ok_and(|l| l == value.chars().count()));
        mode_ok && len_ok
    }
}

impl CredentialOffer {
    /// Parses untrusted bytes (the offer object or the body fetched from `credential_offer_uri`).
    pub fn parse(bytes: &[u8]) -> Result<Self, Oid4vciError> {
        let value = json::parse_limited(bytes, JsonLimits::DEFAULT)?;
        let offer: Self =
            serde_json::from_value(value).map_err(|e| Oid4vciError::InvalidOffer(e.to_string()))?;
        offer.validate()?;
        Ok(offer)
    }

    /// Section 4.1.1 rules.
    pub fn validate(&self) -> Result<(), Oid4vciError> {
        let bad = |r: &str| Err(Oid4vciError::InvalidOffer(r.to_owned()));
        if form::https_host(&self.credential_issuer).is_none() {
            return bad("credential_issuer must be an https URL");
        }
        if self.credential_configuration_ids.is_empty() {
            return bad("credential_configuration_ids must be non-empty");
        }
        let unique: BTreeSet<&String> = self.credential_configuration_ids.iter().collect();
        if unique.len() != self.credential_configuration_ids.len() {
            return bad("credential_configuration_ids must be unique");
        }
        if let Some(pre) = self
            .grants
            .as_ref()
            .and_then(|g| g.pre_authorized_code.as_ref())
        {
            if pre.pre_authorized_code.is_empty() {
                return bad("pre-authorized_code must be non-empty");
            }
            if let Some(tx) = &pre.tx_code {
                if tx
                    .description
                    .as_ref()
                    .is_some_and(|d| d.chars().count() > MAX_TX_CODE_DESCRIPTION)
                {
                    return bad("tx_code.description exceeds 300 characters");
                }
                if tx.length == Some(0) {
                    return bad("tx_code.length must be positive");
                }
            }
        }
        Ok(())
    }

    /// Checks the offer against the issuer's metadata: same issuer, known configurations,
    /// `authorization_server` among the metadata's.
    pub fn check_against(&self, metadata: &CredentialIssuerMetadata) -> Result<(), Oid4vciError> {
        if metadata.credential_issuer != self.credential_issuer {
            return Err(Oid4vciError::InvalidOffer(
                "metadata is for another credential issuer".into(),
            ));
        }
        for id in &self.credential_configuration_ids {
            if metadata.configuration(id).is_none() {
                return Err(Oid4vciError::UnknownCredentialConfiguration(id.clone()));
            }
        }
        let grants = self.grants.as_ref();
        let named = [
            grants.and_then(|g| g.authorization_code.as_ref()?.authorization_server.as_ref()),
            grants.and_then(|g| {
                g.pre_authorized_code
                    .as_ref()?
                    .authorization_server
                    .as_ref()
            }),
        ];
        for server in named.into_iter().flatten() {
            let listed = metadata
                .authorization_servers
                .as_deref()
                .unwrap_or_default();
            if listed.len() < 2 || !listed.contains(server) {
                return Err(Oid4vciError::InvalidOffer(
                    "authorization_server is not one of several in the metadata".into(),
                ));
            }
        }
        Ok(())
    }

    /// The pre-authorized code grant, if offered.
    pub fn pre_authorized(&self) -> Option<&PreAuthorizedCodeGrant> {
        self.grants.as_ref()?.pre_authorized_code.as_ref()
    }

    /// The authorization code grant, if offered.
    pub fn authorization_code(&self) -> Option<&AuthorizationCodeGrant> {
        self.grants.as_ref()?.authorization_code.as_ref()
    }
}

/// A Credential Offer as carried in a URI or QR code.
#[derive(Debug, Clone, PartialEq)]
pub enum CredentialOfferRequest {
    /// `credential_offer=<JSON>`.
    ByValue(Box<CredentialOffer>),
    /// `credential_offer_uri=<https URL>` to fetch the offer from.
    ByReference(String),
}

impl CredentialOfferRequest {
    /// Parses `openid-credential-offer://?…` or any `<endpoint>?…` offer URI.
    pub fn parse_uri(uri: &str) -> Result<Self, Oid4vciError> {
        if uri.len() > MAX_OFFER_URI_LEN {
            return Err(Oid4vciError::InvalidOffer("offer URI too long".into()));
        }
        let (_, query) = form::split_query(uri);
        let pairs = form::decode(query)?;
        match (
            form::get(&pairs, "credential_offer"),
            form::get(&pairs, "credential_offer_uri"),
        ) {
            (Some(offer), None) => Ok(Self::ByValue(Box::new(CredentialOffer::parse(
                offer.as_bytes(),
            )?))),
            (None, Some(uri)) => {
                if form::https_host(uri).is_none() {
                    return Err(Oid4vciError::InvalidOffer(
                        "credential_offer_uri must be an https URL".into(),
                    ));
                }
                Ok(Self::ByReference(uri.to_owned()))
            }
            (Some(_), Some(_)) => Err(Oid4vciError::InvalidOffer(
                "credential_offer and credential_offer_uri are exclusive".into(),
            )),
            (None, None) => Err(Oid4vciError::InvalidOffer(
                "neither credential_offer nor credential_offer_uri".into(),
            )),
        }
    }

    /// Builds the URI on `base` ([`OFFER_SCHEME`] or a wallet's offer endpoint).
    pub fn to_uri(&self, base: &str) -> String {
        let (name, value) = match self {
            Self::ByValue(offer) => (
                "credential_offer",
                serde_json::to_string(offer).unwrap_or_default(),
            ),
            Self::ByReference(uri) => ("credential_offer_uri", uri.clone()),
        };
        format!("{base}?{}", form::encode(&[(name, value.as_str())]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn offer() -> CredentialOffer {
        CredentialOffer::parse(
            json!({
                "credential_issuer": "https://issuer.kakehashi.example",
                "credential_configuration_ids": ["diploma_sd_jwt"],
                "grants": {
                    "urn:ietf:params:oauth:grant-type:pre-authorized_code": {
                        "pre-authorized_code": "oaKazRN8I0IbtZ0C7JuMn5",
                        "tx_code": {"input_mode": "numeric", "length": 6,
                                    "description": "学生ポータルに表示されたコード / code shown in the student portal"}
                    },
                    "authorization_code": {"issuer_state": "eyJhbGciOiJSU0Et...FYUaBy"}
                }
            })
            .to_string()
            .as_bytes(),
        )
        .unwrap()
    }

    #[test]
    fn uri_round_trips() {
        let o = offer();
        let by_value = CredentialOfferRequest::ByValue(Box::new(o.clone()));
        let uri = by_value.to_uri(OFFER_SCHEME);
        assert!(uri.starts_with("openid-credential-offer://?credential_offer=%7B"));
        assert_eq!(CredentialOfferRequest::parse_uri(&uri).unwrap(), by_value);
        let by_ref = CredentialOfferRequest::ByReference(
            "https://issuer.kakehashi.example/offer/123".into(),
        );
        let uri = by_ref.to_uri(OFFER_SCHEME);
        assert_eq!(
            uri,
            "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fissuer.kakehashi.example%2Foffer%2F123"
        );
        assert_eq!(CredentialOfferRequest::parse_uri(&uri).unwrap(), by_ref);
        let pre = o.pre_authorized().unwrap();
        assert_eq!(pre.tx_code.as_ref().unwrap().length, Some(6));
        assert_eq!(
            o.authorization_code().unwrap().issuer_state.as_deref(),
            Some("eyJhbGciOiJSU0Et...FYUaBy")
        );
    }

    #[test]
    fn refusals() {
        for uri in [
            "openid-credential-offer://?",
            "openid-credential-offer://?credential_offer_uri=http%3A%2F%2Fx",
            "openid-credential-offer://?credential_offer=%7B%7D",
            "openid-credential-offer://?credential_offer=x&credential_offer_uri=https%3A%2F%2Fa",
        ] {
            assert!(CredentialOfferRequest::parse_uri(uri).is_err(), "{uri}");
        }
        let base = serde_json::to_value(offer()).unwrap();
        let mutations: [fn(&mut Value); 5] = [
            |v| v["credential_configuration_ids"] = json!([]),
            |v| v["credential_configuration_ids"] = json!(["a", "a"]),
            |v| v["credential_issuer"] = json!("http://issuer.example"),
            |v| {
                v["grants"][PRE_AUTHORIZED_CODE_GRANT]["tx_code"]["description"] =
                    json!("x".repeat(301))
            },
            |v| v["grants"][PRE_AUTHORIZED_CODE_GRANT]["tx_code"]["input_mode"] = json!("emoji"),
        ];
        for mutate in mutations {
            let mut v = base.clone();
            mutate(&mut v);
            assert!(
                CredentialOffer::parse(v.to_string().as_bytes()).is_err(),
                "{v}"
            );
        }
    }

    #[test]
    fn tx_code_input() {
        let tx = TxCode {
            input_mode: None,
            length: Some(6),
            description: None,
        };
        assert!(tx.accepts("493536"));
        assert!(!tx.accepts("49353"));
        assert!(!tx.accepts("49353a"));
        let text = TxCode {
            input_mode: Some(InputMode::Text),
            ..TxCode::default()
        };
        assert!(text.accepts("abc-12"));
        assert!(!text.accepts(""));
    }
}
