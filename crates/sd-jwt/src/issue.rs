//! Issuing SD-JWTs (RFC 9901 sections 4.1 and 4.2): claims chosen by path become
//! Disclosures, nested choices become recursive Disclosures, decoys hide the count.

use std::collections::BTreeMap;

use kakehashi_core::b64;
use kakehashi_crypto::{CryptoProvider, HashAlgorithm, PublicJwk, Signer};
use kakehashi_jose::{JwsHeader, UnverifiedJws, sign_compact_with};
use serde_json::{Map, Value};

use crate::disclosure::check_claim_name;
use crate::{
    ClaimPath, Disclosure, JsonStyle, Limits, PathSegment, SdJwt, SdJwtError, Serialization,
};

/// Bytes of randomness in a salt: 128 bits, as RFC 9901 section 9.3 recommends.
const SALT_BYTES: usize = 16;

/// Top-level claims that an SD-JWT VC must keep in the clear (draft-ietf-oauth-sd-jwt-vc,
/// section 2.2.2.3), together with their sub-claims.
pub const VC_NEVER_DISCLOSABLE: [&str; 8] = [
    "iss",
    "nbf",
    "exp",
    "cnf",
    "vct",
    "vct#integrity",
    "aka_vcts",
    "status",
];

/// Builds and signs one SD-JWT.
///
/// Randomness (salts, decoys) comes from the caller's `fill` function: the edge passes the
/// operating system's CSPRNG, tests pass fixed bytes to reproduce vectors.
#[derive(Debug, Clone)]
pub struct SdJwtBuilder {
    claims: Map<String, Value>,
    concealed: Vec<ClaimPath>,
    decoys_per_object: usize,
    hash: HashAlgorithm,
    holder_key: Option<PublicJwk>,
    header: Map<String, Value>,
    style: JsonStyle,
    vc_rules: bool,
    salts_in_one_call: bool,
}

impl SdJwtBuilder {
    /// Starts from the claims as they should appear after full disclosure.
    pub fn new(claims: Map<String, Value>) -> Self {
        let mut header = Map::new();
        header.insert("alg".into(), Value::Null);
        Self {
            claims,
            concealed: Vec::new(),
            decoys_per_object: 0,
            hash: HashAlgorithm::Sha256,
            holder_key: None,
            header,
            style: JsonStyle::Compact,
            vc_rules: false,
            salts_in_one_call: false,
        }
    }

    /// An SD-JWT VC: `typ: dc+sd-jwt`, the `vct` claim, and a refusal to conceal `iss`,
    /// `nbf`, `exp`, `cnf`, `vct`, `vct#integrity`, `aka_vcts` or `status`.
    pub fn sd_jwt_vc(claims: Map<String, Value>, vct: &str) -> Self {
        let mut b = Self::new(claims).typ("dc+sd-jwt");
        b.claims.insert("vct".into(), Value::String(vct.to_owned()));
        b.vc_rules = true;
        b
    }

    /// Makes the claim at `path` selectively disclosable. Concealing both a claim and a claim
    /// inside it yields recursive Disclosures.
    pub fn conceal(mut self, path: ClaimPath) -> Self {
        self.concealed.push(path);
        self
    }

    /// Makes every top-level claim selectively disclosable, except those an SD-JWT VC must
    /// keep in the clear (for a VC) and the registered JWT claims `iss`, `iat`, `nbf`, `exp`,
    /// `cnf`.
    pub fn conceal_all_top_level(mut self) -> Self {
        const CLEAR: [&str; 5] = ["iss", "iat", "nbf", "exp", "cnf"];
        let names: Vec<String> = self
            .claims
            .keys()
            .filter(|k| !CLEAR.contains(&k.as_str()) && !VC_NEVER_DISCLOSABLE.contains(&k.as_str()))
            .cloned()
            .collect();
        for k in names {
            self.concealed.push(ClaimPath::top(&k));
        }
        self
    }

    /// Adds `n` decoy digests to every object that has selectively disclosable claims.
    pub fn decoys_per_object(mut self, n: usize) -> Self {
        self.decoys_per_object = n;
        self
    }

    /// The digest algorithm (`_sd_alg`); sha-256 by default.
    pub fn hash_algorithm(mut self, hash: HashAlgorithm) -> Self {
        self.hash = hash;
        self
    }

    /// Binds the SD-JWT to the holder's key (`cnf.jwk`), enabling Key Binding.
    pub fn holder_key(mut self, key: PublicJwk) -> Self {
        self.holder_key = Some(key);
        self
    }

    /// Sets the `typ` header.
    pub fn typ(self, typ: &str) -> Self {
        self.header_member("typ", Value::String(typ.to_owned()))
    }

    /// Sets another protected header member (`kid`, ...). `alg` is always the signer's.
    pub fn header_member(mut self, name: &str, value: Value) -> Self {
        if name != "alg" {
            self.header.insert(name.to_owned(), value);
        }
        self
    }

    /// Draws every salt of the credential (16 bytes per Disclosure and decoy) from one call
    /// of `fill` instead of one call each: the OS generator costs about a microsecond per
    /// call whatever the size, a tenth of an issuance. For generators that fill any buffer
    /// with fresh random bytes, as the OS CSPRNG does; vector replays that hand out one
    /// salt per call keep the default.
    pub fn salts_in_one_call(mut self) -> Self {
        self.salts_in_one_call = true;
        self
    }

    /// The JSON text style of the payload, header and Disclosures.
    pub fn json_style(mut self, style: JsonStyle) -> Self {
        self.style = style;
        self
    }

    /// Builds the payload and Disclosures and signs.
    pub fn issue(
        self,
        provider: &CryptoProvider,
        signer: &dyn Signer,
        fill: &mut dyn FnMut(&mut [u8]),
    ) -> Result<SdJwt, SdJwtError> {
        let mut tree = SdTree::default();
        for path in &self.concealed {
            if path.0.is_empty() {
                return Err(SdJwtError::UnknownClaimPath("/".into()));
            }
            if self.vc_rules
                && let Some(PathSegment::Key(first)) = path.0.first()
                && VC_NEVER_DISCLOSABLE.contains(&first.as_str())
            {
                return Err(SdJwtError::NotSelectivelyDisclosable(path.to_string()));
            }
            tree.insert(&path.0);
        }
        for reserved in ["_sd_alg", "cnf"] {
            if reserved == "cnf" && self.holder_key.is_none() {
                continue;
            }
            if self.claims.contains_key(reserved) {
                return Err(SdJwtError::ReservedClaimName(reserved.into()));
            }
        }
        let salts = if self.salts_in_one_call {
            tree.salts(self.decoys_per_object)
        } else {
            0
        };
        let mut ctx = Ctx {
            provider,
            hash: self.hash,
            style: self.style,
            salts: SaltPool::new(salts, fill),
            decoys: self.decoys_per_object,
            disclosures: Vec::new(),
            path: Vec::new(),
        };
        let mut payload = ctx.object(self.claims, &tree)?;
        payload.insert(
            "_sd_alg".into(),
            Value::String(self.hash.iana_name().into()),
        );
        if let Some(key) = &self.holder_key {
            let mut cnf = Map::new();
            cnf.insert("jwk".into(), key.to_json());
            payload.insert("cnf".into(), Value::Object(cnf));
        }
        let mut header = self.header;
        header.insert(
            "alg".into(),
            Value::String(signer.algorithm().jose_name().into()),
        );
        let chain = signer.certificate_chain();
        if !chain.is_empty() && !header.contains_key("x5c") {
            let x5c = chain
                .iter()
                .map(|c| Value::String(b64::encode_std(c)))
                .collect();
            header.insert("x5c".into(), Value::Array(x5c));
        }
        let header = Value::Object(header);
        let header_json = self.style.to_string(&header);
        let payload_json = self.style.to_string(&Value::Object(payload));
        // The JWS is kept as made instead of parsed back from its text, when the header is
        // one parsing would accept; anything else takes the parse, for its exact error.
        let limits = Limits::DEFAULT.json;
        let parsable = header_json.len() <= limits.max_bytes
            && kakehashi_core::json::depth(&header) <= limits.max_depth;
        let checked = match header {
            Value::Object(members) if parsable => JwsHeader::from_members(members, &[])
                .ok()
                .filter(|h| h.member("b64") != Some(&Value::Bool(false))),
            _ => None,
        };
        let disclosures = ctx.disclosures;
        if let Some(checked) = checked {
            let jws =
                UnverifiedJws::sign(checked, header_json.as_bytes(), payload_json.into(), signer)
                    .map_err(SdJwtError::jose("signing"))?;
            return Ok(SdJwt {
                jws: vec![jws],
                disclosures,
                kb_jwt: None,
                serialization: Serialization::Compact,
            });
        }
        let mut signing_input = b64::encode(header_json);
        signing_input.push('.');
        signing_input.push_str(&b64::encode(payload_json));
        let jwt = sign_compact_with(&signing_input, signer).map_err(SdJwtError::jose("signing"))?;
        SdJwt::from_parts(jwt, disclosures, Limits::DEFAULT)
    }
}

/// Salts drawn from one buffer filled by one call of the caller's generator per credential
/// ([`SdJwtBuilder::salts_in_one_call`]); with an empty buffer, or should the count fall
/// short, each salt is one call.
struct SaltPool<'a> {
    bytes: Vec<u8>,
    used: usize,
    fill: &'a mut dyn FnMut(&mut [u8]),
}

impl<'a> SaltPool<'a> {
    fn new(count: usize, fill: &'a mut dyn FnMut(&mut [u8])) -> Self {
        let mut bytes = vec![0u8; count.saturating_mul(SALT_BYTES)];
        if !bytes.is_empty() {
            fill(&mut bytes);
        }
        Self {
            bytes,
            used: 0,
            fill,
        }
    }

    fn next(&mut self) -> [u8; SALT_BYTES] {
        let mut salt = [0u8; SALT_BYTES];
        match self.bytes.get(self.used..self.used + SALT_BYTES) {
            Some(chunk) => {
                salt.copy_from_slice(chunk);
                self.used += SALT_BYTES;
            }
            None => (self.fill)(&mut salt),
        }
        salt
    }
}

/// The concealed paths as a tree, so the walk over the claims finds them in one pass.
#[derive(Debug, Default)]
struct SdTree {
    here: bool,
    children: BTreeMap<PathSegment, SdTree>,
}

impl SdTree {
    /// Salts the walk will draw: one per concealed claim, and `decoys` for each object that
    /// gets an `_sd` array (one with a concealed member; arrays get no decoys).
    fn salts(&self, decoys: usize) -> usize {
        let own = self.children.values().filter(|c| c.here).count();
        let decoys_here = if self
            .children
            .iter()
            .any(|(k, c)| c.here && matches!(k, PathSegment::Key(_)))
        {
            decoys
        } else {
            0
        };
        self.children
            .values()
            .map(|c| c.salts(decoys))
            .fold(own.saturating_add(decoys_here), usize::saturating_add)
    }

    fn insert(&mut self, path: &[PathSegment]) {
        match path.split_first() {
            None => self.here = true,
            Some((first, rest)) => self.children.entry(first.clone()).or_default().insert(rest),
        }
    }
}

struct Ctx<'a> {
    provider: &'a CryptoProvider,
    hash: HashAlgorithm,
    style: JsonStyle,
    salts: SaltPool<'a>,
    decoys: usize,
    disclosures: Vec<Disclosure>,
    path: Vec<PathSegment>,
}

impl Ctx<'_> {
    fn salt(&mut self) -> String {
        b64::encode(self.salts.next())
    }

    fn unknown(&self, segment: &PathSegment) -> SdJwtError {
        let mut p = ClaimPath(self.path.clone());
        p.0.push(segment.clone());
        SdJwtError::UnknownClaimPath(p.to_string())
    }

    fn value(&mut self, value: Value, tree: Option<&SdTree>) -> Result<Value, SdJwtError> {
        let Some(tree) = tree.filter(|t| !t.children.is_empty()) else {
            check_input(&value)?;
            return Ok(value);
        };
        match value {
            Value::Object(map) => Ok(Value::Object(self.object(map, tree)?)),
            Value::Array(items) => Ok(Value::Array(self.array(items, tree)?)),
            _ => match tree.children.keys().next() {
                Some(segment) => Err(self.unknown(segment)),
                None => Ok(value),
            },
        }
    }

    fn object(
        &mut self,
        map: Map<String, Value>,
        tree: &SdTree,
    ) -> Result<Map<String, Value>, SdJwtError> {
        for segment in tree.children.keys() {
            let exists = matches!(segment, PathSegment::Key(k) if map.contains_key(k));
            if !exists {
                return Err(self.unknown(segment));
            }
        }
        let mut digests = Vec::new();
        let mut plain = Map::new();
        for (name, value) in map {
            check_claim_name(&name)?;
            let segment = PathSegment::Key(name);
            let child = tree.children.get(&segment);
            self.path.push(segment);
            let value = self.value(value, child)?;
            let Some(PathSegment::Key(name)) = self.path.pop() else {
                return Err(SdJwtError::Malformed("internal path stack"));
            };
            if child.is_some_and(|c| c.here) {
                let salt = self.salt();
                let d = Disclosure::property(salt, name, value, self.style)?;
                digests.push(d.digest(self.provider, self.hash));
                self.disclosures.push(d);
            } else {
                plain.insert(name, value);
            }
        }
        if !digests.is_empty() {
            for _ in 0..self.decoys {
                let salt = self.salt();
                digests.push(b64::encode(
                    self.provider.digest(self.hash, salt.as_bytes()),
                ));
            }
            digests.sort_unstable();
            let mut out = Map::with_capacity(plain.len() + 1);
            out.insert(
                "_sd".into(),
                Value::Array(digests.into_iter().map(Value::String).collect()),
            );
            out.extend(plain);
            Ok(out)
        } else {
            Ok(plain)
        }
    }

    fn array(&mut self, items: Vec<Value>, tree: &SdTree) -> Result<Vec<Value>, SdJwtError> {
        for segment in tree.children.keys() {
            let exists = matches!(segment, PathSegment::Index(i) if *i < items.len());
            if !exists {
                return Err(self.unknown(segment));
            }
        }
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            let segment = PathSegment::Index(i);
            let child = tree.children.get(&segment);
            self.path.push(segment);
            let value = self.value(item, child)?;
            self.path.pop();
            if child.is_some_and(|c| c.here) {
                let salt = self.salt();
                let d = Disclosure::element(salt, value, self.style);
                let mut m = Map::new();
                m.insert(
                    "...".into(),
                    Value::String(d.digest(self.provider, self.hash)),
                );
                self.disclosures.push(d);
                out.push(Value::Object(m));
            } else {
                out.push(value);
            }
        }
        Ok(out)
    }
}

/// Issuer input may not contain `_sd` or `...` members anywhere.
fn check_input(value: &Value) -> Result<(), SdJwtError> {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                check_claim_name(k)?;
                check_input(v)?;
            }
            Ok(())
        }
        Value::Array(items) => items.iter().try_for_each(check_input),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kakehashi_crypto::SignatureAlgorithm;
    use kakehashi_crypto_aws_lc::{SoftwareSigner, provider};
    use serde_json::json;

    fn zero(buf: &mut [u8]) {
        buf.fill(7);
    }

    #[test]
    fn payload_layout() {
        let signer = SoftwareSigner::generate(SignatureAlgorithm::Es256).unwrap();
        let claims = json!({"a": 1, "b": {"c": 2, "d": 3}, "l": [1, 2]});
        let path = |p: &str| ClaimPath::from_pointer(p, &claims).unwrap();
        let mut counter = 0u8;
        let mut fill = |buf: &mut [u8]| {
            counter += 1;
            buf.fill(counter);
        };
        let s = SdJwtBuilder::new(claims.as_object().unwrap().clone())
            .conceal(path("/b/c"))
            .conceal(path("/b"))
            .conceal(path("/l/1"))
            .decoys_per_object(2)
            .issue(&provider(), &signer, &mut fill)
            .unwrap();
        let payload = s
            .unverified_payload(kakehashi_core::JsonLimits::DEFAULT)
            .unwrap();
        let keys: Vec<&str> = payload.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            ["_sd", "a", "l", "_sd_alg"],
            "_sd first, _sd_alg last"
        );
        let sd = payload["_sd"].as_array().unwrap();
        assert_eq!(sd.len(), 3, "one digest and two decoys");
        assert!(
            sd.windows(2).all(|w| w[0].as_str() < w[1].as_str()),
            "sorted"
        );
        assert_eq!(payload["l"][0], 1);
        assert!(payload["l"][1]["..."].is_string());
        // Children are made before their parent: /b/c, then /b; /l/1 last.
        let names: Vec<Option<&str>> = s.disclosures().iter().map(Disclosure::name).collect();
        assert_eq!(names, [Some("c"), Some("b"), None]);
        assert_eq!(s.disclosures()[1].value()["d"], 3);
        assert_eq!(s.header().typ(), None);
    }

    #[test]
    fn salt_count_matches_the_walk() {
        // The pool is sized from the concealed tree; a count that falls short would show as
        // a second generator call. Without the option, one call per salt (vector replays).
        let signer = SoftwareSigner::generate(SignatureAlgorithm::Es256).unwrap();
        let claims = json!({"a": {"b": [1, {"c": 2}], "d": 3}, "e": [4, 5], "f": 6});
        let path = |p: &str| ClaimPath::from_pointer(p, &claims).unwrap();
        for (decoys, one_call) in [(0, true), (1, true), (3, true), (2, false)] {
            let mut calls = 0;
            let mut fill = |buf: &mut [u8]| {
                calls += 1;
                for (i, b) in buf.iter_mut().enumerate() {
                    *b = u8::try_from(i % 251).unwrap();
                }
            };
            let mut b = SdJwtBuilder::new(claims.as_object().unwrap().clone())
                .conceal(path("/a/b/1/c"))
                .conceal(path("/a/b/0"))
                .conceal(path("/a"))
                .conceal(path("/e/1"))
                .decoys_per_object(decoys);
            if one_call {
                b = b.salts_in_one_call();
            }
            let s = b.issue(&provider(), &signer, &mut fill).unwrap();
            assert_eq!(s.disclosures().len(), 4);
            // Salts: 4 Disclosures, decoys in /a/b/1 and in the top level (arrays get none).
            let expected_calls = if one_call { 1 } else { 4 + 2 * decoys };
            assert_eq!(calls, expected_calls, "decoys {decoys}");
            let mut salts: Vec<&str> = s.disclosures().iter().map(Disclosure::salt).collect();
            salts.sort_unstable();
            salts.dedup();
            // This generator repeats itself per call: only one buffer gives distinct salts.
            assert_eq!(salts.len(), if one_call { 4 } else { 1 });
            let payload = s
                .unverified_payload(kakehashi_core::JsonLimits::DEFAULT)
                .unwrap();
            assert_eq!(payload["_sd"].as_array().unwrap().len(), 1 + decoys);
        }
    }

    #[test]
    fn refusals() {
        let signer = SoftwareSigner::generate(SignatureAlgorithm::Es256).unwrap();
        let issue = |claims: serde_json::Value, path: ClaimPath| {
            SdJwtBuilder::new(claims.as_object().unwrap().clone())
                .conceal(path)
                .issue(&provider(), &signer, &mut zero)
        };
        let deep = ClaimPath(vec![
            PathSegment::Key("a".into()),
            PathSegment::Key("x".into()),
        ]);
        assert!(matches!(
            issue(json!({"a": 1}), deep),
            Err(SdJwtError::UnknownClaimPath(_))
        ));
        let idx = ClaimPath(vec![PathSegment::Key("a".into()), PathSegment::Index(3)]);
        assert!(matches!(
            issue(json!({"a": [1]}), idx),
            Err(SdJwtError::UnknownClaimPath(_))
        ));
        assert!(matches!(
            issue(json!({"a": [{"...": "x"}]}), ClaimPath::top("a")),
            Err(SdJwtError::ReservedClaimName(_))
        ));
        assert!(matches!(
            issue(json!({"_sd_alg": "x", "a": 1}), ClaimPath::top("a")),
            Err(SdJwtError::ReservedClaimName(_))
        ));
        assert!(matches!(
            issue(json!({"a": 1}), ClaimPath::default()),
            Err(SdJwtError::UnknownClaimPath(_))
        ));
    }
}
