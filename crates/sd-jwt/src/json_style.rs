//! How the issuer and holder write JSON before base64url-encoding it.
//!
//! The bytes are what gets hashed and signed, so they must be produced once and never
//! re-serialized. [`JsonStyle::Compact`] is the default; [`JsonStyle::PythonCompatible`]
//! writes what Python's `json.dumps` writes (`", "` / `": "` separators, non-ASCII escaped),
//! the form used by the RFC 9901 examples and the reference implementation, so their
//! Disclosures and payloads can be reproduced byte for byte.

use std::fmt::Write as _;

use serde_json::Value;

/// A JSON text style.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum JsonStyle {
    /// No whitespace (serde_json's output).
    #[default]
    Compact,
    /// Python `json.dumps` defaults, as in the RFC 9901 examples.
    PythonCompatible,
}

impl JsonStyle {
    /// Writes `value` in this style.
    pub fn to_string(self, value: &Value) -> String {
        match self {
            // Straight into a byte buffer: `Display` goes through a formatter adapter and
            // was the slower half of serializing a credential. Same text either way.
            JsonStyle::Compact => {
                serde_json::to_string(value).unwrap_or_else(|_| value.to_string())
            }
            JsonStyle::PythonCompatible => {
                let mut out = String::new();
                write_python(value, &mut out);
                out
            }
        }
    }
}

fn write_python(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            // Python prints floats with a ".0" when integral (1.0); serde_json does too.
            let _ = write!(out, "{n}");
        }
        Value::String(s) => write_python_str(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_python(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_python_str(k, out);
                out.push_str(": ");
                write_python(v, out);
            }
            out.push('}');
        }
    }
}

/// Python's `ensure_ascii=True` string escaping.
fn write_python_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn python_style() {
        let v = json!(["salt", "name", {"a": [1, 2.5, null, true], "j": "東京 €😀\n\"/"}]);
        assert_eq!(
            JsonStyle::PythonCompatible.to_string(&v),
            r#"["salt", "name", {"a": [1, 2.5, null, true], "j": "\u6771\u4eac \u20ac\ud83d\ude00\n\"/"}]"#
        );
        assert_eq!(
            JsonStyle::Compact.to_string(&json!({"a": [1]})),
            r#"{"a":[1]}"#
        );
        let back: Value = serde_json::from_str(&JsonStyle::PythonCompatible.to_string(&v)).unwrap();
        assert_eq!(back, v);
    }
}
