//! Round-trip properties at every entry size, and decompression bombs.

use std::collections::BTreeMap;

use kakehashi_crypto::SignatureAlgorithm;
use kakehashi_crypto_aws_lc::{SoftwareSigner, provider};
use kakehashi_status_list::bitstring::Bitstring;
use kakehashi_status_list::compress::{gzip_compress, zlib_compress};
use kakehashi_status_list::{
    Bits, Compression, DecodeLimits, EncodedStatusList, IndexAllocator, StatusList,
    StatusListError, StatusListTokenClaims, UnixTime, VerifyOptions, sign_status_list_token,
    verify_status_list_token,
};
use proptest::prelude::*;

fn bits_strategy() -> impl Strategy<Value = Bits> {
    prop::sample::select(Bits::ALL.to_vec())
}

fn level_strategy() -> impl Strategy<Value = Compression> {
    prop_oneof![
        (0u8..=9).prop_map(Compression::level),
        Just(Compression::RUN_LENGTH)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// set random entries -> JSON -> parse -> inflate -> same values everywhere.
    #[test]
    fn token_status_list_round_trip(
        bits in bits_strategy(),
        entries in 1u64..4096,
        writes in prop::collection::vec((any::<u64>(), any::<u8>()), 0..200),
        level in level_strategy(),
    ) {
        let mut list = StatusList::new(bits, entries).unwrap();
        let mut model = BTreeMap::new();
        for (i, v) in writes {
            let index = i % list.len();
            let value = v & bits.max_value();
            list.set(index, value).unwrap();
            model.insert(index, value);
        }
        let json = list.encode(level, None).unwrap().to_json();
        let back = EncodedStatusList::from_json(&json, DecodeLimits::DEFAULT)
            .unwrap()
            .decode(DecodeLimits::DEFAULT)
            .unwrap();
        prop_assert_eq!(back.len(), list.len());
        for index in 0..back.len() {
            prop_assert_eq!(back.get(index).unwrap(), model.get(&index).copied().unwrap_or(0));
        }
        let cbor = list.encode(level, Some("https://example.com/agg")).unwrap().to_cbor().unwrap();
        let from_cbor = EncodedStatusList::from_cbor(&cbor).unwrap();
        prop_assert_eq!(from_cbor.decode(DecodeLimits::DEFAULT).unwrap(), back);
    }

    /// The same for W3C bitstrings at every statusSize, MSB first.
    #[test]
    fn bitstring_round_trip(
        status_size in 1u8..=16,
        entries in 1u64..2048,
        writes in prop::collection::vec((any::<u64>(), any::<u32>()), 0..100),
    ) {
        let mut list = Bitstring::with_minimum(entries, status_size, 0).unwrap();
        let mut model = BTreeMap::new();
        let mask = (1u32 << status_size) - 1;
        for (i, v) in writes {
            let index = i % list.len();
            list.set(index, v & mask).unwrap();
            model.insert(index, v & mask);
        }
        let encoded = list.encode(Compression::DEFAULT).unwrap();
        let back = Bitstring::decode(&encoded, status_size, DecodeLimits::DEFAULT).unwrap();
        prop_assert_eq!(back.len(), list.len());
        for index in 0..back.len() {
            prop_assert_eq!(back.get(index).unwrap(), model.get(&index).copied().unwrap_or(0));
        }
    }

    /// Parsing never panics on arbitrary JSON-ish input.
    #[test]
    fn parsers_do_not_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = EncodedStatusList::from_cbor(&bytes);
        if let Ok(value) = serde_json::from_slice::<serde_json::Value>(&bytes) {
            let _ = EncodedStatusList::from_json(&value, DecodeLimits::DEFAULT);
        }
        let text = String::from_utf8_lossy(&bytes);
        let _ = Bitstring::decode(&format!("u{text}"), 1, DecodeLimits::DEFAULT);
        let _ = StatusList::decompress(Bits::One, &bytes, 1 << 16);
    }

    /// Allocation state survives persisting at any fill level.
    #[test]
    fn allocator_state_round_trip(len in 0u64..3000, take in 0u64..3000, seed in any::<u64>()) {
        use rand_chacha::ChaCha8Rng;
        use rand_core::SeedableRng;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut allocator = IndexAllocator::new(len).unwrap();
        for _ in 0..take.min(len) {
            allocator.allocate(&mut rng).unwrap();
        }
        let restored = IndexAllocator::from_bytes(len, &allocator.to_bytes()).unwrap();
        prop_assert_eq!(&restored, &allocator);
        prop_assert_eq!(restored.allocated(), take.min(len));
    }
}

/// A stream of a few KB that inflates past the limit is refused, and no more than the limit
/// is ever produced.
#[test]
fn zlib_bomb_is_refused() {
    let zeros = vec![0u8; 4 << 20];
    let bomb = zlib_compress(&zeros, Compression::BEST).unwrap();
    assert!(bomb.len() < 8 * 1024, "bomb is {} bytes", bomb.len());
    let limits = DecodeLimits {
        max_encoded_bytes: 1 << 20,
        max_decompressed_bytes: 1 << 20,
    };
    let json = serde_json::json!({"bits": 1, "lst": kakehashi_core::b64::encode(&bomb)});
    let encoded = EncodedStatusList::from_json(&json, limits).unwrap();
    assert_eq!(
        encoded.decode(limits),
        Err(StatusListError::DecompressedTooLarge { limit: 1 << 20 })
    );
    // Exactly at the limit is fine: the cap is inclusive.
    let at_limit = DecodeLimits {
        max_decompressed_bytes: 4 << 20,
        ..limits
    };
    assert_eq!(encoded.decode(at_limit).unwrap().as_bytes().len(), 4 << 20);
}

/// The default cap (32 MiB) holds for a signed token: a valid signature does not make a bomb
/// acceptable.
#[test]
fn signed_bomb_token_is_refused_with_default_limits() {
    let list = StatusList::from_bytes(Bits::One, vec![0u8; (32 << 20) + 1]);
    let signer = SoftwareSigner::generate(SignatureAlgorithm::Es256).unwrap();
    let claims = StatusListTokenClaims {
        sub: "https://example.com/statuslists/bomb".into(),
        iat: UnixTime(1_700_000_000),
        exp: None,
        ttl: None,
        iss: None,
        aggregation_uri: None,
    };
    let token = sign_status_list_token(&list, &claims, Compression::BEST, &signer).unwrap();
    assert!(token.len() < 64 * 1024, "token is {} bytes", token.len());
    let result = verify_status_list_token(
        &token,
        &provider(),
        kakehashi_crypto::Signer::public_jwk(&signer),
        "https://example.com/statuslists/bomb",
        &VerifyOptions::at(UnixTime(1_700_000_100)),
    );
    assert_eq!(
        result.unwrap_err(),
        StatusListError::DecompressedTooLarge {
            limit: DecodeLimits::DEFAULT.max_decompressed_bytes
        }
    );
}

#[test]
fn gzip_bomb_is_refused() {
    let zeros = vec![0u8; 4 << 20];
    let bomb = gzip_compress(&zeros, Compression::BEST).unwrap();
    let encoded_list = format!("u{}", kakehashi_core::b64::encode(&bomb));
    let limits = DecodeLimits {
        max_encoded_bytes: 1 << 20,
        max_decompressed_bytes: 1 << 20,
    };
    assert_eq!(
        Bitstring::decode(&encoded_list, 1, limits),
        Err(StatusListError::DecompressedTooLarge { limit: 1 << 20 })
    );
}
