//! Work budgets for untrusted SD-JWTs, each number with the reason it was chosen.

use kakehashi_core::JsonLimits;

/// Caps applied while decoding and verifying one SD-JWT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// JSON limits for the Issuer-signed JWT header and payload, each Disclosure and the KB-JWT.
    pub json: JsonLimits,
    /// Maximum number of Disclosures. 1024: the largest credential we expect is a diploma
    /// supplement / transcript with ~150 course entries of a handful of disclosable fields
    /// each (~750 disclosures); the EU PID has ~40. Beyond that the size is an attack, since
    /// each Disclosure costs a hash and a JSON parse.
    pub max_disclosures: usize,
    /// Maximum number of Disclosures nested inside each other along one path (recursive
    /// disclosures). 8: RFC 9901's deepest example nests 3 (address -> region); the
    /// structured eKYC example nests 4. The cap stops a chain of disclosures each adding a
    /// level from building a tree deeper than any single JSON document may be.
    pub max_disclosure_depth: usize,
    /// Maximum nesting of the processed payload (objects and arrays). 48: the per-document
    /// JSON cap is 32 and recursive disclosures can add levels; 48 leaves room for the
    /// deepest real credential (ELM / Open Badges subjects reach ~12) while keeping the
    /// recursive processor far from stack limits.
    pub max_payload_depth: usize,
}

impl Limits {
    /// The defaults documented on each field.
    pub const DEFAULT: Limits = Limits {
        json: JsonLimits::DEFAULT,
        max_disclosures: 1024,
        max_disclosure_depth: 8,
        max_payload_depth: 48,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}
