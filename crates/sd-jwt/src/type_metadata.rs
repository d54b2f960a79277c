//! SD-JWT VC Type Metadata (draft-ietf-oauth-sd-jwt-vc section 5): parsing, `extends`
//! resolution through a caller-provided resolver, integrity (`#integrity`, W3C SRI syntax),
//! merging, `sd` rule checks and bilingual labels.

use std::collections::HashSet;

use kakehashi_core::{JsonLimits, LangMap, LanguageTag, b64, json};
use kakehashi_crypto::{CryptoProvider, HashAlgorithm};
use serde_json::{Map, Value};

use crate::{ClaimPath, ClaimRecord, ClaimSource, PathSegment, SdJwtError};

/// Longest `extends` chain followed. 5: the draft's examples use one level; an EU ecosystem
/// plausibly stacks generic PID -> national PID -> sector profile -> issuer profile (4). Each
/// level is a network fetch by the edge, so the cap also bounds work an issuer can cause.
pub const MAX_EXTENDS_DEPTH: usize = 5;

/// Whether a claim may, must or must not be selectively disclosable (section 5.6.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SdRule {
    /// Must be selectively disclosable.
    Always,
    /// May be (the default).
    Allowed,
    /// Must not be.
    Never,
}

impl SdRule {
    fn name(self) -> &'static str {
        match self {
            SdRule::Always => "always",
            SdRule::Allowed => "allowed",
            SdRule::Never => "never",
        }
    }
}

/// One component of a claim metadata path (section 5.6.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathPattern {
    /// An object member.
    Key(String),
    /// An array position.
    Index(usize),
    /// `null`: every element of an array.
    AnyElement,
}

/// Display information for the type in one locale.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeDisplay {
    pub locale: LanguageTag,
    pub name: String,
    pub description: Option<String>,
    /// Rendering methods (`simple`, `svg_templates`) as given; the wallet UI interprets them.
    pub rendering: Option<Value>,
}

/// A claim's label in one locale.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimDisplay {
    pub locale: LanguageTag,
    pub label: String,
    pub description: Option<String>,
}

/// Metadata for the claims a path selects.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimMetadata {
    pub path: Vec<PathPattern>,
    pub display: Option<Vec<ClaimDisplay>>,
    pub mandatory: Option<bool>,
    pub sd: Option<SdRule>,
    pub svg_id: Option<String>,
}

/// One Type Metadata document.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeMetadata {
    pub vct: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub extends: Option<String>,
    pub extends_integrity: Option<String>,
    pub display: Option<Vec<TypeDisplay>>,
    pub claims: Option<Vec<ClaimMetadata>>,
}

fn bad(msg: impl Into<String>) -> SdJwtError {
    SdJwtError::TypeMetadata(msg.into())
}

fn opt_str(obj: &Map<String, Value>, name: &str) -> Result<Option<String>, SdJwtError> {
    match obj.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(bad(format!("\"{name}\" is not a string"))),
    }
}

fn locale(obj: &Map<String, Value>) -> Result<LanguageTag, SdJwtError> {
    // `locale` since draft -09; `lang` in earlier drafts and deployed metadata.
    let text = opt_str(obj, "locale")?
        .or(opt_str(obj, "lang")?)
        .ok_or_else(|| bad("display entry without \"locale\""))?;
    LanguageTag::parse(&text).map_err(|e| bad(e.to_string()))
}

impl TypeMetadata {
    /// Parses a document. Unknown members are ignored (section 5.2).
    pub fn parse(bytes: &[u8], limits: JsonLimits) -> Result<Self, SdJwtError> {
        let obj = json::parse_object(bytes, limits).map_err(SdJwtError::json("type metadata"))?;
        let vct = opt_str(&obj, "vct")?.ok_or_else(|| bad("missing \"vct\""))?;
        let display = match obj.get("display") {
            None => None,
            Some(Value::Array(items)) => Some(
                items
                    .iter()
                    .map(|d| {
                        let d = d
                            .as_object()
                            .ok_or_else(|| bad("display entry is not an object"))?;
                        Ok(TypeDisplay {
                            locale: locale(d)?,
                            name: opt_str(d, "name")?
                                .ok_or_else(|| bad("display entry without \"name\""))?,
                            description: opt_str(d, "description")?,
                            rendering: match d.get("rendering") {
                                None => None,
                                Some(r @ Value::Object(_)) => Some(r.clone()),
                                Some(_) => return Err(bad("\"rendering\" is not an object")),
                            },
                        })
                    })
                    .collect::<Result<Vec<_>, SdJwtError>>()?,
            ),
            Some(_) => return Err(bad("\"display\" is not an array")),
        };
        let claims = match obj.get("claims") {
            None => None,
            Some(Value::Array(items)) => {
                let claims = items
                    .iter()
                    .map(parse_claim)
                    .collect::<Result<Vec<_>, _>>()?;
                let mut ids = HashSet::new();
                for id in claims.iter().filter_map(|c| c.svg_id.as_deref()) {
                    if !ids.insert(id) {
                        return Err(bad(format!("duplicate svg_id {id:?}")));
                    }
                }
                Some(claims)
            }
            Some(_) => return Err(bad("\"claims\" is not an array")),
        };
        Ok(Self {
            vct,
            name: opt_str(&obj, "name")?,
            description: opt_str(&obj, "description")?,
            extends: opt_str(&obj, "extends")?,
            extends_integrity: opt_str(&obj, "extends#integrity")?,
            display,
            claims,
        })
    }
}

fn parse_claim(value: &Value) -> Result<ClaimMetadata, SdJwtError> {
    let c = value
        .as_object()
        .ok_or_else(|| bad("claim metadata is not an object"))?;
    let path = match c.get("path") {
        Some(Value::Array(items)) if !items.is_empty() => items
            .iter()
            .map(|p| match p {
                Value::String(s) => Ok(PathPattern::Key(s.clone())),
                Value::Null => Ok(PathPattern::AnyElement),
                Value::Number(n) => n
                    .as_u64()
                    .and_then(|i| usize::try_from(i).ok())
                    .map(PathPattern::Index)
                    .ok_or_else(|| bad("path index is not a non-negative integer")),
                _ => Err(bad("path component is not a string, null or index")),
            })
            .collect::<Result<Vec<_>, _>>()?,
        _ => return Err(bad("claim \"path\" must be a non-empty array")),
    };
    let display = match c.get("display") {
        None => None,
        Some(Value::Array(items)) => Some(
            items
                .iter()
                .map(|d| {
                    let d = d
                        .as_object()
                        .ok_or_else(|| bad("claim display is not an object"))?;
                    Ok(ClaimDisplay {
                        locale: locale(d)?,
                        label: opt_str(d, "label")?
                            .ok_or_else(|| bad("claim display without \"label\""))?,
                        description: opt_str(d, "description")?,
                    })
                })
                .collect::<Result<Vec<_>, SdJwtError>>()?,
        ),
        Some(_) => return Err(bad("claim \"display\" is not an array")),
    };
    let sd = match c.get("sd") {
        None => None,
        Some(Value::String(s)) => Some(match s.as_str() {
            "always" => SdRule::Always,
            "allowed" => SdRule::Allowed,
            "never" => SdRule::Never,
            _ => return Err(bad("\"sd\" must be always, allowed or never")),
        }),
        Some(_) => return Err(bad("\"sd\" is not a string")),
    };
    let mandatory = match c.get("mandatory") {
        None => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => return Err(bad("\"mandatory\" is not a boolean")),
    };
    let svg_id = opt_str(c, "svg_id")?;
    if let Some(id) = &svg_id {
        let ok = id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            && id.bytes().next().is_some_and(|b| !b.is_ascii_digit());
        if !ok {
            return Err(bad(format!("invalid svg_id {id:?}")));
        }
    }
    Ok(ClaimMetadata {
        path,
        display,
        mandatory,
        sd,
        svg_id,
    })
}

/// Fetches Type Metadata documents for a URI (the edge does HTTPS, caching, registries).
pub trait TypeMetadataResolver {
    /// The document bytes for `uri`, exactly as retrieved (integrity is over these bytes).
    fn resolve(&mut self, uri: &str) -> Result<Vec<u8>, String>;
}

/// Checks `bytes` against an SRI integrity string (`sha256-<base64> ...`, section 6): the
/// strongest supported algorithm present decides; any of its values may match.
pub fn check_integrity(
    provider: &CryptoProvider,
    bytes: &[u8],
    integrity: &str,
    what: &str,
) -> Result<(), SdJwtError> {
    let mismatch = || SdJwtError::IntegrityMismatch(what.chars().take(256).collect());
    let mut candidates: Vec<(HashAlgorithm, Vec<u8>)> = Vec::new();
    for expr in integrity.split_ascii_whitespace() {
        let expr = expr.split('?').next().unwrap_or_default();
        let Some((alg, value)) = expr.split_once('-') else {
            continue;
        };
        let alg = match alg {
            "sha256" => HashAlgorithm::Sha256,
            "sha384" => HashAlgorithm::Sha384,
            "sha512" => HashAlgorithm::Sha512,
            _ => continue,
        };
        let digest = b64::decode_std_lenient(value).map_err(|_| mismatch())?;
        candidates.push((alg, digest));
    }
    let strength = |h: HashAlgorithm| h.output_len();
    let best = candidates
        .iter()
        .map(|(h, _)| strength(*h))
        .max()
        .ok_or_else(mismatch)?;
    let mut computed = None;
    for (alg, expected) in candidates.iter().filter(|(h, _)| strength(*h) == best) {
        let actual = computed.get_or_insert_with(|| provider.digest(*alg, bytes));
        if actual == expected {
            return Ok(());
        }
    }
    Err(mismatch())
}

/// Type Metadata with its `extends` chain resolved and merged (sections 5.4, 5.5.2, 5.6.5).
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedTypeMetadata {
    vct: String,
    chain: Vec<String>,
    name: Option<String>,
    description: Option<String>,
    display: Vec<TypeDisplay>,
    claims: Vec<ClaimMetadata>,
}

impl ResolvedTypeMetadata {
    /// Resolves `vct` (checking `vct#integrity` when given) and every type it extends.
    pub fn resolve(
        vct: &str,
        vct_integrity: Option<&str>,
        resolver: &mut dyn TypeMetadataResolver,
        provider: &CryptoProvider,
        limits: JsonLimits,
    ) -> Result<Self, SdJwtError> {
        let mut docs = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        let mut next = Some((vct.to_owned(), vct_integrity.map(str::to_owned)));
        while let Some((uri, integrity)) = next.take() {
            if !seen.insert(uri.clone()) {
                return Err(SdJwtError::ExtendsCycle(uri));
            }
            if docs.len() == MAX_EXTENDS_DEPTH {
                return Err(bad(format!(
                    "\"extends\" chain longer than {MAX_EXTENDS_DEPTH}"
                )));
            }
            let bytes = resolver
                .resolve(&uri)
                .map_err(|reason| SdJwtError::Resolve {
                    uri: uri.clone(),
                    reason,
                })?;
            if let Some(integrity) = &integrity {
                check_integrity(provider, &bytes, integrity, &uri)?;
            }
            let doc = TypeMetadata::parse(&bytes, limits)?;
            if doc.vct != uri {
                return Err(bad(format!(
                    "document for {uri:?} declares vct {:?}",
                    doc.vct
                )));
            }
            next = doc
                .extends
                .clone()
                .map(|e| (e, doc.extends_integrity.clone()));
            docs.push(doc);
        }
        Self::merge(docs)
    }

    /// Merges documents given child first (as resolved).
    pub fn merge(docs: Vec<TypeMetadata>) -> Result<Self, SdJwtError> {
        let chain: Vec<String> = docs.iter().map(|d| d.vct.clone()).collect();
        let mut iter = docs.into_iter().rev();
        let Some(root) = iter.next() else {
            return Err(bad("no document"));
        };
        let mut merged = Self {
            vct: root.vct,
            chain,
            name: root.name,
            description: root.description,
            display: root.display.unwrap_or_default(),
            claims: root.claims.unwrap_or_default(),
        };
        for child in iter {
            merged.vct = child.vct;
            merged.name = child.name;
            merged.description = child.description;
            if let Some(display) = child.display {
                merged.display = display;
            }
            for claim in child.claims.unwrap_or_default() {
                match merged.claims.iter_mut().find(|c| c.path == claim.path) {
                    None => merged.claims.push(claim),
                    Some(base) => {
                        let fixed = matches!(base.sd, Some(SdRule::Always | SdRule::Never));
                        let sd_changed = claim.sd.is_some() && claim.sd != base.sd;
                        let unmandatory =
                            base.mandatory == Some(true) && claim.mandatory == Some(false);
                        if (fixed && sd_changed) || unmandatory {
                            return Err(SdJwtError::IllegalOverride {
                                path: pattern_string(&claim.path),
                            });
                        }
                        base.display = claim.display.or(base.display.take());
                        base.sd = claim.sd.or(base.sd);
                        base.mandatory = claim.mandatory.or(base.mandatory);
                        base.svg_id = claim.svg_id.or(base.svg_id.take());
                    }
                }
            }
        }
        Ok(merged)
    }

    /// The credential type.
    pub fn vct(&self) -> &str {
        &self.vct
    }

    /// The type and the types it extends, child first.
    pub fn chain(&self) -> &[String] {
        &self.chain
    }

    /// Display entries in effect (the child's, or inherited when the child has none).
    pub fn display(&self) -> &[TypeDisplay] {
        &self.display
    }

    /// Claim metadata in effect.
    pub fn claims(&self) -> &[ClaimMetadata] {
        &self.claims
    }

    /// The type's display name for `lang` (exact tag, same language, English, any).
    pub fn type_name(&self, lang: &str) -> Option<String> {
        let map = LangMap(
            self.display
                .iter()
                .map(|d| (d.locale.clone(), d.name.clone()))
                .collect(),
        );
        map.best(lang).map(str::to_owned)
    }

    /// The label of the claim at `path` for `lang` (`en`, `ja`, ...): the first claim
    /// metadata whose path matches (`null` matching any index).
    pub fn claim_label(&self, path: &ClaimPath, lang: &str) -> Option<String> {
        let claim = self
            .claims
            .iter()
            .find(|c| c.display.is_some() && pattern_matches(&c.path, &path.0))?;
        let map = LangMap(
            claim
                .display
                .iter()
                .flatten()
                .map(|d| (d.locale.clone(), d.label.clone()))
                .collect(),
        );
        map.best(lang).map(str::to_owned)
    }

    /// Checks a credential's claims against the claim metadata (section 5.6): paths must fit
    /// the payload, `sd: always` claims must come from Disclosures, `sd: never` claims must
    /// not. `records` are the claims as issued ([`crate::VerifiedSdJwt::claim_records`]).
    pub fn check_credential(
        &self,
        claims: &Map<String, Value>,
        records: &[ClaimRecord],
    ) -> Result<(), SdJwtError> {
        for c in &self.claims {
            check_path_fits(claims, &c.path)?;
            let rule = c.sd.unwrap_or(SdRule::Allowed);
            for r in records
                .iter()
                .filter(|r| pattern_matches(&c.path, &r.path.0))
            {
                let violated = match rule {
                    SdRule::Always => r.source == ClaimSource::Plain,
                    SdRule::Never => r.source != ClaimSource::Plain,
                    SdRule::Allowed => false,
                };
                if violated {
                    return Err(SdJwtError::SdRuleViolation {
                        path: r.path.to_string(),
                        rule: rule.name(),
                    });
                }
            }
        }
        Ok(())
    }

    /// For a holder with every Disclosure: each `mandatory` claim must be present.
    pub fn check_mandatory(&self, records: &[ClaimRecord]) -> Result<(), SdJwtError> {
        for c in self.claims.iter().filter(|c| c.mandatory == Some(true)) {
            if !records.iter().any(|r| pattern_matches(&c.path, &r.path.0)) {
                return Err(bad(format!(
                    "mandatory claim {} is missing",
                    pattern_string(&c.path)
                )));
            }
        }
        Ok(())
    }
}

fn pattern_matches(pattern: &[PathPattern], path: &[PathSegment]) -> bool {
    pattern.len() == path.len()
        && pattern.iter().zip(path).all(|(p, s)| match (p, s) {
            (PathPattern::Key(a), PathSegment::Key(b)) => a == b,
            (PathPattern::Index(a), PathSegment::Index(b)) => a == b,
            (PathPattern::AnyElement, PathSegment::Index(_)) => true,
            _ => false,
        })
}

fn pattern_string(pattern: &[PathPattern]) -> String {
    let parts: Vec<String> = pattern
        .iter()
        .map(|p| match p {
            PathPattern::Key(k) => format!("{k:?}"),
            PathPattern::Index(i) => i.to_string(),
            PathPattern::AnyElement => "null".into(),
        })
        .collect();
    format!("[{}]", parts.join(","))
}

/// Section 5.6.1.2: a string selects through objects, null/index through arrays; anything
/// else is an error.
fn check_path_fits(claims: &Map<String, Value>, pattern: &[PathPattern]) -> Result<(), SdJwtError> {
    let root = [ValueRef::Object(claims)];
    let mut selected: Vec<ValueRef<'_>> = root.to_vec();
    for p in pattern {
        let mut next = Vec::new();
        for v in &selected {
            match (p, v) {
                (PathPattern::Key(k), ValueRef::Object(m)) => {
                    next.extend(m.get(k).map(ValueRef::of))
                }
                (PathPattern::Key(k), ValueRef::Value(Value::Object(m))) => {
                    next.extend(m.get(k).map(ValueRef::of))
                }
                (PathPattern::AnyElement, ValueRef::Value(Value::Array(a))) => {
                    next.extend(a.iter().map(ValueRef::of))
                }
                (PathPattern::Index(i), ValueRef::Value(Value::Array(a))) => {
                    next.extend(a.get(*i).map(ValueRef::of))
                }
                _ => return Err(SdJwtError::ClaimPathMismatch(pattern_string(pattern))),
            }
        }
        selected = next;
    }
    Ok(())
}

#[derive(Clone, Copy)]
enum ValueRef<'a> {
    Object(&'a Map<String, Value>),
    Value(&'a Value),
}

impl<'a> ValueRef<'a> {
    fn of(v: &'a Value) -> Self {
        ValueRef::Value(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kakehashi_crypto_aws_lc::provider;

    #[test]
    fn patterns() {
        let path = [PathSegment::Key("d".into()), PathSegment::Index(2)];
        assert!(pattern_matches(
            &[PathPattern::Key("d".into()), PathPattern::AnyElement],
            &path
        ));
        assert!(pattern_matches(
            &[PathPattern::Key("d".into()), PathPattern::Index(2)],
            &path
        ));
        assert!(!pattern_matches(
            &[PathPattern::Key("d".into()), PathPattern::Index(1)],
            &path
        ));
        assert!(!pattern_matches(&[PathPattern::Key("d".into())], &path));
        assert!(!pattern_matches(
            &[PathPattern::AnyElement, PathPattern::AnyElement],
            &path
        ));
        assert_eq!(
            pattern_string(&[
                PathPattern::Key("a".into()),
                PathPattern::AnyElement,
                PathPattern::Index(0)
            ]),
            "[\"a\",null,0]"
        );
    }

    #[test]
    fn integrity_strings() {
        let p = provider();
        let doc = b"{}";
        // sha256("{}") in standard base64.
        let good = "sha256-RBNvo1WzZ4oRRq0W9+hknpT7T8If536DEMBg9hyq/4o=";
        assert!(check_integrity(&p, doc, good, "d").is_ok());
        assert!(check_integrity(&p, doc, &format!("{good}?ct=application/json"), "d").is_ok());
        assert!(check_integrity(&p, doc, good.trim_end_matches('='), "d").is_ok());
        assert!(check_integrity(&p, b"{ }", good, "d").is_err());
        assert!(check_integrity(&p, doc, "", "d").is_err());
        assert!(
            check_integrity(
                &p,
                doc,
                "sha256-RBNvo1WzZ4oRRq0W9-hknpT7T8If536DEMBg9hyq_4o",
                "d"
            )
            .is_err()
        );
    }
}
