//! The Token Status List byte array (draft-ietf-oauth-status-list section 4.1) and its JSON
//! form (section 4.2).
//!
//! Index `i` of a list with `bits` bits per entry lives in byte `i * bits / 8` at bit offset
//! `i * bits % 8`, counted from the least significant bit. This is the opposite of the W3C
//! Bitstring Status List (see [`crate::bitstring`]); mixing the two up silently checks the
//! wrong credential, which is why the two are separate types.

use kakehashi_core::b64;
use serde_json::{Map, Value};

use crate::compress::{self, Compression};
use crate::{DecodeLimits, StatusListError};

/// Bits per Referenced Token: 1, 2, 4 or 8, so every status sits inside one byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bits {
    /// Two states: VALID / INVALID.
    One,
    /// Up to four states (adds SUSPENDED and one application-specific value).
    Two,
    /// Up to sixteen states.
    Four,
    /// Up to 256 states.
    Eight,
}

impl Bits {
    /// All sizes, smallest first.
    pub const ALL: [Bits; 4] = [Bits::One, Bits::Two, Bits::Four, Bits::Eight];

    /// The number of bits.
    pub const fn get(self) -> u8 {
        match self {
            Bits::One => 1,
            Bits::Two => 2,
            Bits::Four => 4,
            Bits::Eight => 8,
        }
    }

    /// Entries per byte (8 / bits).
    pub const fn per_byte(self) -> u8 {
        8 / self.get()
    }

    /// The largest value an entry can hold.
    pub const fn max_value(self) -> u8 {
        u8::MAX >> (8 - self.get())
    }
}

impl TryFrom<u8> for Bits {
    type Error = StatusListError;

    fn try_from(value: u8) -> Result<Self, Self::Error> {
        match value {
            1 => Ok(Bits::One),
            2 => Ok(Bits::Two),
            4 => Ok(Bits::Four),
            8 => Ok(Bits::Eight),
            other => Err(StatusListError::BadBits(other)),
        }
    }
}

/// An uncompressed Token Status List: `bits` per entry, LSB-first within each byte.
///
/// The number of entries is always a whole number of bytes (section 12.4 recommends sizes
/// divisible by 8 bits, and a decoded list cannot tell padding from entries anyway).
#[derive(Clone, PartialEq, Eq)]
pub struct StatusList {
    bits: Bits,
    bytes: Vec<u8>,
}

impl std::fmt::Debug for StatusList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A list can be megabytes; print its shape, not its content.
        f.debug_struct("StatusList")
            .field("bits", &self.bits.get())
            .field("len", &self.len())
            .finish()
    }
}

impl StatusList {
    /// A list of at least `entries` entries, all 0x00 (VALID), rounded up to whole bytes.
    pub fn new(bits: Bits, entries: u64) -> Result<Self, StatusListError> {
        let too_large = || StatusListError::TooLarge {
            entries,
            bits: u64::from(bits.get()),
        };
        let total_bits = entries
            .checked_mul(u64::from(bits.get()))
            .ok_or_else(too_large)?;
        let byte_len = usize::try_from(total_bits.div_ceil(8)).map_err(|_| too_large())?;
        Ok(Self {
            bits,
            bytes: vec![0; byte_len],
        })
    }

    /// Wraps an uncompressed byte array.
    pub fn from_bytes(bits: Bits, bytes: Vec<u8>) -> Self {
        Self { bits, bytes }
    }

    /// Bits per entry.
    pub fn bits(&self) -> Bits {
        self.bits
    }

    /// The number of entries (`bytes * 8 / bits`).
    pub fn len(&self) -> u64 {
        byte_len_u64(&self.bytes).saturating_mul(u64::from(self.bits.per_byte()))
    }

    /// True when the list has no entries.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The uncompressed byte array.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The status value at `index`.
    pub fn get(&self, index: u64) -> Result<u8, StatusListError> {
        let (byte, shift) = self.locate(index)?;
        Ok((self.bytes[byte] >> shift) & self.bits.max_value())
    }

    /// Sets the status value at `index`; `value` must fit in `bits`.
    pub fn set(&mut self, index: u64, value: u8) -> Result<(), StatusListError> {
        if value > self.bits.max_value() {
            return Err(StatusListError::ValueTooLarge {
                value: u32::from(value),
                bits: self.bits.get(),
            });
        }
        let (byte, shift) = self.locate(index)?;
        let mask = self.bits.max_value() << shift;
        let slot = &mut self.bytes[byte];
        *slot = (*slot & !mask) | (value << shift);
        Ok(())
    }

    /// Byte position and bit shift of `index`, or `IndexOutOfRange`.
    fn locate(&self, index: u64) -> Result<(usize, u8), StatusListError> {
        let len = self.len();
        let out_of_range = StatusListError::IndexOutOfRange { index, len };
        if index >= len {
            return Err(out_of_range);
        }
        let per_byte = u64::from(self.bits.per_byte());
        let byte = usize::try_from(index / per_byte).map_err(|_| out_of_range.clone())?;
        // `index % per_byte` is below 8, so the shift fits in a u8.
        let slot = u8::try_from(index % per_byte).map_err(|_| out_of_range)?;
        Ok((byte, slot * self.bits.get()))
    }

    /// Compresses the byte array (ZLIB, section 4.1 step 4).
    pub fn compress(&self, compression: Compression) -> Result<Vec<u8>, StatusListError> {
        compress::zlib_compress(&self.bytes, compression)
    }

    /// Inflates a compressed byte array, refusing more than `max_decompressed_bytes`.
    pub fn decompress(
        bits: Bits,
        compressed: &[u8],
        max_decompressed_bytes: usize,
    ) -> Result<Self, StatusListError> {
        let bytes = compress::zlib_inflate_limited(compressed, max_decompressed_bytes)?;
        Ok(Self { bits, bytes })
    }

    /// The compressed JSON / CBOR form of this list.
    pub fn encode(
        &self,
        compression: Compression,
        aggregation_uri: Option<&str>,
    ) -> Result<EncodedStatusList, StatusListError> {
        Ok(EncodedStatusList {
            bits: self.bits,
            lst: self.compress(compression)?,
            aggregation_uri: aggregation_uri.map(str::to_owned),
        })
    }
}

fn byte_len_u64(bytes: &[u8]) -> u64 {
    u64::try_from(bytes.len()).unwrap_or(u64::MAX)
}

/// The `StatusList` structure as transmitted: `bits`, the compressed `lst` and the optional
/// `aggregation_uri` (sections 4.2 and 4.3), before inflation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedStatusList {
    /// Bits per entry.
    pub bits: Bits,
    /// The ZLIB-compressed byte array (base64url-decoded in the JSON form).
    pub lst: Vec<u8>,
    /// Where the Status List Aggregation of this issuer lives (section 9).
    pub aggregation_uri: Option<String>,
}

impl EncodedStatusList {
    /// Parses the JSON `StatusList` object (the `status_list` claim of a Status List Token).
    /// Unknown members are ignored, as JSON extensibility requires.
    pub fn from_json(value: &Value, limits: DecodeLimits) -> Result<Self, StatusListError> {
        let object = value.as_object().ok_or(StatusListError::Malformed {
            field: "status_list",
            reason: "not a JSON object",
        })?;
        let bits = parse_bits(object)?;
        let lst = match object.get("lst") {
            None => return Err(StatusListError::Missing("lst")),
            Some(Value::String(text)) => {
                if text.len() > limits.max_encoded_bytes {
                    return Err(StatusListError::EncodedTooLarge {
                        size: text.len(),
                        limit: limits.max_encoded_bytes,
                    });
                }
                b64::decode(text).map_err(|_| StatusListError::Malformed {
                    field: "lst",
                    reason: "not base64url without padding",
                })?
            }
            Some(_) => {
                return Err(StatusListError::Malformed {
                    field: "lst",
                    reason: "not a string",
                });
            }
        };
        let aggregation_uri = match object.get("aggregation_uri") {
            None => None,
            Some(Value::String(uri)) => {
                crate::reference::check_uri(uri, "aggregation_uri")?;
                Some(uri.clone())
            }
            Some(_) => {
                return Err(StatusListError::Malformed {
                    field: "aggregation_uri",
                    reason: "not a string",
                });
            }
        };
        Ok(Self {
            bits,
            lst,
            aggregation_uri,
        })
    }

    /// The JSON `StatusList` object.
    pub fn to_json(&self) -> Value {
        let mut object = Map::new();
        object.insert("bits".into(), self.bits.get().into());
        object.insert("lst".into(), b64::encode(&self.lst).into());
        if let Some(uri) = &self.aggregation_uri {
            object.insert("aggregation_uri".into(), uri.clone().into());
        }
        Value::Object(object)
    }

    /// Inflates `lst` under `limits` into a list that can be queried.
    pub fn decode(&self, limits: DecodeLimits) -> Result<StatusList, StatusListError> {
        StatusList::decompress(self.bits, &self.lst, limits.max_decompressed_bytes)
    }
}

fn parse_bits(object: &Map<String, Value>) -> Result<Bits, StatusListError> {
    let value = object.get("bits").ok_or(StatusListError::Missing("bits"))?;
    let number = value.as_u64().ok_or(StatusListError::Malformed {
        field: "bits",
        reason: "not a non-negative integer",
    })?;
    let small = u8::try_from(number).map_err(|_| StatusListError::Malformed {
        field: "bits",
        reason: "larger than 8",
    })?;
    Bits::try_from(small)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// The 1-bit example of section 4.1: statuses 1,0,0,1,1,1,0,1,1,1,0,0,0,1,0,1.
    #[test]
    fn section_4_1_one_bit_example() {
        let statuses = [1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1];
        let mut list = StatusList::new(Bits::One, 16).unwrap();
        for (i, s) in (0u64..).zip(statuses) {
            list.set(i, s).unwrap();
        }
        assert_eq!(list.as_bytes(), [0xb9, 0xa3]);
        assert_eq!(list.len(), 16);
    }

    /// The 2-bit example of section 4.1.
    #[test]
    fn section_4_1_two_bit_example() {
        let statuses = [1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3];
        let mut list = StatusList::new(Bits::Two, 12).unwrap();
        for (i, s) in (0u64..).zip(statuses) {
            list.set(i, s).unwrap();
        }
        assert_eq!(list.as_bytes(), [0xc9, 0x44, 0xf9]);
        for (i, s) in (0u64..).zip(statuses) {
            assert_eq!(list.get(i).unwrap(), s);
        }
    }

    #[test]
    fn typed_errors() {
        let mut list = StatusList::new(Bits::Four, 3).unwrap();
        assert_eq!(list.len(), 4, "rounded up to whole bytes");
        assert_eq!(
            list.get(4),
            Err(StatusListError::IndexOutOfRange { index: 4, len: 4 })
        );
        assert_eq!(
            list.set(u64::MAX, 1),
            Err(StatusListError::IndexOutOfRange {
                index: u64::MAX,
                len: 4
            })
        );
        assert_eq!(
            list.set(0, 16),
            Err(StatusListError::ValueTooLarge { value: 16, bits: 4 })
        );
        assert!(matches!(
            StatusList::new(Bits::Eight, u64::MAX),
            Err(StatusListError::TooLarge { .. })
        ));
        assert_eq!(Bits::try_from(3), Err(StatusListError::BadBits(3)));
        let empty = StatusList::from_bytes(Bits::One, Vec::new());
        assert!(empty.is_empty());
        assert!(empty.get(0).is_err());
    }

    #[test]
    fn set_does_not_touch_neighbours() {
        for bits in Bits::ALL {
            let mut list = StatusList::new(bits, 64).unwrap();
            list.set(5, bits.max_value()).unwrap();
            for i in 0..list.len() {
                let expected = if i == 5 { bits.max_value() } else { 0 };
                assert_eq!(list.get(i).unwrap(), expected, "{bits:?} {i}");
            }
            list.set(5, 0).unwrap();
            assert!(list.as_bytes().iter().all(|b| *b == 0));
        }
    }

    #[test]
    fn json_form() {
        let limits = DecodeLimits::DEFAULT;
        let encoded =
            EncodedStatusList::from_json(&json!({"bits": 1, "lst": "eNrbuRgAAhcBXQ"}), limits)
                .unwrap();
        assert_eq!(encoded.decode(limits).unwrap().as_bytes(), [0xb9, 0xa3]);
        assert_eq!(
            encoded.to_json(),
            json!({"bits": 1, "lst": "eNrbuRgAAhcBXQ"})
        );
        for (bad, expected) in [
            (json!({"bits": 3, "lst": "eNrbuRgAAhcBXQ"}), "BadBits(3)"),
            (json!({"bits": 256, "lst": "x"}), "Malformed"),
            (json!({"bits": "1", "lst": "x"}), "Malformed"),
            (json!({"bits": 1.0, "lst": "x"}), "Malformed"),
            (json!({"bits": -1, "lst": "x"}), "Malformed"),
            (json!({"lst": "eNrbuRgAAhcBXQ"}), "Missing(\"bits\")"),
            (json!({"bits": 1}), "Missing(\"lst\")"),
            (json!({"bits": 1, "lst": 5}), "Malformed"),
            (json!({"bits": 1, "lst": "eNrbuRgAAhcBXQ=="}), "Malformed"),
            (
                json!({"bits": 1, "lst": "eNrbuRgAAhcBXQ", "aggregation_uri": 1}),
                "Malformed",
            ),
            (json!([1]), "Malformed"),
        ] {
            let err = EncodedStatusList::from_json(&bad, limits).unwrap_err();
            assert!(format!("{err:?}").starts_with(expected), "{bad} -> {err:?}");
        }
        let tight = DecodeLimits {
            max_encoded_bytes: 4,
            ..limits
        };
        assert!(matches!(
            EncodedStatusList::from_json(&json!({"bits": 1, "lst": "eNrbuRgAAhcBXQ"}), tight),
            Err(StatusListError::EncodedTooLarge { size: 14, limit: 4 })
        ));
    }

    #[test]
    fn aggregation_uri_round_trip() {
        let list = StatusList::new(Bits::Two, 8).unwrap();
        let encoded = list
            .encode(Compression::BEST, Some("https://example.com/statuslists"))
            .unwrap();
        let json = encoded.to_json();
        assert_eq!(json["aggregation_uri"], "https://example.com/statuslists");
        let back = EncodedStatusList::from_json(&json, DecodeLimits::DEFAULT).unwrap();
        assert_eq!(back, encoded);
        assert_eq!(back.decode(DecodeLimits::DEFAULT).unwrap(), list);
    }
}
