//! Status list publish / fetch costs (issue 7).
//!
//! One-bit Token Status Lists of 10^6, 10^7 and 10^8 entries with 1% of the entries revoked at
//! uniformly random positions (the spec's size table uses the same shape):
//! - `encode/<setting>/<n>`: ZLIB compression of the byte array, what the issuer pays per
//!   publish: `rle` (level 9, run-length matching, the default), `best` (level 9, full
//!   search, the spec's recommendation), `default` (level 6). Target at 10^8: at most 0.5 s.
//! - `decode/<n>`: inflating under the default cap, what a verifier pays per fetch.
//! - `lookup`: one status query in a verified, cached list.
//!
//! Run: `cargo bench -p kakehashi-status-list --bench status_list -- --warm-up-time 1
//! --measurement-time 3`

use std::hint::black_box;

use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use kakehashi_crypto::{SignatureAlgorithm, Signer};
use kakehashi_crypto_aws_lc::{SoftwareSigner, provider};
use kakehashi_status_list::{
    Bits, Compression, DecodeLimits, StatusList, StatusListReference, StatusListTokenClaims,
    UnixTime, VerifyOptions, sign_status_list_token, verify_status_list_token,
};
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

const SIZES: [u64; 3] = [1_000_000, 10_000_000, 100_000_000];

/// A 1-bit list of `entries` with 1% set at random positions (collisions make it slightly
/// less, as in a real list).
fn revoked_list(entries: u64) -> StatusList {
    let mut rng = ChaCha8Rng::seed_from_u64(entries);
    let mut list = StatusList::new(Bits::One, entries).expect("list");
    for _ in 0..entries / 100 {
        let index = rng.next_u64() % entries;
        list.set(index, 1).expect("in range");
    }
    list
}

fn encode_decode(c: &mut Criterion) {
    for entries in SIZES {
        let list = revoked_list(entries);
        let bytes = u64::try_from(list.as_bytes().len()).expect("fits");
        let mut group = c.benchmark_group("encode");
        group.throughput(Throughput::Bytes(bytes));
        if entries >= 10_000_000 {
            group.sample_size(10).sampling_mode(SamplingMode::Flat);
        }
        for (name, level) in [
            ("rle", Compression::RUN_LENGTH),
            ("best", Compression::BEST),
            ("default", Compression::DEFAULT),
        ] {
            group.bench_with_input(BenchmarkId::new(name, entries), &list, |b, list| {
                b.iter(|| black_box(list.compress(level).expect("compress")))
            });
        }
        group.finish();

        let compressed = list.compress(Compression::RUN_LENGTH).expect("compress");
        println!(
            "{entries} entries: {} bytes inflated, {} bytes run-length, {} bytes level 9, {} bytes level 6",
            list.as_bytes().len(),
            compressed.len(),
            list.compress(Compression::BEST).expect("compress").len(),
            list.compress(Compression::DEFAULT).expect("compress").len(),
        );
        let mut group = c.benchmark_group("decode");
        group.throughput(Throughput::Bytes(bytes));
        if entries >= 10_000_000 {
            group.sample_size(10).sampling_mode(SamplingMode::Flat);
        }
        group.bench_with_input(
            BenchmarkId::from_parameter(entries),
            &compressed,
            |b, compressed| {
                b.iter(|| {
                    black_box(
                        StatusList::decompress(
                            Bits::One,
                            compressed,
                            DecodeLimits::DEFAULT.max_decompressed_bytes,
                        )
                        .expect("inflate"),
                    )
                })
            },
        );
        group.finish();
    }
}

fn lookup(c: &mut Criterion) {
    let uri = "https://example.com/statuslists/1";
    let list = revoked_list(1_000_000);
    let signer = SoftwareSigner::generate(SignatureAlgorithm::Es256).expect("key");
    let claims = StatusListTokenClaims {
        sub: uri.into(),
        iat: UnixTime(1_700_000_000),
        exp: Some(UnixTime(1_800_000_000)),
        ttl: Some(3_600),
        iss: None,
        aggregation_uri: None,
    };
    let token =
        sign_status_list_token(&list, &claims, Compression::default(), &signer).expect("sign");
    let now = UnixTime(1_700_000_100);
    let cached = verify_status_list_token(
        &token,
        &provider(),
        signer.public_jwk(),
        uri,
        &VerifyOptions::at(now),
    )
    .expect("verify");
    let reference = StatusListReference {
        idx: 654_321,
        uri: uri.into(),
    };
    c.bench_function("lookup/cached-1e6", |b| {
        b.iter(|| black_box(cached.status(black_box(&reference), now).expect("status")))
    });
}

criterion_group!(benches, encode_decode, lookup);
criterion_main!(benches);
