//! Authorization Request (OpenID4VP 1.0 section 5): parameters, client identifier prefixes,
//! the signed Request Object (RFC 9101, `typ: oauth-authz-req+jwt`) and the request URIs that
//! start a flow (`openid4vp://?client_id=…&request_uri=…`).
//!
//! Kakehashi verifiers always sign their requests (HAIP 1.0 requires signed requests with
//! `x509_san_dns` or `x509_hash`), so the wallet side accepts only those two prefixes for
//! signed requests; the certificate chain is handed to the trust layer, which decides whether
//! the verifier is trusted. This module only proves that the certificate belongs to the
//! `client_id` and that the request was signed with its key.

use std::fmt;

use kakehashi_core::{JsonLimits, UnixTime, b64};
use kakehashi_crypto::{CryptoProvider, HashAlgorithm, PublicJwk, Signer};
use kakehashi_jose::{TimeChecks, UnverifiedJws, check_jwt_times, sign_compact};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use x509_cert::der::Decode as _;
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::ext::pkix::name::GeneralName;

use crate::Oid4vpError;
use crate::dcql::DcqlQuery;
use crate::form;

/// `typ` of a signed Request Object (RFC 9101 section 10.8).
pub const REQUEST_OBJECT_TYP: &str = "oauth-authz-req+jwt";
/// `aud` of a Request Object when the wallet's issuer is unknown (static discovery, 5.8).
pub const STATIC_AUDIENCE: &str = "https://self-issued.me/v2";
/// Request objects are short-lived: fetched seconds after the QR code is scanned.
pub const MAX_REQUEST_OBJECT_LIFETIME: i64 = 600;

/// A Client Identifier with its prefix (section 5.9).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ClientId {
    /// `x509_san_dns:<dns name>`: a SAN dNSName of the leaf certificate.
    X509SanDns(String),
    /// `x509_hash:<base64url SHA-256 of the leaf DER>`.
    X509Hash(String),
    /// `redirect_uri:<uri>`: unsigned requests only.
    RedirectUri(String),
    /// `decentralized_identifier:`, `verifier_attestation:`, `openid_federation:`, `origin:`:
    /// recognised but not supported here.
    Unsupported { prefix: String, value: String },
    /// No known prefix: a client pre-registered with the wallet.
    PreRegistered(String),
}

const UNSUPPORTED_PREFIXES: [&str; 4] = [
    "decentralized_identifier",
    "verifier_attestation",
    "openid_federation",
    "origin",
];

impl ClientId {
    /// Splits the prefix off; an unknown prefix means a pre-registered identifier.
    pub fn parse(text: &str) -> Result<Self, Oid4vpError> {
        if text.is_empty() {
            return Err(Oid4vpError::MissingParameter("client_id"));
        }
        let Some((prefix, value)) = text.split_once(':') else {
            return Ok(Self::PreRegistered(text.to_owned()));
        };
        let nonempty = |v: &str| -> Result<String, Oid4vpError> {
            if v.is_empty() {
                Err(Oid4vpError::param("client_id", "empty after prefix"))
            } else {
                Ok(v.to_owned())
            }
        };
        Ok(match prefix {
            "x509_san_dns" => Self::X509SanDns(nonempty(value)?),
            "x509_hash" => {
                let v = nonempty(value)?;
                match b64::decode(&v) {
                    Ok(h) if h.len() == 32 => Self::X509Hash(v),
                    _ => {
                        return Err(Oid4vpError::param(
                            "client_id",
                            "x509_hash must be a base64url SHA-256 value",
                        ));
                    }
                }
            }
            "redirect_uri" => Self::RedirectUri(nonempty(value)?),
            p if UNSUPPORTED_PREFIXES.contains(&p) => Self::Unsupported {
                prefix: p.to_owned(),
                value: value.to_owned(),
            },
            _ => Self::PreRegistered(text.to_owned()),
        })
    }

    /// The `x509_hash` client id of a DER certificate.
    pub fn x509_hash_of(provider: &CryptoProvider, leaf_der: &[u8]) -> Self {
        Self::X509Hash(b64::encode(
            provider.digest(HashAlgorithm::Sha256, leaf_der),
        ))
    }

    /// Checks that `leaf_der` is the certificate this client id names.
    pub fn check_certificate(
        &self,
        provider: &CryptoProvider,
        leaf_der: &[u8],
    ) -> Result<(), Oid4vpError> {
        let mismatch = |reason: &str| Oid4vpError::ClientIdMismatch {
            client_id: self.to_string(),
            reason: reason.to_owned(),
        };
        match self {
            Self::X509SanDns(dns) => {
                let names = san_dns_names(leaf_der).map_err(|r| mismatch(&r))?;
                if names.iter().any(|n| n.eq_ignore_ascii_case(dns)) {
                    Ok(())
                } else {
                    Err(mismatch("no matching SAN dNSName in the leaf certificate"))
                }
            }
            Self::X509Hash(hash) => {
                let actual = b64::encode(provider.digest(HashAlgorithm::Sha256, leaf_der));
                if &actual == hash {
                    Ok(())
                } else {
                    Err(mismatch("SHA-256 of the leaf certificate differs"))
                }
            }
            _ => Err(Oid4vpError::UnsupportedClientIdPrefix(self.to_string())),
        }
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::X509SanDns(v) => write!(f, "x509_san_dns:{v}"),
            Self::X509Hash(v) => write!(f, "x509_hash:{v}"),
            Self::RedirectUri(v) => write!(f, "redirect_uri:{v}"),
            Self::Unsupported { prefix, value } => write!(f, "{prefix}:{value}"),
            Self::PreRegistered(v) => f.write_str(v),
        }
    }
}

/// The dNSName entries of a certificate's subjectAltName extension.
pub fn san_dns_names(der: &[u8]) -> Result<Vec<String>, String> {
    let cert =
        x509_cert::Certificate::from_der(der).map_err(|e| format!("leaf certificate: {e}"))?;
    let san = cert
        .tbs_certificate()
        .get_extension::<SubjectAltName>()
        .map_err(|e| format!("subjectAltName: {e}"))?;
    Ok(san
        .map(|(_, san)| {
            san.0
                .iter()
                .filter_map(|name| match name {
                    GeneralName::DnsName(dns) => Some(dns.to_string()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default())
}

/// `response_mode` values this implementation handles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ResponseMode {
    /// Form POST of the response parameters to `response_uri`.
    #[serde(rename = "direct_post")]
    DirectPost,
    /// Form POST of `response=<JWE>` to `response_uri` (encrypted to `client_metadata.jwks`).
    #[serde(rename = "direct_post.jwt")]
    DirectPostJwt,
}

impl ResponseMode {
    /// The wire value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::DirectPost => "direct_post",
            Self::DirectPostJwt => "direct_post.jwt",
        }
    }
}

/// `request_uri_method` (section 5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RequestUriMethod {
    /// RFC 9101 GET.
    Get,
    /// POST with `wallet_metadata` and `wallet_nonce` (section 5.10).
    Post,
}

impl RequestUriMethod {
    /// Parses the case-sensitive wire value.
    pub fn parse(text: &str) -> Result<Self, Oid4vpError> {
        match text {
            "get" => Ok(Self::Get),
            "post" => Ok(Self::Post),
            other => Err(Oid4vpError::InvalidRequestUriMethod(
                other.chars().take(16).collect(),
            )),
        }
    }

    /// The wire value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Get => "get",
            Self::Post => "post",
        }
    }
}

/// A JWK Set (RFC 7517 section 5). Keys stay JSON: their use (encryption) is decided by the
/// JWE layer, which checks `alg`/`crv` itself.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JwkSet {
    /// The keys.
    pub keys: Vec<Value>,
}

/// Verifier metadata sent in `client_metadata` (section 5.1, 11.1).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClientMetadata {
    /// Keys the wallet encrypts the response to (`direct_post.jwt`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks: Option<JwkSet>,
    /// JWE `enc` values the verifier accepts; `A128GCM` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted_response_enc_values_supported: Option<Vec<String>>,
    /// Per format identifier, format-specific algorithm lists.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub vp_formats_supported: Map<String, Value>,
    /// Anything else (logo, name, …).
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// Wallet metadata (section 10): static configuration or `wallet_metadata` of a POST to the
/// request URI.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WalletMetadata {
    /// The wallet's authorization endpoint (`openid4vp:` for the static configuration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_endpoint: Option<String>,
    /// Supported response types.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_types_supported: Option<Vec<String>>,
    /// Per format identifier, supported algorithms.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub vp_formats_supported: Map<String, Value>,
    /// Supported client identifier prefixes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id_prefixes_supported: Option<Vec<String>>,
    /// Accepted request object signing algorithms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_object_signing_alg_values_supported: Option<Vec<String>>,
    /// Anything else.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// The parameters of an Authorization Request, as carried in a Request Object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    /// The verifier's client identifier, with prefix.
    pub client_id: String,
    /// Always `vp_token` here.
    pub response_type: String,
    /// How the response is returned.
    pub response_mode: ResponseMode,
    /// Where the wallet POSTs the response.
    pub response_uri: String,
    /// Binds presentations to this request (KB-JWT / VP `nonce`).
    pub nonce: String,
    /// Binds the response to the session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// What is requested.
    pub dcql_query: DcqlQuery,
    /// Verifier metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_metadata: Option<ClientMetadata>,
    /// Echo of the wallet's nonce when the request URI was fetched with POST.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wallet_nonce: Option<String>,
    /// Request Object audience.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    /// Issued-at of the Request Object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// Expiry of the Request Object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    /// Other parameters (transaction data, verifier_info, …), kept for the caller.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl AuthorizationRequest {
    /// Checks the section 5 rules that do not depend on who signed the request.
    pub fn validate(&self) -> Result<(), Oid4vpError> {
        if self.response_type != "vp_token" {
            return Err(Oid4vpError::param(
                "response_type",
                "only \"vp_token\" is supported",
            ));
        }
        if self.nonce.is_empty() {
            return Err(Oid4vpError::MissingParameter("nonce"));
        }
        if self.other.contains_key("redirect_uri") {
            // Section 8.2: redirect_uri MUST NOT be present with response_uri.
            return Err(Oid4vpError::param(
                "redirect_uri",
                "must not be present with direct_post",
            ));
        }
        if form::https_host(&self.response_uri).is_none() {
            return Err(Oid4vpError::param("response_uri", "must be an https URL"));
        }
        if self.other.contains_key("presentation_definition") || self.other.contains_key("scope") {
            return Err(Oid4vpError::param(
                "dcql_query",
                "exactly one of dcql_query, scope, presentation_definition",
            ));
        }
        if self.response_mode == ResponseMode::DirectPostJwt {
            self.encryption_key()?;
        }
        Ok(())
    }

    /// The key and `enc` the wallet encrypts a `direct_post.jwt` response with: the first key
    /// in `client_metadata.jwks` usable for ECDH-ES, and the first supported `enc` value.
    pub fn encryption_key(&self) -> Result<(&Value, &'static str), Oid4vpError> {
        let meta = self
            .client_metadata
            .as_ref()
            .ok_or(Oid4vpError::MissingParameter("client_metadata"))?;
        let keys = meta
            .jwks
            .as_ref()
            .map(|j| j.keys.as_slice())
            .unwrap_or_default();
        let key = keys
            .iter()
            .find(|k| {
                k.get("kty").and_then(Value::as_str) == Some("EC")
                    && k.get("crv").and_then(Value::as_str) == Some("P-256")
                    && k.get("alg")
                        .and_then(Value::as_str)
                        .is_none_or(|a| a == "ECDH-ES")
                    && k.get("use")
                        .and_then(Value::as_str)
                        .is_none_or(|u| u == "enc")
            })
            .ok_or_else(|| Oid4vpError::param("client_metadata", "no P-256 ECDH-ES key in jwks"))?;
        let enc = match &meta.encrypted_response_enc_values_supported {
            None => "A128GCM",
            Some(values) => values
                .iter()
                .find_map(|v| match v.as_str() {
                    "A128GCM" => Some("A128GCM"),
                    "A256GCM" => Some("A256GCM"),
                    _ => None,
                })
                .ok_or_else(|| {
                    Oid4vpError::param(
                        "client_metadata",
                        "no supported encrypted_response_enc_values_supported",
                    )
                })?,
        };
        Ok((key, enc))
    }

    /// Signs the request as a Request Object (verifier side). `iat`/`exp` are set from `now`
    /// and `lifetime_seconds`; the signer's certificate chain becomes `x5c`.
    pub fn sign(
        &self,
        signer: &dyn Signer,
        now: UnixTime,
        lifetime_seconds: i64,
    ) -> Result<String, Oid4vpError> {
        self.validate()?;
        let mut claims = self.clone();
        claims.iat = Some(now.seconds());
        claims.exp = Some(now.saturating_add(lifetime_seconds).seconds());
        if claims.aud.is_none() {
            claims.aud = Some(STATIC_AUDIENCE.to_owned());
        }
        let payload =
            serde_json::to_vec(&claims).map_err(|e| Oid4vpError::RequestObject(e.to_string()))?;
        let mut header = Map::new();
        header.insert("typ".into(), REQUEST_OBJECT_TYP.into());
        Ok(sign_compact(header, &payload, signer)?)
    }
}

/// What the wallet knows when it validates a Request Object.
#[derive(Debug, Clone, Copy)]
pub struct WalletRequestContext<'a> {
    /// The `client_id` of the request URI that pointed to the object; must equal the signed one.
    pub outer_client_id: Option<&'a str>,
    /// The `wallet_nonce` the wallet POSTed to the request URI, if it did.
    pub wallet_nonce: Option<&'a str>,
    /// Audiences the wallet answers to (its issuer, `https://self-issued.me/v2`).
    pub accepted_audiences: &'a [&'a str],
    /// The current time.
    pub now: UnixTime,
}

/// A Request Object whose signature was checked against the leaf certificate the `client_id`
/// names. The chain is *not* yet trusted: pass [`VerifiedRequest::certificate_chain`] to the
/// trust layer before showing the verifier as trusted.
#[derive(Debug, Clone)]
pub struct VerifiedRequest {
    request: AuthorizationRequest,
    client_id: ClientId,
    chain: Vec<Vec<u8>>,
}

impl VerifiedRequest {
    /// The request parameters.
    pub fn request(&self) -> &AuthorizationRequest {
        &self.request
    }

    /// The parsed client identifier.
    pub fn client_id(&self) -> &ClientId {
        &self.client_id
    }

    /// The `x5c` chain (DER, leaf first) for path validation by the trust layer.
    pub fn certificate_chain(&self) -> &[Vec<u8>] {
        &self.chain
    }
}

/// Validates a signed Request Object on the wallet side (sections 5, 5.9, 5.10).
pub fn verify_request_object(
    jwt: &str,
    context: &WalletRequestContext<'_>,
    provider: &CryptoProvider,
) -> Result<VerifiedRequest, Oid4vpError> {
    let jws = UnverifiedJws::parse_compact_with(jwt, JsonLimits::DEFAULT, &[])?;
    jws.header().require_typ(REQUEST_OBJECT_TYP)?;
    let claims = jws.unverified_claims(JsonLimits::DEFAULT)?;
    let client_id_text = claims
        .get("client_id")
        .and_then(Value::as_str)
        .ok_or(Oid4vpError::MissingParameter("client_id"))?;
    if let Some(outer) = context.outer_client_id
        && outer != client_id_text
    {
        return Err(Oid4vpError::param(
            "client_id",
            "differs between the request URI and the request object",
        ));
    }
    let client_id = ClientId::parse(client_id_text)?;
    let chain = jws.header().x5c()?;
    let leaf = match (&client_id, chain.first()) {
        (ClientId::X509SanDns(_) | ClientId::X509Hash(_), Some(leaf)) => leaf,
        (ClientId::X509SanDns(_) | ClientId::X509Hash(_), None) => {
            return Err(Oid4vpError::RequestObject("x5c header required".into()));
        }
        _ => {
            return Err(Oid4vpError::UnsupportedClientIdPrefix(
                client_id.to_string(),
            ));
        }
    };
    client_id.check_certificate(provider, leaf)?;
    let key = PublicJwk::from_certificate_der(leaf)
        .map_err(|e| Oid4vpError::RequestObject(e.to_string()))?;
    let verified = jws.verify(provider, &key)?;
    let claims = verified.claims(JsonLimits::DEFAULT)?;
    check_jwt_times(
        &claims,
        TimeChecks {
            require_exp: true,
            require_iat: false,
            ..TimeChecks::at(context.now)
        },
    )?;
    if let (Some(iat), Some(exp)) = (
        claims.get("iat").and_then(Value::as_i64),
        claims.get("exp").and_then(Value::as_i64),
    ) && exp.saturating_sub(iat) > MAX_REQUEST_OBJECT_LIFETIME
    {
        return Err(Oid4vpError::RequestObject("lifetime too long".into()));
    }
    match claims.get("aud").and_then(Value::as_str) {
        Some(aud) if context.accepted_audiences.contains(&aud) => {}
        _ => return Err(Oid4vpError::RequestObject("aud is not this wallet".into())),
    }
    if let Some(expected) = context.wallet_nonce
        && claims.get("wallet_nonce").and_then(Value::as_str) != Some(expected)
    {
        return Err(Oid4vpError::WalletNonceMismatch);
    }
    let mut claims = claims;
    // Section 5: `iss` MAY be present and MUST be ignored.
    claims.remove("iss");
    let request: AuthorizationRequest = serde_json::from_value(Value::Object(claims))
        .map_err(|e| Oid4vpError::RequestObject(e.to_string()))?;
    request.validate()?;
    if let ClientId::X509SanDns(dns) = &client_id {
        // Section 5.9.3: the response URI's host must be the certified DNS name.
        if form::https_host(&request.response_uri).as_deref() != Some(&dns.to_ascii_lowercase()) {
            return Err(Oid4vpError::ClientIdMismatch {
                client_id: client_id.to_string(),
                reason: "response_uri host is not the certified DNS name".into(),
            });
        }
    }
    Ok(VerifiedRequest {
        request,
        client_id,
        chain,
    })
}

/// The request-by-reference URI shown as a QR code (cross-device) or opened as a link
/// (same-device).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestUri {
    /// The verifier's client id (with prefix).
    pub client_id: String,
    /// Where the wallet fetches the Request Object.
    pub request_uri: String,
    /// How it fetches it; `None` = RFC 9101 GET.
    pub request_uri_method: Option<RequestUriMethod>,
}

/// The custom scheme of OpenID4VP wallets.
pub const OPENID4VP_SCHEME: &str = "openid4vp://";

impl RequestUri {
    /// Builds `<base>?client_id=…&request_uri=…[&request_uri_method=post]`; `base` is
    /// [`OPENID4VP_SCHEME`] or a wallet's https authorization endpoint.
    pub fn to_uri(&self, base: &str) -> String {
        let mut pairs = vec![
            ("client_id", self.client_id.as_str()),
            ("request_uri", self.request_uri.as_str()),
        ];
        if let Some(m) = self.request_uri_method {
            pairs.push(("request_uri_method", m.as_str()));
        }
        format!("{base}?{}", form::encode(&pairs))
    }

    /// Parses a request URI. A request by value (no `request_uri`) is refused: Kakehashi
    /// wallets only process signed requests.
    pub fn parse(uri: &str) -> Result<Self, Oid4vpError> {
        if uri.len() > 8192 {
            return Err(Oid4vpError::param("request_uri", "URI too long"));
        }
        let (_, query) = form::split_query(uri);
        let pairs = form::decode(query)?;
        let client_id =
            form::get(&pairs, "client_id").ok_or(Oid4vpError::MissingParameter("client_id"))?;
        let request_uri = form::get(&pairs, "request_uri").ok_or_else(|| {
            if form::get(&pairs, "request").is_some() || form::get(&pairs, "dcql_query").is_some() {
                Oid4vpError::param("request_uri", "unsigned requests by value are not accepted")
            } else {
                Oid4vpError::MissingParameter("request_uri")
            }
        })?;
        if form::https_host(request_uri).is_none() {
            return Err(Oid4vpError::param("request_uri", "must be an https URL"));
        }
        let request_uri_method = form::get(&pairs, "request_uri_method")
            .map(RequestUriMethod::parse)
            .transpose()?;
        Ok(Self {
            client_id: client_id.to_owned(),
            request_uri: request_uri.to_owned(),
            request_uri_method,
        })
    }
}

/// The body a wallet POSTs to a `request_uri` with `request_uri_method=post` (section 5.10).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestUriPost {
    /// Wallet capabilities (JSON object).
    pub wallet_metadata: Option<Value>,
    /// Fresh nonce the verifier must echo in the Request Object.
    pub wallet_nonce: Option<String>,
}

impl RequestUriPost {
    /// The form body.
    pub fn to_form(&self) -> String {
        let meta = self.wallet_metadata.as_ref().map(Value::to_string);
        let mut pairs = Vec::new();
        if let Some(m) = &meta {
            pairs.push(("wallet_metadata", m.as_str()));
        }
        if let Some(n) = &self.wallet_nonce {
            pairs.push(("wallet_nonce", n.as_str()));
        }
        form::encode(&pairs)
    }

    /// Parses the form body (verifier side).
    pub fn from_form(body: &str) -> Result<Self, Oid4vpError> {
        let pairs = form::decode(body)?;
        let wallet_metadata = form::get(&pairs, "wallet_metadata")
            .map(|m| {
                kakehashi_core::json::parse_object(m.as_bytes(), JsonLimits::DEFAULT)
                    .map(Value::Object)
            })
            .transpose()?;
        Ok(Self {
            wallet_metadata,
            wallet_nonce: form::get(&pairs, "wallet_nonce").map(str::to_owned),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_id_prefixes() {
        assert_eq!(
            ClientId::parse("x509_san_dns:verifier.example.org").unwrap(),
            ClientId::X509SanDns("verifier.example.org".into())
        );
        let hash = "Uvo3HtuIxuhC92rShpgqcT3YXwrqRxWEviRiA0OZszk";
        assert_eq!(
            ClientId::parse(&format!("x509_hash:{hash}")).unwrap(),
            ClientId::X509Hash(hash.into())
        );
        assert!(ClientId::parse("x509_hash:short").is_err());
        assert!(ClientId::parse("x509_san_dns:").is_err());
        assert!(ClientId::parse("").is_err());
        assert_eq!(
            ClientId::parse("https://client.example.org/cb").unwrap(),
            ClientId::PreRegistered("https://client.example.org/cb".into())
        );
        assert!(matches!(
            ClientId::parse("decentralized_identifier:did:example:123").unwrap(),
            ClientId::Unsupported { .. }
        ));
        for text in [
            "x509_san_dns:a.example",
            "redirect_uri:https://a.example/cb",
            "decentralized_identifier:did:example:1",
            "plain",
        ] {
            assert_eq!(ClientId::parse(text).unwrap().to_string(), text);
        }
    }

    #[test]
    fn request_uri_round_trip() {
        let r = RequestUri {
            client_id: "x509_san_dns:verifier.example.org".into(),
            request_uri: "https://verifier.example.org/request/abc?x=1".into(),
            request_uri_method: Some(RequestUriMethod::Post),
        };
        let uri = r.to_uri(OPENID4VP_SCHEME);
        assert!(uri.starts_with("openid4vp://?client_id=x509_san_dns%3Averifier.example.org&"));
        assert_eq!(RequestUri::parse(&uri).unwrap(), r);
        assert!(matches!(
            RequestUri::parse(
                "openid4vp://?client_id=a&request_uri=https%3A%2F%2Fv.example%2Fr&request_uri_method=PUT"
            ),
            Err(Oid4vpError::InvalidRequestUriMethod(_))
        ));
        assert!(RequestUri::parse("openid4vp://?client_id=a&dcql_query=%7B%7D").is_err());
        assert!(RequestUri::parse("openid4vp://?client_id=a&request_uri=http%3A%2F%2Fv").is_err());
    }

    #[test]
    fn request_uri_post_body() {
        let p = RequestUriPost {
            wallet_metadata: Some(serde_json::json!({"vp_formats_supported": {}})),
            wallet_nonce: Some("qPmxiNFCR3QTm19POc8u".into()),
        };
        assert_eq!(RequestUriPost::from_form(&p.to_form()).unwrap(), p);
        assert!(RequestUriPost::from_form("wallet_metadata=%5B%5D").is_err());
    }
}
