//! Issuing and presenting the pilot's diplomas in process.
//!
//! The credentials are the real profiles (EU: SD-JWT VC sealed with the EU university's
//! qualified seal; Japan: Open Badges 3.0 `vc+jwt` sealed with the Japanese university's
//! e-seal), with status list entries and holder binding, salts from the operating system.
//! The OpenID4VCI / OpenID4VP wire flows (`kakehashi-http-issuer`, `kakehashi-http-verifier`,
//! `kakehashi-wallet`) replace these calls as they land.

use aws_lc_rs::rand::{SecureRandom as _, SystemRandom};
use kakehashi_academic::model::Diploma;
use kakehashi_academic::profiles::{
    EU_DIPLOMA_VCT, EU_SD_PATHS, eu_claims, jp_achievement_credential,
};
use kakehashi_core::{UnixTime, b64};
use kakehashi_crypto::{PublicJwk, Signer};
use kakehashi_sd_jwt::{ClaimPath, KbJwtClaims, Limits, SdJwt, SdJwtBuilder, Selection};
use kakehashi_status_list::bitstring::{
    Bitstring, BitstringStatusListCredential, BitstringStatusListEntry, StatusPurpose,
};
use kakehashi_status_list::{
    Bits, Compression, StatusList, StatusListReference, StatusListTokenClaims,
};
use serde_json::{Map, Value, json};

use crate::PilotError;

/// The EU university's credential issuer identifier.
pub const EU_ISSUER: &str = "https://issuer.brabant-leuven.example";
/// The Japanese university's credential issuer identifier.
pub const JP_ISSUER: &str = "https://issuer.kakehashi-u.example";

fn os_random(buf: &mut [u8]) {
    // AWS-LC's RNG does not fail on supported platforms; a failure leaves zeros, which the
    // issuance would still sign, so abort instead of issuing guessable salts.
    if SystemRandom::new().fill(buf).is_err() {
        std::process::abort();
    }
}

fn err(what: &str, e: impl std::fmt::Display) -> PilotError {
    PilotError::Issue(format!("{what}: {e}"))
}

/// An EU-profile diploma: SD-JWT VC, `x5c` seal chain, holder key in `cnf`, Token Status List.
pub fn issue_eu(
    seal: &dyn Signer,
    diploma: &Diploma,
    holder: &PublicJwk,
    status: Option<StatusListReference>,
    iat: UnixTime,
) -> Result<SdJwt, PilotError> {
    let provider = kakehashi_crypto_aws_lc::provider();
    let mut claims = eu_claims(diploma).map_err(|e| err("EU claims", e))?;
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
        .map(|c| b64::encode_std(c).into())
        .collect();
    let mut builder = SdJwtBuilder::sd_jwt_vc(claims, EU_DIPLOMA_VCT)
        .holder_key(holder.clone())
        .decoys_per_object(2)
        .header_member("x5c", Value::Array(chain));
    for pointer in EU_SD_PATHS {
        if view.pointer(pointer).is_some() {
            builder = builder
                .conceal(ClaimPath::from_pointer(pointer, &view).map_err(|e| err("path", e))?);
        }
    }
    builder
        .issue(&provider, seal, &mut os_random)
        .map_err(|e| err("SD-JWT VC", e))
}

/// The holder's SD-JWT presentation of `pointers` with a KB-JWT for `audience` and `nonce`.
pub fn present_eu(
    sd_jwt: &SdJwt,
    holder: &dyn Signer,
    pointers: &[&str],
    audience: &str,
    nonce: &str,
    iat: UnixTime,
) -> Result<String, PilotError> {
    let provider = kakehashi_crypto_aws_lc::provider();
    let decoded = sd_jwt
        .decode(&provider, Limits::DEFAULT)
        .map_err(|e| err("decode", e))?;
    let view = Value::Object(decoded.claims().clone());
    let paths = pointers
        .iter()
        .map(|p| ClaimPath::from_pointer(p, &view).map_err(|e| err("path", e)))
        .collect::<Result<Vec<_>, _>>()?;
    let kb = KbJwtClaims {
        audience: audience.into(),
        nonce: nonce.into(),
        issued_at: iat,
    };
    Ok(sd_jwt
        .present(
            &provider,
            &paths,
            Selection::WithDescendants,
            Limits::DEFAULT,
        )
        .map_err(|e| err("present", e))?
        .bind(&provider, holder, &kb, Limits::DEFAULT)
        .map_err(|e| err("key binding", e))?
        .to_compact())
}

/// `did:jwk` of a public key (the holder identifier of the Japan profile).
pub fn did_jwk(key: &PublicJwk) -> String {
    key.to_did_jwk()
}

/// A Japan-profile diploma: OB 3.0 AchievementCredential as `vc+jwt`, `x5c` e-seal chain,
/// subject `did:jwk` of the holder key, Bitstring Status List entry.
pub fn issue_jp(
    seal: &dyn Signer,
    diploma: &Diploma,
    holder: &PublicJwk,
    status_url: &str,
    index: u64,
    iat: UnixTime,
) -> Result<String, PilotError> {
    let mut id = [0u8; 16];
    os_random(&mut id);
    let mut vc = jp_achievement_credential(
        diploma,
        JP_ISSUER,
        &format!("urn:kakehashi:credential:{}", b64::encode(id)),
        &format!("{JP_ISSUER}/achievements/{}", diploma.diploma_number),
    )
    .map_err(|e| err("JP credential", e))?;
    vc["credentialSubject"]["id"] = did_jwk(holder).into();
    vc["validFrom"] = iat.to_rfc3339().into();
    let mut entry = BitstringStatusListEntry::new(StatusPurpose::Revocation, index, status_url);
    entry.id = Some(format!("{status_url}#{index}"));
    vc["credentialStatus"] = json!([entry.to_json()]);
    kakehashi_vc_jose::issue_vc_jwt(&vc, seal, Map::new()).map_err(|e| err("vc+jwt", e))
}

/// The holder's `vp+jwt` enveloping `vc_jwt`, bound to `audience` and `nonce`.
pub fn present_jp(
    vc_jwt: &str,
    holder: &dyn Signer,
    audience: &str,
    nonce: &str,
    iat: UnixTime,
) -> Result<String, PilotError> {
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
            expires_at: Some(iat.saturating_add(300)),
        },
        header,
    )
    .map_err(|e| err("vp+jwt", e))
}

/// The EU issuer's Token Status List (`statuslist+jwt`) with `revoked` set to INVALID.
pub fn token_status_list(
    seal: &dyn Signer,
    uri: &str,
    revoked: &[u64],
    now: UnixTime,
) -> Result<String, PilotError> {
    let mut list = StatusList::new(Bits::One, 1 << 16).map_err(|e| err("status list", e))?;
    for i in revoked {
        list.set(*i, 1).map_err(|e| err("status list", e))?;
    }
    kakehashi_status_list::sign_status_list_token(
        &list,
        &StatusListTokenClaims {
            sub: uri.into(),
            iat: now,
            exp: Some(now.saturating_add(86_400)),
            ttl: Some(300),
            iss: None,
            aggregation_uri: None,
        },
        Compression::RUN_LENGTH,
        seal,
    )
    .map_err(|e| err("status list token", e))
}

/// The JP issuer's Bitstring Status List credential (`vc+jwt`) with `revoked` set.
pub fn bitstring_status_list(
    seal: &dyn Signer,
    url: &str,
    issuer: &str,
    revoked: &[u64],
    now: UnixTime,
) -> Result<String, PilotError> {
    let mut bits = Bitstring::new(131_072, 1).map_err(|e| err("bitstring", e))?;
    for i in revoked {
        bits.set(*i, 1).map_err(|e| err("bitstring", e))?;
    }
    let credential = BitstringStatusListCredential {
        id: Some(url.into()),
        issuer: issuer.into(),
        valid_from: Some(now.saturating_sub(3600)),
        valid_until: Some(now.saturating_add(86_400)),
        subject_id: Some(format!("{url}#list")),
        status_purposes: vec![StatusPurpose::Revocation],
        encoded_list: bits
            .encode(Compression::RUN_LENGTH)
            .map_err(|e| err("bitstring", e))?,
        ttl_ms: Some(300_000),
    };
    kakehashi_vc_jose::issue_vc_jwt(&credential.to_json(), seal, Map::new())
        .map_err(|e| err("status vc+jwt", e))
}
