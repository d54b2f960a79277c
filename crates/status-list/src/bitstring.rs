//! W3C Bitstring Status List v1.0: the bitstring, `encodedList`, `BitstringStatusListEntry`,
//! the `BitstringStatusListCredential` content and the validate algorithm (section 3.2).
//!
//! The bitstring is MSB first: index 0 is the left-most bit, the most significant bit of the
//! first byte, and an entry of `statusSize` bits is read left to right as a binary number. It
//! is GZIP-compressed and written as multibase base64url (`u` prefix, no padding). Securing
//! the credential (vc+jwt, Data Integrity) is the VC crate's job; this module builds and reads
//! its JSON and answers status questions once the caller has verified it.

use kakehashi_core::{UnixTime, b64};
use serde_json::{Map, Value};

use crate::compress::{self, Compression};
use crate::token::Freshness;
use crate::{CachePolicy, DecodeLimits, StatusListError};

/// Minimum entries per list for herd privacy (16 KB of 1-bit entries, section 3.2 step 2).
pub const MIN_ENTRIES: u64 = 131_072;

/// Largest `statusSize` accepted. The spec allows any positive size, but `statusMessage` must
/// then list `2^statusSize` messages; at 17 bits that is over 3 MB of JSON in every credential,
/// far past any document limit here, so larger sizes can never come with a conforming entry.
pub const MAX_STATUS_SIZE: u8 = 16;

/// `ttl` when the list credential has none, in milliseconds (section 2.2).
pub const DEFAULT_TTL_MS: u64 = 300_000;

/// `type` of a status entry.
pub const ENTRY_TYPE: &str = "BitstringStatusListEntry";
/// `type` of the status list credential.
pub const CREDENTIAL_TYPE: &str = "BitstringStatusListCredential";
/// `credentialSubject.type` of the status list credential.
pub const SUBJECT_TYPE: &str = "BitstringStatusList";

/// A Bitstring Status List with `statusSize` bits per entry, MSB first.
#[derive(Clone, PartialEq, Eq)]
pub struct Bitstring {
    status_size: u8,
    bytes: Vec<u8>,
}

impl std::fmt::Debug for Bitstring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bitstring")
            .field("status_size", &self.status_size)
            .field("len", &self.len())
            .finish()
    }
}

impl Bitstring {
    /// A list of at least `entries` entries (rounded up to whole bytes), all 0. Fewer than
    /// [`MIN_ENTRIES`] is refused: a small list lets the index narrow down its holder.
    pub fn new(entries: u64, status_size: u8) -> Result<Self, StatusListError> {
        Self::with_minimum(entries, status_size, MIN_ENTRIES)
    }

    /// Like [`Bitstring::new`] with an ecosystem's own lower bound (section 3.2 step 2 allows
    /// one).
    pub fn with_minimum(
        entries: u64,
        status_size: u8,
        minimum: u64,
    ) -> Result<Self, StatusListError> {
        check_status_size(u64::from(status_size))?;
        if entries < minimum {
            return Err(StatusListError::TooFewEntries { entries, minimum });
        }
        let too_large = || StatusListError::TooLarge {
            entries,
            bits: u64::from(status_size),
        };
        let total_bits = entries
            .checked_mul(u64::from(status_size))
            .ok_or_else(too_large)?;
        let byte_len = usize::try_from(total_bits.div_ceil(8)).map_err(|_| too_large())?;
        Ok(Self {
            status_size,
            bytes: vec![0; byte_len],
        })
    }

    /// Wraps an uncompressed bitstring.
    pub fn from_bytes(status_size: u8, bytes: Vec<u8>) -> Result<Self, StatusListError> {
        check_status_size(u64::from(status_size))?;
        Ok(Self { status_size, bytes })
    }

    /// Bits per entry.
    pub fn status_size(&self) -> u8 {
        self.status_size
    }

    /// Number of whole entries (`bits / statusSize`).
    pub fn len(&self) -> u64 {
        entries_in(&self.bytes, self.status_size)
    }

    /// True when the list has no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The uncompressed bitstring.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The status value at `index`.
    pub fn get(&self, index: u64) -> Result<u32, StatusListError> {
        read_entry(&self.bytes, self.status_size, index)
    }

    /// Sets the status value at `index`; it must fit in `statusSize` bits.
    pub fn set(&mut self, index: u64, value: u32) -> Result<(), StatusListError> {
        if u64::from(value) >> self.status_size != 0 {
            return Err(StatusListError::ValueTooLarge {
                value,
                bits: self.status_size,
            });
        }
        let start = entry_start(&self.bytes, self.status_size, index)?;
        let len = self.len();
        for k in 0..self.status_size {
            let bit = (value >> (self.status_size - 1 - k)) & 1 == 1;
            let (byte, mask) = bit_position(start + u64::from(k))?;
            let slot = self
                .bytes
                .get_mut(byte)
                .ok_or(StatusListError::IndexOutOfRange { index, len })?;
            if bit {
                *slot |= mask;
            } else {
                *slot &= !mask;
            }
        }
        Ok(())
    }

    /// `encodedList`: `u` + base64url(GZIP(bitstring)).
    pub fn encode(&self, compression: Compression) -> Result<String, StatusListError> {
        let gz = compress::gzip_compress(&self.bytes, compression)?;
        Ok(format!("u{}", b64::encode(gz)))
    }

    /// Expands an `encodedList` (section 3.4) under `limits`. The herd-privacy minimum is
    /// checked by [`check_status`] and [`DecodedBitstringStatusList`], which know the policy.
    pub fn decode(
        encoded_list: &str,
        status_size: u8,
        limits: DecodeLimits,
    ) -> Result<Self, StatusListError> {
        check_status_size(u64::from(status_size))?;
        Ok(Self {
            status_size,
            bytes: expand(encoded_list, limits)?,
        })
    }
}

/// Base64url-decodes and inflates an `encodedList`.
fn expand(encoded_list: &str, limits: DecodeLimits) -> Result<Vec<u8>, StatusListError> {
    if encoded_list.len() > limits.max_encoded_bytes {
        return Err(StatusListError::EncodedTooLarge {
            size: encoded_list.len(),
            limit: limits.max_encoded_bytes,
        });
    }
    let body = encoded_list
        .strip_prefix('u')
        .ok_or(StatusListError::Malformed {
            field: "encodedList",
            reason: "not multibase base64url (no 'u' prefix)",
        })?;
    let gz = b64::decode(body).map_err(|_| StatusListError::Malformed {
        field: "encodedList",
        reason: "not base64url without padding",
    })?;
    compress::gzip_inflate_limited(&gz, limits.max_decompressed_bytes)
}

fn check_status_size(size: u64) -> Result<u8, StatusListError> {
    match u8::try_from(size) {
        Ok(s) if (1..=MAX_STATUS_SIZE).contains(&s) => Ok(s),
        _ => Err(StatusListError::BadStatusSize {
            size,
            max: MAX_STATUS_SIZE,
        }),
    }
}

fn entries_in(bytes: &[u8], status_size: u8) -> u64 {
    let bits = u64::try_from(bytes.len())
        .unwrap_or(u64::MAX)
        .saturating_mul(8);
    bits.checked_div(u64::from(status_size)).unwrap_or(0)
}

/// First bit position of `index`, or `IndexOutOfRange` (the spec's RANGE_ERROR).
fn entry_start(bytes: &[u8], status_size: u8, index: u64) -> Result<u64, StatusListError> {
    let len = entries_in(bytes, status_size);
    if index >= len {
        return Err(StatusListError::IndexOutOfRange { index, len });
    }
    // index < len = bits / size, so index * size < bits fits in u64.
    Ok(index.saturating_mul(u64::from(status_size)))
}

/// Byte and mask of a bit position, MSB first.
fn bit_position(bit: u64) -> Result<(usize, u8), StatusListError> {
    let byte = usize::try_from(bit / 8)
        .map_err(|_| StatusListError::IndexOutOfRange { index: bit, len: 0 })?;
    // bit % 8 < 8 always fits.
    let offset = u8::try_from(bit % 8).unwrap_or(0);
    Ok((byte, 0x80 >> offset))
}

fn read_entry(bytes: &[u8], status_size: u8, index: u64) -> Result<u32, StatusListError> {
    let start = entry_start(bytes, status_size, index)?;
    let mut value = 0u32;
    for k in 0..status_size {
        let (byte, mask) = bit_position(start + u64::from(k))?;
        let set = bytes.get(byte).is_some_and(|b| b & mask != 0);
        value = (value << 1) | u32::from(set);
    }
    Ok(value)
}

/// `statusPurpose` values. The named ones carry the semantics of section 2.1; others are
/// kept verbatim because the spec allows arbitrary purposes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StatusPurpose {
    /// Permanent cancellation.
    Revocation,
    /// Temporary, reversible.
    Suspension,
    /// A newer version of the credential is available (earlier drafts).
    Refresh,
    /// Status messages (`statusSize`, `statusMessage`).
    Message,
    /// Any other purpose.
    Other(String),
}

impl StatusPurpose {
    /// Parses a purpose string.
    pub fn parse(text: &str) -> Self {
        match text {
            "revocation" => Self::Revocation,
            "suspension" => Self::Suspension,
            "refresh" => Self::Refresh,
            "message" => Self::Message,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The purpose string.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Revocation => "revocation",
            Self::Suspension => "suspension",
            Self::Refresh => "refresh",
            Self::Message => "message",
            Self::Other(s) => s,
        }
    }
}

/// One element of `statusMessage`: a value and its debugging message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusMessage {
    /// The status value (`status`, written `0x..`).
    pub status: u32,
    /// The message, for developers, not end users.
    pub message: String,
}

/// A `BitstringStatusListEntry` from a credential's `credentialStatus` (section 2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BitstringStatusListEntry {
    /// Optional `id` of the entry.
    pub id: Option<String>,
    /// `statusPurpose`.
    pub status_purpose: StatusPurpose,
    /// `statusListIndex`, a base-10 string on the wire.
    pub status_list_index: u64,
    /// `statusListCredential`: the URL of the list credential.
    pub status_list_credential: String,
    /// `statusSize`, 1 when absent.
    pub status_size: u8,
    /// `statusMessage`, empty when absent.
    pub status_messages: Vec<StatusMessage>,
    /// `statusReference` URLs.
    pub status_reference: Vec<String>,
}

impl BitstringStatusListEntry {
    /// An entry with the given purpose, index and list, `statusSize` 1 and no messages.
    pub fn new(
        status_purpose: StatusPurpose,
        status_list_index: u64,
        status_list_credential: impl Into<String>,
    ) -> Self {
        Self {
            id: None,
            status_purpose,
            status_list_index,
            status_list_credential: status_list_credential.into(),
            status_size: 1,
            status_messages: Vec::new(),
            status_reference: Vec::new(),
        }
    }

    /// All `BitstringStatusListEntry` objects of a credential's `credentialStatus` (an object
    /// or an array). Entries of other types are skipped; a malformed entry of this type is an
    /// error, never skipped, so a broken entry cannot hide a revocation.
    pub fn from_credential(credential: &Map<String, Value>) -> Result<Vec<Self>, StatusListError> {
        let status = credential
            .get("credentialStatus")
            .ok_or(StatusListError::NoStatusEntry(ENTRY_TYPE))?;
        let items: Vec<&Value> = match status {
            Value::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        let mut entries = Vec::new();
        for item in items {
            let object = item.as_object().ok_or(StatusListError::Malformed {
                field: "credentialStatus",
                reason: "not a JSON object",
            })?;
            if has_type(object.get("type"), ENTRY_TYPE) {
                entries.push(Self::from_json(item)?);
            }
        }
        if entries.is_empty() {
            return Err(StatusListError::NoStatusEntry(ENTRY_TYPE));
        }
        Ok(entries)
    }

    /// Parses one entry object.
    pub fn from_json(value: &Value) -> Result<Self, StatusListError> {
        let object = value.as_object().ok_or(StatusListError::Malformed {
            field: "credentialStatus",
            reason: "not a JSON object",
        })?;
        if !has_type(object.get("type"), ENTRY_TYPE) {
            return Err(StatusListError::WrongType {
                expected: ENTRY_TYPE,
                found: type_text(object.get("type")),
            });
        }
        let id = optional_string(object, "id")?;
        let status_purpose = StatusPurpose::parse(required_string(object, "statusPurpose")?);
        let status_list_index = parse_index(required_string(object, "statusListIndex")?)?;
        let status_list_credential = required_string(object, "statusListCredential")?;
        crate::reference::check_uri(status_list_credential, "statusListCredential")?;
        let status_size = match object.get("statusSize") {
            None => 1,
            Some(v) => check_status_size(v.as_u64().ok_or(StatusListError::Malformed {
                field: "statusSize",
                reason: "not a positive integer",
            })?)?,
        };
        let status_messages = match object.get("statusMessage") {
            None if status_size > 1 => return Err(StatusListError::Missing("statusMessage")),
            None => Vec::new(),
            Some(v) => parse_messages(v, status_size)?,
        };
        let status_reference = match object.get("statusReference") {
            None => Vec::new(),
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(items)) => items
                .iter()
                .map(|i| {
                    i.as_str()
                        .map(str::to_owned)
                        .ok_or(StatusListError::Malformed {
                            field: "statusReference",
                            reason: "not a URL or an array of URLs",
                        })
                })
                .collect::<Result<_, _>>()?,
            Some(_) => {
                return Err(StatusListError::Malformed {
                    field: "statusReference",
                    reason: "not a URL or an array of URLs",
                });
            }
        };
        Ok(Self {
            id: id.map(str::to_owned),
            status_purpose,
            status_list_index,
            status_list_credential: status_list_credential.to_owned(),
            status_size,
            status_messages,
            status_reference,
        })
    }

    /// The entry as JSON, `statusListIndex` as a base-10 string.
    pub fn to_json(&self) -> Value {
        let mut object = Map::new();
        if let Some(id) = &self.id {
            object.insert("id".into(), id.clone().into());
        }
        object.insert("type".into(), ENTRY_TYPE.into());
        object.insert("statusPurpose".into(), self.status_purpose.as_str().into());
        object.insert(
            "statusListIndex".into(),
            self.status_list_index.to_string().into(),
        );
        object.insert(
            "statusListCredential".into(),
            self.status_list_credential.clone().into(),
        );
        if self.status_size != 1 {
            object.insert("statusSize".into(), self.status_size.into());
        }
        if !self.status_messages.is_empty() {
            let messages: Vec<Value> = self
                .status_messages
                .iter()
                .map(|m| serde_json::json!({"status": format!("{:#x}", m.status), "message": m.message}))
                .collect();
            object.insert("statusMessage".into(), Value::Array(messages));
        }
        match self.status_reference.as_slice() {
            [] => {}
            [one] => {
                object.insert("statusReference".into(), one.clone().into());
            }
            many => {
                object.insert("statusReference".into(), many.to_vec().into());
            }
        }
        Value::Object(object)
    }
}

/// `statusListIndex`: base-10 digits only (no sign, no spaces, no exponent).
fn parse_index(text: &str) -> Result<u64, StatusListError> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(StatusListError::Malformed {
            field: "statusListIndex",
            reason: "not a base-10 integer string",
        });
    }
    text.parse::<u64>().map_err(|_| StatusListError::Malformed {
        field: "statusListIndex",
        reason: "larger than any supported list",
    })
}

fn parse_messages(value: &Value, status_size: u8) -> Result<Vec<StatusMessage>, StatusListError> {
    let bad = |reason| StatusListError::Malformed {
        field: "statusMessage",
        reason,
    };
    let items = value.as_array().ok_or(bad("not an array"))?;
    let expected = 1u64 << status_size;
    if u64::try_from(items.len()).ok() != Some(expected) {
        return Err(bad("length is not 2^statusSize"));
    }
    let mut out: Vec<StatusMessage> = Vec::with_capacity(items.len());
    for item in items {
        let object = item.as_object().ok_or(bad("element is not an object"))?;
        let status = object
            .get("status")
            .and_then(Value::as_str)
            .ok_or(bad("element without string \"status\""))?;
        let hex = status
            .strip_prefix("0x")
            .or_else(|| status.strip_prefix("0X"))
            .filter(|h| !h.is_empty() && h.len() <= 8)
            .ok_or(bad("status is not 0x-prefixed hexadecimal"))?;
        let status = u32::from_str_radix(hex, 16).map_err(|_| bad("status is not hexadecimal"))?;
        if u64::from(status) >= expected {
            return Err(bad("status does not fit statusSize"));
        }
        if out.iter().any(|m| m.status == status) {
            return Err(bad("status listed twice"));
        }
        let message = object
            .get("message")
            .and_then(Value::as_str)
            .ok_or(bad("element without string \"message\""))?;
        out.push(StatusMessage {
            status,
            message: message.to_owned(),
        });
    }
    Ok(out)
}

/// The content of a `BitstringStatusListCredential` (section 2.2), unsecured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BitstringStatusListCredential {
    /// The credential `id`; entries name it in `statusListCredential`.
    pub id: Option<String>,
    /// `issuer`, a URL or an object, kept as-is.
    pub issuer: Value,
    /// `validFrom`.
    pub valid_from: Option<UnixTime>,
    /// `validUntil`.
    pub valid_until: Option<UnixTime>,
    /// `credentialSubject.id`.
    pub subject_id: Option<String>,
    /// `credentialSubject.statusPurpose`, one or more.
    pub status_purposes: Vec<StatusPurpose>,
    /// `credentialSubject.encodedList`.
    pub encoded_list: String,
    /// `credentialSubject.ttl` in milliseconds, if present.
    pub ttl_ms: Option<u64>,
}

impl BitstringStatusListCredential {
    /// The unsecured credential JSON, ready for the VC crate to secure.
    pub fn to_json(&self) -> Value {
        let mut subject = Map::new();
        if let Some(id) = &self.subject_id {
            subject.insert("id".into(), id.clone().into());
        }
        subject.insert("type".into(), SUBJECT_TYPE.into());
        let purposes: Vec<Value> = self
            .status_purposes
            .iter()
            .map(|p| p.as_str().into())
            .collect();
        subject.insert(
            "statusPurpose".into(),
            match purposes.as_slice() {
                [one] => one.clone(),
                _ => Value::Array(purposes),
            },
        );
        subject.insert("encodedList".into(), self.encoded_list.clone().into());
        if let Some(ttl) = self.ttl_ms {
            subject.insert("ttl".into(), ttl.into());
        }
        let mut vc = Map::new();
        vc.insert(
            "@context".into(),
            serde_json::json!(["https://www.w3.org/ns/credentials/v2"]),
        );
        if let Some(id) = &self.id {
            vc.insert("id".into(), id.clone().into());
        }
        vc.insert(
            "type".into(),
            serde_json::json!(["VerifiableCredential", CREDENTIAL_TYPE]),
        );
        vc.insert("issuer".into(), self.issuer.clone());
        if let Some(t) = self.valid_from {
            vc.insert("validFrom".into(), t.to_rfc3339().into());
        }
        if let Some(t) = self.valid_until {
            vc.insert("validUntil".into(), t.to_rfc3339().into());
        }
        vc.insert("credentialSubject".into(), Value::Object(subject));
        Value::Object(vc)
    }

    /// Reads the credential content (after the caller verified its proof).
    pub fn from_json(value: &Value) -> Result<Self, StatusListError> {
        let vc = value.as_object().ok_or(StatusListError::Malformed {
            field: "credential",
            reason: "not a JSON object",
        })?;
        if !has_type(vc.get("type"), CREDENTIAL_TYPE) {
            return Err(StatusListError::WrongType {
                expected: CREDENTIAL_TYPE,
                found: type_text(vc.get("type")),
            });
        }
        let subject = match vc.get("credentialSubject") {
            None => return Err(StatusListError::Missing("credentialSubject")),
            Some(Value::Object(s)) => s,
            Some(Value::Array(items)) if items.len() == 1 => {
                items[0].as_object().ok_or(StatusListError::Malformed {
                    field: "credentialSubject",
                    reason: "not a JSON object",
                })?
            }
            Some(_) => {
                return Err(StatusListError::Malformed {
                    field: "credentialSubject",
                    reason: "not one JSON object",
                });
            }
        };
        if !has_type(subject.get("type"), SUBJECT_TYPE) {
            return Err(StatusListError::WrongType {
                expected: SUBJECT_TYPE,
                found: type_text(subject.get("type")),
            });
        }
        let status_purposes = match subject.get("statusPurpose") {
            None => return Err(StatusListError::Missing("statusPurpose")),
            Some(Value::String(s)) => vec![StatusPurpose::parse(s)],
            Some(Value::Array(items)) if !items.is_empty() => items
                .iter()
                .map(|i| {
                    i.as_str()
                        .map(StatusPurpose::parse)
                        .ok_or(StatusListError::Malformed {
                            field: "statusPurpose",
                            reason: "not a string",
                        })
                })
                .collect::<Result<_, _>>()?,
            Some(_) => {
                return Err(StatusListError::Malformed {
                    field: "statusPurpose",
                    reason: "not one or more strings",
                });
            }
        };
        let encoded_list = required_string(subject, "encodedList")?.to_owned();
        let ttl_ms = match subject.get("ttl") {
            None => None,
            Some(v) => Some(v.as_u64().ok_or(StatusListError::Malformed {
                field: "ttl",
                reason: "not a non-negative integer",
            })?),
        };
        let time = |name: &'static str| -> Result<Option<UnixTime>, StatusListError> {
            optional_string(vc, name)?
                .map(|t| {
                    UnixTime::parse_rfc3339(t).map_err(|_| StatusListError::Malformed {
                        field: name,
                        reason: "not an RFC 3339 date-time with offset",
                    })
                })
                .transpose()
        };
        Ok(Self {
            id: optional_string(vc, "id")?.map(str::to_owned),
            issuer: vc
                .get("issuer")
                .cloned()
                .ok_or(StatusListError::Missing("issuer"))?,
            valid_from: time("validFrom")?,
            valid_until: time("validUntil")?,
            subject_id: optional_string(subject, "id")?.map(str::to_owned),
            status_purposes,
            encoded_list,
            ttl_ms,
        })
    }
}

/// Policy for status checks: the herd-privacy minimum and size caps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BitstringOptions {
    /// `minimumNumberOfEntries` (section 3.2 step 2).
    pub min_entries: u64,
    /// Size caps for `encodedList`.
    pub limits: DecodeLimits,
    /// Refuse a list credential whose `id` differs from the entry's `statusListCredential`.
    /// Off by default: the spec only says the `id` MAY match (section 2.2), and deployed
    /// lists (the 1EdTech validator's fixture) are served under another URL than their `id`.
    pub require_matching_id: bool,
    /// Clock skew tolerated on `validFrom` / `validUntil`, seconds. A list published on demand
    /// carries the issuer's time of publication, which can be a second past the time the
    /// verifier took for the whole verification.
    pub skew_seconds: i64,
}

impl Default for BitstringOptions {
    fn default() -> Self {
        Self {
            min_entries: MIN_ENTRIES,
            limits: DecodeLimits::DEFAULT,
            require_matching_id: false,
            skew_seconds: 0,
        }
    }
}

/// The result of the validate algorithm (section 3.2 steps 11-15).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BitstringStatus {
    /// The status value.
    pub status: u32,
    /// The entry's purpose.
    pub purpose: StatusPurpose,
    /// True when the value is 0.
    pub valid: bool,
    /// For `message` purposes, the entry's message for the value.
    pub message: Option<String>,
}

/// A verified list credential with its bitstring expanded once: the cache entry for W3C
/// lists. `fetched_at` and `ttl` decide when to fetch again; `validUntil` when to stop.
#[derive(Debug, Clone)]
pub struct DecodedBitstringStatusList {
    credential: BitstringStatusListCredential,
    bytes: Vec<u8>,
    fetched_at: UnixTime,
    options: BitstringOptions,
}

impl DecodedBitstringStatusList {
    /// Expands the credential's `encodedList`. Call only with a credential whose proof the
    /// caller verified.
    pub fn new(
        credential: BitstringStatusListCredential,
        fetched_at: UnixTime,
        options: BitstringOptions,
    ) -> Result<Self, StatusListError> {
        let bytes = expand(&credential.encoded_list, options.limits)?;
        Ok(Self {
            credential,
            bytes,
            fetched_at,
            options,
        })
    }

    /// The credential content.
    pub fn credential(&self) -> &BitstringStatusListCredential {
        &self.credential
    }

    /// The expanded bitstring.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// When to fetch again: `fetched_at + ttl` (default 300 000 ms), within `policy`, never
    /// after `validUntil`.
    pub fn refresh_at(&self, policy: &CachePolicy) -> UnixTime {
        let ttl_ms = self.credential.ttl_ms.unwrap_or(DEFAULT_TTL_MS);
        let ttl = i64::try_from(ttl_ms / 1000).unwrap_or(i64::MAX);
        let wait = ttl.clamp(
            policy.min_refresh_seconds,
            policy.max_refresh_seconds.max(policy.min_refresh_seconds),
        );
        let at = self.fetched_at.saturating_add(wait);
        match self.credential.valid_until {
            Some(until) if until < at => until,
            _ => at,
        }
    }

    /// Fresh, due for refresh, or expired (`validUntil` passed) at `now`.
    pub fn freshness(&self, now: UnixTime, policy: &CachePolicy) -> Freshness {
        if let Some(exp) = self.credential.valid_until
            && now > exp
        {
            return Freshness::Expired { exp };
        }
        let refresh_at = self.refresh_at(policy);
        if now >= refresh_at {
            Freshness::RefreshDue { refresh_at }
        } else {
            Freshness::Fresh { refresh_at }
        }
    }

    /// The validate algorithm (section 3.2) for `entry` at `now`.
    pub fn status(
        &self,
        entry: &BitstringStatusListEntry,
        now: UnixTime,
    ) -> Result<BitstringStatus, StatusListError> {
        let vc = &self.credential;
        if self.options.require_matching_id
            && let Some(id) = &vc.id
            && *id != entry.status_list_credential
        {
            return Err(StatusListError::UriMismatch {
                expected: entry.status_list_credential.clone(),
                found: id.clone(),
            });
        }
        let skew = self.options.skew_seconds;
        if let Some(from) = vc.valid_from
            && now.saturating_add(skew) < from
        {
            return Err(StatusListError::NotYetValid {
                not_before: from,
                now,
            });
        }
        if let Some(until) = vc.valid_until
            && now.saturating_sub(skew) > until
        {
            return Err(StatusListError::Expired { exp: until, now });
        }
        if !vc.status_purposes.contains(&entry.status_purpose) {
            return Err(StatusListError::PurposeMismatch {
                entry: entry.status_purpose.as_str().chars().take(64).collect(),
            });
        }
        let entries = entries_in(&self.bytes, entry.status_size);
        if entries < self.options.min_entries {
            return Err(StatusListError::TooFewEntries {
                entries,
                minimum: self.options.min_entries,
            });
        }
        let status = read_entry(&self.bytes, entry.status_size, entry.status_list_index)?;
        let message = if entry.status_purpose == StatusPurpose::Message {
            entry
                .status_messages
                .iter()
                .find(|m| m.status == status)
                .map(|m| m.message.clone())
        } else {
            None
        };
        Ok(BitstringStatus {
            status,
            purpose: entry.status_purpose.clone(),
            valid: status == 0,
            message,
        })
    }
}

/// One-shot validate: expands the list and checks `entry` (use
/// [`DecodedBitstringStatusList`] to expand once for many checks).
pub fn check_status(
    entry: &BitstringStatusListEntry,
    credential: &BitstringStatusListCredential,
    now: UnixTime,
    options: BitstringOptions,
) -> Result<BitstringStatus, StatusListError> {
    DecodedBitstringStatusList::new(credential.clone(), now, options)?.status(entry, now)
}

fn has_type(value: Option<&Value>, wanted: &str) -> bool {
    match value {
        Some(Value::String(s)) => s == wanted,
        Some(Value::Array(items)) => items.iter().any(|i| i.as_str() == Some(wanted)),
        _ => false,
    }
}

fn type_text(value: Option<&Value>) -> Option<String> {
    value.map(|v| v.to_string().chars().take(128).collect())
}

fn required_string<'a>(
    object: &'a Map<String, Value>,
    name: &'static str,
) -> Result<&'a str, StatusListError> {
    optional_string(object, name)?.ok_or(StatusListError::Missing(name))
}

fn optional_string<'a>(
    object: &'a Map<String, Value>,
    name: &'static str,
) -> Result<Option<&'a str>, StatusListError> {
    match object.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(StatusListError::Malformed {
            field: name,
            reason: "not a string",
        }),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const LIST_URL: &str = "https://example.com/credentials/status/3";

    #[test]
    fn msb_first_packing() {
        let mut list = Bitstring::with_minimum(16, 1, 0).unwrap();
        list.set(0, 1).unwrap();
        list.set(9, 1).unwrap();
        assert_eq!(list.as_bytes(), [0x80, 0x40]);
        let mut two = Bitstring::with_minimum(8, 2, 0).unwrap();
        two.set(0, 0b10).unwrap();
        two.set(3, 0b01).unwrap();
        two.set(4, 0b11).unwrap();
        assert_eq!(two.as_bytes(), [0b1000_0001, 0b1100_0000]);
        assert_eq!(two.get(0).unwrap(), 2);
        assert_eq!(two.get(4).unwrap(), 3);
        // A 3-bit entry crossing a byte boundary.
        let mut three = Bitstring::with_minimum(8, 3, 0).unwrap();
        three.set(2, 0b101).unwrap();
        assert_eq!(three.as_bytes(), [0b0000_0010, 0b1000_0000, 0]);
        assert_eq!(three.get(2).unwrap(), 5);
        assert_eq!(three.len(), 8);
    }

    #[test]
    fn typed_errors() {
        assert_eq!(
            Bitstring::new(1000, 1).unwrap_err(),
            StatusListError::TooFewEntries {
                entries: 1000,
                minimum: MIN_ENTRIES
            }
        );
        assert!(matches!(
            Bitstring::new(MIN_ENTRIES, 0),
            Err(StatusListError::BadStatusSize { size: 0, .. })
        ));
        assert!(matches!(
            Bitstring::new(MIN_ENTRIES, 17),
            Err(StatusListError::BadStatusSize { size: 17, .. })
        ));
        let mut list = Bitstring::new(MIN_ENTRIES, 2).unwrap();
        assert_eq!(
            list.set(0, 4),
            Err(StatusListError::ValueTooLarge { value: 4, bits: 2 })
        );
        assert_eq!(
            list.get(MIN_ENTRIES),
            Err(StatusListError::IndexOutOfRange {
                index: MIN_ENTRIES,
                len: MIN_ENTRIES
            })
        );
        assert!(list.set(u64::MAX, 1).is_err());
        let mut wide = Bitstring::new(MIN_ENTRIES, 16).unwrap();
        wide.set(5, 0xbeef).unwrap();
        assert_eq!(wide.get(5).unwrap(), 0xbeef);
    }

    #[test]
    fn encoded_list_round_trip_and_refusals() {
        let mut list = Bitstring::new(MIN_ENTRIES, 1).unwrap();
        list.set(23, 1).unwrap();
        let encoded = list.encode(Compression::BEST).unwrap();
        assert!(encoded.starts_with("uH4sI"));
        let back = Bitstring::decode(&encoded, 1, DecodeLimits::DEFAULT).unwrap();
        assert_eq!(back, list);
        for bad in ["", "H4sI", "zH4sI", "uH4sI=", "u!!"] {
            assert!(
                Bitstring::decode(bad, 1, DecodeLimits::DEFAULT).is_err(),
                "{bad}"
            );
        }
        let tight = DecodeLimits {
            max_decompressed_bytes: 1024,
            ..DecodeLimits::DEFAULT
        };
        assert_eq!(
            Bitstring::decode(&encoded, 1, tight),
            Err(StatusListError::DecompressedTooLarge { limit: 1024 })
        );
    }

    #[test]
    fn entry_parsing() {
        let entry = BitstringStatusListEntry::from_json(&json!({
            "id": "https://example.com/credentials/status/8#492847",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "message",
            "statusListIndex": "492847",
            "statusSize": 2,
            "statusListCredential": "https://example.com/credentials/status/8",
            "statusMessage": [
                {"status": "0x0", "message": "pending_review"},
                {"status": "0x1", "message": "accepted"},
                {"status": "0x2", "message": "rejected"},
                {"status": "0x3", "message": "undefined"}
            ],
            "statusReference": "https://example.org/status-dictionary/"
        }))
        .unwrap();
        assert_eq!(entry.status_size, 2);
        assert_eq!(entry.status_list_index, 492_847);
        assert_eq!(entry.status_messages[2].message, "rejected");
        assert_eq!(
            BitstringStatusListEntry::from_json(&entry.to_json()).unwrap(),
            entry
        );

        let base = json!({
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": "94567",
            "statusListCredential": LIST_URL
        });
        let with = |key: &str, value: Value| {
            let mut v = base.clone();
            v[key] = value;
            BitstringStatusListEntry::from_json(&v)
        };
        assert!(BitstringStatusListEntry::from_json(&base).is_ok());
        for (key, value) in [
            ("statusListIndex", json!(94567)),
            ("statusListIndex", json!("-1")),
            ("statusListIndex", json!("+1")),
            ("statusListIndex", json!("")),
            ("statusListIndex", json!("1e3")),
            ("statusListIndex", json!("99999999999999999999999")),
            ("statusListCredential", json!("not a url")),
            ("statusSize", json!(0)),
            ("statusSize", json!(2)),
            ("statusSize", json!(1.5)),
            ("statusSize", json!(40)),
            ("statusMessage", json!([{"status": "0x0", "message": "a"}])),
            ("type", json!("StatusList2021Entry")),
            ("statusPurpose", json!(1)),
        ] {
            assert!(with(key, value.clone()).is_err(), "{key}: {value}");
        }
        let mut dup = base.clone();
        dup["statusSize"] = json!(1);
        dup["statusMessage"] = json!([
            {"status": "0x1", "message": "a"},
            {"status": "0x1", "message": "b"}
        ]);
        assert!(BitstringStatusListEntry::from_json(&dup).is_err());
    }

    #[test]
    fn credential_round_trip_and_validation() {
        let mut list = Bitstring::new(MIN_ENTRIES, 1).unwrap();
        list.set(94_567, 1).unwrap();
        let credential = BitstringStatusListCredential {
            id: Some(LIST_URL.into()),
            issuer: json!("did:example:12345"),
            valid_from: Some(UnixTime(1_600_000_000)),
            valid_until: Some(UnixTime(1_900_000_000)),
            subject_id: Some("https://example.com/status/3#list".into()),
            status_purposes: vec![StatusPurpose::Revocation],
            encoded_list: list.encode(Compression::BEST).unwrap(),
            ttl_ms: Some(600_000),
        };
        let json = credential.to_json();
        assert_eq!(json["credentialSubject"]["statusPurpose"], "revocation");
        let back = BitstringStatusListCredential::from_json(&json).unwrap();
        assert_eq!(back, credential);

        let now = UnixTime(1_700_000_000);
        let options = BitstringOptions::default();
        let revoked = BitstringStatusListEntry::new(StatusPurpose::Revocation, 94_567, LIST_URL);
        let status = check_status(&revoked, &credential, now, options).unwrap();
        assert!(!status.valid);
        assert_eq!(status.status, 1);
        let fine = BitstringStatusListEntry::new(StatusPurpose::Revocation, 94_566, LIST_URL);
        assert!(
            check_status(&fine, &credential, now, options)
                .unwrap()
                .valid
        );

        let suspension = BitstringStatusListEntry::new(StatusPurpose::Suspension, 1, LIST_URL);
        assert!(matches!(
            check_status(&suspension, &credential, now, options),
            Err(StatusListError::PurposeMismatch { .. })
        ));
        let elsewhere = BitstringStatusListEntry::new(
            StatusPurpose::Revocation,
            1,
            "https://example.com/credentials/status/4",
        );
        assert!(check_status(&elsewhere, &credential, now, options).is_ok());
        let strict = BitstringOptions {
            require_matching_id: true,
            ..options
        };
        assert!(matches!(
            check_status(&elsewhere, &credential, now, strict),
            Err(StatusListError::UriMismatch { .. })
        ));
        let beyond =
            BitstringStatusListEntry::new(StatusPurpose::Revocation, MIN_ENTRIES, LIST_URL);
        assert!(matches!(
            check_status(&beyond, &credential, now, options),
            Err(StatusListError::IndexOutOfRange { .. })
        ));
        assert!(matches!(
            check_status(&fine, &credential, UnixTime(1_900_000_001), options),
            Err(StatusListError::Expired { .. })
        ));
        assert!(matches!(
            check_status(&fine, &credential, UnixTime(1_500_000_000), options),
            Err(StatusListError::NotYetValid { .. })
        ));
        // The tolerated skew applies to both ends, and only that much.
        let from = credential.valid_from.unwrap();
        let until = credential.valid_until.unwrap();
        let skewed = BitstringOptions {
            skew_seconds: 60,
            ..options
        };
        for (at, ok) in [
            (from.saturating_sub(60), true),
            (from.saturating_sub(61), false),
            (until.saturating_add(60), true),
            (until.saturating_add(61), false),
        ] {
            assert_eq!(
                check_status(&fine, &credential, at, skewed).is_ok(),
                ok,
                "{at:?}"
            );
            assert!(check_status(&fine, &credential, at, options).is_err());
        }
        // With statusSize 2 the same bytes hold only 65536 entries: below the minimum.
        let mut wide = fine.clone();
        wide.status_size = 2;
        assert!(matches!(
            check_status(&wide, &credential, now, options),
            Err(StatusListError::TooFewEntries { .. })
        ));

        let cache = DecodedBitstringStatusList::new(credential, now, options).unwrap();
        let policy = CachePolicy::DEFAULT;
        assert_eq!(cache.refresh_at(&policy), now.saturating_add(600));
        assert!(matches!(
            cache.freshness(now.saturating_add(599), &policy),
            Freshness::Fresh { .. }
        ));
        assert!(matches!(
            cache.freshness(now.saturating_add(600), &policy),
            Freshness::RefreshDue { .. }
        ));
        assert!(matches!(
            cache.freshness(UnixTime(1_900_000_001), &policy),
            Freshness::Expired { .. }
        ));
    }

    #[test]
    fn message_purpose() {
        let mut list = Bitstring::new(MIN_ENTRIES, 2).unwrap();
        list.set(7, 2).unwrap();
        let credential = BitstringStatusListCredential {
            id: None,
            issuer: json!("did:example:12345"),
            valid_from: None,
            valid_until: None,
            subject_id: None,
            status_purposes: vec![StatusPurpose::Message, StatusPurpose::Revocation],
            encoded_list: list.encode(Compression::FAST).unwrap(),
            ttl_ms: None,
        };
        let json = credential.to_json();
        assert_eq!(
            json["credentialSubject"]["statusPurpose"],
            json!(["message", "revocation"])
        );
        let mut entry = BitstringStatusListEntry::new(StatusPurpose::Message, 7, LIST_URL);
        entry.status_size = 2;
        entry.status_messages = ["pending", "accepted", "rejected", "undefined"]
            .iter()
            .zip(0u32..)
            .map(|(m, status)| StatusMessage {
                status,
                message: (*m).into(),
            })
            .collect();
        let status = check_status(
            &entry,
            &credential,
            UnixTime(0),
            BitstringOptions {
                min_entries: 65_536,
                ..BitstringOptions::default()
            },
        )
        .unwrap();
        assert_eq!(status.status, 2);
        assert_eq!(status.message.as_deref(), Some("rejected"));
        assert!(!status.valid);
    }

    #[test]
    fn credential_refusals() {
        let good = json!({
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": "did:example:1",
            "credentialSubject": {
                "type": "BitstringStatusList",
                "statusPurpose": "revocation",
                "encodedList": "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"
            }
        });
        assert!(BitstringStatusListCredential::from_json(&good).is_ok());
        let mutate = |f: &dyn Fn(&mut Value)| {
            let mut v = good.clone();
            f(&mut v);
            BitstringStatusListCredential::from_json(&v)
        };
        assert!(matches!(
            mutate(&|v| v["type"] = json!(["VerifiableCredential"])),
            Err(StatusListError::WrongType { .. })
        ));
        assert!(matches!(
            mutate(&|v| v["credentialSubject"]["type"] = json!("StatusList2021")),
            Err(StatusListError::WrongType { .. })
        ));
        assert!(mutate(&|v| v["credentialSubject"]["statusPurpose"] = json!([])).is_err());
        assert!(mutate(&|v| v["credentialSubject"]["ttl"] = json!(-1)).is_err());
        assert!(mutate(&|v| v["validUntil"] = json!("tomorrow")).is_err());
        assert!(mutate(&|v| v["credentialSubject"] = json!([])).is_err());
        assert!(
            mutate(&|v| {
                v.as_object_mut().unwrap().remove("issuer");
            })
            .is_err()
        );
        assert!(
            mutate(&|v| {
                v["credentialSubject"]
                    .as_object_mut()
                    .unwrap()
                    .remove("encodedList");
            })
            .is_err()
        );
    }
}
