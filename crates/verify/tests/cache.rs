//! The verification cache: with a cache, every presentation gets exactly the verdict or the
//! rejection it gets without one, whatever the cache holds from earlier presentations.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a test failure

use kakehashi_academic::recognition::Reader;
use kakehashi_core::UnixTime;
use kakehashi_crypto::{CryptoProvider, Signer};
use kakehashi_trust::{RecognitionPolicy, VerifiedTrustedList};
use kakehashi_verify::testing::{self, EU_UNIVERSITY, NOW};
use kakehashi_verify::{
    FORMAT_JWT_VC_JSON, FORMAT_SD_JWT_VC, Fetched, Presented, Rejection, Verdict,
    VerificationCache, VerifierContext, VerifyError, verify_presentation,
};

const CLIENT_ID: &str = "x509_san_dns:verifier.example";
const NONCE: &str = "n-0S6_WzA2Mj-session-nonce";
const STATUS_URI: &str = "https://leuven.example/status/1";
const W3C_URI: &str = "https://kakehashi-u.example/status/w3c/1";
const ISSUED: UnixTime = UnixTime(NOW.0 - 86_400);
const NAME: [&str; 2] = ["/family_name", "/given_name"];

struct World {
    provider: CryptoProvider,
    policy: RecognitionPolicy,
    lists: Vec<VerifiedTrustedList>,
    register: Vec<String>,
}

impl World {
    fn new(policy: RecognitionPolicy) -> Self {
        let lists = testing::lists(&policy, NOW);
        Self {
            provider: kakehashi_crypto_aws_lc::provider(),
            policy,
            lists,
            register: vec![EU_UNIVERSITY.to_owned()],
        }
    }

    fn run(
        &self,
        format: &str,
        presentation: &str,
        fetched: &Fetched,
        now: UnixTime,
        lists: &[VerifiedTrustedList],
        cache: Option<&VerificationCache>,
    ) -> Result<Verdict, Rejection> {
        let ctx = VerifierContext {
            provider: &self.provider,
            nonce: NONCE,
            client_id: CLIENT_ID,
            now,
            max_presentation_age: 300,
            skew_seconds: 60,
            trusted_lists: lists,
            list_grace_seconds: 0,
            policy: &self.policy,
            reader: Reader::Eu,
            overrides: None,
            type_metadata: None,
            eu_university_register: Some(&self.register),
            cache,
        };
        verify_presentation(
            Presented {
                format,
                presentation,
            },
            fetched,
            &ctx,
        )
    }

    /// Runs uncached, then twice with `cache` (the second time warm), and checks the three
    /// outcomes are identical; returns the outcome.
    fn same(
        &self,
        format: &str,
        presentation: &str,
        fetched: &Fetched,
        now: UnixTime,
        cache: &VerificationCache,
    ) -> Result<Verdict, Rejection> {
        self.same_with(format, presentation, fetched, now, &self.lists, cache)
    }

    fn same_with(
        &self,
        format: &str,
        presentation: &str,
        fetched: &Fetched,
        now: UnixTime,
        lists: &[VerifiedTrustedList],
        cache: &VerificationCache,
    ) -> Result<Verdict, Rejection> {
        let plain = self.run(format, presentation, fetched, now, lists, None);
        for round in ["cold", "warm"] {
            let cached = self.run(format, presentation, fetched, now, lists, Some(cache));
            assert_eq!(cached, plain, "{round} cache differs from no cache");
        }
        plain
    }
}

fn eu_presentation(seal: &dyn Signer, iat: UnixTime, at: UnixTime) -> String {
    let holder = testing::holder();
    let sd = testing::issue_eu(
        seal,
        &testing::eu_diploma(),
        holder.public_jwk(),
        STATUS_URI,
        7,
        iat,
    );
    testing::present_eu(&sd, &holder, &NAME, CLIENT_ID, NONCE, at)
}

fn token(seal: &dyn Signer, revoked: &[u64], iat: UnixTime) -> Fetched {
    let mut f = Fetched::default();
    f.status_lists.insert(
        STATUS_URI.into(),
        testing::status_token(seal, STATUS_URI, revoked, iat).into_bytes(),
    );
    f
}

#[test]
fn cached_verdicts_and_rejections_equal_the_uncached_ones() {
    let world = World::new(testing::eu_policy());
    let cache = VerificationCache::default();
    let seal = testing::eu_seal();
    let vp = eu_presentation(&seal, ISSUED, NOW);
    let valid = token(&seal, &[], NOW.saturating_add(-60));

    let verdict = world
        .same(FORMAT_SD_JWT_VC, &vp, &valid, NOW, &cache)
        .unwrap();
    assert_eq!(verdict.trust()["rule"], "eu-qualified-seal");
    assert_eq!(
        cache.len(),
        (1, 1),
        "one status list and one chain memoised"
    );

    // Other presentations of the same issuer reuse the entries and still get their own
    // verdicts: revoked, unknown status list, a list signed by a stranger, an unlisted chain.
    let revoked = token(&seal, &[7], NOW.saturating_add(-60));
    let err = world
        .same(FORMAT_SD_JWT_VC, &vp, &revoked, NOW, &cache)
        .unwrap_err();
    assert!(matches!(err.error, VerifyError::Revoked { .. }), "{err:?}");
    let err = world
        .same(FORMAT_SD_JWT_VC, &vp, &Fetched::default(), NOW, &cache)
        .unwrap_err();
    assert!(matches!(err.error, VerifyError::StatusListMissing { .. }));
    let stranger = testing::holder();
    let err = world
        .same(
            FORMAT_SD_JWT_VC,
            &vp,
            &token(&stranger, &[], NOW.saturating_add(-60)),
            NOW,
            &cache,
        )
        .unwrap_err();
    assert!(
        matches!(err.error, VerifyError::StatusList { .. }),
        "{err:?}"
    );
    let unlisted = testing::unlisted_seal();
    let err = world
        .same(
            FORMAT_SD_JWT_VC,
            &eu_presentation(&unlisted, ISSUED, NOW),
            &token(&unlisted, &[], NOW.saturating_add(-60)),
            NOW,
            &cache,
        )
        .unwrap_err();
    assert!(matches!(err.error, VerifyError::Untrusted(_)), "{err:?}");
}

#[test]
fn a_new_token_revoking_the_credential_is_honoured_at_once() {
    let world = World::new(testing::eu_policy());
    let cache = VerificationCache::default();
    let seal = testing::eu_seal();
    let vp = eu_presentation(&seal, ISSUED, NOW);
    world
        .run(
            FORMAT_SD_JWT_VC,
            &vp,
            &token(&seal, &[], NOW.saturating_add(-120)),
            NOW,
            &world.lists,
            Some(&cache),
        )
        .unwrap();
    let err = world
        .run(
            FORMAT_SD_JWT_VC,
            &vp,
            &token(&seal, &[7], NOW.saturating_add(-60)),
            NOW,
            &world.lists,
            Some(&cache),
        )
        .unwrap_err();
    assert!(matches!(err.error, VerifyError::Revoked { .. }), "{err:?}");
    assert_eq!(err.report.unwrap().credential.status, "revoked");
}

#[test]
fn a_cached_token_past_its_exp_is_refused() {
    let world = World::new(testing::eu_policy());
    let cache = VerificationCache::default();
    let seal = testing::eu_seal();
    // The token's exp is iat + 1 day.
    let fetched = token(&seal, &[], NOW.saturating_add(-60));
    world
        .same(
            FORMAT_SD_JWT_VC,
            &eu_presentation(&seal, ISSUED, NOW),
            &fetched,
            NOW,
            &cache,
        )
        .unwrap();
    let later = NOW.saturating_add(2 * 86_400);
    let vp = eu_presentation(&seal, ISSUED, later);
    let err = world
        .run(
            FORMAT_SD_JWT_VC,
            &vp,
            &fetched,
            later,
            &world.lists,
            Some(&cache),
        )
        .unwrap_err();
    match &err.error {
        VerifyError::StatusList { reason, .. } => assert!(reason.contains("expired"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        Err(err),
        world.run(FORMAT_SD_JWT_VC, &vp, &fetched, later, &world.lists, None)
    );
    // And a token issued in the future of an earlier verification is not yet valid then.
    let earlier = NOW.saturating_add(-3_600);
    let vp = eu_presentation(&seal, ISSUED, earlier);
    let err = world
        .same(FORMAT_SD_JWT_VC, &vp, &fetched, earlier, &cache)
        .unwrap_err();
    assert!(
        matches!(err.error, VerifyError::StatusList { .. }),
        "{err:?}"
    );
}

#[test]
fn a_cached_chain_is_refused_outside_its_certificates_validity() {
    let world = World::new(testing::eu_policy());
    let cache = VerificationCache::default();
    let seal = testing::eu_seal();
    let fetched = token(&seal, &[], NOW.saturating_add(-60));
    world
        .same(
            FORMAT_SD_JWT_VC,
            &eu_presentation(&seal, ISSUED, NOW),
            &fetched,
            NOW,
            &cache,
        )
        .unwrap();
    // Sealed (iat) in June 2018: before the seal certificate's notBefore (2019-01-01), so the
    // chain evaluated at iat fails, cached validation or not.
    let before = UnixTime(1_527_811_200);
    let err = world
        .same(
            FORMAT_SD_JWT_VC,
            &eu_presentation(&seal, before, NOW),
            &fetched,
            NOW,
            &cache,
        )
        .unwrap_err();
    match &err.error {
        VerifyError::Untrusted(reason) => assert!(reason.contains("NotValidYet"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn chain_validation_holds_only_in_its_window_and_for_its_lists() {
    let world = World::new(testing::eu_policy());
    let chain = testing::eu_seal().certificate_chain().to_vec();
    let validation = kakehashi_trust::validate_chain(&chain, &world.lists, ISSUED).unwrap();
    let (from, until) = validation.stable_window();
    assert!(from <= ISSUED && ISSUED <= until);
    // The leaf is valid 2019-01-01 to 2035-01-01: the window lies inside it.
    assert!(from >= UnixTime(1_546_300_800), "{from}");
    assert!(until <= UnixTime(2_051_222_400), "{until}");
    assert!(kakehashi_trust::decide(&validation, &world.lists, &world.policy, ISSUED).is_ok());
    assert_eq!(
        kakehashi_trust::decide(&validation, &world.lists, &world.policy, ISSUED).unwrap(),
        kakehashi_trust::evaluate(&chain, &world.lists, &world.policy, ISSUED).unwrap()
    );
    assert!(
        kakehashi_trust::decide(
            &validation,
            &world.lists,
            &world.policy,
            until.saturating_add(1)
        )
        .is_err()
    );
    let fewer: Vec<VerifiedTrustedList> = world.lists[..world.lists.len() - 1].to_vec();
    assert!(kakehashi_trust::decide(&validation, &fewer, &world.policy, ISSUED).is_err());
}

#[test]
fn a_new_list_snapshot_does_not_reuse_the_old_ones_entries() {
    let world = World::new(testing::eu_policy());
    let cache = VerificationCache::default();
    let seal = testing::eu_seal();
    let vp = eu_presentation(&seal, ISSUED, NOW);
    let fetched = token(&seal, &[], NOW.saturating_add(-60));
    world
        .same(FORMAT_SD_JWT_VC, &vp, &fetched, NOW, &cache)
        .unwrap();
    // Reloaded without the Belgian list (its QTSP withdrawn from the snapshot): the chain
    // memoised against the old snapshot must not vouch for the seal.
    let without_be: Vec<VerifiedTrustedList> = world
        .lists
        .iter()
        .filter(|l| l.territory() != "BE")
        .cloned()
        .collect();
    assert!(without_be.len() < world.lists.len());
    let err = world
        .same_with(FORMAT_SD_JWT_VC, &vp, &fetched, NOW, &without_be, &cache)
        .unwrap_err();
    assert!(matches!(err.error, VerifyError::Untrusted(_)), "{err:?}");
    // The same content loaded again (another verification time) is the same snapshot.
    let reloaded = testing::lists(&world.policy, NOW.saturating_add(60));
    assert_eq!(
        kakehashi_trust::snapshot_fingerprint(&reloaded),
        kakehashi_trust::snapshot_fingerprint(&world.lists)
    );
    assert_ne!(
        kakehashi_trust::snapshot_fingerprint(&without_be),
        kakehashi_trust::snapshot_fingerprint(&world.lists)
    );
}

#[test]
fn a_tampered_token_at_the_same_url_is_not_served_from_the_cache() {
    let world = World::new(testing::eu_policy());
    let cache = VerificationCache::default();
    let seal = testing::eu_seal();
    let vp = eu_presentation(&seal, ISSUED, NOW);
    let fetched = token(&seal, &[], NOW.saturating_add(-60));
    world
        .same(FORMAT_SD_JWT_VC, &vp, &fetched, NOW, &cache)
        .unwrap();
    // Flip one character of the signature.
    let mut text = String::from_utf8(fetched.status_lists[STATUS_URI].clone()).unwrap();
    let last = text.pop().unwrap();
    text.push(if last == 'A' { 'B' } else { 'A' });
    let mut tampered = Fetched::default();
    tampered
        .status_lists
        .insert(STATUS_URI.into(), text.into_bytes());
    let err = world
        .same(FORMAT_SD_JWT_VC, &vp, &tampered, NOW, &cache)
        .unwrap_err();
    assert!(
        matches!(err.error, VerifyError::StatusList { .. }),
        "{err:?}"
    );
}

#[test]
fn bitstring_status_lists_through_the_cache() {
    let world = World::new(testing::eu_policy());
    let cache = VerificationCache::default();
    let seal = testing::jp_seal();
    let holder = testing::holder();
    let vc = testing::issue_jp(
        &seal,
        &testing::jp_diploma(),
        holder.public_jwk(),
        W3C_URI,
        42,
        ISSUED,
    );
    let list = |revoked: &[u64]| {
        let mut f = Fetched::default();
        f.status_lists.insert(
            W3C_URI.into(),
            testing::w3c_status_list(&seal, W3C_URI, revoked, NOW).into_bytes(),
        );
        f
    };
    let valid = list(&[]);
    let vp = testing::present_jp(&vc, &holder, CLIENT_ID, NONCE, NOW);
    let verdict = world
        .same(FORMAT_JWT_VC_JSON, &vp, &valid, NOW, &cache)
        .unwrap();
    assert!(verdict.report().verified);
    assert_eq!(cache.len(), (1, 1));
    // A new list revoking it.
    let err = world
        .same(FORMAT_JWT_VC_JSON, &vp, &list(&[42]), NOW, &cache)
        .unwrap_err();
    assert!(matches!(err.error, VerifyError::Revoked { .. }), "{err:?}");
    // The memoised list past its validUntil (now + 1 day) is refused.
    let later = NOW.saturating_add(2 * 86_400);
    let vp = testing::present_jp(&vc, &holder, CLIENT_ID, NONCE, later);
    let err = world
        .same(FORMAT_JWT_VC_JSON, &vp, &valid, later, &cache)
        .unwrap_err();
    match &err.error {
        VerifyError::StatusList { reason, .. } => assert!(reason.contains("expired"), "{reason}"),
        other => panic!("{other:?}"),
    }
    // A list the issuer published a second after the verifier took its time (lists are
    // published on demand): within the tolerated skew, cached or not.
    let just_published = {
        let mut f = Fetched::default();
        f.status_lists.insert(
            W3C_URI.into(),
            testing::w3c_status_list(&seal, W3C_URI, &[], NOW.saturating_add(3_601)).into_bytes(),
        );
        f
    };
    let vp_now = testing::present_jp(&vc, &holder, CLIENT_ID, NONCE, NOW);
    let verdict = world
        .same(FORMAT_JWT_VC_JSON, &vp_now, &just_published, NOW, &cache)
        .unwrap();
    assert!(verdict.report().verified);
    // Before its validFrom (now - 1 hour) too.
    let earlier = NOW.saturating_add(-2 * 3_600);
    let vp = testing::present_jp(&vc, &holder, CLIENT_ID, NONCE, earlier);
    let err = world
        .same(FORMAT_JWT_VC_JSON, &vp, &valid, earlier, &cache)
        .unwrap_err();
    assert!(
        matches!(err.error, VerifyError::StatusList { .. }),
        "{err:?}"
    );
}

#[test]
fn the_cache_stays_bounded() {
    let world = World::new(testing::eu_policy());
    let cache = VerificationCache::new(2);
    let seal = testing::eu_seal();
    let vp = eu_presentation(&seal, ISSUED, NOW);
    for i in 0..5 {
        let fetched = token(&seal, &[], NOW.saturating_add(-60 - i));
        world
            .same(FORMAT_SD_JWT_VC, &vp, &fetched, NOW, &cache)
            .unwrap();
        assert!(cache.len().0 <= 2, "{:?}", cache.len());
    }
    cache.clear();
    assert!(cache.is_empty());
}
