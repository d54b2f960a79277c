//! ZLIB (Token Status List) and GZIP (Bitstring Status List) with a hard cap on inflation.
//!
//! A status list is fetched from a server the verifier does not control. DEFLATE reaches about
//! 1000:1 on constant data, so a 30 KB `lst` could ask for 30 MB and a crafted one for far more:
//! inflation is streamed and stops one byte past the caller's limit, so memory never exceeds
//! the limit whatever the input claims.

use std::io::{Read, Write};

use flate2::Compression;
use flate2::bufread::{GzDecoder, ZlibDecoder};
use flate2::write::{GzEncoder, ZlibEncoder};

use crate::StatusListError;

/// DEFLATE effort, 0 (store) to 9 (smallest output).
///
/// Token Status List section 4.1 recommends the highest level; on sparse lists level 9 costs
/// about twice level 6 for a few percent of size, so publishers of very large lists may choose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompressionLevel(u8);

impl CompressionLevel {
    /// Level 9, the spec's recommendation.
    pub const BEST: Self = Self(9);
    /// Level 6, zlib's default trade-off.
    pub const DEFAULT: Self = Self(6);
    /// Level 1, fastest with compression.
    pub const FAST: Self = Self(1);

    /// A level from 0 to 9; larger values are clamped to 9.
    pub const fn new(level: u8) -> Self {
        if level > 9 { Self(9) } else { Self(level) }
    }

    /// The level as a number.
    pub const fn get(self) -> u8 {
        self.0
    }

    fn flate2(self) -> Compression {
        Compression::new(u32::from(self.0))
    }
}

impl Default for CompressionLevel {
    fn default() -> Self {
        Self::BEST
    }
}

/// Compresses `bytes` as a ZLIB stream (RFC 1950).
pub fn zlib_compress(bytes: &[u8], level: CompressionLevel) -> Result<Vec<u8>, StatusListError> {
    let mut encoder = ZlibEncoder::new(Vec::with_capacity(bytes.len() / 16 + 64), level.flate2());
    encoder
        .write_all(bytes)
        .map_err(|e| StatusListError::CompressFailed(e.to_string()))?;
    encoder
        .finish()
        .map_err(|e| StatusListError::CompressFailed(e.to_string()))
}

/// Compresses `bytes` as a GZIP member (RFC 1952) with a zero timestamp, so the same list
/// always gives the same `encodedList`.
pub fn gzip_compress(bytes: &[u8], level: CompressionLevel) -> Result<Vec<u8>, StatusListError> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(bytes.len() / 16 + 64), level.flate2());
    encoder
        .write_all(bytes)
        .map_err(|e| StatusListError::CompressFailed(e.to_string()))?;
    encoder
        .finish()
        .map_err(|e| StatusListError::CompressFailed(e.to_string()))
}

/// Inflates one ZLIB stream, refusing output larger than `limit` bytes and any byte after the
/// stream's checksum.
pub fn zlib_inflate_limited(compressed: &[u8], limit: usize) -> Result<Vec<u8>, StatusListError> {
    let mut decoder = ZlibDecoder::new(compressed);
    let out = read_limited(&mut decoder, limit)?;
    ensure_consumed(decoder.into_inner())?;
    Ok(out)
}

/// Inflates one GZIP member, refusing output larger than `limit` bytes and trailing bytes
/// (a second member would be a second, unsigned-looking list).
pub fn gzip_inflate_limited(compressed: &[u8], limit: usize) -> Result<Vec<u8>, StatusListError> {
    let mut decoder = GzDecoder::new(compressed);
    let out = read_limited(&mut decoder, limit)?;
    ensure_consumed(decoder.into_inner())?;
    Ok(out)
}

fn read_limited(reader: &mut impl Read, limit: usize) -> Result<Vec<u8>, StatusListError> {
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    let mut out = Vec::new();
    reader
        .take(cap)
        .read_to_end(&mut out)
        .map_err(|e| StatusListError::Compression(e.to_string()))?;
    if out.len() > limit {
        return Err(StatusListError::DecompressedTooLarge { limit });
    }
    Ok(out)
}

fn ensure_consumed(rest: &[u8]) -> Result<(), StatusListError> {
    if rest.is_empty() {
        Ok(())
    } else {
        Err(StatusListError::Compression(
            "trailing bytes after the compressed stream".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_limits() {
        let data = vec![0u8; 100_000];
        let z = zlib_compress(&data, CompressionLevel::BEST).unwrap();
        assert!(z.len() < 1000);
        assert_eq!(zlib_inflate_limited(&z, 100_000).unwrap(), data);
        assert_eq!(
            zlib_inflate_limited(&z, 99_999),
            Err(StatusListError::DecompressedTooLarge { limit: 99_999 })
        );
        let g = gzip_compress(&data, CompressionLevel::FAST).unwrap();
        assert_eq!(gzip_inflate_limited(&g, 100_000).unwrap(), data);
        assert!(matches!(
            gzip_inflate_limited(&g, 10),
            Err(StatusListError::DecompressedTooLarge { limit: 10 })
        ));
        // The two containers are not interchangeable.
        assert!(zlib_inflate_limited(&g, 100_000).is_err());
        assert!(gzip_inflate_limited(&z, 100_000).is_err());
    }

    #[test]
    fn refuses_truncation_corruption_and_trailing_bytes() {
        let z = zlib_compress(b"status list", CompressionLevel::BEST).unwrap();
        assert!(zlib_inflate_limited(&z[..z.len() - 1], 100).is_err());
        let mut bad_checksum = z.clone();
        let last = bad_checksum.len() - 1;
        bad_checksum[last] ^= 1;
        assert!(zlib_inflate_limited(&bad_checksum, 100).is_err());
        let mut trailing = z.clone();
        trailing.push(0);
        assert!(matches!(
            zlib_inflate_limited(&trailing, 100),
            Err(StatusListError::Compression(_))
        ));
        assert!(zlib_inflate_limited(b"", 100).is_err());
        let g = gzip_compress(b"x", CompressionLevel::BEST).unwrap();
        let mut two_members = g.clone();
        two_members.extend_from_slice(&g);
        assert!(gzip_inflate_limited(&two_members, 100).is_err());
    }

    #[test]
    fn levels() {
        assert_eq!(CompressionLevel::new(42), CompressionLevel::BEST);
        assert_eq!(CompressionLevel::default().get(), 9);
    }
}
