//! A JSON tree that borrows its strings from the decoded document, for the verify fast path:
//! the issuer payload and the Disclosures are read once, checked, and only the claims that
//! end up in the result are copied into `serde_json::Value`s. A string with escapes is owned.
//!
//! Numbers are converted exactly as `serde_json::Value` converts them, so a tree turned into
//! a `Value` equals the `Value` serde_json parses from the same text (duplicate object
//! members aside: they are kept here, and the verify fast path hands such input to the
//! general path, which decides as it always has).

use std::borrow::Cow;
use std::fmt;

use serde::de::{
    self, Deserialize, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess,
};
use serde_json::{Number, Value};

/// One JSON value; object members keep their order and duplicates.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node<'a> {
    Null,
    Bool(bool),
    Number(Number),
    String(Cow<'a, str>),
    Array(Vec<Node<'a>>),
    Object(Vec<(Cow<'a, str>, Node<'a>)>),
}

impl<'a> Node<'a> {
    /// Parses one JSON document; `None` when it is not JSON (or not UTF-8).
    pub(crate) fn parse(bytes: &'a [u8]) -> Option<Self> {
        let text = std::str::from_utf8(bytes).ok()?;
        serde_json::from_str(text).ok()
    }

    /// Nesting as `kakehashi_core::json::depth` counts it on a `Value`.
    pub(crate) fn depth(&self) -> usize {
        match self {
            Node::Array(items) => 1 + items.iter().map(Node::depth).max().unwrap_or(0),
            Node::Object(members) => 1 + members.iter().map(|(_, v)| v.depth()).max().unwrap_or(0),
            _ => 0,
        }
    }

    /// The same value as a `serde_json::Value`; `None` if an object has a duplicate member.
    #[cfg(test)]
    pub(crate) fn into_value(self) -> Option<Value> {
        Some(match self {
            Node::Array(items) => Value::Array(
                items
                    .into_iter()
                    .map(Node::into_value)
                    .collect::<Option<_>>()?,
            ),
            Node::Object(members) => {
                let mut map = serde_json::Map::with_capacity(members.len());
                for (k, v) in members {
                    if map.insert(k.into_owned(), v.into_value()?).is_some() {
                        return None;
                    }
                }
                Value::Object(map)
            }
            scalar => scalar.scalar_value()?,
        })
    }

    /// The `Value` of a scalar; `None` for an array or object.
    pub(crate) fn scalar_value(self) -> Option<Value> {
        match self {
            Node::Null => Some(Value::Null),
            Node::Bool(b) => Some(Value::Bool(b)),
            Node::Number(n) => Some(Value::Number(n)),
            Node::String(s) => Some(Value::String(s.into_owned())),
            Node::Array(_) | Node::Object(_) => None,
        }
    }
}

struct NodeVisitor;

impl<'de> de::Visitor<'de> for NodeVisitor {
    type Value = Node<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Node<'de>, E> {
        Ok(Node::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Node<'de>, E> {
        Ok(Node::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Node<'de>, E> {
        Ok(Node::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Node<'de>, E> {
        // As serde_json's own `Value` visitor does.
        Ok(Number::from_f64(v).map_or(Node::Null, Node::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Node<'de>, E> {
        Ok(Node::String(Cow::Owned(v.to_owned())))
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Node<'de>, E> {
        Ok(Node::String(Cow::Borrowed(v)))
    }

    fn visit_string<E>(self, v: String) -> Result<Node<'de>, E> {
        Ok(Node::String(Cow::Owned(v)))
    }

    fn visit_unit<E>(self) -> Result<Node<'de>, E> {
        Ok(Node::Null)
    }

    fn visit_none<E>(self) -> Result<Node<'de>, E> {
        Ok(Node::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node<'de>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node<'de>, A::Error> {
        let mut members = Vec::with_capacity(map.size_hint().unwrap_or(0).min(64));
        while let Some(Key(k)) = map.next_key()? {
            members.push((k, map.next_value()?));
        }
        Ok(Node::Object(members))
    }
}

impl<'de> Deserialize<'de> for Node<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

/// An object member name, borrowed when it has no escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> de::Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_string<E>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

/// A Disclosure array read straight into its elements: `[salt, value]` or
/// `[salt, name, value]`, each element any JSON value (the caller checks the types, so the
/// shapes the general path names in its errors are simply not taken here).
pub(crate) struct DisclosureParts<'a> {
    pub salt: Node<'a>,
    pub name: Option<Node<'a>>,
    pub value: Node<'a>,
}

impl<'a> DisclosureParts<'a> {
    /// Parses a decoded Disclosure; `None` for anything but a JSON array of 2 or 3 elements.
    pub(crate) fn parse(bytes: &'a [u8]) -> Option<Self> {
        let text = std::str::from_utf8(bytes).ok()?;
        Self::parse_plain(text).or_else(|| serde_json::from_str(text).ok())
    }

    /// The usual text, `["<salt>", "<name>", <value>]` or `["<salt>", <value>]` with salt and
    /// name free of escapes, read by hand: a dozen bytes of structure do not need serde's
    /// machinery, once per Disclosure. `None` for anything else (escapes, other shapes, bad
    /// JSON), which [`DisclosureParts::parse`] then hands to serde_json: this only ever
    /// accepts text serde_json accepts, with the same reading.
    fn parse_plain(text: &'a str) -> Option<Self> {
        let inner = trim(text).strip_prefix('[')?.strip_suffix(']')?;
        let (salt, rest) = plain_string(trim(inner))?;
        let rest = trim(trim(rest).strip_prefix(',')?);
        let salt = Node::String(Cow::Borrowed(salt));
        let Some((second, after)) = plain_string(rest) else {
            // `[salt, value]` with a value that is not a plain string.
            return Some(Self {
                salt,
                name: None,
                value: value(rest)?,
            });
        };
        let after = trim(after);
        if after.is_empty() {
            return Some(Self {
                salt,
                name: None,
                value: Node::String(Cow::Borrowed(second)),
            });
        }
        Some(Self {
            salt,
            name: Some(Node::String(Cow::Borrowed(second))),
            value: value(trim(after.strip_prefix(',')?))?,
        })
    }
}

/// JSON's insignificant whitespace (RFC 8259 section 2), not Unicode's.
fn trim(text: &str) -> &str {
    text.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r'))
}

/// A string token without escapes at the start of `text`: its content and the text after it.
/// `None` if `text` does not start with `"`, or the string has an escape or a control
/// character (which serde_json refuses unescaped) before its closing quote.
fn plain_string(text: &str) -> Option<(&str, &str)> {
    let body = text.strip_prefix('"')?;
    // UTF-8 continuation and lead bytes are all >= 0x80, so a byte scan is exact.
    let end = body
        .bytes()
        .position(|b| b == b'"' || b == b'\\' || b < 0x20)?;
    match body.as_bytes().get(end) {
        Some(b'"') => Some((body.get(..end)?, body.get(end + 1..)?)),
        _ => None,
    }
}

/// One complete JSON value filling `text`: a plain string read in place, anything else by
/// serde_json.
fn value(text: &str) -> Option<Node<'_>> {
    match plain_string(text) {
        Some((s, "")) => Some(Node::String(Cow::Borrowed(s))),
        Some(_) => None,
        None => serde_json::from_str(text).ok(),
    }
}

impl<'de> Deserialize<'de> for DisclosureParts<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct PartsVisitor;
        impl<'de> de::Visitor<'de> for PartsVisitor {
            type Value = DisclosureParts<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of 2 or 3 elements")
            }
            fn visit_seq<A: SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<DisclosureParts<'de>, A::Error> {
                let short = || de::Error::custom("fewer than 2 elements");
                let salt = seq.next_element::<Node<'de>>()?.ok_or_else(short)?;
                let second = seq.next_element::<Node<'de>>()?.ok_or_else(short)?;
                let Some(third) = seq.next_element_seed(NodeSeed)? else {
                    return Ok(DisclosureParts {
                        salt,
                        name: None,
                        value: second,
                    });
                };
                if seq.next_element::<IgnoredAny>()?.is_some() {
                    return Err(de::Error::custom("more than 3 elements"));
                }
                Ok(DisclosureParts {
                    salt,
                    name: Some(second),
                    value: third,
                })
            }
        }
        d.deserialize_seq(PartsVisitor)
    }
}

struct NodeSeed;

impl<'de> DeserializeSeed<'de> for NodeSeed {
    type Value = Node<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Node<'de>, D::Error> {
        Node::deserialize(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trees_equal_serde_json_values() {
        for text in [
            r#"{"a":1,"b":[true,false,null],"c":{"d":"e\u00e9\"f"},"g":-0,"h":1.5e3,"i":-7}"#,
            r#"[18446744073709551615,-9223372036854775808,0.1,"",{}]"#,
            r#""plain""#,
            r#"{"k\u0041":"v"}"#,
        ] {
            let node = Node::parse(text.as_bytes()).unwrap();
            let value: Value = serde_json::from_str(text).unwrap();
            assert_eq!(node.depth(), kakehashi_core::json::depth(&value), "{text}");
            assert_eq!(node.into_value(), Some(value), "{text}");
        }
    }

    #[test]
    fn strings_without_escapes_are_borrowed() {
        let node = Node::parse(br#"{"name":"Hanako","esc":"a\nb"}"#).unwrap();
        let Node::Object(members) = node else {
            panic!("object")
        };
        assert!(matches!(members[0].0, Cow::Borrowed("name")));
        assert!(matches!(
            members[0].1,
            Node::String(Cow::Borrowed("Hanako"))
        ));
        assert!(matches!(members[1].1, Node::String(Cow::Owned(_))));
    }

    #[test]
    fn duplicates_are_kept_and_refused_as_values() {
        let node = Node::parse(br#"{"a":1,"a":2}"#).unwrap();
        assert!(matches!(&node, Node::Object(m) if m.len() == 2));
        assert_eq!(node.into_value(), None);
    }

    #[test]
    fn not_json_is_none() {
        for bad in [&b"{"[..], b"[1,]", b"\"\xff\"", b"1 2", b"{\"a\":1}x"] {
            assert!(Node::parse(bad).is_none());
        }
    }

    /// The hand reader takes only what serde_json takes, and reads it the same way.
    #[test]
    fn plain_disclosures_read_as_serde_json_reads_them() {
        let texts = [
            r#"["s","n","v"]"#,
            r#"["s", "n", "v"]"#,
            " \t[ \"s\" ,\r\n\"n\" , \"v\" ]\n",
            r#"["s","n",1]"#,
            r#"["s","n",-0.5e3]"#,
            r#"["s","n",{"a":"]","b":[1,{"c":null}]}]"#,
            r#"["s","n",[1,"x"]]"#,
            r#"["s","n",true]"#,
            r#"["s","v"]"#,
            r#"["s",["v"]]"#,
            r#"["s",{"k":1}]"#,
            r#"["s","n","é ü 漢字"]"#,
            r#"["","",""]"#,
            r#"["s","n","a\"b"]"#,
            r#"["s\u0041","n","v"]"#,
            r#"["s","n\n","v"]"#,
            r#"["s","n","v","w"]"#,
            r#"["s","n",]"#,
            r#"["s",,"v"]"#,
            r#"["s","n" "v"]"#,
            r#"["s","n","v"]]"#,
            r#"[["s"],"n","v"]"#,
            r#"["s","n",1 2]"#,
            r#"["s","n","v"] x"#,
            "[\"s\",\"n\",\"\u{1}\"]",
            "[\"s\u{a0}\",\"n\",\"v\"]",
            "\u{a0}[\"s\",\"n\",\"v\"]",
            r#"["s"]"#,
            r#"[]"#,
            r#"{"s":1}"#,
            r#""s""#,
        ];
        for text in texts {
            let plain = DisclosureParts::parse_plain(text);
            let serde: Option<DisclosureParts<'_>> = serde_json::from_str(text).ok();
            match (&plain, &serde) {
                (Some(p), Some(s)) => {
                    assert_eq!(p.salt, s.salt, "{text}");
                    assert_eq!(p.name, s.name, "{text}");
                    assert_eq!(p.value, s.value, "{text}");
                }
                (Some(_), None) => panic!("the hand reader took what serde_json refuses: {text}"),
                (None, _) => {}
            }
        }
        // The usual shapes are taken by the hand reader.
        for text in [
            r#"["s","n","v"]"#,
            r#"["s", "n", {"a": 1}]"#,
            r#"["s",[1]]"#,
            r#"["s","v"]"#,
        ] {
            assert!(DisclosureParts::parse_plain(text).is_some(), "{text}");
        }
    }

    #[test]
    fn disclosure_parts() {
        let p = DisclosureParts::parse(br#"["s","n",{"x":1}]"#).unwrap();
        assert_eq!(p.salt, Node::String("s".into()));
        assert_eq!(p.name, Some(Node::String("n".into())));
        assert!(matches!(p.value, Node::Object(_)));
        let e = DisclosureParts::parse(br#"["s",[1]]"#).unwrap();
        assert!(e.name.is_none());
        for bad in [
            &br#"["s"]"#[..],
            br#"["s",1,2,3]"#,
            br#"{"s":1}"#,
            br#"[]"#,
            br#"["s",1,2]x"#,
        ] {
            assert!(DisclosureParts::parse(bad).is_none());
        }
    }
}
