//! TS 119 612 lists from untrusted bytes: the parser, and the signature structure checks and
//! XMLDSig verification that run before any content is trusted. Must never panic.

#![no_main]

use kakehashi_trust::{Limits, ListAnchors, UnixTime, parse_list, verify_list};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    if let Ok(list) = parse_list(data, &limits) {
        // Walk what was parsed, as a verifier would.
        let _ = list.service_count();
        for (_, svc) in list.services() {
            let _ = svc.state_at(UnixTime(1_800_000_000));
        }
    }
    let _ = verify_list(
        data,
        ListAnchors::DangerousUnanchored,
        UnixTime(1_800_000_000),
    );
});
