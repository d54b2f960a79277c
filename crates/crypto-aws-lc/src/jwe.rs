//! Compact JWE (RFC 7516) with `alg: ECDH-ES` on P-256 and `enc` A128GCM / A256GCM: the
//! encrypted Authorization Response of OpenID4VP `direct_post.jwt` (section 8.3) and the
//! optional OpenID4VCI credential response encryption.
//!
//! HAIP 1.0 requires exactly this combination (ECDH-ES with P-256, A128GCM and A256GCM), so
//! nothing else is implemented and everything else is refused with a typed error: key
//! wrapping (`ECDH-ES+A128KW`), RSA (`RSA1_5`, `RSA-OAEP`), pre-shared keys (`dir`),
//! compression (`zip`) and critical extensions. The content key is derived directly with the
//! Concat KDF of RFC 7518 section 4.6; the JWE Encrypted Key part is therefore empty.
//!
//! Encryption draws the ephemeral key and the IV from the operating system through AWS-LC,
//! which is why this lives in the backend crate and not in the pure protocol crates.

use aws_lc_rs::aead::{AES_128_GCM, AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::agreement::{self, ECDH_P256, PrivateKey, UnparsedPublicKey};
use aws_lc_rs::digest;
use aws_lc_rs::encoding::{AsBigEndian as _, EcPrivateKeyBin};
use kakehashi_core::{JsonLimits, b64, json};
use kakehashi_crypto::{Curve, PublicJwk};
use serde_json::{Map, Value};
use zeroize::Zeroizing;

/// The only key management algorithm accepted.
pub const ALG_ECDH_ES: &str = "ECDH-ES";

/// GCM IV length in bytes (RFC 7518 section 5.3: 96 bits).
const IV_LEN: usize = 12;
/// GCM authentication tag length in bytes (128 bits).
const TAG_LEN: usize = 16;
/// A JWE carrying a VP Token of a few credentials stays far below this; the cap bounds the work
/// done on a hostile request before any cryptography runs.
pub const MAX_JWE_LEN: usize = 4 << 20;

/// Why a JWE was refused or could not be produced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JweError {
    /// Not five `.`-separated base64url parts, or too large.
    #[error("malformed JWE: {0}")]
    Malformed(&'static str),
    /// The protected header is not a JSON object within the limits.
    #[error("JWE header: {0}")]
    Header(String),
    /// `alg` other than `ECDH-ES` (e.g. `RSA1_5`, `dir`, `ECDH-ES+A128KW`).
    #[error("unsupported JWE key management algorithm {0:?}")]
    UnsupportedAlgorithm(String),
    /// `enc` other than `A128GCM` / `A256GCM`.
    #[error("unsupported JWE content encryption {0:?}")]
    UnsupportedEncryption(String),
    /// `zip` or a `crit` member: not supported, so refused rather than ignored.
    #[error("unsupported JWE header member {0:?}")]
    UnsupportedHeader(&'static str),
    /// `epk` missing or not a P-256 public key.
    #[error("invalid ephemeral public key: {0}")]
    InvalidEphemeralKey(String),
    /// The recipient key is not a usable P-256 key.
    #[error("invalid recipient key: {0}")]
    InvalidKey(String),
    /// The header's `kid` names a different key than the one offered for decryption.
    #[error("JWE kid {found:?} does not name the decryption key {expected:?}")]
    KeyIdMismatch { expected: String, found: String },
    /// Authentication failed: tampered ciphertext, tag, IV or header, or the wrong key.
    #[error("JWE decryption failed")]
    DecryptionFailed,
    /// The backend failed (randomness, key generation).
    #[error("JWE backend failure: {0}")]
    Backend(&'static str),
}

/// Content encryption algorithms (RFC 7518 section 5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContentEncryption {
    /// AES-128 in GCM mode.
    A128Gcm,
    /// AES-256 in GCM mode.
    A256Gcm,
}

impl ContentEncryption {
    /// Parses the `enc` header value.
    pub fn from_jose(name: &str) -> Result<Self, JweError> {
        match name {
            "A128GCM" => Ok(Self::A128Gcm),
            "A256GCM" => Ok(Self::A256Gcm),
            other => Err(JweError::UnsupportedEncryption(
                other.chars().take(32).collect(),
            )),
        }
    }

    /// The `enc` header value, also the Concat KDF AlgorithmID for ECDH-ES direct agreement.
    pub const fn jose_name(self) -> &'static str {
        match self {
            Self::A128Gcm => "A128GCM",
            Self::A256Gcm => "A256GCM",
        }
    }

    /// Content encryption key length in bytes.
    pub const fn key_len(self) -> usize {
        match self {
            Self::A128Gcm => 16,
            Self::A256Gcm => 32,
        }
    }

    fn aead(self) -> &'static aws_lc_rs::aead::Algorithm {
        match self {
            Self::A128Gcm => &AES_128_GCM,
            Self::A256Gcm => &AES_256_GCM,
        }
    }
}

/// The Concat KDF of NIST SP 800-56A as profiled by RFC 7518 section 4.6.2, with SHA-256.
///
/// `algorithm_id` is the `enc` value for direct key agreement; `apu` / `apv` are the decoded
/// PartyUInfo / PartyVInfo (empty when absent); the output has `key_len` bytes.
pub fn concat_kdf(
    shared_secret: &[u8],
    algorithm_id: &str,
    apu: &[u8],
    apv: &[u8],
    key_len: usize,
) -> Result<Zeroizing<Vec<u8>>, JweError> {
    let field = |out: &mut Vec<u8>, data: &[u8]| -> Result<(), JweError> {
        let len = u32::try_from(data.len()).map_err(|_| JweError::Malformed("apu/apv too long"))?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(data);
        Ok(())
    };
    let key_bits = key_len
        .checked_mul(8)
        .and_then(|b| u32::try_from(b).ok())
        .ok_or(JweError::Backend("key length"))?;
    let mut other_info = Vec::with_capacity(32 + apu.len() + apv.len());
    field(&mut other_info, algorithm_id.as_bytes())?;
    field(&mut other_info, apu)?;
    field(&mut other_info, apv)?;
    other_info.extend_from_slice(&key_bits.to_be_bytes());

    let mut out = Zeroizing::new(Vec::with_capacity(key_len + 32));
    let mut counter: u32 = 1;
    while out.len() < key_len {
        let mut ctx = digest::Context::new(&digest::SHA256);
        ctx.update(&counter.to_be_bytes());
        ctx.update(shared_secret);
        ctx.update(&other_info);
        out.extend_from_slice(ctx.finish().as_ref());
        counter = counter
            .checked_add(1)
            .ok_or(JweError::Backend("kdf counter"))?;
    }
    out.truncate(key_len);
    Ok(out)
}

/// A static P-256 key agreement key of the recipient (the Verifier's `client_metadata.jwks`
/// entry for `direct_post.jwt`).
pub struct DecryptionKey {
    key: PrivateKey,
    public: PublicJwk,
}

impl std::fmt::Debug for DecryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecryptionKey")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

impl DecryptionKey {
    /// Generates a fresh key with the operating system's randomness.
    pub fn generate() -> Result<Self, JweError> {
        let key = PrivateKey::generate(&ECDH_P256).map_err(|_| JweError::Backend("keygen"))?;
        Self::from_key(key, None)
    }

    /// Imports the private scalar `d` (32 bytes, big-endian).
    pub fn from_scalar(d: &[u8], kid: Option<&str>) -> Result<Self, JweError> {
        let key = PrivateKey::from_private_key(&ECDH_P256, d)
            .map_err(|_| JweError::InvalidKey("not a P-256 private scalar".into()))?;
        Self::from_key(key, kid)
    }

    /// Imports a private EC P-256 JWK (`d`, `x`, `y`); `kid` is kept.
    pub fn from_private_jwk(jwk: &Value) -> Result<Self, JweError> {
        let d = jwk
            .get("d")
            .and_then(Value::as_str)
            .and_then(|d| b64::decode(d).ok())
            .map(Zeroizing::new)
            .ok_or_else(|| JweError::InvalidKey("missing or invalid \"d\"".into()))?;
        let kid = jwk.get("kid").and_then(Value::as_str);
        let key = Self::from_scalar(&d, kid)?;
        let mut public_only = jwk.clone();
        if let Some(obj) = public_only.as_object_mut() {
            obj.remove("d");
        }
        let declared = recipient_public_key(&public_only)?;
        if declared.public_key_bytes() != key.public.public_key_bytes() {
            return Err(JweError::InvalidKey("x/y do not match d".into()));
        }
        Ok(key)
    }

    fn from_key(key: PrivateKey, kid: Option<&str>) -> Result<Self, JweError> {
        let public = key
            .compute_public_key()
            .map_err(|_| JweError::Backend("public key"))?;
        let mut public = PublicJwk::from_sec1(Curve::P256, public.as_ref())
            .map_err(|e| JweError::InvalidKey(e.to_string()))?;
        if let Some(kid) = kid {
            public = public.with_kid(kid);
        }
        Ok(Self { key, public })
    }

    /// The public key to publish, with `kid` when set.
    pub fn public_jwk(&self) -> &PublicJwk {
        &self.public
    }

    /// The public key as a JWK for `client_metadata.jwks`, with `use: enc` and `alg: ECDH-ES`.
    pub fn public_jwk_json(&self) -> Value {
        let mut v = self.public.to_json();
        if let Some(obj) = v.as_object_mut() {
            obj.insert("use".into(), "enc".into());
            obj.insert("alg".into(), ALG_ECDH_ES.into());
        }
        v
    }

    /// The private key as a JWK (for the edge that stores it encrypted at rest).
    pub fn to_private_jwk(&self) -> Result<Zeroizing<String>, JweError> {
        let d: EcPrivateKeyBin<'_> = self
            .key
            .as_be_bytes()
            .map_err(|_| JweError::Backend("export"))?;
        let mut v = self.public.to_json();
        if let Some(obj) = v.as_object_mut() {
            obj.insert("d".into(), b64::encode(d.as_ref()).into());
        }
        Ok(Zeroizing::new(v.to_string()))
    }
}

/// A decrypted JWE: the protected header and the plaintext.
#[derive(Debug, Clone, PartialEq)]
pub struct DecryptedJwe {
    /// The content encryption used, for callers that accept only what they advertised
    /// (`encrypted_response_enc_values_supported`).
    pub enc: ContentEncryption,
    /// The authenticated protected header.
    pub header: Map<String, Value>,
    /// The decrypted payload.
    pub plaintext: Zeroizing<Vec<u8>>,
}

/// Reads a recipient's public encryption JWK. The JWK `alg` names a key management algorithm
/// (`ECDH-ES`), not a signature algorithm, so it is checked here and not by [`PublicJwk`].
pub fn recipient_public_key(jwk: &Value) -> Result<PublicJwk, JweError> {
    let obj = jwk
        .as_object()
        .ok_or_else(|| JweError::InvalidKey("a JWK must be a JSON object".into()))?;
    if let Some(alg) = obj.get("alg")
        && alg.as_str() != Some(ALG_ECDH_ES)
    {
        return Err(JweError::UnsupportedAlgorithm(
            alg.as_str()
                .unwrap_or("(non-string)")
                .chars()
                .take(32)
                .collect(),
        ));
    }
    if let Some(usage) = obj.get("use")
        && usage.as_str() != Some("enc")
    {
        return Err(JweError::InvalidKey("JWK \"use\" is not \"enc\"".into()));
    }
    let mut stripped = obj.clone();
    stripped.remove("alg");
    let key = PublicJwk::from_json(&Value::Object(stripped))
        .map_err(|e| JweError::InvalidKey(e.to_string()))?;
    if key.curve() != Curve::P256 {
        return Err(JweError::InvalidKey("only P-256 is supported".into()));
    }
    Ok(key)
}

/// Options of one encryption beyond the recipient and plaintext.
#[derive(Debug, Clone, Default)]
pub struct EncryptOptions<'a> {
    /// PartyUInfo (raw bytes; sent base64url-encoded as `apu`).
    pub apu: Option<&'a [u8]>,
    /// PartyVInfo (raw bytes; sent as `apv`). OpenID4VP 1.0 sets none; some wallets send the nonce.
    pub apv: Option<&'a [u8]>,
    /// Extra protected header members (e.g. `typ`, `cty`). `alg`, `enc`, `epk`, `kid`, `apu`,
    /// `apv` are always set by [`encrypt`] and override these.
    pub extra_header: Map<String, Value>,
}

/// Encrypts `plaintext` to `recipient` (a public EC P-256 JWK) with a fresh ephemeral key and
/// IV. The recipient's `kid`, when present, is copied into the header.
pub fn encrypt(
    plaintext: &[u8],
    recipient: &Value,
    enc: ContentEncryption,
    options: &EncryptOptions<'_>,
) -> Result<String, JweError> {
    let recipient_key = recipient_public_key(recipient)?;
    let ephemeral = PrivateKey::generate(&ECDH_P256).map_err(|_| JweError::Backend("keygen"))?;
    let mut iv = [0u8; IV_LEN];
    aws_lc_rs::rand::fill(&mut iv).map_err(|_| JweError::Backend("rng"))?;
    encrypt_with(plaintext, &recipient_key, enc, options, &ephemeral, iv)
}

/// [`encrypt`] with the ephemeral key and IV supplied: for known-answer tests only. Reusing an
/// ephemeral key and IV pair breaks GCM, hence the name.
pub fn encrypt_with_danger_fixed_randomness(
    plaintext: &[u8],
    recipient: &Value,
    enc: ContentEncryption,
    options: &EncryptOptions<'_>,
    ephemeral_scalar: &[u8],
    iv: [u8; IV_LEN],
) -> Result<String, JweError> {
    let recipient_key = recipient_public_key(recipient)?;
    let ephemeral = PrivateKey::from_private_key(&ECDH_P256, ephemeral_scalar)
        .map_err(|_| JweError::InvalidKey("ephemeral scalar".into()))?;
    encrypt_with(plaintext, &recipient_key, enc, options, &ephemeral, iv)
}

fn encrypt_with(
    plaintext: &[u8],
    recipient: &PublicJwk,
    enc: ContentEncryption,
    options: &EncryptOptions<'_>,
    ephemeral: &PrivateKey,
    iv: [u8; IV_LEN],
) -> Result<String, JweError> {
    let epk_public = ephemeral
        .compute_public_key()
        .map_err(|_| JweError::Backend("public key"))?;
    let epk = PublicJwk::from_sec1(Curve::P256, epk_public.as_ref())
        .map_err(|e| JweError::InvalidKey(e.to_string()))?;
    let apu = options.apu.unwrap_or_default();
    let apv = options.apv.unwrap_or_default();

    let mut header = options.extra_header.clone();
    header.insert("alg".into(), ALG_ECDH_ES.into());
    header.insert("enc".into(), enc.jose_name().into());
    header.insert("epk".into(), epk.to_json());
    match recipient.kid() {
        Some(kid) => {
            header.insert("kid".into(), kid.into());
        }
        None => {
            header.remove("kid");
        }
    }
    for (name, value) in [("apu", options.apu), ("apv", options.apv)] {
        match value {
            Some(v) => header.insert(name.into(), b64::encode(v).into()),
            None => header.remove(name),
        };
    }
    header.remove("zip");

    let cek = derive_cek(ephemeral, recipient, enc, apu, apv)?;
    let protected = b64::encode(Value::Object(header).to_string());
    let key = LessSafeKey::new(
        UnboundKey::new(enc.aead(), &cek).map_err(|_| JweError::Backend("aead key"))?,
    );
    let mut in_out = plaintext.to_vec();
    let tag = key
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(iv),
            Aad::from(protected.as_bytes()),
            &mut in_out,
        )
        .map_err(|_| JweError::Backend("seal"))?;
    Ok(format!(
        "{protected}..{}.{}.{}",
        b64::encode(iv),
        b64::encode(&in_out),
        b64::encode(tag.as_ref())
    ))
}

fn derive_cek(
    own: &PrivateKey,
    peer: &PublicJwk,
    enc: ContentEncryption,
    apu: &[u8],
    apv: &[u8],
) -> Result<Zeroizing<Vec<u8>>, JweError> {
    let peer_bytes = peer.public_key_bytes();
    agreement::agree(
        own,
        UnparsedPublicKey::new(&ECDH_P256, &peer_bytes),
        JweError::DecryptionFailed,
        |z| concat_kdf(z, enc.jose_name(), apu, apv, enc.key_len()),
    )
}

/// Decrypts a compact JWE with `key`. Refuses every algorithm but `ECDH-ES` with A128GCM or
/// A256GCM, and a `kid` naming another key when both carry one.
pub fn decrypt(compact: &str, key: &DecryptionKey) -> Result<DecryptedJwe, JweError> {
    if compact.len() > MAX_JWE_LEN {
        return Err(JweError::Malformed("too large"));
    }
    let mut parts = compact.split('.');
    let (Some(h), Some(ek), Some(iv), Some(ct), Some(tag), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(JweError::Malformed("expected five '.'-separated parts"));
    };
    let header_bytes = b64::decode(h).map_err(|_| JweError::Malformed("header base64url"))?;
    let header = json::parse_object(&header_bytes, JsonLimits::DEFAULT)
        .map_err(|e| JweError::Header(e.to_string()))?;
    let text = |name: &'static str| -> Result<&str, JweError> {
        header
            .get(name)
            .and_then(Value::as_str)
            .ok_or_else(|| JweError::Header(format!("missing or non-string \"{name}\"")))
    };
    let alg = text("alg")?;
    if alg != ALG_ECDH_ES {
        return Err(JweError::UnsupportedAlgorithm(
            alg.chars().take(32).collect(),
        ));
    }
    let enc = ContentEncryption::from_jose(text("enc")?)?;
    if header.contains_key("zip") {
        return Err(JweError::UnsupportedHeader("zip"));
    }
    if header.contains_key("crit") {
        return Err(JweError::UnsupportedHeader("crit"));
    }
    if let (Some(expected), Some(found)) = (key.public.kid(), header.get("kid")) {
        let found = found.as_str().unwrap_or_default();
        if found != expected {
            return Err(JweError::KeyIdMismatch {
                expected: expected.to_owned(),
                found: found.chars().take(64).collect(),
            });
        }
    }
    if !ek.is_empty() {
        return Err(JweError::Malformed(
            "ECDH-ES direct agreement has an empty encrypted key",
        ));
    }
    let epk = header
        .get("epk")
        .ok_or_else(|| JweError::InvalidEphemeralKey("missing \"epk\"".into()))?;
    let epk =
        PublicJwk::from_json(epk).map_err(|e| JweError::InvalidEphemeralKey(e.to_string()))?;
    if epk.curve() != Curve::P256 {
        return Err(JweError::InvalidEphemeralKey("not P-256".into()));
    }
    let party = |name: &'static str| -> Result<Vec<u8>, JweError> {
        match header.get(name) {
            None => Ok(Vec::new()),
            Some(v) => v
                .as_str()
                .and_then(|s| b64::decode(s).ok())
                .ok_or_else(|| JweError::Header(format!("\"{name}\" is not base64url"))),
        }
    };
    let (apu, apv) = (party("apu")?, party("apv")?);
    let iv = b64::decode(iv).map_err(|_| JweError::Malformed("iv base64url"))?;
    let iv: [u8; IV_LEN] = iv
        .try_into()
        .map_err(|_| JweError::Malformed("iv must be 96 bits"))?;
    let tag = b64::decode(tag).map_err(|_| JweError::Malformed("tag base64url"))?;
    if tag.len() != TAG_LEN {
        return Err(JweError::Malformed("tag must be 128 bits"));
    }
    let mut in_out =
        Zeroizing::new(b64::decode(ct).map_err(|_| JweError::Malformed("ciphertext base64url"))?);

    let cek = derive_cek(&key.key, &epk, enc, &apu, &apv)?;
    let aead = LessSafeKey::new(
        UnboundKey::new(enc.aead(), &cek).map_err(|_| JweError::Backend("aead key"))?,
    );
    let plain_len = aead
        .open_in_place_separate_tag(
            Nonce::assume_unique_for_key(iv),
            Aad::from(h.as_bytes()),
            &tag,
            &mut in_out,
        )
        .map_err(|_| JweError::DecryptionFailed)?
        .len();
    in_out.truncate(plain_len);
    Ok(DecryptedJwe {
        enc,
        header,
        plaintext: in_out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    // RFC 7518 Appendix C: Alice (ephemeral) and Bob (static) keys, apu "Alice", apv "Bob".
    const ALICE_D: &str = "0_NxaRPUMQoAJt50Gz8YiTr8gRTwyEaCumd-MToTmIo";
    const ALICE_X: &str = "gI0GAILBdu7T53akrFmMyGcsF3n5dO7MmwNBHKW5SV0";
    const BOB_D: &str = "VEmDZpDXXK8p8N0Cndsxs924q6nS1RXFASRl6BfUqdw";
    const BOB_X: &str = "weNJy2HscCSM6AEDTDg04biOvhFhyyWvOHQfeF_PxMQ";
    const BOB_Y: &str = "e8lnCO-AlStT-NJVX-crhB7QRYhiix03illJOVAOyck";

    fn bob() -> DecryptionKey {
        DecryptionKey::from_private_jwk(&json!({
            "kty": "EC", "crv": "P-256", "x": BOB_X, "y": BOB_Y, "d": BOB_D
        }))
        .unwrap()
    }

    #[test]
    fn rfc7518_appendix_c_concat_kdf() {
        let alice =
            PrivateKey::from_private_key(&ECDH_P256, &b64::decode(ALICE_D).unwrap()).unwrap();
        let alice_pub = alice.compute_public_key().unwrap();
        assert_eq!(
            b64::encode(&alice_pub.as_ref()[1..33]),
            ALICE_X,
            "Alice's ephemeral x"
        );
        let bob = bob();
        let cek = derive_cek(
            &alice,
            bob.public_jwk(),
            ContentEncryption::A128Gcm,
            b"Alice",
            b"Bob",
        )
        .unwrap();
        assert_eq!(b64::encode(&*cek), "VqqN6vgjbSBcIijNcacQGg");
        // Same key from Bob's side (static key, Alice's epk).
        let alice_jwk = PublicJwk::from_sec1(Curve::P256, alice_pub.as_ref()).unwrap();
        let cek2 = derive_cek(
            &bob.key,
            &alice_jwk,
            ContentEncryption::A128Gcm,
            b"Alice",
            b"Bob",
        )
        .unwrap();
        assert_eq!(cek, cek2);
        // The header names of RFC 7518 Appendix C decode to these party infos.
        assert_eq!(b64::decode("QWxpY2U").unwrap(), b"Alice");
        assert_eq!(b64::decode("Qm9i").unwrap(), b"Bob");
    }

    #[test]
    fn fixed_randomness_decrypts_with_rfc_keys() {
        let bob = bob();
        let opts = EncryptOptions {
            apu: Some(b"Alice"),
            apv: Some(b"Bob"),
            ..Default::default()
        };
        let jwe = encrypt_with_danger_fixed_randomness(
            b"hello",
            &bob.public_jwk_json(),
            ContentEncryption::A128Gcm,
            &opts,
            &b64::decode(ALICE_D).unwrap(),
            [7; 12],
        )
        .unwrap();
        let header: Value =
            serde_json::from_slice(&b64::decode(jwe.split('.').next().unwrap()).unwrap()).unwrap();
        assert_eq!(header["epk"]["x"], ALICE_X);
        assert_eq!(header["apu"], "QWxpY2U");
        assert_eq!(header["apv"], "Qm9i");
        assert_eq!(&*decrypt(&jwe, &bob).unwrap().plaintext, b"hello");
    }

    #[test]
    fn round_trips_both_encs() {
        let key = DecryptionKey::generate().unwrap();
        for enc in [ContentEncryption::A128Gcm, ContentEncryption::A256Gcm] {
            let mut extra = Map::new();
            extra.insert("typ".into(), "oauth-authz-resp+jwt".into());
            let opts = EncryptOptions {
                extra_header: extra,
                ..Default::default()
            };
            let jwe = encrypt(br#"{"vp_token":{}}"#, &key.public_jwk_json(), enc, &opts).unwrap();
            let out = decrypt(&jwe, &key).unwrap();
            assert_eq!(&*out.plaintext, br#"{"vp_token":{}}"#);
            assert_eq!(out.header["enc"], enc.jose_name());
            assert_eq!(out.enc, enc);
            assert_eq!(out.header["alg"], "ECDH-ES");
            assert_eq!(out.header["typ"], "oauth-authz-resp+jwt");
            assert_eq!(jwe.split('.').nth(1), Some(""));
        }
        // Private JWK export round trip.
        let again = DecryptionKey::from_private_jwk(
            &serde_json::from_str(&key.to_private_jwk().unwrap()).unwrap(),
        )
        .unwrap();
        assert_eq!(again.public_jwk(), key.public_jwk());
    }

    fn flip(part: &str) -> String {
        let mut bytes = b64::decode(part).unwrap();
        if let Some(b) = bytes.first_mut() {
            *b ^= 1;
        }
        b64::encode(bytes)
    }

    fn replace_part(jwe: &str, index: usize, with: &str) -> String {
        let mut parts: Vec<String> = jwe.split('.').map(str::to_owned).collect();
        parts[index] = with.to_owned();
        parts.join(".")
    }

    #[test]
    fn tampering_and_wrong_keys_are_refused() {
        let key = DecryptionKey::generate().unwrap();
        let jwe = encrypt(
            b"secret payload",
            &key.public_jwk_json(),
            ContentEncryption::A256Gcm,
            &EncryptOptions::default(),
        )
        .unwrap();
        let parts: Vec<&str> = jwe.split('.').collect();
        for index in [2, 3, 4] {
            let bad = replace_part(&jwe, index, &flip(parts[index]));
            assert_eq!(
                decrypt(&bad, &key),
                Err(JweError::DecryptionFailed),
                "part {index}"
            );
        }
        // Header changed (same meaning, different bytes): the AAD no longer matches.
        let mut header: Map<String, Value> =
            serde_json::from_slice(&b64::decode(parts[0]).unwrap()).unwrap();
        header.insert("x".into(), 1.into());
        let bad = replace_part(&jwe, 0, &b64::encode(Value::Object(header).to_string()));
        assert_eq!(decrypt(&bad, &key), Err(JweError::DecryptionFailed));
        // Wrong recipient key.
        let other = DecryptionKey::generate().unwrap();
        assert_eq!(decrypt(&jwe, &other), Err(JweError::DecryptionFailed));
        // Non-empty encrypted key, truncated tag, wrong part count.
        assert!(matches!(
            decrypt(&replace_part(&jwe, 1, "AAAA"), &key),
            Err(JweError::Malformed(_))
        ));
        assert!(matches!(
            decrypt(&replace_part(&jwe, 4, "AAAA"), &key),
            Err(JweError::Malformed(_))
        ));
        assert!(matches!(
            decrypt("a.b.c", &key),
            Err(JweError::Malformed(_))
        ));
    }

    fn with_header(jwe: &str, f: impl FnOnce(&mut Map<String, Value>)) -> String {
        let h = jwe.split('.').next().unwrap();
        let mut header: Map<String, Value> =
            serde_json::from_slice(&b64::decode(h).unwrap()).unwrap();
        f(&mut header);
        replace_part(jwe, 0, &b64::encode(Value::Object(header).to_string()))
    }

    #[test]
    fn other_algorithms_are_refused() {
        let key = DecryptionKey::generate().unwrap();
        let jwe = encrypt(
            b"x",
            &key.public_jwk_json(),
            ContentEncryption::A128Gcm,
            &EncryptOptions::default(),
        )
        .unwrap();
        for alg in ["RSA1_5", "dir", "ECDH-ES+A128KW", "RSA-OAEP-256"] {
            let bad = with_header(&jwe, |h| {
                h.insert("alg".into(), alg.into());
            });
            assert_eq!(
                decrypt(&bad, &key),
                Err(JweError::UnsupportedAlgorithm(alg.into()))
            );
        }
        for enc in ["A128CBC-HS256", "A192GCM"] {
            let bad = with_header(&jwe, |h| {
                h.insert("enc".into(), enc.into());
            });
            assert_eq!(
                decrypt(&bad, &key),
                Err(JweError::UnsupportedEncryption(enc.into()))
            );
        }
        let bad = with_header(&jwe, |h| {
            h.insert("zip".into(), "DEF".into());
        });
        assert_eq!(decrypt(&bad, &key), Err(JweError::UnsupportedHeader("zip")));
        let bad = with_header(&jwe, |h| {
            h.remove("epk");
        });
        assert!(matches!(
            decrypt(&bad, &key),
            Err(JweError::InvalidEphemeralKey(_))
        ));
        // A recipient JWK advertising another algorithm is refused before encrypting.
        let mut rsa = key.public_jwk_json();
        rsa["alg"] = "RSA-OAEP".into();
        assert!(matches!(
            encrypt(
                b"x",
                &rsa,
                ContentEncryption::A128Gcm,
                &EncryptOptions::default()
            ),
            Err(JweError::UnsupportedAlgorithm(_))
        ));
    }

    #[test]
    fn kid_must_name_the_key() {
        let key = DecryptionKey::from_scalar(&b64::decode(BOB_D).unwrap(), Some("verifier-enc-1"))
            .unwrap();
        let jwe = encrypt(
            b"x",
            &key.public_jwk_json(),
            ContentEncryption::A128Gcm,
            &EncryptOptions::default(),
        )
        .unwrap();
        assert!(decrypt(&jwe, &key).unwrap().header["kid"] == "verifier-enc-1");
        let bad = with_header(&jwe, |h| {
            h.insert("kid".into(), "other".into());
        });
        assert!(matches!(
            decrypt(&bad, &key),
            Err(JweError::KeyIdMismatch { .. })
        ));
    }

    #[test]
    fn openid4vp_spec_example_decrypts() {
        // OpenID4VP 1.0 section 8.3 example (openid/OpenID4VP 46f6965b, spec blocks 025-028):
        // the verifier's key, the encrypted response, the expected payload.
        let key = DecryptionKey::from_private_jwk(&json!({
            "kty": "EC", "kid": "ac", "use": "enc", "crv": "P-256", "alg": "ECDH-ES",
            "x": "YO4epjifD-KWeq1sL2tNmm36BhXnkJ0He-WqMYrp9Fk",
            "y": "Hekpm0zfK7C-YccH5iBjcIXgf6YdUvNUac_0At55Okk",
            "d": "Et-3ce0omz8_TuZ96Df9lp0GAaaDoUnDe6X-CRO7Aww"
        }))
        .unwrap();
        let jwe = "eyJhbGciOiJFQ0RILUVTIiwiZW5jIjoiQTEyOEdDTSIsImtpZCI6ImFjIiwiZXBrIjp7Imt0eSI6IkVDIiwieCI6Im5ubVZwbTNWM2piaGNhZlFhUkJrU1ZOSGx3Wkh3dC05ck9wSnVmeVlJdWsiLCJ5IjoicjRmakRxd0p5czlxVU9QLV9iM21SNVNaRy0tQ3dPMm1pYzVWU05UWU45ZyIsImNydiI6IlAtMjU2In19..uAYcHRUSSn2X0WPX.yVzlGSYG4qbg0bq18JcUiDRw56yVnbKR8E7S7YlEtzT00RqE3Pw5oTpUG3hdLN4taHZ9gC1kwak8JOnJgQ.1wR024_3-qtAlx1oFIUpQQ";
        let out = decrypt(jwe, &key).unwrap();
        assert_eq!(out.header["kid"], "ac");
        let payload: Value = serde_json::from_slice(&out.plaintext).unwrap();
        assert_eq!(
            payload,
            json!({"vp_token": {"example_credential_id": ["eyJhb...YMetA"]}})
        );
    }
}
