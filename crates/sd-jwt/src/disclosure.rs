//! Disclosures (RFC 9901 section 4.2): `[salt, name, value]` for an object property,
//! `[salt, value]` for an array element, base64url-encoded JSON.

use kakehashi_core::{JsonLimits, b64};
use kakehashi_crypto::{CryptoProvider, HashAlgorithm};
use kakehashi_jose::parse_json_bounded;
use serde_json::Value;

use crate::{JsonStyle, SdJwtError};

/// One Disclosure, kept together with its encoded form: the digest is taken over the
/// transmitted text, never over a re-serialization.
#[derive(Debug, Clone, PartialEq)]
pub struct Disclosure {
    encoded: String,
    salt: String,
    name: Option<String>,
    value: Value,
}

impl Disclosure {
    /// Decodes and checks the shape of one transmitted Disclosure.
    pub fn parse(encoded: &str, limits: JsonLimits) -> Result<Self, SdJwtError> {
        if encoded.is_empty() {
            return Err(SdJwtError::Malformed("empty disclosure"));
        }
        b64::with_decoded(encoded, |bytes| Self::parse_decoded(encoded, bytes, limits))
            .map_err(|_| SdJwtError::DisclosureEncoding)?
    }

    fn parse_decoded(encoded: &str, bytes: &[u8], limits: JsonLimits) -> Result<Self, SdJwtError> {
        if let Some(property) = Self::parse_property(encoded, bytes, limits) {
            return property;
        }
        let parsed = parse_json_bounded(bytes, limits).map_err(SdJwtError::json("disclosure"))?;
        let Value::Array(items) = parsed else {
            return Err(SdJwtError::DisclosureShape("not a JSON array"));
        };
        let mut items = items.into_iter();
        let (salt, name, value) = match (items.next(), items.next(), items.next(), items.next()) {
            (Some(salt), Some(value), None, None) => (salt, None, value),
            (Some(salt), Some(name), Some(value), None) => (salt, Some(name), value),
            _ => {
                return Err(SdJwtError::DisclosureShape(
                    "not an array of 2 or 3 elements",
                ));
            }
        };
        let Value::String(salt) = salt else {
            return Err(SdJwtError::SaltNotString);
        };
        let name = match name {
            None => None,
            Some(Value::String(n)) => {
                check_claim_name(&n)?;
                Some(n)
            }
            Some(_) => return Err(SdJwtError::ClaimNameNotString),
        };
        Ok(Self {
            encoded: encoded.to_owned(),
            salt,
            name,
            value,
        })
    }

    /// The common shape, `[salt, name, value]` with string salt and name, read straight into
    /// its parts (no intermediate array). `None` when the input has another shape or is not
    /// JSON: the general path then gives the precise error.
    fn parse_property(
        encoded: &str,
        bytes: &[u8],
        limits: JsonLimits,
    ) -> Option<Result<Self, SdJwtError>> {
        if bytes.len() > limits.max_bytes {
            return None;
        }
        let text = std::str::from_utf8(bytes).ok()?;
        let (salt, name, value) = serde_json::from_str::<(String, String, Value)>(text).ok()?;
        // The array itself is one level.
        if 1 + kakehashi_core::json::depth(&value) > limits.max_depth {
            return None;
        }
        Some(check_claim_name(&name).map(|()| Self {
            encoded: encoded.to_owned(),
            salt,
            name: Some(name),
            value,
        }))
    }

    /// A new object-property Disclosure.
    pub fn property(
        salt: String,
        name: String,
        value: Value,
        style: JsonStyle,
    ) -> Result<Self, SdJwtError> {
        check_claim_name(&name)?;
        let text = match style {
            // A tuple is written as the same compact JSON array, without copying the parts.
            JsonStyle::Compact => serde_json::to_string(&(&salt, &name, &value)).ok(),
            JsonStyle::PythonCompatible => None,
        }
        .unwrap_or_else(|| {
            style.to_string(&Value::Array(vec![
                Value::String(salt.clone()),
                Value::String(name.clone()),
                value.clone(),
            ]))
        });
        Ok(Self {
            encoded: b64::encode(text.as_bytes()),
            salt,
            name: Some(name),
            value,
        })
    }

    /// A new array-element Disclosure.
    pub fn element(salt: String, value: Value, style: JsonStyle) -> Self {
        let text = match style {
            JsonStyle::Compact => serde_json::to_string(&(&salt, &value)).ok(),
            JsonStyle::PythonCompatible => None,
        }
        .unwrap_or_else(|| {
            style.to_string(&Value::Array(vec![
                Value::String(salt.clone()),
                value.clone(),
            ]))
        });
        Self {
            encoded: b64::encode(text.as_bytes()),
            salt,
            name: None,
            value,
        }
    }

    /// The transmitted base64url text.
    pub fn encoded(&self) -> &str {
        &self.encoded
    }

    /// The salt.
    pub fn salt(&self) -> &str {
        &self.salt
    }

    /// The claim name; `None` for an array element.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The disclosed value.
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// The digest that references this Disclosure (RFC 9901 section 4.2.3).
    pub fn digest(&self, provider: &CryptoProvider, hash: HashAlgorithm) -> String {
        b64::encode(provider.digest(hash, self.encoded.as_bytes()))
    }

    /// [`Disclosure::digest`] without a heap allocation: hashed into a stack buffer and
    /// encoded into another. `None` only for a digest longer than SHA-512's.
    pub(crate) fn digest_inline(
        &self,
        provider: &CryptoProvider,
        hash: HashAlgorithm,
    ) -> Option<EncodedDigest> {
        EncodedDigest::new(
            provider
                .digest_parts(hash, &[self.encoded.as_bytes()])
                .as_ref(),
        )
    }

    pub(crate) fn into_parts(self) -> (Option<String>, Value) {
        (self.name, self.value)
    }
}

/// A digest as base64url text, the form it takes in `_sd` and `...`, held inline: 86
/// characters for SHA-512. Compared as text, exactly like the `String` it replaces.
#[derive(Clone, Copy)]
pub(crate) struct EncodedDigest {
    text: [u8; 88],
    len: usize,
}

impl EncodedDigest {
    pub(crate) fn new(digest: &[u8]) -> Option<Self> {
        use base64::Engine as _;
        let mut text = [0; 88];
        let len = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode_slice(digest, &mut text)
            .ok()?;
        Some(Self { text, len })
    }

    /// The text as bytes, for sorting and lookups: byte order is `str` order, and skipping
    /// the UTF-8 check matters when a sort compares the same digests many times.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.text.get(..self.len).unwrap_or_default()
    }

    pub(crate) fn as_str(&self) -> &str {
        // base64url output is ASCII, so this never falls back to the empty string.
        self.text
            .get(..self.len)
            .and_then(|t| std::str::from_utf8(t).ok())
            .unwrap_or_default()
    }
}

/// `_sd` and `...` cannot be claim names (RFC 9901 section 7.1, step 3.3.2.2).
/// Sorts (digest, Disclosure index) pairs for [`find_disclosure`]; returns a digest that
/// occurs twice, if any. Binary search beats hashing for the few dozen digests of a credential
/// and cannot be degraded by crafted inputs.
pub(crate) fn sort_digest_index(index: &mut [(EncodedDigest, usize)]) -> Option<&EncodedDigest> {
    index.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    index
        .windows(2)
        .find(|w| w[0].0.as_bytes() == w[1].0.as_bytes())
        .map(|w| &w[0].0)
}

/// The index of the Disclosure whose digest is `digest`, in an index sorted by
/// [`sort_digest_index`].
pub(crate) fn find_disclosure(index: &[(EncodedDigest, usize)], digest: &str) -> Option<usize> {
    let pos = index
        .binary_search_by(|(d, _)| d.as_bytes().cmp(digest.as_bytes()))
        .ok()?;
    index.get(pos).map(|(_, i)| *i)
}

pub(crate) fn check_claim_name(name: &str) -> Result<(), SdJwtError> {
    if name == "_sd" || name == "..." {
        Err(SdJwtError::ReservedClaimName(name.to_owned()))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kakehashi_core::json;
    use kakehashi_crypto_aws_lc::provider;
    use serde_json::json;

    fn enc(v: &str) -> String {
        b64::encode(v.as_bytes())
    }

    #[test]
    fn rfc_example_digest() {
        // RFC 9901 section 4.2.1 / 4.2.3.
        let d = Disclosure::parse(
            "WyJfMjZiYzRMVC1hYzZxMktJNmNCVzVlcyIsICJmYW1pbHlfbmFtZSIsICJNw7ZiaXVzIl0",
            JsonLimits::DEFAULT,
        )
        .unwrap();
        assert_eq!(d.name(), Some("family_name"));
        assert_eq!(d.value(), &json!("Möbius"));
        assert_eq!(
            d.digest(&provider(), HashAlgorithm::Sha256),
            "X9yH0Ajrdm1Oij4tWso9UzzKJvPoDxwmuEcO3XAdRC0"
        );
        // The inline form used on the verify path is the same text, for every hash.
        for hash in [
            HashAlgorithm::Sha256,
            HashAlgorithm::Sha384,
            HashAlgorithm::Sha512,
        ] {
            let inline = d.digest_inline(&provider(), hash).unwrap();
            assert_eq!(inline.as_str(), d.digest(&provider(), hash));
        }
        let made = Disclosure::property(
            "_26bc4LT-ac6q2KI6cBW5es".into(),
            "family_name".into(),
            json!("Möbius"),
            JsonStyle::Compact,
        )
        .unwrap();
        assert_eq!(made.value(), d.value());
    }

    #[test]
    fn property_fast_path_agrees_with_the_general_parse() {
        let l = JsonLimits {
            max_bytes: 200,
            max_depth: 3,
        };
        for text in [
            r#"["s","a",1]"#,
            r#" [ "s\u0041" , "n\"ame" , {"x":[1,{"y":null}]} ] "#,
            r#"["s","a",[[1]]]"#,
            r#"["s","a",[[[1]]]]"#,
            r#"["s","a",1,2]"#,
            r#"["s",1,2]"#,
            r#"["s","a",1]x"#,
            r#"["s","...",1]"#,
            r#"["s","a","é"]"#,
        ] {
            let bytes = text.as_bytes();
            let general = json::parse_limited(bytes, l);
            let fast = Disclosure::parse(&enc(text), l);
            match (&fast, general) {
                (Ok(d), Ok(Value::Array(items))) => {
                    assert_eq!(items.len(), 3, "{text}");
                    assert_eq!(Some(&items[0]), Some(&Value::String(d.salt().into())));
                    assert_eq!(items[1].as_str(), d.name(), "{text}");
                    assert_eq!(&items[2], d.value(), "{text}");
                }
                (Err(SdJwtError::Json { source, .. }), Err(e)) => {
                    assert_eq!(
                        std::mem::discriminant(source),
                        std::mem::discriminant(&e),
                        "{text}"
                    );
                }
                (Err(_), Ok(_)) => {} // shape errors, covered by `shapes_refused`
                (f, g) => panic!("{text}: {f:?} vs {g:?}"),
            }
        }
        assert!(matches!(
            Disclosure::parse(&enc(r#"["s","a",[[[1]]]]"#), l),
            Err(SdJwtError::Json {
                source: json::JsonError::TooDeep { limit: 3 },
                ..
            })
        ));
        let small = JsonLimits { max_bytes: 8, ..l };
        assert!(matches!(
            Disclosure::parse(&enc(r#"["s","a",1]"#), small),
            Err(SdJwtError::Json {
                source: json::JsonError::TooLarge { .. },
                ..
            })
        ));
    }

    #[test]
    fn shapes_refused() {
        let l = JsonLimits::DEFAULT;
        let cases: [(&str, SdJwtError); 8] = [
            (
                r#"["s"]"#,
                SdJwtError::DisclosureShape("not an array of 2 or 3 elements"),
            ),
            (
                r#"["s","a","b","c"]"#,
                SdJwtError::DisclosureShape("not an array of 2 or 3 elements"),
            ),
            (
                r#"{"s":1}"#,
                SdJwtError::DisclosureShape("not a JSON array"),
            ),
            (r#"[1,"a","b"]"#, SdJwtError::SaltNotString),
            (r#"[null,"b"]"#, SdJwtError::SaltNotString),
            (r#"["s",1,"b"]"#, SdJwtError::ClaimNameNotString),
            (
                r#"["s","_sd","b"]"#,
                SdJwtError::ReservedClaimName("_sd".into()),
            ),
            (
                r#"["s","...","b"]"#,
                SdJwtError::ReservedClaimName("...".into()),
            ),
        ];
        for (text, err) in cases {
            assert_eq!(Disclosure::parse(&enc(text), l), Err(err), "{text}");
        }
        assert_eq!(
            Disclosure::parse("!!", l),
            Err(SdJwtError::DisclosureEncoding)
        );
        assert!(matches!(
            Disclosure::parse(&enc("[\"s\""), l),
            Err(SdJwtError::Json { .. })
        ));
        assert!(
            Disclosure::parse(&enc(r#"["s",{"a":1}]"#), l)
                .unwrap()
                .name()
                .is_none()
        );
    }
}
