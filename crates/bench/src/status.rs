//! Status list sizes of issue 7: 1-bit Token Status Lists with 1% of the entries revoked at
//! pseudo-random positions (the shape of the status-list crate's own bench).

use kakehashi_crypto::Signer as _;
use kakehashi_crypto_aws_lc::SoftwareSigner;
use kakehashi_status_list::{
    Bits, Compression, DecodeLimits, StatusList, StatusListError, StatusListTokenClaims, UnixTime,
    VerifyOptions, sign_status_list_token, verify_status_list_token,
};

/// A 1-bit list of `entries` with `entries / 100` positions set (SplitMix64, seeded by size).
pub fn revoked_list(entries: u64) -> Result<StatusList, StatusListError> {
    let mut list = StatusList::new(Bits::One, entries)?;
    let mut state = entries;
    for _ in 0..entries / 100 {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        list.set(z % entries, 1)?;
    }
    Ok(list)
}

/// Publishing: compress (the default run-length level 9), base64url, sign the token.
pub fn publish(
    list: &StatusList,
    signer: &SoftwareSigner,
    uri: &str,
    iat: UnixTime,
) -> Result<String, StatusListError> {
    let claims = StatusListTokenClaims {
        sub: uri.into(),
        iat,
        exp: Some(iat.saturating_add(86_400)),
        ttl: Some(3_600),
        iss: None,
        aggregation_uri: None,
    };
    sign_status_list_token(list, &claims, Compression::RUN_LENGTH, signer)
}

/// Fetching: verify the token's signature and inflate the list (what a verifier caches).
pub fn fetch(
    token: &str,
    signer: &SoftwareSigner,
    uri: &str,
    now: UnixTime,
) -> Result<usize, StatusListError> {
    let verified = verify_status_list_token(
        token,
        &kakehashi_crypto_aws_lc::provider(),
        signer.public_jwk(),
        uri,
        &VerifyOptions::at(now),
    )?;
    Ok(verified.list().as_bytes().len())
}

/// Inflating alone, under the default cap.
pub fn inflate(compressed: &[u8]) -> Result<StatusList, StatusListError> {
    StatusList::decompress(
        Bits::One,
        compressed,
        DecodeLimits::DEFAULT.max_decompressed_bytes,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use kakehashi_crypto::SignatureAlgorithm;

    #[test]
    fn publish_fetch_round_trip() {
        let list = revoked_list(100_000).unwrap();
        let set = (0..100_000).filter(|i| list.get(*i).unwrap() == 1).count();
        assert!((900..=1_000).contains(&set), "{set}");
        let signer = SoftwareSigner::generate(SignatureAlgorithm::Es256).unwrap();
        let now = UnixTime(1_800_000_000);
        let token = publish(&list, &signer, "https://s.example/1", now).unwrap();
        assert_eq!(
            fetch(&token, &signer, "https://s.example/1", now).unwrap(),
            12_500
        );
        let other = SoftwareSigner::generate(SignatureAlgorithm::Es256).unwrap();
        assert!(fetch(&token, &other, "https://s.example/1", now).is_err());
        let inflated = inflate(&list.compress(Compression::RUN_LENGTH).unwrap()).unwrap();
        assert_eq!(inflated.as_bytes(), list.as_bytes());
    }
}
