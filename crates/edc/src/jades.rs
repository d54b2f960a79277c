//! The JAdES seal of an EDC (ETSI TS 119 182-1): a JWS JSON serialization with the credential
//! as an unencoded payload (RFC 7797), the seal certificate in `x5c`, the claimed signing time
//! in `sigT`.
//!
//! What is checked: the signature with the `x5c` leaf key (RS256, ES256 or ES384), `b64`
//! false and critical, `x5t#S256` against the leaf, `sigT` as RFC 3339. What is understood but
//! not verified: `adoTst` (content time-stamp tokens, RFC 3161) and the unprotected `etsiU`
//! properties: they can only add evidence, never change what the signature covers, and the
//! decision does not use them; the report lists them as not checked. Any other critical
//! parameter (`sigD` detached references, for one) is refused.

use kakehashi_core::{JsonLimits, UnixTime};
use kakehashi_crypto::{HashAlgorithm, SealAlgorithm, SealKey, SealVerifier};
use kakehashi_jose::UnverifiedUnencodedJws;
use kakehashi_trust::x509::{CertificateInfo, inspect_certificate};
use serde_json::{Map, Value};

use crate::EdcError;

/// The critical header parameters this verifier processes (besides `b64`).
pub const UNDERSTOOD_CRITICAL: &[&str] = &["sigT", "adoTst"];

/// A seal whose signature verified with its `x5c` leaf. The chain is not trusted yet: that is
/// [`crate::evaluate_trust`]'s decision.
#[derive(Debug, Clone)]
pub struct VerifiedSeal {
    /// The algorithm that verified.
    pub algorithm: SealAlgorithm,
    /// The claimed signing time (`sigT`).
    pub signing_time: UnixTime,
    /// The `x5c` chain, DER, leaf first (untrusted).
    pub chain: Vec<Vec<u8>>,
    /// The leaf certificate's content.
    pub signer: CertificateInfo,
    /// The `crit` names.
    pub critical: Vec<String>,
    /// Number of `adoTst` time-stamp tokens (carried, not verified).
    pub content_time_stamps: usize,
    /// Number of `etsiU` unsigned properties (carried, not verified).
    pub unsigned_properties: usize,
    /// The authenticated credential JSON.
    pub payload: Value,
}

/// Verifies a sealed EDC (the parsed JWS JSON) and returns the authenticated credential.
pub fn verify_seal(
    jws: &Value,
    verifier: &SealVerifier,
    limits: JsonLimits,
) -> Result<VerifiedSeal, EdcError> {
    let parsed = UnverifiedUnencodedJws::parse_json(jws, limits, UNDERSTOOD_CRITICAL)?;
    let protected = parsed.protected();
    let signing_time = protected
        .get("sigT")
        .and_then(Value::as_str)
        .and_then(|t| UnixTime::parse_rfc3339(t).ok())
        .ok_or(EdcError::HeaderParameter("sigT"))?;
    let content_time_stamps = time_stamp_tokens(protected)?;
    let unsigned_properties = match parsed.unprotected().get("etsiU") {
        None => 0,
        Some(Value::Array(a)) => a.len(),
        Some(_) => return Err(EdcError::HeaderParameter("etsiU")),
    };
    let critical: Vec<String> = protected
        .get("crit")
        .and_then(Value::as_array)
        .map(|c| {
            c.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let chain = parsed.x5c()?;
    let leaf = chain
        .first()
        .ok_or_else(|| EdcError::Certificate("no x5c: the seal names no certificate".into()))?;
    if let Some(x5t) = protected.get("x5t#S256") {
        let expected =
            kakehashi_core::b64::encode(verifier.provider.digest(HashAlgorithm::Sha256, leaf));
        if x5t.as_str() != Some(expected.as_str()) {
            return Err(EdcError::ThumbprintMismatch);
        }
    }
    let key =
        SealKey::from_certificate_der(leaf).map_err(|e| EdcError::Certificate(e.to_string()))?;
    let signer = inspect_certificate(leaf).map_err(|e| EdcError::Certificate(e.to_string()))?;
    let verified = parsed.verify(verifier, &key)?;
    let payload = kakehashi_core::json::parse_limited(verified.payload().as_bytes(), limits)?;
    Ok(VerifiedSeal {
        algorithm: verified.algorithm(),
        signing_time,
        chain,
        signer,
        critical,
        content_time_stamps,
        unsigned_properties,
        payload,
    })
}

/// `adoTst` shape: `{"tstTokens": [{"val": base64}, …]}`; returns the token count.
fn time_stamp_tokens(protected: &Map<String, Value>) -> Result<usize, EdcError> {
    let Some(ado) = protected.get("adoTst") else {
        return Ok(0);
    };
    let tokens = ado
        .get("tstTokens")
        .and_then(Value::as_array)
        .filter(|t| !t.is_empty())
        .ok_or(EdcError::HeaderParameter("adoTst"))?;
    if tokens
        .iter()
        .any(|t| t.get("val").and_then(Value::as_str).is_none())
    {
        return Err(EdcError::HeaderParameter("adoTst"));
    }
    Ok(tokens.len())
}
