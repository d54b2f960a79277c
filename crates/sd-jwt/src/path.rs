//! Claim paths: where a claim sits in the (processed) payload.

use std::fmt;

use serde_json::Value;

use crate::SdJwtError;

/// One step of a claim path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PathSegment {
    /// An object member.
    Key(String),
    /// An array position, counted in the array *as issued* (undisclosed elements count).
    Index(usize),
}

/// A concrete path to one claim, e.g. `address` / `street_address` or `nationalities` / `0`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClaimPath(pub Vec<PathSegment>);

impl ClaimPath {
    /// The path of a top-level claim.
    pub fn top(name: &str) -> Self {
        Self(vec![PathSegment::Key(name.to_owned())])
    }

    /// Resolves a JSON Pointer (RFC 6901, e.g. `/address/street` or `/nationalities/0`) against
    /// `claims`: a token names a member of an object and an index of an array. The pointer must
    /// lead to an existing value.
    pub fn from_pointer(pointer: &str, claims: &Value) -> Result<Self, SdJwtError> {
        let unknown = || SdJwtError::UnknownClaimPath(pointer.chars().take(128).collect());
        let rest = pointer.strip_prefix('/').ok_or_else(unknown)?;
        let mut segments = Vec::new();
        let mut current = claims;
        for raw in rest.split('/') {
            let token = raw.replace("~1", "/").replace("~0", "~");
            match current {
                Value::Object(map) => {
                    current = map.get(&token).ok_or_else(unknown)?;
                    segments.push(PathSegment::Key(token));
                }
                Value::Array(items) => {
                    let canonical = token == "0" || !token.starts_with('0');
                    let index = token
                        .parse::<usize>()
                        .ok()
                        .filter(|_| canonical)
                        .ok_or_else(unknown)?;
                    current = items.get(index).ok_or_else(unknown)?;
                    segments.push(PathSegment::Index(index));
                }
                _ => return Err(unknown()),
            }
        }
        Ok(Self(segments))
    }

    /// Reads the array form (`["address", "street_address"]`, `["nationalities", 0]`) used by
    /// claim metadata and DCQL; wildcards (`null`) must be expanded by the caller.
    pub fn from_json(value: &Value) -> Result<Self, SdJwtError> {
        let bad = || SdJwtError::UnknownClaimPath(value.to_string().chars().take(128).collect());
        let items = value.as_array().filter(|a| !a.is_empty()).ok_or_else(bad)?;
        items
            .iter()
            .map(|s| match s {
                Value::String(k) => Ok(PathSegment::Key(k.clone())),
                Value::Number(n) => n
                    .as_u64()
                    .and_then(|i| usize::try_from(i).ok())
                    .map(PathSegment::Index)
                    .ok_or_else(bad),
                _ => Err(bad()),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    /// True when `self` is `other` or one of its ancestors.
    pub fn is_prefix_of(&self, other: &ClaimPath) -> bool {
        other.0.starts_with(&self.0)
    }

    /// The segments.
    pub fn segments(&self) -> &[PathSegment] {
        &self.0
    }

    /// As a JSON array (`["address", "street_address"]`), the form claim metadata and DCQL use.
    pub fn to_json(&self) -> Value {
        Value::Array(
            self.0
                .iter()
                .map(|s| match s {
                    PathSegment::Key(k) => Value::String(k.clone()),
                    PathSegment::Index(i) => Value::from(*i),
                })
                .collect(),
        )
    }
}

impl fmt::Display for ClaimPath {
    /// JSON Pointer form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("/");
        }
        for s in &self.0 {
            match s {
                PathSegment::Key(k) => write!(f, "/{}", k.replace('~', "~0").replace('/', "~1"))?,
                PathSegment::Index(i) => write!(f, "/{i}")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pointers() {
        let claims = json!({"address": {"street": "x", "a/b": 1}, "n": ["a", "b"]});
        let p = ClaimPath::from_pointer("/address/street", &claims).unwrap();
        assert_eq!(p.to_string(), "/address/street");
        assert_eq!(
            ClaimPath::from_pointer("/n/1", &claims).unwrap().0[1],
            PathSegment::Index(1)
        );
        assert_eq!(
            ClaimPath::from_pointer("/address/a~1b", &claims)
                .unwrap()
                .to_string(),
            "/address/a~1b"
        );
        for bad in [
            "address",
            "/n/2",
            "/n/01",
            "/n/x",
            "/address/street/x",
            "/missing",
        ] {
            assert!(
                matches!(
                    ClaimPath::from_pointer(bad, &claims),
                    Err(SdJwtError::UnknownClaimPath(_))
                ),
                "{bad}"
            );
        }
        assert!(ClaimPath::top("address").is_prefix_of(&p));
        assert!(!p.is_prefix_of(&ClaimPath::top("address")));
        assert_eq!(p.to_json(), json!(["address", "street"]));
        assert_eq!(ClaimPath::from_json(&p.to_json()).unwrap(), p);
        assert_eq!(
            ClaimPath::from_json(&json!(["n", 1])).unwrap().to_string(),
            "/n/1"
        );
        for bad in [json!([]), json!(["a", null]), json!(["a", -1]), json!("a")] {
            assert!(ClaimPath::from_json(&bad).is_err(), "{bad}");
        }
    }
}
