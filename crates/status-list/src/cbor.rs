//! CBOR forms: the `StatusList` map (draft-ietf-oauth-status-list section 4.3) and the
//! `Status` map of a COSE-based Referenced Token (section 6.3).
//!
//! Only the content structures: COSE_Sign1 verification of a Status List CWT is not part of
//! the JOSE-only foundation, so a CWT is never accepted as verified here.

use ciborium::Value;

use crate::{Bits, EncodedStatusList, StatusListError, StatusListReference};

/// Nesting cap for untrusted CBOR: the structures here are two levels deep.
const CBOR_RECURSION_LIMIT: usize = 8;

impl EncodedStatusList {
    /// Parses the CBOR `StatusList` map `{bits, lst, ? aggregation_uri}`. Duplicate keys and
    /// bytes after the map are refused, so one encoding has one meaning.
    pub fn from_cbor(bytes: &[u8]) -> Result<Self, StatusListError> {
        let entries = read_map(bytes)?;
        let mut bits = None;
        let mut lst = None;
        let mut aggregation_uri = None;
        for (key, value) in entries {
            match key.as_str() {
                "bits" => {
                    let n = match value {
                        Value::Integer(i) => u8::try_from(i)
                            .map_err(|_| StatusListError::Cbor("bits out of range".into()))?,
                        _ => return Err(StatusListError::Cbor("bits is not an integer".into())),
                    };
                    set_once(&mut bits, Bits::try_from(n)?)?;
                }
                "lst" => match value {
                    Value::Bytes(b) => set_once(&mut lst, b)?,
                    _ => return Err(StatusListError::Cbor("lst is not a byte string".into())),
                },
                "aggregation_uri" => match value {
                    Value::Text(t) => {
                        crate::reference::check_uri(&t, "aggregation_uri")?;
                        set_once(&mut aggregation_uri, t)?;
                    }
                    _ => {
                        return Err(StatusListError::Cbor(
                            "aggregation_uri is not a text string".into(),
                        ));
                    }
                },
                _ => {}
            }
        }
        Ok(Self {
            bits: bits.ok_or(StatusListError::Missing("bits"))?,
            lst: lst.ok_or(StatusListError::Missing("lst"))?,
            aggregation_uri,
        })
    }

    /// Encodes the CBOR `StatusList` map, keys in the order of the spec's examples.
    pub fn to_cbor(&self) -> Result<Vec<u8>, StatusListError> {
        let mut entries = vec![
            (
                Value::Text("bits".into()),
                Value::Integer(self.bits.get().into()),
            ),
            (Value::Text("lst".into()), Value::Bytes(self.lst.clone())),
        ];
        if let Some(uri) = &self.aggregation_uri {
            entries.push((
                Value::Text("aggregation_uri".into()),
                Value::Text(uri.clone()),
            ));
        }
        let mut out = Vec::new();
        ciborium::ser::into_writer(&Value::Map(entries), &mut out)
            .map_err(|e| StatusListError::Cbor(e.to_string()))?;
        Ok(out)
    }
}

impl StatusListReference {
    /// Parses the CBOR `Status` map of a COSE-based Referenced Token (the value of CWT claim
    /// 65535): `{"status_list": {"idx": uint, "uri": tstr}}`.
    pub fn from_cbor_status(bytes: &[u8]) -> Result<Self, StatusListError> {
        let status = read_map(bytes)?;
        let mut info = None;
        for (key, value) in status {
            if key == "status_list" {
                match value {
                    Value::Map(m) => set_once(&mut info, m)?,
                    _ => return Err(StatusListError::Cbor("status_list is not a map".into())),
                }
            }
        }
        let info = info.ok_or(StatusListError::Missing("status_list"))?;
        let mut idx = None;
        let mut uri = None;
        for (key, value) in info {
            match (key, value) {
                (Value::Text(k), Value::Integer(i)) if k == "idx" => {
                    let i = u64::try_from(i).map_err(|_| StatusListError::Malformed {
                        field: "idx",
                        reason: "not a non-negative integer",
                    })?;
                    set_once(&mut idx, i)?;
                }
                (Value::Text(k), Value::Text(t)) if k == "uri" => {
                    crate::reference::check_uri(&t, "uri")?;
                    set_once(&mut uri, t)?;
                }
                (Value::Text(k), _) if k == "idx" || k == "uri" => {
                    return Err(StatusListError::Cbor(format!("{k} has the wrong type")));
                }
                _ => {}
            }
        }
        Ok(Self {
            idx: idx.ok_or(StatusListError::Missing("idx"))?,
            uri: uri.ok_or(StatusListError::Missing("uri"))?,
        })
    }
}

/// Reads exactly one CBOR map with text keys from `bytes`.
fn read_map(bytes: &[u8]) -> Result<Vec<(String, Value)>, StatusListError> {
    let mut reader = bytes;
    let value: Value =
        ciborium::de::from_reader_with_recursion_limit(&mut reader, CBOR_RECURSION_LIMIT)
            .map_err(|e| StatusListError::Cbor(e.to_string()))?;
    if !reader.is_empty() {
        return Err(StatusListError::Cbor("trailing bytes after the map".into()));
    }
    let Value::Map(entries) = value else {
        return Err(StatusListError::Cbor("not a map".into()));
    };
    let mut out: Vec<(String, Value)> = Vec::with_capacity(entries.len());
    for (key, value) in entries {
        match key {
            Value::Text(k) => {
                if out.iter().any(|(seen, _)| *seen == k) {
                    return Err(StatusListError::Cbor("duplicate map key".into()));
                }
                out.push((k, value));
            }
            // Other key types are not part of these structures; keep them out of the way.
            _ => continue,
        }
    }
    Ok(out)
}

fn set_once<T>(slot: &mut Option<T>, value: T) -> Result<(), StatusListError> {
    if slot.is_some() {
        return Err(StatusListError::Cbor("duplicate member".into()));
    }
    *slot = Some(value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DecodeLimits;

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn section_4_3_example() {
        let bytes = hex("a2646269747301636c73744a78dadbb918000217015d");
        let encoded = EncodedStatusList::from_cbor(&bytes).unwrap();
        assert_eq!(encoded.bits, Bits::One);
        assert_eq!(
            encoded.decode(DecodeLimits::DEFAULT).unwrap().as_bytes(),
            [0xb9, 0xa3]
        );
        assert_eq!(encoded.to_cbor().unwrap(), bytes);
    }

    #[test]
    fn refuses_bad_cbor() {
        let good = hex("a2646269747301636c73744a78dadbb918000217015d");
        let mut trailing = good.clone();
        trailing.push(0);
        assert!(EncodedStatusList::from_cbor(&trailing).is_err());
        assert!(EncodedStatusList::from_cbor(&good[..good.len() - 1]).is_err());
        // bits = 3
        let mut three = good.clone();
        three[6] = 0x03;
        assert_eq!(
            EncodedStatusList::from_cbor(&three),
            Err(StatusListError::BadBits(3))
        );
        // {"bits": 1, "bits": 1}
        let dup = hex("a2646269747301646269747301");
        assert!(EncodedStatusList::from_cbor(&dup).is_err());
        // lst as text
        let text_lst = hex("a2646269747301636c737461ff");
        assert!(EncodedStatusList::from_cbor(&text_lst).is_err());
        assert!(EncodedStatusList::from_cbor(&hex("80")).is_err());
        assert!(EncodedStatusList::from_cbor(&[]).is_err());
        // Deeply nested arrays stop at the recursion limit instead of the stack.
        let deep = vec![0x81; 10_000];
        assert!(EncodedStatusList::from_cbor(&deep).is_err());
    }

    #[test]
    fn reference_status_map() {
        // {"status_list": {"idx": 0, "uri": "https://example.com/statuslists/1"}}
        let bytes = hex(
            "a16b7374617475735f6c697374a2636964780063757269782168747470733a2f2f6578616d706c652e636f6d2f7374617475736c697374732f31",
        );
        let r = StatusListReference::from_cbor_status(&bytes).unwrap();
        assert_eq!(r.idx, 0);
        assert_eq!(r.uri, "https://example.com/statuslists/1");
        assert!(StatusListReference::from_cbor_status(&hex("a0")).is_err());
    }
}
