//! Presentations through the whole verification pipeline (`kakehashi-verify`), as the
//! verifier node runs it: algorithm confusion on the issuer-signed JWT, `x5c` chains that do
//! not lead to a granted listed service, and key-binding games. Certificate validity is
//! checked on the trust layer directly (`kakehashi-trust` `evaluate`) at times outside the
//! certificates' validity.

use kakehashi_core::{UnixTime, b64};
use kakehashi_crypto::{CryptoProvider, SignatureAlgorithm, Signer as _};
use kakehashi_crypto_aws_lc::SoftwareSigner;
use kakehashi_sd_jwt::{ClaimPath, KbJwtClaims, Limits, SdJwt, Selection};
use kakehashi_trust::{RecognitionPolicy, VerifiedTrustedList};
use kakehashi_verify::testing::{self, EU_UNIVERSITY, NOW};
use kakehashi_verify::{
    FORMAT_SD_JWT_VC, Fetched, Presented, Rejection, Verdict, VerificationCache, VerifierContext,
    verify_presentation,
};
use serde_json::{Map, Value};

use crate::support::{Context as _, SetupError};
use crate::{Attack, Outcome, refused};

const CLIENT_ID: &str = "x509_san_dns:verifier.example";
const NONCE: &str = "n-0S6_WzA2Mj-session-nonce";
const STATUS_URI: &str = "https://leuven.example/status/1";
const ISSUED: UnixTime = UnixTime(NOW.0 - 86_400);
const NAME: [&str; 2] = ["/family_name", "/given_name"];
const PIPELINE: &str = "kakehashi-verify `verify_presentation`";

macro_rules! fixture {
    ($path:literal) => {
        include_bytes!(concat!("../../trust/testdata/fixtures/", $path)).as_slice()
    };
}

struct World {
    provider: CryptoProvider,
    policy: RecognitionPolicy,
    lists: Vec<VerifiedTrustedList>,
    register: Vec<String>,
    /// Shared by every attack, as a verifier's server shares one: a memoised success must
    /// never let a later hostile input through.
    cache: VerificationCache,
}

impl World {
    fn verify(&self, vp: &str, fetched: &Fetched, nonce: &str) -> Result<Verdict, Rejection> {
        let ctx = VerifierContext {
            provider: &self.provider,
            nonce,
            client_id: CLIENT_ID,
            now: NOW,
            max_presentation_age: 300,
            skew_seconds: 60,
            trusted_lists: &self.lists,
            list_grace_seconds: 0,
            policy: &self.policy,
            reader: kakehashi_academic::recognition::Reader::Eu,
            overrides: None,
            type_metadata: None,
            eu_university_register: Some(&self.register),
            cache: Some(&self.cache),
        };
        verify_presentation(
            Presented {
                format: FORMAT_SD_JWT_VC,
                presentation: vp,
            },
            fetched,
            &ctx,
        )
    }
}

/// The pipeline's refusal, as the check's typed error.
fn pipeline<T>(result: Result<T, Rejection>) -> Result<T, kakehashi_verify::VerifyError> {
    result.map_err(|r| r.error)
}

fn status(seal: &dyn kakehashi_crypto::Signer) -> Fetched {
    let mut f = Fetched::default();
    f.status_lists.insert(
        STATUS_URI.into(),
        testing::status_token(seal, STATUS_URI, &[], NOW.saturating_add(-60)).into_bytes(),
    );
    f
}

fn pem_blocks(pem: &[u8]) -> Result<Vec<Vec<u8>>, SetupError> {
    use base64::Engine as _;
    let text = std::str::from_utf8(pem).ctx("PEM text")?;
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        if line.starts_with("-----BEGIN") {
            current.clear();
        } else if line.starts_with("-----END") {
            out.push(
                base64::engine::general_purpose::STANDARD
                    .decode(current.as_bytes())
                    .ctx("PEM base64")?,
            );
        } else {
            current.push_str(line.trim());
        }
    }
    Ok(out)
}

fn seal_from(key_pem: &[u8], chain_pem: &[u8]) -> Result<SoftwareSigner, SetupError> {
    let key = pem_blocks(key_pem)?.pop().ctx("key block")?;
    Ok(SoftwareSigner::from_pkcs8(SignatureAlgorithm::Es256, &key)
        .ctx("seal key")?
        .with_certificate_chain(pem_blocks(chain_pem)?))
}

/// Issues the EU diploma with `seal` at `iat` and presents the name to the verifier.
fn present(
    seal: &SoftwareSigner,
    iat: UnixTime,
    holder: &SoftwareSigner,
    audience: &str,
    nonce: &str,
    kb_iat: UnixTime,
) -> String {
    let sd = testing::issue_eu(
        seal,
        &testing::eu_diploma(),
        holder.public_jwk(),
        STATUS_URI,
        7,
        iat,
    );
    testing::present_eu(&sd, holder, &NAME, audience, nonce, kb_iat)
}

/// Replaces the issuer-signed JWT's header and signature, keeping payload and disclosures.
fn reheader(
    vp: &str,
    edit: impl FnOnce(&mut Map<String, Value>),
    signature: impl FnOnce(&str) -> Vec<u8>,
) -> Result<String, SetupError> {
    let (jwt, rest) = vp.split_once('~').ctx("SD-JWT")?;
    let mut parts = jwt.split('.');
    let header = parts.next().ctx("header")?;
    let payload = parts.next().ctx("payload")?;
    let mut members: Map<String, Value> =
        serde_json::from_slice(&b64::decode(header).ctx("header b64")?).ctx("header JSON")?;
    edit(&mut members);
    let input = format!(
        "{}.{payload}",
        b64::encode(Value::Object(members).to_string().as_bytes())
    );
    let sig = b64::encode(signature(&input));
    Ok(format!("{input}.{sig}~{rest}"))
}

pub fn run() -> Result<Vec<Outcome>, SetupError> {
    let policy = testing::eu_policy();
    let lists = testing::lists(&policy, NOW);
    let world = World {
        provider: kakehashi_crypto_aws_lc::provider(),
        policy,
        lists,
        register: vec![EU_UNIVERSITY.to_owned()],
        cache: VerificationCache::default(),
    };
    let seal = testing::eu_seal();
    let holder = testing::holder();
    let fetched = status(&seal);
    let good = present(&seal, ISSUED, &holder, CLIENT_ID, NONCE, NOW);
    if let Err(e) = world.verify(&good, &fetched, NONCE) {
        return Err(SetupError(format!("the honest presentation fails: {e}")));
    }
    let mut out = Vec::new();

    // Algorithm confusion on the issuer-signed JWT.
    let none = reheader(
        &good,
        |h| {
            h.insert("alg".into(), "none".into());
        },
        |_| Vec::new(),
    )?;
    out.push(refused(
        Attack {
            name: "`alg: none` issuer JWT",
            threat: "RFC 8725 §2.1 (unsecured JWS)",
            target: PIPELINE,
            sent: "honest SD-JWT VC, header `alg` set to `none`, empty signature",
            expected: "Malformed(\"Issuer-signed JWT: algorithm \\\"none\\\" is never accepted\")",
        },
        pipeline(world.verify(&none, &fetched, NONCE)),
    ));

    let spki_key = seal.public_jwk().to_json().to_string();
    let hs256 = reheader(
        &good,
        |h| {
            h.insert("alg".into(), "HS256".into());
        },
        |input| {
            let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, spki_key.as_bytes());
            aws_lc_rs::hmac::sign(&key, input.as_bytes())
                .as_ref()
                .to_vec()
        },
    )?;
    out.push(refused(
        Attack {
            name: "HS256 keyed with the issuer's public key",
            threat: "RFC 8725 §2.1 (key confusion)",
            target: PIPELINE,
            sent: "`alg: HS256`, HMAC over the signing input keyed with the seal's public JWK bytes",
            expected: "Malformed(\"Issuer-signed JWT: symmetric algorithm \\\"HS256\\\" is refused (only asymm…\")",
        },
        pipeline(world.verify(&hs256, &fetched, NONCE)),
    ));

    let es384 = reheader(
        &good,
        |h| {
            h.insert("alg".into(), "ES384".into());
        },
        |input| seal.sign(input.as_bytes()).unwrap_or_default(),
    )?;
    out.push(refused(
        Attack {
            name: "`alg` does not fit the key type",
            threat: "RFC 8725 §3.1 (algorithm / key mismatch)",
            target: PIPELINE,
            sent: "`alg: ES384` over a P-256 `x5c` key (signed with that key)",
            expected: "IssuerSignature(\"Issuer-signed JWT: key on curve P-256 cannot be used with ES384\")",
        },
        pipeline(world.verify(&es384, &fetched, NONCE)),
    ));

    for (name, alg, expected) in [
        (
            "ES256K (secp256k1) issuer JWT",
            "ES256K",
            "Malformed(\"Issuer-signed JWT: unsupported signature algorithm \\\"ES256K\\\"\")",
        ),
        (
            "RS256 where ES256 is required",
            "RS256",
            "Malformed(\"Issuer-signed JWT: unsupported signature algorithm \\\"RS256\\\"\")",
        ),
    ] {
        let forged = reheader(
            &good,
            |h| {
                h.insert("alg".into(), alg.into());
            },
            |input| seal.sign(input.as_bytes()).unwrap_or_default(),
        )?;
        out.push(refused(
            Attack {
                name,
                threat: "HAIP / allow-list (ES256, ES384, EdDSA only)",
                target: PIPELINE,
                sent: if alg == "RS256" {
                    "`alg: RS256` header on the honest credential"
                } else {
                    "`alg: ES256K` header on the honest credential"
                },
                expected,
            },
            pipeline(world.verify(&forged, &fetched, NONCE)),
        ));
    }

    // x5c chains that do not lead to a granted, listed service.
    let unlisted = testing::unlisted_seal();
    out.push(refused(
        Attack {
            name: "Self-signed seal in `x5c`",
            threat: "trust: chain must reach a listed service",
            target: PIPELINE,
            sent: "credential sealed with a key whose `x5c` is one self-signed certificate",
            expected: "Untrusted(\"certificate chain invalid: UnknownIssuer\")",
        },
        pipeline(world.verify(
            &present(&unlisted, ISSUED, &holder, CLIENT_ID, NONCE, NOW),
            &status(&unlisted),
            NONCE,
        )),
    ));

    let dir = temp_dir("rogue")?;
    kakehashi_testpki::rogue_seal(&dir);
    let rogue = seal_from(
        &std::fs::read(dir.join("pki/rogue-seal.key.pem")).ctx("rogue key")?,
        &std::fs::read(dir.join("chains/rogue-seal.pem")).ctx("rogue chain")?,
    )?;
    let _ = std::fs::remove_dir_all(&dir);
    out.push(refused(
        Attack {
            name: "Chain to a CA in no trusted list",
            threat: "trust: chain must reach a listed service",
            target: PIPELINE,
            sent: "seal claiming the university's organisationIdentifier, issued by an unlisted CA",
            expected: "Untrusted(\"certificate chain invalid: UnknownIssuer\")",
        },
        pipeline(world.verify(
            &present(&rogue, ISSUED, &holder, CLIENT_ID, NONCE, NOW),
            &status(&rogue),
            NONCE,
        )),
    ));

    let old = seal_from(
        fixture!("pki/eu-old-seal.key.pem"),
        fixture!("chains/eu-old-seal.pem"),
    )?;
    out.push(refused(
        Attack {
            name: "CA listed but withdrawn at signing time",
            threat: "TS 119 612 service history evaluated at `iat`",
            target: PIPELINE,
            sent: "credential sealed under the old QTSP CA (withdrawn 2025-06-01), `iat` 2026-11-14",
            expected: "Untrusted(\"service \\\"Test QTSP Old CA\\\" had status http://uri.etsi.org/TrstSvc/Tru…\")",
        },
        pipeline(world.verify(
            &present(&old, ISSUED, &holder, CLIENT_ID, NONCE, NOW),
            &status(&old),
            NONCE,
        )),
    ));
    let before_grant = UnixTime::parse_rfc3339("2019-06-01T00:00:00Z").ctx("time")?;
    out.push(refused(
        Attack {
            name: "CA listed but granted only after signing",
            threat: "TS 119 612 service history evaluated at `iat`",
            target: PIPELINE,
            sent: "credential with `iat` 2019-06-01 under a CA granted from 2020-01-01",
            expected: "Untrusted(\"service \\\"Test QTSP Old CA\\\" had status (no status known at that time) …\")",
        },
        pipeline(world.verify(
            &present(&old, before_grant, &holder, CLIENT_ID, NONCE, NOW),
            &status(&old),
            NONCE,
        )),
    ));

    // Certificate validity: the listed chain outside its validity period.
    let chain = pem_blocks(fixture!("chains/eu-university-seal.pem"))?;
    for (name, time, expected) in [
        (
            "Expired certificate",
            "2035-06-01T00:00:00Z",
            "ChainInvalid(\"CertExpired { time: UnixTime(2064268800), not_after: UnixTime(205122240…\")",
        ),
        (
            "Not-yet-valid certificate",
            "2018-06-01T00:00:00Z",
            "ChainInvalid(\"CertNotValidYet { time: UnixTime(1527811200), not_before: UnixTime(1546…\")",
        ),
    ] {
        let at = UnixTime::parse_rfc3339(time).ctx("time")?;
        out.push(refused(
            Attack {
                name,
                threat: "RFC 5280 §6.1.3 (validity period)",
                target: "kakehashi-trust `evaluate`",
                sent: if name.starts_with("Expired") {
                    "the listed seal chain (valid 2019–2035) evaluated at 2035-06-01"
                } else {
                    "the listed seal chain (valid 2019–2035) evaluated at 2018-06-01"
                },
                expected,
            },
            kakehashi_trust::evaluate(&chain, &world.lists, &world.policy, at),
        ));
    }

    // Key binding.
    out.push(refused(
        Attack {
            name: "KB-JWT for another verifier",
            threat: "RFC 9901 §7.3 (`aud`)",
            target: PIPELINE,
            sent: "presentation bound to `aud` x509_san_dns:evil.example",
            expected: "AudienceMismatch { found: \"x509_san_dns:evil.example\" }",
        },
        pipeline(world.verify(
            &present(
                &seal,
                ISSUED,
                &holder,
                "x509_san_dns:evil.example",
                NONCE,
                NOW,
            ),
            &fetched,
            NONCE,
        )),
    ));
    out.push(refused(
        Attack {
            name: "KB-JWT with another session's nonce",
            threat: "RFC 9901 §7.3 (`nonce`): replay into another session",
            target: PIPELINE,
            sent: "presentation made for nonce `n-of-another-session`",
            expected: "NonceMismatch",
        },
        pipeline(world.verify(
            &present(
                &seal,
                ISSUED,
                &holder,
                CLIENT_ID,
                "n-of-another-session",
                NOW,
            ),
            &fetched,
            NONCE,
        )),
    ));
    out.push(refused(
        Attack {
            name: "Stale KB-JWT",
            threat: "RFC 9901 §7.3 (`iat` window)",
            target: PIPELINE,
            sent: "KB-JWT `iat` one hour before verification (window 300 s)",
            expected: "HolderBinding(\"KB-JWT iat 2026-11-15T09:00:00Z is outside the accepted window (now 202…\")",
        },
        pipeline(world.verify(
            &present(&seal, ISSUED, &holder, CLIENT_ID, NONCE, NOW.saturating_sub(3600)),
            &fetched,
            NONCE,
        )),
    ));
    out.push(refused(
        Attack {
            name: "`sd_hash` over a different disclosure set",
            threat: "RFC 9901 §7.3 (`sd_hash`)",
            target: PIPELINE,
            sent: "KB-JWT made for the name disclosures, sent with the birth date disclosed too",
            expected: "HolderBinding(\"KB-JWT sd_hash does not match the presented SD-JWT\")",
        },
        pipeline(world.verify(&swap_disclosures(&seal, &holder)?, &fetched, NONCE)),
    ));
    Ok(out)
}

/// A presentation whose KB-JWT was made over the name disclosures, re-sent with one more
/// disclosure (the birth date) that the KB-JWT's `sd_hash` does not cover.
fn swap_disclosures(seal: &SoftwareSigner, holder: &SoftwareSigner) -> Result<String, SetupError> {
    let provider = kakehashi_crypto_aws_lc::provider();
    let sd = testing::issue_eu(
        seal,
        &testing::eu_diploma(),
        holder.public_jwk(),
        STATUS_URI,
        7,
        ISSUED,
    );
    let decoded = sd.decode(&provider, Limits::DEFAULT).ctx("decode")?;
    let view = Value::Object(decoded.claims().clone());
    let paths = |pointers: &[&str]| -> Result<Vec<ClaimPath>, SetupError> {
        pointers
            .iter()
            .map(|p| ClaimPath::from_pointer(p, &view).ctx("path"))
            .collect()
    };
    let bound = sd
        .present(
            &provider,
            &paths(&NAME)?,
            Selection::WithDescendants,
            Limits::DEFAULT,
        )
        .ctx("present")?
        .bind(
            &provider,
            holder,
            &KbJwtClaims {
                audience: CLIENT_ID.into(),
                nonce: NONCE.into(),
                issued_at: NOW,
            },
            Limits::DEFAULT,
        )
        .ctx("bind")?
        .to_compact();
    let wider: SdJwt = sd
        .present(
            &provider,
            &paths(&["/family_name", "/given_name", "/birth_date"])?,
            Selection::WithDescendants,
            Limits::DEFAULT,
        )
        .ctx("present wider")?;
    let kb = bound.rsplit('~').next().ctx("KB-JWT")?;
    Ok(format!("{}{kb}", wider.to_compact()))
}

/// A fresh directory under the system temporary directory.
pub(crate) fn temp_dir(tag: &str) -> Result<std::path::PathBuf, SetupError> {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "kakehashi-attacks-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).ctx("temp dir")?;
    Ok(dir)
}
