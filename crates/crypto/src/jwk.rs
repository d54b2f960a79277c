use std::fmt;

use kakehashi_core::b64;
use serde_json::{Map, Value};
use x509_cert::der::{Decode, asn1::ObjectIdentifier};

use crate::{CryptoError, CryptoProvider, HashAlgorithm, SignatureAlgorithm};

/// The curves of the keys Kakehashi verifies with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Curve {
    P256,
    P384,
    Ed25519,
}

impl Curve {
    /// The JWK `crv` name.
    pub const fn jwk_name(self) -> &'static str {
        match self {
            Self::P256 => "P-256",
            Self::P384 => "P-384",
            Self::Ed25519 => "Ed25519",
        }
    }

    /// Length of one coordinate (or of the Ed25519 public key) in bytes.
    pub const fn coordinate_len(self) -> usize {
        match self {
            Self::P256 | Self::Ed25519 => 32,
            Self::P384 => 48,
        }
    }

    /// The algorithm a key on this curve signs with.
    pub const fn algorithm(self) -> SignatureAlgorithm {
        match self {
            Self::P256 => SignatureAlgorithm::Es256,
            Self::P384 => SignatureAlgorithm::Es384,
            Self::Ed25519 => SignatureAlgorithm::EdDsa,
        }
    }
}

impl fmt::Display for Curve {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.jwk_name())
    }
}

/// A public key as a JSON Web Key (RFC 7517/7518/8037), checked on construction: the
/// coordinates have the curve's length, private members are refused.
///
/// Whether the point is on the curve is checked by the backend when verifying.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PublicJwk {
    curve: Curve,
    x: Vec<u8>,
    /// `None` for Ed25519.
    y: Option<Vec<u8>>,
    kid: Option<String>,
}

impl fmt::Debug for PublicJwk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicJwk")
            .field("crv", &self.curve.jwk_name())
            .field("x", &b64::encode(&self.x))
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl PublicJwk {
    /// An EC key from its coordinates.
    pub fn ec(curve: Curve, x: Vec<u8>, y: Vec<u8>) -> Result<Self, CryptoError> {
        if curve == Curve::Ed25519 {
            return Err(CryptoError::InvalidKey(
                "Ed25519 has no y coordinate".into(),
            ));
        }
        let n = curve.coordinate_len();
        if x.len() != n || y.len() != n {
            return Err(CryptoError::InvalidKey(format!(
                "{curve} coordinates must be {n} bytes"
            )));
        }
        Ok(Self {
            curve,
            x,
            y: Some(y),
            kid: None,
        })
    }

    /// An Ed25519 key from its 32 bytes.
    pub fn ed25519(x: Vec<u8>) -> Result<Self, CryptoError> {
        if x.len() != 32 {
            return Err(CryptoError::InvalidKey("Ed25519 keys are 32 bytes".into()));
        }
        Ok(Self {
            curve: Curve::Ed25519,
            x,
            y: None,
            kid: None,
        })
    }

    /// An EC key from an uncompressed SEC1 point (`04 || x || y`).
    pub fn from_sec1(curve: Curve, point: &[u8]) -> Result<Self, CryptoError> {
        let n = curve.coordinate_len();
        match point.split_first() {
            Some((4, rest)) if rest.len() == 2 * n => {
                let (x, y) = rest.split_at(n);
                Self::ec(curve, x.to_vec(), y.to_vec())
            }
            _ => Err(CryptoError::InvalidKey(
                "expected an uncompressed SEC1 point".into(),
            )),
        }
    }

    /// Parses a JWK JSON object. Unknown members are ignored (RFC 7517 section 4), `d` is refused.
    pub fn from_json(value: &Value) -> Result<Self, CryptoError> {
        let obj = value
            .as_object()
            .ok_or_else(|| CryptoError::InvalidKey("a JWK must be a JSON object".into()))?;
        if obj.contains_key("d") {
            return Err(CryptoError::PrivateKeyInJwk);
        }
        let text = |name: &str| -> Result<&str, CryptoError> {
            obj.get(name)
                .and_then(Value::as_str)
                .ok_or_else(|| CryptoError::InvalidKey(format!("missing or non-string \"{name}\"")))
        };
        let bytes = |name: &str| -> Result<Vec<u8>, CryptoError> {
            b64::decode(text(name)?)
                .map_err(|_| CryptoError::InvalidKey(format!("\"{name}\" is not base64url")))
        };
        let mut key = match (text("kty")?, text("crv")?) {
            ("EC", "P-256") => Self::ec(Curve::P256, bytes("x")?, bytes("y")?)?,
            ("EC", "P-384") => Self::ec(Curve::P384, bytes("x")?, bytes("y")?)?,
            ("OKP", "Ed25519") => Self::ed25519(bytes("x")?)?,
            (kty, crv) => {
                return Err(CryptoError::InvalidKey(format!(
                    "unsupported key type {:?} / curve {:?}",
                    kty.chars().take(16).collect::<String>(),
                    crv.chars().take(16).collect::<String>()
                )));
            }
        };
        if let Some(alg) = obj.get("alg").and_then(Value::as_str) {
            let alg = SignatureAlgorithm::from_jose(alg)?;
            if alg.curve() != key.curve {
                return Err(CryptoError::KeyAlgorithmMismatch {
                    algorithm: alg,
                    curve: key.curve,
                });
            }
        }
        key.kid = obj.get("kid").and_then(Value::as_str).map(str::to_owned);
        Ok(key)
    }

    /// Reads the public key of a DER-encoded X.509 certificate (e.g. an `x5c` leaf).
    /// This does not make the key trusted: that is the trust layer's decision.
    pub fn from_certificate_der(der: &[u8]) -> Result<Self, CryptoError> {
        let cert = x509_cert::Certificate::from_der(der)
            .map_err(|e| CryptoError::InvalidKey(format!("certificate: {e}")))?;
        Self::from_spki(cert.tbs_certificate().subject_public_key_info())
    }

    /// Reads a DER-encoded SubjectPublicKeyInfo.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, CryptoError> {
        let spki = x509_cert::spki::SubjectPublicKeyInfoOwned::from_der(der)
            .map_err(|e| CryptoError::InvalidKey(format!("SubjectPublicKeyInfo: {e}")))?;
        Self::from_spki(&spki)
    }

    fn from_spki(spki: &x509_cert::spki::SubjectPublicKeyInfoOwned) -> Result<Self, CryptoError> {
        const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
        const PRIME256V1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
        const SECP384R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
        const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
        let key_bytes = spki
            .subject_public_key
            .as_bytes()
            .ok_or_else(|| CryptoError::InvalidKey("public key has unused bits".into()))?;
        let algorithm = &spki.algorithm;
        if algorithm.oid == ED25519 {
            return Self::ed25519(key_bytes.to_vec());
        }
        if algorithm.oid != EC_PUBLIC_KEY {
            return Err(CryptoError::InvalidKey(format!(
                "unsupported public key algorithm {}",
                algorithm.oid
            )));
        }
        let curve_oid: ObjectIdentifier = algorithm
            .parameters
            .as_ref()
            .ok_or_else(|| CryptoError::InvalidKey("EC key without named curve".into()))?
            .decode_as()
            .map_err(|_| {
                CryptoError::InvalidKey("EC key parameters are not a named curve".into())
            })?;
        let curve = match curve_oid {
            PRIME256V1 => Curve::P256,
            SECP384R1 => Curve::P384,
            other => {
                return Err(CryptoError::InvalidKey(format!(
                    "unsupported curve {other}"
                )));
            }
        };
        Self::from_sec1(curve, key_bytes)
    }

    /// The `did:jwk` DID of this key (the JWK's public members, without `kid`).
    pub fn to_did_jwk(&self) -> String {
        let mut jwk = self.to_json();
        if let Some(obj) = jwk.as_object_mut() {
            obj.remove("kid");
        }
        format!("did:jwk:{}", b64::encode(jwk.to_string()))
    }

    /// The key of a `did:jwk` DID, or of its DID URL with the only fragment the method defines,
    /// `#0`. The decoded JWK is size- and depth-capped before parsing.
    pub fn from_did_jwk(did: &str) -> Result<Self, CryptoError> {
        let rest = did
            .strip_prefix("did:jwk:")
            .ok_or_else(|| CryptoError::InvalidKey("not a did:jwk".into()))?;
        let encoded = match rest.split_once('#') {
            None | Some((_, "0")) => rest.split('#').next().unwrap_or_default(),
            Some(_) => {
                return Err(CryptoError::InvalidKey(
                    "did:jwk fragment must be #0".into(),
                ));
            }
        };
        let bytes = b64::decode(encoded)
            .map_err(|_| CryptoError::InvalidKey("did:jwk is not base64url".into()))?;
        let value =
            kakehashi_core::json::parse_limited(&bytes, kakehashi_core::JsonLimits::DEFAULT)
                .map_err(|e| CryptoError::InvalidKey(format!("did:jwk: {e}")))?;
        Self::from_json(&value)
    }

    /// Sets the key identifier.
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// The curve.
    pub fn curve(&self) -> Curve {
        self.curve
    }

    /// The algorithm this key signs with.
    pub fn algorithm(&self) -> SignatureAlgorithm {
        self.curve.algorithm()
    }

    /// The key identifier, if any.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The `x` coordinate (or the Ed25519 public key).
    pub fn x(&self) -> &[u8] {
        &self.x
    }

    /// The `y` coordinate of an EC key.
    pub fn y(&self) -> Option<&[u8]> {
        self.y.as_deref()
    }

    /// The uncompressed SEC1 point of an EC key, or the raw Ed25519 key.
    pub fn public_key_bytes(&self) -> Vec<u8> {
        match &self.y {
            Some(y) => {
                let mut out = Vec::with_capacity(1 + self.x.len() + y.len());
                out.push(4);
                out.extend_from_slice(&self.x);
                out.extend_from_slice(y);
                out
            }
            None => self.x.clone(),
        }
    }

    /// The JWK as JSON with its required members (and `kid` when set).
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        match &self.y {
            Some(y) => {
                m.insert("kty".into(), "EC".into());
                m.insert("crv".into(), self.curve.jwk_name().into());
                m.insert("x".into(), b64::encode(&self.x).into());
                m.insert("y".into(), b64::encode(y).into());
            }
            None => {
                m.insert("kty".into(), "OKP".into());
                m.insert("crv".into(), "Ed25519".into());
                m.insert("x".into(), b64::encode(&self.x).into());
            }
        }
        if let Some(kid) = &self.kid {
            m.insert("kid".into(), kid.clone().into());
        }
        Value::Object(m)
    }

    /// The RFC 7638 thumbprint input: required members only, lexicographic order, no spaces.
    pub fn thumbprint_input(&self) -> String {
        match &self.y {
            Some(y) => format!(
                r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#,
                self.curve.jwk_name(),
                b64::encode(&self.x),
                b64::encode(y)
            ),
            None => format!(
                r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#,
                b64::encode(&self.x)
            ),
        }
    }

    /// The RFC 7638 JWK thumbprint, base64url-encoded.
    pub fn thumbprint(&self, provider: &CryptoProvider, hash: HashAlgorithm) -> String {
        b64::encode(provider.digest(hash, self.thumbprint_input().as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parse_and_refuse() {
        let jwk = json!({"kty":"EC","crv":"P-256",
            "x":"TCAER19Zvu3OHF4j4W4vfSVoHIP1ILilDls7vCeGemc",
            "y":"ZxjiWWbZMQGHVWKVQ4hbSIirsVfuecCE6t4jT9F2HZQ"});
        let key = PublicJwk::from_json(&jwk).unwrap();
        assert_eq!(key.curve(), Curve::P256);
        assert_eq!(PublicJwk::from_json(&key.to_json()).unwrap(), key);
        let mut with_d = jwk.clone();
        with_d["d"] = "AAAA".into();
        assert_eq!(
            PublicJwk::from_json(&with_d),
            Err(CryptoError::PrivateKeyInJwk)
        );
        let mut short = jwk.clone();
        short["x"] = "AAAA".into();
        assert!(PublicJwk::from_json(&short).is_err());
        let mut wrong_alg = jwk.clone();
        wrong_alg["alg"] = "ES384".into();
        assert!(matches!(
            PublicJwk::from_json(&wrong_alg),
            Err(CryptoError::KeyAlgorithmMismatch { .. })
        ));
        assert!(PublicJwk::from_json(&json!({"kty":"oct","k":"AAAA"})).is_err());
    }

    #[test]
    fn did_jwk_round_trip() {
        let key = PublicJwk::ed25519(vec![7; 32]).unwrap().with_kid("k1");
        let did = key.to_did_jwk();
        assert!(did.starts_with("did:jwk:") && !did.contains("kid"));
        let back = PublicJwk::from_did_jwk(&did).unwrap();
        assert_eq!(back.x(), key.x());
        assert_eq!(
            PublicJwk::from_did_jwk(&format!("{did}#0")).unwrap().x(),
            key.x()
        );
        assert!(PublicJwk::from_did_jwk(&format!("{did}#1")).is_err());
        assert!(PublicJwk::from_did_jwk("did:key:z6Mk").is_err());
        assert!(PublicJwk::from_did_jwk("did:jwk:!!").is_err());
    }

    #[test]
    fn thumbprint_input_rfc7638_order() {
        let key = PublicJwk::ed25519(vec![0; 32]).unwrap();
        assert_eq!(
            key.thumbprint_input(),
            r#"{"crv":"Ed25519","kty":"OKP","x":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}"#
        );
    }
}
