//! Hostile inputs never panic: deterministic byte mutations (flip, delete, duplicate, truncate)
//! of a real signed list and of the JP fixture go through `parse_list` and `verify_list`, and
//! every mutated list that still verifies must be byte-identical in what was signed (the
//! mutation hit only unsigned whitespace or the signature's own unsigned parts).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a test failure

use std::path::PathBuf;

use kakehashi_trust::{Limits, ListAnchors, UnixTime, parse_list, verify_list};

/// xorshift64*: reproducible without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % u64::try_from(n).unwrap()).unwrap()
    }
}

fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut v = input.to_vec();
    let at = rng.below(v.len());
    match rng.below(4) {
        0 => v[at] ^= 1 << rng.below(8),
        1 => {
            v.remove(at);
        }
        2 => {
            let end = (at + 1 + rng.below(64)).min(v.len());
            let chunk = v[at..end].to_vec();
            v.splice(at..at, chunk);
        }
        _ => v.truncate(at),
    }
    v
}

fn run(file: &str, now: &str, rounds: usize, seed: u64) {
    let bytes = std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(file)).unwrap();
    let now = UnixTime::parse_rfc3339(now).unwrap();
    let original = verify_list(&bytes, ListAnchors::DangerousUnanchored, now).unwrap();
    let mut rng = Rng(seed);
    let mut accepted = 0;
    for _ in 0..rounds {
        let m = mutate(&mut rng, &bytes);
        let _ = parse_list(&m, &Limits::default());
        if let Ok(v) = verify_list(&m, ListAnchors::DangerousUnanchored, now) {
            // Whatever still verifies must carry the signed content unchanged.
            assert_eq!(
                v.list(),
                original.list(),
                "a mutation changed signed content"
            );
            accepted += 1;
        }
    }
    println!("{file}: {rounds} mutations, {accepted} still verified with identical content");
}

#[test]
fn mutated_real_list_never_panics_or_changes_content() {
    run(
        "testdata/trusted-lists/tl/CY.xml",
        "2019-07-18T00:00:00Z",
        150,
        0x9e37_79b9_7f4a_7c15,
    );
}

#[test]
fn mutated_fixture_never_panics_or_changes_content() {
    run(
        "testdata/fixtures/lists/JP.xml",
        "2026-11-15T00:00:00Z",
        150,
        0x0123_4567_89ab_cdef,
    );
}
