//! The subjects of the side-by-side benchmark (issue 7), built once and shared by the runner
//! (`src/main.rs`, driven by `scripts/bench`), the criterion bench and the tests that prove
//! each subject really verifies (a benchmark of a verifier that accepts anything measures
//! nothing).
//!
//! One presentation is the input of every verifier: a 10-Disclosure SD-JWT VC (the EU diploma
//! profile, sealed with the trust crate's test university seal, `x5c` chain, Token Status List
//! entry) with a KB-JWT, all Disclosures presented.

#![allow(clippy::expect_used)] // fixtures are committed and known good: a panic is a broken bench

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _,
    UnparsedPublicKey,
};
use kakehashi_academic::recognition::Reader;
use kakehashi_core::{UnixTime, b64};
use kakehashi_crypto::{CryptoProvider, PublicJwk, Signer as _};
use kakehashi_crypto_aws_lc::SoftwareSigner;
use kakehashi_sd_jwt::{
    ClaimPath, IssuerKey, KeyBinding, Limits, SdJwt, SdJwtBuilder, SdJwtError, VcVerifyOptions,
    VerifiedSdJwtVc, VerifyOptions, verify_sd_jwt_vc_text,
};
use kakehashi_status_list::StatusListReference;
use kakehashi_trust::{RecognitionPolicy, VerifiedTrustedList};
use kakehashi_verify::testing::{self, EU_ISSUER, EU_UNIVERSITY, NOW};
use kakehashi_verify::{
    FORMAT_SD_JWT_VC, Fetched, Presented, Rejection, Verdict, VerificationCache, VerifierContext,
    plan, verify_presentation,
};
use serde_json::{Map, Value};

pub mod status;
pub mod timing;
pub mod trusted_lists;

/// The verifier's `client_id` (the KB-JWT `aud`).
pub const CLIENT_ID: &str = "x509_san_dns:verifier.example";
/// The session nonce.
pub const NONCE: &str = "n-0S6_WzA2Mj-bench-nonce";
/// Where the credential's status list lives (served from the verifier's cache in the bench).
pub const STATUS_URI: &str = "https://leuven.example/status/1";
/// The credential's index in it (valid).
pub const STATUS_INDEX: u64 = 7;

/// Top-level claims concealed, plus two nested ones: 10 Disclosures.
const CONCEALED: [&str; 10] = [
    "/family_name",
    "/given_name",
    "/birth_date",
    "/awarding_body",
    "/qualification",
    "/qualification/eqf_level",
    "/qualification/isced_field",
    "/award_date",
    "/diploma_number",
    "/thesis_title",
];
/// What the holder presents (with descendants: every Disclosure).
const PRESENTED: [&str; 8] = [
    "/family_name",
    "/given_name",
    "/birth_date",
    "/awarding_body",
    "/qualification",
    "/award_date",
    "/diploma_number",
    "/thesis_title",
];

/// The verifier's world (trusted lists verified once, status list fetched once) and the
/// issuer's seal, with one presentation.
pub struct Scenario {
    provider: CryptoProvider,
    seal: SoftwareSigner,
    holder: PublicJwk,
    claims: Map<String, Value>,
    policy: RecognitionPolicy,
    lists: Vec<VerifiedTrustedList>,
    register: Vec<String>,
    fetched: Fetched,
    presentation: String,
    cache: VerificationCache,
}

impl Scenario {
    /// Issues and presents a fresh credential (fresh holder key).
    pub fn new() -> Self {
        let holder = testing::holder();
        let mut scenario = Self::world(holder.public_jwk().clone());
        let issued = scenario.issue();
        scenario.presentation =
            testing::present_eu(&issued, &holder, &PRESENTED, CLIENT_ID, NONCE, NOW);
        scenario
    }

    /// The same world around a presentation written earlier (so that other processes verify
    /// the same bytes). The holder key is read back from its `cnf`.
    pub fn with_presentation(presentation: &str) -> Result<Self, String> {
        let sd = SdJwt::parse(presentation.trim(), Limits::DEFAULT).map_err(|e| e.to_string())?;
        let payload = sd
            .unverified_payload(Limits::DEFAULT.json)
            .map_err(|e| e.to_string())?;
        let holder = payload
            .get("cnf")
            .and_then(|c| c.get("jwk"))
            .ok_or("the presentation has no cnf.jwk")
            .and_then(|jwk| PublicJwk::from_json(jwk).map_err(|_| "bad cnf.jwk"))?;
        let mut scenario = Self::world(holder);
        scenario.presentation = presentation.trim().to_owned();
        Ok(scenario)
    }

    fn world(holder: PublicJwk) -> Self {
        let seal = testing::eu_seal();
        let policy = testing::eu_policy();
        let lists = testing::lists(&policy, NOW);
        let mut claims =
            kakehashi_academic::profiles::eu_claims(&testing::eu_diploma()).expect("claims");
        claims.remove("vct");
        claims.insert("iss".into(), EU_ISSUER.into());
        claims.insert("iat".into(), NOW.saturating_add(-86_400).seconds().into());
        claims.insert(
            "exp".into(),
            NOW.saturating_add(10 * 365 * 86_400).seconds().into(),
        );
        claims.insert(
            "status".into(),
            StatusListReference {
                idx: STATUS_INDEX,
                uri: STATUS_URI.into(),
            }
            .to_status_claim(),
        );
        let mut fetched = Fetched::default();
        fetched.status_lists.insert(
            STATUS_URI.into(),
            testing::status_token(&seal, STATUS_URI, &[3, 11], NOW.saturating_add(-60))
                .into_bytes(),
        );
        Self {
            provider: kakehashi_crypto_aws_lc::provider(),
            seal,
            holder,
            claims,
            policy,
            lists,
            register: vec![EU_UNIVERSITY.to_owned()],
            fetched,
            presentation: String::new(),
            cache: VerificationCache::default(),
        }
    }

    /// The same world on another crypto provider (e.g. one that counts signature checks).
    pub fn with_provider(mut self, provider: CryptoProvider) -> Self {
        self.provider = provider;
        self
    }

    /// The presentation every verifier is given.
    pub fn presentation(&self) -> &str {
        &self.presentation
    }

    /// The issuer's public key (the `x5c` leaf key), for verifiers told the key.
    pub fn issuer_key(&self) -> &PublicJwk {
        self.seal.public_jwk()
    }

    /// The holder's public key (`cnf.jwk`).
    pub fn holder_key(&self) -> &PublicJwk {
        &self.holder
    }

    /// The crypto provider Kakehashi runs on (aws-lc-rs).
    pub fn provider(&self) -> &CryptoProvider {
        &self.provider
    }

    /// Issues the 10-Disclosure SD-JWT VC, salts from the OS generator as the issuer does.
    pub fn issue(&self) -> SdJwt {
        let view = Value::Object(self.claims.clone());
        let chain: Vec<Value> = self
            .seal
            .certificate_chain()
            .iter()
            .map(|c| kakehashi_core::b64::encode_std(c).into())
            .collect();
        let mut builder = SdJwtBuilder::sd_jwt_vc(
            self.claims.clone(),
            kakehashi_academic::profiles::EU_DIPLOMA_VCT,
        )
        .holder_key(self.holder.clone())
        .header_member("x5c", Value::Array(chain))
        .salts_in_one_call(); // as crates/http-issuer does
        for pointer in CONCEALED {
            builder = builder.conceal(ClaimPath::from_pointer(pointer, &view).expect("path"));
        }
        let random = SystemRandom::new();
        builder
            .issue(&self.provider, &self.seal, &mut |buf: &mut [u8]| {
                random.fill(buf).expect("OS random")
            })
            .expect("issue")
    }

    fn context(&self) -> VerifierContext<'_> {
        VerifierContext {
            provider: &self.provider,
            nonce: NONCE,
            client_id: CLIENT_ID,
            now: NOW,
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

    /// The production pipeline: issuer signature (`x5c` leaf key), Disclosures, KB-JWT, status
    /// (the cached token is re-verified), `x5c` chain against the verified trusted lists,
    /// authorisation, academic mapping.
    pub fn pipeline(&self, presentation: &str) -> Result<Verdict, Rejection> {
        verify_presentation(
            Presented {
                format: FORMAT_SD_JWT_VC,
                presentation,
            },
            &self.fetched,
            &self.context(),
        )
    }

    /// The pipeline as the HTTP verifier runs it, with the verifier's cache: after the first
    /// call the status token's signature and inflation and the chain's path validation are
    /// memoised; the issuer signature, Disclosures, KB-JWT, the time rules, the service
    /// status and the policy still run on every call.
    pub fn pipeline_cached(&self, presentation: &str) -> Result<Verdict, Rejection> {
        let ctx = VerifierContext {
            cache: Some(&self.cache),
            ..self.context()
        };
        verify_presentation(
            Presented {
                format: FORMAT_SD_JWT_VC,
                presentation,
            },
            &self.fetched,
            &ctx,
        )
    }

    /// What the HTTP verifier does per response: `plan` (what to fetch; here the cache
    /// answers) and then the pipeline.
    pub fn plan_and_pipeline(&self, presentation: &str) -> Result<Verdict, String> {
        let presented = Presented {
            format: FORMAT_SD_JWT_VC,
            presentation,
        };
        let needs = plan(presented).map_err(|e| e.to_string())?;
        if needs
            .status_urls
            .iter()
            .any(|u| !self.fetched.status_lists.contains_key(u))
        {
            return Err("status list not cached".into());
        }
        verify_presentation(presented, &self.fetched, &self.context()).map_err(|r| r.to_string())
    }

    /// The pipeline's trust step alone: the `x5c` chain of the presentation evaluated against
    /// the verified trusted lists (rustls-webpki path building and signatures, policy).
    pub fn evaluate_chain(&self, chain: &[Vec<u8>]) -> Result<(), kakehashi_trust::TrustError> {
        kakehashi_trust::evaluate(
            chain,
            &self.lists,
            &self.policy,
            NOW.saturating_add(-86_400),
        )
        .map(|_| ())
    }

    /// The `x5c` chain of the presentation's issuer JWT.
    pub fn chain(&self) -> Result<Vec<Vec<u8>>, SdJwtError> {
        let sd = SdJwt::parse(&self.presentation, Limits::DEFAULT)?;
        sd.header().x5c().map_err(|source| SdJwtError::Jose {
            context: "x5c",
            source,
        })
    }

    /// The pipeline's status step alone: the cached Token Status List token verified with
    /// the issuer key and the credential's entry read.
    pub fn status_check(&self) -> Result<bool, kakehashi_status_list::StatusListError> {
        let token = self
            .fetched
            .status_lists
            .get(STATUS_URI)
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default();
        let list = kakehashi_status_list::verify_status_list_token(
            &token,
            &self.provider,
            self.issuer_key(),
            STATUS_URI,
            &kakehashi_status_list::VerifyOptions::at(NOW),
        )?;
        let reference = StatusListReference {
            idx: STATUS_INDEX,
            uri: STATUS_URI.into(),
        };
        Ok(list.status(&reference, NOW)? == kakehashi_status_list::StatusType::Valid)
    }

    /// The bare SD-JWT VC verifier with the issuer key given (what the peers are given), on
    /// the text as received: the one-step entry point the pipeline uses.
    pub fn bare(&self, presentation: &str) -> Result<VerifiedSdJwtVc, SdJwtError> {
        let mut base = VerifyOptions::new(NOW);
        base.key_binding = KeyBinding::Required {
            nonce: NONCE,
            audience: CLIENT_ID,
        };
        verify_sd_jwt_vc_text(
            presentation,
            &self.provider,
            IssuerKey::Jwk(self.issuer_key()),
            &VcVerifyOptions::new(base),
        )
    }

    /// The peer `sd-jwt-rs` 0.7.1 with the same key, nonce and audience; returns its
    /// processed claims.
    pub fn sd_jwt_rs(&self, presentation: &str) -> Result<Value, sd_jwt_rs::error::Error> {
        let key = self.issuer_key();
        let (x, y) = (
            b64::encode(key.x()),
            b64::encode(key.y().unwrap_or_default()),
        );
        let verifier = sd_jwt_rs::SDJWTVerifier::new(
            presentation.to_owned(),
            Box::new(move |_issuer, _header| {
                jsonwebtoken::DecodingKey::from_ec_components(&x, &y)
                    .unwrap_or_else(|_| jsonwebtoken::DecodingKey::from_secret(&[]))
            }),
            Some(CLIENT_ID.to_owned()),
            Some(NONCE.to_owned()),
            sd_jwt_rs::SDJWTSerializationFormat::Compact,
        )?;
        Ok(verifier.verified_claims)
    }

    /// The two signature checks of the presentation on ring (through `jsonwebtoken`).
    pub fn ring_floor(&self) -> RingFloor {
        let parts: Vec<&str> = self.presentation.split('~').collect();
        let split = |jws: &str| {
            let (input, sig) = jws.rsplit_once('.').expect("compact JWS");
            (input.to_owned(), sig.to_owned())
        };
        let (issuer_input, issuer_sig) = split(parts.first().copied().unwrap_or_default());
        let (kb_input, kb_sig) = split(parts.last().copied().unwrap_or_default());
        let key = |k: &PublicJwk| {
            jsonwebtoken::DecodingKey::from_ec_components(
                &b64::encode(k.x()),
                &b64::encode(k.y().unwrap_or_default()),
            )
            .expect("P-256 key")
        };
        RingFloor {
            issuer_key: key(self.issuer_key()),
            holder_key: key(&self.holder),
            issuer_input,
            issuer_sig,
            kb_input,
            kb_sig,
        }
    }

    /// The two signature checks of the presentation on raw aws-lc-rs.
    pub fn floor(&self) -> Floor {
        let parts: Vec<&str> = self.presentation.split('~').collect();
        let jwt = parts.first().copied().unwrap_or_default();
        let kb = parts.last().copied().unwrap_or_default();
        let split = |jws: &str| {
            let (input, sig) = jws.rsplit_once('.').expect("compact JWS");
            (
                input.as_bytes().to_vec(),
                b64::decode(sig).expect("base64url"),
            )
        };
        let (issuer_input, issuer_sig) = split(jwt);
        let (kb_input, kb_sig) = split(kb);
        let random = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &random)
            .expect("key generation");
        let signing = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref())
            .expect("key");
        Floor {
            issuer_key: self.issuer_key().public_key_bytes(),
            holder_key: self.holder.public_key_bytes(),
            issuer_input,
            issuer_sig,
            kb_input,
            kb_sig,
            signing_public: signing.public_key().as_ref().to_vec(),
            signing,
            random,
        }
    }
}

impl Default for Scenario {
    fn default() -> Self {
        Self::new()
    }
}

/// The same two ES256 checks through `jsonwebtoken` on ring: the floor of the `sd-jwt-rs` peer.
pub struct RingFloor {
    issuer_key: jsonwebtoken::DecodingKey,
    holder_key: jsonwebtoken::DecodingKey,
    issuer_input: String,
    issuer_sig: String,
    kb_input: String,
    kb_sig: String,
}

impl RingFloor {
    /// Both signature checks of the presentation (issuer JWT and KB-JWT).
    pub fn verify_two(&self) -> bool {
        let check = |sig: &str, input: &str, key| {
            jsonwebtoken::crypto::verify(sig, input.as_bytes(), key, jsonwebtoken::Algorithm::ES256)
                .unwrap_or(false)
        };
        check(&self.issuer_sig, &self.issuer_input, &self.issuer_key)
            && check(&self.kb_sig, &self.kb_input, &self.holder_key)
    }
}

/// Raw ES256 on aws-lc-rs over the presentation's own signing inputs: what any verifier of
/// it must pay at least.
pub struct Floor {
    issuer_key: Vec<u8>,
    holder_key: Vec<u8>,
    issuer_input: Vec<u8>,
    issuer_sig: Vec<u8>,
    kb_input: Vec<u8>,
    kb_sig: Vec<u8>,
    signing: EcdsaKeyPair,
    signing_public: Vec<u8>,
    random: SystemRandom,
}

impl Floor {
    /// One ES256 verify (the issuer-signed JWT).
    pub fn verify_one(&self) -> bool {
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &self.issuer_key)
            .verify(&self.issuer_input, &self.issuer_sig)
            .is_ok()
    }

    /// Both signature checks of the presentation (issuer JWT and KB-JWT).
    pub fn verify_two(&self) -> bool {
        self.verify_one()
            && UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &self.holder_key)
                .verify(&self.kb_input, &self.kb_sig)
                .is_ok()
    }

    /// One ES256 signature over the issuer JWT's signing input; checked when asked.
    pub fn sign(&self) -> Vec<u8> {
        self.signing
            .sign(&self.random, &self.issuer_input)
            .map(|s| s.as_ref().to_vec())
            .unwrap_or_default()
    }

    /// Whether `sig` is a valid signature of [`Floor::sign`]'s key over its input.
    pub fn check_signed(&self, sig: &[u8]) -> bool {
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &self.signing_public)
            .verify(&self.issuer_input, sig)
            .is_ok()
    }
}

/// A W3C VC 2.0 `vc+jwt` (the JP Open Badges 3.0 diploma with its `x5c` chain) and its key.
pub struct VcJwt {
    provider: CryptoProvider,
    token: String,
    key: PublicJwk,
}

impl VcJwt {
    /// Issues the JP diploma.
    pub fn new() -> Self {
        let seal = testing::jp_seal();
        let holder = testing::holder();
        let token = testing::issue_jp(
            &seal,
            &testing::jp_diploma(),
            holder.public_jwk(),
            "https://kakehashi-u.example/status/w3c/1",
            5,
            NOW,
        );
        Self {
            provider: kakehashi_crypto_aws_lc::provider(),
            token,
            key: seal.public_jwk().clone(),
        }
    }

    /// The compact `vc+jwt`.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// `verify_vc_jwt`: signature and the VC 2.0 data model.
    pub fn verify(&self, token: &str) -> Result<(), kakehashi_vc_jose::VcError> {
        let options = kakehashi_vc_jose::VerifyOptions::at(NOW).with_key(&self.key);
        kakehashi_vc_jose::verify_vc_jwt(token, &self.provider, &options).map(|_| ())
    }

    /// The floor: one raw ES256 verify of the same signing input.
    pub fn floor(&self) -> impl Fn() -> bool + '_ {
        let (input, sig) = self.token.rsplit_once('.').expect("compact JWS");
        let sig = b64::decode(sig).expect("base64url");
        let key = self.key.public_key_bytes();
        move || {
            UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &key)
                .verify(input.as_bytes(), &sig)
                .is_ok()
        }
    }
}

impl Default for VcJwt {
    fn default() -> Self {
        Self::new()
    }
}

/// The time the fixtures are valid at (the runner prints it).
pub fn fixture_time() -> UnixTime {
    NOW
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Changes one base64url character in the signature (JWTs) or the middle (Disclosures)
    /// of the `n`-th `~`-separated part (0: issuer JWT), keeping the encoding valid.
    fn tamper(presentation: &str, n: usize) -> String {
        let mut parts: Vec<String> = presentation.split('~').map(str::to_owned).collect();
        let part = &mut parts[n];
        let at = match part.rfind('.') {
            Some(dot) => dot + 10,
            None => part.len() / 2,
        };
        let old = part.as_bytes()[at];
        let new = if old == b'Q' { "R" } else { "Q" };
        part.replace_range(at..=at, new);
        parts.join("~")
    }

    #[test]
    fn every_subject_accepts_the_presentation_with_ten_disclosures() {
        let s = Scenario::new();
        let p = s.presentation();
        assert_eq!(p.split('~').count(), 12, "JWT, 10 Disclosures, KB-JWT");
        let verdict = s.pipeline(p).unwrap();
        assert_eq!(verdict.disclosed_claims()["diploma_number"], "BE-2026-0001");
        s.plan_and_pipeline(p).unwrap();
        let bare = s.bare(p).unwrap();
        assert_eq!(bare.claims()["qualification"]["eqf_level"], 7);
        let peer = s.sd_jwt_rs(p).unwrap();
        assert_eq!(peer["qualification"]["eqf_level"], 7);
        assert_eq!(peer["given_name"], bare.claims()["given_name"]);
        let floor = s.floor();
        assert!(floor.verify_two());
        assert!(floor.check_signed(&floor.sign()));
        assert!(s.ring_floor().verify_two());
        let chain = s.chain().unwrap();
        s.evaluate_chain(&chain).unwrap();
        assert!(s.evaluate_chain(&[]).is_err());
        let unlisted = testing::unlisted_seal().certificate_chain().to_vec();
        assert!(s.evaluate_chain(&unlisted).is_err());
        assert!(s.status_check().unwrap());
    }

    #[test]
    fn every_subject_refuses_a_tampered_signature_or_disclosure() {
        let s = Scenario::new();
        for n in [0, 5, 11] {
            let bad = tamper(s.presentation(), n);
            assert!(s.pipeline(&bad).is_err(), "pipeline, part {n}");
            assert!(s.bare(&bad).is_err(), "bare, part {n}");
            assert!(s.sd_jwt_rs(&bad).is_err(), "sd-jwt-rs, part {n}");
        }
        let floor = s.floor();
        assert!(!floor.check_signed(&[0; 64]));
        for n in [0, 11] {
            let bad = Scenario::with_presentation(&tamper(s.presentation(), n)).unwrap();
            assert!(!bad.floor().verify_two(), "aws-lc-rs floor, part {n}");
            assert!(!bad.ring_floor().verify_two(), "ring floor, part {n}");
        }
    }

    #[test]
    fn a_presentation_read_back_verifies_the_same() {
        let s = Scenario::new();
        let again = Scenario::with_presentation(s.presentation()).unwrap();
        assert_eq!(again.presentation(), s.presentation());
        again.pipeline(again.presentation()).unwrap();
        assert!(again.floor().verify_two());
        assert!(Scenario::with_presentation("not an sd-jwt").is_err());
    }

    #[test]
    fn issuance_makes_ten_disclosures_and_the_vc_jwt_verifies() {
        let s = Scenario::new();
        assert_eq!(s.issue().disclosures().len(), 10);
        let vc = VcJwt::new();
        vc.verify(vc.token()).unwrap();
        assert!(vc.floor()());
        let (head, _) = vc.token().rsplit_once('.').unwrap();
        assert!(vc.verify(&format!("{head}.AAAA")).is_err());
    }
}
