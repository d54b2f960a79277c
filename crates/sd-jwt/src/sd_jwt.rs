//! The parsed SD-JWT / SD-JWT+KB in either serialization (RFC 9901 sections 4 and 8).

use kakehashi_core::{JsonLimits, json};
use kakehashi_jose::{JwsHeader, JwsJson, JwsJsonSignature, UnverifiedJws};
use serde_json::{Map, Value};

use crate::{Disclosure, Limits, SdJwtError};

/// Which serialization an SD-JWT was parsed from, and is written back in.
#[derive(Debug, Clone, PartialEq)]
pub enum Serialization {
    /// `<JWT>~<Disclosure>~...~<KB-JWT>`.
    Compact,
    /// JWS JSON serialization: flattened (one signature) or general.
    Json {
        /// Flattened syntax.
        flattened: bool,
        /// Unprotected header members of the first signature other than `disclosures` and
        /// `kb_jwt` (e.g. `kid`), kept as received; they are not integrity protected.
        unprotected: Map<String, Value>,
        /// Further signatures of the general syntax.
        other_signatures: Vec<JwsJsonSignature>,
    },
}

/// An SD-JWT or SD-JWT+KB whose structure is checked and whose Disclosures are decoded, but
/// nothing is verified: call [`SdJwt::verify`] (or the SD-JWT VC verifier) before trusting
/// any claim.
#[derive(Debug, Clone)]
pub struct SdJwt {
    /// The Issuer-signed JWT; for the general JSON syntax the first signature comes first.
    /// The first one's compact text is the Issuer-signed JWT of the compact serialization.
    pub(crate) jws: Vec<UnverifiedJws>,
    pub(crate) disclosures: Vec<Disclosure>,
    pub(crate) kb_jwt: Option<String>,
    pub(crate) serialization: Serialization,
}

impl SdJwt {
    /// Parses the compact or the JSON serialization (a leading `{` selects JSON).
    pub fn parse(text: &str, limits: Limits) -> Result<Self, SdJwtError> {
        if text.trim_start().starts_with('{') {
            let value = json::parse_limited(
                text.as_bytes(),
                JsonLimits {
                    max_bytes: limits.json.max_bytes,
                    // {signatures:[{header:{disclosures:[..]}}]} is 4 levels; room for
                    // structured unprotected members such as a `jwk`.
                    max_depth: 8,
                },
            )
            .map_err(SdJwtError::json("JWS JSON serialization"))?;
            Self::parse_json(&value, limits)
        } else {
            Self::parse_compact(text, limits)
        }
    }

    /// Parses `<JWT>~<Disclosure 1>~...~<Disclosure N>~[<KB-JWT>]`.
    pub fn parse_compact(text: &str, limits: Limits) -> Result<Self, SdJwtError> {
        let text = text.trim_end_matches(['\r', '\n']);
        let (jwt, rest) = text
            .split_once('~')
            .ok_or(SdJwtError::Malformed("no '~' after the Issuer-signed JWT"))?;
        let (middle, kb) = match rest.rfind('~') {
            Some(i) => (Some(&rest[..i]), &rest[i + 1..]),
            None => (None, rest),
        };
        // One pass over the Disclosures; the total is only counted for the error.
        // `split` finds separators with memchr; a byte-by-byte filter cost a tenth of parsing.
        let expected = middle.map_or(0, |m| m.split('~').count());
        let mut disclosures = Vec::with_capacity(expected.min(limits.max_disclosures));
        for d in middle.into_iter().flat_map(|m| m.split('~')) {
            if disclosures.len() == limits.max_disclosures {
                return Err(SdJwtError::TooManyDisclosures {
                    count: middle.map_or(0, |m| m.split('~').count()),
                    limit: limits.max_disclosures,
                });
            }
            disclosures.push(Disclosure::parse(d, limits.json)?);
        }
        let jws = UnverifiedJws::parse_compact_with(jwt, limits.json, &[])
            .map_err(SdJwtError::jose("Issuer-signed JWT"))?;
        let kb_jwt = if kb.is_empty() {
            None
        } else {
            if kb.bytes().filter(|&b| b == b'.').count() != 2 {
                return Err(SdJwtError::Malformed(
                    "last component is neither empty nor a JWT",
                ));
            }
            Some(kb.to_owned())
        };
        Ok(Self {
            jws: vec![jws],
            disclosures,
            kb_jwt,
            serialization: Serialization::Compact,
        })
    }

    /// Parses the JWS JSON serialization: `disclosures` and `kb_jwt` in the (first)
    /// unprotected header (RFC 9901 section 8).
    pub fn parse_json(value: &Value, limits: Limits) -> Result<Self, SdJwtError> {
        let parsed = JwsJson::parse(value).map_err(SdJwtError::jose("JWS JSON serialization"))?;
        let mut signatures = parsed.signatures.into_iter();
        let Some(mut first) = signatures.next() else {
            return Err(SdJwtError::Malformed("no signature"));
        };
        let mut disclosures = Vec::new();
        match first.unprotected.shift_remove("disclosures") {
            None => {}
            Some(Value::Array(items)) => {
                if items.len() > limits.max_disclosures {
                    return Err(SdJwtError::TooManyDisclosures {
                        count: items.len(),
                        limit: limits.max_disclosures,
                    });
                }
                for item in items {
                    let Value::String(d) = item else {
                        return Err(SdJwtError::Malformed("disclosure is not a string"));
                    };
                    disclosures.push(Disclosure::parse(&d, limits.json)?);
                }
            }
            Some(_) => return Err(SdJwtError::Malformed("\"disclosures\" is not an array")),
        }
        let kb_jwt = match first.unprotected.shift_remove("kb_jwt") {
            None => None,
            Some(Value::String(kb)) if kb.split('.').count() == 3 => Some(kb),
            Some(_) => return Err(SdJwtError::Malformed("\"kb_jwt\" is not a JWT")),
        };
        let others: Vec<JwsJsonSignature> = signatures.collect();
        if others.iter().any(|s| {
            s.unprotected.contains_key("disclosures") || s.unprotected.contains_key("kb_jwt")
        }) {
            return Err(SdJwtError::Malformed(
                "\"disclosures\"/\"kb_jwt\" outside the first unprotected header",
            ));
        }
        let compact =
            |s: &JwsJsonSignature| format!("{}.{}.{}", s.protected, parsed.payload, s.signature);
        let mut jws = Vec::with_capacity(1 + others.len());
        for c in std::iter::once(compact(&first)).chain(others.iter().map(compact)) {
            jws.push(
                UnverifiedJws::parse_compact_with(&c, limits.json, &[])
                    .map_err(SdJwtError::jose("Issuer-signed JWT"))?,
            );
        }
        Ok(Self {
            jws,
            disclosures,
            kb_jwt,
            serialization: Serialization::Json {
                flattened: parsed.flattened,
                unprotected: first.unprotected,
                other_signatures: others,
            },
        })
    }

    pub(crate) fn from_parts(
        issuer_jwt: String,
        disclosures: Vec<Disclosure>,
        limits: Limits,
    ) -> Result<Self, SdJwtError> {
        let jws = UnverifiedJws::parse_compact_with(&issuer_jwt, limits.json, &[])
            .map_err(SdJwtError::jose("Issuer-signed JWT"))?;
        Ok(Self {
            jws: vec![jws],
            disclosures,
            kb_jwt: None,
            serialization: Serialization::Compact,
        })
    }

    /// The protected header of the Issuer-signed JWT (unverified).
    pub fn header(&self) -> &JwsHeader {
        // `jws` always holds at least the first signature (every constructor pushes it).
        self.jws[0].header()
    }

    /// The Issuer-signed JWT in compact form.
    pub fn issuer_jwt(&self) -> &str {
        // `jws` always holds at least the first signature (every constructor pushes it).
        self.jws[0].compact()
    }

    /// The Disclosures, in transmitted order.
    pub fn disclosures(&self) -> &[Disclosure] {
        &self.disclosures
    }

    /// The KB-JWT, if this is an SD-JWT+KB.
    pub fn kb_jwt(&self) -> Option<&str> {
        self.kb_jwt.as_deref()
    }

    /// The serialization this value is written in.
    pub fn serialization(&self) -> &Serialization {
        &self.serialization
    }

    /// The Issuer-signed JWT payload, not yet authenticated.
    pub fn unverified_payload(&self, limits: JsonLimits) -> Result<Map<String, Value>, SdJwtError> {
        self.jws[0]
            .unverified_claims(limits)
            .map_err(SdJwtError::jose("Issuer-signed JWT"))
    }

    /// `<JWT>~<D1>~...~<DN>~`: the input of `sd_hash` (RFC 9901 sections 4.3.1 and 8.1).
    pub fn sd_hash_input(&self) -> String {
        let issuer_jwt = self.issuer_jwt();
        let len = issuer_jwt.len()
            + 1
            + self
                .disclosures
                .iter()
                .map(|d| d.encoded().len() + 1)
                .sum::<usize>();
        let mut out = String::with_capacity(len);
        out.push_str(issuer_jwt);
        out.push('~');
        for d in &self.disclosures {
            out.push_str(d.encoded());
            out.push('~');
        }
        out
    }

    /// The compact serialization.
    pub fn to_compact(&self) -> String {
        let mut out = self.sd_hash_input();
        if let Some(kb) = &self.kb_jwt {
            out.push_str(kb);
        }
        out
    }

    /// The JWS JSON serialization, flattened or general. Unprotected members and further
    /// signatures of a parsed JSON input are kept.
    pub fn to_json(&self, flattened: bool) -> Value {
        let mut parts = self.issuer_jwt().splitn(3, '.');
        let (protected, payload, signature) = (
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
        );
        let (mut unprotected, others) = match &self.serialization {
            Serialization::Compact => (Map::new(), Vec::new()),
            Serialization::Json {
                unprotected,
                other_signatures,
                ..
            } => (unprotected.clone(), other_signatures.clone()),
        };
        unprotected.insert(
            "disclosures".into(),
            Value::Array(
                self.disclosures
                    .iter()
                    .map(|d| Value::String(d.encoded().to_owned()))
                    .collect(),
            ),
        );
        if let Some(kb) = &self.kb_jwt {
            unprotected.insert("kb_jwt".into(), Value::String(kb.clone()));
        }
        let first = JwsJsonSignature {
            protected: protected.to_owned(),
            unprotected,
            signature: signature.to_owned(),
        };
        let jws = JwsJson {
            payload: payload.to_owned(),
            signatures: std::iter::once(first).chain(others).collect(),
            flattened,
        };
        jws.to_json()
    }

    /// Writes the value back in the serialization it came in (compact as text, JSON as a
    /// JSON document).
    pub fn serialize(&self) -> String {
        match &self.serialization {
            Serialization::Compact => self.to_compact(),
            Serialization::Json { flattened, .. } => self.to_json(*flattened).to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JWT: &str = "eyJhbGciOiJFUzI1NiJ9.e30.AAAA";

    #[test]
    fn compact_forms() {
        let l = Limits::DEFAULT;
        let s = SdJwt::parse_compact(&format!("{JWT}~"), l).unwrap();
        assert!(s.disclosures().is_empty() && s.kb_jwt().is_none());
        assert_eq!(s.to_compact(), format!("{JWT}~"));
        let kb = format!("{JWT}~{JWT}");
        let s = SdJwt::parse_compact(&kb, l).unwrap();
        assert_eq!(s.kb_jwt(), Some(JWT));
        assert_eq!(s.sd_hash_input(), format!("{JWT}~"));
        let d = "WyJzIiwgImEiLCAxXQ";
        let s = SdJwt::parse_compact(&format!("{JWT}~{d}~{d}~"), l).unwrap();
        assert_eq!(s.disclosures().len(), 2);
        assert_eq!(s.to_compact(), format!("{JWT}~{d}~{d}~"));
        assert!(matches!(
            SdJwt::parse_compact(JWT, l),
            Err(SdJwtError::Malformed(_))
        ));
        assert!(matches!(
            SdJwt::parse_compact(&format!("{JWT}~~"), l),
            Err(SdJwtError::Malformed("empty disclosure"))
        ));
        assert!(matches!(
            SdJwt::parse_compact(&format!("{JWT}~{d}~xyz"), l),
            Err(SdJwtError::Malformed(_))
        ));
        let few = Limits {
            max_disclosures: 1,
            ..l
        };
        assert!(matches!(
            SdJwt::parse_compact(&format!("{JWT}~{d}~{d}~"), few),
            Err(SdJwtError::TooManyDisclosures { count: 2, limit: 1 })
        ));
    }

    #[test]
    fn json_round_trip() {
        let l = Limits::DEFAULT;
        let d = "WyJzIiwgImEiLCAxXQ";
        let s = SdJwt::parse_compact(&format!("{JWT}~{d}~{JWT}"), l).unwrap();
        for flattened in [true, false] {
            let j = s.to_json(flattened);
            let back = SdJwt::parse(&j.to_string(), l).unwrap();
            assert_eq!(back.to_compact(), s.to_compact());
            assert_eq!(back.to_json(flattened), j);
        }
        let bad = serde_json::json!({"payload":"e30","protected":"eyJhbGciOiJFUzI1NiJ9",
            "signature":"AAAA","header":{"disclosures":"x"}});
        assert!(matches!(
            SdJwt::parse_json(&bad, l),
            Err(SdJwtError::Malformed(_))
        ));
        let misplaced = serde_json::json!({"payload":"e30","signatures":[
            {"protected":"eyJhbGciOiJFUzI1NiJ9","signature":"AAAA"},
            {"protected":"eyJhbGciOiJFUzI1NiJ9","signature":"AAAA","header":{"disclosures":[]}}]});
        assert!(matches!(
            SdJwt::parse_json(&misplaced, l),
            Err(SdJwtError::Malformed(_))
        ));
    }
}
