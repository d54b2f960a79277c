//! DPoP proofs (RFC 9449): validation on the token and credential endpoints, creation on the
//! wallet side. Checks follow RFC 9449 section 4.3 in order; the `jti` is returned so the
//! caller records it (replay protection needs storage, which this crate does not have).

use kakehashi_core::{JsonLimits, UnixTime, b64};
use kakehashi_crypto::{CryptoProvider, HashAlgorithm, PublicJwk, Signer};
use kakehashi_jose::{UnverifiedJws, numeric_date, sign_compact};
use serde_json::{Map, Value};

use crate::Oid4vciError;
use crate::oauth::constant_time_eq;

/// `typ` of a DPoP proof.
pub const DPOP_TYP: &str = "dpop+jwt";
/// A DPoP proof is a small JWT; anything larger is refused before parsing.
pub const MAX_DPOP_LEN: usize = 8 * 1024;

/// What the endpoint expects of the proof.
#[derive(Debug, Clone, Copy)]
pub struct DpopCheck<'a> {
    /// The HTTP method of the request (`POST`).
    pub method: &'a str,
    /// The request URL as the server sees it (query and fragment ignored).
    pub url: &'a str,
    /// The current time.
    pub now: UnixTime,
    /// How old an `iat` may be, in seconds (e.g. 300).
    pub max_age_seconds: i64,
    /// Tolerated clock skew into the future, in seconds.
    pub skew_seconds: i64,
    /// The server nonce the proof must carry, when the server requires one.
    pub expected_nonce: Option<&'a str>,
    /// At resource endpoints: the access token, whose hash must be `ath`.
    pub access_token: Option<&'a str>,
    /// At resource endpoints: the `jkt` the token is bound to.
    pub bound_jkt: Option<&'a str>,
    /// `dpop_signing_alg_values_supported`; empty = every algorithm the provider allows.
    pub allowed_algorithms: &'a [&'a str],
}

/// A DPoP proof that passed every check.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidatedDpop {
    /// The proof key.
    pub key: PublicJwk,
    /// RFC 7638 SHA-256 thumbprint of the key: the token's `cnf.jkt`.
    pub jkt: String,
    /// The proof's `jti`: record it until `iat + max_age` and refuse repeats.
    pub jti: String,
    /// The proof's `iat`.
    pub iat: UnixTime,
}

/// Validates a DPoP proof (RFC 9449 section 4.3).
pub fn validate_dpop_proof(
    proof: &str,
    check: &DpopCheck<'_>,
    provider: &CryptoProvider,
) -> Result<ValidatedDpop, Oid4vciError> {
    let resource_server = check.access_token.is_some();
    let invalid = |reason: &str| Oid4vciError::InvalidDpopProof {
        reason: reason.to_owned(),
        resource_server,
    };
    if proof.len() > MAX_DPOP_LEN {
        return Err(invalid("too large"));
    }
    let jws = UnverifiedJws::parse_compact_with(proof, JsonLimits::DEFAULT, &[])
        .map_err(|e| invalid(&e.to_string()))?;
    let header = jws.header();
    header
        .require_typ(DPOP_TYP)
        .map_err(|e| invalid(&e.to_string()))?;
    let alg = header.algorithm().jose_name();
    if !check.allowed_algorithms.is_empty() && !check.allowed_algorithms.contains(&alg) {
        return Err(invalid(
            "algorithm not in dpop_signing_alg_values_supported",
        ));
    }
    let key = header
        .jwk()
        .map_err(|e| invalid(&e.to_string()))?
        .ok_or_else(|| invalid("missing jwk header"))?;
    let verified = jws
        .verify(provider, &key)
        .map_err(|e| invalid(&e.to_string()))?;
    let claims = verified
        .claims(JsonLimits::DEFAULT)
        .map_err(|e| invalid(&e.to_string()))?;
    let text = |name: &'static str| -> Result<&str, Oid4vciError> {
        claims
            .get(name)
            .and_then(Value::as_str)
            .ok_or_else(|| invalid(&format!("missing or non-string {name}")))
    };
    let jti = text("jti")?;
    if jti.is_empty() || jti.len() > 256 {
        return Err(invalid("jti length"));
    }
    if text("htm")? != check.method {
        return Err(invalid("htm does not match the request method"));
    }
    if normalize_htu(text("htu")?) != normalize_htu(check.url) {
        return Err(invalid("htu does not match the request URL"));
    }
    let iat = numeric_date(&claims, "iat")
        .map_err(|e| invalid(&e.to_string()))?
        .ok_or_else(|| invalid("missing iat"))?;
    if iat > check.now.saturating_add(check.skew_seconds)
        || iat < check.now.saturating_sub(check.max_age_seconds)
    {
        return Err(invalid("iat outside the acceptable window"));
    }
    if let Some(expected) = check.expected_nonce {
        match claims.get("nonce").and_then(Value::as_str) {
            Some(n) if constant_time_eq(n.as_bytes(), expected.as_bytes()) => {}
            _ => return Err(Oid4vciError::UseDpopNonce { resource_server }),
        }
    }
    if let Some(token) = check.access_token {
        let ath = b64::encode(provider.digest(HashAlgorithm::Sha256, token.as_bytes()));
        if claims.get("ath").and_then(Value::as_str) != Some(ath.as_str()) {
            return Err(invalid("ath does not match the access token"));
        }
    }
    let jkt = key.thumbprint(provider, HashAlgorithm::Sha256);
    if let Some(bound) = check.bound_jkt
        && !constant_time_eq(bound.as_bytes(), jkt.as_bytes())
    {
        return Err(invalid("proof key is not the key the token is bound to"));
    }
    Ok(ValidatedDpop {
        key,
        jkt,
        jti: jti.to_owned(),
        iat,
    })
}

/// The URL without query and fragment, scheme and host lower-cased, default port dropped
/// (RFC 9449 section 4.3 point 9, RFC 3986 section 6.2.2 / 6.2.3).
pub fn normalize_htu(url: &str) -> String {
    let url = url.split(['?', '#']).next().unwrap_or(url);
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let scheme = scheme.to_ascii_lowercase();
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, "/"),
    };
    let mut authority = authority.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "https" => ":443",
        "http" => ":80",
        _ => "",
    };
    if !default_port.is_empty() && authority.ends_with(default_port) {
        authority.truncate(authority.len() - default_port.len());
    }
    format!("{scheme}://{authority}{path}")
}

/// What a wallet puts in one DPoP proof.
#[derive(Debug, Clone, Copy)]
pub struct DpopClaims<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// Request URL (query and fragment are stripped).
    pub url: &'a str,
    /// Issued-at.
    pub iat: UnixTime,
    /// Unique id from the caller's randomness.
    pub jti: &'a str,
    /// Server nonce, if one was received in `DPoP-Nonce`.
    pub nonce: Option<&'a str>,
    /// The access token, for resource requests (`ath`).
    pub access_token: Option<&'a str>,
}

/// Creates a DPoP proof signed by `signer` with its public key in the `jwk` header.
pub fn create_dpop_proof(
    signer: &dyn Signer,
    claims: &DpopClaims<'_>,
    provider: &CryptoProvider,
) -> Result<String, Oid4vciError> {
    let mut header = Map::new();
    header.insert("typ".into(), DPOP_TYP.into());
    let mut jwk = signer.public_jwk().to_json();
    if let Some(obj) = jwk.as_object_mut() {
        obj.remove("kid");
    }
    header.insert("jwk".into(), jwk);
    let mut payload = Map::new();
    payload.insert("jti".into(), claims.jti.into());
    payload.insert("htm".into(), claims.method.into());
    let htu = claims.url.split(['?', '#']).next().unwrap_or(claims.url);
    payload.insert("htu".into(), htu.into());
    payload.insert("iat".into(), claims.iat.seconds().into());
    if let Some(n) = claims.nonce {
        payload.insert("nonce".into(), n.into());
    }
    if let Some(t) = claims.access_token {
        let ath = b64::encode(provider.digest(HashAlgorithm::Sha256, t.as_bytes()));
        payload.insert("ath".into(), ath.into());
    }
    let payload = Value::Object(payload).to_string();
    sign_compact(header, payload.as_bytes(), signer).map_err(|e| Oid4vciError::InvalidDpopProof {
        reason: e.to_string(),
        resource_server: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use kakehashi_crypto::SignatureAlgorithm;
    use kakehashi_crypto_aws_lc::{SoftwareSigner, provider};

    const NOW: UnixTime = UnixTime(1_790_000_000);
    const URL: &str = "https://issuer.example/credential";

    fn check<'a>() -> DpopCheck<'a> {
        DpopCheck {
            method: "POST",
            url: URL,
            now: NOW,
            max_age_seconds: 300,
            skew_seconds: 5,
            expected_nonce: None,
            access_token: None,
            bound_jkt: None,
            allowed_algorithms: &["ES256"],
        }
    }

    fn proof(signer: &SoftwareSigner, f: impl FnOnce(&mut DpopClaims<'_>)) -> String {
        let mut c = DpopClaims {
            method: "POST",
            url: "https://issuer.example/credential?x=1#frag",
            iat: NOW,
            jti: "jti-1",
            nonce: None,
            access_token: None,
        };
        f(&mut c);
        create_dpop_proof(signer, &c, &provider()).unwrap()
    }

    #[test]
    fn valid_proof_returns_jkt_and_jti() {
        let p = provider();
        let s = SoftwareSigner::generate(SignatureAlgorithm::Es256).unwrap();
        let v = validate_dpop_proof(&proof(&s, |_| {}), &check(), &p).unwrap();
        assert_eq!(v.jti, "jti-1");
        assert_eq!(v.jkt, s.public_jwk().thumbprint(&p, HashAlgorithm::Sha256));
        // Query and fragment are ignored, host case and default port too.
        let mut c = check();
        c.url = "HTTPS://Issuer.Example:443/credential?other=2";
        assert!(validate_dpop_proof(&proof(&s, |_| {}), &c, &p).is_ok());
    }

    #[test]
    fn every_check_refuses() {
        let p = provider();
        let s = SoftwareSigner::generate(SignatureAlgorithm::Es256).unwrap();
        let bad = |proof: &str, c: &DpopCheck<'_>| validate_dpop_proof(proof, c, &p).unwrap_err();
        assert!(matches!(
            bad(&proof(&s, |c| c.method = "GET"), &check()),
            Oid4vciError::InvalidDpopProof { .. }
        ));
        assert!(matches!(
            bad(
                &proof(&s, |c| c.url = "https://issuer.example/token"),
                &check()
            ),
            Oid4vciError::InvalidDpopProof { .. }
        ));
        assert!(matches!(
            bad(&proof(&s, |c| c.iat = NOW.saturating_sub(301)), &check()),
            Oid4vciError::InvalidDpopProof { .. }
        ));
        assert!(matches!(
            bad(&proof(&s, |c| c.iat = NOW.saturating_add(6)), &check()),
            Oid4vciError::InvalidDpopProof { .. }
        ));
        let mut c = check();
        c.expected_nonce = Some("server-nonce");
        assert_eq!(
            bad(&proof(&s, |_| {}), &c),
            Oid4vciError::UseDpopNonce {
                resource_server: false
            }
        );
        assert_eq!(
            bad(&proof(&s, |x| x.nonce = Some("old")), &c),
            Oid4vciError::UseDpopNonce {
                resource_server: false
            }
        );
        assert!(
            validate_dpop_proof(&proof(&s, |x| x.nonce = Some("server-nonce")), &c, &p).is_ok()
        );
        // Resource request: ath and jkt binding.
        let mut c = check();
        c.access_token = Some("token-1");
        let e = bad(&proof(&s, |_| {}), &c);
        assert_eq!(e.wire(), (401, "invalid_dpop_proof"));
        assert!(
            validate_dpop_proof(&proof(&s, |x| x.access_token = Some("token-1")), &c, &p).is_ok()
        );
        assert!(
            validate_dpop_proof(&proof(&s, |x| x.access_token = Some("token-2")), &c, &p).is_err()
        );
        let other = SoftwareSigner::generate(SignatureAlgorithm::Es256).unwrap();
        let jkt = other.public_jwk().thumbprint(&p, HashAlgorithm::Sha256);
        c.bound_jkt = Some(&jkt);
        assert!(
            validate_dpop_proof(&proof(&s, |x| x.access_token = Some("token-1")), &c, &p).is_err()
        );
        // Algorithm policy.
        let ed = SoftwareSigner::generate(SignatureAlgorithm::EdDsa).unwrap();
        assert!(validate_dpop_proof(&proof(&ed, |_| {}), &check(), &p).is_err());
    }

    #[test]
    fn header_rules() {
        let p = provider();
        let s = SoftwareSigner::generate(SignatureAlgorithm::Es256).unwrap();
        let good = proof(&s, |_| {});
        let parts: Vec<&str> = good.split('.').collect();
        let mut header: Map<String, Value> =
            serde_json::from_slice(&b64::decode(parts[0]).unwrap()).unwrap();
        let resign = |header: &Map<String, Value>| {
            let input = kakehashi_jose::signing_input(header, &b64::decode(parts[1]).unwrap());
            kakehashi_jose::sign_compact_with(&input, &s).unwrap()
        };
        let mut h = header.clone();
        h.insert("typ".into(), "JWT".into());
        assert!(validate_dpop_proof(&resign(&h), &check(), &p).is_err());
        let mut h = header.clone();
        h.remove("jwk");
        assert!(validate_dpop_proof(&resign(&h), &check(), &p).is_err());
        // A jwk other than the signing key: signature fails.
        let other = SoftwareSigner::generate(SignatureAlgorithm::Es256).unwrap();
        header.insert("jwk".into(), other.public_jwk().to_json());
        assert!(validate_dpop_proof(&resign(&header), &check(), &p).is_err());
        assert!(validate_dpop_proof(&"a".repeat(MAX_DPOP_LEN + 1), &check(), &p).is_err());
    }
}
