//! The pipeline over credentials issued here with the trust crate's test PKI: each test
//! breaks one thing and checks that the matching check, and only it, refuses.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a test failure

use kakehashi_academic::recognition::Reader;
use kakehashi_core::UnixTime;
use kakehashi_crypto::{CryptoProvider, Signer};
use kakehashi_trust::{RecognitionPolicy, VerifiedTrustedList};
use kakehashi_verify::testing::{self, EU_UNIVERSITY, NOW};
use kakehashi_verify::{
    FORMAT_JWT_VC_JSON, FORMAT_SD_JWT_VC, Fetched, Presented, Rejection, Verdict, VerifierContext,
    VerifyError, plan, verify_presentation,
};

const CLIENT_ID: &str = "x509_san_dns:verifier.example";
const NONCE: &str = "n-0S6_WzA2Mj-session-nonce";
const STATUS_URI: &str = "https://leuven.example/status/1";
const W3C_URI: &str = "https://kakehashi-u.example/status/w3c/1";

struct World {
    provider: CryptoProvider,
    policy: RecognitionPolicy,
    lists: Vec<VerifiedTrustedList>,
    register: Vec<String>,
}

impl World {
    fn eu() -> Self {
        let policy = testing::eu_policy();
        let lists = testing::lists(&policy, NOW);
        Self {
            provider: kakehashi_crypto_aws_lc::provider(),
            policy,
            lists,
            register: vec![EU_UNIVERSITY.to_owned()],
        }
    }

    fn ctx(&self, now: UnixTime) -> VerifierContext<'_> {
        VerifierContext {
            provider: &self.provider,
            nonce: NONCE,
            client_id: CLIENT_ID,
            now,
            max_presentation_age: 300,
            skew_seconds: 60,
            trusted_lists: &self.lists,
            list_grace_seconds: 0,
            policy: &self.policy,
            reader: Reader::Eu,
            overrides: None,
            type_metadata: None,
            eu_university_register: Some(&self.register),
            cache: None,
        }
    }

    fn run(
        &self,
        format: &str,
        presentation: &str,
        fetched: &Fetched,
    ) -> Result<Verdict, Rejection> {
        self.run_at(format, presentation, fetched, NOW)
    }

    fn run_at(
        &self,
        format: &str,
        presentation: &str,
        fetched: &Fetched,
        now: UnixTime,
    ) -> Result<Verdict, Rejection> {
        verify_presentation(
            Presented {
                format,
                presentation,
            },
            fetched,
            &self.ctx(now),
        )
    }
}

const ISSUED: UnixTime = UnixTime(NOW.0 - 86_400);

struct Eu {
    seal: kakehashi_crypto_aws_lc::SoftwareSigner,
    holder: kakehashi_crypto_aws_lc::SoftwareSigner,
    sd_jwt: kakehashi_sd_jwt::SdJwt,
}

fn eu_credential() -> Eu {
    let seal = testing::eu_seal();
    let holder = testing::holder();
    let sd_jwt = testing::issue_eu(
        &seal,
        &testing::eu_diploma(),
        holder.public_jwk(),
        STATUS_URI,
        7,
        ISSUED,
    );
    Eu {
        seal,
        holder,
        sd_jwt,
    }
}

const NAME: [&str; 2] = ["/family_name", "/given_name"];

fn fetched_token(seal: &dyn Signer, revoked: &[u64]) -> Fetched {
    let mut f = Fetched::default();
    f.status_lists.insert(
        STATUS_URI.into(),
        testing::status_token(seal, STATUS_URI, revoked, NOW.saturating_add(-60)).into_bytes(),
    );
    f
}

#[test]
fn sd_jwt_vc_valid_and_birth_date_withheld() {
    let world = World::eu();
    let eu = eu_credential();
    let vp = testing::present_eu(&eu.sd_jwt, &eu.holder, &NAME, CLIENT_ID, NONCE, NOW);
    let needs = plan(Presented {
        format: FORMAT_SD_JWT_VC,
        presentation: &vp,
    })
    .unwrap();
    assert_eq!(needs.status_urls, vec![STATUS_URI.to_owned()]);
    assert!(needs.issuer_chain_embedded);

    let verdict = world
        .run(FORMAT_SD_JWT_VC, &vp, &fetched_token(&eu.seal, &[]))
        .unwrap();
    let claims = verdict.disclosed_claims();
    assert_eq!(claims["family_name"]["en"], "Janssens");
    assert!(!claims.contains_key("birth_date"), "{claims:?}");
    assert!(!claims.contains_key("diploma_number"));
    assert!(!claims.contains_key("cnf"));
    let report = verdict.report();
    assert!(report.verified);
    assert_eq!(report.credential.status, "valid");
    assert!(report.authorisation.authorised);
    assert!(
        !report
            .credential
            .disclosed
            .iter()
            .any(|p| p.contains("birth_date")),
        "{:?}",
        report.credential.disclosed
    );
    assert_eq!(verdict.trust()["rule"], "eu-qualified-seal");
    let json = verdict.to_json();
    assert!(
        !json.to_string().contains("2000-01-15"),
        "birth date leaked"
    );
}

#[test]
fn tampered_disclosure_is_refused() {
    let world = World::eu();
    let eu = eu_credential();
    let vp = testing::present_eu(&eu.sd_jwt, &eu.holder, &NAME, CLIENT_ID, NONCE, NOW);
    // Replace the first disclosure by one for another name (same salt shape, other value).
    let mut parts: Vec<String> = vp.split('~').map(str::to_owned).collect();
    let forged =
        kakehashi_core::b64::encode(r#"["c2FsdHNhbHRzYWx0","family_name",{"en":"Mallory"}]"#);
    parts[1] = forged;
    let tampered = parts.join("~");
    let err = world
        .run(FORMAT_SD_JWT_VC, &tampered, &fetched_token(&eu.seal, &[]))
        .unwrap_err();
    // The KB-JWT's sd_hash covers the disclosures, the digest check catches the forgery:
    // either way the presentation is refused before anything is read from it.
    assert!(
        matches!(
            err.error,
            VerifyError::Disclosure(_) | VerifyError::HolderBinding(_)
        ),
        "{err:?}"
    );
    assert!(err.report.is_none());
}

#[test]
fn tampered_disclosure_rebound_by_the_holder_is_refused_by_the_digest_check() {
    // A dishonest holder edits a disclosure and signs a fresh KB-JWT over the result: the
    // KB-JWT is then valid, and only the issuer's digests catch the forgery.
    let world = World::eu();
    let eu = eu_credential();
    let provider = kakehashi_crypto_aws_lc::provider();
    let decoded = eu
        .sd_jwt
        .decode(&provider, kakehashi_sd_jwt::Limits::DEFAULT)
        .unwrap();
    let view = serde_json::Value::Object(decoded.claims().clone());
    let paths: Vec<_> = NAME
        .iter()
        .map(|p| kakehashi_sd_jwt::ClaimPath::from_pointer(p, &view).unwrap())
        .collect();
    let presented = eu
        .sd_jwt
        .present(
            &provider,
            &paths,
            kakehashi_sd_jwt::Selection::WithDescendants,
            kakehashi_sd_jwt::Limits::DEFAULT,
        )
        .unwrap()
        .to_compact();
    let mut parts: Vec<String> = presented.split('~').map(str::to_owned).collect();
    parts[1] =
        kakehashi_core::b64::encode(r#"["c2FsdHNhbHRzYWx0","family_name",{"en":"Mallory"}]"#);
    let forged =
        kakehashi_sd_jwt::SdJwt::parse(&parts.join("~"), kakehashi_sd_jwt::Limits::DEFAULT)
            .unwrap()
            .bind(
                &provider,
                &eu.holder,
                &kakehashi_sd_jwt::KbJwtClaims {
                    audience: CLIENT_ID.into(),
                    nonce: NONCE.into(),
                    issued_at: NOW,
                },
                kakehashi_sd_jwt::Limits::DEFAULT,
            )
            .unwrap()
            .to_compact();
    let err = world
        .run(FORMAT_SD_JWT_VC, &forged, &fetched_token(&eu.seal, &[]))
        .unwrap_err();
    assert!(matches!(err.error, VerifyError::Disclosure(_)), "{err:?}");
    assert_eq!(err.error.check(), "disclosure");
}

#[test]
fn presentation_replayed_into_another_session_is_refused() {
    // The same presentation posted to a second session (new nonce) is bound to the first.
    let world = World::eu();
    let eu = eu_credential();
    let vp = testing::present_eu(&eu.sd_jwt, &eu.holder, &NAME, CLIENT_ID, NONCE, NOW);
    assert!(
        world
            .run(FORMAT_SD_JWT_VC, &vp, &fetched_token(&eu.seal, &[]))
            .is_ok()
    );
    let mut ctx = world.ctx(NOW);
    ctx.nonce = "second-session-nonce-0123";
    let err = verify_presentation(
        Presented {
            format: FORMAT_SD_JWT_VC,
            presentation: &vp,
        },
        &fetched_token(&eu.seal, &[]),
        &ctx,
    )
    .unwrap_err();
    assert_eq!(err.error, VerifyError::NonceMismatch);
}

#[test]
fn key_binding_for_another_verifier_is_refused() {
    let world = World::eu();
    let eu = eu_credential();
    let vp = testing::present_eu(
        &eu.sd_jwt,
        &eu.holder,
        &NAME,
        "x509_san_dns:evil.example",
        NONCE,
        NOW,
    );
    let err = world
        .run(FORMAT_SD_JWT_VC, &vp, &fetched_token(&eu.seal, &[]))
        .unwrap_err();
    assert!(
        matches!(err.error, VerifyError::AudienceMismatch { .. }),
        "{err:?}"
    );
    assert_eq!(err.error.check(), "audience");
}

#[test]
fn wrong_nonce_is_refused() {
    let world = World::eu();
    let eu = eu_credential();
    let vp = testing::present_eu(
        &eu.sd_jwt,
        &eu.holder,
        &NAME,
        CLIENT_ID,
        "another-nonce-0123456",
        NOW,
    );
    let err = world
        .run(FORMAT_SD_JWT_VC, &vp, &fetched_token(&eu.seal, &[]))
        .unwrap_err();
    assert_eq!(err.error, VerifyError::NonceMismatch);
}

#[test]
fn old_key_binding_is_refused() {
    let world = World::eu();
    let eu = eu_credential();
    let vp = testing::present_eu(
        &eu.sd_jwt,
        &eu.holder,
        &NAME,
        CLIENT_ID,
        NONCE,
        NOW.saturating_add(-3600),
    );
    let err = world
        .run(FORMAT_SD_JWT_VC, &vp, &fetched_token(&eu.seal, &[]))
        .unwrap_err();
    assert!(
        matches!(err.error, VerifyError::HolderBinding(_)),
        "{err:?}"
    );
}

#[test]
fn revoked_credential_fails_with_a_report() {
    let world = World::eu();
    let eu = eu_credential();
    let vp = testing::present_eu(&eu.sd_jwt, &eu.holder, &NAME, CLIENT_ID, NONCE, NOW);
    let err = world
        .run(FORMAT_SD_JWT_VC, &vp, &fetched_token(&eu.seal, &[7]))
        .unwrap_err();
    assert!(matches!(err.error, VerifyError::Revoked { .. }), "{err:?}");
    let report = err.report.expect("report of the revoked credential");
    assert!(!report.verified);
    assert_eq!(report.credential.status, "revoked");
    // The other checks still ran.
    assert!(report.trust.trusted);
}

#[test]
fn missing_status_list_fails_closed() {
    let world = World::eu();
    let eu = eu_credential();
    let vp = testing::present_eu(&eu.sd_jwt, &eu.holder, &NAME, CLIENT_ID, NONCE, NOW);
    let err = world
        .run(FORMAT_SD_JWT_VC, &vp, &Fetched::default())
        .unwrap_err();
    assert!(
        matches!(err.error, VerifyError::StatusListMissing { .. }),
        "{err:?}"
    );
}

#[test]
fn status_list_signed_by_someone_else_is_refused() {
    let world = World::eu();
    let eu = eu_credential();
    let vp = testing::present_eu(&eu.sd_jwt, &eu.holder, &NAME, CLIENT_ID, NONCE, NOW);
    let err = world
        .run(
            FORMAT_SD_JWT_VC,
            &vp,
            &fetched_token(&testing::holder(), &[]),
        )
        .unwrap_err();
    assert!(
        matches!(err.error, VerifyError::StatusList { .. }),
        "{err:?}"
    );
}

/// The issuer rotated its seal key after issuing: the list is signed by the new key, whose
/// certificate (in the list's `x5c`) the same listed CA issued to the same organisation.
#[test]
fn status_list_signed_by_the_issuers_rotated_key_is_accepted() {
    let world = World::eu();
    let eu = eu_credential();
    let vp = testing::present_eu(&eu.sd_jwt, &eu.holder, &NAME, CLIENT_ID, NONCE, NOW);
    let fresh = kakehashi_crypto_aws_lc::SoftwareSigner::generate(
        kakehashi_crypto::SignatureAlgorithm::Es256,
    )
    .unwrap();
    let chain = kakehashi_testpki::node::certify_seal(
        std::path::Path::new(testing::fixtures_dir()),
        kakehashi_testpki::node::SealSide::Eu,
        &fresh.to_pkcs8().unwrap(),
    )
    .unwrap();
    let rotated = fresh.with_certificate_chain(chain).with_kid("eu-seal-2");
    let verdict = world
        .run(FORMAT_SD_JWT_VC, &vp, &fetched_token(&rotated, &[]))
        .unwrap();
    assert_eq!(verdict.report().credential.status, "valid");
    // Revocations on the rotated key's list still count.
    let err = world
        .run(FORMAT_SD_JWT_VC, &vp, &fetched_token(&rotated, &[7]))
        .unwrap_err();
    assert!(matches!(err.error, VerifyError::Revoked { .. }), "{err:?}");
}

/// A trusted seal of another organisation cannot speak for this credential's status.
#[test]
fn status_list_sealed_by_another_trusted_organisation_is_refused() {
    let world = World::eu();
    let eu = eu_credential();
    let vp = testing::present_eu(&eu.sd_jwt, &eu.holder, &NAME, CLIENT_ID, NONCE, NOW);
    let err = world
        .run(
            FORMAT_SD_JWT_VC,
            &vp,
            &fetched_token(&testing::jp_seal(), &[]),
        )
        .unwrap_err();
    match &err.error {
        VerifyError::StatusList { reason, .. } => {
            assert!(
                reason.contains("NTRJP-") && reason.contains("VATBE-"),
                "{reason}"
            )
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn issuer_chain_in_no_list_is_untrusted() {
    let world = World::eu();
    let seal = testing::unlisted_seal();
    let holder = testing::holder();
    let sd = testing::issue_eu(
        &seal,
        &testing::eu_diploma(),
        holder.public_jwk(),
        STATUS_URI,
        7,
        ISSUED,
    );
    let vp = testing::present_eu(&sd, &holder, &NAME, CLIENT_ID, NONCE, NOW);
    let err = world
        .run(FORMAT_SD_JWT_VC, &vp, &fetched_token(&seal, &[]))
        .unwrap_err();
    assert!(matches!(err.error, VerifyError::Untrusted(_)), "{err:?}");
    let report = err.report.unwrap();
    assert!(!report.trust.trusted);
    assert!(!report.verified);
}

#[test]
fn stale_trusted_list_fails_closed() {
    let world = World::eu();
    let eu = eu_credential();
    // 2027-06-01: past the lists' NextUpdate of 2027-05-01.
    let later = UnixTime(1_811_808_000);
    let vp = testing::present_eu(&eu.sd_jwt, &eu.holder, &NAME, CLIENT_ID, NONCE, later);
    let mut fetched = Fetched::default();
    fetched.status_lists.insert(
        STATUS_URI.into(),
        testing::status_token(&eu.seal, STATUS_URI, &[], later.saturating_add(-60)).into_bytes(),
    );
    let err = world
        .run_at(FORMAT_SD_JWT_VC, &vp, &fetched, later)
        .unwrap_err();
    match &err.error {
        VerifyError::StaleTrustedList { next_update, .. } => {
            assert_eq!(next_update.to_rfc3339(), "2027-05-01T00:00:00Z")
        }
        other => panic!("{other:?}"),
    }
    assert!(err.report.unwrap().trust.explanation[0].contains("stale"));
}

#[test]
fn eu_university_not_on_the_register_is_not_authorised() {
    let mut world = World::eu();
    world.register.clear();
    let eu = eu_credential();
    let vp = testing::present_eu(&eu.sd_jwt, &eu.holder, &NAME, CLIENT_ID, NONCE, NOW);
    let err = world
        .run(FORMAT_SD_JWT_VC, &vp, &fetched_token(&eu.seal, &[]))
        .unwrap_err();
    assert!(
        matches!(err.error, VerifyError::NotAuthorised(_)),
        "{err:?}"
    );
    let report = err.report.unwrap();
    assert!(report.trust.trusted);
    assert!(!report.authorisation.authorised);
}

#[test]
fn type_metadata_rules_apply() {
    let world = World::eu();
    let eu = eu_credential();
    let vp = testing::present_eu(&eu.sd_jwt, &eu.holder, &NAME, CLIENT_ID, NONCE, NOW);
    let doc = serde_json::to_vec(&kakehashi_academic::profiles::eu_type_metadata()).unwrap();
    let metadata = kakehashi_sd_jwt::type_metadata::ResolvedTypeMetadata::merge(vec![
        kakehashi_sd_jwt::type_metadata::TypeMetadata::parse(
            &doc,
            kakehashi_core::JsonLimits::DEFAULT,
        )
        .unwrap(),
    ])
    .unwrap();
    let mut ctx = world.ctx(NOW);
    ctx.type_metadata = Some(&metadata);
    let verdict = verify_presentation(
        Presented {
            format: FORMAT_SD_JWT_VC,
            presentation: &vp,
        },
        &fetched_token(&eu.seal, &[]),
        &ctx,
    );
    assert!(verdict.is_ok(), "{verdict:?}");
}

mod jwt_vc_json {
    use super::*;

    fn jp_presentation(revoked: &[u64], audience: &str, nonce: &str) -> (String, Fetched) {
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
        let vp = testing::present_jp(&vc, &holder, audience, nonce, NOW);
        let mut fetched = Fetched::default();
        fetched.status_lists.insert(
            W3C_URI.into(),
            testing::w3c_status_list(&seal, W3C_URI, revoked, NOW).into_bytes(),
        );
        (vp, fetched)
    }

    #[test]
    fn valid_with_authorised_university() {
        let world = World::eu();
        let (vp, fetched) = jp_presentation(&[], CLIENT_ID, NONCE);
        let needs = plan(Presented {
            format: FORMAT_JWT_VC_JSON,
            presentation: &vp,
        })
        .unwrap();
        assert_eq!(needs.status_urls, vec![W3C_URI.to_owned()]);
        let verdict = world.run(FORMAT_JWT_VC_JSON, &vp, &fetched).unwrap();
        let report = verdict.report();
        assert!(report.verified, "{report:?}");
        assert_eq!(
            report.authorisation.register,
            "JPlist authorised universities"
        );
        assert_eq!(verdict.trust()["recognition"], "pilot-recognised");
    }

    #[test]
    fn revoked() {
        let world = World::eu();
        let (vp, fetched) = jp_presentation(&[42], CLIENT_ID, NONCE);
        let err = world.run(FORMAT_JWT_VC_JSON, &vp, &fetched).unwrap_err();
        assert!(matches!(err.error, VerifyError::Revoked { .. }), "{err:?}");
        assert_eq!(err.report.unwrap().credential.status, "revoked");
    }

    #[test]
    fn other_verifier_and_wrong_nonce() {
        let world = World::eu();
        let (vp, fetched) = jp_presentation(&[], "x509_san_dns:evil.example", NONCE);
        let err = world.run(FORMAT_JWT_VC_JSON, &vp, &fetched).unwrap_err();
        assert!(
            matches!(err.error, VerifyError::AudienceMismatch { .. }),
            "{err:?}"
        );
        let (vp, fetched) = jp_presentation(&[], CLIENT_ID, "another-nonce-0123456");
        let err = world.run(FORMAT_JWT_VC_JSON, &vp, &fetched).unwrap_err();
        assert_eq!(err.error, VerifyError::NonceMismatch);
    }

    #[test]
    fn presentation_by_another_key_is_refused() {
        let world = World::eu();
        let seal = testing::jp_seal();
        let holder = testing::holder();
        let thief = testing::holder();
        let vc = testing::issue_jp(
            &seal,
            &testing::jp_diploma(),
            holder.public_jwk(),
            W3C_URI,
            42,
            ISSUED,
        );
        let vp = testing::present_jp(&vc, &thief, CLIENT_ID, NONCE, NOW);
        let mut fetched = Fetched::default();
        fetched.status_lists.insert(
            W3C_URI.into(),
            testing::w3c_status_list(&seal, W3C_URI, &[], NOW).into_bytes(),
        );
        let err = world.run(FORMAT_JWT_VC_JSON, &vp, &fetched).unwrap_err();
        assert!(
            matches!(err.error, VerifyError::HolderBinding(_)),
            "{err:?}"
        );
    }
}

#[test]
fn credential_without_status_fails_closed() {
    let world = World::eu();
    let seal = testing::eu_seal();
    let holder = testing::holder();
    let sd = testing::issue_eu_with_status(
        &seal,
        &testing::eu_diploma(),
        holder.public_jwk(),
        None,
        ISSUED,
    );
    let vp = testing::present_eu(&sd, &holder, &NAME, CLIENT_ID, NONCE, NOW);
    let err = world
        .run(FORMAT_SD_JWT_VC, &vp, &Fetched::default())
        .unwrap_err();
    assert_eq!(err.error, VerifyError::NoStatus);
    assert_eq!(err.report.unwrap().credential.status, "unknown");
}

#[test]
fn unknown_format_and_garbage() {
    let world = World::eu();
    let err = world
        .run("mso_mdoc", "abc", &Fetched::default())
        .unwrap_err();
    assert!(matches!(err.error, VerifyError::UnsupportedFormat(_)));
    let err = world
        .run(FORMAT_SD_JWT_VC, "not~an~sd-jwt", &Fetched::default())
        .unwrap_err();
    assert!(matches!(err.error, VerifyError::Malformed(_)), "{err:?}");
}
