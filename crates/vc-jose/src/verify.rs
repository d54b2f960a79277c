//! Verifying `application/vc+jwt` and `application/vp+jwt` (VC-JOSE-COSE section 3.1).
//!
//! Order of checks: the securing format is recognised (COSE, SD-JWT and unsecured JSON are
//! refused by name), the JOSE header is parsed and its `typ`/`cty` checked, a key is chosen,
//! the signature is verified, and only then is the authenticated payload read as a
//! credential: data model, JWT time claims, validity period, `iss`, schemas.

use kakehashi_core::{JsonLimits, UnixTime};
use kakehashi_crypto::{CryptoProvider, PublicJwk};
use kakehashi_jose::{JoseError, JwsHeader, JwtTimes, TimeChecks, UnverifiedJws};
use serde_json::{Map, Value};

use crate::error::{VcError, snippet};
use crate::model::{
    CredentialView, PresentationView, PresentedCredential, check_presentation, credential_view,
    parse_date_time_stamp,
};
use crate::schema::{SchemaCheck, SchemaResolver, validate_schemas};

/// Media type (JOSE `typ`) of a credential secured with JOSE.
pub const VC_JWT_TYP: &str = "vc+jwt";
/// Media type (JOSE `typ`) of a presentation secured with JOSE.
pub const VP_JWT_TYP: &str = "vp+jwt";

/// Finds an issuer's (or holder's) public key from the `kid` header and the claimed issuer.
///
/// Implementations hold keys the caller already decided to use (a DID resolution result, a
/// controlled identifier document, a key registry): nothing is fetched here.
pub trait KeyResolver {
    /// The key for `kid` from `issuer`, or `None` when unknown.
    fn resolve(&self, kid: Option<&str>, issuer: Option<&str>) -> Option<PublicJwk>;
}

/// A list of keys matched by `kid`.
impl KeyResolver for Vec<PublicJwk> {
    fn resolve(&self, kid: Option<&str>, _issuer: Option<&str>) -> Option<PublicJwk> {
        let kid = kid?;
        self.iter().find(|k| k.kid() == Some(kid)).cloned()
    }
}

/// Where the verification key came from: the trust layer decides what each one is worth.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeySource {
    /// The caller pinned the key.
    Given,
    /// The caller's [`KeyResolver`] returned it.
    Resolved,
    /// The leaf of the `x5c` header: the signature is only as good as the chain, which the
    /// trust layer must validate ([`VerifiedCredential::certificate_chain`]).
    X5cLeaf,
    /// The `jwk` header: self-asserted, proves only that the token is self-consistent.
    HeaderJwk,
}

/// How to verify: time, keys, schemas and limits.
#[derive(Clone, Copy)]
pub struct VerifyOptions<'a> {
    now: UnixTime,
    skew_seconds: i64,
    limits: JsonLimits,
    key: Option<&'a PublicJwk>,
    resolver: Option<&'a dyn KeyResolver>,
    schemas: Option<&'a dyn SchemaResolver>,
    require_schemas: bool,
}

impl std::fmt::Debug for VerifyOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyOptions")
            .field("now", &self.now)
            .field("skew_seconds", &self.skew_seconds)
            .field("key", &self.key)
            .field("has_resolver", &self.resolver.is_some())
            .field("has_schemas", &self.schemas.is_some())
            .field("require_schemas", &self.require_schemas)
            .finish_non_exhaustive()
    }
}

impl<'a> VerifyOptions<'a> {
    /// Verification at `now` with 60 s clock skew, default JSON limits, keys from the header.
    pub fn at(now: UnixTime) -> Self {
        Self {
            now,
            skew_seconds: 60,
            limits: JsonLimits::DEFAULT,
            key: None,
            resolver: None,
            schemas: None,
            require_schemas: false,
        }
    }

    /// Pins the key of the outermost token (the issuer of a credential, the holder of a
    /// presentation). Header `x5c`/`jwk` must then name the same key.
    pub fn with_key(mut self, key: &'a PublicJwk) -> Self {
        self.key = Some(key);
        self
    }

    /// Resolves keys by `kid` and issuer (also used for credentials inside presentations).
    pub fn with_key_resolver(mut self, resolver: &'a dyn KeyResolver) -> Self {
        self.resolver = Some(resolver);
        self
    }

    /// Validates `credentialSchema` entries with these schemas.
    pub fn with_schemas(mut self, schemas: &'a dyn SchemaResolver) -> Self {
        self.schemas = Some(schemas);
        self
    }

    /// Makes a `credentialSchema` the resolver cannot provide an error instead of a reported
    /// [`crate::SchemaOutcome::NotResolved`].
    pub fn require_schemas(mut self) -> Self {
        self.require_schemas = true;
        self
    }

    /// Sets the tolerated clock difference.
    pub fn with_skew(mut self, seconds: i64) -> Self {
        self.skew_seconds = seconds;
        self
    }

    /// Sets the JSON limits for headers and payloads.
    pub fn with_limits(mut self, limits: JsonLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The time checks run against.
    pub fn now(&self) -> UnixTime {
        self.now
    }
}

/// A credential whose signature, data model, validity period and schemas were checked.
/// Only [`verify_vc_jwt`] builds one.
#[derive(Debug, Clone)]
pub struct VerifiedCredential {
    view: CredentialView,
    header: JwsHeader,
    key: PublicJwk,
    key_source: KeySource,
    certificate_chain: Vec<Vec<u8>>,
    schema_checks: Vec<SchemaCheck>,
}

impl VerifiedCredential {
    /// The credential.
    pub fn credential(&self) -> &CredentialView {
        &self.view
    }

    /// The protected header.
    pub fn header(&self) -> &JwsHeader {
        &self.header
    }

    /// The key that verified the signature.
    pub fn key(&self) -> &PublicJwk {
        &self.key
    }

    /// Where that key came from.
    pub fn key_source(&self) -> &KeySource {
        &self.key_source
    }

    /// The `x5c` chain (DER, leaf first) as sent: untrusted input for the trust layer,
    /// empty when the header had none.
    pub fn certificate_chain(&self) -> &[Vec<u8>] {
        &self.certificate_chain
    }

    /// What happened to each `credentialSchema` entry.
    pub fn schema_checks(&self) -> &[SchemaCheck] {
        &self.schema_checks
    }
}

/// Verifies a compact `vc+jwt`.
pub fn verify_vc_jwt(
    token: &str,
    provider: &CryptoProvider,
    options: &VerifyOptions<'_>,
) -> Result<VerifiedCredential, VcError> {
    let token = token.trim();
    let jws = parse_envelope(token, options, VC_JWT_TYP, "vc")?;
    let (key, key_source, certificate_chain) = select_key(&jws, options, "issuer")?;
    let verified = jws.verify(provider, &key)?;
    let header = verified.header().clone();
    let claims = verified.claims(options.limits)?;
    refuse_legacy_claims(&claims)?;
    check_time_claims(&claims, options)?;
    let view = credential_view(claims)?;
    view.check_validity(options.now, options.skew_seconds)?;
    if let Some(iss) = view.document().get("iss") {
        let iss = iss.as_str().ok_or(JoseError::ClaimType("iss"))?;
        if iss != view.issuer() {
            return Err(VcError::IssuerMismatch {
                property: "issuer",
                iss: snippet(iss),
                expected: snippet(view.issuer()),
            });
        }
    }
    let schema_checks = validate_schemas(&view, options.schemas, options.require_schemas)?;
    Ok(VerifiedCredential {
        view,
        header,
        key,
        key_source,
        certificate_chain,
        schema_checks,
    })
}

/// What a presentation must be bound to: the verifier's challenge and identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HolderBinding<'a> {
    /// `nonce` must equal and `aud` must name the verifier (replay protection).
    Required {
        /// The nonce the verifier issued for this request.
        nonce: &'a str,
        /// The verifier's identifier (client_id).
        audience: &'a str,
    },
    /// No `nonce`/`aud` check: the presentation can be replayed. Only for inspecting stored
    /// presentations and for test suites.
    DangerNotChecked,
}

/// A presentation whose signature, binding and every enveloped credential were verified.
/// Only [`verify_vp_jwt`] builds one.
#[derive(Debug, Clone)]
pub struct VerifiedPresentation {
    view: PresentationView,
    header: JwsHeader,
    key: PublicJwk,
    key_source: KeySource,
    certificate_chain: Vec<Vec<u8>>,
    credentials: Vec<VerifiedCredential>,
    binding_checked: bool,
}

impl VerifiedPresentation {
    /// The presentation.
    pub fn presentation(&self) -> &PresentationView {
        &self.view
    }

    /// The protected header.
    pub fn header(&self) -> &JwsHeader {
        &self.header
    }

    /// The holder key that verified the presentation.
    pub fn key(&self) -> &PublicJwk {
        &self.key
    }

    /// Where the holder key came from.
    pub fn key_source(&self) -> &KeySource {
        &self.key_source
    }

    /// The presentation's `x5c` chain as sent (untrusted).
    pub fn certificate_chain(&self) -> &[Vec<u8>] {
        &self.certificate_chain
    }

    /// The verified credentials, in presentation order.
    pub fn credentials(&self) -> &[VerifiedCredential] {
        &self.credentials
    }

    /// False when verified with [`HolderBinding::DangerNotChecked`].
    pub fn binding_checked(&self) -> bool {
        self.binding_checked
    }
}

/// Verifies a compact `vp+jwt` and each `EnvelopedVerifiableCredential` in it (which must be
/// `application/vc+jwt`). The pinned key in `options` is the holder's; the credentials'
/// keys come from the resolver or their own headers.
pub fn verify_vp_jwt(
    token: &str,
    provider: &CryptoProvider,
    options: &VerifyOptions<'_>,
    binding: HolderBinding<'_>,
) -> Result<VerifiedPresentation, VcError> {
    let token = token.trim();
    let jws = parse_envelope(token, options, VP_JWT_TYP, "vp")?;
    let (key, key_source, certificate_chain) = select_key(&jws, options, "holder")?;
    let verified = jws.verify(provider, &key)?;
    let header = verified.header().clone();
    let claims = verified.claims(options.limits)?;
    refuse_legacy_claims(&claims)?;
    check_time_claims(&claims, options)?;
    let binding_checked = match binding {
        HolderBinding::Required { nonce, audience } => {
            check_binding(&claims, nonce, audience)?;
            true
        }
        HolderBinding::DangerNotChecked => false,
    };
    let document = Value::Object(claims);
    let view = check_presentation(&document)?;
    if let (Some(iss), Some(holder)) = (document.get("iss"), view.holder()) {
        let iss = iss.as_str().ok_or(JoseError::ClaimType("iss"))?;
        if iss != holder {
            return Err(VcError::IssuerMismatch {
                property: "holder",
                iss: snippet(iss),
                expected: snippet(holder),
            });
        }
    }
    let inner_options = VerifyOptions {
        key: None,
        ..*options
    };
    let mut credentials = Vec::with_capacity(view.credentials().len());
    for (index, presented) in view.credentials().iter().enumerate() {
        let wrap = |source: VcError| VcError::PresentedCredential {
            index,
            source: Box::new(source),
        };
        let enveloped = match presented {
            PresentedCredential::Enveloped(e) => e,
            PresentedCredential::Embedded(_) => {
                return Err(wrap(VcError::UnsecuredCredentialInPresentation));
            }
        };
        match enveloped.media_type.as_str() {
            "application/vc+jwt" if enveloped.parameters.is_empty() => {}
            media if media.contains("cose") => {
                return Err(wrap(VcError::CoseUnsupported {
                    media_type: media.to_owned(),
                }));
            }
            media => {
                return Err(wrap(VcError::UnsupportedEnvelopeMediaType {
                    media_type: snippet(media),
                }));
            }
        }
        credentials.push(verify_vc_jwt(&enveloped.data, provider, &inner_options).map_err(wrap)?);
    }
    Ok(VerifiedPresentation {
        view,
        header,
        key,
        key_source,
        certificate_chain,
        credentials,
        binding_checked,
    })
}

/// Recognises the securing format and parses a compact JWS with the expected `typ`/`cty`.
fn parse_envelope(
    token: &str,
    options: &VerifyOptions<'_>,
    typ: &'static str,
    cty: &'static str,
) -> Result<UnverifiedJws, VcError> {
    if token.starts_with('{') {
        return Err(VcError::NotCompactJws(
            "unsecured JSON has no integrity protection",
        ));
    }
    if looks_like_cose(token) {
        return Err(VcError::CoseUnsupported {
            media_type: format!("application/{}", typ.replace("jwt", "cose")),
        });
    }
    if token.contains('~') {
        return Err(VcError::NotCompactJws(
            "SD-JWT (vc+sd-jwt) is verified by the sd-jwt crate",
        ));
    }
    let jws = UnverifiedJws::parse_compact_with(token, options.limits, &[])?;
    let header = jws.header();
    if header.require_typ(typ).is_err() {
        return Err(VcError::WrongMediaType {
            expected: typ,
            found: header.typ().map(snippet),
        });
    }
    if let Some(found) = header.member("cty") {
        let ok = found.as_str().is_some_and(|c| {
            let c = c.to_ascii_lowercase();
            c == cty || c.strip_prefix("application/") == Some(cty)
        });
        if !ok {
            return Err(VcError::WrongContentType {
                expected: cty,
                found: snippet(&found.to_string()),
            });
        }
    }
    Ok(jws)
}

/// COSE_Sign1 as hex (`d284…`) or base64 (`0oR…`): tagged CBOR array of four.
fn looks_like_cose(token: &str) -> bool {
    let lower = token.get(..4).map(str::to_ascii_lowercase);
    !token.contains('.') && (lower.as_deref() == Some("d284") || token.starts_with("0oR"))
}

/// The identifier an unverified token claims to come from, used only to look up a key.
fn claimed_issuer(jws: &UnverifiedJws, limits: JsonLimits, property: &str) -> Option<String> {
    let claims = jws.unverified_claims(limits).ok()?;
    if let Some(iss) = claims.get("iss").and_then(Value::as_str) {
        return Some(iss.to_owned());
    }
    match claims.get(property) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Object(o)) => o.get("id").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    }
}

/// Chooses the verification key: pinned, resolved, `x5c` leaf, then `jwk` header. Header
/// keys must agree with a pinned or resolved key.
fn select_key(
    jws: &UnverifiedJws,
    options: &VerifyOptions<'_>,
    issuer_property: &str,
) -> Result<(PublicJwk, KeySource, Vec<Vec<u8>>), VcError> {
    let header = jws.header();
    let chain = header.x5c()?;
    let leaf = chain
        .first()
        .map(|der| PublicJwk::from_certificate_der(der).map_err(VcError::X5cLeaf))
        .transpose()?;
    let header_jwk = header.jwk()?;
    let chosen = match options.key {
        Some(key) => Some((key.clone(), KeySource::Given)),
        None => options.resolver.and_then(|r| {
            // Only read the unauthenticated payload when a resolver needs the issuer.
            let issuer = claimed_issuer(jws, options.limits, issuer_property);
            r.resolve(header.kid(), issuer.as_deref())
                .map(|k| (k, KeySource::Resolved))
        }),
    };
    let same = |a: &PublicJwk, b: &PublicJwk| a.public_key_bytes() == b.public_key_bytes();
    match chosen {
        Some((key, source)) => {
            if leaf.as_ref().is_some_and(|l| !same(l, &key)) {
                return Err(VcError::HeaderKeyMismatch { member: "x5c" });
            }
            if header_jwk.as_ref().is_some_and(|j| !same(j, &key)) {
                return Err(VcError::HeaderKeyMismatch { member: "jwk" });
            }
            Ok((key, source, chain))
        }
        None => match (leaf, header_jwk) {
            (Some(leaf), jwk) => {
                if jwk.as_ref().is_some_and(|j| !same(j, &leaf)) {
                    return Err(VcError::HeaderKeyMismatch { member: "jwk" });
                }
                Ok((leaf, KeySource::X5cLeaf, chain))
            }
            (None, Some(jwk)) => Ok((jwk, KeySource::HeaderJwk, chain)),
            (None, None) => Err(VcError::NoVerificationKey),
        },
    }
}

fn refuse_legacy_claims(claims: &Map<String, Value>) -> Result<(), VcError> {
    for name in ["vc", "vp"] {
        if claims.contains_key(name) {
            return Err(VcError::LegacyJwtClaim(name));
        }
    }
    Ok(())
}

fn check_time_claims(
    claims: &Map<String, Value>,
    options: &VerifyOptions<'_>,
) -> Result<(), VcError> {
    check_time_values(
        JwtTimes {
            exp: claims.get("exp"),
            nbf: claims.get("nbf"),
            iat: claims.get("iat"),
        },
        options.now,
        options.skew_seconds,
    )
}

/// `exp`, `nbf` and `iat` of a `vc+jwt` / `vp+jwt` as JWT NumericDates at `now`, tolerating
/// `skew_seconds`. An `iat` written as a dateTimeStamp string (as the W3C VC-JOSE-COSE test
/// suite's issuer does) is read as such rather than refused. Public so that a verifier that
/// memoised a verified credential re-checks it at a later time by exactly these rules.
pub fn check_time_values(
    times: JwtTimes<'_>,
    now: UnixTime,
    skew_seconds: i64,
) -> Result<(), VcError> {
    let checks = TimeChecks {
        skew_seconds,
        ..TimeChecks::at(now)
    };
    match times.iat {
        Some(Value::String(text)) => {
            let iat = parse_date_time_stamp(text).ok_or(JoseError::ClaimType("iat"))?;
            if now.saturating_add(skew_seconds) < iat {
                return Err(JoseError::IssuedInFuture { iat, now }.into());
            }
            kakehashi_jose::check_time_values(JwtTimes { iat: None, ..times }, checks)?;
        }
        _ => kakehashi_jose::check_time_values(times, checks)?,
    }
    Ok(())
}

fn check_binding(claims: &Map<String, Value>, nonce: &str, audience: &str) -> Result<(), VcError> {
    match claims.get("nonce") {
        None => return Err(VcError::MissingBindingClaim("nonce")),
        Some(Value::String(n)) if n == nonce => {}
        Some(_) => return Err(VcError::NonceMismatch),
    }
    let found: Vec<String> = match claims.get("aud") {
        None => return Err(VcError::MissingBindingClaim("aud")),
        Some(Value::String(a)) => vec![a.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .map(|a| {
                a.as_str()
                    .map(str::to_owned)
                    .ok_or(JoseError::ClaimType("aud"))
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(JoseError::ClaimType("aud").into()),
    };
    if !found.iter().any(|a| a == audience) {
        return Err(VcError::AudienceMismatch {
            expected: snippet(audience),
            found: found.iter().map(|a| snippet(a)).collect(),
        });
    }
    Ok(())
}
