//! Resource exhaustion in the pure parsers: JSON nested 10,000 levels deep (in a bare
//! document and inside a signed credential) and a status list that inflates to 4 GiB.
//! Oversized HTTP bodies are in the issuer and verifier groups.

use kakehashi_core::json::{JsonLimits, parse_limited};
use kakehashi_core::{UnixTime, b64};
use kakehashi_crypto::{SignatureAlgorithm, Signer as _};
use kakehashi_crypto_aws_lc::{SoftwareSigner, provider};
use kakehashi_sd_jwt::{SdJwt, VerifyOptions};
use kakehashi_status_list::{VerifyOptions as StatusOptions, verify_status_list_token};
use serde_json::{Map, json};

use crate::support::{Context as _, SetupError};
use crate::{Attack, Outcome, refused};

/// How deep the hostile JSON nests.
const DEPTH: usize = 10_000;
/// How much the status-list bomb inflates to: 4 GiB.
const BOMB_BYTES: u64 = 4 << 30;
const STATUS_URI: &str = "https://issuer.example/status/1";

fn nested_arrays(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

pub fn run() -> Result<Vec<Outcome>, SetupError> {
    let mut out = Vec::new();
    let deep = nested_arrays(DEPTH);
    out.push(refused(
        Attack {
            name: "JSON nested 10,000 arrays deep",
            threat: "stack exhaustion in recursive parsers",
            target: "kakehashi-core `json::parse_limited` (every JOSE header, payload, message)",
            sent: "`[[[…]]]`, 10,000 levels, 20 kB",
            expected: "TooDeep { limit: 32 }",
        },
        parse_limited(deep.as_bytes(), JsonLimits::DEFAULT),
    ));

    let issuer = SoftwareSigner::generate(SignatureAlgorithm::Es256).ctx("key")?;
    let payload = format!(r#"{{"iss":"https://issuer.example","deep":{deep}}}"#);
    let jwt = kakehashi_jose::sign_compact(Map::new(), payload.as_bytes(), &issuer).ctx("sign")?;
    out.push(refused(
        Attack {
            name: "Deeply nested claims in a signed SD-JWT",
            threat: "stack exhaustion behind a valid signature",
            target: "kakehashi-sd-jwt `SdJwt::parse_and_verify`",
            sent: "issuer-signed JWT with a claim nested 10,000 arrays deep",
            expected: "Jose { context: \"Issuer-signed JWT\", source: Json { part: \"payload\", source: TooDeep { limit: 32 } } }",
        },
        SdJwt::parse_and_verify(
            &format!("{jwt}~"),
            &provider(),
            issuer.public_jwk(),
            &VerifyOptions::new(UnixTime(1_800_000_000)),
        )
        .map(|_| ()),
    ));

    // A Token Status List whose `lst` inflates to 4 GiB, signed by the status issuer.
    let bomb = zlib_bomb(BOMB_BYTES)?;
    let token = bomb_token(&bomb, &issuer)?;
    let size_mb = token.len() / 1_000_000;
    out.push(refused(
        Attack {
            name: "Status list decompression bomb",
            threat: "decompression bomb (Token Status List `lst`)",
            target: "kakehashi-status-list `verify_status_list_token`",
            sent: if size_mb < 8 {
                "signed `statuslist+jwt` of ~5 MB whose zlib `lst` inflates to 4 GiB"
            } else {
                "signed `statuslist+jwt` (larger than expected)"
            },
            expected: "DecompressedTooLarge { limit: 33554432 }",
        },
        verify_status_list_token(
            &token,
            &provider(),
            issuer.public_jwk(),
            STATUS_URI,
            &StatusOptions::at(UnixTime(1_800_000_000)),
        ),
    ));
    Ok(out)
}

/// A zlib stream of `total` zero bytes, built without compressing them all: one chunk is
/// deflated after a full flush (which resets the dictionary, so every later chunk compresses
/// to the same bytes), that block is repeated, and the stream is closed with an empty final
/// block and the Adler-32 of the zeros.
fn zlib_bomb(total: u64) -> Result<Vec<u8>, SetupError> {
    use flate2::{Compress, Compression, FlushCompress};
    const CHUNK: usize = 16 << 20;
    let chunk = vec![0u8; CHUNK];
    let mut z = Compress::new(Compression::best(), true);
    let step = |z: &mut Compress| -> Result<Vec<u8>, SetupError> {
        let mut buf = Vec::with_capacity(64 << 10);
        let before = z.total_in();
        z.compress_vec(&chunk, &mut buf, FlushCompress::Full)
            .ctx("deflate")?;
        if z.total_in() - before != u64::try_from(CHUNK).ctx("chunk")? {
            return Err(SetupError("deflate did not take the whole chunk".into()));
        }
        Ok(buf)
    };
    let first = step(&mut z)?;
    let steady = step(&mut z)?;
    if step(&mut z)? != steady {
        return Err(SetupError("full-flush blocks differ".into()));
    }
    let chunks = total / u64::try_from(CHUNK).ctx("chunk")?;
    let mut out = first;
    for _ in 1..chunks {
        out.extend_from_slice(&steady);
    }
    // Final fixed-Huffman block holding only end-of-block, then Adler-32 (big-endian): for
    // zeros, s1 = 1 and s2 = n mod 65521.
    out.extend_from_slice(&[0x03, 0x00]);
    let s2 = u32::try_from(total % 65_521).ctx("adler")?;
    out.extend_from_slice(&((s2 << 16) | 1).to_be_bytes());
    Ok(out)
}

/// A `statuslist+jwt` carrying `lst` = the bomb, signed by `signer`.
fn bomb_token(bomb: &[u8], signer: &SoftwareSigner) -> Result<String, SetupError> {
    let payload = json!({
        "sub": STATUS_URI,
        "iat": 1_800_000_000u64 - 60,
        "status_list": {"bits": 1, "lst": b64::encode(bomb)},
    });
    let mut header = Map::new();
    header.insert("typ".into(), "statuslist+jwt".into());
    kakehashi_jose::sign_compact(header, payload.to_string().as_bytes(), signer).ctx("sign")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bomb is a valid zlib stream: a small one inflates to exactly its size.
    #[test]
    fn bomb_is_well_formed() {
        let total: u64 = 64 << 20;
        let bomb = zlib_bomb(total).unwrap_or_default();
        let mut d = flate2::Decompress::new(true);
        let mut sink = vec![0u8; 1 << 20];
        let mut inflated = 0u64;
        let mut input = bomb.as_slice();
        loop {
            let before_in = d.total_in();
            let before_out = d.total_out();
            let status = d
                .decompress(input, &mut sink, flate2::FlushDecompress::None)
                .unwrap_or(flate2::Status::BufError);
            let used = usize::try_from(d.total_in() - before_in).unwrap_or(0);
            input = &input[used..];
            inflated += d.total_out() - before_out;
            match status {
                flate2::Status::StreamEnd => break,
                flate2::Status::Ok => {}
                flate2::Status::BufError => panic!("stream broken at {inflated}"),
            }
        }
        assert_eq!(inflated, total);
        assert!(bomb.len() < 128 << 10, "{}", bomb.len());
    }
}
