//! Processing of the Issuer-signed JWT payload with Disclosures (RFC 9901 section 7.1,
//! step 3 onwards): digests are replaced by disclosed claims, every rejection rule of the
//! RFC is applied, and each Disclosure's position is recorded for presentation and for
//! SD-JWT VC / Type Metadata rules.

use kakehashi_crypto::{CryptoProvider, HashAlgorithm};
use serde_json::{Map, Value};

use crate::disclosure::{EncodedDigest, find_disclosure, sort_digest_index};
use crate::{ClaimPath, Disclosure, Limits, PathSegment, SdJwtError};

/// How a claim got into the processed payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimSource {
    /// In the clear in the Issuer-signed JWT (or inside a disclosed value).
    Plain,
    /// Directly from a Disclosure.
    Disclosed,
    /// A selectively disclosable array element that was not disclosed (its position is
    /// known, its value is not).
    Undisclosed,
}

/// One claim of the credential as issued, with array positions counted as issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRecord {
    /// Where the claim is.
    pub path: ClaimPath,
    /// Whether it was selectively disclosable.
    pub source: ClaimSource,
}

/// The processed payload and where each Disclosure landed.
#[derive(Debug, Clone)]
pub(crate) struct Processed {
    pub claims: Map<String, Value>,
    /// For each Disclosure (input order), the path of the claim it disclosed.
    pub disclosure_paths: Vec<ClaimPath>,
    pub records: Option<Vec<ClaimRecord>>,
}

/// Reads and removes `_sd_alg` (default sha-256, RFC 9901 section 4.1.1) and checks it
/// against the accepted set.
pub(crate) fn take_sd_alg(
    claims: &mut Map<String, Value>,
    allowed: &[HashAlgorithm],
) -> Result<HashAlgorithm, SdJwtError> {
    let hash = match claims.shift_remove("_sd_alg") {
        None => HashAlgorithm::Sha256,
        Some(Value::String(name)) => HashAlgorithm::from_iana(&name)
            .map_err(|_| SdJwtError::UnsupportedHashAlgorithm(name.chars().take(32).collect()))?,
        Some(_) => {
            return Err(SdJwtError::UnsupportedHashAlgorithm(
                "<not a string>".into(),
            ));
        }
    };
    if allowed.contains(&hash) {
        Ok(hash)
    } else {
        Err(SdJwtError::UnsupportedHashAlgorithm(
            hash.iana_name().into(),
        ))
    }
}

/// Applies `disclosures` to `claims` (from which `_sd_alg` is already removed).
pub(crate) fn process(
    claims: Map<String, Value>,
    disclosures: Vec<Disclosure>,
    provider: &CryptoProvider,
    hash: HashAlgorithm,
    limits: Limits,
    record: bool,
) -> Result<Processed, SdJwtError> {
    // Sorted (digest, disclosure index) pairs: binary search beats hashing for the few dozen
    // digests of a credential and cannot be degraded by crafted inputs.
    // Digests stay inline (no allocation per Disclosure); they are compared as text.
    let mut index: Vec<(EncodedDigest, usize)> = Vec::with_capacity(disclosures.len());
    for (i, d) in disclosures.iter().enumerate() {
        let digest = d
            .digest_inline(provider, hash)
            .ok_or(SdJwtError::Malformed("digest longer than SHA-512"))?;
        index.push((digest, i));
    }
    if let Some(twice) = sort_digest_index(&mut index) {
        return Err(SdJwtError::DuplicateDisclosure(twice.as_str().to_owned()));
    }
    let count = disclosures.len();
    let mut p = Processor {
        slots: disclosures.into_iter().map(Some).collect(),
        index,
        seen: Vec::with_capacity(count * 2),
        paths: vec![None; count],
        records: record.then(Vec::new),
        path: Vec::new(),
        limits,
    };
    let mut claims = claims;
    p.object(&mut claims, 1, 0)?;
    // RFC 9901 section 7.1 step 4: no digest may appear twice, decoys included.
    p.seen.sort_unstable();
    if let Some(w) = p.seen.windows(2).find(|w| w[0] == w[1]) {
        return Err(SdJwtError::DuplicateDigest(w[0].clone()));
    }
    // Step 5: every Disclosure must have been referenced.
    if let Some(i) = p.slots.iter().position(Option::is_some) {
        let digest = p
            .index
            .iter()
            .find(|(_, j)| *j == i)
            .map(|(d, _)| d.as_str().to_owned())
            .unwrap_or_default();
        return Err(SdJwtError::UnreferencedDisclosure(digest));
    }
    Ok(Processed {
        claims,
        disclosure_paths: p.paths.into_iter().map(Option::unwrap_or_default).collect(),
        records: p.records,
    })
}

struct Processor {
    slots: Vec<Option<Disclosure>>,
    index: Vec<(EncodedDigest, usize)>,
    seen: Vec<String>,
    paths: Vec<Option<ClaimPath>>,
    records: Option<Vec<ClaimRecord>>,
    path: Vec<PathSegment>,
    limits: Limits,
}

impl Processor {
    fn record(&mut self, source: ClaimSource) {
        if let Some(records) = &mut self.records {
            records.push(ClaimRecord {
                path: ClaimPath(self.path.clone()),
                source,
            });
        }
    }

    /// Notes `digest` as seen and takes its Disclosure, if one was presented.
    fn claim_digest(&mut self, digest: String) -> Result<Option<(usize, Disclosure)>, SdJwtError> {
        let taken = match find_disclosure(&self.index, &digest) {
            None => None,
            Some(i) => match self.slots.get_mut(i).and_then(Option::take) {
                Some(d) => Some((i, d)),
                // The Disclosure was already placed: its digest is referenced twice.
                None => return Err(SdJwtError::DuplicateDigest(digest)),
            },
        };
        self.seen.push(digest);
        Ok(taken)
    }

    /// Processes a value in place: objects and arrays are edited, not rebuilt, so a
    /// credential's plain claims cost no allocation.
    fn value(
        &mut self,
        value: &mut Value,
        depth: usize,
        sd_depth: usize,
    ) -> Result<(), SdJwtError> {
        match value {
            Value::Object(map) => self.object(map, depth, sd_depth),
            Value::Array(items) => self.array(items, depth, sd_depth),
            _ => Ok(()),
        }
    }

    fn check_depth(&self, depth: usize) -> Result<(), SdJwtError> {
        if depth > self.limits.max_payload_depth {
            return Err(SdJwtError::TooDeep {
                limit: self.limits.max_payload_depth,
            });
        }
        Ok(())
    }

    fn check_sd_depth(&self, sd_depth: usize) -> Result<(), SdJwtError> {
        if sd_depth > self.limits.max_disclosure_depth {
            return Err(SdJwtError::TooDeep {
                limit: self.limits.max_disclosure_depth,
            });
        }
        Ok(())
    }

    fn object(
        &mut self,
        map: &mut Map<String, Value>,
        depth: usize,
        sd_depth: usize,
    ) -> Result<(), SdJwtError> {
        self.check_depth(depth)?;
        let sd = match map.shift_remove("_sd") {
            None => Vec::new(),
            Some(Value::Array(digests)) => digests,
            Some(_) => return Err(SdJwtError::MisplacedSd("\"_sd\" is not an array")),
        };
        if map.contains_key("...") {
            return Err(SdJwtError::MisplacedEllipsis(
                "\"...\" used as an object member",
            ));
        }
        let recording = self.records.is_some();
        for (name, value) in map.iter_mut() {
            let container = matches!(value, Value::Object(_) | Value::Array(_));
            if !(container || recording) {
                continue;
            }
            self.path.push(PathSegment::Key(name.clone()));
            self.record(ClaimSource::Plain);
            self.value(value, depth + 1, sd_depth)?;
            self.path.pop();
        }
        for digest in sd {
            let Value::String(digest) = digest else {
                return Err(SdJwtError::MisplacedSd("\"_sd\" contains a non-string"));
            };
            let Some((i, disclosure)) = self.claim_digest(digest)? else {
                continue;
            };
            let (name, mut value) = disclosure.into_parts();
            let Some(name) = name else {
                return Err(SdJwtError::DisclosureShape(
                    "array-element disclosure referenced from an object's \"_sd\"",
                ));
            };
            if map.contains_key(&name) {
                return Err(SdJwtError::ClaimNameCollision(name));
            }
            self.check_sd_depth(sd_depth + 1)?;
            self.path.push(PathSegment::Key(name));
            self.paths[i] = Some(ClaimPath(self.path.clone()));
            self.record(ClaimSource::Disclosed);
            self.value(&mut value, depth + 1, sd_depth + 1)?;
            let Some(PathSegment::Key(name)) = self.path.pop() else {
                return Err(SdJwtError::Malformed("internal path stack"));
            };
            map.insert(name, value);
        }
        Ok(())
    }

    fn array(
        &mut self,
        items: &mut Vec<Value>,
        depth: usize,
        sd_depth: usize,
    ) -> Result<(), SdJwtError> {
        self.check_depth(depth)?;
        let has_digests = items
            .iter()
            .any(|item| matches!(item, Value::Object(m) if m.contains_key("...")));
        let recording = self.records.is_some();
        if !has_digests {
            for (position, item) in items.iter_mut().enumerate() {
                let container = matches!(item, Value::Object(_) | Value::Array(_));
                if !(container || recording) {
                    continue;
                }
                self.path.push(PathSegment::Index(position));
                self.record(ClaimSource::Plain);
                self.value(item, depth + 1, sd_depth)?;
                self.path.pop();
            }
            return Ok(());
        }
        let issued = std::mem::take(items);
        items.reserve(issued.len());
        for (position, item) in issued.into_iter().enumerate() {
            self.path.push(PathSegment::Index(position));
            match item {
                Value::Object(mut m) if m.contains_key("...") => {
                    if m.len() != 1 {
                        return Err(SdJwtError::MisplacedEllipsis(
                            "array element with \"...\" has other members",
                        ));
                    }
                    let Some(Value::String(digest)) = m.shift_remove("...") else {
                        return Err(SdJwtError::MisplacedEllipsis(
                            "\"...\" value is not a string",
                        ));
                    };
                    match self.claim_digest(digest)? {
                        None => self.record(ClaimSource::Undisclosed),
                        Some((i, disclosure)) => {
                            let (name, mut value) = disclosure.into_parts();
                            if name.is_some() {
                                return Err(SdJwtError::DisclosureShape(
                                    "object-property disclosure referenced from an array element",
                                ));
                            }
                            self.check_sd_depth(sd_depth + 1)?;
                            self.paths[i] = Some(ClaimPath(self.path.clone()));
                            self.record(ClaimSource::Disclosed);
                            self.value(&mut value, depth + 1, sd_depth + 1)?;
                            items.push(value);
                        }
                    }
                }
                mut other => {
                    self.record(ClaimSource::Plain);
                    self.value(&mut other, depth + 1, sd_depth)?;
                    items.push(other);
                }
            }
            self.path.pop();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::JsonStyle;
    use kakehashi_core::JsonLimits;
    use kakehashi_crypto_aws_lc::provider;
    use serde_json::json;

    fn prop(salt: &str, name: &str, value: Value) -> Disclosure {
        Disclosure::property(salt.into(), name.into(), value, JsonStyle::Compact).unwrap()
    }

    fn elem(salt: &str, value: Value) -> Disclosure {
        Disclosure::element(salt.into(), value, JsonStyle::Compact)
    }

    fn dg(d: &Disclosure) -> String {
        d.digest(&provider(), HashAlgorithm::Sha256)
    }

    fn run(payload: Value, ds: Vec<Disclosure>) -> Result<Processed, SdJwtError> {
        let Value::Object(map) = payload else {
            panic!()
        };
        process(
            map,
            ds,
            &provider(),
            HashAlgorithm::Sha256,
            Limits::DEFAULT,
            true,
        )
    }

    #[test]
    fn object_array_and_recursive() {
        let street = prop("s1", "street", json!("Main"));
        let addr = prop("s2", "address", json!({"_sd": [dg(&street)], "zip": "1"}));
        let nat = elem("s3", json!("DE"));
        let hidden = elem("s4", json!("JP"));
        let payload = json!({"_sd": [dg(&addr), "decoy"], "iss": "x",
            "nat": [{"...": dg(&nat)}, {"...": dg(&hidden)}, "FR"]});
        let p = run(payload, vec![street, nat, addr]).unwrap();
        assert_eq!(
            Value::Object(p.claims),
            json!({"iss":"x","address":{"zip":"1","street":"Main"},"nat":["DE","FR"]})
        );
        let paths: Vec<String> = p.disclosure_paths.iter().map(ToString::to_string).collect();
        assert_eq!(paths, ["/address/street", "/nat/0", "/address"]);
        let records = p.records.unwrap();
        assert!(records.contains(&ClaimRecord {
            path: ClaimPath(vec![PathSegment::Key("nat".into()), PathSegment::Index(1)]),
            source: ClaimSource::Undisclosed
        }));
        assert!(records.contains(&ClaimRecord {
            path: ClaimPath(vec![PathSegment::Key("nat".into()), PathSegment::Index(2)]),
            source: ClaimSource::Plain
        }));
    }

    #[test]
    #[allow(clippy::type_complexity)] // a table of (payload, disclosures, expected error)
    fn rejections() {
        let a = prop("s1", "a", json!(1));
        let e = elem("s2", json!(1));
        let sd_name = Disclosure::parse(
            &kakehashi_core::b64::encode(br#"["s","_sd",1]"#),
            JsonLimits::DEFAULT,
        );
        assert_eq!(sd_name, Err(SdJwtError::ReservedClaimName("_sd".into())));
        let cases: Vec<(Value, Vec<Disclosure>, fn(&SdJwtError) -> bool)> = vec![
            (json!({"_sd": [dg(&a), dg(&a)]}), vec![a.clone()], |e| {
                matches!(e, SdJwtError::DuplicateDigest(_))
            }),
            (json!({"_sd": ["x", "x"]}), vec![], |e| {
                matches!(e, SdJwtError::DuplicateDigest(_))
            }),
            (
                json!({"_sd": [dg(&a)], "b": {"_sd": [dg(&a)]}}),
                vec![a.clone()],
                |e| matches!(e, SdJwtError::DuplicateDigest(_)),
            ),
            (json!({"_sd": []}), vec![a.clone()], |e| {
                matches!(e, SdJwtError::UnreferencedDisclosure(_))
            }),
            (json!({"_sd": [dg(&a)]}), vec![a.clone(), a.clone()], |e| {
                matches!(e, SdJwtError::DuplicateDisclosure(_))
            }),
            (json!({"_sd": [dg(&a)], "a": 2}), vec![a.clone()], |e| {
                matches!(e, SdJwtError::ClaimNameCollision(_))
            }),
            (json!({"_sd": "x"}), vec![], |e| {
                matches!(e, SdJwtError::MisplacedSd(_))
            }),
            (json!({"_sd": [1]}), vec![], |e| {
                matches!(e, SdJwtError::MisplacedSd(_))
            }),
            (json!({"l": [{"...": "x", "b": 1}]}), vec![], |e| {
                matches!(e, SdJwtError::MisplacedEllipsis(_))
            }),
            (json!({"l": [{"...": 1}]}), vec![], |e| {
                matches!(e, SdJwtError::MisplacedEllipsis(_))
            }),
            (json!({"o": {"...": "x"}}), vec![], |e| {
                matches!(e, SdJwtError::MisplacedEllipsis(_))
            }),
            (json!({"l": [{"...": dg(&a)}]}), vec![a.clone()], |e| {
                matches!(e, SdJwtError::DisclosureShape(_))
            }),
            (json!({"_sd": [dg(&e)]}), vec![e.clone()], |e| {
                matches!(e, SdJwtError::DisclosureShape(_))
            }),
        ];
        for (i, (payload, ds, check)) in cases.into_iter().enumerate() {
            let err = run(payload, ds).unwrap_err();
            assert!(check(&err), "case {i}: {err:?}");
        }
    }

    #[test]
    fn recursion_budget() {
        let mut inner = prop("s0", "c", json!(1));
        let mut all = vec![inner.clone()];
        for i in 1..=Limits::DEFAULT.max_disclosure_depth {
            inner = prop(&format!("s{i}"), "c", json!({"_sd": [dg(&inner)]}));
            all.push(inner.clone());
        }
        let payload = json!({"_sd": [dg(&inner)]});
        assert_eq!(
            run(payload, all).unwrap_err(),
            SdJwtError::TooDeep {
                limit: Limits::DEFAULT.max_disclosure_depth
            }
        );
    }

    #[test]
    fn sd_alg() {
        let all = [HashAlgorithm::Sha256, HashAlgorithm::Sha384];
        let mut m = Map::new();
        assert_eq!(take_sd_alg(&mut m, &all), Ok(HashAlgorithm::Sha256));
        m.insert("_sd_alg".into(), json!("sha-384"));
        assert_eq!(take_sd_alg(&mut m, &all), Ok(HashAlgorithm::Sha384));
        assert!(!m.contains_key("_sd_alg"));
        m.insert("_sd_alg".into(), json!("sha-512"));
        assert!(take_sd_alg(&mut m, &all).is_err());
        m.insert("_sd_alg".into(), json!("md5"));
        assert!(take_sd_alg(&mut m, &all).is_err());
        m.insert("_sd_alg".into(), json!(1));
        assert!(take_sd_alg(&mut m, &all).is_err());
    }
}
