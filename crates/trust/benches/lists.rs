//! Load + verify the EU LOTL (seq 248, signer pinned) and the 16 national lists it points to
//! (anchored through it), as a relying party refreshing its trust store does.
//! `cargo bench -p kakehashi-trust --bench lists`; compare with xmlsec1 with
//! `crates/trust/benches/xmlsec1-compare.sh`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // benchmark code: a panic is a failed run

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use kakehashi_trust::{Limits, ListAnchors, UnixTime, parse_list, verify_list};

const LOTL: &str = "lotl/EU-LOTL-seq248.xml";
const NATIONAL: [&str; 16] = [
    "AT", "BE", "CY", "DK", "EL", "FI", "HR", "IE", "IS", "LI", "LU", "LV", "MT", "NO", "SE", "UK",
];
const LOTL_SIGNER_SHA256: &str = "d2064fdd70f6982dcc516b86d9d5c56aea939417c624b2e478c0b29de54f8474";

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/trusted-lists")
}

fn pin() -> [u8; 32] {
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&LOTL_SIGNER_SHA256[2 * i..2 * i + 2], 16).unwrap();
    }
    out
}

fn lists(c: &mut Criterion) {
    let lotl = std::fs::read(dir().join(LOTL)).unwrap();
    let national: Vec<Vec<u8>> = NATIONAL
        .iter()
        .map(|t| std::fs::read(dir().join(format!("tl/{t}.xml"))).unwrap())
        .collect();
    // Inside every list's validity window (lists issued 2019-06-12 .. 2019-09-04).
    let now = UnixTime::parse_rfc3339("2019-09-10T00:00:00Z").unwrap();
    let pins = [pin()];
    let mut group = c.benchmark_group("trusted-lists");
    group.sample_size(10);
    group.bench_function("verify LOTL + 16 national lists", |b| {
        b.iter(|| {
            let l = verify_list(black_box(&lotl), ListAnchors::PinnedSha256(&pins), now).unwrap();
            for n in &national {
                black_box(verify_list(black_box(n), ListAnchors::Lotl(&l), now).unwrap());
            }
        })
    });
    group.bench_function("parse only LOTL + 16 national lists", |b| {
        b.iter(|| {
            black_box(parse_list(black_box(&lotl), &Limits::default()).unwrap());
            for n in &national {
                black_box(parse_list(black_box(n), &Limits::default()).unwrap());
            }
        })
    });
    group.finish();
}

criterion_group!(benches, lists);
criterion_main!(benches);
