//! Credential Issuer Metadata (OpenID4VCI 1.0 section 12.2), signed metadata (12.2.3), and
//! the OAuth Authorization Server Metadata the issuer's AS publishes (RFC 8414 + section
//! 12.3). Unknown members are kept in `other` (the spec says to ignore them, and a wallet
//! re-serialising metadata must not lose them).

use std::collections::BTreeMap;

use kakehashi_core::{JsonLimits, UnixTime, json};
use kakehashi_crypto::{CryptoProvider, PublicJwk, Signer};
use kakehashi_jose::{TimeChecks, UnverifiedJws, check_jwt_times, sign_compact};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::Oid4vciError;
use crate::form::https_host;

/// `typ` of signed issuer metadata.
pub const SIGNED_METADATA_TYP: &str = "openidvci-issuer-metadata+jwt";
/// Well-known path suffix of issuer metadata.
pub const WELL_KNOWN_ISSUER: &str = "/.well-known/openid-credential-issuer";
/// Well-known path suffix of AS metadata (RFC 8414).
pub const WELL_KNOWN_AS: &str = "/.well-known/oauth-authorization-server";

/// Format identifiers (Appendix A).
pub mod format {
    /// IETF SD-JWT VC.
    pub const DC_SD_JWT: &str = "dc+sd-jwt";
    /// W3C VC secured with JWT, no JSON-LD.
    pub const JWT_VC_JSON: &str = "jwt_vc_json";
    /// W3C VC secured with JWT, JSON-LD.
    pub const JWT_VC_JSON_LD: &str = "jwt_vc_json-ld";
    /// W3C VC with Data Integrity.
    pub const LDP_VC: &str = "ldp_vc";
    /// ISO mdoc.
    pub const MSO_MDOC: &str = "mso_mdoc";
}

/// Credential Issuer Metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CredentialIssuerMetadata {
    /// The Credential Issuer Identifier (https URL).
    pub credential_issuer: String,
    /// Authorization servers; absent = the issuer is its own AS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_servers: Option<Vec<String>>,
    /// The Credential Endpoint.
    pub credential_endpoint: String,
    /// The Nonce Endpoint; when present, key proofs must carry a `c_nonce`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce_endpoint: Option<String>,
    /// The Deferred Credential Endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deferred_credential_endpoint: Option<String>,
    /// The Notification Endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification_endpoint: Option<String>,
    /// Request encryption support.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_request_encryption: Option<Value>,
    /// Response encryption support.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_response_encryption: Option<Value>,
    /// Batch issuance support.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_credential_issuance: Option<BatchCredentialIssuance>,
    /// Issuer display per locale (en, ja, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<Vec<Display>>,
    /// The credentials the issuer can issue, by configuration id.
    pub credential_configurations_supported: BTreeMap<String, CredentialConfiguration>,
    /// Other parameters (`signed_metadata` handled separately, extensions).
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// `batch_credential_issuance`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchCredentialIssuance {
    /// Maximum number of key proofs (and credentials) per request; at least 2.
    pub batch_size: u32,
}

/// Display properties for one locale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Display {
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// BCP 47 language tag (`en`, `ja`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Logo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo: Option<Logo>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Background colour (CSS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background_color: Option<String>,
    /// Background image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background_image: Option<Logo>,
    /// Text colour (CSS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_color: Option<String>,
    /// Other members.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// A logo or background image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Logo {
    /// Image URI.
    pub uri: String,
    /// Alternative text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alt_text: Option<String>,
}

/// One entry of `credential_configurations_supported`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CredentialConfiguration {
    /// Format identifier.
    pub format: String,
    /// OAuth scope for this configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// How credentials are bound to holder keys (`jwk`, `did:jwk`, `cose_key`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cryptographic_binding_methods_supported: Option<Vec<String>>,
    /// Credential signing algorithms (strings for JOSE, integers for COSE).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_signing_alg_values_supported: Option<Vec<Value>>,
    /// Key proof types (`jwt`, `attestation`, `di_vp`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof_types_supported: Option<BTreeMap<String, ProofTypeMetadata>>,
    /// Display and claim descriptions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_metadata: Option<CredentialMetadata>,
    /// `dc+sd-jwt`: the credential type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vct: Option<String>,
    /// W3C formats: the credential types (and `@context` for JSON-LD formats).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_definition: Option<CredentialDefinition>,
    /// `mso_mdoc`: the doctype.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doctype: Option<String>,
    /// Other members.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// Per proof type metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProofTypeMetadata {
    /// Algorithms accepted for this proof type.
    pub proof_signing_alg_values_supported: Vec<Value>,
    /// Key attestation requirements.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_attestations_required: Option<Value>,
}

/// `credential_metadata`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CredentialMetadata {
    /// Display per locale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<Vec<Display>>,
    /// Claim descriptions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<Vec<ClaimDescription>>,
}

/// A claim description (Appendix B.2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaimDescription {
    /// Claims path pointer (strings, non-negative integers, nulls).
    pub path: Vec<Value>,
    /// Whether the issuer always includes the claim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mandatory: Option<bool>,
    /// Display per locale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<Vec<Display>>,
}

/// `credential_definition` of W3C formats.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CredentialDefinition {
    /// `type` values, e.g. `["VerifiableCredential", "OpenBadgeCredential"]`.
    #[serde(rename = "type")]
    pub types: Vec<String>,
    /// JSON-LD contexts (required for `ldp_vc` / `jwt_vc_json-ld`).
    #[serde(rename = "@context", default, skip_serializing_if = "Option::is_none")]
    pub context: Option<Vec<Value>>,
    /// Other members.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

fn bad(reason: impl Into<String>) -> Oid4vciError {
    Oid4vciError::InvalidMetadata(reason.into())
}

fn require_https(name: &str, url: &str) -> Result<(), Oid4vciError> {
    if https_host(url).is_none() {
        return Err(bad(format!("{name} must be an https URL")));
    }
    Ok(())
}

impl CredentialIssuerMetadata {
    /// Parses untrusted bytes and validates (section 12.2.4).
    pub fn parse(bytes: &[u8]) -> Result<Self, Oid4vciError> {
        Self::from_json(json::parse_limited(bytes, JsonLimits::DEFAULT)?)
    }

    /// Deserializes and validates.
    pub fn from_json(value: Value) -> Result<Self, Oid4vciError> {
        let m: Self = serde_json::from_value(value).map_err(|e| bad(e.to_string()))?;
        m.validate()?;
        Ok(m)
    }

    /// Checks the rules of section 12.2.4 and Appendix A.
    pub fn validate(&self) -> Result<(), Oid4vciError> {
        require_https("credential_issuer", &self.credential_issuer)?;
        if self.credential_issuer.contains(['?', '#']) {
            return Err(bad("credential_issuer must not have a query or fragment"));
        }
        require_https("credential_endpoint", &self.credential_endpoint)?;
        for (name, url) in [
            ("nonce_endpoint", &self.nonce_endpoint),
            (
                "deferred_credential_endpoint",
                &self.deferred_credential_endpoint,
            ),
            ("notification_endpoint", &self.notification_endpoint),
        ] {
            if let Some(url) = url {
                require_https(name, url)?;
            }
        }
        if let Some(servers) = &self.authorization_servers {
            if servers.is_empty() {
                return Err(bad("authorization_servers must be non-empty"));
            }
            for s in servers {
                require_https("authorization_servers", s)?;
            }
        }
        if let Some(b) = self.batch_credential_issuance
            && b.batch_size < 2
        {
            return Err(bad("batch_size must be 2 or greater"));
        }
        if self.display.as_ref().is_some_and(Vec::is_empty) {
            return Err(bad("display must be non-empty"));
        }
        if self.credential_configurations_supported.is_empty() {
            return Err(bad("credential_configurations_supported must be non-empty"));
        }
        for (id, config) in &self.credential_configurations_supported {
            config
                .validate()
                .map_err(|e| bad(format!("configuration {id:?}: {e}")))?;
        }
        Ok(())
    }

    /// The configuration with this id.
    pub fn configuration(&self, id: &str) -> Option<&CredentialConfiguration> {
        self.credential_configurations_supported.get(id)
    }

    /// The issuer's display name for a locale (exact tag, then primary language, then first).
    pub fn display_name(&self, locale: &str) -> Option<&str> {
        best_display(self.display.as_deref().unwrap_or_default(), locale)
    }

    /// The metadata URL for this issuer (section 12.2.2: well-known inserted before the path).
    pub fn well_known_url(credential_issuer: &str) -> Option<String> {
        let rest = credential_issuer.strip_prefix("https://")?;
        let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
        let path = path.trim_end_matches('/');
        Some(if path.is_empty() {
            format!("https://{host}{WELL_KNOWN_ISSUER}")
        } else {
            format!("https://{host}{WELL_KNOWN_ISSUER}/{path}")
        })
    }

    /// Signs the metadata (section 12.2.3): every parameter as a top-level claim plus `sub`
    /// (the issuer identifier) and `iat`; `x5c` from the signer's chain.
    pub fn sign(
        &self,
        signer: &dyn Signer,
        now: UnixTime,
        exp: Option<UnixTime>,
    ) -> Result<String, Oid4vciError> {
        self.validate()?;
        let mut claims = match serde_json::to_value(self) {
            Ok(Value::Object(m)) => m,
            _ => return Err(bad("metadata does not serialize to an object")),
        };
        claims.remove("signed_metadata");
        claims.insert("sub".into(), self.credential_issuer.clone().into());
        claims.insert("iat".into(), now.seconds().into());
        if let Some(exp) = exp {
            claims.insert("exp".into(), exp.seconds().into());
        }
        let mut header = Map::new();
        header.insert("typ".into(), SIGNED_METADATA_TYP.into());
        let payload = Value::Object(claims).to_string();
        Ok(sign_compact(header, payload.as_bytes(), signer)?)
    }
}

/// Signed metadata whose signature verified under its `x5c` leaf; the chain still has to be
/// trusted by the trust layer (section 12.2.3: the wallet MUST establish trust in the signer).
#[derive(Debug, Clone)]
pub struct VerifiedSignedMetadata {
    /// The metadata from the signed claims.
    pub metadata: CredentialIssuerMetadata,
    /// The `x5c` chain (DER, leaf first).
    pub certificate_chain: Vec<Vec<u8>>,
}

/// Verifies `signed_metadata` against the `x5c` leaf key and checks `sub` equals
/// `expected_issuer`. Values in the signed metadata take precedence over unsigned ones, so
/// the returned metadata is the signed one.
pub fn verify_signed_metadata(
    jwt: &str,
    expected_issuer: &str,
    now: UnixTime,
    provider: &CryptoProvider,
) -> Result<VerifiedSignedMetadata, Oid4vciError> {
    let jwt: String = jwt.split_whitespace().collect();
    let jws = UnverifiedJws::parse_compact(&jwt)?;
    jws.header().require_typ(SIGNED_METADATA_TYP)?;
    let chain = jws.header().x5c()?;
    let leaf = chain
        .first()
        .ok_or_else(|| bad("signed metadata needs an x5c header"))?;
    let key = PublicJwk::from_certificate_der(leaf).map_err(|e| bad(e.to_string()))?;
    let verified = jws.verify(provider, &key)?;
    let mut claims = verified.claims(JsonLimits::DEFAULT)?;
    check_jwt_times(
        &claims,
        TimeChecks {
            require_iat: true,
            ..TimeChecks::at(now)
        },
    )?;
    if claims.get("sub").and_then(Value::as_str) != Some(expected_issuer) {
        return Err(bad("signed metadata sub is not the credential issuer"));
    }
    for name in ["sub", "iat", "exp", "iss"] {
        claims.remove(name);
    }
    let metadata = CredentialIssuerMetadata::from_json(Value::Object(claims))?;
    if metadata.credential_issuer != expected_issuer {
        return Err(bad("credential_issuer differs from the expected issuer"));
    }
    Ok(VerifiedSignedMetadata {
        metadata,
        certificate_chain: chain,
    })
}

impl CredentialConfiguration {
    fn validate(&self) -> Result<(), String> {
        match self.format.as_str() {
            format::DC_SD_JWT if self.vct.as_deref().is_none_or(str::is_empty) => {
                return Err("dc+sd-jwt requires vct".into());
            }
            format::JWT_VC_JSON | format::JWT_VC_JSON_LD | format::LDP_VC => {
                let def = self
                    .credential_definition
                    .as_ref()
                    .ok_or("W3C formats require credential_definition")?;
                if def.types.is_empty() {
                    return Err("credential_definition.type must be non-empty".into());
                }
                if self.format != format::JWT_VC_JSON
                    && def.context.as_ref().is_none_or(Vec::is_empty)
                {
                    return Err("JSON-LD formats require credential_definition.@context".into());
                }
            }
            format::MSO_MDOC if self.doctype.as_deref().is_none_or(str::is_empty) => {
                return Err("mso_mdoc requires doctype".into());
            }
            "" => return Err("format must be non-empty".into()),
            _ => {}
        }
        match (
            &self.proof_types_supported,
            &self.cryptographic_binding_methods_supported,
        ) {
            (Some(p), Some(_)) if p.is_empty() => {
                return Err("proof_types_supported must be non-empty".into());
            }
            (Some(_), None) => {
                return Err(
                    "proof_types_supported requires cryptographic_binding_methods_supported".into(),
                );
            }
            (None, Some(_)) => {
                return Err(
                    "cryptographic_binding_methods_supported requires proof_types_supported".into(),
                );
            }
            _ => {}
        }
        for p in self.proof_types_supported.iter().flat_map(BTreeMap::values) {
            if p.proof_signing_alg_values_supported.is_empty() {
                return Err("proof_signing_alg_values_supported must be non-empty".into());
            }
        }
        if let Some(claims) = self
            .credential_metadata
            .as_ref()
            .and_then(|m| m.claims.as_ref())
        {
            for c in claims {
                let ok = !c.path.is_empty()
                    && c.path
                        .iter()
                        .all(|p| p.is_string() || p.is_null() || p.is_u64());
                if !ok {
                    return Err("a claim path must be a non-empty claims path pointer".into());
                }
            }
        }
        Ok(())
    }

    /// The proof signing algorithms accepted for `jwt` proofs, as JOSE names.
    pub fn jwt_proof_algorithms(&self) -> Vec<&str> {
        self.proof_types_supported
            .as_ref()
            .and_then(|p| p.get("jwt"))
            .map(|p| {
                p.proof_signing_alg_values_supported
                    .iter()
                    .filter_map(Value::as_str)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Whether issued credentials are bound to a holder key (key proofs required).
    pub fn requires_key_proof(&self) -> bool {
        self.proof_types_supported.is_some()
    }

    /// The credential's display name for a locale.
    pub fn display_name(&self, locale: &str) -> Option<&str> {
        best_display(
            self.credential_metadata
                .as_ref()
                .and_then(|m| m.display.as_deref())
                .unwrap_or_default(),
            locale,
        )
    }
}

fn best_display<'a>(displays: &'a [Display], locale: &str) -> Option<&'a str> {
    let primary = |t: &str| t.split('-').next().unwrap_or(t).to_ascii_lowercase();
    let by = |pred: &dyn Fn(&str) -> bool| {
        displays
            .iter()
            .find(|d| d.locale.as_deref().is_some_and(pred))
            .and_then(|d| d.name.as_deref())
    };
    by(&|l| l.eq_ignore_ascii_case(locale))
        .or_else(|| by(&|l| primary(l) == primary(locale)))
        .or_else(|| displays.first().and_then(|d| d.name.as_deref()))
}

/// OAuth 2.0 Authorization Server Metadata (RFC 8414) with the OpenID4VCI and DPoP members.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthorizationServerMetadata {
    /// The AS identifier.
    pub issuer: String,
    /// Authorization endpoint (authorization code flow).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_endpoint: Option<String>,
    /// Token endpoint.
    pub token_endpoint: String,
    /// PAR endpoint (RFC 9126).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pushed_authorization_request_endpoint: Option<String>,
    /// Whether PAR is mandatory (HAIP: true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_pushed_authorization_requests: Option<bool>,
    /// DPoP algorithms (RFC 9449 section 5.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpop_signing_alg_values_supported: Option<Vec<String>>,
    /// Whether the token endpoint accepts pre-authorized codes without client id (12.3).
    #[serde(
        rename = "pre-authorized_grant_anonymous_access_supported",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub pre_authorized_grant_anonymous_access_supported: Option<bool>,
    /// PKCE methods (HAIP: S256).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_challenge_methods_supported: Option<Vec<String>>,
    /// Grant types.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_types_supported: Option<Vec<String>>,
    /// Response types.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_types_supported: Option<Vec<String>>,
    /// RFC 9396 types (`openid_credential`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_details_types_supported: Option<Vec<String>>,
    /// Other members.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl AuthorizationServerMetadata {
    /// Parses untrusted bytes and validates.
    pub fn parse(bytes: &[u8]) -> Result<Self, Oid4vciError> {
        let m: Self = serde_json::from_value(json::parse_limited(bytes, JsonLimits::DEFAULT)?)
            .map_err(|e| bad(e.to_string()))?;
        m.validate()?;
        Ok(m)
    }

    /// https endpoints; PAR endpoint present when PAR is required.
    pub fn validate(&self) -> Result<(), Oid4vciError> {
        require_https("issuer", &self.issuer)?;
        require_https("token_endpoint", &self.token_endpoint)?;
        for (name, url) in [
            ("authorization_endpoint", &self.authorization_endpoint),
            (
                "pushed_authorization_request_endpoint",
                &self.pushed_authorization_request_endpoint,
            ),
        ] {
            if let Some(url) = url {
                require_https(name, url)?;
            }
        }
        if self.require_pushed_authorization_requests == Some(true)
            && self.pushed_authorization_request_endpoint.is_none()
        {
            return Err(bad(
                "PAR required but no pushed_authorization_request_endpoint",
            ));
        }
        if let Some(methods) = &self.code_challenge_methods_supported
            && !methods.iter().any(|m| m == "S256")
        {
            return Err(bad("code_challenge_methods_supported must include S256"));
        }
        Ok(())
    }

    /// Whether the AS binds tokens with DPoP.
    pub fn supports_dpop(&self) -> bool {
        self.dpop_signing_alg_values_supported
            .as_ref()
            .is_some_and(|v| !v.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    pub(crate) fn kakehashi_metadata() -> Value {
        json!({
            "credential_issuer": "https://issuer.kakehashi.example",
            "credential_endpoint": "https://issuer.kakehashi.example/credential",
            "nonce_endpoint": "https://issuer.kakehashi.example/nonce",
            "deferred_credential_endpoint": "https://issuer.kakehashi.example/deferred",
            "notification_endpoint": "https://issuer.kakehashi.example/notification",
            "batch_credential_issuance": {"batch_size": 4},
            "display": [
                {"name": "Kakehashi University", "locale": "en"},
                {"name": "架け橋大学", "locale": "ja"}
            ],
            "credential_configurations_supported": {
                "diploma_sd_jwt": {
                    "format": "dc+sd-jwt",
                    "scope": "diploma",
                    "vct": "https://kakehashi.example/diploma",
                    "cryptographic_binding_methods_supported": ["jwk"],
                    "credential_signing_alg_values_supported": ["ES256"],
                    "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported": ["ES256"]}},
                    "credential_metadata": {
                        "display": [{"name": "Diploma", "locale": "en-GB"}, {"name": "学位記", "locale": "ja-JP"}],
                        "claims": [{"path": ["degree", "title"], "display": [{"name": "Degree", "locale": "en"}]}]
                    }
                },
                "diploma_jwt_vc": {
                    "format": "jwt_vc_json",
                    "credential_definition": {"type": ["VerifiableCredential", "OpenBadgeCredential"]},
                    "cryptographic_binding_methods_supported": ["did:jwk"],
                    "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported": ["ES256"]}}
                }
            }
        })
    }

    #[test]
    fn kakehashi_metadata_validates() {
        let m = CredentialIssuerMetadata::from_json(kakehashi_metadata()).unwrap();
        assert_eq!(m.display_name("ja"), Some("架け橋大学"));
        assert_eq!(m.display_name("fr"), Some("Kakehashi University"));
        let c = m.configuration("diploma_sd_jwt").unwrap();
        assert_eq!(c.display_name("ja"), Some("学位記"));
        assert_eq!(c.display_name("en-US"), Some("Diploma"));
        assert_eq!(c.jwt_proof_algorithms(), ["ES256"]);
        let back = CredentialIssuerMetadata::from_json(serde_json::to_value(&m).unwrap()).unwrap();
        assert_eq!(back, m);
    }

    #[test]
    fn rules() {
        type Mutation = Box<dyn Fn(&mut Value)>;
        let cases: Vec<(&str, Mutation)> = vec![
            (
                "https",
                Box::new(|v| v["credential_issuer"] = "http://x.example".into()),
            ),
            (
                "https",
                Box::new(|v| v["nonce_endpoint"] = "ftp://x".into()),
            ),
            (
                "batch_size",
                Box::new(|v| v["batch_credential_issuance"]["batch_size"] = 1.into()),
            ),
            (
                "non-empty",
                Box::new(|v| v["credential_configurations_supported"] = json!({})),
            ),
            (
                "vct",
                Box::new(|v| {
                    v["credential_configurations_supported"]["diploma_sd_jwt"]
                        .as_object_mut()
                        .unwrap()
                        .remove("vct");
                }),
            ),
            (
                "credential_definition",
                Box::new(|v| {
                    v["credential_configurations_supported"]["diploma_jwt_vc"]
                        .as_object_mut()
                        .unwrap()
                        .remove("credential_definition");
                }),
            ),
            (
                "requires cryptographic_binding",
                Box::new(|v| {
                    v["credential_configurations_supported"]["diploma_jwt_vc"]
                        .as_object_mut()
                        .unwrap()
                        .remove("cryptographic_binding_methods_supported");
                }),
            ),
            (
                "claim path",
                Box::new(|v| {
                    v["credential_configurations_supported"]["diploma_sd_jwt"]["credential_metadata"]
                        ["claims"][0]["path"] = json!([]);
                }),
            ),
        ];
        for (expect, mutate) in cases {
            let mut v = kakehashi_metadata();
            mutate(&mut v);
            match CredentialIssuerMetadata::from_json(v) {
                Err(Oid4vciError::InvalidMetadata(r)) => {
                    assert!(r.contains(expect), "{r} vs {expect}")
                }
                other => panic!("{expect}: {other:?}"),
            }
        }
    }

    #[test]
    fn well_known() {
        assert_eq!(
            CredentialIssuerMetadata::well_known_url("https://issuer.example.com").unwrap(),
            "https://issuer.example.com/.well-known/openid-credential-issuer"
        );
        assert_eq!(
            CredentialIssuerMetadata::well_known_url("https://issuer.example.com/tenant/").unwrap(),
            "https://issuer.example.com/.well-known/openid-credential-issuer/tenant"
        );
    }

    #[test]
    fn as_metadata() {
        let m = AuthorizationServerMetadata::parse(
            json!({
                "issuer": "https://as.example",
                "token_endpoint": "https://as.example/token",
                "pushed_authorization_request_endpoint": "https://as.example/par",
                "require_pushed_authorization_requests": true,
                "dpop_signing_alg_values_supported": ["ES256"],
                "pre-authorized_grant_anonymous_access_supported": true,
                "code_challenge_methods_supported": ["S256"]
            })
            .to_string()
            .as_bytes(),
        )
        .unwrap();
        assert!(m.supports_dpop());
        assert_eq!(
            m.pre_authorized_grant_anonymous_access_supported,
            Some(true)
        );
        let text = serde_json::to_string(&m).unwrap();
        assert!(text.contains("\"pre-authorized_grant_anonymous_access_supported\":true"));
        let no_par = json!({"issuer": "https://as.example", "token_endpoint": "https://as.example/t",
                            "require_pushed_authorization_requests": true});
        assert!(AuthorizationServerMetadata::parse(no_par.to_string().as_bytes()).is_err());
        let plain = json!({"issuer": "https://as.example", "token_endpoint": "https://as.example/t",
                           "code_challenge_methods_supported": ["plain"]});
        assert!(AuthorizationServerMetadata::parse(plain.to_string().as_bytes()).is_err());
    }
}
