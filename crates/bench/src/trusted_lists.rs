//! The EU LOTL (seq 248, signer pinned) and its 16 national lists from the shared vectors:
//! load and verify as a relying party refreshing its trust store (the measurement of
//! `crates/trust/benches/lists.rs`, repeated here so it lands in the same table).

use std::path::Path;

use kakehashi_trust::{Limits, ListAnchors, UnixTime, parse_list, verify_list};

const LOTL: &str = "lotl/EU-LOTL-seq248.xml";
const NATIONAL: [&str; 16] = [
    "AT", "BE", "CY", "DK", "EL", "FI", "HR", "IE", "IS", "LI", "LU", "LV", "MT", "NO", "SE", "UK",
];
/// SHA-256 of the LOTL signer certificate of seq 248 (the relying party's pin).
const LOTL_SIGNER_SHA256: &str = "d2064fdd70f6982dcc516b86d9d5c56aea939417c624b2e478c0b29de54f8474";

/// The 17 lists as bytes.
pub struct ListSet {
    lotl: Vec<u8>,
    national: Vec<Vec<u8>>,
    pin: [u8; 32],
}

impl ListSet {
    /// Reads the lists under `dir` (`../shared/vectors/trusted-lists`).
    pub fn read(dir: &Path) -> std::io::Result<Self> {
        let lotl = std::fs::read(dir.join(LOTL))?;
        let national = NATIONAL
            .iter()
            .map(|t| std::fs::read(dir.join(format!("tl/{t}.xml"))))
            .collect::<Result<_, _>>()?;
        let mut pin = [0u8; 32];
        for (i, byte) in pin.iter_mut().enumerate() {
            let hex = LOTL_SIGNER_SHA256.get(2 * i..2 * i + 2).unwrap_or("00");
            *byte = u8::from_str_radix(hex, 16).unwrap_or(0);
        }
        Ok(Self {
            lotl,
            national,
            pin,
        })
    }

    /// Total bytes of the 17 lists.
    pub fn bytes(&self) -> usize {
        self.lotl.len() + self.national.iter().map(Vec::len).sum::<usize>()
    }

    /// Verifies the LOTL against the pin and each national list against the LOTL; returns
    /// how many lists verified.
    pub fn verify_all(&self) -> Result<usize, kakehashi_trust::TrustError> {
        let now = verification_time();
        let pins = [self.pin];
        let lotl = verify_list(&self.lotl, ListAnchors::PinnedSha256(&pins), now)?;
        for n in &self.national {
            verify_list(n, ListAnchors::Lotl(&lotl), now)?;
        }
        Ok(1 + self.national.len())
    }

    /// Parses the 17 lists without verifying.
    pub fn parse_all(&self) -> Result<usize, kakehashi_trust::TrustError> {
        parse_list(&self.lotl, &Limits::default())?;
        for n in &self.national {
            parse_list(n, &Limits::default())?;
        }
        Ok(1 + self.national.len())
    }
}

/// Inside every list's validity window (issued 2019-06-12 .. 2019-09-04).
fn verification_time() -> UnixTime {
    UnixTime(1_568_073_600) // 2019-09-10T00:00:00Z
}
