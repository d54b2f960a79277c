//! `credentialStatus` entries as structured data for the status layer.
//!
//! Nothing is fetched here: the status-list crate and the fetch edge take a
//! [`BitstringStatusListEntry`], load the list credential and look up the bit.

use serde_json::{Map, Value};

use crate::error::{VcError, snippet};
use crate::model::is_url;

/// One `credentialStatus` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CredentialStatus {
    /// W3C Bitstring Status List v1.0.
    BitstringStatusList(BitstringStatusListEntry),
    /// Any other status mechanism: shape-checked only (`type` present, `id` a URL).
    Other {
        /// The `id`, if present.
        id: Option<String>,
        /// The `type` values.
        types: Vec<String>,
    },
}

/// A `BitstringStatusListEntry` (W3C Bitstring Status List v1.0, section 2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BitstringStatusListEntry {
    /// The entry's `id`, if present.
    pub id: Option<String>,
    /// `statusPurpose`: `revocation`, `suspension`, `message`, `refresh` or an extension.
    pub status_purpose: String,
    /// `statusListIndex`: the bit position (spec form is a base-10 string; a JSON integer,
    /// as 1EdTech's validator emits, is accepted).
    pub status_list_index: u64,
    /// `statusListCredential`: the URL of the status list credential.
    pub status_list_credential: String,
    /// `statusSize` in bits, when given (default 1).
    pub status_size: Option<u32>,
}

pub(crate) fn parse_status_entry(entry: &Map<String, Value>) -> Result<CredentialStatus, VcError> {
    let types: Vec<String> = match entry.get("type") {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    };
    let id = entry.get("id").and_then(Value::as_str).map(str::to_owned);
    if !types.iter().any(|t| t == "BitstringStatusListEntry") {
        return Ok(CredentialStatus::Other { id, types });
    }
    let bad = |field: &'static str, reason: String| VcError::MalformedStatusEntry { field, reason };
    let status_purpose = match entry.get("statusPurpose") {
        Some(Value::String(p)) if !p.is_empty() => p.clone(),
        Some(other) => return Err(bad("statusPurpose", snippet(&other.to_string()))),
        None => return Err(bad("statusPurpose", "missing".into())),
    };
    let status_list_index = match entry.get("statusListIndex") {
        Some(Value::String(s)) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => s
            .parse::<u64>()
            .map_err(|_| bad("statusListIndex", "out of range".into()))?,
        Some(Value::Number(n)) => n
            .as_u64()
            .ok_or_else(|| bad("statusListIndex", "not a non-negative integer".into()))?,
        Some(other) => return Err(bad("statusListIndex", snippet(&other.to_string()))),
        None => return Err(bad("statusListIndex", "missing".into())),
    };
    let status_list_credential = match entry.get("statusListCredential") {
        Some(Value::String(u)) if is_url(u) => u.clone(),
        Some(other) => return Err(bad("statusListCredential", snippet(&other.to_string()))),
        None => return Err(bad("statusListCredential", "missing".into())),
    };
    let status_size = match entry.get("statusSize") {
        None => None,
        Some(v) => Some(
            v.as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .filter(|n| *n >= 1)
                .ok_or_else(|| bad("statusSize", snippet(&v.to_string())))?,
        ),
    };
    Ok(CredentialStatus::BitstringStatusList(
        BitstringStatusListEntry {
            id,
            status_purpose,
            status_list_index,
            status_list_credential,
            status_size,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<CredentialStatus, VcError> {
        parse_status_entry(v.as_object().unwrap())
    }

    #[test]
    fn bitstring_entry() {
        let entry = json!({"id": "https://s.example/l#94567", "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation", "statusListIndex": "94567",
            "statusListCredential": "https://s.example/l"});
        match parse(entry.clone()).unwrap() {
            CredentialStatus::BitstringStatusList(e) => {
                assert_eq!(e.status_list_index, 94567);
                assert_eq!(e.status_purpose, "revocation");
                assert_eq!(e.status_list_credential, "https://s.example/l");
            }
            other => panic!("{other:?}"),
        }
        let mut numeric = entry.clone();
        numeric["statusListIndex"] = json!(23);
        assert!(parse(numeric).is_ok());
        for (field, value) in [
            ("statusListIndex", json!("-1")),
            ("statusListIndex", json!("1e3")),
            ("statusListCredential", json!("not a url")),
            ("statusPurpose", json!("")),
            ("statusSize", json!(0)),
        ] {
            let mut bad = entry.clone();
            bad[field] = value;
            assert!(
                matches!(parse(bad), Err(VcError::MalformedStatusEntry { field: f, .. }) if f == field),
                "{field}"
            );
        }
        let mut missing = entry;
        missing.as_object_mut().unwrap().remove("statusPurpose");
        assert!(parse(missing).is_err());
        assert!(matches!(
            parse(json!({"type": "CredentialStatusList2017", "id": "did:x:1"})),
            Ok(CredentialStatus::Other { .. })
        ));
    }
}
