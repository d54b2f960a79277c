//! Size caps and work budgets, in the manner of webpki's `Budget`: every loop over untrusted
//! input is bounded by one of these numbers.

/// Caps applied while parsing and verifying a list. The defaults are generous for real lists
/// and small enough that a hostile document cannot exhaust memory or time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest XML document accepted. Default 32 MiB: the largest list in the test vectors
    /// (EU LOTL seq 341) is 480 KB and member-state lists stay in the low megabytes.
    pub max_xml_bytes: usize,
    /// Largest number of XML nodes (elements, text, attributes' owners) roxmltree may build.
    /// Default 2,000,000: the LOTL (480 KB) has about 15,000.
    pub max_nodes: u32,
    /// Largest number of trust service providers in one list. Default 10,000 (EU lists: < 200).
    pub max_providers: usize,
    /// Largest number of services (current + history instances) in one list. Default 100,000.
    pub max_services: usize,
    /// Largest number of pointers to other lists. Default 1,000 (EU LOTL: 44).
    pub max_pointers: usize,
    /// Largest DER certificate accepted from the XML. Default 64 KiB.
    pub max_certificate_bytes: usize,
    /// Deepest nesting of `CriteriaList` elements. Default 8.
    pub max_criteria_depth: usize,
    /// Largest number of candidate trust anchors tried during path validation. Default 10,000.
    pub max_anchor_candidates: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_xml_bytes: 32 * 1024 * 1024,
            max_nodes: 2_000_000,
            max_providers: 10_000,
            max_services: 100_000,
            max_pointers: 1_000,
            max_certificate_bytes: 64 * 1024,
            max_criteria_depth: 8,
            max_anchor_candidates: 10_000,
        }
    }
}
