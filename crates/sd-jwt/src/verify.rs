//! Verification of an SD-JWT or SD-JWT+KB (RFC 9901 sections 7.1 and 7.3).

use kakehashi_core::{JsonLimits, UnixTime, b64};
use kakehashi_crypto::{CryptoProvider, Digest, HashAlgorithm, PublicJwk, SignatureAlgorithm};
use kakehashi_jose::{
    JoseError, JwsHeader, TimeChecks, UnverifiedJws, check_jwt_times, check_time_values,
    numeric_date_value,
};
use serde_json::{Map, Value};

use std::borrow::Cow;

use crate::decode::{ClaimRecord, process, take_sd_alg};
use crate::disclosure::EncodedDigest;
use crate::fast::{self, Fallback, ResolvedKey};
use crate::kb_claims::{KbClaims, Member};
use crate::present::cnf_jwk;
use crate::{ClaimPath, Limits, SdJwt, SdJwtError};

/// Whether the verifier requires Key Binding. Decided by policy, never by whether the
/// holder sent a KB-JWT (RFC 9901 section 7.3 step 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyBinding<'a> {
    /// A KB-JWT must be present, signed by the `cnf` key, for this nonce and audience.
    Required {
        /// The nonce this verifier issued for the transaction.
        nonce: &'a str,
        /// This verifier's identifier.
        audience: &'a str,
    },
    /// No KB-JWT is needed. One that is present is still fully checked (signature, `typ`,
    /// `sd_hash`, `iat` window) and its nonce and audience are returned for the caller.
    NotRequired,
}

/// Policy for one verification. Build with [`VerifyOptions::new`] and adjust fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifyOptions<'a> {
    /// The time of verification.
    pub now: UnixTime,
    /// Tolerated clock difference in seconds for `exp`/`nbf`/`iat`. Default 60.
    pub skew_seconds: i64,
    /// Key Binding policy. Default: not required.
    pub key_binding: KeyBinding<'a>,
    /// How old a KB-JWT may be, in seconds. Default 300: long enough for a user to consent
    /// on a phone, short enough that a captured presentation is soon useless.
    pub kb_max_age_seconds: i64,
    /// The `typ` the Issuer-signed JWT must have, if any.
    pub typ: Option<&'a str>,
    /// Accepted `_sd_alg` values. Default: sha-256, sha-384, sha-512.
    pub allowed_hashes: &'a [HashAlgorithm],
    /// Input budgets.
    pub limits: Limits,
    /// Record every claim's path and source (needed for Type Metadata `sd` rules).
    pub record_claims: bool,
}

/// The hashes accepted by default.
pub const DEFAULT_HASHES: [HashAlgorithm; 3] = [
    HashAlgorithm::Sha256,
    HashAlgorithm::Sha384,
    HashAlgorithm::Sha512,
];

impl<'a> VerifyOptions<'a> {
    /// Defaults at `now`.
    pub fn new(now: UnixTime) -> Self {
        Self {
            now,
            skew_seconds: 60,
            key_binding: KeyBinding::NotRequired,
            kb_max_age_seconds: 300,
            typ: None,
            allowed_hashes: &DEFAULT_HASHES,
            limits: Limits::DEFAULT,
            record_claims: false,
        }
    }
}

/// The checked Key Binding JWT.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedKeyBinding {
    /// `nonce`.
    pub nonce: String,
    /// `aud`.
    pub audience: String,
    /// `iat`.
    pub issued_at: UnixTime,
    /// The `cnf` key that signed it.
    pub holder_key: PublicJwk,
}

/// An SD-JWT whose issuer signature, Disclosures, validity times and (when present or
/// required) Key Binding were checked. Only [`SdJwt::verify`] builds one.
#[derive(Debug, Clone)]
pub struct VerifiedSdJwt {
    pub(crate) header: JwsHeader,
    pub(crate) claims: Map<String, Value>,
    pub(crate) issuer_key: PublicJwk,
    pub(crate) hash: HashAlgorithm,
    pub(crate) disclosed: Vec<ClaimPath>,
    pub(crate) records: Option<Vec<ClaimRecord>>,
    pub(crate) key_binding: Option<VerifiedKeyBinding>,
}

impl VerifiedSdJwt {
    /// The protected header of the Issuer-signed JWT.
    pub fn header(&self) -> &JwsHeader {
        &self.header
    }

    /// The Processed SD-JWT Payload: Disclosures applied, `_sd` and `_sd_alg` removed.
    pub fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }

    /// Takes the processed payload.
    pub fn into_claims(self) -> Map<String, Value> {
        self.claims
    }

    /// The key that verified the issuer signature.
    pub fn issuer_key(&self) -> &PublicJwk {
        &self.issuer_key
    }

    /// The `_sd_alg` in use.
    pub fn hash_algorithm(&self) -> HashAlgorithm {
        self.hash
    }

    /// Paths of the claims that were disclosed through Disclosures, in presented order.
    pub fn disclosed_paths(&self) -> &[ClaimPath] {
        &self.disclosed
    }

    /// Every claim with its source, when [`VerifyOptions::record_claims`] was set.
    pub fn claim_records(&self) -> Option<&[ClaimRecord]> {
        self.records.as_deref()
    }

    /// The checked KB-JWT, if one was presented.
    pub fn key_binding(&self) -> Option<&VerifiedKeyBinding> {
        self.key_binding.as_ref()
    }
}

impl SdJwt {
    /// Parses (with `options.limits`) and verifies in one step: the same checks, result and
    /// errors as [`SdJwt::parse`] followed by [`SdJwt::verify`], which it falls back to for
    /// anything but the usual compact form. That form is read without building `Value`s for
    /// what is only checked (digests, salts, array placeholders), which is most of the work
    /// besides the two signatures.
    pub fn parse_and_verify(
        text: &str,
        provider: &CryptoProvider,
        issuer_key: &PublicJwk,
        options: &VerifyOptions<'_>,
    ) -> Result<VerifiedSdJwt, SdJwtError> {
        match Self::verify_fast(text, provider, issuer_key, options) {
            Ok(result) => result,
            Err(Fallback) => {
                SdJwt::parse(text, options.limits)?.verify(provider, issuer_key, options)
            }
        }
    }

    /// [`SdJwt::parse_and_verify`] without its fallback.
    pub(crate) fn verify_fast(
        text: &str,
        provider: &CryptoProvider,
        issuer_key: &PublicJwk,
        options: &VerifyOptions<'_>,
    ) -> Result<Result<VerifiedSdJwt, SdJwtError>, Fallback> {
        let resolve = |_: &JwsHeader| {
            Ok(ResolvedKey {
                key: Cow::Borrowed(issuer_key),
                untrusted_x5c: Vec::new(),
            })
        };
        fast::verify_compact(text, provider, options, resolve)
            .map(|result| result.map(|(verified, _)| verified))
    }

    /// Verifies with the issuer's public key (already resolved and trusted by the caller).
    ///
    /// Steps: issuer signature (any signature of a general JSON serialization made with
    /// `issuer_key`), `typ`, `_sd_alg`, Disclosures (every rule of RFC 9901 section 7.1),
    /// `exp`/`nbf`/`iat`, then Key Binding (section 7.3).
    pub fn verify(
        self,
        provider: &CryptoProvider,
        issuer_key: &PublicJwk,
        options: &VerifyOptions<'_>,
    ) -> Result<VerifiedSdJwt, SdJwtError> {
        let SdJwt {
            jws,
            disclosures,
            kb_jwt,
            ..
        } = self;
        // The sd_hash input starts with the first signature's JWT (RFC 9901 section 8.1);
        // copied only when another signature of a general JSON serialization may verify.
        let first_jwt = match (&kb_jwt, jws.as_slice()) {
            (Some(_), [first, _, ..]) => Some(first.compact().to_owned()),
            _ => None,
        };
        let mut verified_index = 0;
        let mut first_error = None;
        let mut verified = None;
        for (i, candidate) in jws.into_iter().enumerate() {
            match candidate.verify(provider, issuer_key) {
                Ok(v) => {
                    verified = Some(v);
                    verified_index = i;
                    break;
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        let verified = match (verified, first_error) {
            (Some(v), _) => v,
            (None, Some(e)) => {
                return Err(SdJwtError::Jose {
                    context: "Issuer-signed JWT",
                    source: e,
                });
            }
            (None, None) => return Err(SdJwtError::Malformed("no signature")),
        };
        if let Some(typ) = options.typ {
            verified
                .header()
                .require_typ(typ)
                .map_err(SdJwtError::jose("Issuer-signed JWT"))?;
        }
        let mut claims = verified
            .claims(options.limits.json)
            .map_err(SdJwtError::jose("Issuer-signed JWT"))?;
        let hash = take_sd_alg(&mut claims, options.allowed_hashes)?;
        // `<JWT>~<D1>~...~<DN>~` hashed in parts before the Disclosures are consumed.
        let sd_hash = kb_jwt.as_ref().map(|_| {
            let issuer_jwt = match (&first_jwt, verified_index) {
                (Some(first), i) if i > 0 => first.as_str(),
                _ => verified.compact(),
            };
            let mut parts: Vec<&[u8]> = Vec::with_capacity(2 + 2 * disclosures.len());
            parts.push(issuer_jwt.as_bytes());
            parts.push(b"~");
            for d in &disclosures {
                parts.push(d.encoded().as_bytes());
                parts.push(b"~");
            }
            provider.digest_parts(hash, &parts)
        });
        // Header and key move into the result; only the payload bytes are dropped.
        let (header, _, issuer_key) = verified.into_parts();
        let processed = process(
            claims,
            disclosures,
            provider,
            hash,
            options.limits,
            options.record_claims,
        )?;
        let checks = TimeChecks {
            skew_seconds: options.skew_seconds,
            ..TimeChecks::at(options.now)
        };
        check_jwt_times(&processed.claims, checks).map_err(SdJwtError::jose("SD-JWT"))?;
        let key_binding = match (kb_jwt, sd_hash, options.key_binding) {
            (None, _, KeyBinding::Required { .. }) => return Err(SdJwtError::KbJwtMissing),
            (None, _, KeyBinding::NotRequired) => None,
            (Some(kb), Some(sd_hash), policy) => Some(verify_kb(
                provider,
                &kb,
                &sd_hash,
                &processed.claims,
                options,
                policy,
            )?),
            (Some(_), None, _) => return Err(SdJwtError::Malformed("internal sd_hash input")),
        };
        Ok(VerifiedSdJwt {
            header,
            claims: processed.claims,
            issuer_key,
            hash,
            disclosed: processed.disclosure_paths,
            records: processed.records,
            key_binding,
        })
    }
}

pub(crate) fn verify_kb(
    provider: &CryptoProvider,
    kb: &str,
    expected_sd_hash: &Digest,
    claims: &Map<String, Value>,
    options: &VerifyOptions<'_>,
    policy: KeyBinding<'_>,
) -> Result<VerifiedKeyBinding, SdJwtError> {
    let holder_key = cnf_jwk(claims)?;
    let general = || -> Result<_, SdJwtError> {
        let jws = UnverifiedJws::parse_compact_with(kb, options.limits.json, &[])
            .map_err(SdJwtError::jose("KB-JWT"))?;
        jws.header()
            .require_typ("kb+jwt")
            .map_err(SdJwtError::jose("KB-JWT"))?;
        jws.verify(provider, &holder_key)
            .map_err(SdJwtError::jose("KB-JWT"))
    };
    // Fast paths for the usual header and flat payload; anything else, and every failure,
    // takes the general parse, which gives the exact error (or the same claims).
    let fast_payload = verify_plain_kb_signature(provider, kb, &holder_key, options.limits.json)
        .map_err(SdJwtError::jose("KB-JWT"))?;
    let (verified, parsed_map);
    let kb_claims = match fast_payload
        .as_deref()
        .and_then(|p| KbClaims::parse_flat(p, options.limits.json))
    {
        Some(c) => c,
        None => {
            verified = general()?;
            match KbClaims::parse_flat(verified.payload(), options.limits.json) {
                Some(c) => c,
                None => {
                    parsed_map = verified
                        .claims(options.limits.json)
                        .map_err(SdJwtError::jose("KB-JWT"))?;
                    KbClaims::from_map(&parsed_map)
                }
            }
        }
    };
    let iat = numeric_date_value(kb_claims.times().iat, "iat")
        .map_err(|_| SdJwtError::KbJwtClaim("iat"))?
        .ok_or(SdJwtError::KbJwtClaim("iat"))?;
    let now = options.now;
    let earliest = now.saturating_sub(
        options
            .kb_max_age_seconds
            .saturating_add(options.skew_seconds),
    );
    if iat > now.saturating_add(options.skew_seconds) || iat < earliest {
        return Err(SdJwtError::KbJwtIatOutOfWindow { iat, now });
    }
    fn text<'k>(member: &'k Option<Member<'_>>, name: &'static str) -> Result<&'k str, SdJwtError> {
        member
            .as_ref()
            .and_then(Member::as_str)
            .ok_or(SdJwtError::KbJwtClaim(name))
    }
    let nonce = text(&kb_claims.nonce, "nonce")?;
    let audience = text(&kb_claims.aud, "aud")?;
    let sd_hash = text(&kb_claims.sd_hash, "sd_hash")?;
    if let KeyBinding::Required {
        nonce: n,
        audience: a,
    } = policy
    {
        if nonce != n {
            return Err(SdJwtError::KbJwtNonceMismatch);
        }
        if audience != a {
            return Err(SdJwtError::KbJwtAudienceMismatch {
                found: audience.chars().take(128).collect(),
            });
        }
    }
    // Encoded on the stack and compared as text, as the digests of Disclosures are.
    let expected = EncodedDigest::new(expected_sd_hash.as_ref())
        .ok_or(SdJwtError::Malformed("digest longer than SHA-512"))?;
    if expected.as_bytes() != sd_hash.as_bytes() {
        return Err(SdJwtError::SdHashMismatch);
    }
    let checks = TimeChecks {
        skew_seconds: options.skew_seconds,
        ..TimeChecks::at(now)
    };
    check_time_values(kb_claims.times(), checks).map_err(SdJwtError::jose("KB-JWT"))?;
    Ok(VerifiedKeyBinding {
        nonce: nonce.to_owned(),
        audience: audience.to_owned(),
        issued_at: iat,
        holder_key,
    })
}

/// The header every KB-JWT we produce or have seen has: `alg` and `typ` and nothing else.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PlainKbHeader<'a> {
    alg: &'a str,
    typ: &'a str,
}

/// Checks a KB-JWT's signature without building its header `Map` when the header is
/// exactly `{"alg": <allowed>, "typ": "kb+jwt"}` (unescaped, no duplicates) and every part
/// decodes: the general path's parse and header checks then pass by construction, so a
/// bad signature is the error it would report too. Returns the signed payload; `Ok(None)`
/// for any other input, which the caller re-checks on the general path for the exact error.
fn verify_plain_kb_signature(
    provider: &CryptoProvider,
    kb: &str,
    key: &PublicJwk,
    limits: JsonLimits,
) -> Result<Option<Vec<u8>>, JoseError> {
    let mut parts = kb.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Ok(None);
    };
    let algorithm = b64::with_decoded(h, |bytes| {
        if bytes.len() > limits.max_bytes || limits.max_depth < 1 {
            return None;
        }
        let header: PlainKbHeader<'_> =
            serde_json::from_str(std::str::from_utf8(bytes).ok()?).ok()?;
        if header.typ != "kb+jwt" {
            return None;
        }
        SignatureAlgorithm::from_jose(header.alg).ok()
    })
    .ok()
    .flatten();
    let (Some(algorithm), Ok(payload), Some(signing_input)) =
        (algorithm, b64::decode(p), kb.get(..h.len() + 1 + p.len()))
    else {
        return Ok(None);
    };
    match b64::with_decoded(s, |signature| {
        provider.verify_signature(algorithm, key, signing_input.as_bytes(), signature)
    }) {
        Ok(checked) => checked.map(|()| Some(payload)).map_err(JoseError::from),
        Err(_) => Ok(None),
    }
}
