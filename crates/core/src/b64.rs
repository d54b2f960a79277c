//! base64url without padding (RFC 4648 section 5), the only encoding JOSE and SD-JWT use.
//!
//! Decoding is strict: padding, whitespace and non-canonical trailing bits are rejected, so a
//! signature or digest has exactly one textual form.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE_NO_PAD};

/// Encodes bytes as base64url without padding.
pub fn encode(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes base64url without padding; anything else is an error.
pub fn decode(text: impl AsRef<[u8]>) -> Result<Vec<u8>, DecodeError> {
    URL_SAFE_NO_PAD.decode(text).map_err(|_| DecodeError)
}

/// Decodes base64url like [`decode`] and hands the bytes to `f`. Short inputs (headers,
/// Disclosures: up to 512 decoded bytes) are decoded on the stack, so the verify path does
/// not allocate and free a buffer per piece; longer ones take [`decode`]'s heap buffer.
pub fn with_decoded<R>(
    text: impl AsRef<[u8]>,
    f: impl FnOnce(&[u8]) -> R,
) -> Result<R, DecodeError> {
    let text = text.as_ref();
    let mut buf = [0u8; 512];
    if base64::decoded_len_estimate(text.len()) <= buf.len() {
        let n = URL_SAFE_NO_PAD
            .decode_slice(text, &mut buf)
            .map_err(|_| DecodeError)?;
        Ok(f(buf.get(..n).unwrap_or_default()))
    } else {
        Ok(f(&decode(text)?))
    }
}

/// Decodes base64url like [`decode`], appending the bytes to `out` (so many small pieces can
/// share one buffer); returns how many bytes were appended. On error `out` keeps its length.
pub fn decode_append(text: impl AsRef<[u8]>, out: &mut Vec<u8>) -> Result<usize, DecodeError> {
    let before = out.len();
    URL_SAFE_NO_PAD.decode_vec(text, out).map_err(|_| {
        out.truncate(before);
        DecodeError
    })?;
    Ok(out.len() - before)
}

/// Encodes bytes as standard base64 with padding, the form `x5c` certificates and W3C
/// Subresource Integrity values use (RFC 7515 section 4.1.6).
pub fn encode_std(bytes: impl AsRef<[u8]>) -> String {
    STANDARD.encode(bytes)
}

/// Decodes standard base64 with canonical padding (as `x5c` requires).
pub fn decode_std(text: impl AsRef<[u8]>) -> Result<Vec<u8>, DecodeError> {
    STANDARD.decode(text).map_err(|_| DecodeError)
}

/// Decodes standard base64 whose trailing `=` padding may be missing or present (SRI values
/// come from `openssl base64` or browsers); the data itself must be canonical.
pub fn decode_std_lenient(text: &str) -> Result<Vec<u8>, DecodeError> {
    STANDARD_NO_PAD
        .decode(text.trim_end_matches('='))
        .map_err(|_| DecodeError)
}

/// The input is not canonical base64url without padding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not valid base64url (RFC 4648 section 5, no padding)")]
pub struct DecodeError;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_strictness() {
        assert_eq!(encode(b"\xfb\xff"), "-_8");
        assert_eq!(decode("-_8").unwrap(), b"\xfb\xff");
        assert!(decode("-_8=").is_err(), "padding is rejected");
        assert!(decode("+/8").is_err(), "standard alphabet is rejected");
        assert!(
            decode("-_9").is_err(),
            "non-canonical trailing bits are rejected"
        );
    }

    #[test]
    fn with_decoded_matches_decode() {
        // Around the stack buffer's size, and the inputs `decode` refuses.
        for len in [0, 1, 2, 3, 382, 383, 384, 385, 386, 511, 512, 513, 700] {
            let bytes: Vec<u8> = (0u8..=255).cycle().step_by(7).take(len).collect();
            let text = encode(&bytes);
            assert_eq!(with_decoded(&text, <[u8]>::to_vec), Ok(bytes), "{len}");
        }
        for bad in ["-_8=", "+/8", "-_9", "a", "ab~"] {
            assert_eq!(with_decoded(bad, <[u8]>::to_vec), Err(DecodeError), "{bad}");
            assert!(decode(bad).is_err());
        }
        let long_bad = format!("{}=", encode(vec![1u8; 600]));
        assert_eq!(with_decoded(&long_bad, |b| b.len()), Err(DecodeError));
    }

    #[test]
    fn decode_append_matches_decode() {
        let mut out = b"kept".to_vec();
        for len in [0, 1, 2, 3, 64, 700] {
            let bytes: Vec<u8> = (0u8..=255).cycle().step_by(5).take(len).collect();
            let start = out.len();
            assert_eq!(decode_append(encode(&bytes), &mut out), Ok(len));
            assert_eq!(&out[start..], &bytes[..]);
        }
        let before = out.clone();
        for bad in ["-_8=", "+/8", "-_9", "a", "ab~"] {
            assert_eq!(decode_append(bad, &mut out), Err(DecodeError), "{bad}");
            assert_eq!(out, before, "a failed decode leaves the buffer as it was");
        }
    }
}
