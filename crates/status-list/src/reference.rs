//! The Referenced Token side: the `status.status_list` claim (draft-ietf-oauth-status-list
//! section 6) and the Status Type values (section 7).

use serde_json::{Map, Value};

use crate::StatusListError;

/// `status.status_list` of a Referenced Token: which entry of which list holds its status.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StatusListReference {
    /// The entry's index in the list.
    pub idx: u64,
    /// The URI of the Status List Token; must equal that token's `sub`.
    pub uri: String,
}

impl StatusListReference {
    /// Reads `status.status_list` from a Referenced Token's claims (a JWT, or the processed
    /// payload of an SD-JWT VC with `status` disclosed).
    pub fn from_claims(claims: &Map<String, Value>) -> Result<Self, StatusListError> {
        let status = claims
            .get("status")
            .ok_or(StatusListError::Missing("status"))?
            .as_object()
            .ok_or(StatusListError::Malformed {
                field: "status",
                reason: "not a JSON object",
            })?;
        let reference = status
            .get("status_list")
            .ok_or(StatusListError::Missing("status_list"))?;
        Self::from_json(reference)
    }

    /// Reads the `status_list` object `{"idx": .., "uri": ..}`.
    pub fn from_json(value: &Value) -> Result<Self, StatusListError> {
        let object = value.as_object().ok_or(StatusListError::Malformed {
            field: "status_list",
            reason: "not a JSON object",
        })?;
        let idx = object
            .get("idx")
            .ok_or(StatusListError::Missing("idx"))?
            .as_u64()
            .ok_or(StatusListError::Malformed {
                field: "idx",
                reason: "not a non-negative integer",
            })?;
        let uri = object
            .get("uri")
            .ok_or(StatusListError::Missing("uri"))?
            .as_str()
            .ok_or(StatusListError::Malformed {
                field: "uri",
                reason: "not a string",
            })?;
        check_uri(uri, "uri")?;
        Ok(Self {
            idx,
            uri: uri.to_owned(),
        })
    }

    /// The `status` claim to put in a Referenced Token: `{"status_list": {"idx", "uri"}}`.
    pub fn to_status_claim(&self) -> Value {
        serde_json::json!({ "status_list": { "idx": self.idx, "uri": self.uri } })
    }
}

/// The Status List Aggregation document (section 9.3): the URIs of an issuer's Status List
/// Tokens, so a verifier can prefetch them all for offline checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusListAggregation {
    /// `status_lists`.
    pub status_lists: Vec<String>,
}

impl StatusListAggregation {
    /// Parses the JSON document (untrusted bytes, capped by `limits`).
    pub fn from_json_bytes(
        bytes: &[u8],
        limits: kakehashi_core::JsonLimits,
    ) -> Result<Self, StatusListError> {
        let object = kakehashi_core::json::parse_object(bytes, limits)?;
        let items = object
            .get("status_lists")
            .ok_or(StatusListError::Missing("status_lists"))?
            .as_array()
            .ok_or(StatusListError::Malformed {
                field: "status_lists",
                reason: "not an array",
            })?;
        let status_lists = items
            .iter()
            .map(|item| {
                let uri = item.as_str().ok_or(StatusListError::Malformed {
                    field: "status_lists",
                    reason: "element is not a string",
                })?;
                check_uri(uri, "status_lists")?;
                Ok(uri.to_owned())
            })
            .collect::<Result<_, StatusListError>>()?;
        Ok(Self { status_lists })
    }

    /// The JSON document.
    pub fn to_json(&self) -> Value {
        serde_json::json!({ "status_lists": self.status_lists })
    }
}

/// A status value read from a list (section 7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusType {
    /// 0x00: valid, correct or legal.
    Valid,
    /// 0x01: revoked, annulled, recalled; permanent.
    Invalid,
    /// 0x02: temporarily invalid.
    Suspended,
    /// 0x03 and 0x0C..=0x0F: permanently reserved for application-specific use.
    ApplicationSpecific(u8),
    /// Any other value: reserved for future registration. Treat as not valid.
    Reserved(u8),
}

impl StatusType {
    /// The raw value.
    pub const fn value(self) -> u8 {
        match self {
            StatusType::Valid => 0x00,
            StatusType::Invalid => 0x01,
            StatusType::Suspended => 0x02,
            StatusType::ApplicationSpecific(v) | StatusType::Reserved(v) => v,
        }
    }

    /// True only for 0x00: every other value, known or not, means "do not accept as valid".
    pub const fn is_valid(self) -> bool {
        matches!(self, StatusType::Valid)
    }
}

impl From<u8> for StatusType {
    fn from(value: u8) -> Self {
        match value {
            0x00 => StatusType::Valid,
            0x01 => StatusType::Invalid,
            0x02 => StatusType::Suspended,
            0x03 | 0x0c..=0x0f => StatusType::ApplicationSpecific(value),
            other => StatusType::Reserved(other),
        }
    }
}

/// A light RFC 3986 check: a scheme (`ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"`), then
/// no whitespace or control characters. Enough to refuse values that cannot be a URI, not a
/// full parser: the value is only ever compared, never dereferenced here.
pub(crate) fn check_uri(uri: &str, field: &'static str) -> Result<(), StatusListError> {
    let bad = |reason| StatusListError::Malformed { field, reason };
    let Some((scheme, rest)) = uri.split_once(':') else {
        return Err(bad("not a URI: no scheme"));
    };
    let mut chars = scheme.chars();
    if !chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        || !chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    {
        return Err(bad("not a URI: invalid scheme"));
    }
    if rest.is_empty() {
        return Err(bad("not a URI: empty after the scheme"));
    }
    if uri.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("not a URI: whitespace or control character"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn claims(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn reads_the_spec_example() {
        let r = StatusListReference::from_claims(&claims(json!({
            "status": {"status_list": {"idx": 0, "uri": "https://example.com/statuslists/1"}}
        })))
        .unwrap();
        assert_eq!(r.idx, 0);
        assert_eq!(r.uri, "https://example.com/statuslists/1");
        assert_eq!(
            StatusListReference::from_json(&r.to_status_claim()["status_list"]).unwrap(),
            r
        );
    }

    #[test]
    fn refuses_malformed_references() {
        for (bad, expected) in [
            (json!({}), "Missing(\"status\")"),
            (json!({"status": []}), "Malformed"),
            (json!({"status": {"other": {}}}), "Missing(\"status_list\")"),
            (
                json!({"status": {"status_list": {"uri": "https://a"}}}),
                "Missing(\"idx\")",
            ),
            (
                json!({"status": {"status_list": {"idx": 1}}}),
                "Missing(\"uri\")",
            ),
            (
                json!({"status": {"status_list": {"idx": -1, "uri": "https://a"}}}),
                "Malformed",
            ),
            (
                json!({"status": {"status_list": {"idx": 1.5, "uri": "https://a"}}}),
                "Malformed",
            ),
            (
                json!({"status": {"status_list": {"idx": "1", "uri": "https://a"}}}),
                "Malformed",
            ),
            (
                json!({"status": {"status_list": {"idx": 1, "uri": "no-scheme"}}}),
                "Malformed",
            ),
            (
                json!({"status": {"status_list": {"idx": 1, "uri": "1http://a"}}}),
                "Malformed",
            ),
            (
                json!({"status": {"status_list": {"idx": 1, "uri": "https://a b"}}}),
                "Malformed",
            ),
            (
                json!({"status": {"status_list": {"idx": 1, "uri": "https:"}}}),
                "Malformed",
            ),
        ] {
            let err = StatusListReference::from_claims(&claims(bad.clone())).unwrap_err();
            assert!(format!("{err:?}").starts_with(expected), "{bad} -> {err:?}");
        }
    }

    #[test]
    fn aggregation() {
        let limits = kakehashi_core::JsonLimits::DEFAULT;
        let a = StatusListAggregation::from_json_bytes(
            br#"{"status_lists": ["https://example.com/statuslists/1"]}"#,
            limits,
        )
        .unwrap();
        assert_eq!(a.status_lists, ["https://example.com/statuslists/1"]);
        assert_eq!(
            StatusListAggregation::from_json_bytes(a.to_json().to_string().as_bytes(), limits)
                .unwrap(),
            a
        );
        for bad in [
            &br#"{}"#[..],
            br#"{"status_lists": "x"}"#,
            br#"{"status_lists": [1]}"#,
            br#"{"status_lists": ["no scheme"]}"#,
            br#"[]"#,
        ] {
            assert!(StatusListAggregation::from_json_bytes(bad, limits).is_err());
        }
    }

    #[test]
    fn status_types() {
        assert_eq!(StatusType::from(0), StatusType::Valid);
        assert_eq!(StatusType::from(1), StatusType::Invalid);
        assert_eq!(StatusType::from(2), StatusType::Suspended);
        assert_eq!(StatusType::from(3), StatusType::ApplicationSpecific(3));
        assert_eq!(
            StatusType::from(0x0c),
            StatusType::ApplicationSpecific(0x0c)
        );
        assert_eq!(StatusType::from(0x04), StatusType::Reserved(4));
        assert_eq!(StatusType::from(0xff), StatusType::Reserved(0xff));
        for v in 0..=u8::MAX {
            assert_eq!(StatusType::from(v).value(), v);
            assert_eq!(StatusType::from(v).is_valid(), v == 0);
        }
    }
}
