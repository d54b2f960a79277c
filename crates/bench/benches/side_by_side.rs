//! Criterion view of the single-core rows of `scripts/bench` (per-operation statistics; the
//! ratios of the table come from the runner, which interleaves the subjects).
//!
//! cargo bench -p kakehashi-bench --bench side_by_side -- --warm-up-time 1 --measurement-time 3

#![allow(clippy::unwrap_used)] // benchmark setup: a failed unwrap is a broken benchmark

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use kakehashi_bench::Scenario;

fn presentation_verify(c: &mut Criterion) {
    let s = Scenario::new();
    let p = s.presentation().to_owned();
    let floor = s.floor();
    let ring = s.ring_floor();
    // Refuse to time anything that does not accept the input.
    assert!(floor.verify_two() && ring.verify_two());
    s.pipeline(&p).unwrap();
    s.bare(&p).unwrap();
    s.sd_jwt_rs(&p).unwrap();

    let mut g = c.benchmark_group("presentation_10_disclosures");
    g.bench_function("floor_es256_verify_x2_aws_lc_rs", |b| {
        b.iter(|| assert!(floor.verify_two()))
    });
    g.bench_function("floor_es256_verify_x2_ring", |b| {
        b.iter(|| assert!(ring.verify_two()))
    });
    g.bench_function("kakehashi_verify_presentation", |b| {
        b.iter(|| black_box(s.pipeline(black_box(&p)).unwrap()))
    });
    g.bench_function("kakehashi_sd_jwt_verify", |b| {
        b.iter(|| black_box(s.bare(black_box(&p)).unwrap()))
    });
    g.bench_function("sd_jwt_rs_verify", |b| {
        b.iter(|| black_box(s.sd_jwt_rs(black_box(&p)).unwrap()))
    });
    g.bench_function("kakehashi_issue_sd_jwt_vc", |b| {
        b.iter(|| black_box(s.issue()))
    });
    g.finish();
}

criterion_group!(benches, presentation_verify);
criterion_main!(benches);
