//! Disclosure injection and digest games (RFC 9901 section 7.1) behind a valid issuer
//! signature: the attacker controls the disclosures, or a careless issuer signed a payload
//! shaped by the attacker. Each must be refused by `kakehashi-sd-jwt` with its own error.

use kakehashi_core::{UnixTime, b64};
use kakehashi_crypto::{HashAlgorithm, SignatureAlgorithm, Signer as _};
use kakehashi_crypto_aws_lc::{SoftwareSigner, provider};
use kakehashi_jose::sign_compact;
use kakehashi_sd_jwt::{Disclosure, JsonStyle, SdJwt, SdJwtError, VerifyOptions};
use serde_json::{Map, Value, json};

use crate::support::{Context as _, SetupError};
use crate::{Attack, Outcome, refused};

const NOW: UnixTime = UnixTime(1_800_000_000);
const TARGET: &str = "kakehashi-sd-jwt `SdJwt::parse_and_verify`";

/// An issuer-signed JWT over `payload` followed by `disclosures` (compact serialization).
fn signed(
    issuer: &SoftwareSigner,
    payload: &Value,
    disclosures: &[&str],
) -> Result<String, SetupError> {
    let jwt = sign_compact(Map::new(), payload.to_string().as_bytes(), issuer).ctx("sign")?;
    let mut out = format!("{jwt}~");
    for d in disclosures {
        out.push_str(d);
        out.push('~');
    }
    Ok(out)
}

/// The entry point production verifiers call on a presentation's text (fast path included).
fn verify(text: &str, issuer: &SoftwareSigner) -> Result<(), SdJwtError> {
    SdJwt::parse_and_verify(
        text,
        &provider(),
        issuer.public_jwk(),
        &VerifyOptions::new(NOW),
    )
    .map(|_| ())
}

pub fn run() -> Result<Vec<Outcome>, SetupError> {
    let issuer = SoftwareSigner::generate(SignatureAlgorithm::Es256).ctx("issuer key")?;
    let p = provider();
    let property = |salt: &str, name: &str| {
        Disclosure::property(salt.into(), name.into(), json!("v"), JsonStyle::Compact)
            .ctx("disclosure")
    };
    let digest = |d: &Disclosure| d.digest(&p, HashAlgorithm::Sha256);
    let given = property("c2FsdC1naXZlbg", "given_name")?;
    let element = Disclosure::element("c2FsdC1lbGVt".into(), json!("DE"), JsonStyle::Compact);
    let mut out = Vec::new();

    // 1. An extra disclosure the issuer never referenced.
    let good = signed(
        &issuer,
        &json!({"_sd": [digest(&given)]}),
        &[given.encoded()],
    )?;
    let admin = Disclosure::property(
        "c2FsdC1hZG1pbg".into(),
        "is_admin".into(),
        json!(true),
        JsonStyle::Compact,
    )
    .ctx("disclosure")?;
    out.push(refused(
        Attack {
            name: "Extra disclosure not referenced by the issuer",
            threat: "RFC 9901 §7.1 step 5 (disclosure injection)",
            target: TARGET,
            sent: "valid SD-JWT + `[salt, \"is_admin\", true]` appended",
            expected: "UnreferencedDisclosure(\"6-gi50mV9QTQQnAm7QSgZk-4T56VUbG1GGLQGvS0QMQ\")",
        },
        verify(&format!("{good}{}~", admin.encoded()), &issuer),
    ));

    // 2. The same disclosure twice.
    out.push(refused(
        Attack {
            name: "Same disclosure sent twice",
            threat: "RFC 9901 §7.1 step 4 (duplicate digests)",
            target: TARGET,
            sent: "valid SD-JWT with its only disclosure repeated",
            expected: "DuplicateDisclosure(\"VeIxRdb3a-3ILQVTQj_IAFvdp_M14V0h30u95N-UBCU\")",
        },
        verify(&format!("{good}{}~", given.encoded()), &issuer),
    ));

    // 3. A digest listed twice in the payload.
    let doubled = signed(
        &issuer,
        &json!({"_sd": [digest(&given), digest(&given)]}),
        &[given.encoded()],
    )?;
    out.push(refused(
        Attack {
            name: "Digest listed twice in the issuer-signed payload",
            threat: "RFC 9901 §7.1 step 4 (duplicate digests)",
            target: TARGET,
            sent: "`_sd: [d, d]` and the disclosure for `d`",
            expected: "DuplicateDigest(\"VeIxRdb3a-3ILQVTQj_IAFvdp_M14V0h30u95N-UBCU\")",
        },
        verify(&doubled, &issuer),
    ));

    // 4. An array-element disclosure whose digest sits in an object's `_sd`.
    let misplaced = signed(
        &issuer,
        &json!({"_sd": [digest(&element)]}),
        &[element.encoded()],
    )?;
    out.push(refused(
        Attack {
            name: "Array-element disclosure placed as an object property",
            threat: "RFC 9901 §7.1 step 3 (disclosure kind must fit its place)",
            target: TARGET,
            sent: "`[salt, \"DE\"]` whose digest is in an object's `_sd`",
            expected: "DisclosureShape(\"array-element disclosure referenced from an object's \\\"_sd\\\"\")",
        },
        verify(&misplaced, &issuer),
    ));

    // 5. An object-property disclosure referenced as an array element.
    let as_element = signed(
        &issuer,
        &json!({"nationalities": [{"...": digest(&given)}]}),
        &[given.encoded()],
    )?;
    out.push(refused(
        Attack {
            name: "Object-property disclosure placed as an array element",
            threat: "RFC 9901 §7.1 step 3 (disclosure kind must fit its place)",
            target: TARGET,
            sent: "`{\"...\": d}` where `d` is a `[salt, name, value]` disclosure",
            expected: "DisclosureShape(\"object-property disclosure referenced from an array element\")",
        },
        verify(&as_element, &issuer),
    ));

    // 6. A disclosed name that collides with a plain claim.
    let collision = signed(
        &issuer,
        &json!({"_sd": [digest(&given)], "given_name": "Mallory"}),
        &[given.encoded()],
    )?;
    out.push(refused(
        Attack {
            name: "Disclosed claim name collides with a plain claim",
            threat: "RFC 9901 §7.1 step 3.3.2.3",
            target: TARGET,
            sent: "payload has `given_name` in clear and a disclosure for `given_name`",
            expected: "ClaimNameCollision(\"given_name\")",
        },
        verify(&collision, &issuer),
    ));

    // 7. `_sd` as a disclosed claim name.
    let reserved = b64::encode(br#"["c2FsdC1zZA","_sd",["forged-digest"]]"#);
    let base = signed(&issuer, &json!({"family_name": "Yamada"}), &[])?;
    out.push(refused(
        Attack {
            name: "Disclosure named `_sd`",
            threat: "RFC 9901 §7.1 (reserved claim names)",
            target: TARGET,
            sent: "`[salt, \"_sd\", [\"forged-digest\"]]` appended",
            expected: "ReservedClaimName(\"_sd\")",
        },
        verify(&format!("{base}{reserved}~"), &issuer),
    ));

    // 8. `...` as a disclosed claim name.
    let ellipsis = b64::encode(br#"["c2FsdC1lbGw","...","x"]"#);
    out.push(refused(
        Attack {
            name: "Disclosure named `...`",
            threat: "RFC 9901 §7.1 (reserved claim names)",
            target: TARGET,
            sent: "`[salt, \"...\", \"x\"]` appended",
            expected: "ReservedClaimName(\"...\")",
        },
        verify(&format!("{base}{ellipsis}~"), &issuer),
    ));

    // 9. `_sd` inside a disclosure's value that is not an array of digests.
    let nested = Disclosure::property(
        "c2FsdC1uZXN0".into(),
        "address".into(),
        json!({"_sd": "not-an-array"}),
        JsonStyle::Compact,
    )
    .ctx("disclosure")?;
    let nested_sd = signed(
        &issuer,
        &json!({"_sd": [digest(&nested)]}),
        &[nested.encoded()],
    )?;
    out.push(refused(
        Attack {
            name: "`_sd` inside a disclosure value is not a digest array",
            threat: "RFC 9901 §7.1 step 3 (reserved `_sd` member)",
            target: TARGET,
            sent: "`[salt, \"address\", {\"_sd\": \"not-an-array\"}]`",
            expected: "MisplacedSd(\"\\\"_sd\\\" is not an array\")",
        },
        verify(&nested_sd, &issuer),
    ));

    // 10. `...` next to other members.
    let ellipsis_extra = signed(
        &issuer,
        &json!({"nationalities": [{"...": digest(&element), "x": 1}]}),
        &[element.encoded()],
    )?;
    out.push(refused(
        Attack {
            name: "`...` element with extra members",
            threat: "RFC 9901 array-element digests (`...`)",
            target: TARGET,
            sent: "`[{\"...\": d, \"x\": 1}]`",
            expected: "MisplacedEllipsis(\"array element with \\\"...\\\" has other members\")",
        },
        verify(&ellipsis_extra, &issuer),
    ));
    Ok(out)
}
