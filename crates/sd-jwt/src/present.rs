//! The holder side (RFC 9901 section 7.2): decode an issued SD-JWT, choose what to disclose
//! by claim path, and add a Key Binding JWT.

use kakehashi_core::{UnixTime, b64};
use kakehashi_crypto::{CryptoProvider, HashAlgorithm, PublicJwk, Signer};
use kakehashi_jose::sign_compact;
use serde_json::{Map, Value};

use crate::decode::{ClaimRecord, process, take_sd_alg};
use crate::{ClaimPath, Limits, PathSegment, SdJwt, SdJwtError};

/// An SD-JWT with its Disclosures applied but its signature *not* verified: the holder's
/// view for choosing and displaying claims. Verifiers use [`SdJwt::verify`].
#[derive(Debug, Clone)]
pub struct DecodedSdJwt {
    claims: Map<String, Value>,
    disclosure_paths: Vec<ClaimPath>,
    records: Vec<ClaimRecord>,
    hash: HashAlgorithm,
}

impl DecodedSdJwt {
    /// The processed payload (unverified).
    pub fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }

    /// For each Disclosure, in order, the path of the claim it discloses.
    pub fn disclosure_paths(&self) -> &[ClaimPath] {
        &self.disclosure_paths
    }

    /// Every claim with whether it is selectively disclosable.
    pub fn claim_records(&self) -> &[ClaimRecord] {
        &self.records
    }

    /// The `_sd_alg` in use.
    pub fn hash_algorithm(&self) -> HashAlgorithm {
        self.hash
    }
}

/// How a selected path picks Disclosures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    /// The claim, the Disclosures of its ancestors, and everything inside it.
    WithDescendants,
    /// The claim and the Disclosures of its ancestors only; concealed claims inside it stay
    /// concealed.
    Exact,
}

/// The claims of a Key Binding JWT the holder signs (RFC 9901 section 4.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KbJwtClaims {
    /// The verifier (`aud`).
    pub audience: String,
    /// The verifier's nonce.
    pub nonce: String,
    /// When the KB-JWT is made.
    pub issued_at: UnixTime,
}

impl SdJwt {
    /// Applies all Disclosures without checking the issuer signature (the holder's view).
    pub fn decode(
        &self,
        provider: &CryptoProvider,
        limits: Limits,
    ) -> Result<DecodedSdJwt, SdJwtError> {
        let mut claims = self.unverified_payload(limits.json)?;
        let hash = take_sd_alg(
            &mut claims,
            &[
                HashAlgorithm::Sha256,
                HashAlgorithm::Sha384,
                HashAlgorithm::Sha512,
            ],
        )?;
        let p = process(
            claims,
            self.disclosures.clone(),
            provider,
            hash,
            limits,
            true,
        )?;
        Ok(DecodedSdJwt {
            claims: p.claims,
            disclosure_paths: p.disclosure_paths,
            records: p.records.unwrap_or_default(),
            hash,
        })
    }

    /// A presentation disclosing the claims at `paths` (and what `selection` adds), in
    /// issuance order, without a KB-JWT. Refuses an SD-JWT+KB (RFC 9901 section 7.2).
    pub fn present(
        &self,
        provider: &CryptoProvider,
        paths: &[ClaimPath],
        selection: Selection,
        limits: Limits,
    ) -> Result<SdJwt, SdJwtError> {
        if self.kb_jwt.is_some() {
            return Err(SdJwtError::UnexpectedKbJwt);
        }
        let decoded = self.decode(provider, limits)?;
        for p in paths {
            let known = decoded.disclosure_paths.contains(p) || exists(&decoded.claims, &p.0);
            if !known {
                return Err(SdJwtError::UnknownClaimPath(p.to_string()));
            }
        }
        let disclosures = self
            .disclosures
            .iter()
            .zip(&decoded.disclosure_paths)
            .filter(|(_, dp)| {
                paths.iter().any(|p| {
                    dp.is_prefix_of(p)
                        || (selection == Selection::WithDescendants && p.is_prefix_of(dp))
                })
            })
            .map(|(d, _)| d.clone())
            .collect();
        Ok(SdJwt {
            jws: self.jws.clone(),
            disclosures,
            kb_jwt: None,
            serialization: self.serialization.clone(),
        })
    }

    /// Adds a Key Binding JWT signed by `holder`, whose key must be the `cnf.jwk` of the
    /// SD-JWT.
    pub fn bind(
        mut self,
        provider: &CryptoProvider,
        holder: &dyn Signer,
        kb: &KbJwtClaims,
        limits: Limits,
    ) -> Result<SdJwt, SdJwtError> {
        if self.kb_jwt.is_some() {
            return Err(SdJwtError::UnexpectedKbJwt);
        }
        let mut claims = self.unverified_payload(limits.json)?;
        let cnf_key = cnf_jwk(&claims)?;
        if !same_key(&cnf_key, holder.public_jwk()) {
            return Err(SdJwtError::HolderKeyMismatch);
        }
        let hash = take_sd_alg(
            &mut claims,
            &[
                HashAlgorithm::Sha256,
                HashAlgorithm::Sha384,
                HashAlgorithm::Sha512,
            ],
        )?;
        let sd_hash = b64::encode(provider.digest(hash, self.sd_hash_input().as_bytes()));
        let mut header = Map::new();
        header.insert("typ".into(), Value::String("kb+jwt".into()));
        let mut payload = Map::new();
        payload.insert("nonce".into(), Value::String(kb.nonce.clone()));
        payload.insert("aud".into(), Value::String(kb.audience.clone()));
        payload.insert("iat".into(), Value::from(kb.issued_at.seconds()));
        payload.insert("sd_hash".into(), Value::String(sd_hash));
        let jwt = sign_compact(
            header,
            Value::Object(payload).to_string().as_bytes(),
            holder,
        )
        .map_err(SdJwtError::jose("KB-JWT signing"))?;
        self.kb_jwt = Some(jwt);
        Ok(self)
    }
}

/// The holder key in `cnf.jwk` (RFC 7800).
pub(crate) fn cnf_jwk(claims: &Map<String, Value>) -> Result<PublicJwk, SdJwtError> {
    let cnf = claims.get("cnf").ok_or(SdJwtError::CnfMissing)?;
    let jwk = cnf
        .get("jwk")
        .ok_or_else(|| SdJwtError::CnfUnsupported("no \"jwk\" member".into()))?;
    PublicJwk::from_json(jwk).map_err(|e| SdJwtError::CnfUnsupported(e.to_string()))
}

/// Same key material, whatever the `kid`.
fn same_key(a: &PublicJwk, b: &PublicJwk) -> bool {
    a.curve() == b.curve() && a.x() == b.x() && a.y() == b.y()
}

fn exists(claims: &Map<String, Value>, path: &[PathSegment]) -> bool {
    let Some((PathSegment::Key(first), rest)) = path.split_first() else {
        return false;
    };
    let mut current = match claims.get(first) {
        Some(v) => v,
        None => return false,
    };
    for s in rest {
        let next = match (s, current) {
            (PathSegment::Key(k), Value::Object(m)) => m.get(k),
            (PathSegment::Index(i), Value::Array(a)) => a.get(*i),
            _ => None,
        };
        match next {
            Some(v) => current = v,
            None => return false,
        }
    }
    true
}
