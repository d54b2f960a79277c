//! Verifies the EU LOTL seq 248 and its 16 national lists `N` times and prints the mean wall
//! time per set in milliseconds: the Rust side of `benches/xmlsec1-compare.sh`.

#![allow(clippy::unwrap_used, clippy::disallowed_methods)] // a timing tool: panics and the clock are fine

use std::path::PathBuf;
use std::time::Instant;

use kakehashi_trust::{ListAnchors, UnixTime, verify_list};

fn main() {
    let rounds: u32 = std::env::args().nth(1).map_or(5, |n| n.parse().unwrap());
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/trusted-lists");
    let lotl = std::fs::read(dir.join("lotl/EU-LOTL-seq248.xml")).unwrap();
    let national: Vec<Vec<u8>> = [
        "AT", "BE", "CY", "DK", "EL", "FI", "HR", "IE", "IS", "LI", "LU", "LV", "MT", "NO", "SE",
        "UK",
    ]
    .iter()
    .map(|t| std::fs::read(dir.join(format!("tl/{t}.xml"))).unwrap())
    .collect();
    let now = UnixTime::parse_rfc3339("2019-09-10T00:00:00Z").unwrap();
    let start = Instant::now();
    for _ in 0..rounds {
        let l = verify_list(&lotl, ListAnchors::DangerousUnanchored, now).unwrap();
        for n in &national {
            verify_list(n, ListAnchors::Lotl(&l), now).unwrap();
        }
    }
    let ms = start.elapsed().as_secs_f64() * 1000.0 / f64::from(rounds);
    println!("{ms:.1}");
}
