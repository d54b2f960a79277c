//! Verification of received credentials, their display data (issuer metadata, SD-JWT VC Type
//! Metadata in en/ja, Open Badges 3.0 achievement names) and the holder's view of their claims.

use kakehashi_core::{JsonLimits, UnixTime};
use kakehashi_crypto::{CryptoProvider, HashAlgorithm, PublicJwk};
use kakehashi_jose::UnverifiedJws;
use kakehashi_oid4vci::metadata::{CredentialConfiguration, CredentialIssuerMetadata};
use kakehashi_oid4vci::proof::did_jwk_key;
use kakehashi_oid4vp::CredentialFormat;
use kakehashi_oid4vp::matching::HeldCredential;
use kakehashi_sd_jwt::type_metadata::{PathPattern, ResolvedTypeMetadata, TypeMetadata};
use kakehashi_sd_jwt::{
    ClaimPath, IssuerKey, Limits, SdJwt, VcVerifyOptions, VerifyOptions, verify_sd_jwt_vc,
    verify_sd_jwt_vc_text,
};
use kakehashi_storage::StoredCredential;
use serde_json::{Map, Value, json};

use crate::WalletError;
use crate::http::WalletHttp;

/// Whether the Issuer-signed JWT's header has `x5c`: what `SdJwt::parse(..).header()` says
/// when the text parses, read from the compact form's JWT alone; the JSON serialization and
/// texts whose JWT does not parse say `false` (the parsing path then decides).
fn unverified_header_has_x5c(text: &str) -> bool {
    if text.trim_start().starts_with('{') {
        return false;
    }
    text.split_once('~').is_some_and(|(jwt, _)| {
        UnverifiedJws::parse_compact_with(jwt, Limits::DEFAULT.json, &[])
            .is_ok_and(|jws| jws.header().member("x5c").is_some())
    })
}

/// The `format` of SD-JWT VCs.
pub(crate) const SD_JWT_VC: &str = "dc+sd-jwt";
/// The `format` of W3C VCs secured as JWT.
pub(crate) const JWT_VC_JSON: &str = "jwt_vc_json";

/// A received credential that passed verification.
#[derive(Debug, Clone)]
pub(crate) struct VerifiedIssued {
    pub raw: String,
    pub issuer: Option<String>,
    /// SHA-256 thumbprint of the holder key it is bound to.
    pub holder_thumbprint: Option<String>,
    pub vct: Option<String>,
    /// Achievement name (Open Badges 3.0), for display.
    pub achievement_name: Option<String>,
}

/// Verifies a credential as received: the issuer signature (key from the `x5c` leaf, or the
/// issuer's JWT VC Issuer Metadata), the format's rules, `vct` / `type` against the
/// configuration, and returns the holder binding for the caller to compare with its keys.
pub(crate) async fn verify_issued(
    http: &WalletHttp,
    provider: &CryptoProvider,
    format: &str,
    text: &str,
    configuration: &CredentialConfiguration,
    now: UnixTime,
    anchors: Option<&[Vec<u8>]>,
) -> Result<VerifiedIssued, WalletError> {
    let reject = |m: String| WalletError::CredentialRejected(m);
    match format {
        SD_JWT_VC => {
            let options = VcVerifyOptions::new(VerifyOptions::new(now));
            // An `x5c` header names the key: one step, through the verify path a verifier
            // runs. A text `SdJwt::parse` refuses keeps its parse error (re-parsed on that
            // error path only); without `x5c`, the parsed payload's `iss` finds the key.
            let (verified, has_x5c) = if unverified_header_has_x5c(text) {
                let verified = verify_sd_jwt_vc_text(text, provider, IssuerKey::X5c, &options)
                    .map_err(|e| match SdJwt::parse(text, Limits::DEFAULT) {
                        Err(parse) => reject(parse.to_string()),
                        Ok(_) => reject(format!("SD-JWT VC: {e}")),
                    })?;
                (verified, true)
            } else {
                let sd = SdJwt::parse(text, Limits::DEFAULT).map_err(|e| reject(e.to_string()))?;
                let has_x5c = sd.header().member("x5c").is_some();
                let metadata_doc;
                // `x5c` here: the JSON serialization, which the one-step path does not take.
                let key = if has_x5c {
                    IssuerKey::X5c
                } else {
                    let payload = sd
                        .unverified_payload(JsonLimits::DEFAULT)
                        .map_err(|e| reject(e.to_string()))?;
                    let iss = payload
                        .get("iss")
                        .and_then(Value::as_str)
                        .ok_or_else(|| reject("no x5c and no iss to find the issuer key".into()))?;
                    let url = jwt_vc_issuer_url(iss)
                        .ok_or_else(|| reject("iss is not an https URL".into()))?;
                    let r = http.get(&url, "application/json").await?;
                    if !r.is_success() {
                        return Err(reject(format!("JWT VC issuer metadata: HTTP {}", r.status)));
                    }
                    metadata_doc = serde_json::from_slice::<Value>(&r.body)
                        .map_err(|e| reject(format!("JWT VC issuer metadata: {e}")))?;
                    IssuerKey::Metadata(&metadata_doc)
                };
                let verified = verify_sd_jwt_vc(sd, provider, key, &options)
                    .map_err(|e| reject(format!("SD-JWT VC: {e}")))?;
                (verified, has_x5c)
            };
            if let Some(anchors) = anchors {
                if !has_x5c {
                    return Err(reject("issuer trust anchors configured but no x5c".into()));
                }
                crate::chain_is_anchored(verified.untrusted_x5c(), anchors, now)
                    .map_err(|e| reject(format!("issuer certificate: {e}")))?;
            }
            if let Some(expected) = &configuration.vct
                && verified.vct() != expected
            {
                return Err(reject(format!(
                    "vct {:?} is not the offered {expected:?}",
                    verified.vct()
                )));
            }
            let holder_thumbprint = match verified.claims().get("cnf") {
                Some(cnf) => {
                    let jwk = cnf
                        .get("jwk")
                        .ok_or_else(|| reject("cnf without jwk".into()))?;
                    let key = PublicJwk::from_json(jwk).map_err(|e| reject(e.to_string()))?;
                    Some(key.thumbprint(provider, HashAlgorithm::Sha256))
                }
                None => None,
            };
            Ok(VerifiedIssued {
                raw: text.to_owned(),
                issuer: verified.issuer().map(str::to_owned),
                holder_thumbprint,
                vct: Some(verified.vct().to_owned()),
                achievement_name: None,
            })
        }
        JWT_VC_JSON => {
            let options = kakehashi_vc_jose::VerifyOptions::at(now);
            let verified = kakehashi_vc_jose::verify_vc_jwt(text, provider, &options)
                .map_err(|e| reject(format!("VC JWT: {e}")))?;
            if *verified.key_source() == kakehashi_vc_jose::KeySource::HeaderJwk {
                return Err(reject(
                    "issuer key is self-asserted (jwk header); x5c required".into(),
                ));
            }
            if let Some(anchors) = anchors {
                crate::chain_is_anchored(verified.certificate_chain(), anchors, now)
                    .map_err(|e| reject(format!("issuer certificate: {e}")))?;
            }
            let view = verified.credential();
            if let Some(def) = &configuration.credential_definition {
                for t in &def.types {
                    if !view.has_type(t) {
                        return Err(reject(format!("type {t:?} missing")));
                    }
                }
            }
            let subject_id = view
                .subjects()
                .first()
                .and_then(|s| s.get("id"))
                .and_then(Value::as_str)
                .map(str::to_owned);
            let holder_thumbprint = match subject_id.as_deref() {
                Some(id) if id.starts_with("did:jwk:") => {
                    let key = did_jwk_key(id.split('#').next().unwrap_or(id))
                        .map_err(|e| reject(e.to_string()))?;
                    Some(key.thumbprint(provider, HashAlgorithm::Sha256))
                }
                _ => None,
            };
            let achievement_name = kakehashi_vc_jose::check_open_badge(view)
                .ok()
                .map(|a| a.achievement.name);
            Ok(VerifiedIssued {
                raw: text.to_owned(),
                issuer: Some(view.issuer().to_owned()),
                holder_thumbprint,
                vct: None,
                achievement_name,
            })
        }
        other => Err(reject(format!("format {other:?} is not supported"))),
    }
}

/// `https://host/.well-known/jwt-vc-issuer/path` for an `iss`.
fn jwt_vc_issuer_url(iss: &str) -> Option<String> {
    let rest = iss.strip_prefix("https://")?;
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let path = path.trim_end_matches('/');
    Some(if path.is_empty() {
        format!("https://{host}/.well-known/jwt-vc-issuer")
    } else {
        format!("https://{host}/.well-known/jwt-vc-issuer/{path}")
    })
}

/// Display data stored with the credentials of one response:
/// `{"name": {"en", "ja"}, "issuer_name": {"en", "ja"}, "configuration_id", "claims":
/// {"<path JSON>": {"en", "ja"}}}`. Type Metadata is fetched best-effort (its absence only
/// costs labels).
pub(crate) async fn display_for(
    http: &WalletHttp,
    issuer: &CredentialIssuerMetadata,
    configuration_id: &str,
    verified: &[(VerifiedIssued, Option<usize>)],
) -> Value {
    let configuration = issuer.configuration(configuration_id);
    let mut name = Map::new();
    let mut issuer_name = Map::new();
    for lang in ["en", "ja"] {
        if let Some(n) = configuration.and_then(|c| c.display_name(lang)) {
            name.insert(lang.into(), n.into());
        }
        if let Some(n) = issuer.display_name(lang) {
            issuer_name.insert(lang.into(), n.into());
        }
    }
    let mut claims = Map::new();
    if let Some((first, _)) = verified.first() {
        if let Some(a) = &first.achievement_name {
            name.entry("en").or_insert_with(|| a.clone().into());
        }
        if let Some(vct) = &first.vct
            && let Some(meta) = type_metadata(http, vct).await
        {
            for lang in ["en", "ja"] {
                if let Some(n) = meta.type_name(lang) {
                    name.insert(lang.into(), n.into());
                }
            }
            for c in meta.claims() {
                let mut labels = Map::new();
                let Some(path) = concrete_path(&c.path) else {
                    continue;
                };
                for lang in ["en", "ja"] {
                    if let Some(l) = meta.claim_label(&path, lang) {
                        labels.insert(lang.into(), l.into());
                    }
                }
                if !labels.is_empty() {
                    claims.insert(path.to_json().to_string(), Value::Object(labels));
                }
            }
        }
    }
    json!({
        "name": name,
        "issuer_name": issuer_name,
        "configuration_id": configuration_id,
        "claims": claims,
    })
}

/// A Type Metadata path without `null` (array wildcard) elements as a claim path.
fn concrete_path(pattern: &[PathPattern]) -> Option<ClaimPath> {
    let json: Option<Vec<Value>> = pattern
        .iter()
        .map(|p| match p {
            PathPattern::Key(k) => Some(Value::String(k.clone())),
            PathPattern::Index(i) => Some(Value::from(*i)),
            PathPattern::AnyElement => None,
        })
        .collect();
    ClaimPath::from_json(&Value::Array(json?)).ok()
}

async fn type_metadata(http: &WalletHttp, vct: &str) -> Option<ResolvedTypeMetadata> {
    if !vct.starts_with("https://") {
        return None;
    }
    let r = http.get(vct, "application/json").await.ok()?;
    if !r.is_success() {
        return None;
    }
    let doc = TypeMetadata::parse(&r.body, JsonLimits::DEFAULT).ok()?;
    ResolvedTypeMetadata::merge(vec![doc]).ok()
}

/// The holder's own view of a stored credential (no signature check: it was verified on
/// receipt and the wallet is the only writer).
pub(crate) fn holder_claims(
    credential: &StoredCredential,
    provider: &CryptoProvider,
) -> Result<Value, WalletError> {
    Ok(held(credential, provider)?.claims)
}

/// The credential as the DCQL matcher sees it.
pub(crate) fn held(
    credential: &StoredCredential,
    provider: &CryptoProvider,
) -> Result<HeldCredential, WalletError> {
    let corrupt = |m: String| WalletError::Key(format!("stored credential {}: {m}", credential.id));
    match credential.format.as_str() {
        SD_JWT_VC => {
            let sd = SdJwt::parse(&credential.raw, Limits::DEFAULT)
                .map_err(|e| corrupt(e.to_string()))?;
            let decoded = sd
                .decode(provider, Limits::DEFAULT)
                .map_err(|e| corrupt(e.to_string()))?;
            let claims = decoded.claims().clone();
            let vct = claims.get("vct").and_then(Value::as_str).map(str::to_owned);
            let holder_binding = claims.contains_key("cnf");
            Ok(HeldCredential {
                format: CredentialFormat::DcSdJwt,
                vct,
                types: vec![],
                claims: Value::Object(claims),
                holder_binding,
                authorities: vec![],
            })
        }
        JWT_VC_JSON => {
            let jws = kakehashi_jose::UnverifiedJws::parse_compact(&credential.raw)
                .map_err(|e| corrupt(e.to_string()))?;
            let claims = jws
                .unverified_claims(JsonLimits::DEFAULT)
                .map_err(|e| corrupt(e.to_string()))?;
            let types = match claims.get("type") {
                Some(Value::String(t)) => vec![t.clone()],
                Some(Value::Array(l)) => l
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
                _ => vec![],
            };
            Ok(HeldCredential {
                format: CredentialFormat::JwtVcJson,
                vct: None,
                types,
                claims: Value::Object(claims),
                holder_binding: credential.holder_key_id.is_some(),
                authorities: vec![],
            })
        }
        other => Err(corrupt(format!("unsupported format {other:?}"))),
    }
}
