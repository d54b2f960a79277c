//! ZLIB (Token Status List) and GZIP (Bitstring Status List) with a hard cap on inflation.
//!
//! A status list is fetched from a server the verifier does not control. DEFLATE reaches about
//! 1000:1 on constant data, so a 30 KB `lst` could ask for 30 MB and a crafted one for far more:
//! inflation is streamed and stops one byte past the caller's limit, so memory never exceeds
//! the limit whatever the input claims.

use std::io::Read;

use flate2::bufread::{GzDecoder, ZlibDecoder};
use zlib_rs::{DeflateConfig, ReturnCode, Strategy};

use crate::StatusListError;

/// How hard to compress.
///
/// Token Status List section 4.1 recommends the highest compression level. On the lists this
/// project publishes (mostly zero, a few bits set at random) level 9 spends its time walking
/// long hash chains of zero runs: 10^8 one-bit entries at 1% revoked take about 3.5 s (level 6:
/// 0.4 s). DEFLATE's run-length strategy (matches at distance 1 only) at level 9 takes about
/// 70 ms for the same list, and its output (1.48 MB) is 12% larger than level 9 (1.32 MB) and
/// smaller than level 6 (1.51 MB); it is the default, and the only setting that keeps 10^8
/// entries well inside the 0.5 s publish budget. Decoders see ordinary DEFLATE either way.
/// Numbers: `benches/status_list.rs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compression {
    level: u8,
    run_length: bool,
}

impl Compression {
    /// Level 9, run-length matching: near-best size on sparse lists, fast. The default.
    pub const RUN_LENGTH: Self = Self {
        level: 9,
        run_length: true,
    };
    /// Level 9 with full match search: the smallest output, the spec's recommendation; slow
    /// on large sparse lists.
    pub const BEST: Self = Self::level(9);
    /// Level 6, zlib's default trade-off.
    pub const DEFAULT: Self = Self::level(6);
    /// Level 1, fastest with full matching.
    pub const FAST: Self = Self::level(1);

    /// Level 0 (store) to 9 with full match search; larger values are clamped to 9.
    pub const fn level(level: u8) -> Self {
        Self {
            level: if level > 9 { 9 } else { level },
            run_length: false,
        }
    }

    /// The DEFLATE level.
    pub const fn get(self) -> u8 {
        self.level
    }

    /// True for run-length matching.
    pub const fn is_run_length(self) -> bool {
        self.run_length
    }

    fn config(self, window_bits: i32) -> DeflateConfig {
        DeflateConfig {
            level: i32::from(self.level),
            window_bits,
            strategy: if self.run_length {
                Strategy::Rle
            } else {
                Strategy::Default
            },
            ..DeflateConfig::default()
        }
    }
}

impl Default for Compression {
    fn default() -> Self {
        Self::RUN_LENGTH
    }
}

/// zlib window bits: 15 = 32 KiB window with a ZLIB wrapper, +16 = GZIP wrapper instead.
const ZLIB_WINDOW_BITS: i32 = 15;
const GZIP_WINDOW_BITS: i32 = 15 + 16;
/// A GZIP wrapper (10-byte header, 8-byte trailer) is 12 bytes longer than a ZLIB one.
const GZIP_EXTRA_BOUND: usize = 12;

/// Compresses `bytes` as a ZLIB stream (RFC 1950).
pub fn zlib_compress(bytes: &[u8], compression: Compression) -> Result<Vec<u8>, StatusListError> {
    deflate(bytes, compression.config(ZLIB_WINDOW_BITS))
}

/// Compresses `bytes` as a GZIP member (RFC 1952) with no name and a zero timestamp, so the
/// same list gives the same `encodedList` on a given platform (the header's OS byte varies).
pub fn gzip_compress(bytes: &[u8], compression: Compression) -> Result<Vec<u8>, StatusListError> {
    deflate(bytes, compression.config(GZIP_WINDOW_BITS))
}

fn deflate(bytes: &[u8], config: DeflateConfig) -> Result<Vec<u8>, StatusListError> {
    // One call with a buffer of the worst-case size: no streaming state, no reallocation.
    let bound = zlib_rs::compress_bound(bytes.len()).saturating_add(GZIP_EXTRA_BOUND);
    let mut out = vec![0u8; bound];
    let (written, code) = zlib_rs::compress_slice(&mut out, bytes, config);
    if code != ReturnCode::Ok {
        return Err(StatusListError::CompressFailed(format!("{code:?}")));
    }
    let len = written.len();
    out.truncate(len);
    Ok(out)
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
        let z = zlib_compress(&data, Compression::BEST).unwrap();
        assert!(z.len() < 1000);
        assert_eq!(zlib_inflate_limited(&z, 100_000).unwrap(), data);
        assert_eq!(
            zlib_inflate_limited(&z, 99_999),
            Err(StatusListError::DecompressedTooLarge { limit: 99_999 })
        );
        let g = gzip_compress(&data, Compression::FAST).unwrap();
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
        let z = zlib_compress(b"status list", Compression::BEST).unwrap();
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
        let g = gzip_compress(b"x", Compression::BEST).unwrap();
        let mut two_members = g.clone();
        two_members.extend_from_slice(&g);
        assert!(gzip_inflate_limited(&two_members, 100).is_err());
    }

    #[test]
    fn every_setting_round_trips() {
        let mut data = vec![0u8; 50_000];
        for i in (0..data.len()).step_by(97) {
            data[i] = 1 << (i % 8);
        }
        let mut settings: Vec<Compression> = (0..=9).map(Compression::level).collect();
        settings.push(Compression::RUN_LENGTH);
        for c in settings {
            let z = zlib_compress(&data, c).unwrap();
            assert_eq!(zlib_inflate_limited(&z, data.len()).unwrap(), data, "{c:?}");
            let g = gzip_compress(&data, c).unwrap();
            assert_eq!(gzip_inflate_limited(&g, data.len()).unwrap(), data, "{c:?}");
        }
        assert_eq!(Compression::level(42), Compression::BEST);
        assert_eq!(Compression::default(), Compression::RUN_LENGTH);
        assert!(zlib_compress(&[], Compression::default()).is_ok());
    }
}
