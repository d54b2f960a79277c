//! Bounded JSON parsing for untrusted input.
//!
//! serde_json already stops at 128 levels of recursion; protocol objects need far fewer, and a
//! size cap must be applied before parsing starts. [`parse_limited`] checks both in one pass
//! over the bytes, then parses.

use serde_json::Value;

/// Caps applied to one untrusted JSON document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonLimits {
    /// Maximum size in bytes of the encoded document.
    pub max_bytes: usize,
    /// Maximum nesting of arrays and objects (the top-level value is depth 1).
    pub max_depth: usize,
}

impl JsonLimits {
    /// Limits for a JWT header or payload, a disclosure, a protocol message: 1 MiB, depth 32.
    /// Credentials in the pilot are a few KiB; real-world diplomas with transcripts stay
    /// well under 1 MiB.
    pub const DEFAULT: JsonLimits = JsonLimits {
        max_bytes: 1 << 20,
        max_depth: 32,
    };
}

impl Default for JsonLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Why a document was refused before or during parsing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JsonError {
    /// The document is larger than [`JsonLimits::max_bytes`].
    #[error("JSON document of {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge { size: usize, limit: usize },
    /// Arrays/objects are nested deeper than [`JsonLimits::max_depth`].
    #[error("JSON nesting exceeds the limit of {limit} levels")]
    TooDeep { limit: usize },
    /// Not well-formed JSON (or not UTF-8).
    #[error("malformed JSON: {0}")]
    Malformed(String),
}

/// Parses `bytes` as one JSON value, refusing oversized or over-nested input.
pub fn parse_limited(bytes: &[u8], limits: JsonLimits) -> Result<Value, JsonError> {
    check_limits(bytes, limits)?;
    serde_json::from_slice(bytes).map_err(|e| JsonError::Malformed(e.to_string()))
}

/// Parses `bytes` as a JSON object (the shape of every JOSE header, JWT payload and protocol
/// message).
pub fn parse_object(
    bytes: &[u8],
    limits: JsonLimits,
) -> Result<serde_json::Map<String, Value>, JsonError> {
    match parse_limited(bytes, limits)? {
        Value::Object(map) => Ok(map),
        _ => Err(JsonError::Malformed("expected a JSON object".into())),
    }
}

/// Checks size and nesting depth without building any value.
pub fn check_limits(bytes: &[u8], limits: JsonLimits) -> Result<(), JsonError> {
    if bytes.len() > limits.max_bytes {
        return Err(JsonError::TooLarge {
            size: bytes.len(),
            limit: limits.max_bytes,
        });
    }
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in bytes {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > limits.max_depth {
                    return Err(JsonError::TooDeep {
                        limit: limits.max_depth,
                    });
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// Returns the depth of a parsed value (scalars are depth 0, `[]` is 1).
pub fn depth(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Value::Object(map) => 1 + map.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits() {
        let l = JsonLimits {
            max_bytes: 64,
            max_depth: 3,
        };
        assert!(parse_limited(br#"{"a":[{"b":1}]}"#, l).is_ok());
        assert_eq!(
            parse_limited(br#"{"a":[{"b":[1]}]}"#, l),
            Err(JsonError::TooDeep { limit: 3 })
        );
        assert!(
            parse_limited(br#"{"a":"[[[[[[[["}"#, l).is_ok(),
            "brackets in strings"
        );
        assert!(
            parse_limited(br#"{"a":"\"[[[[[[[["}"#, l).is_ok(),
            "escaped quote"
        );
        assert!(matches!(
            parse_limited(&[b' '; 65], l),
            Err(JsonError::TooLarge { .. })
        ));
        assert!(matches!(
            parse_limited(b"{", l),
            Err(JsonError::Malformed(_))
        ));
        assert!(parse_object(b"[]", l).is_err());
        assert_eq!(depth(&serde_json::json!({"a":[{"b":1}]})), 3);
    }
}
