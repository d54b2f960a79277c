use kakehashi_core::{JsonLimits, b64, json};
use kakehashi_crypto::{
    CryptoProvider, Digest, HashAlgorithm, PublicJwk, SignatureAlgorithm, Signer,
};
use serde_json::{Map, Value};

use crate::JoseError;

/// Parses one JSON value under `limits`, with the same verdicts as [`json::parse_limited`]
/// but measuring depth on the parsed value instead of scanning every byte first: on the
/// SD-JWT verify path that pre-scan cost about a tenth of the non-signature work.
/// serde_json's own recursion cap (128) bounds the stack before the depth is known; a failed
/// parse falls back to the byte scan so an over-deep document still reports `TooDeep`.
pub fn parse_json_bounded(bytes: &[u8], limits: JsonLimits) -> Result<Value, json::JsonError> {
    if bytes.len() > limits.max_bytes {
        return Err(json::JsonError::TooLarge {
            size: bytes.len(),
            limit: limits.max_bytes,
        });
    }
    // One UTF-8 check over the whole document (word-at-a-time on ASCII) is cheaper than
    // serde_json validating string by string; the accepted set is the same.
    let parsed = match std::str::from_utf8(bytes) {
        Ok(text) => serde_json::from_str::<Value>(text),
        Err(_) => serde_json::from_slice::<Value>(bytes),
    };
    match parsed {
        Ok(value) if json::depth(&value) > limits.max_depth => Err(json::JsonError::TooDeep {
            limit: limits.max_depth,
        }),
        Ok(value) => Ok(value),
        Err(e) => {
            json::check_limits(bytes, limits)?;
            Err(json::JsonError::Malformed(e.to_string()))
        }
    }
}

/// [`parse_json_bounded`] for the JSON objects of headers and payloads.
fn parse_object_bounded(
    bytes: &[u8],
    limits: JsonLimits,
) -> Result<Map<String, Value>, json::JsonError> {
    match parse_json_bounded(bytes, limits)? {
        Value::Object(map) => Ok(map),
        _ => Err(json::JsonError::Malformed("expected a JSON object".into())),
    }
}

/// A parsed, checked JOSE protected header.
#[derive(Debug, Clone, PartialEq)]
pub struct JwsHeader {
    members: Map<String, Value>,
    algorithm: SignatureAlgorithm,
}

impl JwsHeader {
    /// Checks a header object: `alg` present and allowed-listed, `crit` only naming members in
    /// `understood`, and well-formed `typ`, `kid`, `x5c`, `jwk` when present.
    pub fn from_members(
        members: Map<String, Value>,
        understood: &[&str],
    ) -> Result<Self, JoseError> {
        let alg = members
            .get("alg")
            .ok_or(JoseError::MissingAlgorithm)?
            .as_str()
            .ok_or(JoseError::HeaderMember("alg"))?;
        let algorithm = SignatureAlgorithm::from_jose(alg)?;
        if let Some(crit) = members.get("crit") {
            let names = crit.as_array().ok_or(JoseError::HeaderMember("crit"))?;
            if names.is_empty() {
                return Err(JoseError::HeaderMember("crit"));
            }
            for name in names {
                let name = name.as_str().ok_or(JoseError::HeaderMember("crit"))?;
                if !understood.contains(&name) || !members.contains_key(name) {
                    return Err(JoseError::UnsupportedCritical(
                        name.chars().take(64).collect(),
                    ));
                }
            }
        }
        // One walk over the few members instead of a keyed lookup per name.
        let (mut typ, mut kid, mut x5c, mut jwk) = (None, None, None, None);
        for (name, value) in &members {
            match name.as_str() {
                "typ" => typ = Some(value),
                "kid" => kid = Some(value),
                "x5c" => x5c = Some(value),
                "jwk" => jwk = Some(value),
                _ => {}
            }
        }
        for (name, ok) in [
            ("typ", typ.is_none_or(Value::is_string)),
            ("kid", kid.is_none_or(Value::is_string)),
            ("x5c", x5c.is_none_or(Value::is_array)),
            ("jwk", jwk.is_none_or(Value::is_object)),
        ] {
            if !ok {
                return Err(JoseError::HeaderMember(name));
            }
        }
        if let Some(jwk) = jwk {
            // A header key is only ever a public key.
            if jwk.get("d").is_some() {
                return Err(JoseError::Crypto(
                    kakehashi_crypto::CryptoError::PrivateKeyInJwk,
                ));
            }
        }
        Ok(Self { members, algorithm })
    }

    /// The signature algorithm.
    pub fn algorithm(&self) -> SignatureAlgorithm {
        self.algorithm
    }

    /// `typ`, if present.
    pub fn typ(&self) -> Option<&str> {
        self.members.get("typ").and_then(Value::as_str)
    }

    /// Requires `typ` to equal `expected`. Media types compare case-insensitively and an
    /// `application/` prefix is ignored (RFC 7515 section 4.1.9).
    pub fn require_typ(&self, expected: &str) -> Result<(), JoseError> {
        // Compared without allocating: this runs twice per presentation on the verify path.
        fn norm(t: &str) -> &str {
            match (t.get(..12), t.get(12..)) {
                (Some(prefix), Some(rest)) if prefix.eq_ignore_ascii_case("application/") => rest,
                _ => t,
            }
        }
        match self.typ() {
            Some(t) if norm(t).eq_ignore_ascii_case(norm(expected)) => Ok(()),
            found => Err(JoseError::WrongType {
                expected: expected.to_owned(),
                found: found.map(|f| f.chars().take(64).collect()),
            }),
        }
    }

    /// `kid`, if present.
    pub fn kid(&self) -> Option<&str> {
        self.members.get("kid").and_then(Value::as_str)
    }

    /// The `x5c` chain, DER-decoded (standard base64, per RFC 7515 section 4.1.6). An empty
    /// vector when absent. The chain is untrusted input for the trust layer.
    pub fn x5c(&self) -> Result<Vec<Vec<u8>>, JoseError> {
        let Some(list) = self.members.get("x5c") else {
            return Ok(Vec::new());
        };
        let list = list.as_array().ok_or(JoseError::HeaderMember("x5c"))?;
        if list.is_empty() || list.len() > 10 {
            return Err(JoseError::HeaderMember("x5c"));
        }
        list.iter()
            .map(|v| {
                v.as_str()
                    .and_then(|t| b64::decode_std(t).ok())
                    .ok_or(JoseError::HeaderMember("x5c"))
            })
            .collect()
    }

    /// The `jwk` header member as a public key.
    pub fn jwk(&self) -> Result<Option<PublicJwk>, JoseError> {
        self.members
            .get("jwk")
            .map(|j| PublicJwk::from_json(j).map_err(JoseError::from))
            .transpose()
    }

    /// Any member.
    pub fn member(&self, name: &str) -> Option<&Value> {
        self.members.get(name)
    }

    /// All members.
    pub fn members(&self) -> &Map<String, Value> {
        &self.members
    }
}

/// A JWS whose structure is checked but whose signature is not.
#[derive(Debug, Clone)]
pub struct UnverifiedJws {
    header: JwsHeader,
    /// The whole compact text, kept once: the signing input is its prefix, so SD-JWT can
    /// borrow the Issuer-signed JWT from here instead of holding a second copy.
    compact: String,
    signing_input_len: usize,
    payload: Vec<u8>,
    signature: Vec<u8>,
}

impl UnverifiedJws {
    /// Parses a compact serialization with the default JSON limits and no understood `crit`.
    pub fn parse_compact(text: &str) -> Result<Self, JoseError> {
        Self::parse_compact_with(text, JsonLimits::DEFAULT, &[])
    }

    /// Parses a compact serialization.
    pub fn parse_compact_with(
        text: &str,
        limits: JsonLimits,
        understood_crit: &[&str],
    ) -> Result<Self, JoseError> {
        let mut parts = text.split('.');
        let (Some(h), Some(p), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(JoseError::Malformed("expected three '.'-separated parts"));
        };
        // Decoded on the stack when short (no `x5c`): two per SD-JWT+KB on the verify path.
        let members = b64::with_decoded(h, |bytes| parse_object_bounded(bytes, limits))
            .map_err(|_| JoseError::Base64 { part: "header" })?
            .map_err(|source| JoseError::Json {
                part: "header",
                source,
            })?;
        let header = JwsHeader::from_members(members, understood_crit)?;
        if header.members.get("b64") == Some(&Value::Bool(false)) {
            return Err(JoseError::UnsupportedCritical("b64".into()));
        }
        let payload = b64::decode(p).map_err(|_| JoseError::Base64 { part: "payload" })?;
        let signature = b64::decode(s).map_err(|_| JoseError::Base64 { part: "signature" })?;
        Ok(Self {
            header,
            compact: text.to_owned(),
            signing_input_len: h.len() + 1 + p.len(),
            payload,
            signature,
        })
    }

    /// Signs `payload` under a checked `header` whose JSON text is `header_json`, keeping the
    /// parts: an issuer that needs the JWS it just made (SD-JWT keeps it with the
    /// Disclosures) no longer parses its own output back, which cost about a tenth of an
    /// issuance with an `x5c` header. The result is what [`UnverifiedJws::parse_compact_with`]
    /// gives for the same text; `b64: false` is refused as it refuses it.
    pub fn sign(
        header: JwsHeader,
        header_json: &[u8],
        payload: Vec<u8>,
        signer: &dyn Signer,
    ) -> Result<Self, JoseError> {
        debug_assert_eq!(
            serde_json::from_slice::<Map<String, Value>>(header_json)
                .ok()
                .as_ref(),
            Some(&header.members),
            "header_json is the header's text"
        );
        if header.members.get("b64") == Some(&Value::Bool(false)) {
            return Err(JoseError::UnsupportedCritical("b64".into()));
        }
        if header.algorithm != signer.algorithm() {
            return Err(JoseError::HeaderMember("alg"));
        }
        let mut compact = b64::encode(header_json);
        compact.push('.');
        compact.push_str(&b64::encode(&payload));
        let signing_input_len = compact.len();
        let signature = signer.sign(compact.as_bytes())?;
        compact.push('.');
        compact.push_str(&b64::encode(&signature));
        Ok(Self {
            header,
            compact,
            signing_input_len,
            payload,
            signature,
        })
    }

    /// The protected header (unverified).
    pub fn header(&self) -> &JwsHeader {
        &self.header
    }

    /// The payload bytes, not yet authenticated: use only to find the key (e.g. `iss`).
    pub fn unverified_payload(&self) -> &[u8] {
        &self.payload
    }

    /// The payload as a JSON object, not yet authenticated.
    pub fn unverified_claims(&self, limits: JsonLimits) -> Result<Map<String, Value>, JoseError> {
        parse_object_bounded(&self.payload, limits).map_err(|source| JoseError::Json {
            part: "payload",
            source,
        })
    }

    /// The ASCII signing input `BASE64URL(header) '.' BASE64URL(payload)`.
    pub fn signing_input(&self) -> &str {
        self.compact
            .get(..self.signing_input_len)
            .unwrap_or_default()
    }

    /// The compact serialization as parsed: `header.payload.signature`.
    pub fn compact(&self) -> &str {
        &self.compact
    }

    /// Checks the signature with `key`. The header's `alg` must be allowed by `provider` and
    /// match the key's curve.
    pub fn verify(
        self,
        provider: &CryptoProvider,
        key: &PublicJwk,
    ) -> Result<VerifiedJws, JoseError> {
        provider.verify_signature(
            self.header.algorithm,
            key,
            self.signing_input().as_bytes(),
            &self.signature,
        )?;
        Ok(VerifiedJws {
            header: self.header,
            compact: self.compact,
            payload: self.payload,
            key: key.clone(),
        })
    }
}

impl UnverifiedJws {
    /// [`UnverifiedJws::verify`], and the `hash` digest of the signing input followed by
    /// `rest`: SD-JWT's `sd_hash` input begins with the signing input, which the signature
    /// check hashes anyway (see [`CryptoProvider::verify_signature_and_digest`]).
    pub fn verify_and_digest(
        self,
        provider: &CryptoProvider,
        key: &PublicJwk,
        hash: HashAlgorithm,
        rest: &[&[u8]],
    ) -> Result<(VerifiedJws, Digest), JoseError> {
        let digest = provider.verify_signature_and_digest(
            self.header.algorithm,
            key,
            self.signing_input().as_bytes(),
            &self.signature,
            hash,
            rest,
        )?;
        let verified = VerifiedJws {
            header: self.header,
            compact: self.compact,
            payload: self.payload,
            key: key.clone(),
        };
        Ok((verified, digest))
    }
}

/// A JWS whose signature has been checked against [`VerifiedJws::key`].
#[derive(Debug, Clone)]
pub struct VerifiedJws {
    header: JwsHeader,
    /// Moved from the unverified value (no copy): SD-JWT hashes it into `sd_hash`.
    compact: String,
    payload: Vec<u8>,
    key: PublicJwk,
}

impl VerifiedJws {
    /// The protected header.
    pub fn header(&self) -> &JwsHeader {
        &self.header
    }

    /// The authenticated payload.
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// The key that verified the signature.
    pub fn key(&self) -> &PublicJwk {
        &self.key
    }

    /// The compact serialization that was verified: `header.payload.signature`.
    pub fn compact(&self) -> &str {
        &self.compact
    }

    /// Takes the header, the payload and the key apart without copying them.
    pub fn into_parts(self) -> (JwsHeader, Vec<u8>, PublicJwk) {
        (self.header, self.payload, self.key)
    }

    /// The payload as a JSON object (JWT claims set).
    pub fn claims(&self, limits: JsonLimits) -> Result<Map<String, Value>, JoseError> {
        parse_object_bounded(&self.payload, limits).map_err(|source| JoseError::Json {
            part: "payload",
            source,
        })
    }
}

/// Builds the signing input for a header and payload.
pub fn signing_input(header: &Map<String, Value>, payload: &[u8]) -> String {
    let header_json = Value::Object(header.clone()).to_string();
    let mut out = b64::encode(header_json.as_bytes());
    out.push('.');
    out.push_str(&b64::encode(payload));
    out
}

/// Signs `payload` in compact serialization. `alg` is set from the signer; `x5c` is added when
/// the signer has a certificate chain and the header has none.
pub fn sign_compact(
    mut header: Map<String, Value>,
    payload: &[u8],
    signer: &dyn Signer,
) -> Result<String, JoseError> {
    header.insert("alg".into(), signer.algorithm().jose_name().into());
    let chain = signer.certificate_chain();
    if !chain.is_empty() && !header.contains_key("x5c") {
        let x5c: Vec<Value> = chain.iter().map(|c| b64::encode_std(c).into()).collect();
        header.insert("x5c".into(), Value::Array(x5c));
    }
    sign_compact_with(&signing_input(&header, payload), signer)
}

/// Signs a prepared signing input and appends the signature.
pub fn sign_compact_with(signing_input: &str, signer: &dyn Signer) -> Result<String, JoseError> {
    let sig = signer.sign(signing_input.as_bytes())?;
    let mut out = String::with_capacity(signing_input.len() + 1 + sig.len() * 4 / 3 + 2);
    out.push_str(signing_input);
    out.push('.');
    out.push_str(&b64::encode(sig));
    Ok(out)
}

/// One signature of a JWS JSON serialization.
#[derive(Debug, Clone, PartialEq)]
pub struct JwsJsonSignature {
    /// base64url protected header as transmitted.
    pub protected: String,
    /// The unprotected `header` member (SD-JWT puts `disclosures` and `kb_jwt` here).
    pub unprotected: Map<String, Value>,
    /// base64url signature.
    pub signature: String,
}

/// A JWS in JSON serialization (RFC 7515 section 7.2), general or flattened.
#[derive(Debug, Clone, PartialEq)]
pub struct JwsJson {
    /// base64url payload as transmitted.
    pub payload: String,
    /// One or more signatures.
    pub signatures: Vec<JwsJsonSignature>,
    /// True when the input used the flattened syntax.
    pub flattened: bool,
}

impl JwsJson {
    /// Parses either syntax. Mixing flattened members with `signatures` is refused.
    pub fn parse(value: &Value) -> Result<Self, JoseError> {
        let obj = value
            .as_object()
            .ok_or(JoseError::Malformed("JWS JSON must be an object"))?;
        let payload = obj
            .get("payload")
            .and_then(Value::as_str)
            .ok_or(JoseError::Malformed("JWS JSON without string \"payload\""))?
            .to_owned();
        let parse_sig = |o: &Map<String, Value>| -> Result<JwsJsonSignature, JoseError> {
            let protected = o
                .get("protected")
                .and_then(Value::as_str)
                .ok_or(JoseError::Malformed("signature without \"protected\""))?
                .to_owned();
            let unprotected = match o.get("header") {
                None => Map::new(),
                Some(Value::Object(h)) => h.clone(),
                Some(_) => return Err(JoseError::HeaderMember("header")),
            };
            let signature = o
                .get("signature")
                .and_then(Value::as_str)
                .ok_or(JoseError::Malformed("signature without \"signature\""))?
                .to_owned();
            Ok(JwsJsonSignature {
                protected,
                unprotected,
                signature,
            })
        };
        match obj.get("signatures") {
            Some(list) => {
                if obj.contains_key("protected")
                    || obj.contains_key("signature")
                    || obj.contains_key("header")
                {
                    return Err(JoseError::Malformed(
                        "general JWS JSON mixed with flattened members",
                    ));
                }
                let list = list
                    .as_array()
                    .ok_or(JoseError::Malformed("\"signatures\" is not an array"))?;
                if list.is_empty() {
                    return Err(JoseError::Malformed("\"signatures\" is empty"));
                }
                let signatures = list
                    .iter()
                    .map(|s| {
                        s.as_object()
                            .ok_or(JoseError::Malformed("signature is not an object"))
                            .and_then(parse_sig)
                    })
                    .collect::<Result<_, _>>()?;
                Ok(Self {
                    payload,
                    signatures,
                    flattened: false,
                })
            }
            None => Ok(Self {
                payload,
                signatures: vec![parse_sig(obj)?],
                flattened: true,
            }),
        }
    }

    /// Signature `index` as a compact JWS for verification (the unprotected header is not
    /// covered by the signature and is returned separately by the caller).
    pub fn to_compact(&self, index: usize) -> Option<String> {
        self.signatures
            .get(index)
            .map(|s| format!("{}.{}.{}", s.protected, self.payload, s.signature))
    }

    /// Serializes to JSON in the syntax it was parsed from.
    pub fn to_json(&self) -> Value {
        let sig = |s: &JwsJsonSignature| {
            let mut m = Map::new();
            if !s.unprotected.is_empty() {
                m.insert("header".into(), Value::Object(s.unprotected.clone()));
            }
            m.insert("protected".into(), s.protected.clone().into());
            m.insert("signature".into(), s.signature.clone().into());
            m
        };
        let mut out = Map::new();
        out.insert("payload".into(), self.payload.clone().into());
        if self.flattened && self.signatures.len() == 1 {
            out.extend(sig(&self.signatures[0]));
        } else {
            out.insert(
                "signatures".into(),
                Value::Array(
                    self.signatures
                        .iter()
                        .map(|s| Value::Object(sig(s)))
                        .collect(),
                ),
            );
        }
        Value::Object(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kakehashi_crypto::CryptoError;
    use kakehashi_crypto_aws_lc::{SoftwareSigner, provider};
    use serde_json::json;

    fn header(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn sign_parse_verify() {
        let s = SoftwareSigner::generate(SignatureAlgorithm::Es256).unwrap();
        let jws = sign_compact(header(json!({"typ":"JWT"})), b"{\"a\":1}", &s).unwrap();
        let parsed = UnverifiedJws::parse_compact(&jws).unwrap();
        assert_eq!(parsed.header().typ(), Some("JWT"));
        let v = parsed.verify(&provider(), s.public_jwk()).unwrap();
        assert_eq!(v.payload(), b"{\"a\":1}");
        assert_eq!(v.claims(JsonLimits::DEFAULT).unwrap()["a"], 1);
    }

    #[test]
    fn sign_keeps_what_parsing_gives() {
        let signer = SoftwareSigner::generate(SignatureAlgorithm::Es256).unwrap();
        let members = header(json!({"alg":"ES256","typ":"x+jwt","kid":"k"}));
        let text = Value::Object(members.clone()).to_string();
        let made = UnverifiedJws::sign(
            JwsHeader::from_members(members.clone(), &[]).unwrap(),
            text.as_bytes(),
            b"{\"a\":1}".to_vec(),
            &signer,
        )
        .unwrap();
        let parsed = UnverifiedJws::parse_compact(made.compact()).unwrap();
        assert_eq!(parsed.header(), made.header());
        assert_eq!(parsed.unverified_payload(), made.unverified_payload());
        assert_eq!(parsed.signing_input(), made.signing_input());
        assert!(made.verify(&provider(), signer.public_jwk()).is_ok());
        let other = header(json!({"alg":"ES384"}));
        let wrong_alg = UnverifiedJws::sign(
            JwsHeader::from_members(other.clone(), &[]).unwrap(),
            Value::Object(other).to_string().as_bytes(),
            Vec::new(),
            &signer,
        );
        assert!(matches!(wrong_alg, Err(JoseError::HeaderMember("alg"))));
        let unencoded = header(json!({"alg":"ES256","b64":false}));
        assert!(matches!(
            UnverifiedJws::sign(
                JwsHeader::from_members(unencoded.clone(), &[]).unwrap(),
                Value::Object(unencoded).to_string().as_bytes(),
                Vec::new(),
                &signer,
            ),
            Err(JoseError::UnsupportedCritical(_))
        ));
    }

    #[test]
    fn refusals() {
        let s = SoftwareSigner::generate(SignatureAlgorithm::Es256).unwrap();
        let other = SoftwareSigner::generate(SignatureAlgorithm::Es256).unwrap();
        let jws = sign_compact(header(json!({})), b"x", &s).unwrap();
        assert!(matches!(
            UnverifiedJws::parse_compact(&jws)
                .unwrap()
                .verify(&provider(), other.public_jwk()),
            Err(JoseError::Crypto(CryptoError::BadSignature))
        ));
        let none = format!(
            "{}.{}.",
            b64::encode(br#"{"alg":"none"}"#),
            b64::encode(b"x")
        );
        assert!(matches!(
            UnverifiedJws::parse_compact(&none),
            Err(JoseError::Crypto(CryptoError::AlgorithmNone))
        ));
        let hs = format!(
            "{}.{}.AAAA",
            b64::encode(br#"{"alg":"HS256"}"#),
            b64::encode(b"x")
        );
        assert!(matches!(
            UnverifiedJws::parse_compact(&hs),
            Err(JoseError::Crypto(CryptoError::SymmetricAlgorithm(_)))
        ));
        let crit = format!(
            "{}.{}.AAAA",
            b64::encode(br#"{"alg":"ES256","crit":["exp"],"exp":1}"#),
            b64::encode(b"x")
        );
        assert!(matches!(
            UnverifiedJws::parse_compact(&crit),
            Err(JoseError::UnsupportedCritical(_))
        ));
        assert!(matches!(
            UnverifiedJws::parse_compact("a.b"),
            Err(JoseError::Malformed(_))
        ));
        assert!(matches!(
            UnverifiedJws::parse_compact("a.b.c.d"),
            Err(JoseError::Malformed(_))
        ));
        assert!(matches!(
            UnverifiedJws::parse_compact("!!.b.c"),
            Err(JoseError::Base64 { part: "header" })
        ));
        let tampered = {
            let mut parts: Vec<&str> = jws.split('.').collect();
            let p = b64::encode(b"y");
            parts[1] = &p;
            parts.join(".")
        };
        assert!(
            UnverifiedJws::parse_compact(&tampered)
                .unwrap()
                .verify(&provider(), s.public_jwk())
                .is_err()
        );
    }

    #[test]
    fn typ_comparison() {
        let h = JwsHeader::from_members(
            header(json!({"alg":"ES256","typ":"application/KB+JWT"})),
            &[],
        )
        .unwrap();
        assert!(h.require_typ("kb+jwt").is_ok());
        assert!(h.require_typ("application/kb+jwt").is_ok());
        assert!(h.require_typ("dc+sd-jwt").is_err());
        assert!(h.require_typ("application/").is_err());
        for (typ, expected, ok) in [
            ("application/", "", true),
            ("APPLICATION/", "application/", true),
            ("applicatio", "applicatio", true),
            ("applicationé/kb+jwt", "kb+jwt", false),
            ("éééééé/kb+jwt", "kb+jwt", false),
            ("kb+jwt", "application/kb+jwt", true),
            ("Kb+JWT", "kb+jwt", true),
        ] {
            let h = JwsHeader::from_members(header(json!({"alg":"ES256","typ":typ})), &[]).unwrap();
            assert_eq!(h.require_typ(expected).is_ok(), ok, "{typ} vs {expected}");
        }
    }

    #[test]
    fn bounded_parse_matches_the_byte_scan() {
        let l = JsonLimits {
            max_bytes: 300,
            max_depth: 3,
        };
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        let cases: Vec<Vec<u8>> = vec![
            br#"{"a":[{"b":1}]}"#.to_vec(),
            br#"{"a":[{"b":[1]}]}"#.to_vec(),
            br#"{"a":"[[[[[[[["}"#.to_vec(),
            br#"{"a":"\"[[[[[[[["}"#.to_vec(),
            deep(3).into_bytes(),
            deep(4).into_bytes(),
            deep(140).into_bytes(),
            format!("{}1", "[".repeat(140)).into_bytes(),
            b"[[[[1".to_vec(),
            b"{".to_vec(),
            b"{} x".to_vec(),
            vec![b' '; 301],
            b"{\"a\":\"\xff\"}".to_vec(),
            "{\"a\":\"\u{e9}\"}".as_bytes().to_vec(),
            b"[]".to_vec(),
        ];
        for bytes in cases {
            let ours = parse_json_bounded(&bytes, l);
            let scan = json::parse_limited(&bytes, l);
            match (&ours, &scan) {
                (Ok(a), Ok(b)) => assert_eq!(a, b),
                (Err(json::JsonError::Malformed(_)), Err(json::JsonError::Malformed(_))) => {}
                (a, b) => assert_eq!(a, b, "{}", String::from_utf8_lossy(&bytes)),
            }
            assert_eq!(
                parse_object_bounded(&bytes, l).ok(),
                json::parse_object(&bytes, l).ok()
            );
        }
    }

    #[test]
    fn x5c_decoding() {
        let h =
            JwsHeader::from_members(header(json!({"alg":"ES256","x5c":["AQID"]})), &[]).unwrap();
        assert_eq!(h.x5c().unwrap(), vec![vec![1, 2, 3]]);
        let bad =
            JwsHeader::from_members(header(json!({"alg":"ES256","x5c":["AQ-D"]})), &[]).unwrap();
        assert!(bad.x5c().is_err());
    }

    #[test]
    fn json_serialization() {
        let s = SoftwareSigner::generate(SignatureAlgorithm::EdDsa).unwrap();
        let jws = sign_compact(header(json!({})), b"payload", &s).unwrap();
        let parts: Vec<&str> = jws.split('.').collect();
        let flat = json!({"payload": parts[1], "protected": parts[0], "signature": parts[2], "header": {"kid":"1"}});
        let parsed = JwsJson::parse(&flat).unwrap();
        assert!(parsed.flattened);
        assert_eq!(parsed.to_compact(0).unwrap(), jws);
        assert_eq!(parsed.to_json(), flat);
        let general = json!({"payload": parts[1], "signatures": [{"protected": parts[0], "signature": parts[2]}]});
        let parsed = JwsJson::parse(&general).unwrap();
        assert!(!parsed.flattened);
        assert_eq!(parsed.to_json(), general);
        let mixed = json!({"payload": parts[1], "protected": parts[0], "signatures": []});
        assert!(JwsJson::parse(&mixed).is_err());
    }
}
