//! SD-JWT VC (draft-ietf-oauth-sd-jwt-vc): the `dc+sd-jwt` profile of SD-JWT.

use kakehashi_crypto::{CryptoProvider, PublicJwk};
use kakehashi_jose::JwsHeader;
use serde_json::{Map, Value};

use std::borrow::Cow;

use crate::fast::{self, Fallback, ResolvedKey};
use crate::type_metadata::ResolvedTypeMetadata;
use crate::{PathSegment, SdJwt, SdJwtError, VC_NEVER_DISCLOSABLE, VerifiedSdJwt, VerifyOptions};

/// How the verifier gets the issuer's key. The pure verifier never fetches: the edge passes
/// a configured key or the JWT VC Issuer Metadata document it retrieved.
#[derive(Debug, Clone, Copy)]
pub enum IssuerKey<'a> {
    /// A key the caller already trusts for this issuer.
    Jwk(&'a PublicJwk),
    /// The public key of the `x5c` leaf certificate. The chain is returned as
    /// [`VerifiedSdJwtVc::untrusted_x5c`]: the trust layer must validate it before the
    /// result means anything.
    X5c,
    /// A JWT VC Issuer Metadata document (`/.well-known/jwt-vc-issuer`) with `jwks` by value:
    /// `issuer` must equal `iss`, the key is chosen by the header `kid`.
    Metadata(&'a Value),
}

/// Policy for an SD-JWT VC verification.
#[derive(Debug, Clone, Copy)]
pub struct VcVerifyOptions<'a> {
    /// The SD-JWT policy (time, Key Binding, limits). Its `typ` is ignored.
    pub base: VerifyOptions<'a>,
    /// Accept the pre-2025 `typ: vc+sd-jwt` as well as `dc+sd-jwt`.
    pub accept_legacy_typ: bool,
    /// Type Metadata (resolved with its `extends` chain) whose `sd` rules the credential
    /// must follow; its `vct` must equal the credential's.
    pub type_metadata: Option<&'a ResolvedTypeMetadata>,
}

impl<'a> VcVerifyOptions<'a> {
    /// Strict defaults around `base`.
    pub fn new(base: VerifyOptions<'a>) -> Self {
        Self {
            base,
            accept_legacy_typ: false,
            type_metadata: None,
        }
    }
}

/// A verified SD-JWT VC.
#[derive(Debug, Clone)]
pub struct VerifiedSdJwtVc {
    sd_jwt: VerifiedSdJwt,
    vct: String,
    vct_integrity: Option<String>,
    issuer: Option<String>,
    status: Option<Value>,
    untrusted_x5c: Vec<Vec<u8>>,
}

impl VerifiedSdJwtVc {
    /// The underlying verified SD-JWT (processed payload, Key Binding, disclosed paths).
    pub fn sd_jwt(&self) -> &VerifiedSdJwt {
        &self.sd_jwt
    }

    /// The processed payload.
    pub fn claims(&self) -> &Map<String, Value> {
        self.sd_jwt.claims()
    }

    /// `vct`.
    pub fn vct(&self) -> &str {
        &self.vct
    }

    /// `vct#integrity`, for checking the Type Metadata document.
    pub fn vct_integrity(&self) -> Option<&str> {
        self.vct_integrity.as_deref()
    }

    /// `iss`, if present.
    pub fn issuer(&self) -> Option<&str> {
        self.issuer.as_deref()
    }

    /// `aka_vcts`: further types of the credential (checked: non-empty, strings, not `vct`).
    pub fn aka_vcts(&self) -> Vec<&str> {
        self.claims()
            .get("aka_vcts")
            .and_then(Value::as_array)
            .map(|l| l.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    }

    /// `status` as issued, for the status-list layer (not fetched here).
    pub fn status(&self) -> Option<&Value> {
        self.status.as_ref()
    }

    /// The `x5c` chain (DER, leaf first) when the key came from it. Untrusted: only the
    /// trust layer's path validation can make the issuer key meaningful.
    pub fn untrusted_x5c(&self) -> &[Vec<u8>] {
        &self.untrusted_x5c
    }
}

/// Verifies an SD-JWT VC: `typ`, issuer key resolution, the SD-JWT rules, `vct`, the claims
/// that must not be selectively disclosed, and (when given) the Type Metadata `sd` rules.
pub fn verify_sd_jwt_vc(
    sd_jwt: SdJwt,
    provider: &CryptoProvider,
    issuer_key: IssuerKey<'_>,
    options: &VcVerifyOptions<'_>,
) -> Result<VerifiedSdJwtVc, SdJwtError> {
    let header = sd_jwt.header();
    check_typ(header, options.accept_legacy_typ)?;
    let mut untrusted_x5c = Vec::new();
    let mut metadata_issuer = None;
    let resolved;
    let key: &PublicJwk = match issuer_key {
        IssuerKey::Jwk(k) => k,
        IssuerKey::X5c => {
            let (chain, leaf_key) = key_from_x5c(header)?;
            untrusted_x5c = chain;
            resolved = leaf_key;
            &resolved
        }
        IssuerKey::Metadata(doc) => {
            let payload = sd_jwt.unverified_payload(options.base.limits.json)?;
            let (issuer, key) = key_from_metadata(doc, header, &payload)?;
            metadata_issuer = Some(issuer);
            resolved = key;
            &resolved
        }
    };
    let verified = sd_jwt.verify(provider, key, &sd_jwt_options(options))?;
    finish(verified, metadata_issuer, untrusted_x5c, options)
}

/// Parses (with `options.base.limits`) and verifies a presented SD-JWT VC in one step: the
/// same checks, result and errors as [`verify_sd_jwt_vc`] of [`SdJwt::parse`], which it
/// falls back to for the JSON serialization, issuer metadata keys and anything unusual. The
/// usual compact form is read without building `Value`s for what is only checked (see
/// [`SdJwt::parse_and_verify`]).
pub fn verify_sd_jwt_vc_text(
    text: &str,
    provider: &CryptoProvider,
    issuer_key: IssuerKey<'_>,
    options: &VcVerifyOptions<'_>,
) -> Result<VerifiedSdJwtVc, SdJwtError> {
    match verify_fast(text, provider, issuer_key, options) {
        Ok(result) => result,
        Err(Fallback) => verify_sd_jwt_vc(
            SdJwt::parse(text, options.base.limits)?,
            provider,
            issuer_key,
            options,
        ),
    }
}

/// [`verify_sd_jwt_vc_text`] without its fallback.
pub(crate) fn verify_fast(
    text: &str,
    provider: &CryptoProvider,
    issuer_key: IssuerKey<'_>,
    options: &VcVerifyOptions<'_>,
) -> Result<Result<VerifiedSdJwtVc, SdJwtError>, Fallback> {
    let outcome = match issuer_key {
        IssuerKey::Metadata(_) => return Err(Fallback),
        IssuerKey::Jwk(k) => fast::verify_compact(text, provider, &sd_jwt_options(options), |h| {
            check_typ(h, options.accept_legacy_typ)?;
            Ok(ResolvedKey {
                key: Cow::Borrowed(k),
                untrusted_x5c: Vec::new(),
            })
        }),
        IssuerKey::X5c => fast::verify_compact(text, provider, &sd_jwt_options(options), |h| {
            check_typ(h, options.accept_legacy_typ)?;
            let (untrusted_x5c, key) = key_from_x5c(h)?;
            Ok(ResolvedKey {
                key: Cow::Owned(key),
                untrusted_x5c,
            })
        }),
    }?;
    Ok(
        outcome
            .and_then(|(verified, untrusted_x5c)| finish(verified, None, untrusted_x5c, options)),
    )
}

/// The SD-JWT policy inside a VC policy: `typ` is checked by the VC layer, and claim records
/// are needed when Type Metadata rules apply.
fn sd_jwt_options<'a>(options: &VcVerifyOptions<'a>) -> VerifyOptions<'a> {
    let mut base = options.base;
    base.typ = None;
    base.record_claims = base.record_claims || options.type_metadata.is_some();
    base
}

/// The `x5c` chain (untrusted) and the public key of its leaf.
fn key_from_x5c(header: &JwsHeader) -> Result<(Vec<Vec<u8>>, PublicJwk), SdJwtError> {
    let chain = header.x5c().map_err(SdJwtError::jose("x5c"))?;
    let leaf = chain
        .first()
        .ok_or_else(|| SdJwtError::IssuerKey("no x5c header".into()))?;
    let key =
        PublicJwk::from_certificate_der(leaf).map_err(|e| SdJwtError::IssuerKey(e.to_string()))?;
    Ok((chain, key))
}

/// The SD-JWT VC rules on a verified SD-JWT.
fn finish(
    verified: VerifiedSdJwt,
    metadata_issuer: Option<String>,
    untrusted_x5c: Vec<Vec<u8>>,
    options: &VcVerifyOptions<'_>,
) -> Result<VerifiedSdJwtVc, SdJwtError> {
    for path in verified.disclosed_paths() {
        if let Some(PathSegment::Key(first)) = path.0.first()
            && VC_NEVER_DISCLOSABLE.contains(&first.as_str())
        {
            return Err(SdJwtError::ForbiddenDisclosure(first.clone()));
        }
    }
    let claims = verified.claims();
    let text = |name: &'static str| -> Result<Option<String>, SdJwtError> {
        match claims.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(SdJwtError::VcClaim(name)),
        }
    };
    let vct = text("vct")?.ok_or(SdJwtError::VcClaim("vct"))?;
    let vct_integrity = text("vct#integrity")?;
    let issuer = text("iss")?;
    // aka_vcts: a non-empty array of strings without the vct itself (section 2.2.2.2).
    if let Some(aka) = claims.get("aka_vcts") {
        let ok = aka.as_array().is_some_and(|list| {
            !list.is_empty()
                && list
                    .iter()
                    .all(|v| v.as_str().is_some_and(|s| s != vct.as_str()))
        });
        if !ok {
            return Err(SdJwtError::VcClaim("aka_vcts"));
        }
    }
    let status = match claims.get("status") {
        None => None,
        Some(v @ Value::Object(_)) => Some(v.clone()),
        Some(_) => return Err(SdJwtError::VcClaim("status")),
    };
    if let Some(expected) = metadata_issuer
        && issuer.as_deref() != Some(expected.as_str())
    {
        return Err(SdJwtError::IssuerMismatch {
            metadata: expected,
            iss: issuer.unwrap_or_default(),
        });
    }
    if let Some(tm) = options.type_metadata {
        if tm.vct() != vct {
            return Err(SdJwtError::TypeMetadata(format!(
                "metadata is for vct {:?}, credential has {:?}",
                tm.vct(),
                vct
            )));
        }
        tm.check_credential(
            verified.claims(),
            verified.claim_records().unwrap_or_default(),
        )?;
    }
    Ok(VerifiedSdJwtVc {
        sd_jwt: verified,
        vct,
        vct_integrity,
        issuer,
        status,
        untrusted_x5c,
    })
}

fn check_typ(header: &JwsHeader, legacy: bool) -> Result<(), SdJwtError> {
    match header.require_typ("dc+sd-jwt") {
        Ok(()) => Ok(()),
        Err(_) if legacy && header.require_typ("vc+sd-jwt").is_ok() => Ok(()),
        Err(e) => Err(SdJwtError::Jose {
            context: "SD-JWT VC header",
            source: e,
        }),
    }
}

/// Picks the issuer key from JWT VC Issuer Metadata (draft section 4).
fn key_from_metadata(
    doc: &Value,
    header: &JwsHeader,
    payload: &Map<String, Value>,
) -> Result<(String, PublicJwk), SdJwtError> {
    let issuer = doc
        .get("issuer")
        .and_then(Value::as_str)
        .ok_or_else(|| SdJwtError::IssuerKey("metadata has no string \"issuer\"".into()))?;
    let iss = payload
        .get("iss")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if issuer != iss {
        return Err(SdJwtError::IssuerMismatch {
            metadata: issuer.chars().take(256).collect(),
            iss: iss.chars().take(256).collect(),
        });
    }
    let keys = match (doc.get("jwks"), doc.get("jwks_uri")) {
        (Some(_), Some(_)) => {
            return Err(SdJwtError::IssuerKey(
                "metadata has both jwks and jwks_uri".into(),
            ));
        }
        (None, Some(_)) => {
            return Err(SdJwtError::IssuerKey(
                "metadata has jwks_uri: the caller must fetch it and pass jwks".into(),
            ));
        }
        (None, None) => return Err(SdJwtError::IssuerKey("metadata has no jwks".into())),
        (Some(jwks), None) => jwks
            .get("keys")
            .and_then(Value::as_array)
            .ok_or_else(|| SdJwtError::IssuerKey("jwks has no \"keys\" array".into()))?,
    };
    let chosen = match header.kid() {
        Some(kid) => keys
            .iter()
            .find(|k| k.get("kid").and_then(Value::as_str) == Some(kid))
            .ok_or_else(|| {
                SdJwtError::IssuerKey(format!(
                    "no key with kid {:?}",
                    kid.chars().take(64).collect::<String>()
                ))
            })?,
        None => match keys.as_slice() {
            [only] => only,
            _ => {
                return Err(SdJwtError::IssuerKey(
                    "no kid header and more than one key".into(),
                ));
            }
        },
    };
    let key = PublicJwk::from_json(chosen).map_err(|e| SdJwtError::IssuerKey(e.to_string()))?;
    Ok((issuer.to_owned(), key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kakehashi_jose::JwsHeader;
    use serde_json::json;

    fn header(v: Value) -> JwsHeader {
        JwsHeader::from_members(v.as_object().unwrap().clone(), &[]).unwrap()
    }

    #[test]
    fn metadata_key_selection() {
        let k1 = json!({"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"k1"});
        let k2 = json!({"kty":"OKP","crv":"Ed25519","x":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","kid":"k2"});
        let doc = json!({"issuer": "https://i.example", "jwks": {"keys": [k1, k2]}});
        let payload = json!({"iss": "https://i.example"})
            .as_object()
            .unwrap()
            .clone();
        let h = header(json!({"alg":"EdDSA","kid":"k2"}));
        let (_, key) = key_from_metadata(&doc, &h, &payload).unwrap();
        assert_eq!(key.kid(), Some("k2"));
        let no_kid = header(json!({"alg":"EdDSA"}));
        assert!(matches!(
            key_from_metadata(&doc, &no_kid, &payload),
            Err(SdJwtError::IssuerKey(_))
        ));
        let unknown = header(json!({"alg":"EdDSA","kid":"k9"}));
        assert!(matches!(
            key_from_metadata(&doc, &unknown, &payload),
            Err(SdJwtError::IssuerKey(_))
        ));
        let other = json!({"iss": "https://evil.example"})
            .as_object()
            .unwrap()
            .clone();
        assert!(matches!(
            key_from_metadata(&doc, &h, &other),
            Err(SdJwtError::IssuerMismatch { .. })
        ));
        let both =
            json!({"issuer": "https://i.example", "jwks": {"keys": []}, "jwks_uri": "https://x"});
        assert!(matches!(
            key_from_metadata(&both, &h, &payload),
            Err(SdJwtError::IssuerKey(_))
        ));
    }

    #[test]
    fn typ_rules() {
        assert!(check_typ(&header(json!({"alg":"ES256","typ":"dc+sd-jwt"})), false).is_ok());
        assert!(check_typ(&header(json!({"alg":"ES256","typ":"vc+sd-jwt"})), false).is_err());
        assert!(check_typ(&header(json!({"alg":"ES256","typ":"vc+sd-jwt"})), true).is_ok());
        assert!(check_typ(&header(json!({"alg":"ES256"})), true).is_err());
    }
}
