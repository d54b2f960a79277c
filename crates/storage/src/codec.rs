//! Value encodings shared by the drivers, so SQLite and PostgreSQL store the same bytes.
//!
//! Everything decodes with a typed [`StorageError::Corrupt`] instead of panicking.

use kakehashi_core::UnixTime;

use crate::StorageError;

/// Encodes a certificate chain as `u32` big-endian length + DER, repeated.
pub fn encode_certificate_chain(chain: &[Vec<u8>]) -> Result<Vec<u8>, StorageError> {
    let mut out = Vec::with_capacity(chain.iter().map(|c| c.len() + 4).sum());
    for der in chain {
        let len = u32::try_from(der.len())
            .map_err(|_| StorageError::invalid("certificate", "larger than 4 GiB"))?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(der);
    }
    Ok(out)
}

/// Decodes [`encode_certificate_chain`]'s output.
pub fn decode_certificate_chain(mut bytes: &[u8]) -> Result<Vec<Vec<u8>>, StorageError> {
    let mut chain = Vec::new();
    while !bytes.is_empty() {
        let Some((len, rest)) = bytes.split_first_chunk::<4>() else {
            return Err(StorageError::corrupt(
                "certificate chain",
                "truncated length",
            ));
        };
        let len = usize::try_from(u32::from_be_bytes(*len))
            .map_err(|_| StorageError::corrupt("certificate chain", "length overflow"))?;
        if rest.len() < len {
            return Err(StorageError::corrupt(
                "certificate chain",
                "truncated certificate",
            ));
        }
        let (der, rest) = rest.split_at(len);
        chain.push(der.to_vec());
        bytes = rest;
    }
    Ok(chain)
}

/// Encodes a list of strings as a JSON array.
pub fn encode_strings(values: &[String]) -> String {
    serde_json::Value::from(values.to_vec()).to_string()
}

/// Decodes [`encode_strings`]' output.
pub fn decode_strings(what: &'static str, text: &str) -> Result<Vec<String>, StorageError> {
    serde_json::from_str(text).map_err(|e| StorageError::corrupt(what, e))
}

/// Encodes a JSON value as text.
pub fn encode_json(value: &serde_json::Value) -> String {
    value.to_string()
}

/// Decodes stored JSON text.
pub fn decode_json(what: &'static str, text: &str) -> Result<serde_json::Value, StorageError> {
    serde_json::from_str(text).map_err(|e| StorageError::corrupt(what, e))
}

/// Decodes an optional JSON text.
pub fn decode_json_opt(
    what: &'static str,
    text: Option<String>,
) -> Result<Option<serde_json::Value>, StorageError> {
    text.map(|t| decode_json(what, &t)).transpose()
}

/// A stored integer that must fit a `u32`.
pub fn to_u32(what: &'static str, value: i64) -> Result<u32, StorageError> {
    u32::try_from(value).map_err(|_| StorageError::corrupt(what, format!("{value} out of range")))
}

/// A stored integer that must fit a `u8`.
pub fn to_u8(what: &'static str, value: i64) -> Result<u8, StorageError> {
    u8::try_from(value).map_err(|_| StorageError::corrupt(what, format!("{value} out of range")))
}

/// A stored optional time.
pub fn to_time_opt(value: Option<i64>) -> Option<UnixTime> {
    value.map(UnixTime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificate_chain_round_trip() {
        let chain = vec![vec![0x30, 1, 2], vec![], vec![0x30; 300]];
        let bytes = encode_certificate_chain(&chain).unwrap();
        assert_eq!(decode_certificate_chain(&bytes).unwrap(), chain);
        assert_eq!(
            decode_certificate_chain(&[]).unwrap(),
            Vec::<Vec<u8>>::new()
        );
    }

    #[test]
    fn truncated_chain_is_corrupt() {
        assert!(matches!(
            decode_certificate_chain(&[0, 0, 0, 5, 1]),
            Err(StorageError::Corrupt { .. })
        ));
        assert!(matches!(
            decode_certificate_chain(&[0, 0]),
            Err(StorageError::Corrupt { .. })
        ));
    }
}
