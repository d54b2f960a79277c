//! Claims Path Pointer (OpenID4VP 1.0 section 7, identical in OpenID4VCI 1.0 Appendix C):
//! a non-empty array of strings (object keys), non-negative integers (array indices) and
//! `null` (every element of an array).
//!
//! Processing yields every selected element together with its *concrete* path (nulls expanded
//! to indices): the consent screen lists exactly those paths, and the selective-disclosure
//! layer reveals exactly those claims.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The longest pointer accepted; credential claims nest a handful of levels deep.
pub const MAX_PATH_LEN: usize = 32;

/// One component of a claims path pointer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PathElement {
    /// Select the member with this name of the selected object(s).
    Key(String),
    /// Select this 0-based index of the selected array(s).
    Index(u64),
    /// Select every element of the selected array(s) (`null` on the wire).
    AllElements,
}

impl PathElement {
    fn to_value(&self) -> Value {
        match self {
            Self::Key(k) => Value::String(k.clone()),
            Self::Index(i) => Value::from(*i),
            Self::AllElements => Value::Null,
        }
    }
}

/// Why a pointer is malformed or cannot be applied to a credential.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PathError {
    /// Not a non-empty array of strings, nulls and non-negative integers (or too long).
    #[error("malformed claims path pointer: {0}")]
    Malformed(&'static str),
    /// A string component met a selected element that is not an object.
    #[error("path component {position} expects an object")]
    NotAnObject { position: usize },
    /// An index or null component met a selected element that is not an array.
    #[error("path component {position} expects an array")]
    NotAnArray { position: usize },
    /// Nothing is selected: the claim does not exist.
    #[error("the claims path pointer selects nothing")]
    NothingSelected,
}

/// A validated claims path pointer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "Value", into = "Value")]
pub struct ClaimsPath(Vec<PathElement>);

/// One element selected by a pointer, with the concrete path that reaches it.
#[derive(Debug, Clone, PartialEq)]
pub struct Selected<'a> {
    /// The path with every `null` replaced by the index actually taken.
    pub path: ClaimsPath,
    /// The selected value.
    pub value: &'a Value,
}

impl ClaimsPath {
    /// Builds a pointer from components; refuses an empty or over-long one.
    pub fn new(elements: Vec<PathElement>) -> Result<Self, PathError> {
        if elements.is_empty() {
            return Err(PathError::Malformed("empty"));
        }
        if elements.len() > MAX_PATH_LEN {
            return Err(PathError::Malformed("too long"));
        }
        Ok(Self(elements))
    }

    /// A pointer of object keys only, e.g. `["credentialSubject", "degree"]`.
    pub fn keys<I: IntoIterator<Item = S>, S: Into<String>>(keys: I) -> Result<Self, PathError> {
        Self::new(
            keys.into_iter()
                .map(|k| PathElement::Key(k.into()))
                .collect(),
        )
    }

    /// Parses the JSON form.
    pub fn from_json(value: &Value) -> Result<Self, PathError> {
        let items = value
            .as_array()
            .ok_or(PathError::Malformed("not an array"))?;
        let elements = items
            .iter()
            .map(|item| match item {
                Value::String(s) => Ok(PathElement::Key(s.clone())),
                Value::Null => Ok(PathElement::AllElements),
                Value::Number(n) => n
                    .as_u64()
                    .map(PathElement::Index)
                    .ok_or(PathError::Malformed("index must be a non-negative integer")),
                _ => Err(PathError::Malformed(
                    "component must be string, null or index",
                )),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(elements)
    }

    /// The components.
    pub fn elements(&self) -> &[PathElement] {
        &self.0
    }

    /// True when the pointer contains no `null` (it names at most one claim).
    pub fn is_concrete(&self) -> bool {
        !self.0.contains(&PathElement::AllElements)
    }

    /// True when `self` is `other` or lies inside it (`["a","b"]` starts with `["a"]`).
    pub fn starts_with(&self, other: &ClaimsPath) -> bool {
        self.0.len() >= other.0.len() && self.0[..other.0.len()] == other.0[..]
    }

    /// Applies the pointer to a JSON credential (section 7.1.1 processing rules).
    pub fn select<'a>(&self, root: &'a Value) -> Result<Vec<Selected<'a>>, PathError> {
        let mut current: Vec<(Vec<PathElement>, &'a Value)> = vec![(Vec::new(), root)];
        for (position, element) in self.0.iter().enumerate() {
            let mut next = Vec::new();
            for (prefix, value) in current {
                match element {
                    PathElement::Key(key) => {
                        let obj = value
                            .as_object()
                            .ok_or(PathError::NotAnObject { position })?;
                        if let Some(child) = obj.get(key) {
                            next.push((extend(&prefix, element.clone()), child));
                        }
                    }
                    PathElement::Index(index) => {
                        let arr = value.as_array().ok_or(PathError::NotAnArray { position })?;
                        let child = usize::try_from(*index).ok().and_then(|i| arr.get(i));
                        if let Some(child) = child {
                            next.push((extend(&prefix, element.clone()), child));
                        }
                    }
                    PathElement::AllElements => {
                        let arr = value.as_array().ok_or(PathError::NotAnArray { position })?;
                        for (i, child) in arr.iter().enumerate() {
                            let index = u64::try_from(i).map_err(|_| PathError::NothingSelected)?;
                            next.push((extend(&prefix, PathElement::Index(index)), child));
                        }
                    }
                }
            }
            current = next;
        }
        if current.is_empty() {
            return Err(PathError::NothingSelected);
        }
        Ok(current
            .into_iter()
            .map(|(path, value)| Selected {
                path: ClaimsPath(path),
                value,
            })
            .collect())
    }
}

fn extend(prefix: &[PathElement], element: PathElement) -> Vec<PathElement> {
    let mut out = Vec::with_capacity(prefix.len() + 1);
    out.extend_from_slice(prefix);
    out.push(element);
    out
}

impl TryFrom<Value> for ClaimsPath {
    type Error = PathError;
    fn try_from(value: Value) -> Result<Self, PathError> {
        Self::from_json(&value)
    }
}

impl From<ClaimsPath> for Value {
    fn from(path: ClaimsPath) -> Value {
        Value::Array(path.0.iter().map(PathElement::to_value).collect())
    }
}

impl fmt::Display for ClaimsPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v: Vec<Value> = self.0.iter().map(PathElement::to_value).collect();
        write!(f, "{}", Value::Array(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn credential() -> Value {
        // OpenID4VP 1.0 section 7.1.2 example credential.
        json!({
            "name": "Arthur Dent",
            "address": {"street_address": "42 Market Street", "locality": "Milliways", "postal_code": "12345"},
            "degrees": [
                {"type": "Bachelor of Science", "university": "University of Betelgeuse"},
                {"type": "Master of Science", "university": "University of Betelgeuse"}
            ],
            "nationalities": ["British", "Betelgeusian"]
        })
    }

    fn sel(path: Value) -> Result<Vec<(Value, Value)>, PathError> {
        let cred = credential();
        let p = ClaimsPath::from_json(&path)?;
        Ok(p.select(&cred)?
            .into_iter()
            .map(|s| (Value::from(s.path), s.value.clone()))
            .collect())
    }

    #[test]
    fn spec_examples() {
        assert_eq!(
            sel(json!(["name"])).unwrap(),
            vec![(json!(["name"]), json!("Arthur Dent"))]
        );
        assert_eq!(
            sel(json!(["address"])).unwrap()[0].1["locality"],
            json!("Milliways")
        );
        assert_eq!(
            sel(json!(["address", "street_address"])).unwrap()[0].1,
            json!("42 Market Street")
        );
        assert_eq!(
            sel(json!(["degrees", null, "type"])).unwrap(),
            vec![
                (json!(["degrees", 0, "type"]), json!("Bachelor of Science")),
                (json!(["degrees", 1, "type"]), json!("Master of Science"))
            ]
        );
        assert_eq!(
            sel(json!(["nationalities", 1])).unwrap(),
            vec![(json!(["nationalities", 1]), json!("Betelgeusian"))]
        );
    }

    #[test]
    fn errors() {
        assert_eq!(sel(json!([])), Err(PathError::Malformed("empty")));
        assert!(matches!(
            sel(json!(["a", -1])),
            Err(PathError::Malformed(_))
        ));
        assert!(matches!(
            sel(json!(["a", 1.5])),
            Err(PathError::Malformed(_))
        ));
        assert!(matches!(sel(json!([true])), Err(PathError::Malformed(_))));
        assert!(matches!(sel(json!("name")), Err(PathError::Malformed(_))));
        assert_eq!(sel(json!(["missing"])), Err(PathError::NothingSelected));
        assert_eq!(
            sel(json!(["nationalities", 5])),
            Err(PathError::NothingSelected)
        );
        assert_eq!(
            sel(json!(["name", "x"])),
            Err(PathError::NotAnObject { position: 1 })
        );
        assert_eq!(
            sel(json!(["address", 0])),
            Err(PathError::NotAnArray { position: 1 })
        );
        assert_eq!(
            sel(json!(["address", null])),
            Err(PathError::NotAnArray { position: 1 })
        );
        let long: Vec<Value> = (0..=MAX_PATH_LEN).map(|_| json!("a")).collect();
        assert!(matches!(
            sel(Value::Array(long)),
            Err(PathError::Malformed("too long"))
        ));
    }

    #[test]
    fn serde_round_trip_and_prefix() {
        let p: ClaimsPath = serde_json::from_value(json!(["degrees", null, "type"])).unwrap();
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            json!(["degrees", null, "type"])
        );
        assert!(!p.is_concrete());
        let a = ClaimsPath::keys(["address", "locality"]).unwrap();
        assert!(a.starts_with(&ClaimsPath::keys(["address"]).unwrap()));
        assert!(!ClaimsPath::keys(["address"]).unwrap().starts_with(&a));
        assert_eq!(a.to_string(), r#"["address","locality"]"#);
    }
}
