//! `credentialSchema` validation against JSON Schemas the caller supplies.
//!
//! Schemas are never fetched: the caller compiles the documents it trusts into a
//! [`SchemaSet`] (or implements [`SchemaResolver`]) and verification looks them up by the
//! `credentialSchema.id` URL. `$ref`s to other documents are not resolved (no network, no
//! files), so a schema must be self-contained.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

use crate::error::{VcError, snippet};
use crate::model::{CredentialView, SchemaKind};

/// Most schema errors reported for one credential; the rest are summarised.
const MAX_REPORTED_ERRORS: usize = 20;

/// A compiled JSON Schema, named by the URL credentials use to refer to it.
pub struct CompiledSchema {
    id: String,
    validator: jsonschema::Validator,
}

impl fmt::Debug for CompiledSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CompiledSchema")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl CompiledSchema {
    /// Compiles a JSON Schema document (the draft is taken from its `$schema`).
    pub fn compile(id: impl Into<String>, schema: &Value) -> Result<Self, VcError> {
        let id = id.into();
        let validator = jsonschema::validator_for(schema).map_err(|e| VcError::InvalidSchema {
            schema_id: id.clone(),
            reason: snippet(&e.to_string()),
        })?;
        Ok(Self { id, validator })
    }

    /// Compiles the schema carried by a `JsonSchemaCredential`
    /// (`credentialSubject.jsonSchema`). The caller is responsible for having verified that
    /// credential.
    pub fn from_schema_credential(
        id: impl Into<String>,
        credential: &Value,
    ) -> Result<Self, VcError> {
        let id = id.into();
        let schema = credential
            .get("credentialSubject")
            .and_then(|s| s.get("jsonSchema"))
            .ok_or_else(|| VcError::InvalidSchema {
                schema_id: id.clone(),
                reason: "JsonSchemaCredential has no credentialSubject.jsonSchema".into(),
            })?;
        Self::compile(id, schema)
    }

    /// The URL this schema answers to.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Validates `instance`, listing every violation as `path: message`.
    pub fn validate(&self, instance: &Value) -> Result<(), VcError> {
        let mut errors = Vec::new();
        let mut total = 0usize;
        for error in self.validator.iter_errors(instance) {
            total += 1;
            if errors.len() < MAX_REPORTED_ERRORS {
                let path = error.instance_path().to_string();
                let path = if path.is_empty() {
                    "/".to_owned()
                } else {
                    path
                };
                errors.push(format!("{path}: {}", snippet(&error.to_string())));
            }
        }
        if total > errors.len() {
            errors.push(format!("... and {} more", total - errors.len()));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(VcError::SchemaViolation {
                schema_id: self.id.clone(),
                errors,
            })
        }
    }
}

/// Where verification finds the schemas named by `credentialSchema`.
pub trait SchemaResolver {
    /// The compiled schema for `schema_id`, or `None` when the caller does not have it.
    fn resolve(&self, schema_id: &str) -> Option<&CompiledSchema>;
}

/// A set of compiled schemas keyed by URL: the ready-made [`SchemaResolver`].
#[derive(Debug, Default)]
pub struct SchemaSet {
    schemas: BTreeMap<String, CompiledSchema>,
}

impl SchemaSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Compiles `schema` and registers it under `id`.
    pub fn with_schema(mut self, id: impl Into<String>, schema: &Value) -> Result<Self, VcError> {
        self.insert(CompiledSchema::compile(id, schema)?);
        Ok(self)
    }

    /// Adds a compiled schema (replacing one with the same id).
    pub fn insert(&mut self, schema: CompiledSchema) {
        self.schemas.insert(schema.id.clone(), schema);
    }

    /// Number of schemas.
    pub fn len(&self) -> usize {
        self.schemas.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.schemas.is_empty()
    }
}

impl SchemaResolver for SchemaSet {
    fn resolve(&self, schema_id: &str) -> Option<&CompiledSchema> {
        self.schemas.get(schema_id)
    }
}

/// What happened to one `credentialSchema` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SchemaOutcome {
    /// Validated and passed.
    Valid,
    /// The resolver had no schema for this id; nothing was checked.
    NotResolved,
    /// The type is not a JSON Schema kind this crate validates.
    UnsupportedType(String),
}

/// The result for one `credentialSchema` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SchemaCheck {
    /// The schema URL.
    pub schema_id: String,
    /// The outcome.
    pub outcome: SchemaOutcome,
}

/// Validates `view` against each of its `credentialSchema` entries the resolver knows.
/// A violation is an error; with `require_all`, so is a schema the resolver lacks.
pub fn validate_schemas(
    view: &CredentialView,
    resolver: Option<&dyn SchemaResolver>,
    require_all: bool,
) -> Result<Vec<SchemaCheck>, VcError> {
    let instance = view.to_value();
    let mut checks = Vec::with_capacity(view.schemas().len());
    for reference in view.schemas() {
        let outcome = match &reference.kind {
            SchemaKind::Other(type_name) => SchemaOutcome::UnsupportedType(type_name.clone()),
            SchemaKind::JsonSchema | SchemaKind::JsonSchemaCredential => {
                match resolver.and_then(|r| r.resolve(&reference.id)) {
                    Some(schema) => {
                        schema.validate(&instance)?;
                        SchemaOutcome::Valid
                    }
                    None => SchemaOutcome::NotResolved,
                }
            }
        };
        if require_all && outcome != SchemaOutcome::Valid {
            return Err(VcError::SchemaUnavailable {
                schema_id: reference.id.clone(),
            });
        }
        checks.push(SchemaCheck {
            schema_id: reference.id.clone(),
            outcome,
        });
    }
    Ok(checks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::check_credential_structure;
    use serde_json::json;

    const ID: &str = "https://schemas.example/degree.json";

    fn credential(degree: Value) -> Value {
        json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential"],
            "issuer": "https://issuer.example",
            "credentialSchema": {"id": ID, "type": "JsonSchema"},
            "credentialSubject": {"degree": degree}
        })
    }

    fn schemas() -> SchemaSet {
        SchemaSet::new()
            .with_schema(
                ID,
                &json!({
                    "$schema": "https://json-schema.org/draft/2020-12/schema",
                    "type": "object",
                    "required": ["credentialSubject"],
                    "properties": {"credentialSubject": {
                        "type": "object",
                        "required": ["degree"],
                        "properties": {"degree": {"type": "string", "enum": ["BSc", "MSc"]}}
                    }}
                }),
            )
            .unwrap()
    }

    #[test]
    fn validates_and_lists_errors() {
        let set = schemas();
        let ok = check_credential_structure(&credential(json!("MSc"))).unwrap();
        let checks = validate_schemas(&ok, Some(&set), true).unwrap();
        assert_eq!(checks[0].outcome, SchemaOutcome::Valid);
        let bad = check_credential_structure(&credential(json!(7))).unwrap();
        match validate_schemas(&bad, Some(&set), false) {
            Err(VcError::SchemaViolation { schema_id, errors }) => {
                assert_eq!(schema_id, ID);
                assert!(
                    errors
                        .iter()
                        .any(|e| e.starts_with("/credentialSubject/degree"))
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unresolved_is_reported_or_required() {
        let view = check_credential_structure(&credential(json!("MSc"))).unwrap();
        let checks = validate_schemas(&view, None, false).unwrap();
        assert_eq!(checks[0].outcome, SchemaOutcome::NotResolved);
        assert!(matches!(
            validate_schemas(&view, None, true),
            Err(VcError::SchemaUnavailable { .. })
        ));
    }

    #[test]
    fn bad_schema_and_schema_credential() {
        assert!(matches!(
            CompiledSchema::compile(ID, &json!({"type": 12})),
            Err(VcError::InvalidSchema { .. })
        ));
        let schema_credential = json!({"credentialSubject": {"type": "JsonSchema",
            "jsonSchema": {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object"}}});
        assert!(CompiledSchema::from_schema_credential(ID, &schema_credential).is_ok());
        assert!(CompiledSchema::from_schema_credential(ID, &json!({})).is_err());
    }
}
