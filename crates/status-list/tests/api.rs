//! The public API as the issuer, the status provider and the verifier use it.
//!
//! ```text
//!  issuer                              status provider (CDN)          verifier
//!  ------                              ---------------------          --------
//!  IndexAllocator::allocate(rng) -> idx
//!  credential.status = {idx, uri}  ------------------------------------> StatusListReference::from_claims
//!  StatusList::set(idx, INVALID)
//!  sign_status_list_token  --------->  serves the token  ------------> verify_status_list_token(key, uri, now)
//!                                                                      VerifiedStatusList::status(ref, now)
//!                                                                      ... freshness(now) -> refetch
//! ```

use kakehashi_crypto::{SignatureAlgorithm, Signer};
use kakehashi_crypto_aws_lc::{SoftwareSigner, provider};
use kakehashi_status_list::bitstring::{
    Bitstring, BitstringOptions, BitstringStatusListCredential, BitstringStatusListEntry,
    DecodedBitstringStatusList, MIN_ENTRIES, StatusPurpose,
};
use kakehashi_status_list::{
    Bits, CachePolicy, Compression, Freshness, IndexAllocator, StatusList, StatusListReference,
    StatusListTokenClaims, StatusType, UnixTime, VerifyOptions, sign_status_list_token,
    verify_status_list_token,
};
use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;
use serde_json::json;

const URI: &str = "https://issuer.example.ac.jp/status/1";

#[test]
fn token_status_list_story() {
    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    let issuer_key = SoftwareSigner::generate(SignatureAlgorithm::Es256)
        .unwrap()
        .with_kid("status-2026");
    let entries = 1 << 16;

    // Issuer: three diplomas get random, distinct indexes.
    let mut allocator = IndexAllocator::new(entries).unwrap();
    let mut list = StatusList::new(Bits::Two, entries).unwrap();
    let diplomas: Vec<serde_json::Value> = (0..3)
        .map(|_| {
            let idx = allocator.allocate(&mut rng).unwrap();
            let reference = StatusListReference {
                idx,
                uri: URI.into(),
            };
            json!({"vct": "urn:eudi:diploma:1", "status": reference.to_status_claim()})
        })
        .collect();
    // The allocation state survives a restart through the storage layer.
    let stored = allocator.to_bytes();
    let allocator = IndexAllocator::from_bytes(entries, &stored).unwrap();
    assert_eq!(allocator.allocated(), 3);

    // Diploma 1 is revoked, diploma 2 suspended.
    let reference_of = |claims: &serde_json::Value| {
        StatusListReference::from_claims(claims.as_object().unwrap()).unwrap()
    };
    list.set(reference_of(&diplomas[1]).idx, StatusType::Invalid.value())
        .unwrap();
    list.set(
        reference_of(&diplomas[2]).idx,
        StatusType::Suspended.value(),
    )
    .unwrap();
    let issued_at = UnixTime(1_790_000_000);
    let claims = StatusListTokenClaims {
        sub: URI.into(),
        iat: issued_at,
        exp: Some(issued_at.saturating_add(86_400)),
        ttl: Some(3_600),
        iss: Some("https://issuer.example.ac.jp".into()),
        aggregation_uri: Some("https://issuer.example.ac.jp/status".into()),
    };
    let token =
        sign_status_list_token(&list, &claims, Compression::default(), &issuer_key).unwrap();

    // Verifier: fetches the token named by the diploma and checks all three.
    let now = issued_at.saturating_add(10);
    let cached = verify_status_list_token(
        &token,
        &provider(),
        issuer_key.public_jwk(),
        &reference_of(&diplomas[0]).uri,
        &VerifyOptions::at(now),
    )
    .unwrap();
    assert_eq!(
        cached.aggregation_uri(),
        Some("https://issuer.example.ac.jp/status")
    );
    let statuses: Vec<StatusType> = diplomas
        .iter()
        .map(|d| cached.status(&reference_of(d), now).unwrap())
        .collect();
    assert_eq!(
        statuses,
        [
            StatusType::Valid,
            StatusType::Invalid,
            StatusType::Suspended
        ]
    );

    // The cache answers until ttl, then asks for a refetch; after exp it must not answer.
    let policy = CachePolicy::DEFAULT;
    assert!(matches!(
        cached.freshness(now, &policy),
        Freshness::Fresh { .. }
    ));
    assert!(matches!(
        cached.freshness(now.saturating_add(3_600), &policy),
        Freshness::RefreshDue { .. }
    ));
    let after_exp = issued_at.saturating_add(86_400 + 61);
    assert!(matches!(
        cached.freshness(after_exp, &policy),
        Freshness::Expired { .. }
    ));
    assert!(
        cached
            .status(&reference_of(&diplomas[0]), after_exp)
            .is_err()
    );

    // The suspension is lifted in the next token.
    list.set(reference_of(&diplomas[2]).idx, StatusType::Valid.value())
        .unwrap();
    let next = StatusListTokenClaims {
        iat: issued_at.saturating_add(3_600),
        ..claims
    };
    let token = sign_status_list_token(&list, &next, Compression::default(), &issuer_key).unwrap();
    let later = issued_at.saturating_add(3_700);
    let refreshed = verify_status_list_token(
        &token,
        &provider(),
        issuer_key.public_jwk(),
        URI,
        &VerifyOptions::at(later),
    )
    .unwrap();
    assert_eq!(
        refreshed.status(&reference_of(&diplomas[2]), later),
        Ok(StatusType::Valid)
    );
}

#[test]
fn bitstring_status_list_story() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let list_url = "https://university.example.eu/credentials/status/revocation/1";
    let mut allocator = IndexAllocator::new(MIN_ENTRIES).unwrap();
    let mut bitstring = Bitstring::new(MIN_ENTRIES, 1).unwrap();

    // Issuer: an Open Badge gets an entry at a random index, then is revoked.
    let index = allocator.allocate(&mut rng).unwrap();
    let entry = BitstringStatusListEntry::new(StatusPurpose::Revocation, index, list_url);
    let badge = json!({
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "credentialStatus": entry.to_json()
    });
    bitstring.set(index, 1).unwrap();
    let credential = BitstringStatusListCredential {
        id: Some(list_url.into()),
        issuer: json!("https://university.example.eu"),
        valid_from: Some(UnixTime(1_790_000_000)),
        valid_until: Some(UnixTime(1_790_086_400)),
        subject_id: Some(format!("{list_url}#list")),
        status_purposes: vec![StatusPurpose::Revocation],
        encoded_list: bitstring.encode(Compression::default()).unwrap(),
        ttl_ms: Some(300_000),
    };
    // (The VC crate secures credential.to_json() as vc+jwt here.)
    let published = credential.to_json();

    // Verifier: reads the badge's entry and the (verified) list credential.
    let entries = BitstringStatusListEntry::from_credential(badge.as_object().unwrap()).unwrap();
    let list = BitstringStatusListCredential::from_json(&published).unwrap();
    let now = UnixTime(1_790_000_100);
    let strict = BitstringOptions {
        require_matching_id: true,
        ..BitstringOptions::default()
    };
    let decoded = DecodedBitstringStatusList::new(list, now, strict).unwrap();
    let status = decoded.status(&entries[0], now).unwrap();
    assert!(!status.valid);
    assert_eq!(status.purpose, StatusPurpose::Revocation);
    assert_eq!(
        decoded.refresh_at(&CachePolicy::DEFAULT),
        now.saturating_add(300)
    );
}
