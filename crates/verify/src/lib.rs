//! The verification pipeline of a Kakehashi verifier: one presented credential plus the
//! documents the edge fetched for it become a [`Verdict`] with a [`RecognitionReport`], or a
//! [`Rejection`] that names the failed check.
//!
//! Pure: the nonce, the verifier's `client_id`, the time, the loaded trusted lists, the
//! recognition policy and the fetched status lists are arguments; nothing is fetched here.
//!
//! ```text
//!  presentation ──plan──▶ Needs { status_urls }        (unverified read: what to fetch)
//!        edge fetches the status lists ──▶ Fetched
//!  presentation + Fetched + VerifierContext ──verify_presentation──▶ Verdict | Rejection
//!
//!  checks, in order:
//!   1. format: dc+sd-jwt (issuer signature with the x5c leaf key, disclosures, KB-JWT nonce,
//!      aud = client_id, iat window, Type Metadata sd rules) or jwt_vc_json as vp+jwt (VP
//!      signature by the credential's holder key — cnf.jwk or did:jwk subject — nonce, aud,
//!      iat window; the enveloped vc+jwt with its x5c leaf key)
//!   2. academic: the diploma of the EU or JP profile, mapped for the reader
//!   3. status: Token Status List (statuslist+jwt) or W3C Bitstring Status List (vc+jwt),
//!      signed by the issuer's key
//!   4. trust: no stale list, x5c chain evaluated at the credential's iat under the policy
//!   5. authorisation: the sealing organisation is an authorised university (JPlist) or on
//!      the verifier's EU university register, and is the diploma's awarding body
//! ```
//!
//! Checks 1–2 refuse without a report (nothing authenticated to describe); from 3 on, every
//! check runs and a failure carries the report whose findings say what failed.

#![forbid(unsafe_code)]
#![deny(clippy::as_conversions)]

mod cache;
mod error;
#[cfg(feature = "testing")]
pub mod testing;

use std::collections::BTreeMap;

use kakehashi_academic::model::Diploma;
use kakehashi_academic::profiles::{diploma_from_achievement_credential, diploma_from_eu_claims};
use kakehashi_academic::recognition::{Bilingual, Overrides, Reader, map_qualification};
use kakehashi_academic::report::{
    AuthorisationFinding, CredentialFinding, RecognitionReport, TrustFinding,
};
use kakehashi_core::{JsonLimits, UnixTime, b64};
use kakehashi_crypto::{CryptoProvider, PublicJwk};
use kakehashi_sd_jwt::type_metadata::ResolvedTypeMetadata;
use kakehashi_sd_jwt::{
    IssuerKey, KeyBinding, Limits, SdJwt, SdJwtError, VcVerifyOptions, verify_sd_jwt_vc_text,
};
use kakehashi_status_list::bitstring::{
    BitstringOptions, BitstringStatusListCredential, BitstringStatusListEntry,
    DecodedBitstringStatusList,
};
use kakehashi_status_list::{StatusListReference, StatusType};
use kakehashi_trust::{RecognitionPolicy, TrustDecision, VerifiedTrustedList};
use kakehashi_vc_jose::{HolderBinding, KeyResolver, VcError};
use serde_json::{Map, Value, json};

pub use cache::{DEFAULT_CAPACITY, VerificationCache};
pub use error::{Rejection, VerifyError};

use crate::cache::{CachedStatus, VerifiedBitstring};

/// The SD-JWT VC format identifier (OpenID4VP 1.0 appendix B.3).
pub const FORMAT_SD_JWT_VC: &str = "dc+sd-jwt";
/// The W3C VC secured as JWT format identifier (OpenID4VP 1.0 appendix B.1).
pub const FORMAT_JWT_VC_JSON: &str = "jwt_vc_json";
/// Largest presentation accepted, bytes (a diploma with disclosures is a few kilobytes).
pub const MAX_PRESENTATION_BYTES: usize = 256 * 1024;

/// One presented credential as it appeared in the `vp_token`.
#[derive(Debug, Clone, Copy)]
pub struct Presented<'a> {
    /// `dc+sd-jwt` or `jwt_vc_json`.
    pub format: &'a str,
    /// The SD-JWT+KB, or the compact `vp+jwt`.
    pub presentation: &'a str,
}

/// What the edge must fetch before [`verify_presentation`] can finish. Read from the
/// unverified presentation: it only says where to look, every fetched byte is verified later.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Needs {
    /// Status list URLs (Token Status List tokens or Bitstring Status List credentials).
    pub status_urls: Vec<String>,
    /// Whether the issuer-signed token embeds its `x5c` chain (if not, trust will fail:
    /// this verifier does not resolve issuer keys from other sources).
    pub issuer_chain_embedded: bool,
}

/// Documents the edge fetched for [`Needs`].
#[derive(Debug, Clone, Default)]
pub struct Fetched {
    /// Status list bytes by URL, exactly as served.
    pub status_lists: BTreeMap<String, Vec<u8>>,
}

/// The verifier's side of the check: session binding, time, trust and reading policy.
#[derive(Clone, Copy)]
pub struct VerifierContext<'a> {
    /// Crypto backend.
    pub provider: &'a CryptoProvider,
    /// The session nonce the presentation must be bound to.
    pub nonce: &'a str,
    /// The verifier's `client_id` (the presentation's `aud`).
    pub client_id: &'a str,
    /// The time of verification.
    pub now: UnixTime,
    /// How old a KB-JWT / `vp+jwt` may be, seconds.
    pub max_presentation_age: i64,
    /// Tolerated clock skew, seconds.
    pub skew_seconds: i64,
    /// Verified, anchored trusted lists.
    pub trusted_lists: &'a [VerifiedTrustedList],
    /// Seconds a list stays usable after its `NextUpdate` (0: fail closed at `NextUpdate`).
    pub list_grace_seconds: i64,
    /// The mutual-recognition policy.
    pub policy: &'a RecognitionPolicy,
    /// The side of the reader of the academic mapping.
    pub reader: Reader,
    /// The recognition authority's own table overrides.
    pub overrides: Option<&'a Overrides>,
    /// SD-JWT VC Type Metadata (resolved) whose `sd` rules apply to credentials of its `vct`.
    pub type_metadata: Option<&'a ResolvedTypeMetadata>,
    /// organizationIdentifiers (`VATBE-…`) of EU universities the verifier recognises: EU
    /// trusted lists name QTSPs, not universities. `None`: no register is loaded.
    pub eu_university_register: Option<&'a [String]>,
    /// Memoised status lists and chain validations shared across presentations (`None`: every
    /// check from scratch). Gives exactly the verdicts of `None`; see [`VerificationCache`].
    pub cache: Option<&'a VerificationCache>,
}

impl std::fmt::Debug for VerifierContext<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifierContext")
            .field("client_id", &self.client_id)
            .field("now", &self.now)
            .field("lists", &self.trusted_lists.len())
            .field("policy", &self.policy.name())
            .finish_non_exhaustive()
    }
}

/// A presentation that passed every check. Only [`verify_presentation`] builds one.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    format: String,
    disclosed: Map<String, Value>,
    issuer: Option<String>,
    issued_at: UnixTime,
    holder_key: PublicJwk,
    trust: Value,
    report: RecognitionReport,
}

impl Verdict {
    /// `dc+sd-jwt` or `jwt_vc_json`.
    pub fn format(&self) -> &str {
        &self.format
    }

    /// The claims the holder disclosed (SD-JWT: the processed payload without `cnf`;
    /// `jwt_vc_json`: the credential).
    pub fn disclosed_claims(&self) -> &Map<String, Value> {
        &self.disclosed
    }

    /// The issuer identifier (`iss` / `issuer`).
    pub fn issuer(&self) -> Option<&str> {
        self.issuer.as_deref()
    }

    /// When the credential was issued (the time trust was evaluated at).
    pub fn issued_at(&self) -> UnixTime {
        self.issued_at
    }

    /// The holder key the presentation was bound with.
    pub fn holder_key(&self) -> &PublicJwk {
        &self.holder_key
    }

    /// The trust decision as JSON (with its explanation).
    pub fn trust(&self) -> &Value {
        &self.trust
    }

    /// The recognition report (`verified` is true).
    pub fn report(&self) -> &RecognitionReport {
        &self.report
    }

    /// The verdict as JSON for the result API.
    pub fn to_json(&self) -> Value {
        json!({
            "verified": true,
            "format": self.format,
            "issuer": self.issuer,
            "issued_at": self.issued_at.to_rfc3339(),
            "disclosed_claims": self.disclosed,
            "trust": self.trust,
            "report": self.report,
        })
    }
}

/// Reads the presentation without verifying it and says what to fetch.
pub fn plan(presented: Presented<'_>) -> Result<Needs, VerifyError> {
    check_size(presented.presentation)?;
    match presented.format {
        FORMAT_SD_JWT_VC => {
            let sd = SdJwt::parse(presented.presentation.trim(), Limits::DEFAULT)
                .map_err(|e| VerifyError::Malformed(e.to_string()))?;
            let payload = sd
                .unverified_payload(JsonLimits::DEFAULT)
                .map_err(|e| VerifyError::Malformed(e.to_string()))?;
            let status_urls = match payload.get("status") {
                None => Vec::new(),
                Some(_) => vec![
                    StatusListReference::from_claims(&payload)
                        .map_err(|e| VerifyError::Malformed(e.to_string()))?
                        .uri,
                ],
            };
            Ok(Needs {
                status_urls,
                issuer_chain_embedded: sd.header().x5c().is_ok_and(|c| !c.is_empty()),
            })
        }
        FORMAT_JWT_VC_JSON => {
            let vp = unverified_payload(presented.presentation)?;
            let vc_jwt = enveloped_vc_jwt(&vp)?;
            let vc = unverified_payload(&vc_jwt)?;
            let status_urls = if vc.contains_key("credentialStatus") {
                let mut urls: Vec<String> = BitstringStatusListEntry::from_credential(&vc)
                    .map_err(|e| VerifyError::Malformed(e.to_string()))?
                    .into_iter()
                    .map(|e| e.status_list_credential)
                    .collect();
                urls.dedup();
                urls
            } else {
                Vec::new()
            };
            let header = unverified_header(&vc_jwt)?;
            Ok(Needs {
                status_urls,
                issuer_chain_embedded: header
                    .get("x5c")
                    .and_then(Value::as_array)
                    .is_some_and(|a| !a.is_empty()),
            })
        }
        other => Err(VerifyError::UnsupportedFormat(
            other.chars().take(40).collect(),
        )),
    }
}

/// Runs every check on one presented credential.
pub fn verify_presentation(
    presented: Presented<'_>,
    fetched: &Fetched,
    ctx: &VerifierContext<'_>,
) -> Result<Verdict, Rejection> {
    check_size(presented.presentation)?;
    let mut checked = match presented.format {
        FORMAT_SD_JWT_VC => check_sd_jwt_vc(presented.presentation, ctx)?,
        FORMAT_JWT_VC_JSON => check_vp_jwt(presented.presentation, ctx)?,
        other => {
            return Err(VerifyError::UnsupportedFormat(other.chars().take(40).collect()).into());
        }
    };
    let diploma = std::mem::replace(&mut checked.diploma, Err(String::new()))
        .map_err(VerifyError::Academic)?;
    let academic = map_qualification(&diploma, ctx.reader, ctx.overrides)
        .map_err(|e| VerifyError::Academic(e.to_string()))?;

    // From here on every check runs; the first failure is returned with the full report.
    let status = check_status(&checked, fetched, ctx);
    let trust = check_trust(&checked, ctx);
    let authorisation = match &trust {
        Ok(decision) => check_authorisation(decision, &diploma, ctx),
        Err(_) => Err((
            VerifyError::NotAuthorised("not evaluated: the issuer is not trusted".into()),
            AuthorisationFinding {
                authorised: false,
                register: "(none)".into(),
                detail: "not evaluated: the issuer is not trusted".into(),
            },
        )),
    };

    let credential_finding = CredentialFinding {
        format: checked.format.clone(),
        signature_valid: true,
        key_binding_valid: true,
        status: match &status {
            Ok(s) => s.clone(),
            Err(VerifyError::Revoked { .. }) => "revoked".into(),
            Err(VerifyError::NotValidStatus { status, .. }) => status.clone(),
            Err(_) => "unknown".into(),
        },
        disclosed: checked.disclosed_paths.clone(),
    };
    // The decision's JSON (with its explanation) is built once, for the finding and the verdict.
    let mut trust_json = trust.as_ref().ok().map(TrustDecision::to_json);
    let trust_finding = match &trust {
        Ok(d) => TrustFinding {
            trusted: true,
            trust_class: Some(d.class().label().to_owned()),
            explanation: trust_json
                .as_ref()
                .and_then(|j| j["explanation"].as_str())
                .unwrap_or_default()
                .lines()
                .map(str::to_owned)
                .collect(),
        },
        Err(e) => TrustFinding {
            trusted: false,
            trust_class: None,
            explanation: vec![format!("NOT TRUSTED: {e}")],
        },
    };
    let authorisation_finding = match &authorisation {
        Ok(f) | Err((_, f)) => f.clone(),
    };
    let bilingual = |m: &kakehashi_core::LangMap| Bilingual {
        en: m
            .best("en")
            .or_else(|| m.best("ja-Latn"))
            .or_else(|| m.best("ja"))
            .unwrap_or_default()
            .to_owned(),
        ja: m
            .best("ja")
            .or_else(|| m.best("en"))
            .unwrap_or_default()
            .to_owned(),
    };
    let report = RecognitionReport::new(
        credential_finding,
        trust_finding,
        authorisation_finding,
        bilingual(&diploma.qualification.title),
        bilingual(&diploma.awarding_body.legal_name),
        academic,
    );
    let first_error = match (status, trust, authorisation) {
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err((e, _))) => Some(e),
        (Ok(_), Ok(decision), Ok(_)) => {
            if !report.verified {
                // Unreachable: every finding the report derives `verified` from passed.
                Some(VerifyError::Malformed(
                    "the report does not confirm the checks".into(),
                ))
            } else {
                return Ok(Verdict {
                    format: checked.format,
                    disclosed: checked.disclosed,
                    issuer: checked.issuer,
                    issued_at: checked.issued_at,
                    holder_key: checked.holder_key,
                    trust: trust_json.take().unwrap_or_else(|| decision.to_json()),
                    report,
                });
            }
        }
    };
    Err(Rejection {
        error: first_error.unwrap_or_else(|| VerifyError::Malformed("unknown".into())),
        report: Some(Box::new(report)),
    })
}

/// What the format-specific checks established.
struct Checked {
    format: String,
    disclosed: Map<String, Value>,
    disclosed_paths: Vec<String>,
    issuer: Option<String>,
    issued_at: UnixTime,
    issuer_key: PublicJwk,
    /// `issuer_key` is the key of `chain[0]` (taken from the `x5c` leaf).
    key_from_leaf: bool,
    holder_key: PublicJwk,
    chain: Vec<Vec<u8>>,
    status: StatusRefs,
    diploma: Result<Diploma, String>,
}

enum StatusRefs {
    None,
    Token(StatusListReference),
    Bitstring(Vec<BitstringStatusListEntry>),
}

fn check_size(presentation: &str) -> Result<(), VerifyError> {
    if presentation.len() > MAX_PRESENTATION_BYTES {
        return Err(VerifyError::Malformed(format!(
            "{} bytes exceed the limit of {MAX_PRESENTATION_BYTES}",
            presentation.len()
        )));
    }
    Ok(())
}

fn check_sd_jwt_vc(text: &str, ctx: &VerifierContext<'_>) -> Result<Checked, VerifyError> {
    let text = text.trim();
    let mut base = kakehashi_sd_jwt::VerifyOptions::new(ctx.now);
    base.skew_seconds = ctx.skew_seconds;
    base.kb_max_age_seconds = ctx.max_presentation_age;
    base.key_binding = KeyBinding::Required {
        nonce: ctx.nonce,
        audience: ctx.client_id,
    };
    let mut options = VcVerifyOptions::new(base);
    // Type Metadata applies to credentials of its own type only (the payload is read for its
    // `vct` only when there is metadata to apply: it is decoded again by the verification).
    options.type_metadata = ctx
        .type_metadata
        .filter(|m| unverified_vct(text).as_deref() == Some(m.vct()));
    // One step, as the fast path reads the usual compact form; it gives the errors of
    // `SdJwt::parse` + `verify_sd_jwt_vc`, and a text `SdJwt::parse` refuses is `Malformed`
    // (re-parsed on that error path only, to tell the two apart).
    let verified =
        verify_sd_jwt_vc_text(text, ctx.provider, IssuerKey::X5c, &options).map_err(|e| {
            match SdJwt::parse(text, Limits::DEFAULT) {
                Err(parse) => VerifyError::Malformed(parse.to_string()),
                Ok(_) => sd_jwt_error(e),
            }
        })?;
    let binding = verified
        .sd_jwt()
        .key_binding()
        .ok_or_else(|| VerifyError::HolderBinding("no key binding".into()))?;
    // Defence in depth: the library checked both against the policy already.
    if binding.nonce != ctx.nonce {
        return Err(VerifyError::NonceMismatch);
    }
    if binding.audience != ctx.client_id {
        return Err(VerifyError::AudienceMismatch {
            found: binding.audience.clone(),
        });
    }
    let claims = verified.claims();
    let issued_at = claims
        .get("iat")
        .and_then(Value::as_i64)
        .map(UnixTime)
        .ok_or_else(|| VerifyError::IssuerSignature("the credential has no iat".into()))?;
    let status = if claims.contains_key("status") {
        StatusRefs::Token(
            StatusListReference::from_claims(claims)
                .map_err(|e| VerifyError::Malformed(e.to_string()))?,
        )
    } else {
        StatusRefs::None
    };
    let mut disclosed = claims.clone();
    disclosed.remove("cnf");
    let mut disclosed_paths: Vec<String> = disclosed
        .keys()
        .filter(|k| !REGISTERED_CLAIMS.contains(&k.as_str()))
        .map(|k| format!("/{k}"))
        .collect();
    for p in verified.sd_jwt().disclosed_paths() {
        let p = p.to_string();
        if !disclosed_paths.contains(&p) {
            disclosed_paths.push(p);
        }
    }
    Ok(Checked {
        format: FORMAT_SD_JWT_VC.into(),
        diploma: diploma_from_eu_claims(&disclosed).map_err(|e| e.to_string()),
        disclosed,
        disclosed_paths,
        issuer: verified.issuer().map(str::to_owned),
        issued_at,
        issuer_key: verified.sd_jwt().issuer_key().clone(),
        // `IssuerKey::X5c`: the library took the key from the `x5c` leaf.
        key_from_leaf: true,
        holder_key: binding.holder_key.clone(),
        chain: verified.untrusted_x5c().to_vec(),
        status,
    })
}

/// The `vct` of an SD-JWT's payload, not yet authenticated: what `SdJwt::parse` +
/// `unverified_payload` give when the text parses (the compact form reads only its JWT).
fn unverified_vct(text: &str) -> Option<String> {
    let payload = if text.trim_start().starts_with('{') {
        SdJwt::parse(text, Limits::DEFAULT)
            .ok()?
            .unverified_payload(JsonLimits::DEFAULT)
            .ok()?
    } else {
        let (jwt, _) = text.split_once('~')?;
        kakehashi_jose::UnverifiedJws::parse_compact_with(jwt, Limits::DEFAULT.json, &[])
            .ok()?
            .unverified_claims(JsonLimits::DEFAULT)
            .ok()?
    };
    payload
        .get("vct")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// JWT and SD-JWT VC claims that are not part of the diploma.
const REGISTERED_CLAIMS: [&str; 9] = [
    "iss",
    "iat",
    "exp",
    "nbf",
    "vct",
    "vct#integrity",
    "status",
    "cnf",
    "_sd_alg",
];

fn sd_jwt_error(e: SdJwtError) -> VerifyError {
    match e {
        SdJwtError::KbJwtNonceMismatch => VerifyError::NonceMismatch,
        SdJwtError::KbJwtAudienceMismatch { found } => VerifyError::AudienceMismatch { found },
        e @ (SdJwtError::KbJwtMissing
        | SdJwtError::UnexpectedKbJwt
        | SdJwtError::CnfMissing
        | SdJwtError::CnfUnsupported(_)
        | SdJwtError::KbJwtClaim(_)
        | SdJwtError::KbJwtIatOutOfWindow { .. }
        | SdJwtError::SdHashMismatch
        | SdJwtError::HolderKeyMismatch) => VerifyError::HolderBinding(e.to_string()),
        e @ (SdJwtError::DisclosureEncoding
        | SdJwtError::DisclosureShape(_)
        | SdJwtError::SaltNotString
        | SdJwtError::ClaimNameNotString
        | SdJwtError::ReservedClaimName(_)
        | SdJwtError::DuplicateDisclosure(_)
        | SdJwtError::DuplicateDigest(_)
        | SdJwtError::UnreferencedDisclosure(_)
        | SdJwtError::ClaimNameCollision(_)
        | SdJwtError::TooManyDisclosures { .. }) => VerifyError::Disclosure(e.to_string()),
        e @ (SdJwtError::NotSelectivelyDisclosable(_)
        | SdJwtError::TypeMetadata(_)
        | SdJwtError::SdRuleViolation { .. }
        | SdJwtError::ClaimPathMismatch(_)) => VerifyError::TypeMetadata(e.to_string()),
        e => VerifyError::IssuerSignature(e.to_string()),
    }
}

/// Resolves holder keys named `did:jwk:…` (in `kid` or the presentation's `holder`).
struct DidJwkResolver;

impl KeyResolver for DidJwkResolver {
    fn resolve(&self, kid: Option<&str>, issuer: Option<&str>) -> Option<PublicJwk> {
        kid.and_then(did_jwk_key)
            .or_else(|| issuer.and_then(did_jwk_key))
    }
}

/// The key of a `did:jwk` DID (or its `#0` DID URL).
fn did_jwk_key(did: &str) -> Option<PublicJwk> {
    PublicJwk::from_did_jwk(did).ok()
}

fn check_vp_jwt(text: &str, ctx: &VerifierContext<'_>) -> Result<Checked, VerifyError> {
    let resolver = DidJwkResolver;
    let options = kakehashi_vc_jose::VerifyOptions::at(ctx.now)
        .with_skew(ctx.skew_seconds)
        .with_key_resolver(&resolver);
    let vp = kakehashi_vc_jose::verify_vp_jwt(
        text,
        ctx.provider,
        &options,
        HolderBinding::Required {
            nonce: ctx.nonce,
            audience: ctx.client_id,
        },
    )
    .map_err(vc_error)?;
    let document = vp.presentation().document();
    let iat = document
        .get("iat")
        .and_then(Value::as_i64)
        .map(UnixTime)
        .ok_or_else(|| VerifyError::HolderBinding("the presentation has no iat".into()))?;
    if iat.seconds() < ctx.now.seconds().saturating_sub(ctx.max_presentation_age)
        || iat.seconds() > ctx.now.seconds().saturating_add(ctx.skew_seconds)
    {
        return Err(VerifyError::HolderBinding(format!(
            "presentation iat {iat} is outside the accepted window (now {})",
            ctx.now
        )));
    }
    let [credential] = vp.credentials() else {
        return Err(VerifyError::Malformed(format!(
            "expected one credential in the presentation, got {}",
            vp.credentials().len()
        )));
    };
    let vc = credential.credential().document();
    let holder = holder_key_of(vc).ok_or_else(|| {
        VerifyError::HolderBinding(
            "the credential names no holder key (cnf.jwk or did:jwk credentialSubject.id)".into(),
        )
    })?;
    if holder.public_key_bytes() != vp.key().public_key_bytes() {
        return Err(VerifyError::HolderBinding(
            "the presentation is not signed by the credential's holder key".into(),
        ));
    }
    // The signing time: `iat` when the issuer wrote one. `validFrom` is the award date in the
    // JP profile, not when the seal was applied, so without `iat` trust is evaluated now (the
    // seal must still be valid and listed): stricter, never more lenient.
    let issued_at = vc
        .get("iat")
        .and_then(Value::as_i64)
        .map(UnixTime)
        .unwrap_or(ctx.now);
    let status = if vc.contains_key("credentialStatus") {
        StatusRefs::Bitstring(
            BitstringStatusListEntry::from_credential(vc)
                .map_err(|e| VerifyError::Malformed(e.to_string()))?,
        )
    } else {
        StatusRefs::None
    };
    let value = Value::Object(vc.clone());
    let disclosed_paths = vc
        .get("credentialSubject")
        .and_then(Value::as_object)
        .map(|s| {
            s.keys()
                .map(|k| format!("/credentialSubject/{k}"))
                .collect()
        })
        .unwrap_or_default();
    Ok(Checked {
        format: FORMAT_JWT_VC_JSON.into(),
        diploma: diploma_from_achievement_credential(&value).map_err(|e| e.to_string()),
        disclosed: vc.clone(),
        disclosed_paths,
        issuer: Some(credential.credential().issuer().to_owned()),
        issued_at,
        issuer_key: credential.key().clone(),
        key_from_leaf: matches!(
            credential.key_source(),
            kakehashi_vc_jose::KeySource::X5cLeaf
        ),
        holder_key: holder,
        chain: credential.certificate_chain().to_vec(),
        status,
    })
}

/// The holder key as the issuer put it: `cnf.jwk`, or a `did:jwk` `credentialSubject.id`.
fn holder_key_of(vc: &Map<String, Value>) -> Option<PublicJwk> {
    if let Some(jwk) = vc.get("cnf").and_then(|c| c.get("jwk")) {
        return PublicJwk::from_json(jwk).ok();
    }
    let subject = match vc.get("credentialSubject")? {
        Value::Array(items) if items.len() == 1 => items.first()?,
        Value::Object(_) => vc.get("credentialSubject")?,
        _ => return None,
    };
    subject
        .get("id")
        .and_then(Value::as_str)
        .and_then(did_jwk_key)
}

fn vc_error(e: VcError) -> VerifyError {
    match e {
        VcError::NonceMismatch => VerifyError::NonceMismatch,
        VcError::AudienceMismatch { found, .. } => VerifyError::AudienceMismatch {
            found: found.join(", "),
        },
        e @ VcError::MissingBindingClaim(_) => VerifyError::HolderBinding(e.to_string()),
        e => VerifyError::IssuerSignature(e.to_string()),
    }
}

fn check_status(
    checked: &Checked,
    fetched: &Fetched,
    ctx: &VerifierContext<'_>,
) -> Result<String, VerifyError> {
    let bytes_of = |url: &str| {
        fetched
            .status_lists
            .get(url)
            .ok_or_else(|| VerifyError::StatusListMissing { url: url.into() })
    };
    match &checked.status {
        // Revocation cannot be checked: fail closed.
        StatusRefs::None => Err(VerifyError::NoStatus),
        StatusRefs::Token(reference) => {
            let url = reference.uri.clone();
            let bytes = bytes_of(&url)?;
            let list_error = |reason: String| VerifyError::StatusList {
                url: url.clone(),
                reason,
            };
            let token = std::str::from_utf8(bytes).map_err(|e| list_error(e.to_string()))?;
            let mut options = kakehashi_status_list::VerifyOptions::at(ctx.now);
            options.skew_seconds = ctx.skew_seconds;
            let token = token.trim();
            let key = status_list_key(token, checked, ctx).map_err(list_error)?;
            let verify = || {
                kakehashi_status_list::verify_status_list_token(
                    token,
                    ctx.provider,
                    &key,
                    &url,
                    &options,
                )
                .map(std::sync::Arc::new)
            };
            let list = match ctx.cache {
                None => verify(),
                Some(cache) => {
                    let cache_key = VerificationCache::status_key(ctx.provider, token, &key, &url);
                    match cache.status(&cache_key) {
                        // Verified and inflated before: only the time rules run again.
                        Some(CachedStatus::Token(list)) => {
                            list.check_times_at(&options).map(|()| list)
                        }
                        _ => verify().inspect(|list| {
                            cache.insert_status(
                                cache_key,
                                CachedStatus::Token(std::sync::Arc::clone(list)),
                            );
                        }),
                    }
                }
            }
            .map_err(|e| list_error(e.to_string()))?;
            match list
                .status(reference, ctx.now)
                .map_err(|e| list_error(e.to_string()))?
            {
                StatusType::Valid => Ok("valid".into()),
                StatusType::Invalid => Err(VerifyError::Revoked { url }),
                StatusType::Suspended => Err(VerifyError::NotValidStatus {
                    url,
                    status: "suspended".into(),
                }),
                other => Err(VerifyError::NotValidStatus {
                    url,
                    status: format!("0x{:02x}", other.value()),
                }),
            }
        }
        StatusRefs::Bitstring(entries) => {
            for entry in entries {
                let url = entry.status_list_credential.clone();
                let bytes = bytes_of(&url)?;
                let list_error = |reason: String| VerifyError::StatusList {
                    url: url.clone(),
                    reason,
                };
                let token = std::str::from_utf8(bytes).map_err(|e| list_error(e.to_string()))?;
                let key = status_list_key(token.trim(), checked, ctx).map_err(list_error)?;
                let verified = match ctx.cache {
                    None => verify_bitstring(token, &key, ctx).map_err(list_error)?,
                    Some(cache) => {
                        let cache_key =
                            VerificationCache::status_key(ctx.provider, token.trim(), &key, &url);
                        match cache.status(&cache_key) {
                            Some(CachedStatus::Bitstring(v)) => {
                                v.check_times_at(ctx.now, ctx.skew_seconds)
                                    .map_err(|e| list_error(e.to_string()))?;
                                v
                            }
                            _ => {
                                let v = verify_bitstring(token, &key, ctx).map_err(list_error)?;
                                cache.insert_status(
                                    cache_key,
                                    CachedStatus::Bitstring(std::sync::Arc::clone(&v)),
                                );
                                v
                            }
                        }
                    }
                };
                let decoded = &verified.decoded;
                let status = decoded
                    .status(entry, ctx.now)
                    .map_err(|e| list_error(e.to_string()))?;
                if !status.valid {
                    return Err(match entry.status_purpose.as_str() {
                        "revocation" => VerifyError::Revoked { url },
                        other => VerifyError::NotValidStatus {
                            url,
                            status: if other == "suspension" {
                                "suspended".into()
                            } else {
                                format!("{other} {}", status.status)
                            },
                        },
                    });
                }
            }
            Ok("valid".into())
        }
    }
}

/// Verifies a Bitstring Status List credential (signature with `key`, time claims, data
/// model) and expands its list: the work a [`VerificationCache`] memoises.
fn verify_bitstring(
    token: &str,
    key: &PublicJwk,
    ctx: &VerifierContext<'_>,
) -> Result<std::sync::Arc<VerifiedBitstring>, String> {
    let options = kakehashi_vc_jose::VerifyOptions::at(ctx.now)
        .with_skew(ctx.skew_seconds)
        .with_key(key);
    let vc = kakehashi_vc_jose::verify_vc_jwt(token, ctx.provider, &options)
        .map_err(|e| e.to_string())?;
    let view = vc.credential();
    let claim = |name: &str| view.document().get(name).cloned();
    let credential =
        BitstringStatusListCredential::from_json(&view.to_value()).map_err(|e| e.to_string())?;
    let options = BitstringOptions {
        skew_seconds: ctx.skew_seconds,
        ..BitstringOptions::default()
    };
    let decoded =
        DecodedBitstringStatusList::new(credential, ctx.now, options).map_err(|e| e.to_string())?;
    Ok(std::sync::Arc::new(VerifiedBitstring {
        iat: claim("iat"),
        exp: claim("exp"),
        nbf: claim("nbf"),
        valid_from: view.valid_from(),
        valid_until: view.valid_until(),
        decoded,
    }))
}

/// The key a status list is checked with. Normally the credential's own key; when the list
/// carries a certificate for another key (the issuer rotated its seal key after issuing the
/// credential), that key — provided its chain is trusted now under the verifier's policy and
/// names the same organisation as the credential's seal. Anything else keeps the credential's
/// key, so a list signed by a stranger fails its signature check.
fn status_list_key(
    token: &str,
    checked: &Checked,
    ctx: &VerifierContext<'_>,
) -> Result<PublicJwk, String> {
    // Only the protected header is read here: the payload (up to megabytes for a large list)
    // is decoded once, by the token's own verification.
    let header = token
        .split_once('.')
        .and_then(|(h, _)| b64::decode(h).ok())
        .and_then(|bytes| kakehashi_jose::parse_json_bounded(&bytes, JsonLimits::DEFAULT).ok())
        .and_then(|v| match v {
            Value::Object(members) => kakehashi_jose::JwsHeader::from_members(members, &[]).ok(),
            _ => None,
        });
    let Some(header) = header else {
        return Ok(checked.issuer_key.clone());
    };
    let chain = match header.x5c() {
        Ok(chain) if !chain.is_empty() => chain,
        _ => return Ok(checked.issuer_key.clone()),
    };
    // The same leaf certificate as the credential's, whose key is the credential's key: the
    // comparison below would find the same thumbprint, without parsing the certificate again.
    if checked.key_from_leaf && checked.chain.first() == chain.first() {
        return Ok(checked.issuer_key.clone());
    }
    let leaf_key = PublicJwk::from_certificate_der(&chain[0])
        .map_err(|e| format!("status list x5c leaf: {e}"))?;
    let thumbprint =
        |k: &PublicJwk| k.thumbprint(ctx.provider, kakehashi_crypto::HashAlgorithm::Sha256);
    if thumbprint(&leaf_key) == thumbprint(&checked.issuer_key) {
        return Ok(checked.issuer_key.clone());
    }
    let decision = evaluate_trust(&chain, ctx, ctx.now).map_err(|e| {
        format!("the status list is signed by another key whose chain is not trusted: {e}")
    })?;
    let list_org = decision
        .leaf()
        .organization_identifier
        .as_ref()
        .map(|o| o.as_string());
    let credential_org = checked
        .chain
        .first()
        .and_then(|der| kakehashi_trust::x509::inspect_certificate(der).ok())
        .and_then(|info| info.organization_identifier)
        .map(|o| o.as_string());
    match (list_org, credential_org) {
        (Some(a), Some(b)) if a == b => Ok(leaf_key),
        (a, b) => Err(format!(
            "the status list is sealed by {} but the credential by {}",
            a.unwrap_or_else(|| "an unnamed organisation".into()),
            b.unwrap_or_else(|| "an unnamed organisation".into())
        )),
    }
}

fn check_trust(checked: &Checked, ctx: &VerifierContext<'_>) -> Result<TrustDecision, VerifyError> {
    for list in ctx.trusted_lists {
        if let Some(next_update) = list.stale_at(ctx.now, ctx.list_grace_seconds) {
            return Err(VerifyError::StaleTrustedList {
                list: list.describe(),
                next_update,
                now: ctx.now,
            });
        }
    }
    if checked.chain.is_empty() {
        return Err(VerifyError::NoCertificateChain);
    }
    evaluate_trust(&checked.chain, ctx, checked.issued_at)
        .map_err(|e| VerifyError::Untrusted(e.to_string()))
}

/// [`kakehashi_trust::evaluate`], with the chain validation memoised when a cache is given:
/// the validation is reused only against the same lists and inside the window of certificate
/// validity it was made in, and the service status at `at` and the policy are evaluated anew.
fn evaluate_trust(
    chain: &[Vec<u8>],
    ctx: &VerifierContext<'_>,
    at: UnixTime,
) -> Result<TrustDecision, kakehashi_trust::TrustError> {
    match ctx.cache {
        None => kakehashi_trust::evaluate(chain, ctx.trusted_lists, ctx.policy, at),
        Some(cache) => {
            let snapshot = kakehashi_trust::snapshot_fingerprint(ctx.trusted_lists);
            let validation =
                cache.validate_chain(ctx.provider, chain, ctx.trusted_lists, snapshot, at)?;
            kakehashi_trust::decide(&validation, ctx.trusted_lists, ctx.policy, at)
        }
    }
}

fn check_authorisation(
    decision: &TrustDecision,
    diploma: &Diploma,
    ctx: &VerifierContext<'_>,
) -> Result<AuthorisationFinding, (VerifyError, AuthorisationFinding)> {
    let refuse = |register: &str, detail: String| {
        Err((
            VerifyError::NotAuthorised(detail.clone()),
            AuthorisationFinding {
                authorised: false,
                register: register.to_owned(),
                detail,
            },
        ))
    };
    let Some(org) = decision.leaf().organization_identifier.as_ref() else {
        return refuse(
            "(none)",
            "the seal certificate has no organizationIdentifier".into(),
        );
    };
    let org = org.as_string();
    let body = &diploma.awarding_body;
    let expected = body.legal_identifier.organization_identifier(&body.country);
    if expected != org {
        return refuse(
            "(none)",
            format!("the seal belongs to {org}, the diploma names {expected} as awarding body"),
        );
    }
    if let Some(university) = decision.authorised_university() {
        return Ok(AuthorisationFinding {
            authorised: true,
            register: "JPlist authorised universities".into(),
            detail: format!("{org}: {university}"),
        });
    }
    if org.starts_with("NTRJP-") {
        return refuse(
            "JPlist authorised universities",
            format!(
                "{org} is not an authorised university under rule {} of the policy",
                decision.rule_id()
            ),
        );
    }
    match ctx.eu_university_register {
        Some(register) if register.contains(&org) => Ok(AuthorisationFinding {
            authorised: true,
            register: "verifier's register of EU universities".into(),
            detail: format!("{org} is a registered higher education institution"),
        }),
        Some(_) => refuse(
            "verifier's register of EU universities",
            format!("{org} is not on the verifier's register of EU universities"),
        ),
        None => refuse(
            "(none)",
            format!(
                "EU trusted lists name trust service providers, not universities, and no \
                 register of EU universities is configured: {org} cannot be confirmed"
            ),
        ),
    }
}

fn check_size_ok(text: &str) -> Result<&str, VerifyError> {
    check_size(text)?;
    Ok(text.trim())
}

fn unverified_part(jwt: &str, index: usize) -> Result<Map<String, Value>, VerifyError> {
    let jwt = check_size_ok(jwt)?;
    let part = jwt
        .split('.')
        .nth(index)
        .ok_or_else(|| VerifyError::Malformed("not a compact JWT".into()))?;
    let bytes = b64::decode(part).map_err(|e| VerifyError::Malformed(e.to_string()))?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(VerifyError::Malformed("JWT part is not an object".into())),
        Err(e) => Err(VerifyError::Malformed(e.to_string())),
    }
}

fn unverified_payload(jwt: &str) -> Result<Map<String, Value>, VerifyError> {
    unverified_part(jwt, 1)
}

fn unverified_header(jwt: &str) -> Result<Map<String, Value>, VerifyError> {
    unverified_part(jwt, 0)
}

fn enveloped_vc_jwt(vp: &Map<String, Value>) -> Result<String, VerifyError> {
    let first = match vp.get("verifiableCredential") {
        Some(Value::Array(items)) => items.first(),
        Some(other) => Some(other),
        None => None,
    }
    .ok_or_else(|| VerifyError::Malformed("no verifiableCredential".into()))?;
    let id = first
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| VerifyError::Malformed("enveloped credential without id".into()))?;
    let enveloped =
        kakehashi_vc_jose::parse_data_url(id).map_err(|e| VerifyError::Malformed(e.to_string()))?;
    Ok(enveloped.data)
}

#[cfg(all(test, feature = "testing"))]
mod tests {
    use kakehashi_crypto::Signer as _;

    use super::*;

    /// What `check_sd_jwt_vc` read before the one-step entry point: the parsed payload's `vct`.
    fn parsed_vct(text: &str) -> Option<String> {
        let payload = SdJwt::parse(text, Limits::DEFAULT)
            .ok()?
            .unverified_payload(JsonLimits::DEFAULT)
            .ok()?;
        payload
            .get("vct")
            .and_then(Value::as_str)
            .map(str::to_owned)
    }

    #[test]
    fn unverified_vct_reads_what_the_parsed_payload_says() {
        let seal = testing::eu_seal();
        let holder = testing::holder();
        let sd = testing::issue_eu(
            &seal,
            &testing::eu_diploma(),
            holder.public_jwk(),
            "https://status.example/1",
            7,
            UnixTime(1_800_000_000),
        );
        let compact = testing::present_eu(
            &sd,
            &holder,
            &["/given_name"],
            "x509_san_dns:verifier.example",
            "n-0S6_WzA2Mj",
            UnixTime(1_800_000_000),
        );
        let json = sd.to_json(false).to_string();
        let (jwt, _) = compact.split_once('~').unwrap();
        let other_payload = format!(
            "{}.{}.{}~",
            jwt.split('.').next().unwrap(),
            b64::encode(br#"{"vct":"urn:other"}"#),
            jwt.rsplit('.').next().unwrap()
        );
        let vct = parsed_vct(&compact);
        assert!(vct.is_some());
        for text in [
            compact.as_str(),
            json.as_str(),
            other_payload.as_str(),
            // Texts `SdJwt::parse` refuses: no vct (the metadata is then never applied).
            jwt,
            "not~an~sd-jwt",
            "{}",
            "",
        ] {
            assert_eq!(unverified_vct(text), parsed_vct(text), "{text}");
        }
        assert_eq!(unverified_vct(&json), vct);
        assert_eq!(unverified_vct(&other_payload).as_deref(), Some("urn:other"));
    }
}
