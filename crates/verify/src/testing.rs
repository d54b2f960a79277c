//! Test credentials for the pipeline and the HTTP verifier (feature `testing`): the trust
//! crate's committed test PKI (EU and JP university seals, their lists and policies, embedded
//! with `include_bytes!`), issuers of both profiles, status lists and wallet-side
//! presentations. Deterministic, not secret: never use outside tests.

#![allow(clippy::expect_used)] // fixtures are committed and known good: a panic is a test failure

use base64::Engine as _;
use kakehashi_academic::model::Diploma;
use kakehashi_academic::profiles::{EU_SD_PATHS, eu_claims, jp_achievement_credential};
use kakehashi_core::UnixTime;
use kakehashi_crypto::{PublicJwk, SignatureAlgorithm, Signer};
use kakehashi_crypto_aws_lc::SoftwareSigner;
use kakehashi_sd_jwt::{ClaimPath, KbJwtClaims, Limits, SdJwt, SdJwtBuilder, Selection};
use kakehashi_status_list::bitstring::{
    Bitstring, BitstringStatusListCredential, BitstringStatusListEntry, StatusPurpose,
};
use kakehashi_status_list::{Bits, Compression, StatusList, StatusListReference};
use kakehashi_trust::policy::load_lists;
use kakehashi_trust::{RecognitionPolicy, VerifiedTrustedList};
use serde_json::{Map, Value, json};

const FIXTURES: &str = "../trust/testdata/fixtures";

macro_rules! fixture {
    ($path:literal) => {
        include_bytes!(concat!("../../trust/testdata/fixtures/", $path)).as_slice()
    };
}

/// The verification time the fixtures are valid at: 2026-11-15T10:00:00Z.
pub const NOW: UnixTime = UnixTime(1_794_736_800);
/// The organizationIdentifier of the EU test university seal.
pub const EU_UNIVERSITY: &str = "VATBE-0123456789";
/// The EU test issuer.
pub const EU_ISSUER: &str = "https://leuven.example";
/// The JP test issuer.
pub const JP_ISSUER: &str = "https://kakehashi-u.example";

/// Where the fixtures live (for messages).
pub fn fixtures_dir() -> &'static str {
    FIXTURES
}

fn pem_blocks(pem: &[u8]) -> Vec<Vec<u8>> {
    let text = std::str::from_utf8(pem).expect("PEM is ASCII");
    let mut out = Vec::new();
    let mut current = String::new();
    let mut inside = false;
    for line in text.lines() {
        if line.starts_with("-----BEGIN") {
            inside = true;
            current.clear();
        } else if line.starts_with("-----END") {
            inside = false;
            out.push(
                base64::engine::general_purpose::STANDARD
                    .decode(current.as_bytes())
                    .expect("PEM base64"),
            );
        } else if inside {
            current.push_str(line.trim());
        }
    }
    out
}

fn seal(key: &[u8], chain: &[u8], kid: &str) -> SoftwareSigner {
    let der = pem_blocks(key).pop().expect("one key");
    SoftwareSigner::from_pkcs8(SignatureAlgorithm::Es256, &der)
        .expect("fixture key")
        .with_certificate_chain(pem_blocks(chain))
        .with_kid(kid)
}

/// The Belgian test university's seal (qualified, `VATBE-0123456789`) with its `x5c` chain.
pub fn eu_seal() -> SoftwareSigner {
    seal(
        fixture!("pki/eu-university-seal.key.pem"),
        fixture!("chains/eu-university-seal.pem"),
        "eu-seal-1",
    )
}

/// The Japanese test university's seal (`NTRJP-7123456789012`) with its `x5c` chain.
pub fn jp_seal() -> SoftwareSigner {
    seal(
        fixture!("pki/jp-university-seal.key.pem"),
        fixture!("chains/jp-university-seal.pem"),
        "jp-seal-1",
    )
}

/// A seal no list knows: a fresh key with a self-made one-certificate "chain" copied from the
/// LOTL signer (its key does not match, so only an unlisted chain would be accepted).
pub fn unlisted_seal() -> SoftwareSigner {
    seal(
        fixture!("pki/eu-lotl-signer.key.pem"),
        fixture!("pki/eu-lotl-signer.pem"),
        "unlisted-1",
    )
}

/// The fixture lists (LOTL, BE, JP) as bytes.
pub fn list_bytes() -> Vec<(String, Vec<u8>)> {
    vec![
        ("eu-lotl".into(), fixture!("lists/eu-lotl.xml").to_vec()),
        ("BE".into(), fixture!("lists/BE.xml").to_vec()),
        ("JP".into(), fixture!("lists/JP.xml").to_vec()),
    ]
}

/// The EU verifier's recognition policy.
pub fn eu_policy() -> RecognitionPolicy {
    RecognitionPolicy::from_toml(
        std::str::from_utf8(fixture!("policy/eu-verifier.toml")).expect("utf-8"),
    )
    .expect("policy")
}

/// The JP verifier's recognition policy.
pub fn jp_policy() -> RecognitionPolicy {
    RecognitionPolicy::from_toml(
        std::str::from_utf8(fixture!("policy/jp-verifier.toml")).expect("utf-8"),
    )
    .expect("policy")
}

/// The fixture lists verified under `policy` at `now`.
pub fn lists(policy: &RecognitionPolicy, now: UnixTime) -> Vec<VerifiedTrustedList> {
    let loaded = load_lists(
        &list_bytes(),
        policy,
        now,
        &kakehashi_trust::VerifyOptions::default(),
    );
    assert!(loaded.rejected.is_empty(), "{:?}", loaded.rejected);
    loaded.accepted
}

/// A master's diploma of the Belgian test university.
pub fn eu_diploma() -> Diploma {
    serde_json::from_value(json!({
        "holder": {"family_name": {"en": "Janssens"}, "given_name": {"en": "Eva"}, "birth_date": "2000-01-15"},
        "awarding_body": {
            "legal_name": {"en": "Kakehashi Test University Leuven", "nl": "Kakehashi Testuniversiteit Leuven"},
            "country": "BE",
            "legal_identifier": {"scheme": "VAT", "value": "BE0123456789"}
        },
        "qualification": {"title": {"en": "Master of Science in Engineering"}, "eqf_level": 7, "isced_field": "0714"},
        "award_date": "2026-06-30",
        "diploma_number": "BE-2026-0001",
        "thesis_title": {"en": "Bridges between wallets"}
    }))
    .expect("diploma")
}

/// A bachelor's degree (学士) of the Japanese test university.
pub fn jp_diploma() -> Diploma {
    serde_json::from_value(json!({
        "holder": {
            "family_name": {"ja": "山田", "ja-Latn": "YAMADA"},
            "given_name": {"ja": "花子", "ja-Latn": "HANAKO"},
            "birth_date": "2000-04-01"
        },
        "awarding_body": {
            "legal_name": {"ja": "かけはし試験大学", "en": "Kakehashi Test University"},
            "country": "JP",
            "legal_identifier": {"scheme": "JP-CorporateNumber", "value": "7123456789012"},
            "school_code": "F313110199999"
        },
        "qualification": {"title": {"ja": "学士(工学)", "en": "Bachelor of Engineering"}, "jp_degree": "学士", "isced_field": "0714"},
        "award_date": "2026-03-25",
        "diploma_number": "JP-2026-0001"
    }))
    .expect("diploma")
}

/// Deterministic bytes for salts (tests only).
pub fn fill(buf: &mut [u8]) {
    for (i, b) in buf.iter_mut().enumerate() {
        *b = u8::try_from(i % 251).unwrap_or(0) ^ 0x5a;
    }
}

/// A fresh holder key.
pub fn holder() -> SoftwareSigner {
    SoftwareSigner::generate(SignatureAlgorithm::Es256).expect("key")
}

/// Issues the EU diploma as an SD-JWT VC bound to `holder`, with a Token Status List entry.
pub fn issue_eu(
    seal: &dyn Signer,
    diploma: &Diploma,
    holder: &PublicJwk,
    status_uri: &str,
    index: u64,
    iat: UnixTime,
) -> SdJwt {
    issue_eu_with_status(
        seal,
        diploma,
        holder,
        Some(StatusListReference {
            idx: index,
            uri: status_uri.into(),
        }),
        iat,
    )
}

/// Like [`issue_eu`], with any status reference (or none).
pub fn issue_eu_with_status(
    seal: &dyn Signer,
    diploma: &Diploma,
    holder: &PublicJwk,
    status: Option<StatusListReference>,
    iat: UnixTime,
) -> SdJwt {
    let provider = kakehashi_crypto_aws_lc::provider();
    let mut claims = eu_claims(diploma).expect("claims");
    claims.remove("vct");
    claims.insert("iss".into(), EU_ISSUER.into());
    claims.insert("iat".into(), iat.seconds().into());
    claims.insert(
        "exp".into(),
        iat.saturating_add(10 * 365 * 86_400).seconds().into(),
    );
    if let Some(status) = status {
        claims.insert("status".into(), status.to_status_claim());
    }
    let view = Value::Object(claims.clone());
    let chain: Vec<Value> = seal
        .certificate_chain()
        .iter()
        .map(|c| base64::engine::general_purpose::STANDARD.encode(c).into())
        .collect();
    let mut builder = SdJwtBuilder::sd_jwt_vc(claims, kakehashi_academic::profiles::EU_DIPLOMA_VCT)
        .holder_key(holder.clone())
        .header_member("x5c", Value::Array(chain));
    for pointer in EU_SD_PATHS {
        if view.pointer(pointer).is_some() {
            builder = builder.conceal(ClaimPath::from_pointer(pointer, &view).expect("path"));
        }
    }
    builder.issue(&provider, seal, &mut fill).expect("issue")
}

/// The holder's presentation: discloses the claims at `pointers` and binds it.
pub fn present_eu(
    sd_jwt: &SdJwt,
    holder: &dyn Signer,
    pointers: &[&str],
    audience: &str,
    nonce: &str,
    iat: UnixTime,
) -> String {
    let provider = kakehashi_crypto_aws_lc::provider();
    let decoded = sd_jwt.decode(&provider, Limits::DEFAULT).expect("decode");
    let view = Value::Object(decoded.claims().clone());
    let paths: Vec<ClaimPath> = pointers
        .iter()
        .map(|p| ClaimPath::from_pointer(p, &view).expect("path"))
        .collect();
    sd_jwt
        .present(
            &provider,
            &paths,
            Selection::WithDescendants,
            Limits::DEFAULT,
        )
        .expect("present")
        .bind(
            &provider,
            holder,
            &KbJwtClaims {
                audience: audience.into(),
                nonce: nonce.into(),
                issued_at: iat,
            },
            Limits::DEFAULT,
        )
        .expect("bind")
        .to_compact()
}

/// A Token Status List token of 1-bit entries with `revoked` set to INVALID.
pub fn status_token(seal: &dyn Signer, uri: &str, revoked: &[u64], iat: UnixTime) -> String {
    let mut list = StatusList::new(Bits::One, 1024).expect("list");
    for i in revoked {
        list.set(*i, 1).expect("index");
    }
    kakehashi_status_list::sign_status_list_token(
        &list,
        &kakehashi_status_list::StatusListTokenClaims {
            sub: uri.into(),
            iat,
            exp: Some(iat.saturating_add(86_400)),
            ttl: Some(300),
            iss: None,
            aggregation_uri: None,
        },
        Compression::RUN_LENGTH,
        seal,
    )
    .expect("token")
}

/// `did:jwk` of a public key (the holder identifier of the Japan profile).
pub fn did_jwk(key: &PublicJwk) -> String {
    key.to_did_jwk()
}

/// Issues the JP diploma as an Open Badges 3.0 `vc+jwt` whose subject is the holder's
/// `did:jwk`, with a revocation entry in the Bitstring Status List at `status_url`.
pub fn issue_jp(
    seal: &dyn Signer,
    diploma: &Diploma,
    holder: &PublicJwk,
    status_url: &str,
    index: u64,
    iat: UnixTime,
) -> String {
    let mut vc = jp_achievement_credential(
        diploma,
        JP_ISSUER,
        "urn:uuid:5f1d3c1e-1111-4222-8333-944455556666",
        &format!("{JP_ISSUER}/achievements/bachelor"),
    )
    .expect("credential");
    vc["credentialSubject"]["id"] = did_jwk(holder).into();
    vc["validFrom"] = iat.to_rfc3339().into();
    let mut entry = BitstringStatusListEntry::new(StatusPurpose::Revocation, index, status_url);
    entry.id = Some(format!("{status_url}#{index}"));
    vc["credentialStatus"] = json!([entry.to_json()]);
    kakehashi_vc_jose::issue_vc_jwt(&vc, seal, Map::new()).expect("vc+jwt")
}

/// A Bitstring Status List credential (revocation) with `revoked` set.
pub fn w3c_status_list(seal: &dyn Signer, url: &str, revoked: &[u64], now: UnixTime) -> String {
    let mut bits = Bitstring::new(131_072, 1).expect("bitstring");
    for i in revoked {
        bits.set(*i, 1).expect("index");
    }
    let credential = BitstringStatusListCredential {
        id: Some(url.into()),
        issuer: JP_ISSUER.into(),
        valid_from: Some(now.saturating_add(-3600)),
        valid_until: Some(now.saturating_add(86_400)),
        subject_id: Some(format!("{url}#list")),
        status_purposes: vec![StatusPurpose::Revocation],
        encoded_list: bits.encode(Compression::RUN_LENGTH).expect("encode"),
        ttl_ms: Some(300_000),
    };
    kakehashi_vc_jose::issue_vc_jwt(&credential.to_json(), seal, Map::new()).expect("list")
}

/// The holder's `vp+jwt` around `vc_jwt`, signed with the `did:jwk` key.
pub fn present_jp(
    vc_jwt: &str,
    holder: &dyn Signer,
    audience: &str,
    nonce: &str,
    iat: UnixTime,
) -> String {
    let did = did_jwk(holder.public_jwk());
    let presentation = json!({
        "@context": [kakehashi_vc_jose::BASE_CONTEXT],
        "type": ["VerifiablePresentation"],
        "holder": did,
        "verifiableCredential": [kakehashi_vc_jose::envelope_vc_jwt(vc_jwt)],
    });
    let mut header = Map::new();
    header.insert("kid".into(), format!("{did}#0").into());
    kakehashi_vc_jose::issue_vp_jwt(
        &presentation,
        holder,
        &kakehashi_vc_jose::PresentationClaims {
            nonce: nonce.into(),
            audience: audience.into(),
            issued_at: iat,
            expires_at: None,
        },
        header,
    )
    .expect("vp+jwt")
}
