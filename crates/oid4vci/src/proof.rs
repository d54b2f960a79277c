//! Key proofs of type `jwt` (OpenID4VCI 1.0 Appendix F.1): validation at the Credential
//! Endpoint, creation in the wallet.
//!
//! A proof proves possession of the key the credential will be bound to. Checks: `typ`
//! `openid4vci-proof+jwt`; `alg` among the configuration's `proof_signing_alg_values_supported`;
//! exactly one of `jwk`, `kid` (`did:jwk` only) and `x5c`; signature; `aud` = the Credential
//! Issuer Identifier; `iat` within a window; `iss` = the client id when present (and absent
//! with anonymous pre-authorized access); `nonce` = a `c_nonce` the issuer issued. Nonces are
//! consumed only after every proof in the request verified, so a forged request cannot burn a
//! wallet's nonce.

use std::collections::BTreeSet;

use kakehashi_core::{JsonLimits, UnixTime};
use kakehashi_crypto::{CryptoProvider, HashAlgorithm, PublicJwk, Signer};
use kakehashi_jose::{UnverifiedJws, numeric_date, sign_compact};
use serde_json::{Map, Value};

use crate::Oid4vciError;
use crate::credential::Proofs;

/// `typ` of a JWT key proof.
pub const PROOF_TYP: &str = "openid4vci-proof+jwt";
/// A key proof is a small JWT (an `x5c` chain makes it a few KiB).
pub const MAX_PROOF_LEN: usize = 16 * 1024;

/// What the issuer expects of the key proofs of one Credential Request.
#[derive(Debug, Clone, Copy)]
pub struct ProofCheck<'a> {
    /// The Credential Issuer Identifier (`aud`).
    pub credential_issuer: &'a str,
    /// The client id the access token was issued to; `None` for anonymous pre-authorized
    /// access, in which case `iss` must be absent.
    pub client_id: Option<&'a str>,
    /// The current time.
    pub now: UnixTime,
    /// How old `iat` may be, in seconds.
    pub max_age_seconds: i64,
    /// Tolerated clock skew into the future.
    pub skew_seconds: i64,
    /// The configuration's `proof_signing_alg_values_supported`.
    pub allowed_algorithms: &'a [&'a str],
    /// Whether proofs must carry a `c_nonce` (the issuer has a Nonce Endpoint).
    pub nonce_required: bool,
    /// `batch_size`, or 1 without batch issuance.
    pub max_proofs: usize,
}

/// Where a holder key came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HolderKeySource {
    /// The `jwk` header.
    Jwk,
    /// A `did:jwk` in `kid`.
    DidJwk(String),
    /// The leaf of the `x5c` chain (DER, leaf first); the chain is not yet trusted.
    X5c(Vec<Vec<u8>>),
}

/// A proven holder key to bind one credential to.
#[derive(Debug, Clone, PartialEq)]
pub struct HolderKey {
    /// The public key.
    pub key: PublicJwk,
    /// Where it came from.
    pub source: HolderKeySource,
    /// The proof's `nonce`.
    pub nonce: Option<String>,
}

/// Validates the `proofs` of a Credential Request and returns one holder key per proof.
/// `consume_nonce` is called once per distinct `nonce` after all signatures verified; it
/// returns true when the nonce was issued by this issuer and is still valid (and marks it
/// used if the issuer's policy is single use).
pub fn validate_proofs(
    proofs: &Proofs,
    check: &ProofCheck<'_>,
    consume_nonce: &mut dyn FnMut(&str) -> bool,
    provider: &CryptoProvider,
) -> Result<Vec<HolderKey>, Oid4vciError> {
    let jwts = match proofs {
        Proofs::Jwt(jwts) => jwts,
        Proofs::Attestation(_) => {
            return Err(Oid4vciError::InvalidProof(
                "proof type attestation is not supported".into(),
            ));
        }
    };
    if jwts.is_empty() {
        return Err(Oid4vciError::InvalidProof("no proofs".into()));
    }
    if jwts.len() > check.max_proofs {
        return Err(Oid4vciError::InvalidProof(format!(
            "{} proofs exceed the batch size {}",
            jwts.len(),
            check.max_proofs
        )));
    }
    let keys = jwts
        .iter()
        .map(|jwt| validate_jwt_proof(jwt, check, provider))
        .collect::<Result<Vec<_>, _>>()?;
    let distinct: BTreeSet<String> = keys
        .iter()
        .map(|k| k.key.thumbprint(provider, HashAlgorithm::Sha256))
        .collect();
    if distinct.len() != keys.len() {
        return Err(Oid4vciError::InvalidProof(
            "the same key is proven twice".into(),
        ));
    }
    let nonces: BTreeSet<&str> = keys.iter().filter_map(|k| k.nonce.as_deref()).collect();
    for nonce in nonces {
        if !consume_nonce(nonce) {
            return Err(Oid4vciError::InvalidNonce);
        }
    }
    Ok(keys)
}

/// Validates one JWT key proof.
pub fn validate_jwt_proof(
    jwt: &str,
    check: &ProofCheck<'_>,
    provider: &CryptoProvider,
) -> Result<HolderKey, Oid4vciError> {
    let invalid = |r: &str| Oid4vciError::InvalidProof(r.to_owned());
    if jwt.len() > MAX_PROOF_LEN {
        return Err(invalid("too large"));
    }
    let jws = UnverifiedJws::parse_compact_with(jwt, JsonLimits::DEFAULT, &[])
        .map_err(|e| invalid(&e.to_string()))?;
    let header = jws.header();
    header
        .require_typ(PROOF_TYP)
        .map_err(|e| invalid(&e.to_string()))?;
    if !check
        .allowed_algorithms
        .contains(&header.algorithm().jose_name())
    {
        return Err(invalid("alg not in proof_signing_alg_values_supported"));
    }
    if header.member("trust_chain").is_some() || header.member("key_attestation").is_some() {
        return Err(invalid("trust_chain / key_attestation are not supported"));
    }
    let jwk = header.jwk().map_err(|e| invalid(&e.to_string()))?;
    let x5c = header.x5c().map_err(|e| invalid(&e.to_string()))?;
    let (key, source) = match (jwk, header.kid(), x5c.first()) {
        (Some(jwk), None, None) => (jwk, HolderKeySource::Jwk),
        (None, Some(kid), None) => (did_jwk_key(kid)?, HolderKeySource::DidJwk(kid.to_owned())),
        (None, None, Some(leaf)) => (
            PublicJwk::from_certificate_der(leaf).map_err(|e| invalid(&e.to_string()))?,
            HolderKeySource::X5c(x5c.clone()),
        ),
        _ => return Err(invalid("exactly one of jwk, kid and x5c is required")),
    };
    let verified = jws
        .verify(provider, &key)
        .map_err(|e| invalid(&e.to_string()))?;
    let claims = verified
        .claims(JsonLimits::DEFAULT)
        .map_err(|e| invalid(&e.to_string()))?;
    match claims.get("aud") {
        Some(Value::String(aud)) if aud == check.credential_issuer => {}
        _ => return Err(invalid("aud is not the credential issuer")),
    }
    let iat = numeric_date(&claims, "iat")
        .map_err(|e| invalid(&e.to_string()))?
        .ok_or_else(|| invalid("missing iat"))?;
    if iat > check.now.saturating_add(check.skew_seconds)
        || iat < check.now.saturating_sub(check.max_age_seconds)
    {
        return Err(invalid("iat outside the acceptable window"));
    }
    match (claims.get("iss"), check.client_id) {
        (None, _) => {}
        (Some(Value::String(iss)), Some(client)) if iss == client => {}
        (Some(_), None) => {
            return Err(invalid(
                "iss must be omitted with anonymous pre-authorized access",
            ));
        }
        (Some(_), Some(_)) => return Err(invalid("iss is not the client_id")),
    }
    let nonce = match claims.get("nonce") {
        None if check.nonce_required => return Err(invalid("missing nonce")),
        None => None,
        Some(Value::String(n)) => Some(n.clone()),
        Some(_) => return Err(invalid("nonce must be a string")),
    };
    Ok(HolderKey { key, source, nonce })
}

/// Resolves a `did:jwk` (optionally with `#0`) to its key; a bad one is an `invalid_proof`.
pub fn did_jwk_key(did: &str) -> Result<PublicJwk, Oid4vciError> {
    PublicJwk::from_did_jwk(did).map_err(|e| Oid4vciError::InvalidProof(e.to_string()))
}

/// The `did:jwk` of a key.
pub fn did_jwk_of(key: &PublicJwk) -> String {
    key.to_did_jwk()
}

/// How the wallet names its key in a proof.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProofKeyReference {
    /// `jwk` header.
    Jwk,
    /// `kid: did:jwk:…#0`.
    DidJwk,
}

/// The claims of a wallet's key proof.
#[derive(Debug, Clone, Copy)]
pub struct ProofClaims<'a> {
    /// The Credential Issuer Identifier.
    pub credential_issuer: &'a str,
    /// The wallet's client id; `None` with anonymous pre-authorized access.
    pub client_id: Option<&'a str>,
    /// The `c_nonce` from the Nonce Endpoint.
    pub nonce: Option<&'a str>,
    /// Issued-at.
    pub iat: UnixTime,
}

/// Creates a JWT key proof (wallet side).
pub fn create_jwt_proof(
    signer: &dyn Signer,
    claims: &ProofClaims<'_>,
    reference: ProofKeyReference,
) -> Result<String, Oid4vciError> {
    let mut header = Map::new();
    header.insert("typ".into(), PROOF_TYP.into());
    match reference {
        ProofKeyReference::Jwk => {
            let mut jwk = signer.public_jwk().to_json();
            if let Some(obj) = jwk.as_object_mut() {
                obj.remove("kid");
            }
            header.insert("jwk".into(), jwk);
        }
        ProofKeyReference::DidJwk => {
            header.insert(
                "kid".into(),
                format!("{}#0", did_jwk_of(signer.public_jwk())).into(),
            );
        }
    }
    let mut payload = Map::new();
    payload.insert("aud".into(), claims.credential_issuer.into());
    payload.insert("iat".into(), claims.iat.seconds().into());
    if let Some(iss) = claims.client_id {
        payload.insert("iss".into(), iss.into());
    }
    if let Some(n) = claims.nonce {
        payload.insert("nonce".into(), n.into());
    }
    let payload = Value::Object(payload).to_string();
    sign_compact(header, payload.as_bytes(), signer)
        .map_err(|e| Oid4vciError::InvalidProof(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kakehashi_core::b64;
    use kakehashi_crypto::SignatureAlgorithm;
    use kakehashi_crypto_aws_lc::{SoftwareSigner, provider};

    const NOW: UnixTime = UnixTime(1_790_000_000);
    const ISSUER: &str = "https://issuer.kakehashi.example";

    fn check<'a>() -> ProofCheck<'a> {
        ProofCheck {
            credential_issuer: ISSUER,
            client_id: Some("wallet-client"),
            now: NOW,
            max_age_seconds: 300,
            skew_seconds: 5,
            allowed_algorithms: &["ES256"],
            nonce_required: true,
            max_proofs: 3,
        }
    }

    fn claims<'a>() -> ProofClaims<'a> {
        ProofClaims {
            credential_issuer: ISSUER,
            client_id: Some("wallet-client"),
            nonce: Some("c-nonce-1"),
            iat: NOW,
        }
    }

    fn signer() -> SoftwareSigner {
        SoftwareSigner::generate(SignatureAlgorithm::Es256).unwrap()
    }

    #[test]
    fn batch_of_proofs_returns_keys_and_consumes_nonce_once() {
        let p = provider();
        let (a, b) = (signer(), signer());
        let proofs = Proofs::Jwt(vec![
            create_jwt_proof(&a, &claims(), ProofKeyReference::Jwk).unwrap(),
            create_jwt_proof(&b, &claims(), ProofKeyReference::DidJwk).unwrap(),
        ]);
        let mut consumed = Vec::new();
        let keys = validate_proofs(
            &proofs,
            &check(),
            &mut |n| {
                consumed.push(n.to_owned());
                true
            },
            &p,
        )
        .unwrap();
        assert_eq!(consumed, ["c-nonce-1"]);
        assert_eq!(&keys[0].key, a.public_jwk());
        assert_eq!(keys[0].source, HolderKeySource::Jwk);
        assert_eq!(&keys[1].key, b.public_jwk());
        assert!(matches!(keys[1].source, HolderKeySource::DidJwk(_)));
        // Unknown nonce.
        assert_eq!(
            validate_proofs(&proofs, &check(), &mut |_| false, &p).unwrap_err(),
            Oid4vciError::InvalidNonce
        );
    }

    #[test]
    fn refusals() {
        let p = provider();
        let s = signer();
        let one = |c: ProofClaims<'_>, chk: ProofCheck<'_>| {
            let jwt = create_jwt_proof(&s, &c, ProofKeyReference::Jwk).unwrap();
            validate_jwt_proof(&jwt, &chk, &p)
        };
        assert!(one(claims(), check()).is_ok());
        let mut c = claims();
        c.credential_issuer = "https://other.example";
        assert!(one(c, check()).is_err(), "aud");
        let mut c = claims();
        c.iat = NOW.saturating_sub(301);
        assert!(one(c, check()).is_err(), "old iat");
        let mut c = claims();
        c.iat = NOW.saturating_add(6);
        assert!(one(c, check()).is_err(), "future iat");
        let mut c = claims();
        c.nonce = None;
        assert!(one(c, check()).is_err(), "nonce required");
        let mut chk = check();
        chk.nonce_required = false;
        assert!(one(c, chk).is_ok(), "nonce optional");
        let mut c = claims();
        c.client_id = Some("someone-else");
        assert!(one(c, check()).is_err(), "iss");
        let mut chk = check();
        chk.client_id = None;
        assert!(one(claims(), chk).is_err(), "iss with anonymous access");
        let mut c = claims();
        c.client_id = None;
        assert!(one(c, chk).is_ok(), "no iss with anonymous access");
        let mut chk = check();
        chk.allowed_algorithms = &["ES384"];
        assert!(one(claims(), chk).is_err(), "alg policy");

        // Same key twice; too many proofs; attestation type.
        let jwt = create_jwt_proof(&s, &claims(), ProofKeyReference::Jwk).unwrap();
        let twice = Proofs::Jwt(vec![jwt.clone(), jwt.clone()]);
        assert!(matches!(
            validate_proofs(&twice, &check(), &mut |_| true, &p),
            Err(Oid4vciError::InvalidProof(_))
        ));
        let many = Proofs::Jwt(vec![jwt.clone(); 4]);
        assert!(matches!(
            validate_proofs(&many, &check(), &mut |_| true, &p),
            Err(Oid4vciError::InvalidProof(_))
        ));
        assert!(
            validate_proofs(
                &Proofs::Attestation(vec![jwt.clone()]),
                &check(),
                &mut |_| true,
                &p
            )
            .is_err()
        );

        // Header rules: typ, kid not did:jwk, jwk together with kid.
        let parts: Vec<&str> = jwt.split('.').collect();
        let payload = b64::decode(parts[1]).unwrap();
        let header: Map<String, Value> =
            serde_json::from_slice(&b64::decode(parts[0]).unwrap()).unwrap();
        let resign = |h: &Map<String, Value>| {
            kakehashi_jose::sign_compact_with(&kakehashi_jose::signing_input(h, &payload), &s)
                .unwrap()
        };
        let mut h = header.clone();
        h.insert("typ".into(), "JWT".into());
        assert!(validate_jwt_proof(&resign(&h), &check(), &p).is_err());
        let mut h = header.clone();
        h.insert("kid".into(), "key-1".into());
        assert!(validate_jwt_proof(&resign(&h), &check(), &p).is_err());
        let mut h = header.clone();
        h.remove("jwk");
        h.insert("kid".into(), "https://example.com/keys/1".into());
        assert!(validate_jwt_proof(&resign(&h), &check(), &p).is_err());
    }

    #[test]
    fn did_jwk() {
        let s = signer();
        let did = did_jwk_of(s.public_jwk());
        assert_eq!(&did_jwk_key(&did).unwrap(), s.public_jwk());
        assert_eq!(&did_jwk_key(&format!("{did}#0")).unwrap(), s.public_jwk());
        assert!(did_jwk_key(&format!("{did}#1")).is_err());
        assert!(did_jwk_key("did:key:z6Mk").is_err());
        assert!(did_jwk_key("did:jwk:!!").is_err());
    }
}
