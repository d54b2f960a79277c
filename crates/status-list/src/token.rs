//! The Status List Token in JWT form (draft-ietf-oauth-status-list section 5.1): signing,
//! verifying and keeping the decoded list.
//!
//! [`verify_status_list_token`] runs every check of section 8.3 that does not need the network
//! (signature with the caller's key, `typ`, required claims, `sub` equal to the reference's
//! `uri`, `iat`/`exp`) and inflates the list once under a hard cap. The result,
//! [`VerifiedStatusList`], is the cache entry: a verifier keeps it and answers lookups from it
//! until [`VerifiedStatusList::freshness`] says to fetch again.

use kakehashi_core::{JsonLimits, UnixTime};
use kakehashi_crypto::{CryptoProvider, PublicJwk, Signer};
use kakehashi_jose::{JoseError, TimeChecks, UnverifiedJws, check_jwt_times, numeric_date};
use serde_json::{Map, Value};

use crate::compress::Compression;
use crate::{DecodeLimits, EncodedStatusList, StatusList, StatusListError, StatusListReference};
use crate::{StatusType, reference::check_uri};

/// The JWT `typ` of a Status List Token.
pub const STATUS_LIST_JWT_TYP: &str = "statuslist+jwt";

/// Nesting of a Status List Token payload: claims, `status_list`, values.
const TOKEN_JSON_DEPTH: usize = 8;

/// What to put in a Status List Token besides the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusListTokenClaims {
    /// The token's own URI; Referenced Tokens carry it as `status.status_list.uri`.
    pub sub: String,
    /// Issuance time.
    pub iat: UnixTime,
    /// Expiry: after it the list must not be relied on (recommended).
    pub exp: Option<UnixTime>,
    /// Seconds a consumer may cache the token before fetching again (recommended, positive).
    pub ttl: Option<u64>,
    /// Optional `iss`.
    pub iss: Option<String>,
    /// Optional `status_list.aggregation_uri`.
    pub aggregation_uri: Option<String>,
}

/// Compresses `list` and signs it as a `statuslist+jwt`. The `kid` of the signer's key, if
/// any, goes in the header, and `sign_compact` adds its certificate chain as `x5c`, so
/// verifiers can resolve the key (also after the issuer rotated its seal key).
pub fn sign_status_list_token(
    list: &StatusList,
    claims: &StatusListTokenClaims,
    compression: Compression,
    signer: &dyn Signer,
) -> Result<String, StatusListError> {
    check_uri(&claims.sub, "sub")?;
    if claims.ttl == Some(0) {
        return Err(StatusListError::Malformed {
            field: "ttl",
            reason: "must be positive",
        });
    }
    let encoded = list.encode(compression, claims.aggregation_uri.as_deref())?;
    let mut payload = Map::new();
    payload.insert("sub".into(), claims.sub.clone().into());
    payload.insert("iat".into(), claims.iat.seconds().into());
    if let Some(exp) = claims.exp {
        payload.insert("exp".into(), exp.seconds().into());
    }
    if let Some(ttl) = claims.ttl {
        payload.insert("ttl".into(), ttl.into());
    }
    if let Some(iss) = &claims.iss {
        payload.insert("iss".into(), iss.clone().into());
    }
    payload.insert("status_list".into(), encoded.to_json());
    let payload = Value::Object(payload).to_string();

    let mut header = Map::new();
    header.insert("typ".into(), STATUS_LIST_JWT_TYP.into());
    if let Some(kid) = signer.public_jwk().kid() {
        header.insert("kid".into(), kid.into());
    }
    Ok(kakehashi_jose::sign_compact(
        header,
        payload.as_bytes(),
        signer,
    )?)
}

/// How a Status List Token is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifyOptions {
    /// The time of the check (or the historical time asked for, section 8.4).
    pub now: UnixTime,
    /// Tolerated clock difference with the Status Issuer, in seconds.
    pub skew_seconds: i64,
    /// Refuse tokens without `exp` (the spec only recommends it).
    pub require_exp: bool,
    /// Size caps for the token and the inflated list.
    pub limits: DecodeLimits,
}

impl VerifyOptions {
    /// Checks at `now` with 60 s skew, optional `exp`, default limits.
    pub fn at(now: UnixTime) -> Self {
        Self {
            now,
            skew_seconds: 60,
            require_exp: false,
            limits: DecodeLimits::DEFAULT,
        }
    }
}

/// Verifies a Status List Token fetched for `expected_uri` (the `uri` of the reference that
/// led to it) and inflates its list.
///
/// The key is the caller's decision (section 11.3: x5c chain, issuer metadata, trusted list);
/// this function never takes a key from the token itself.
pub fn verify_status_list_token(
    token: &str,
    provider: &CryptoProvider,
    key: &PublicJwk,
    expected_uri: &str,
    options: &VerifyOptions,
) -> Result<VerifiedStatusList, StatusListError> {
    let limits = options.limits;
    if token.len() > limits.max_encoded_bytes {
        return Err(StatusListError::EncodedTooLarge {
            size: token.len(),
            limit: limits.max_encoded_bytes,
        });
    }
    let json_limits = JsonLimits {
        max_bytes: limits.max_encoded_bytes,
        max_depth: TOKEN_JSON_DEPTH,
    };
    let jws = UnverifiedJws::parse_compact_with(token, json_limits, &[])?;
    jws.header()
        .require_typ(STATUS_LIST_JWT_TYP)
        .map_err(|e| match e {
            JoseError::WrongType { found, .. } => StatusListError::WrongType {
                expected: STATUS_LIST_JWT_TYP,
                found,
            },
            other => StatusListError::Jose(other),
        })?;
    let verified = jws.verify(provider, key)?;
    let claims = verified.claims(json_limits)?;

    let sub = match claims.get("sub") {
        None => return Err(StatusListError::Missing("sub")),
        Some(Value::String(s)) => s.clone(),
        Some(_) => {
            return Err(StatusListError::Malformed {
                field: "sub",
                reason: "not a string",
            });
        }
    };
    if sub != expected_uri {
        return Err(StatusListError::UriMismatch {
            expected: expected_uri.to_owned(),
            found: sub.chars().take(256).collect(),
        });
    }
    check_times(&claims, options)?;
    let iat = numeric_date(&claims, "iat")?.ok_or(StatusListError::Missing("iat"))?;
    let exp = numeric_date(&claims, "exp")?;
    let nbf = numeric_date(&claims, "nbf")?;
    let ttl = match claims.get("ttl") {
        None => None,
        Some(v) => Some(
            v.as_u64()
                .filter(|t| *t > 0)
                .ok_or(StatusListError::Malformed {
                    field: "ttl",
                    reason: "not a positive integer",
                })?,
        ),
    };
    let encoded = EncodedStatusList::from_json(
        claims
            .get("status_list")
            .ok_or(StatusListError::Missing("status_list"))?,
        limits,
    )?;
    let list = encoded.decode(limits)?;
    Ok(VerifiedStatusList {
        list,
        uri: sub,
        iat,
        exp,
        nbf,
        ttl,
        aggregation_uri: encoded.aggregation_uri,
        fetched_at: options.now,
        skew_seconds: options.skew_seconds,
        key: verified.key().clone(),
    })
}

/// The time rules of section 8.3 at `options.now`: `exp`, `nbf`, `iat` (required).
fn check_times(
    claims: &Map<String, Value>,
    options: &VerifyOptions,
) -> Result<(), StatusListError> {
    let checks = TimeChecks {
        now: options.now,
        skew_seconds: options.skew_seconds,
        require_exp: options.require_exp,
        require_iat: true,
    };
    check_jwt_times(claims, checks).map_err(|e| match e {
        JoseError::Expired { exp, now } => StatusListError::Expired { exp, now },
        JoseError::IssuedInFuture { iat, now } => StatusListError::NotYetValid {
            not_before: iat,
            now,
        },
        JoseError::NotYetValid { nbf, now } => StatusListError::NotYetValid {
            not_before: nbf,
            now,
        },
        JoseError::MissingClaim(name) => StatusListError::Missing(name),
        other => StatusListError::Jose(other),
    })
}

/// Bounds a verifier puts on `ttl`/`exp` before scheduling the next fetch (section 11.6:
/// an issuer must not be able to make verifiers refetch every second, nor cache for years).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CachePolicy {
    /// Never refetch sooner than this after fetching, in seconds.
    pub min_refresh_seconds: i64,
    /// Always refetch at the latest this long after fetching, in seconds.
    pub max_refresh_seconds: i64,
}

impl CachePolicy {
    /// One minute to one day.
    pub const DEFAULT: Self = Self {
        min_refresh_seconds: 60,
        max_refresh_seconds: 86_400,
    };
}

impl Default for CachePolicy {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Whether a cached list may still answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Use it; fetch again at `refresh_at`.
    Fresh { refresh_at: UnixTime },
    /// Still valid, but `ttl` has passed: fetch a fresh copy (the old one may answer while the
    /// fetch runs).
    RefreshDue { refresh_at: UnixTime },
    /// `exp` has passed: the list must not be relied on.
    Expired { exp: UnixTime },
}

/// A verified Status List Token with its inflated list: the decoded-list cache entry.
///
/// Only [`verify_status_list_token`] builds one, so holding it proves the checks ran.
#[derive(Debug, Clone)]
pub struct VerifiedStatusList {
    list: StatusList,
    uri: String,
    iat: UnixTime,
    exp: Option<UnixTime>,
    nbf: Option<UnixTime>,
    ttl: Option<u64>,
    aggregation_uri: Option<String>,
    fetched_at: UnixTime,
    skew_seconds: i64,
    key: PublicJwk,
}

impl VerifiedStatusList {
    /// The inflated list.
    pub fn list(&self) -> &StatusList {
        &self.list
    }

    /// The token's `sub`.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// `iat`.
    pub fn issued_at(&self) -> UnixTime {
        self.iat
    }

    /// `exp`, if present.
    pub fn expires_at(&self) -> Option<UnixTime> {
        self.exp
    }

    /// `nbf`, if present.
    pub fn not_before(&self) -> Option<UnixTime> {
        self.nbf
    }

    /// Checks the token's time rules again at `options.now`, with the same errors
    /// [`verify_status_list_token`] gives there: what a verifier that memoised this entry (the
    /// signature and inflation are done once per token) runs on every use. `sub`, `ttl` and the
    /// list do not depend on the time; `ttl` only says when to fetch again.
    pub fn check_times_at(&self, options: &VerifyOptions) -> Result<(), StatusListError> {
        let mut claims = Map::new();
        claims.insert("iat".into(), self.iat.seconds().into());
        if let Some(exp) = self.exp {
            claims.insert("exp".into(), exp.seconds().into());
        }
        if let Some(nbf) = self.nbf {
            claims.insert("nbf".into(), nbf.seconds().into());
        }
        check_times(&claims, options)
    }

    /// `ttl` in seconds, if present.
    pub fn ttl(&self) -> Option<u64> {
        self.ttl
    }

    /// `status_list.aggregation_uri`, if present.
    pub fn aggregation_uri(&self) -> Option<&str> {
        self.aggregation_uri.as_deref()
    }

    /// The `now` of the verification, taken as the fetch time for `ttl`.
    pub fn fetched_at(&self) -> UnixTime {
        self.fetched_at
    }

    /// The key that verified the token.
    pub fn key(&self) -> &PublicJwk {
        &self.key
    }

    /// When to fetch again (section 12.7): `fetched_at + ttl`, or `exp` without `ttl`, kept
    /// within `policy` and never after `exp`.
    pub fn refresh_at(&self, policy: &CachePolicy) -> UnixTime {
        let ttl = self
            .ttl
            .and_then(|t| i64::try_from(t).ok())
            .unwrap_or(i64::MAX);
        let by_exp = self.exp.map_or(i64::MAX, |exp| {
            exp.seconds().saturating_sub(self.fetched_at.seconds())
        });
        let wait = ttl.min(by_exp).clamp(
            policy.min_refresh_seconds,
            policy.max_refresh_seconds.max(policy.min_refresh_seconds),
        );
        let at = self.fetched_at.saturating_add(wait);
        match self.exp {
            Some(exp) if exp < at => exp,
            _ => at,
        }
    }

    /// Fresh, due for refresh, or expired at `now`.
    pub fn freshness(&self, now: UnixTime, policy: &CachePolicy) -> Freshness {
        if let Some(exp) = self.exp
            && now.saturating_sub(self.skew_seconds) >= exp
        {
            return Freshness::Expired { exp };
        }
        let refresh_at = self.refresh_at(policy);
        if now >= refresh_at {
            Freshness::RefreshDue { refresh_at }
        } else {
            Freshness::Fresh { refresh_at }
        }
    }

    /// The status of the Referenced Token that carries `reference`, at `now` (section 8.3
    /// steps 4a, 4c, 6, 7): the list must be the one the reference names, not expired, and
    /// the index inside it.
    pub fn status(
        &self,
        reference: &StatusListReference,
        now: UnixTime,
    ) -> Result<StatusType, StatusListError> {
        if reference.uri != self.uri {
            return Err(StatusListError::UriMismatch {
                expected: reference.uri.clone(),
                found: self.uri.clone(),
            });
        }
        if let Some(exp) = self.exp
            && now.saturating_sub(self.skew_seconds) >= exp
        {
            return Err(StatusListError::Expired { exp, now });
        }
        Ok(StatusType::from(self.list.get(reference.idx)?))
    }
}

#[cfg(test)]
mod tests {
    use kakehashi_crypto::SignatureAlgorithm;
    use kakehashi_crypto_aws_lc::{SoftwareSigner, provider};

    use super::*;
    use crate::Bits;

    const URI: &str = "https://example.com/statuslists/1";

    fn claims() -> StatusListTokenClaims {
        StatusListTokenClaims {
            sub: URI.into(),
            iat: UnixTime(1_686_920_170),
            exp: Some(UnixTime(2_291_720_170)),
            ttl: Some(43_200),
            iss: Some("https://example.com".into()),
            aggregation_uri: None,
        }
    }

    fn sample_list() -> StatusList {
        let mut list = StatusList::new(Bits::Two, 1024).unwrap();
        list.set(7, 1).unwrap();
        list.set(8, 2).unwrap();
        list.set(1023, 3).unwrap();
        list
    }

    fn signer() -> SoftwareSigner {
        SoftwareSigner::generate(SignatureAlgorithm::Es256)
            .unwrap()
            .with_kid("12")
    }

    #[test]
    fn sign_verify_lookup() {
        let signer = signer();
        let token =
            sign_status_list_token(&sample_list(), &claims(), Compression::BEST, &signer).unwrap();
        let now = UnixTime(1_700_000_000);
        let verified = verify_status_list_token(
            &token,
            &provider(),
            signer.public_jwk(),
            URI,
            &VerifyOptions::at(now),
        )
        .unwrap();
        assert_eq!(verified.list(), &sample_list());
        assert_eq!(verified.uri(), URI);
        assert_eq!(verified.ttl(), Some(43_200));
        let reference = |idx| StatusListReference {
            idx,
            uri: URI.into(),
        };
        assert_eq!(verified.status(&reference(0), now), Ok(StatusType::Valid));
        assert_eq!(verified.status(&reference(7), now), Ok(StatusType::Invalid));
        assert_eq!(
            verified.status(&reference(8), now),
            Ok(StatusType::Suspended)
        );
        assert_eq!(
            verified.status(&reference(1023), now),
            Ok(StatusType::ApplicationSpecific(3))
        );
        assert_eq!(
            verified.status(&reference(1024), now),
            Err(StatusListError::IndexOutOfRange {
                index: 1024,
                len: 1024
            })
        );
        let other = StatusListReference {
            idx: 0,
            uri: "https://example.com/statuslists/2".into(),
        };
        assert!(matches!(
            verified.status(&other, now),
            Err(StatusListError::UriMismatch { .. })
        ));
        assert!(matches!(
            verified.status(&reference(0), UnixTime(2_291_720_170 + 61)),
            Err(StatusListError::Expired { .. })
        ));
        let header = UnverifiedJws::parse_compact(&token).unwrap();
        assert_eq!(header.header().kid(), Some("12"));
        assert_eq!(header.header().typ(), Some("statuslist+jwt"));
    }

    #[test]
    fn refuses_bad_tokens() {
        let signer = signer();
        let now = UnixTime(1_700_000_000);
        let key = signer.public_jwk().clone();
        let verify = |token: &str, uri: &str, options: VerifyOptions| {
            verify_status_list_token(token, &provider(), &key, uri, &options)
        };
        let good =
            sign_status_list_token(&sample_list(), &claims(), Compression::FAST, &signer).unwrap();

        // sub must equal the reference's uri.
        assert!(matches!(
            verify(
                &good,
                "https://example.com/statuslists/2",
                VerifyOptions::at(now)
            ),
            Err(StatusListError::UriMismatch { .. })
        ));
        // Expired and issued in the future.
        assert!(matches!(
            verify(&good, URI, VerifyOptions::at(UnixTime(2_291_720_170 + 60))),
            Err(StatusListError::Expired { .. })
        ));
        assert!(matches!(
            verify(&good, URI, VerifyOptions::at(UnixTime(1_600_000_000))),
            Err(StatusListError::NotYetValid { .. })
        ));
        // Another key.
        let other = SoftwareSigner::generate(SignatureAlgorithm::Es256).unwrap();
        assert!(matches!(
            verify_status_list_token(
                &good,
                &provider(),
                other.public_jwk(),
                URI,
                &VerifyOptions::at(now)
            ),
            Err(StatusListError::Jose(_))
        ));
        // Tampered payload.
        let parts: Vec<&str> = good.split('.').collect();
        let tampered = format!(
            "{}.{}.{}",
            parts[0],
            kakehashi_core::b64::encode(br#"{"sub":"https://example.com/statuslists/1"}"#),
            parts[2]
        );
        assert!(verify(&tampered, URI, VerifyOptions::at(now)).is_err());
        // Oversized token.
        let tight = VerifyOptions {
            limits: DecodeLimits {
                max_encoded_bytes: 100,
                ..DecodeLimits::DEFAULT
            },
            ..VerifyOptions::at(now)
        };
        assert!(matches!(
            verify(&good, URI, tight),
            Err(StatusListError::EncodedTooLarge { .. })
        ));
        // Inflated list over the cap.
        let small = VerifyOptions {
            limits: DecodeLimits {
                max_decompressed_bytes: 10,
                ..DecodeLimits::DEFAULT
            },
            ..VerifyOptions::at(now)
        };
        assert_eq!(
            verify(&good, URI, small).unwrap_err(),
            StatusListError::DecompressedTooLarge { limit: 10 }
        );
        // exp required by policy.
        let no_exp = StatusListTokenClaims {
            exp: None,
            ..claims()
        };
        let token =
            sign_status_list_token(&sample_list(), &no_exp, Compression::FAST, &signer).unwrap();
        assert!(verify(&token, URI, VerifyOptions::at(now)).is_ok());
        let strict = VerifyOptions {
            require_exp: true,
            ..VerifyOptions::at(now)
        };
        assert_eq!(
            verify(&token, URI, strict).unwrap_err(),
            StatusListError::Missing("exp")
        );
    }

    /// Tokens built by hand, to reach the checks the signing function never produces.
    #[test]
    fn refuses_wrong_typ_and_claims() {
        let signer = signer();
        let now = UnixTime(1_700_000_000);
        let lst = serde_json::json!({"bits": 1, "lst": "eNrbuRgAAhcBXQ"});
        let sign = |typ: Option<&str>, payload: Value| {
            let mut header = Map::new();
            if let Some(t) = typ {
                header.insert("typ".into(), t.into());
            }
            kakehashi_jose::sign_compact(header, payload.to_string().as_bytes(), &signer).unwrap()
        };
        let verify = |token: &str| {
            verify_status_list_token(
                token,
                &provider(),
                signer.public_jwk(),
                URI,
                &VerifyOptions::at(now),
            )
        };
        let full = serde_json::json!({"sub": URI, "iat": 1, "status_list": lst});
        assert!(verify(&sign(Some("statuslist+jwt"), full.clone())).is_ok());
        assert!(
            verify(&sign(Some("application/statuslist+jwt"), full.clone())).is_ok(),
            "RFC 7515: the application/ prefix may be present"
        );
        assert_eq!(
            verify(&sign(Some("JWT"), full.clone())).unwrap_err(),
            StatusListError::WrongType {
                expected: "statuslist+jwt",
                found: Some("JWT".into())
            }
        );
        assert!(matches!(
            verify(&sign(None, full.clone())),
            Err(StatusListError::WrongType { found: None, .. })
        ));
        for (payload, expected) in [
            (
                serde_json::json!({"iat": 1, "status_list": lst}),
                "Missing(\"sub\")",
            ),
            (
                serde_json::json!({"sub": URI, "status_list": lst}),
                "Missing(\"iat\")",
            ),
            (
                serde_json::json!({"sub": URI, "iat": 1}),
                "Missing(\"status_list\")",
            ),
            (
                serde_json::json!({"sub": 5, "iat": 1, "status_list": lst}),
                "Malformed",
            ),
            (
                serde_json::json!({"sub": URI, "iat": "1", "status_list": lst}),
                "Jose",
            ),
            (
                serde_json::json!({"sub": URI, "iat": 1, "ttl": 0, "status_list": lst}),
                "Malformed",
            ),
            (
                serde_json::json!({"sub": URI, "iat": 1, "ttl": -5, "status_list": lst}),
                "Malformed",
            ),
            (
                serde_json::json!({"sub": URI, "iat": 1, "status_list": {"bits": 3, "lst": "eNrbuRgAAhcBXQ"}}),
                "BadBits(3)",
            ),
        ] {
            let err = verify(&sign(Some("statuslist+jwt"), payload.clone())).unwrap_err();
            assert!(
                format!("{err:?}").starts_with(expected),
                "{payload} -> {err:?}"
            );
        }
    }

    #[test]
    fn freshness_follows_ttl_and_exp() {
        let signer = signer();
        let fetched = UnixTime(1_700_000_000);
        let verify_with = |c: &StatusListTokenClaims| {
            let token =
                sign_status_list_token(&sample_list(), c, Compression::FAST, &signer).unwrap();
            verify_status_list_token(
                &token,
                &provider(),
                signer.public_jwk(),
                URI,
                &VerifyOptions::at(fetched),
            )
            .unwrap()
        };
        let policy = CachePolicy::DEFAULT;
        let v = verify_with(&claims());
        assert_eq!(v.refresh_at(&policy), fetched.saturating_add(43_200));
        assert_eq!(
            v.freshness(fetched.saturating_add(100), &policy),
            Freshness::Fresh {
                refresh_at: fetched.saturating_add(43_200)
            }
        );
        assert!(matches!(
            v.freshness(fetched.saturating_add(43_200), &policy),
            Freshness::RefreshDue { .. }
        ));
        assert!(matches!(
            v.freshness(UnixTime(2_291_720_170 + 61), &policy),
            Freshness::Expired { .. }
        ));
        // A hostile ttl of one second is raised to the policy minimum; a huge one lowered.
        let v = verify_with(&StatusListTokenClaims {
            ttl: Some(1),
            ..claims()
        });
        assert_eq!(v.refresh_at(&policy), fetched.saturating_add(60));
        let v = verify_with(&StatusListTokenClaims {
            ttl: Some(u64::MAX),
            ..claims()
        });
        assert_eq!(v.refresh_at(&policy), fetched.saturating_add(86_400));
        // Without ttl: exp, but never past it.
        let v = verify_with(&StatusListTokenClaims {
            ttl: None,
            exp: Some(fetched.saturating_add(3_600)),
            ..claims()
        });
        assert_eq!(v.refresh_at(&policy), fetched.saturating_add(3_600));
        let v = verify_with(&StatusListTokenClaims {
            ttl: Some(7_200),
            exp: Some(fetched.saturating_add(600)),
            ..claims()
        });
        assert_eq!(v.refresh_at(&policy), fetched.saturating_add(600));
    }

    #[test]
    fn signing_refuses_bad_claims() {
        let signer = signer();
        let bad_ttl = StatusListTokenClaims {
            ttl: Some(0),
            ..claims()
        };
        assert!(
            sign_status_list_token(&sample_list(), &bad_ttl, Compression::FAST, &signer).is_err()
        );
        let bad_sub = StatusListTokenClaims {
            sub: "not a uri".into(),
            ..claims()
        };
        assert!(
            sign_status_list_token(&sample_list(), &bad_sub, Compression::FAST, &signer).is_err()
        );
    }
}
