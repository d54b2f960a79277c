//! JWS with an unencoded payload (RFC 7797, `"b64": false`) in JSON serialization, the form of
//! JAdES seals on European Digital Credentials: the payload travels as the JSON text itself
//! and the signing input is `BASE64URL(protected) '.' payload`.
//!
//! These seals are certified by X.509 (`x5c`), and their algorithm comes from the seal
//! allow-list ([`SealAlgorithm`], RS256 included), so verification goes through a
//! [`SealVerifier`] and never through the wallet-ecosystem [`kakehashi_crypto::CryptoProvider`].

use kakehashi_core::{JsonLimits, b64, json};
use kakehashi_crypto::{SealAlgorithm, SealKey, SealVerifier, Signer};
use serde_json::{Map, Value};

use crate::JoseError;

/// An RFC 7797 JWS whose structure and header are checked but whose signature is not.
#[derive(Debug, Clone)]
pub struct UnverifiedUnencodedJws {
    protected_b64: String,
    protected: Map<String, Value>,
    unprotected: Map<String, Value>,
    algorithm: SealAlgorithm,
    payload: String,
    signature: Vec<u8>,
}

impl UnverifiedUnencodedJws {
    /// Parses a JWS JSON serialization (flattened, or general with exactly one signature)
    /// whose protected header says `"b64": false` and lists `b64` in `crit` (RFC 7797
    /// section 6). Every other `crit` name must be in `understood` and present. The
    /// unprotected header may not repeat a protected member (RFC 7515 section 7.2.1).
    pub fn parse_json(
        value: &Value,
        limits: JsonLimits,
        understood: &[&str],
    ) -> Result<Self, JoseError> {
        let obj = value
            .as_object()
            .ok_or(JoseError::Malformed("JWS JSON must be an object"))?;
        let payload = obj
            .get("payload")
            .and_then(Value::as_str)
            .ok_or(JoseError::Malformed("JWS JSON without string \"payload\""))?;
        let sig = match obj.get("signatures") {
            Some(Value::Array(list)) if list.len() == 1 => {
                if obj.contains_key("protected") || obj.contains_key("signature") {
                    return Err(JoseError::Malformed(
                        "general JWS JSON mixed with flattened members",
                    ));
                }
                list[0]
                    .as_object()
                    .ok_or(JoseError::Malformed("signature is not an object"))?
            }
            Some(_) => {
                return Err(JoseError::Malformed(
                    "\"signatures\" must hold exactly one signature",
                ));
            }
            None => obj,
        };
        let protected_b64 = sig
            .get("protected")
            .and_then(Value::as_str)
            .ok_or(JoseError::Malformed("signature without \"protected\""))?;
        let header_bytes =
            b64::decode(protected_b64).map_err(|_| JoseError::Base64 { part: "header" })?;
        let protected =
            json::parse_object(&header_bytes, limits).map_err(|source| JoseError::Json {
                part: "header",
                source,
            })?;
        let unprotected = match sig.get("header") {
            None => Map::new(),
            Some(Value::Object(h)) => h.clone(),
            Some(_) => return Err(JoseError::HeaderMember("header")),
        };
        if let Some(name) = unprotected.keys().find(|k| protected.contains_key(*k)) {
            return Err(JoseError::UnsupportedCritical(
                format!("{name} (in both headers)")
                    .chars()
                    .take(64)
                    .collect(),
            ));
        }
        let algorithm = check_header(&protected, understood)?;
        let signature = sig
            .get("signature")
            .and_then(Value::as_str)
            .ok_or(JoseError::Malformed("signature without \"signature\""))
            .and_then(|s| b64::decode(s).map_err(|_| JoseError::Base64 { part: "signature" }))?;
        Ok(Self {
            protected_b64: protected_b64.to_owned(),
            protected,
            unprotected,
            algorithm,
            payload: payload.to_owned(),
            signature,
        })
    }

    /// The seal algorithm named by `alg`.
    pub fn algorithm(&self) -> SealAlgorithm {
        self.algorithm
    }

    /// The protected header (unverified).
    pub fn protected(&self) -> &Map<String, Value> {
        &self.protected
    }

    /// The unprotected header: not covered by the signature.
    pub fn unprotected(&self) -> &Map<String, Value> {
        &self.unprotected
    }

    /// The `x5c` chain, DER (standard base64, RFC 7515 section 4.1.6), empty when absent.
    /// Untrusted input for the trust layer.
    pub fn x5c(&self) -> Result<Vec<Vec<u8>>, JoseError> {
        let Some(list) = self.protected.get("x5c") else {
            return Ok(Vec::new());
        };
        let list = list.as_array().ok_or(JoseError::HeaderMember("x5c"))?;
        if list.is_empty() || list.len() > 10 {
            return Err(JoseError::HeaderMember("x5c"));
        }
        list.iter()
            .map(|v| {
                v.as_str()
                    .and_then(|t| b64::decode_std(t).ok())
                    .ok_or(JoseError::HeaderMember("x5c"))
            })
            .collect()
    }

    /// The payload, not yet authenticated.
    pub fn unverified_payload(&self) -> &str {
        &self.payload
    }

    /// Checks the signature over `BASE64URL(protected) '.' payload` with `key`.
    pub fn verify(
        self,
        verifier: &SealVerifier,
        key: &SealKey,
    ) -> Result<VerifiedUnencodedJws, JoseError> {
        let input = unencoded_signing_input(&self.protected_b64, &self.payload);
        verifier.verify(self.algorithm, key, &input, &self.signature)?;
        Ok(VerifiedUnencodedJws {
            protected: self.protected,
            unprotected: self.unprotected,
            algorithm: self.algorithm,
            payload: self.payload,
        })
    }
}

/// An RFC 7797 JWS whose signature has been checked.
#[derive(Debug, Clone)]
pub struct VerifiedUnencodedJws {
    protected: Map<String, Value>,
    unprotected: Map<String, Value>,
    algorithm: SealAlgorithm,
    payload: String,
}

impl VerifiedUnencodedJws {
    /// The protected header.
    pub fn protected(&self) -> &Map<String, Value> {
        &self.protected
    }

    /// The unprotected header (not authenticated).
    pub fn unprotected(&self) -> &Map<String, Value> {
        &self.unprotected
    }

    /// The algorithm that verified.
    pub fn algorithm(&self) -> SealAlgorithm {
        self.algorithm
    }

    /// The authenticated payload.
    pub fn payload(&self) -> &str {
        &self.payload
    }
}

/// `alg` in the seal allow-list, `b64` false and critical, every `crit` name understood and
/// present, `x5c` an array when present.
fn check_header(
    members: &Map<String, Value>,
    understood: &[&str],
) -> Result<SealAlgorithm, JoseError> {
    let alg = members
        .get("alg")
        .ok_or(JoseError::MissingAlgorithm)?
        .as_str()
        .ok_or(JoseError::HeaderMember("alg"))?;
    let algorithm = SealAlgorithm::from_jose(alg)?;
    if members.get("b64") != Some(&Value::Bool(false)) {
        return Err(JoseError::HeaderMember("b64"));
    }
    let crit = members
        .get("crit")
        .and_then(Value::as_array)
        .ok_or(JoseError::HeaderMember("crit"))?;
    let mut has_b64 = false;
    for name in crit {
        let name = name.as_str().ok_or(JoseError::HeaderMember("crit"))?;
        has_b64 |= name == "b64";
        if (name != "b64" && !understood.contains(&name)) || !members.contains_key(name) {
            return Err(JoseError::UnsupportedCritical(
                name.chars().take(64).collect(),
            ));
        }
    }
    if !has_b64 {
        // RFC 7797 section 6: a verifier that ignored b64 would check a different input.
        return Err(JoseError::HeaderMember("crit"));
    }
    if !members.get("x5c").is_none_or(Value::is_array) {
        return Err(JoseError::HeaderMember("x5c"));
    }
    Ok(algorithm)
}

fn unencoded_signing_input(protected_b64: &str, payload: &str) -> Vec<u8> {
    let mut input = Vec::with_capacity(protected_b64.len() + 1 + payload.len());
    input.extend_from_slice(protected_b64.as_bytes());
    input.push(b'.');
    input.extend_from_slice(payload.as_bytes());
    input
}

/// Seals `payload` as a general JWS JSON serialization with an unencoded payload: `alg` from
/// the signer, `b64: false`, `crit` with `b64` added, `x5c` from the signer's chain. For test
/// seals and tools; issuers of Kakehashi credentials use the compact forms.
pub fn sign_unencoded_json(
    mut protected: Map<String, Value>,
    unprotected: Map<String, Value>,
    payload: &str,
    signer: &dyn Signer,
) -> Result<Value, JoseError> {
    protected.insert("alg".into(), signer.algorithm().jose_name().into());
    protected.insert("b64".into(), Value::Bool(false));
    let mut crit: Vec<Value> = match protected.remove("crit") {
        Some(Value::Array(c)) => c,
        None => Vec::new(),
        Some(_) => return Err(JoseError::HeaderMember("crit")),
    };
    if !crit.iter().any(|c| c == "b64") {
        crit.insert(0, "b64".into());
    }
    protected.insert("crit".into(), Value::Array(crit));
    let chain = signer.certificate_chain();
    if !chain.is_empty() && !protected.contains_key("x5c") {
        let x5c: Vec<Value> = chain.iter().map(|c| b64::encode_std(c).into()).collect();
        protected.insert("x5c".into(), Value::Array(x5c));
    }
    let protected_b64 = b64::encode(Value::Object(protected).to_string().as_bytes());
    let signature = signer.sign(&unencoded_signing_input(&protected_b64, payload))?;
    let mut sig = Map::new();
    sig.insert("protected".into(), protected_b64.into());
    if !unprotected.is_empty() {
        sig.insert("header".into(), Value::Object(unprotected));
    }
    sig.insert("signature".into(), b64::encode(signature).into());
    let mut out = Map::new();
    out.insert("payload".into(), payload.into());
    out.insert("signatures".into(), Value::Array(vec![Value::Object(sig)]));
    Ok(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kakehashi_crypto::{CryptoError, SignatureAlgorithm};
    use kakehashi_crypto_aws_lc::{SoftwareSigner, seal_verifier};
    use serde_json::json;

    fn sealed(extra: Value) -> (Value, SealKey) {
        let s = SoftwareSigner::generate(SignatureAlgorithm::Es256).unwrap();
        let protected = extra.as_object().unwrap().clone();
        let jws = sign_unencoded_json(protected, Map::new(), "{\"a\":\"b.c\"}", &s).unwrap();
        (jws, SealKey::Ec(s.public_jwk().clone()))
    }

    #[test]
    fn round_trip_and_tamper() {
        let (jws, key) = sealed(json!({"sigT": "2026-01-01T00:00:00Z", "crit": ["sigT"]}));
        let parsed =
            UnverifiedUnencodedJws::parse_json(&jws, JsonLimits::DEFAULT, &["sigT"]).unwrap();
        assert_eq!(parsed.algorithm(), SealAlgorithm::Es256);
        let v = parsed.verify(&seal_verifier(), &key).unwrap();
        assert_eq!(v.payload(), "{\"a\":\"b.c\"}");
        assert_eq!(v.protected()["crit"], json!(["b64", "sigT"]));

        let mut tampered = jws.clone();
        tampered["payload"] = "{\"a\":\"b.d\"}".into();
        let parsed =
            UnverifiedUnencodedJws::parse_json(&tampered, JsonLimits::DEFAULT, &["sigT"]).unwrap();
        assert!(matches!(
            parsed.verify(&seal_verifier(), &key),
            Err(JoseError::Crypto(CryptoError::BadSignature))
        ));
    }

    #[test]
    fn header_refusals() {
        let (jws, _) = sealed(json!({"sigT": "2026-01-01T00:00:00Z", "crit": ["sigT"]}));
        assert!(matches!(
            UnverifiedUnencodedJws::parse_json(&jws, JsonLimits::DEFAULT, &[]),
            Err(JoseError::UnsupportedCritical(n)) if n == "sigT"
        ));
        let with_header = |h: Value| {
            let mut j = jws.clone();
            j["signatures"][0]["protected"] = b64::encode(h.to_string().as_bytes()).into();
            UnverifiedUnencodedJws::parse_json(&j, JsonLimits::DEFAULT, &["sigT"])
        };
        // b64 false but not critical: an RFC 7515 verifier would check another input.
        assert!(matches!(
            with_header(json!({"alg":"ES256","b64":false})),
            Err(JoseError::HeaderMember("crit"))
        ));
        assert!(matches!(
            with_header(json!({"alg":"ES256","b64":true,"crit":["b64"]})),
            Err(JoseError::HeaderMember("b64"))
        ));
        assert!(matches!(
            with_header(json!({"alg":"none","b64":false,"crit":["b64"]})),
            Err(JoseError::Crypto(CryptoError::AlgorithmNone))
        ));
        assert!(matches!(
            with_header(json!({"alg":"HS256","b64":false,"crit":["b64"]})),
            Err(JoseError::Crypto(CryptoError::SymmetricAlgorithm(_)))
        ));
        assert!(matches!(
            with_header(json!({"alg":"ES256","b64":false,"crit":["b64","sigD"]})),
            Err(JoseError::UnsupportedCritical(n)) if n == "sigD"
        ));
        let mut two = jws.clone();
        let first = two["signatures"][0].clone();
        two["signatures"] = json!([first.clone(), first]);
        assert!(UnverifiedUnencodedJws::parse_json(&two, JsonLimits::DEFAULT, &["sigT"]).is_err());
        let mut dup = jws.clone();
        dup["signatures"][0]["header"] = json!({"alg": "RS256"});
        assert!(UnverifiedUnencodedJws::parse_json(&dup, JsonLimits::DEFAULT, &["sigT"]).is_err());
    }
}
