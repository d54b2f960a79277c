//! The KB-JWT claims (RFC 9901 section 4.3) read into a small borrowed struct: on the verify
//! path a `serde_json::Map` of four members cost more than the checks made on it.

use std::borrow::Cow;
use std::fmt;

use kakehashi_core::JsonLimits;
use kakehashi_jose::JwtTimes;
use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value};

/// One claim: strings borrowed from the payload where JSON escaping allows, anything else
/// as a `Value` (numbers and booleans need no allocation).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Member<'a> {
    Text(Cow<'a, str>),
    Other(Value),
}

impl Member<'_> {
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Self::Text(t) => Some(t),
            Self::Other(_) => None,
        }
    }

    fn as_value(&self) -> Option<&Value> {
        match self {
            Self::Text(_) => None,
            Self::Other(v) => Some(v),
        }
    }
}

/// The members of a KB-JWT payload the verifier reads; others are ignored.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct KbClaims<'a> {
    pub(crate) iat: Option<Member<'a>>,
    pub(crate) exp: Option<Member<'a>>,
    pub(crate) nbf: Option<Member<'a>>,
    pub(crate) aud: Option<Member<'a>>,
    pub(crate) nonce: Option<Member<'a>>,
    pub(crate) sd_hash: Option<Member<'a>>,
}

impl<'a> KbClaims<'a> {
    /// Reads a flat JSON object (members are strings, numbers, booleans or null), the shape
    /// every KB-JWT we produce or have seen has. `None` for anything else (nested members,
    /// not an object, not JSON, over `limits`): the caller then takes the general
    /// `Value` path, which gives the same verdict and the exact error.
    pub(crate) fn parse_flat(payload: &'a [u8], limits: JsonLimits) -> Option<Self> {
        // A flat object is one level deep.
        if payload.len() > limits.max_bytes || limits.max_depth < 1 {
            return None;
        }
        let text = std::str::from_utf8(payload).ok()?;
        serde_json::from_str::<Self>(text).ok()
    }

    /// The same struct over a parsed claims set (the general path).
    pub(crate) fn from_map(claims: &Map<String, Value>) -> KbClaims<'static> {
        let member = |name: &str| {
            claims.get(name).map(|v| match v {
                Value::String(s) => Member::Text(Cow::Owned(s.clone())),
                other => Member::Other(other.clone()),
            })
        };
        KbClaims {
            iat: member("iat"),
            exp: member("exp"),
            nbf: member("nbf"),
            aud: member("aud"),
            nonce: member("nonce"),
            sd_hash: member("sd_hash"),
        }
    }

    /// The time claims for [`kakehashi_jose::check_time_values`], which checks them in its
    /// own order (`exp`, `nbf`, `iat`) and reports a non-number as the wrong type.
    pub(crate) fn times(&self) -> JwtTimes<'_> {
        // A string stands in as `null`: both are "not a number" to the check.
        static NOT_A_NUMBER: Value = Value::Null;
        fn time<'m>(m: &'m Option<Member<'_>>) -> Option<&'m Value> {
            m.as_ref().map(|m| m.as_value().unwrap_or(&NOT_A_NUMBER))
        }
        JwtTimes {
            exp: time(&self.exp),
            nbf: time(&self.nbf),
            iat: time(&self.iat),
        }
    }
}

/// A member name or string value, borrowed when it has no escapes.
struct Text<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(FlatVisitor).and_then(|m| match m {
            Member::Text(t) => Ok(Text(t)),
            Member::Other(_) => Err(de::Error::custom("expected a string")),
        })
    }
}

impl<'de> Deserialize<'de> for Member<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(FlatVisitor)
    }
}

/// Accepts scalars only: a nested array or object ends the fast path.
struct FlatVisitor;

impl<'de> Visitor<'de> for FlatVisitor {
    type Value = Member<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON scalar")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Member::Text(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Member::Text(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Member::Text(Cow::Owned(v)))
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Member::Other(Value::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Member::Other(Value::from(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Member::Other(Value::from(v)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Member::Other(Value::from(v)))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Member::Other(Value::Null))
    }
}

impl<'de> Deserialize<'de> for KbClaims<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ClaimsVisitor;
        impl<'de> Visitor<'de> for ClaimsVisitor {
            type Value = KbClaims<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a flat JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut c = KbClaims::default();
                while let Some(Text(name)) = map.next_key::<Text<'de>>()? {
                    let value = map.next_value::<Member<'de>>()?;
                    // A repeated name replaces the earlier value, as in `serde_json::Map`.
                    let slot = match name.as_ref() {
                        "iat" => &mut c.iat,
                        "exp" => &mut c.exp,
                        "nbf" => &mut c.nbf,
                        "aud" => &mut c.aud,
                        "nonce" => &mut c.nonce,
                        "sd_hash" => &mut c.sd_hash,
                        _ => continue,
                    };
                    *slot = Some(value);
                }
                Ok(c)
            }
        }
        d.deserialize_map(ClaimsVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kakehashi_jose::JoseError;

    const L: JsonLimits = JsonLimits::DEFAULT;

    fn via_map(text: &str) -> KbClaims<'static> {
        let v: Value = serde_json::from_str(text).unwrap();
        KbClaims::from_map(v.as_object().unwrap())
    }

    #[test]
    fn flat_parse_matches_the_value_path() {
        for text in [
            r#"{"iat":1800000000,"aud":"https://v.example","nonce":"n","sd_hash":"abc"}"#,
            r#"{"iat":1.5e9,"aud":"a\u0041","nonce":null,"sd_hash":true,"x":"y"}"#,
            r#"{"iat":"1800000000","exp":-3,"nbf":18446744073709551615,"aud":"x","aud":"y"}"#,
            r#"{}"#,
        ] {
            let fast = KbClaims::parse_flat(text.as_bytes(), L).unwrap();
            assert_eq!(fast, via_map(text), "{text}");
        }
        assert!(matches!(
            KbClaims::parse_flat(br#"{"aud":"a\u0041"}"#, L)
                .unwrap()
                .aud,
            Some(Member::Text(Cow::Owned(_)))
        ));
        assert!(matches!(
            KbClaims::parse_flat(br#"{"aud":"plain"}"#, L).unwrap().aud,
            Some(Member::Text(Cow::Borrowed("plain")))
        ));
    }

    #[test]
    fn anything_but_a_flat_object_leaves_the_fast_path() {
        for text in [
            r#"{"aud":["a","b"]}"#,
            r#"{"cnf":{"jwk":{}}}"#,
            r#"[1]"#,
            r#""x""#,
            r#"{"aud":"a""#,
            r#"{"aud":"a"} x"#,
            "{\"aud\":\"\u{00e9}\"}",
        ] {
            let fast = KbClaims::parse_flat(text.as_bytes(), L);
            // Non-ASCII text is still flat and valid.
            if text.contains('\u{00e9}') {
                assert!(fast.is_some());
            } else {
                assert!(fast.is_none(), "{text}");
            }
        }
        assert!(KbClaims::parse_flat(b"{\"aud\":\"\xff\"}", L).is_none());
        let tiny = JsonLimits { max_bytes: 4, ..L };
        assert!(KbClaims::parse_flat(br#"{"aud":"a"}"#, tiny).is_none());
    }

    #[test]
    fn times_keep_wrong_types_typed() {
        use kakehashi_core::UnixTime;
        use kakehashi_jose::{TimeChecks, check_time_values};
        let at = TimeChecks::at(UnixTime(1000));
        // Same order as the map check: an expired `exp` is reported before a bad `iat`.
        let c = via_map(r#"{"iat":"soon","exp":5}"#);
        assert!(matches!(
            check_time_values(c.times(), at),
            Err(JoseError::Expired { .. })
        ));
        let c = via_map(r#"{"iat":"soon","exp":5000}"#);
        assert!(matches!(
            check_time_values(c.times(), at),
            Err(JoseError::ClaimType("iat"))
        ));
        let c = via_map(r#"{"exp":5000,"nbf":true}"#);
        assert!(matches!(
            check_time_values(c.times(), at),
            Err(JoseError::ClaimType("nbf"))
        ));
        assert!(check_time_values(via_map(r#"{"exp":5000,"iat":900}"#).times(), at).is_ok());
    }
}
