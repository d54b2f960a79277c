//! DCQL parsing and matching never panic: the first byte selects how many of the following
//! JSON values are held credentials; the query is matched against them and the claims path
//! pointers of the query are evaluated on each credential.
#![no_main]

use kakehashi_oid4vp::DcqlQuery;
use kakehashi_oid4vp::dcql::CredentialFormat;
use kakehashi_oid4vp::matching::{HeldCredential, match_query};
use kakehashi_oid4vp::response::PostedResponse;
use kakehashi_oid4vp::request::{RequestUri, ResponseMode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Split on NUL: query, then credential claim documents.
    let mut parts = data.split(|b| *b == 0);
    let Some(query_bytes) = parts.next() else { return };
    if let Ok(text) = std::str::from_utf8(query_bytes) {
        let _ = RequestUri::parse(text);
        let _ = PostedResponse::from_form(text, ResponseMode::DirectPost);
        let _ = PostedResponse::from_form(text, ResponseMode::DirectPostJwt);
    }
    let Ok(query) = DcqlQuery::parse(query_bytes) else { return };
    let held: Vec<HeldCredential> = parts
        .take(4)
        .filter_map(|bytes| {
            kakehashi_core::json::parse_limited(bytes, kakehashi_core::JsonLimits::DEFAULT).ok()
        })
        .map(|claims| HeldCredential {
            format: CredentialFormat::DcSdJwt,
            vct: claims.get("vct").and_then(|v| v.as_str()).map(str::to_owned),
            types: claims
                .get("type")
                .and_then(|t| t.as_array())
                .map(|t| t.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect())
                .unwrap_or_default(),
            claims,
            holder_binding: true,
            authorities: vec![],
        })
        .flat_map(|h| {
            let mut w3c = h.clone();
            w3c.format = CredentialFormat::JwtVcJson;
            [h, w3c]
        })
        .collect();
    let outcome = match_query(&query, &held);
    let _ = outcome.default_selection(&query);
    for cq in query.credentials() {
        for claim in cq.claims.iter().flatten() {
            for h in &held {
                let _ = claim.path.select(&h.claims);
            }
        }
    }
    let _ = DcqlQuery::from_json(&query.to_json()).expect("a valid query re-serializes to a valid query");
});
