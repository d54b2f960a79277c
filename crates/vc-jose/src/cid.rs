//! Key discovery through a controlled identifier document (VC-JOSE-COSE section 4,
//! W3C Controlled Identifiers 1.0): the issuer's `kid` names a verification method of the
//! document that identifies the issuer.
//!
//! The caller fetches the document (a `did:web` or HTTPS resolution at the edge) and hands it
//! in. A key is returned only when the method is of type `JsonWebKey`, controlled by the
//! document's subject, listed under the verification relationship asked for
//! (`assertionMethod` to issue credentials, `authentication` to present), and the claimed
//! issuer is that subject.

use kakehashi_crypto::PublicJwk;
use serde_json::Value;

use crate::error::{VcError, snippet};
use crate::model::is_url;
use crate::verify::KeyResolver;

/// A verification relationship of a controlled identifier document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Relationship {
    /// `assertionMethod`: keys that may issue credentials.
    AssertionMethod,
    /// `authentication`: keys that may sign presentations.
    Authentication,
}

impl Relationship {
    fn member(self) -> &'static str {
        match self {
            Self::AssertionMethod => "assertionMethod",
            Self::Authentication => "authentication",
        }
    }
}

#[derive(Debug, Clone)]
struct Method {
    id: String,
    key: PublicJwk,
    relationships: Vec<Relationship>,
}

/// A parsed controlled identifier document with its usable verification methods.
#[derive(Debug, Clone)]
pub struct ControlledIdentifierDocument {
    id: String,
    methods: Vec<Method>,
    skipped: Vec<(String, String)>,
}

impl ControlledIdentifierDocument {
    /// Parses a document. Methods this crate cannot use (other types, other controllers,
    /// keys outside the algorithm allow-list) are skipped and listed by
    /// [`ControlledIdentifierDocument::skipped`].
    pub fn parse(document: &Value) -> Result<Self, VcError> {
        let bad = |reason: &str| VcError::MalformedControllerDocument(reason.to_owned());
        let obj = document
            .as_object()
            .ok_or_else(|| bad("not a JSON object"))?;
        let id = match obj.get("id") {
            Some(Value::String(id)) if is_url(id) => id.clone(),
            _ => return Err(bad("\"id\" must be a URL")),
        };
        let absolute = |reference: &str| -> String {
            if reference.starts_with('#') {
                format!("{id}{reference}")
            } else {
                reference.to_owned()
            }
        };
        let relationship_ids = |relationship: Relationship| -> Vec<String> {
            obj.get(relationship.member())
                .and_then(Value::as_array)
                .map(|items| {
                    items
                        .iter()
                        .filter_map(|item| match item {
                            Value::String(r) => Some(absolute(r)),
                            Value::Object(o) => o.get("id").and_then(Value::as_str).map(absolute),
                            _ => None,
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        let assertion = relationship_ids(Relationship::AssertionMethod);
        let authentication = relationship_ids(Relationship::Authentication);
        let mut candidates: Vec<&Value> = match obj.get("verificationMethod") {
            None => Vec::new(),
            Some(Value::Array(items)) => items.iter().collect(),
            Some(_) => return Err(bad("\"verificationMethod\" must be an array")),
        };
        // Methods may also be embedded in a relationship.
        for relationship in [Relationship::AssertionMethod, Relationship::Authentication] {
            if let Some(Value::Array(items)) = obj.get(relationship.member()) {
                candidates.extend(items.iter().filter(|i| i.is_object()));
            }
        }
        let mut methods: Vec<Method> = Vec::new();
        let mut skipped = Vec::new();
        for candidate in candidates {
            let method = candidate
                .as_object()
                .ok_or_else(|| bad("a verification method is not an object"))?;
            let method_id = method
                .get("id")
                .and_then(Value::as_str)
                .map(absolute)
                .ok_or_else(|| bad("a verification method has no id"))?;
            if methods.iter().any(|m| m.id == method_id) {
                continue;
            }
            let mut skip = |reason: String| skipped.push((snippet(&method_id), reason));
            if method.get("type").and_then(Value::as_str) != Some("JsonWebKey") {
                skip("type is not JsonWebKey".into());
                continue;
            }
            if method.get("controller").and_then(Value::as_str) != Some(id.as_str()) {
                skip("controlled by another identifier".into());
                continue;
            }
            let Some(jwk) = method.get("publicKeyJwk") else {
                skip("no publicKeyJwk".into());
                continue;
            };
            let key = match PublicJwk::from_json(jwk) {
                Ok(key) => key.with_kid(method_id.clone()),
                Err(e) => {
                    skip(e.to_string());
                    continue;
                }
            };
            let mut relationships = Vec::new();
            if assertion.contains(&method_id) {
                relationships.push(Relationship::AssertionMethod);
            }
            if authentication.contains(&method_id) {
                relationships.push(Relationship::Authentication);
            }
            methods.push(Method {
                id: method_id,
                key,
                relationships,
            });
        }
        Ok(Self {
            id,
            methods,
            skipped,
        })
    }

    /// The identifier the document is about (the issuer or holder).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The key of method `kid` (absolute, or `#fragment` of this document) if it is listed
    /// under `relationship`.
    pub fn key(&self, kid: &str, relationship: Relationship) -> Option<&PublicJwk> {
        let kid = if kid.starts_with('#') {
            format!("{}{kid}", self.id)
        } else {
            kid.to_owned()
        };
        self.methods
            .iter()
            .find(|m| m.id == kid && m.relationships.contains(&relationship))
            .map(|m| &m.key)
    }

    /// The absolute ids of the usable methods listed under `relationship`.
    pub fn method_ids(&self, relationship: Relationship) -> Vec<&str> {
        self.methods
            .iter()
            .filter(|m| m.relationships.contains(&relationship))
            .map(|m| m.id.as_str())
            .collect()
    }

    /// Methods that were not usable, with the reason.
    pub fn skipped(&self) -> &[(String, String)] {
        &self.skipped
    }

    /// A resolver for presentations (`authentication` keys).
    pub fn authentication(&self) -> AuthenticationKeys<'_> {
        AuthenticationKeys(self)
    }

    fn resolve_for(
        &self,
        kid: Option<&str>,
        issuer: Option<&str>,
        relationship: Relationship,
    ) -> Option<PublicJwk> {
        if issuer.is_some_and(|i| i != self.id) {
            return None;
        }
        self.key(kid?, relationship).cloned()
    }
}

/// Resolves credential issuer keys: `assertionMethod` only.
impl KeyResolver for ControlledIdentifierDocument {
    fn resolve(&self, kid: Option<&str>, issuer: Option<&str>) -> Option<PublicJwk> {
        self.resolve_for(kid, issuer, Relationship::AssertionMethod)
    }
}

/// Resolves holder keys of a controlled identifier document: `authentication` only.
#[derive(Debug, Clone, Copy)]
pub struct AuthenticationKeys<'a>(&'a ControlledIdentifierDocument);

impl KeyResolver for AuthenticationKeys<'_> {
    fn resolve(&self, kid: Option<&str>, issuer: Option<&str>) -> Option<PublicJwk> {
        self.0
            .resolve_for(kid, issuer, Relationship::Authentication)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn document() -> Value {
        json!({
            "id": "https://university.example/issuers/565049",
            "verificationMethod": [
                {"id": "#key-1", "type": "JsonWebKey",
                 "controller": "https://university.example/issuers/565049",
                 "publicKeyJwk": {"kty": "OKP", "crv": "Ed25519",
                                  "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}},
                {"id": "#key-2", "type": "JsonWebKey",
                 "controller": "https://elsewhere.example",
                 "publicKeyJwk": {"kty": "OKP", "crv": "Ed25519",
                                  "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}},
                {"id": "#key-3", "type": "Multikey",
                 "controller": "https://university.example/issuers/565049"}
            ],
            "assertionMethod": ["#key-1", "#key-2"],
            "authentication": [{"id": "#auth", "type": "JsonWebKey",
                 "controller": "https://university.example/issuers/565049",
                 "publicKeyJwk": {"kty": "OKP", "crv": "Ed25519",
                                  "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}}]
        })
    }

    #[test]
    fn resolves_by_relationship_and_controller() {
        let doc = ControlledIdentifierDocument::parse(&document()).unwrap();
        let issuer = Some("https://university.example/issuers/565049");
        let kid = "https://university.example/issuers/565049#key-1";
        let key = doc.resolve(Some(kid), issuer).unwrap();
        assert_eq!(key.kid(), Some(kid));
        assert!(doc.resolve(Some("#key-1"), None).is_some());
        assert!(
            doc.resolve(Some(kid), Some("https://other.example"))
                .is_none()
        );
        assert!(doc.resolve(None, issuer).is_none());
        assert!(
            doc.resolve(Some("#key-2"), issuer).is_none(),
            "other controller"
        );
        assert!(
            doc.resolve(Some("#auth"), issuer).is_none(),
            "not an assertion key"
        );
        assert!(
            doc.authentication()
                .resolve(Some("#auth"), issuer)
                .is_some()
        );
        assert_eq!(doc.skipped().len(), 2);
        assert!(ControlledIdentifierDocument::parse(&json!({"id": "no url"})).is_err());
        assert!(ControlledIdentifierDocument::parse(&json!([])).is_err());
    }
}
