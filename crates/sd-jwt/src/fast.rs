//! The verify path for the usual presentation: a compact `<JWT>~<D1>~...~<DN>~[<KB-JWT>]`
//! given as text. It applies the same rules as [`crate::SdJwt::parse`] followed by
//! [`crate::SdJwt::verify`] and builds the same result, but reads the payload and the
//! Disclosures as borrowed trees ([`crate::borrowed::Node`]): the `_sd` digests, salts and
//! `{"...": digest}` placeholders are checked where they lie instead of being built as
//! `serde_json::Value`s and dropped, and only the claims of the result are allocated.
//!
//! It never decides a rejection on its own rules: whatever it does not accept (the JSON
//! serialization, duplicate object members, any broken Disclosure rule, any limit) is
//! [`Fallback`], and the caller runs the general path, which gives the exact error. Errors it
//! does return come from code shared with the general path, applied to the same values:
//! key resolution, the issuer signature, `typ`, the validity times and Key Binding.

use std::borrow::Cow;

use kakehashi_core::b64;
use kakehashi_crypto::{CryptoProvider, HashAlgorithm, PublicJwk};
use kakehashi_jose::{JwsHeader, TimeChecks, UnverifiedJws, check_jwt_times};
use serde_json::{Map, Value};

use crate::borrowed::{DisclosureParts, Node};
use crate::decode::{ClaimRecord, ClaimSource};
use crate::disclosure::{EncodedDigest, check_claim_name, find_disclosure, sort_digest_index};
use crate::verify::{KeyBinding, VerifiedSdJwt, VerifyOptions, verify_kb};
use crate::{ClaimPath, Limits, PathSegment, SdJwtError};

/// The fast path did not take this input: the general path decides.
#[derive(Debug)]
pub(crate) struct Fallback;

/// The issuer key chosen from the (unverified) header, and the `x5c` chain it came from.
pub(crate) struct ResolvedKey<'k> {
    pub key: Cow<'k, PublicJwk>,
    pub untrusted_x5c: Vec<Vec<u8>>,
}

/// What a verification through the fast path gives: the result or an error the general path
/// would give too, or [`Fallback`].
pub(crate) type Outcome = Result<Result<(VerifiedSdJwt, Vec<Vec<u8>>), SdJwtError>, Fallback>;

/// Verifies a compact SD-JWT(+KB). `resolve` picks the issuer key from the protected header
/// once the whole presentation has parsed (where the general path resolves it too).
pub(crate) fn verify_compact<'k>(
    text: &str,
    provider: &CryptoProvider,
    options: &VerifyOptions<'_>,
    resolve: impl FnOnce(&JwsHeader) -> Result<ResolvedKey<'k>, SdJwtError>,
) -> Outcome {
    let limits = options.limits;
    if text.trim_start().starts_with('{') {
        return Err(Fallback);
    }
    let text = text.trim_end_matches(['\r', '\n']);
    let (jwt, rest) = text.split_once('~').ok_or(Fallback)?;
    let kb = rest.rsplit('~').next().unwrap_or(rest);
    // `<D1>~...~<DN>~`, each Disclosure decoded into one shared buffer, then read in place.
    let middle = rest.get(..rest.len() - kb.len()).ok_or(Fallback)?;
    let mut encoded: Vec<&str> = Vec::with_capacity(middle.len() / 64 + 1);
    let mut ends = Vec::with_capacity(middle.len() / 64 + 1);
    let mut arena = Vec::with_capacity(middle.len() / 4 * 3 + 3);
    for d in middle
        .strip_suffix('~')
        .into_iter()
        .flat_map(|m| m.split('~'))
    {
        if d.is_empty() || encoded.len() == limits.max_disclosures {
            return Err(Fallback);
        }
        let n = b64::decode_append(d, &mut arena).map_err(|_| Fallback)?;
        if n > limits.json.max_bytes {
            return Err(Fallback);
        }
        encoded.push(d);
        ends.push(arena.len());
    }
    let count = encoded.len();
    let mut slots = Vec::with_capacity(count);
    let mut start = 0;
    for &end in &ends {
        let bytes = arena.get(start..end).ok_or(Fallback)?;
        start = end;
        let parts = DisclosureParts::parse(bytes).ok_or(Fallback)?;
        // The array is one level, as the general parse counts it.
        if 1 + parts.value.depth() > limits.json.max_depth {
            return Err(Fallback);
        }
        let Node::String(_) = parts.salt else {
            return Err(Fallback);
        };
        let name = match parts.name {
            None => None,
            Some(Node::String(n)) => {
                check_claim_name(&n).map_err(|_| Fallback)?;
                Some(n)
            }
            Some(_) => return Err(Fallback),
        };
        slots.push(Some((name, parts.value)));
    }
    let kb_jwt = match kb {
        "" => None,
        kb if kb.bytes().filter(|&b| b == b'.').count() == 2 => Some(kb),
        _ => return Err(Fallback),
    };
    let jws = UnverifiedJws::parse_compact_with(jwt, limits.json, &[]).map_err(|_| Fallback)?;

    // Everything parsed: from here on the general path would reach the same steps.
    let resolved = match resolve(jws.header()) {
        Ok(r) => r,
        Err(e) => return Ok(Err(e)),
    };
    // With a KB-JWT, the sd_hash input `<JWT>~<D1>~...~<DN>~` is the text before it, and
    // begins with the signing input the signature check hashes: hashed once, for sha-256
    // (the default `_sd_alg`, read from the payload only after the check).
    let sd_hash_input = match kb_jwt {
        Some(kb) => Some(text.get(..text.len() - kb.len()).ok_or(Fallback)?),
        None => None,
    };
    let checked = match sd_hash_input {
        Some(input) => {
            let after = input.get(jws.signing_input().len()..).ok_or(Fallback)?;
            jws.verify_and_digest(
                provider,
                &resolved.key,
                HashAlgorithm::Sha256,
                &[after.as_bytes()],
            )
            .map(|(v, d)| (v, Some(d)))
        }
        None => jws.verify(provider, &resolved.key).map(|v| (v, None)),
    };
    let (verified, sha256_sd_hash) = match checked {
        Ok(v) => v,
        Err(e) => return Ok(Err(SdJwtError::jose("Issuer-signed JWT")(e))),
    };
    if let Some(typ) = options.typ
        && let Err(e) = verified.header().require_typ(typ)
    {
        return Ok(Err(SdJwtError::jose("Issuer-signed JWT")(e)));
    }
    let (header, payload, issuer_key) = verified.into_parts();
    if payload.len() > limits.json.max_bytes {
        return Err(Fallback);
    }
    let root = Node::parse(&payload).ok_or(Fallback)?;
    if root.depth() > limits.json.max_depth {
        return Err(Fallback);
    }
    let Node::Object(members) = root else {
        return Err(Fallback);
    };
    let hash = sd_alg(&members, options.allowed_hashes)?;
    let sd_hash = match (sd_hash_input, sha256_sd_hash) {
        (Some(_), Some(d)) if hash == HashAlgorithm::Sha256 => Some(d),
        (Some(input), _) => Some(provider.digest_parts(hash, &[input.as_bytes()])),
        (None, _) => None,
    };
    let mut index = Vec::with_capacity(count);
    for (i, d) in encoded.iter().enumerate() {
        let digest = provider.digest_parts(hash, &[d.as_bytes()]);
        index.push((EncodedDigest::new(digest.as_ref()).ok_or(Fallback)?, i));
    }
    if sort_digest_index(&mut index).is_some() {
        return Err(Fallback);
    }
    let mut p = Processor {
        slots,
        index,
        seen: Vec::with_capacity(count * 2),
        paths: vec![None; count],
        records: options.record_claims.then(Vec::new),
        path: Vec::new(),
        limits,
    };
    let claims = p.object(members, 1, 0, true)?;
    p.seen.sort_unstable();
    if p.seen.windows(2).any(|w| w[0] == w[1]) || p.slots.iter().any(Option::is_some) {
        return Err(Fallback);
    }
    let checks = TimeChecks {
        skew_seconds: options.skew_seconds,
        ..TimeChecks::at(options.now)
    };
    if let Err(e) = check_jwt_times(&claims, checks) {
        return Ok(Err(SdJwtError::jose("SD-JWT")(e)));
    }
    let key_binding = match (kb_jwt, sd_hash, options.key_binding) {
        (None, _, KeyBinding::Required { .. }) => return Ok(Err(SdJwtError::KbJwtMissing)),
        (None, _, KeyBinding::NotRequired) => None,
        (Some(kb), Some(sd_hash), policy) => {
            match verify_kb(provider, kb, &sd_hash, &claims, options, policy) {
                Ok(k) => Some(k),
                Err(e) => return Ok(Err(e)),
            }
        }
        (Some(_), None, _) => return Err(Fallback),
    };
    let verified = VerifiedSdJwt {
        header,
        claims,
        issuer_key,
        hash,
        disclosed: p.paths.into_iter().map(Option::unwrap_or_default).collect(),
        records: p.records,
        key_binding,
    };
    Ok(Ok((verified, resolved.untrusted_x5c)))
}

/// `_sd_alg` of the root object (default sha-256), when present once, a string, and accepted.
fn sd_alg(
    members: &[(Cow<'_, str>, Node<'_>)],
    allowed: &[HashAlgorithm],
) -> Result<HashAlgorithm, Fallback> {
    let mut found = members.iter().filter(|(k, _)| k == "_sd_alg");
    let hash = match (found.next(), found.next()) {
        (None, _) => HashAlgorithm::Sha256,
        (Some((_, Node::String(name))), None) => {
            HashAlgorithm::from_iana(name).map_err(|_| Fallback)?
        }
        _ => return Err(Fallback),
    };
    if allowed.contains(&hash) {
        Ok(hash)
    } else {
        Err(Fallback)
    }
}

/// A step of the current path; names stay borrowed until a path is recorded.
enum Seg<'a> {
    Key(Cow<'a, str>),
    Index(usize),
}

type Slot<'a> = Option<(Option<Cow<'a, str>>, Node<'a>)>;

struct Processor<'a> {
    /// Each Disclosure's name and value until it is placed.
    slots: Vec<Slot<'a>>,
    /// Sorted (digest, Disclosure index).
    index: Vec<(EncodedDigest, usize)>,
    /// Every digest met in the payload and in disclosed values, decoys included.
    seen: Vec<Cow<'a, str>>,
    paths: Vec<Option<ClaimPath>>,
    records: Option<Vec<ClaimRecord>>,
    path: Vec<Seg<'a>>,
    limits: Limits,
}

impl<'a> Processor<'a> {
    fn claim_path(&self) -> ClaimPath {
        ClaimPath(
            self.path
                .iter()
                .map(|s| match s {
                    Seg::Key(k) => PathSegment::Key(k.to_string()),
                    Seg::Index(i) => PathSegment::Index(*i),
                })
                .collect(),
        )
    }

    fn record(&mut self, source: ClaimSource) {
        if self.records.is_some() {
            let path = self.claim_path();
            if let Some(records) = &mut self.records {
                records.push(ClaimRecord { path, source });
            }
        }
    }

    /// Notes `digest` as seen and takes its Disclosure (index, name, value), if one was
    /// presented; a Disclosure already placed means the digest is referenced twice.
    #[allow(clippy::type_complexity)]
    fn claim_digest(
        &mut self,
        digest: Cow<'a, str>,
    ) -> Result<Option<(usize, Option<Cow<'a, str>>, Node<'a>)>, Fallback> {
        let taken = match find_disclosure(&self.index, &digest) {
            None => None,
            Some(i) => match self.slots.get_mut(i).and_then(Option::take) {
                Some((name, node)) => Some((i, name, node)),
                None => return Err(Fallback),
            },
        };
        self.seen.push(digest);
        Ok(taken)
    }

    fn value(&mut self, node: Node<'a>, depth: usize, sd_depth: usize) -> Result<Value, Fallback> {
        match node {
            Node::Object(members) => {
                Ok(Value::Object(self.object(members, depth, sd_depth, false)?))
            }
            Node::Array(items) => Ok(Value::Array(self.array(items, depth, sd_depth)?)),
            scalar => scalar.scalar_value().ok_or(Fallback),
        }
    }

    fn check_depth(&self, depth: usize, sd_depth: usize) -> Result<(), Fallback> {
        if depth > self.limits.max_payload_depth || sd_depth > self.limits.max_disclosure_depth {
            return Err(Fallback);
        }
        Ok(())
    }

    fn object(
        &mut self,
        members: Vec<(Cow<'a, str>, Node<'a>)>,
        depth: usize,
        sd_depth: usize,
        root: bool,
    ) -> Result<Map<String, Value>, Fallback> {
        self.check_depth(depth, sd_depth)?;
        let disclosable = members
            .iter()
            .find_map(|(k, v)| match v {
                Node::Array(items) if k == "_sd" => Some(items.len()),
                _ => None,
            })
            .unwrap_or(0);
        let mut map = Map::with_capacity(members.len() + disclosable);
        let mut sd = None;
        let recording = self.records.is_some();
        for (name, node) in members {
            // The reserved names start with `_` or `.`; most claim names are passed over on
            // their first byte instead of three string comparisons.
            match name.as_ref() {
                n if !n.starts_with(['_', '.']) => {}
                "_sd" => {
                    let (None, Node::Array(digests)) = (&sd, node) else {
                        return Err(Fallback);
                    };
                    sd = Some(digests);
                    continue;
                }
                "..." => return Err(Fallback),
                "_sd_alg" if root => continue,
                _ => {}
            }
            let value = if matches!(node, Node::Object(_) | Node::Array(_)) || recording {
                self.path.push(Seg::Key(name.clone()));
                self.record(ClaimSource::Plain);
                let value = self.value(node, depth + 1, sd_depth)?;
                self.path.pop();
                value
            } else {
                node.scalar_value().ok_or(Fallback)?
            };
            if map.insert(name.into_owned(), value).is_some() {
                return Err(Fallback);
            }
        }
        for digest in sd.unwrap_or_default() {
            let Node::String(digest) = digest else {
                return Err(Fallback);
            };
            // Not presented: a decoy or a withheld claim.
            let Some((i, name, node)) = self.claim_digest(digest)? else {
                continue;
            };
            // An array-element Disclosure referenced from `_sd`: the general path names it.
            let Some(name) = name else {
                return Err(Fallback);
            };
            // One lookup: a name already present (plain or disclosed before) collides.
            let serde_json::map::Entry::Vacant(slot) = map.entry(name.as_ref()) else {
                return Err(Fallback);
            };
            self.check_depth(depth, sd_depth + 1)?;
            self.path.push(Seg::Key(name));
            self.paths[i] = Some(self.claim_path());
            self.record(ClaimSource::Disclosed);
            let value = self.value(node, depth + 1, sd_depth + 1)?;
            self.path.pop();
            slot.insert(value);
        }
        Ok(map)
    }

    fn array(
        &mut self,
        items: Vec<Node<'a>>,
        depth: usize,
        sd_depth: usize,
    ) -> Result<Vec<Value>, Fallback> {
        self.check_depth(depth, sd_depth)?;
        let mut out = Vec::with_capacity(items.len());
        let recording = self.records.is_some();
        for (position, item) in items.into_iter().enumerate() {
            let placeholder = matches!(&item, Node::Object(m) if m.iter().any(|(k, _)| k == "..."));
            if !placeholder {
                if matches!(item, Node::Object(_) | Node::Array(_)) || recording {
                    self.path.push(Seg::Index(position));
                    self.record(ClaimSource::Plain);
                    out.push(self.value(item, depth + 1, sd_depth)?);
                    self.path.pop();
                } else {
                    out.push(item.scalar_value().ok_or(Fallback)?);
                }
                continue;
            }
            let Node::Object(m) = item else {
                return Err(Fallback);
            };
            let mut m = m.into_iter();
            let (Some((_, Node::String(digest))), None) = (m.next(), m.next()) else {
                return Err(Fallback);
            };
            self.path.push(Seg::Index(position));
            match self.claim_digest(digest)? {
                None => self.record(ClaimSource::Undisclosed),
                Some((i, None, node)) => {
                    self.check_depth(depth, sd_depth + 1)?;
                    self.paths[i] = Some(self.claim_path());
                    self.record(ClaimSource::Disclosed);
                    out.push(self.value(node, depth + 1, sd_depth + 1)?);
                }
                Some(_) => return Err(Fallback),
            }
            self.path.pop();
        }
        Ok(out)
    }
}
