//! The W3C Verifiable Credentials Data Model 2.0 checks, on plain JSON.
//!
//! These are the rules a verifier can apply without JSON-LD processing: `@context` order and
//! shape, `type`, `issuer`, `credentialSubject`, identifiers, dates, and the shape of the
//! typed extension points (`credentialStatus`, `credentialSchema`, `evidence`, `termsOfUse`,
//! `refreshService`, `proof`). Inline contexts get the few checks that need no remote
//! documents (term definitions that are not IRIs, redefinition of protected terms,
//! undefined types once `@vocab` is switched off); remote contexts are not fetched.

use std::collections::BTreeMap;

use kakehashi_core::UnixTime;
use serde_json::{Map, Value};

use crate::error::{VcError, snippet};
use crate::status::{CredentialStatus, parse_status_entry};

/// The base context every VC 2.0 document starts with.
pub const BASE_CONTEXT: &str = "https://www.w3.org/ns/credentials/v2";

/// Types the base context defines; used only when an inline context sets `"@vocab": null`
/// and so turns undefined terms into errors.
const BASE_CONTEXT_TYPES: &[&str] = &[
    "VerifiableCredential",
    "VerifiablePresentation",
    "EnvelopedVerifiableCredential",
    "EnvelopedVerifiablePresentation",
    "JsonSchema",
    "JsonSchemaCredential",
    "BitstringStatusListCredential",
    "BitstringStatusList",
    "BitstringStatusListEntry",
    "DataIntegrityProof",
    "RenderMethod",
];

/// The JSON Schema kinds the VC JSON Schema specification (and 1EdTech) define.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SchemaKind {
    /// `JsonSchema`, or 1EdTech's `1EdTechJsonSchemaValidator2019`: `id` names a JSON Schema.
    JsonSchema,
    /// `JsonSchemaCredential`: `id` names a credential whose `credentialSubject.jsonSchema`
    /// holds the schema.
    JsonSchemaCredential,
    /// Any other type: not validated here, reported to the caller.
    Other(String),
}

/// One `credentialSchema` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SchemaReference {
    /// The schema's URL.
    pub id: String,
    /// The `type` as written.
    pub type_name: String,
    /// How it is validated.
    pub kind: SchemaKind,
}

/// A credential whose data-model rules hold. Built by [`check_credential`] and
/// [`check_credential_structure`]; reading it says nothing about signatures.
#[derive(Debug, Clone, PartialEq)]
pub struct CredentialView {
    document: Map<String, Value>,
    id: Option<String>,
    types: Vec<String>,
    issuer: String,
    valid_from: Option<UnixTime>,
    valid_until: Option<UnixTime>,
    status: Vec<CredentialStatus>,
    schemas: Vec<SchemaReference>,
}

impl CredentialView {
    /// The whole credential as received.
    pub fn document(&self) -> &Map<String, Value> {
        &self.document
    }

    /// The credential as a JSON value.
    pub fn to_value(&self) -> Value {
        Value::Object(self.document.clone())
    }

    /// The credential `id`, if any.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The `type` values (always including `VerifiableCredential`).
    pub fn types(&self) -> &[String] {
        &self.types
    }

    /// True when `type` includes `name`.
    pub fn has_type(&self, name: &str) -> bool {
        self.types.iter().any(|t| t == name)
    }

    /// The `@context` entries that are URLs.
    pub fn context_urls(&self) -> Vec<&str> {
        match self.document.get("@context") {
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            Some(Value::String(s)) => vec![s.as_str()],
            _ => Vec::new(),
        }
    }

    /// The issuer identifier (`issuer` or `issuer.id`).
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The issuer object, when `issuer` is an object (names, `type: Profile`, ...).
    pub fn issuer_object(&self) -> Option<&Map<String, Value>> {
        self.document.get("issuer").and_then(Value::as_object)
    }

    /// The credential subjects (one or more objects).
    pub fn subjects(&self) -> Vec<&Map<String, Value>> {
        match self.document.get("credentialSubject") {
            Some(Value::Object(o)) => vec![o],
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_object).collect(),
            _ => Vec::new(),
        }
    }

    /// `validFrom`, if present.
    pub fn valid_from(&self) -> Option<UnixTime> {
        self.valid_from
    }

    /// `validUntil`, if present.
    pub fn valid_until(&self) -> Option<UnixTime> {
        self.valid_until
    }

    /// `credentialStatus` entries, for the status layer (nothing is fetched here).
    pub fn status(&self) -> &[CredentialStatus] {
        &self.status
    }

    /// `credentialSchema` entries.
    pub fn schemas(&self) -> &[SchemaReference] {
        &self.schemas
    }

    /// Checks the validity period at `now`, tolerating `skew_seconds` of clock difference.
    pub fn check_validity(&self, now: UnixTime, skew_seconds: i64) -> Result<(), VcError> {
        check_validity_period(self.valid_from, self.valid_until, now, skew_seconds)
    }
}

/// Checks a `validFrom` / `validUntil` period at `now`, tolerating `skew_seconds`: the rule of
/// [`CredentialView::check_validity`], for a caller that kept only the two times.
pub fn check_validity_period(
    valid_from: Option<UnixTime>,
    valid_until: Option<UnixTime>,
    now: UnixTime,
    skew_seconds: i64,
) -> Result<(), VcError> {
    if let Some(valid_from) = valid_from
        && now.saturating_add(skew_seconds) < valid_from
    {
        return Err(VcError::NotYetValid { valid_from, now });
    }
    if let Some(valid_until) = valid_until
        && now.saturating_sub(skew_seconds) > valid_until
    {
        return Err(VcError::Expired { valid_until, now });
    }
    Ok(())
}

/// Checks an unsecured credential against the data model and its validity period at `now`
/// (no clock skew).
pub fn check_credential(credential: &Value, now: UnixTime) -> Result<CredentialView, VcError> {
    let view = check_credential_structure(credential)?;
    view.check_validity(now, 0)?;
    Ok(view)
}

/// Checks a credential against the data model without looking at the clock: what an issuer
/// checks before securing a credential (a `validFrom` in the future is fine there).
pub fn check_credential_structure(credential: &Value) -> Result<CredentialView, VcError> {
    let obj = credential
        .as_object()
        .ok_or(VcError::NotAnObject("credential"))?;
    credential_view(obj.clone())
}

/// Checks a credential object and keeps it (no copy: verification hands over the payload).
pub(crate) fn credential_view(document: Map<String, Value>) -> Result<CredentialView, VcError> {
    let obj = &document;
    let context = check_context(obj)?;
    let types = check_types(obj, "type", &context)?;
    if !types.iter().any(|t| t == "VerifiableCredential") {
        return Err(VcError::MissingType {
            expected: "VerifiableCredential",
        });
    }
    let id = single_url(obj, "id", "id")?;
    let issuer = check_issuer(obj.get("issuer"))?;
    check_language_value(obj, "name", "name")?;
    check_language_value(obj, "description", "description")?;
    check_subjects(obj.get("credentialSubject"))?;
    let valid_from = date_time(obj, "validFrom")?;
    let valid_until = date_time(obj, "validUntil")?;
    if let (Some(valid_from), Some(valid_until)) = (valid_from, valid_until)
        && valid_until < valid_from
    {
        return Err(VcError::ValidityPeriodInverted {
            valid_from,
            valid_until,
        });
    }
    let mut status = Vec::new();
    for entry in typed_objects(obj, "credentialStatus", &context)? {
        status.push(parse_status_entry(entry)?);
    }
    let mut schemas = Vec::new();
    for entry in typed_objects(obj, "credentialSchema", &context)? {
        schemas.push(parse_schema_reference(entry)?);
    }
    for property in ["evidence", "termsOfUse", "refreshService", "proof"] {
        typed_objects(obj, property, &context)?;
    }
    Ok(CredentialView {
        document,
        id,
        types,
        issuer,
        valid_from,
        valid_until,
        status,
        schemas,
    })
}

/// One entry of a presentation's `verifiableCredential`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum PresentedCredential {
    /// An `EnvelopedVerifiableCredential`: a secured credential inside a `data:` URL.
    Enveloped(EnvelopedCredential),
    /// A credential embedded as JSON (secured, if at all, by an embedded proof).
    Embedded(CredentialView),
}

/// The content of an `EnvelopedVerifiableCredential` `data:` URL, not yet verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvelopedCredential {
    /// The media type, e.g. `application/vc+jwt`.
    pub media_type: String,
    /// Parameters after the media type (`base64`, `base64url`, ...).
    pub parameters: Vec<String>,
    /// The data after the comma, as written.
    pub data: String,
}

/// A presentation whose data-model rules hold (signatures unchecked).
#[derive(Debug, Clone, PartialEq)]
pub struct PresentationView {
    document: Map<String, Value>,
    id: Option<String>,
    types: Vec<String>,
    holder: Option<String>,
    credentials: Vec<PresentedCredential>,
}

impl PresentationView {
    /// The whole presentation as received.
    pub fn document(&self) -> &Map<String, Value> {
        &self.document
    }

    /// The presentation `id`, if any.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The `type` values (always including `VerifiablePresentation`).
    pub fn types(&self) -> &[String] {
        &self.types
    }

    /// The holder identifier (`holder` or `holder.id`), if any.
    pub fn holder(&self) -> Option<&str> {
        self.holder.as_deref()
    }

    /// The presented credentials, in order.
    pub fn credentials(&self) -> &[PresentedCredential] {
        &self.credentials
    }
}

/// Checks an unsecured presentation against the data model. Embedded credentials are checked
/// with [`check_credential_structure`]; enveloped ones are only parsed.
pub fn check_presentation(presentation: &Value) -> Result<PresentationView, VcError> {
    let obj = presentation
        .as_object()
        .ok_or(VcError::NotAnObject("presentation"))?;
    let context = check_context(obj)?;
    let types = check_types(obj, "type", &context)?;
    if !types.iter().any(|t| t == "VerifiablePresentation") {
        return Err(VcError::MissingType {
            expected: "VerifiablePresentation",
        });
    }
    let id = single_url(obj, "id", "id")?;
    let holder = match obj.get("holder") {
        None => None,
        Some(Value::String(s)) if is_url(s) => Some(s.clone()),
        Some(Value::Object(h)) => match h.get("id") {
            Some(Value::String(s)) if is_url(s) => Some(s.clone()),
            Some(other) => {
                return Err(VcError::MalformedHolder(format!(
                    "holder.id is not a URL: {}",
                    snippet(&other.to_string())
                )));
            }
            None => return Err(VcError::MalformedHolder("holder object has no id".into())),
        },
        Some(other) => {
            return Err(VcError::MalformedHolder(format!(
                "not a URL: {}",
                snippet(&other.to_string())
            )));
        }
    };
    let entries: Vec<&Value> = match obj.get("verifiableCredential") {
        None => Vec::new(),
        Some(Value::Array(items)) => items.iter().collect(),
        Some(single) => vec![single],
    };
    let mut credentials = Vec::with_capacity(entries.len());
    for (index, entry) in entries.into_iter().enumerate() {
        let wrap = |source: VcError| VcError::PresentedCredential {
            index,
            source: Box::new(source),
        };
        credentials.push(presented_credential(entry).map_err(wrap)?);
    }
    for property in ["termsOfUse", "proof"] {
        typed_objects(obj, property, &context)?;
    }
    Ok(PresentationView {
        document: obj.clone(),
        id,
        types,
        holder,
        credentials,
    })
}

fn presented_credential(entry: &Value) -> Result<PresentedCredential, VcError> {
    let obj = match entry {
        Value::Object(o) => o,
        Value::String(_) => return Err(VcError::CredentialAsString),
        _ => return Err(VcError::NotAnObject("presented credential")),
    };
    let enveloped = match obj.get("type") {
        Some(Value::String(t)) => t == "EnvelopedVerifiableCredential",
        Some(Value::Array(ts)) => ts
            .iter()
            .any(|t| t.as_str() == Some("EnvelopedVerifiableCredential")),
        _ => false,
    };
    if !enveloped {
        return check_credential_structure(entry).map(PresentedCredential::Embedded);
    }
    let context = check_context(obj)?;
    check_types(obj, "type", &context)?;
    let id = obj
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| VcError::MalformedEnvelope("missing id".into()))?;
    parse_data_url(id).map(PresentedCredential::Enveloped)
}

/// Splits a `data:` URL (RFC 2397) into media type, parameters and data.
pub fn parse_data_url(url: &str) -> Result<EnvelopedCredential, VcError> {
    let rest = url
        .strip_prefix("data:")
        .ok_or_else(|| VcError::MalformedEnvelope(snippet(url)))?;
    let (meta, data) = rest
        .split_once(',')
        .ok_or_else(|| VcError::MalformedEnvelope("no ',' in data: URL".into()))?;
    let mut parts = meta.split(';');
    let media_type = parts.next().unwrap_or_default().to_ascii_lowercase();
    if media_type.is_empty() || !media_type.contains('/') {
        return Err(VcError::MalformedEnvelope(format!(
            "media type {:?}",
            snippet(&media_type)
        )));
    }
    Ok(EnvelopedCredential {
        media_type,
        parameters: parts.map(str::to_owned).collect(),
        data: data.to_owned(),
    })
}

/// What the inline contexts of a document say, for the checks that need it.
#[derive(Debug, Default)]
struct ContextInfo {
    /// An inline context set `"@vocab": null`: undefined terms are errors.
    vocab_off: bool,
    /// Terms defined by inline contexts.
    terms: BTreeMap<String, Value>,
}

fn check_context(obj: &Map<String, Value>) -> Result<ContextInfo, VcError> {
    let entries: Vec<&Value> = match obj.get("@context") {
        None | Some(Value::Null) => return Err(VcError::MissingContext),
        Some(Value::Array(items)) => items.iter().collect(),
        Some(single) => vec![single],
    };
    match entries.first() {
        Some(Value::String(s)) if s == BASE_CONTEXT => {}
        first => {
            return Err(VcError::MissingBaseContext {
                expected: BASE_CONTEXT,
                found: first.map(|v| snippet(&v.to_string())),
            });
        }
    }
    let mut info = ContextInfo::default();
    let mut protected: BTreeMap<String, Value> = BTreeMap::new();
    for (index, entry) in entries.iter().enumerate() {
        match entry {
            Value::String(url) if is_url(url) => {}
            Value::Object(definitions) => {
                check_inline_context(index, definitions, &mut info, &mut protected)?;
            }
            other => {
                return Err(VcError::MalformedContext {
                    index,
                    reason: format!(
                        "expected a URL or an object, found {}",
                        snippet(&other.to_string())
                    ),
                });
            }
        }
    }
    Ok(info)
}

fn check_inline_context(
    index: usize,
    definitions: &Map<String, Value>,
    info: &mut ContextInfo,
    protected: &mut BTreeMap<String, Value>,
) -> Result<(), VcError> {
    let is_protected = definitions.get("@protected") == Some(&Value::Bool(true));
    for (term, definition) in definitions {
        if term == "@vocab" {
            info.vocab_off = definition.is_null();
            continue;
        }
        if term.starts_with('@') {
            continue;
        }
        let iri = match definition {
            Value::Null => None,
            Value::String(s) => Some(s.as_str()),
            Value::Object(o) => o.get("@id").and_then(Value::as_str),
            _ => {
                return Err(VcError::MalformedContext {
                    index,
                    reason: format!("term {:?} has a malformed definition", snippet(term)),
                });
            }
        };
        if let Some(iri) = iri
            && !(iri.starts_with('@') || is_iri_mapping(iri))
        {
            return Err(VcError::MalformedContext {
                index,
                reason: format!(
                    "term {:?} maps to {:?}, which is not an IRI",
                    snippet(term),
                    snippet(iri)
                ),
            });
        }
        if let Some(previous) = protected.get(term)
            && previous != definition
        {
            return Err(VcError::ProtectedTermRedefinition {
                term: snippet(term),
            });
        }
        if is_protected {
            protected.insert(term.clone(), definition.clone());
        }
        info.terms.insert(term.clone(), definition.clone());
    }
    Ok(())
}

/// An IRI or compact IRI in a term definition: no whitespace, a scheme or prefix.
fn is_iri_mapping(text: &str) -> bool {
    text.contains(':') && !text.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Reads a `type` member: a string or non-empty array of strings, each a term or a URL.
fn check_types(
    obj: &Map<String, Value>,
    property: &str,
    context: &ContextInfo,
) -> Result<Vec<String>, VcError> {
    let malformed = |reason: String| VcError::MalformedType {
        property: property.to_owned(),
        reason,
    };
    let values: Vec<&Value> = match obj.get("type") {
        None => return Ok(Vec::new()),
        Some(Value::Array(items)) => items.iter().collect(),
        Some(single) => vec![single],
    };
    let mut types = Vec::with_capacity(values.len());
    for value in values {
        let Value::String(t) = value else {
            return Err(malformed(format!(
                "{} is not a string",
                snippet(&value.to_string())
            )));
        };
        if t.is_empty() || t.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(malformed(format!("{:?} is not a term or URL", snippet(t))));
        }
        if t.contains(':') {
            if !is_url(t) {
                return Err(malformed(format!("{:?} is not a URL", snippet(t))));
            }
        } else if context.vocab_off
            && !context.terms.contains_key(t)
            && !BASE_CONTEXT_TYPES.contains(&t.as_str())
        {
            return Err(VcError::UndefinedTerm { term: snippet(t) });
        }
        types.push(t.clone());
    }
    Ok(types)
}

fn check_issuer(issuer: Option<&Value>) -> Result<String, VcError> {
    match issuer {
        None | Some(Value::Null) => Err(VcError::IssuerMissing),
        Some(Value::String(s)) if is_url(s) => Ok(s.clone()),
        Some(Value::String(s)) => Err(VcError::MalformedIssuer(format!(
            "{:?} is not a URL",
            snippet(s)
        ))),
        Some(Value::Object(o)) => {
            check_language_value(o, "name", "issuer.name")?;
            check_language_value(o, "description", "issuer.description")?;
            match o.get("id") {
                Some(Value::String(s)) if is_url(s) => Ok(s.clone()),
                Some(other) => Err(VcError::MalformedIssuer(format!(
                    "issuer.id is not a URL: {}",
                    snippet(&other.to_string())
                ))),
                None => Err(VcError::MalformedIssuer("issuer object has no id".into())),
            }
        }
        Some(other) => Err(VcError::MalformedIssuer(format!(
            "expected a URL or an object, found {}",
            snippet(&other.to_string())
        ))),
    }
}

fn check_subjects(subject: Option<&Value>) -> Result<(), VcError> {
    let subjects: Vec<&Value> = match subject {
        None | Some(Value::Null) => return Err(VcError::MissingCredentialSubject),
        Some(Value::Array(items)) if items.is_empty() => {
            return Err(VcError::MalformedCredentialSubject("empty array".into()));
        }
        Some(Value::Array(items)) => items.iter().collect(),
        Some(single) => vec![single],
    };
    for subject in subjects {
        let Value::Object(o) = subject else {
            return Err(VcError::MalformedCredentialSubject(
                "subjects must be objects".into(),
            ));
        };
        if o.is_empty() {
            return Err(VcError::MalformedCredentialSubject(
                "a subject must make at least one claim".into(),
            ));
        }
        single_url(o, "id", "credentialSubject.id")?;
    }
    Ok(())
}

/// A `name` / `description`: a string, a language value object (`@value`, `@language`,
/// `@direction` and nothing else), or an array of those.
fn check_language_value(
    obj: &Map<String, Value>,
    key: &str,
    property: &str,
) -> Result<(), VcError> {
    let values: Vec<&Value> = match obj.get(key) {
        None => return Ok(()),
        Some(Value::Array(items)) => items.iter().collect(),
        Some(single) => vec![single],
    };
    for value in values {
        match value {
            Value::String(_) => {}
            Value::Object(o) => {
                if !o.get("@value").is_some_and(Value::is_string) {
                    return Err(VcError::malformed(
                        property,
                        "language value without @value",
                    ));
                }
                if let Some(lang) = o.get("@language") {
                    let ok = lang
                        .as_str()
                        .is_some_and(|l| kakehashi_core::LanguageTag::parse(l).is_ok());
                    if !ok {
                        return Err(VcError::malformed(
                            property,
                            "@language is not a BCP 47 tag",
                        ));
                    }
                }
                if let Some(direction) = o.get("@direction")
                    && !matches!(direction.as_str(), Some("ltr" | "rtl"))
                {
                    return Err(VcError::malformed(
                        property,
                        "@direction must be ltr or rtl",
                    ));
                }
                if let Some(extra) = o
                    .keys()
                    .find(|k| !matches!(k.as_str(), "@value" | "@language" | "@direction"))
                {
                    return Err(VcError::malformed(
                        property,
                        format!("unexpected member {:?} in a language value", snippet(extra)),
                    ));
                }
            }
            _ => {
                return Err(VcError::malformed(
                    property,
                    "not a string or language value",
                ));
            }
        }
    }
    Ok(())
}

/// Reads an extension point: an object or array of objects, each with a `type`, and an `id`
/// URL when present.
fn typed_objects<'a>(
    obj: &'a Map<String, Value>,
    property: &str,
    context: &ContextInfo,
) -> Result<Vec<&'a Map<String, Value>>, VcError> {
    let values: Vec<&Value> = match obj.get(property) {
        None => return Ok(Vec::new()),
        Some(Value::Array(items)) => items.iter().collect(),
        Some(single) => vec![single],
    };
    let mut out = Vec::with_capacity(values.len());
    for value in values {
        let Value::Object(entry) = value else {
            return Err(VcError::malformed(property, "entries must be objects"));
        };
        if check_types(entry, property, context)?.is_empty() {
            return Err(VcError::TypeMissing {
                property: property.to_owned(),
            });
        }
        single_url(entry, "id", &format!("{property}.id"))?;
        out.push(entry);
    }
    Ok(out)
}

fn parse_schema_reference(entry: &Map<String, Value>) -> Result<SchemaReference, VcError> {
    let id = single_url(entry, "id", "credentialSchema.id")?.ok_or_else(|| {
        VcError::malformed("credentialSchema", "an entry has no id (the schema's URL)")
    })?;
    let type_name = match entry.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .next()
            .unwrap_or_default()
            .to_owned(),
        _ => String::new(),
    };
    let kind = match type_name.as_str() {
        "JsonSchema" | "1EdTechJsonSchemaValidator2019" => SchemaKind::JsonSchema,
        "JsonSchemaCredential" => SchemaKind::JsonSchemaCredential,
        other => SchemaKind::Other(other.to_owned()),
    };
    Ok(SchemaReference {
        id,
        type_name,
        kind,
    })
}

/// Reads an optional identifier that must be exactly one URL.
fn single_url(
    obj: &Map<String, Value>,
    key: &str,
    property: &str,
) -> Result<Option<String>, VcError> {
    match obj.get(key) {
        None => Ok(None),
        Some(Value::String(s)) if is_url(s) => Ok(Some(s.clone())),
        Some(other) => Err(VcError::InvalidUrl {
            property: property.to_owned(),
            value: snippet(&other.to_string()),
        }),
    }
}

/// Reads `validFrom` / `validUntil` as an XML Schema `dateTimeStamp`: `T` separator and a
/// `Z` or `±hh:mm` offset are required.
fn date_time(obj: &Map<String, Value>, key: &'static str) -> Result<Option<UnixTime>, VcError> {
    let Some(value) = obj.get(key) else {
        return Ok(None);
    };
    let invalid = || VcError::InvalidDateTime {
        property: key,
        value: snippet(&value.to_string()),
    };
    let text = value.as_str().ok_or_else(invalid)?;
    parse_date_time_stamp(text).map(Some).ok_or_else(invalid)
}

/// Parses an XML Schema `dateTimeStamp`.
pub(crate) fn parse_date_time_stamp(text: &str) -> Option<UnixTime> {
    let strict =
        text.as_bytes().get(10) == Some(&b'T') && !text.contains('z') && text.trim() == text;
    if !strict {
        return None;
    }
    UnixTime::parse_rfc3339(text).ok()
}

/// A URL in the sense the data model needs: a scheme, a non-empty rest, no whitespace or
/// characters URLs cannot carry. Covers `https:`, `did:`, `urn:`, `data:`.
pub(crate) fn is_url(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    let scheme_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    scheme_ok
        && !rest.is_empty()
        && !text.chars().any(|c| {
            c.is_whitespace()
                || c.is_control()
                || matches!(c, '<' | '>' | '"' | '{' | '}' | '|' | '\\' | '^' | '`')
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn minimal() -> Value {
        json!({
            "@context": [BASE_CONTEXT],
            "type": ["VerifiableCredential"],
            "issuer": "https://issuer.example",
            "credentialSubject": {"id": "did:example:1", "name": "A"}
        })
    }

    fn with(key: &str, value: Value) -> Value {
        let mut v = minimal();
        v[key] = value;
        v
    }

    #[test]
    fn minimal_credential_passes() {
        let view = check_credential(&minimal(), UnixTime(0)).unwrap();
        assert_eq!(view.issuer(), "https://issuer.example");
        assert!(view.has_type("VerifiableCredential"));
        assert_eq!(view.subjects().len(), 1);
    }

    #[test]
    fn context_rules() {
        let mut v = minimal();
        v.as_object_mut().unwrap().remove("@context");
        assert_eq!(check_credential_structure(&v), Err(VcError::MissingContext));
        let v = with(
            "@context",
            json!(["https://www.w3.org/2018/credentials/v1"]),
        );
        assert!(matches!(
            check_credential_structure(&v),
            Err(VcError::MissingBaseContext { .. })
        ));
        let v = with("@context", json!([BASE_CONTEXT, 12]));
        assert!(matches!(
            check_credential_structure(&v),
            Err(VcError::MalformedContext { index: 1, .. })
        ));
        let v = with(
            "@context",
            json!([BASE_CONTEXT, {"@protected": true, "A": "https://a/#A"}, {"A": "https://b/#A"}]),
        );
        assert!(matches!(
            check_credential_structure(&v),
            Err(VcError::ProtectedTermRedefinition { .. })
        ));
        let mut v = with("@context", json!([BASE_CONTEXT, {"@vocab": null}]));
        v["type"] = json!(["VerifiableCredential", "Undefined"]);
        assert!(matches!(
            check_credential_structure(&v),
            Err(VcError::UndefinedTerm { .. })
        ));
    }

    #[test]
    fn issuer_subject_and_ids() {
        let mut v = minimal();
        v.as_object_mut().unwrap().remove("issuer");
        assert_eq!(check_credential_structure(&v), Err(VcError::IssuerMissing));
        assert!(matches!(
            check_credential_structure(&with("issuer", json!({"id": "nope"}))),
            Err(VcError::MalformedIssuer(_))
        ));
        let view =
            check_credential_structure(&with("issuer", json!({"id": "did:example:i"}))).unwrap();
        assert_eq!(view.issuer(), "did:example:i");
        assert!(matches!(
            check_credential_structure(&with("credentialSubject", json!({}))),
            Err(VcError::MalformedCredentialSubject(_))
        ));
        assert!(matches!(
            check_credential_structure(&with("credentialSubject", json!([]))),
            Err(VcError::MalformedCredentialSubject(_))
        ));
        assert!(matches!(
            check_credential_structure(&with("id", json!(["https://a", "https://b"]))),
            Err(VcError::InvalidUrl { .. })
        ));
        assert!(is_url("urn:uuid:1") && is_url("did:key:z6Mk") && !is_url("https ://x"));
    }

    #[test]
    fn validity_period() {
        let v = with("validFrom", json!("2026-01-01T00:00:00+09:00"));
        let view = check_credential_structure(&v).unwrap();
        let from = view.valid_from().unwrap();
        assert!(matches!(
            view.check_validity(from.saturating_sub(1), 0),
            Err(VcError::NotYetValid { .. })
        ));
        assert!(view.check_validity(from, 0).is_ok());
        assert!(matches!(
            check_credential_structure(&with("validFrom", json!("2026-01-01T00:00:00"))),
            Err(VcError::InvalidDateTime { .. })
        ));
        assert!(matches!(
            check_credential_structure(&with("validFrom", json!("2026-01-01 00:00:00Z"))),
            Err(VcError::InvalidDateTime { .. })
        ));
        let mut v = with("validFrom", json!("2026-01-02T00:00:00Z"));
        v["validUntil"] = json!("2026-01-01T00:00:00Z");
        assert!(matches!(
            check_credential_structure(&v),
            Err(VcError::ValidityPeriodInverted { .. })
        ));
        let mut v = with("validUntil", json!("2026-01-01T00:00:00Z"));
        v["validFrom"] = json!("2025-01-01T00:00:00Z");
        let view = check_credential_structure(&v).unwrap();
        assert!(matches!(
            view.check_validity(UnixTime::parse_rfc3339("2026-01-02T00:00:00Z").unwrap(), 60),
            Err(VcError::Expired { .. })
        ));
    }

    #[test]
    fn typed_extension_points() {
        assert!(matches!(
            check_credential_structure(&with("evidence", json!({}))),
            Err(VcError::TypeMissing { .. })
        ));
        assert!(matches!(
            check_credential_structure(&with(
                "credentialStatus",
                json!({"id": "did:x:1", "type": 2})
            )),
            Err(VcError::MalformedType { .. })
        ));
        assert!(matches!(
            check_credential_structure(&with("credentialSchema", json!({"type": "JsonSchema"}))),
            Err(VcError::MalformedProperty { .. })
        ));
        let view = check_credential_structure(&with(
            "credentialSchema",
            json!([{"id": "https://s/1", "type": "JsonSchema"}, {"id": "https://s/2", "type": "X"}]),
        ))
        .unwrap();
        assert_eq!(view.schemas()[0].kind, SchemaKind::JsonSchema);
        assert_eq!(view.schemas()[1].kind, SchemaKind::Other("X".into()));
        assert!(matches!(
            check_credential_structure(&with(
                "name",
                json!({"@value": "n", "@language": "en", "url": "x"})
            )),
            Err(VcError::MalformedProperty { .. })
        ));
    }

    #[test]
    fn presentations() {
        let vp = json!({
            "@context": [BASE_CONTEXT],
            "type": "VerifiablePresentation",
            "holder": {"id": "did:example:h"},
            "verifiableCredential": [
                minimal(),
                {"@context": BASE_CONTEXT, "type": "EnvelopedVerifiableCredential",
                 "id": "data:application/vc+jwt,a.b.c"}
            ]
        });
        let view = check_presentation(&vp).unwrap();
        assert_eq!(view.holder(), Some("did:example:h"));
        assert!(matches!(
            view.credentials()[0],
            PresentedCredential::Embedded(_)
        ));
        match &view.credentials()[1] {
            PresentedCredential::Enveloped(e) => {
                assert_eq!(e.media_type, "application/vc+jwt");
                assert_eq!(e.data, "a.b.c");
            }
            other => panic!("{other:?}"),
        }
        let mut bad = vp.clone();
        bad["verifiableCredential"] = json!(["a.b.c"]);
        assert!(matches!(
            check_presentation(&bad),
            Err(VcError::PresentedCredential { index: 0, .. })
        ));
        let mut bad = vp.clone();
        bad["holder"] = json!({"name": "x"});
        assert!(matches!(
            check_presentation(&bad),
            Err(VcError::MalformedHolder(_))
        ));
    }
}
