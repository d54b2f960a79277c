//! Securing credentials and presentations as `vc+jwt` / `vp+jwt`.
//!
//! The credential JSON is the JWT payload as-is (VC-JOSE-COSE: no `vc` wrapper). The data
//! model is checked before signing so an issuer never signs what a verifier would refuse.

use kakehashi_core::UnixTime;
use kakehashi_crypto::Signer;
use kakehashi_jose::{JoseError, sign_compact};
use serde_json::{Map, Value, json};

use crate::error::VcError;
use crate::model::{
    BASE_CONTEXT, PresentedCredential, check_credential_structure, check_presentation,
};
use crate::verify::{VC_JWT_TYP, VP_JWT_TYP};

/// Signs `credential` as a compact `vc+jwt`.
///
/// `header_extras` are added to the protected header (e.g. `kid`, `x5c`); `alg` comes from
/// the signer and `typ`/`cty` are always `vc+jwt`/`vc`. A `kid` on the signer's key is used
/// when the extras have none; the signer's certificate chain becomes `x5c`.
pub fn issue_vc_jwt(
    credential: &Value,
    signer: &dyn Signer,
    header_extras: Map<String, Value>,
) -> Result<String, VcError> {
    let view = check_credential_structure(credential)?;
    refuse_wrappers(view.document())?;
    if let Some(iss) = view.document().get("iss")
        && iss.as_str() != Some(view.issuer())
    {
        return Err(VcError::IssuerMismatch {
            property: "issuer",
            iss: iss.to_string(),
            expected: view.issuer().to_owned(),
        });
    }
    let header = header(header_extras, signer, VC_JWT_TYP, "vc");
    sign(header, credential, signer)
}

/// The holder-binding claims of a `vp+jwt` (OpenID4VP `jwt_vc_json` style).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresentationClaims {
    /// The verifier's nonce, echoed as `nonce`.
    pub nonce: String,
    /// The verifier's identifier, as `aud`.
    pub audience: String,
    /// `iat`.
    pub issued_at: UnixTime,
    /// `exp`, if the presentation should expire.
    pub expires_at: Option<UnixTime>,
}

/// Signs `presentation` as a compact `vp+jwt` with `nonce`, `aud`, `iat` (and `exp`).
///
/// Every `verifiableCredential` entry must be an `EnvelopedVerifiableCredential`
/// (VC-JOSE-COSE: credentials in a secured presentation are secured themselves).
pub fn issue_vp_jwt(
    presentation: &Value,
    signer: &dyn Signer,
    claims: &PresentationClaims,
    header_extras: Map<String, Value>,
) -> Result<String, VcError> {
    let view = check_presentation(presentation)?;
    refuse_wrappers(view.document())?;
    for (index, presented) in view.credentials().iter().enumerate() {
        if let PresentedCredential::Embedded(_) = presented {
            return Err(VcError::PresentedCredential {
                index,
                source: Box::new(VcError::UnsecuredCredentialInPresentation),
            });
        }
    }
    let mut payload = view.document().clone();
    payload.insert("nonce".into(), claims.nonce.clone().into());
    payload.insert("aud".into(), claims.audience.clone().into());
    payload.insert("iat".into(), claims.issued_at.seconds().into());
    if let Some(exp) = claims.expires_at {
        payload.insert("exp".into(), exp.seconds().into());
    }
    let header = header(header_extras, signer, VP_JWT_TYP, "vp");
    sign(header, &Value::Object(payload), signer)
}

/// Wraps a `vc+jwt` as an `EnvelopedVerifiableCredential` for a presentation.
pub fn envelope_vc_jwt(vc_jwt: &str) -> Value {
    json!({
        "@context": BASE_CONTEXT,
        "id": format!("data:application/vc+jwt,{vc_jwt}"),
        "type": "EnvelopedVerifiableCredential",
    })
}

fn refuse_wrappers(document: &Map<String, Value>) -> Result<(), VcError> {
    for name in ["vc", "vp"] {
        if document.contains_key(name) {
            return Err(VcError::LegacyJwtClaim(name));
        }
    }
    Ok(())
}

fn header(
    mut extras: Map<String, Value>,
    signer: &dyn Signer,
    typ: &str,
    cty: &str,
) -> Map<String, Value> {
    if !extras.contains_key("kid")
        && let Some(kid) = signer.public_jwk().kid()
    {
        extras.insert("kid".into(), kid.into());
    }
    extras.insert("typ".into(), typ.into());
    extras.insert("cty".into(), cty.into());
    extras
}

fn sign(
    header: Map<String, Value>,
    payload: &Value,
    signer: &dyn Signer,
) -> Result<String, VcError> {
    let bytes = payload.to_string().into_bytes();
    sign_compact(header, &bytes, signer).map_err(|e| match e {
        JoseError::Crypto(c) => VcError::Signing(c),
        other => VcError::Jose(other),
    })
}
