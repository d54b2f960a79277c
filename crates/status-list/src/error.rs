use kakehashi_core::{JsonError, UnixTime};
use kakehashi_jose::JoseError;

/// Why a status list, a status reference or a status list token was refused.
///
/// Every variant means "no statement about the status can be made": callers reject the
/// Referenced Token / credential (draft-ietf-oauth-status-list section 8.3, Bitstring Status
/// List section 3.2 step 4 onwards).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StatusListError {
    /// `bits` is not 1, 2, 4 or 8 (Token Status List section 4.1).
    #[error("bits per status must be 1, 2, 4 or 8, got {0}")]
    BadBits(u8),
    /// `statusSize` is 0 or larger than this implementation supports.
    #[error("statusSize must be between 1 and {max}, got {size}")]
    BadStatusSize { size: u64, max: u8 },
    /// A status value does not fit the number of bits per entry.
    #[error("status value {value:#x} does not fit in {bits} bits")]
    ValueTooLarge { value: u32, bits: u8 },
    /// The index is beyond the end of the list (spec: reject the Referenced Token).
    #[error("index {index} is out of range for a list of {len} entries")]
    IndexOutOfRange { index: u64, len: u64 },
    /// Inflating the list would exceed the caller's limit (decompression bomb).
    #[error("decompressed status list exceeds the limit of {limit} bytes")]
    DecompressedTooLarge { limit: usize },
    /// The compressed document or token is larger than the caller's limit.
    #[error("encoded status list of {size} bytes exceeds the limit of {limit} bytes")]
    EncodedTooLarge { size: usize, limit: usize },
    /// The DEFLATE / ZLIB / GZIP stream is corrupt, truncated or followed by garbage.
    #[error("compressed status list is invalid: {0}")]
    Compression(String),
    /// Compressing failed (only on internal errors of the compressor).
    #[error("compressing the status list failed: {0}")]
    CompressFailed(String),
    /// The list is shorter than the herd-privacy minimum (Bitstring Status List
    /// `STATUS_LIST_LENGTH_ERROR`).
    #[error("status list has {entries} entries, the minimum is {minimum}")]
    TooFewEntries { entries: u64, minimum: u64 },
    /// The list would be larger than a `usize` can address on this platform.
    #[error("a status list of {entries} entries of {bits} bits is too large")]
    TooLarge { entries: u64, bits: u64 },
    /// The token's `typ` (or the credential's `type`) is not the one required.
    #[error("wrong type: expected {expected:?}, found {found:?}")]
    WrongType {
        expected: &'static str,
        found: Option<String>,
    },
    /// The token or credential has expired (`exp`, `validUntil`).
    #[error("status list expired at {exp} (now {now})")]
    Expired { exp: UnixTime, now: UnixTime },
    /// The credential is not valid yet (`validFrom`) or the token was issued in the future.
    #[error("status list not valid before {not_before} (now {now})")]
    NotYetValid { not_before: UnixTime, now: UnixTime },
    /// `sub` / `id` of the list differs from the `uri` / `statusListCredential` of the
    /// reference: a list for another set of tokens must never answer.
    #[error("status list is for {found:?}, the reference names {expected:?}")]
    UriMismatch { expected: String, found: String },
    /// The entry's `statusPurpose` is not one of the list's purposes.
    #[error("status purpose {entry:?} is not a purpose of the status list")]
    PurposeMismatch { entry: String },
    /// The entry's `statusSize` differs from the list's `statusSize`.
    #[error("statusSize {entry} of the entry differs from statusSize {list} of the list")]
    StatusSizeMismatch { entry: u8, list: u8 },
    /// A required member is absent.
    #[error("required member \"{0}\" is missing")]
    Missing(&'static str),
    /// A member has the wrong JSON type or form.
    #[error("member \"{field}\" is malformed: {reason}")]
    Malformed {
        field: &'static str,
        reason: &'static str,
    },
    /// The credential has no `credentialStatus` of the requested type.
    #[error("no {0} found in the credential")]
    NoStatusEntry(&'static str),
    /// The index allocator has no free index left.
    #[error("all {len} indexes of the status list are allocated")]
    Full { len: u64 },
    /// The index was already allocated (double allocation is forbidden, Token Status List
    /// section 12.3).
    #[error("index {0} is already allocated")]
    AlreadyAllocated(u64),
    /// Untrusted JSON refused before parsing.
    #[error(transparent)]
    Json(#[from] JsonError),
    /// CBOR that is not a Status List.
    #[error("malformed CBOR: {0}")]
    Cbor(String),
    /// Signature, header or JWT claim refused by the JOSE layer.
    #[error(transparent)]
    Jose(#[from] JoseError),
}
