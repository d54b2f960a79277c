//! XML signature wrapping and signer substitution on ETSI TS 119 612 lists, against
//! `kakehashi-trust` `verify_list` (the function every list fetched by a node goes through).

use kakehashi_trust::{ListAnchors, UnixTime, verify_list};

use crate::support::{Context as _, SetupError};
use crate::{Attack, Outcome, refused};

const TARGET: &str = "kakehashi-trust `verify_list`";
const JP: &str = include_str!("../../trust/testdata/fixtures/lists/JP.xml");
const BE_SIGNER: &str = include_str!("../../trust/testdata/fixtures/pki/be-tl-signer.pem");
/// A real list (Belgium 2019) whose signature references the root by `#Id`.
const REAL_BE: &str = include_str!("../../trust/testdata/trusted-lists/tl/BE.xml");

fn unanchored(xml: &str, at: UnixTime) -> Result<(), kakehashi_trust::TrustError> {
    verify_list(xml.as_bytes(), ListAnchors::DangerousUnanchored, at).map(|_| ())
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Result<(usize, usize), SetupError> {
    let s = text.find(start).ctx(start)?;
    let e = text[s..].find(end).ctx(end)? + s + end.len();
    let _: &'a str = &text[s..e];
    Ok((s, e))
}

pub fn run() -> Result<Vec<Outcome>, SetupError> {
    let now = UnixTime::parse_rfc3339("2026-11-15T00:00:00Z").ctx("time")?;
    if let Err(e) = unanchored(JP, now) {
        return Err(SetupError(format!("the JP fixture does not verify: {e}")));
    }
    let mut out = Vec::new();

    // 1. A second, unsigned TrustServiceProvider moved into the signed list.
    let (tsp_start, tsp_end) = between(JP, "<TrustServiceProvider>", "</TrustServiceProvider>")?;
    let rogue_tsp = JP[tsp_start..tsp_end].replacen(
        "<Name xml:lang=\"en\">",
        "<Name xml:lang=\"en\">Rogue ",
        1,
    );
    let injected = format!("{}{rogue_tsp}{}", &JP[..tsp_end], &JP[tsp_end..]);
    out.push(refused(
        Attack {
            name: "Unsigned TrustServiceProvider moved into a signed list",
            threat: "XML signature wrapping (XSW)",
            target: TARGET,
            sent: "JP list with a copy of a provider (renamed) inserted after the first",
            expected: "SignatureInvalid(\"Reference digest failed: URI=: expected digest does not match computed …\")",
        },
        unanchored(&injected, now),
    ));

    // 2. The signed list moved into ds:Object, an attacker's list with another Id as root.
    let at_2019 = UnixTime::parse_rfc3339("2019-06-14T00:00:00Z").ctx("time")?;
    let root_start = REAL_BE.find("<TrustServiceStatusList").ctx("root")?;
    let root_tag_end = REAL_BE[root_start..].find('>').ctx("root tag")? + root_start + 1;
    let sig_start = REAL_BE.find("<ds:Signature ").ctx("signature")?;
    let sig_close = REAL_BE.find("</ds:Signature>").ctx("signature end")?;
    let root_tag = &REAL_BE[root_start..root_tag_end];
    let body = &REAL_BE[root_tag_end..sig_start];
    let evil_body = body.replacen("<TSLSequenceNumber>43<", "<TSLSequenceNumber>9999<", 1);
    let wrapped = format!(
        "{}{}{}{}<ds:Object>{}{}</TrustServiceStatusList></ds:Object>{}",
        &REAL_BE[..root_start],
        root_tag.replace("Id=\"TSL-BE-2019-T2v2\"", "Id=\"attacker\""),
        evil_body,
        &REAL_BE[sig_start..sig_close],
        root_tag,
        body,
        &REAL_BE[sig_close..]
    );
    out.push(refused(
        Attack {
            name: "Signature references a different Id than the root",
            threat: "XML signature wrapping (XSW, signed element moved into ds:Object)",
            target: TARGET,
            sent: "real BE list: signed list moved into `ds:Object`, attacker's list (Id `attacker`, seq 9999) as root",
            expected: "SignatureDoesNotCoverRoot(\"no reference with URI \\\"\\\" or \\\"#attacker\\\"\")",
        },
        unanchored(&wrapped, at_2019),
    ));

    // 3. The same with the Id duplicated.
    let duplicated = wrapped.replacen("Id=\"attacker\"", "Id=\"TSL-BE-2019-T2v2\"", 1);
    out.push(refused(
        Attack {
            name: "Duplicated Ids",
            threat: "XML signature wrapping (two elements with the signed Id)",
            target: TARGET,
            sent: "as above, the attacker's root carrying the signed Id `TSL-BE-2019-T2v2` too",
            expected: "SignatureDoesNotCoverRoot(\"duplicate Id \\\"TSL-BE-2019-T2v2\\\"\")",
        },
        unanchored(&duplicated, at_2019),
    ));

    // 4. KeyInfo certificate swapped for another list signer's.
    let other_b64: String = BE_SIGNER
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let start =
        JP.find("<ds:X509Certificate>").ctx("X509Certificate")? + "<ds:X509Certificate>".len();
    let end = JP
        .find("</ds:X509Certificate>")
        .ctx("X509Certificate end")?;
    let swapped = format!("{}{}{}", &JP[..start], other_b64, &JP[end..]);
    out.push(refused(
        Attack {
            name: "KeyInfo certificate swapped",
            threat: "signer substitution (XAdES SigningCertificate binding)",
            target: TARGET,
            sent: "JP list with `ds:X509Certificate` replaced by the BE list signer's certificate",
            expected: "SignatureInvalid(\"signature value verification failed (HSM)\")",
        },
        unanchored(&swapped, now),
    ));

    // 5. A second signature.
    let (sig_s, sig_e) = between(JP, "<ds:Signature ", "</ds:Signature>")?;
    let doubled = format!(
        "{}{}{}",
        &JP[..sig_e],
        JP[sig_s..sig_e].replace("Id=\"", "Id=\"copy-"),
        &JP[sig_e..]
    );
    out.push(refused(
        Attack {
            name: "Second ds:Signature",
            threat: "XML signature wrapping (which signature counts?)",
            target: TARGET,
            sent: "JP list with its signature duplicated (Ids renamed)",
            expected: "MultipleSignatures { count: 2 }",
        },
        unanchored(&doubled, now),
    ));

    // 6. The signature moved away from the root.
    let signature = &JP[sig_s..sig_e];
    let without = format!("{}{}", &JP[..sig_s], &JP[sig_e..]);
    let moved = without.replacen(
        "</SchemeInformation>",
        &format!("{signature}</SchemeInformation>"),
        1,
    );
    out.push(refused(
        Attack {
            name: "Signature not a child of the root",
            threat: "XML signature wrapping (enveloped signature relocated)",
            target: TARGET,
            sent: "JP list with `ds:Signature` moved into `SchemeInformation`",
            expected: "SignatureDoesNotCoverRoot(\"ds:Signature is not a child of the root element\")",
        },
        unanchored(&moved, now),
    ));

    // 7. Status changed after signing.
    let tampered = JP.replacen("Svcstatus/JP/accredited", "Svcstatus/JP/withdrawn", 1);
    out.push(refused(
        Attack {
            name: "Service status edited after signing",
            threat: "list tampering",
            target: TARGET,
            sent: "JP list with one `ServiceStatus` changed",
            expected: "SignatureInvalid(\"Reference digest failed: URI=: expected digest does not match computed …\")",
        },
        unanchored(&tampered, now),
    ));

    // 8. No signature at all.
    out.push(refused(
        Attack {
            name: "Signature stripped",
            threat: "downgrade to an unsigned list",
            target: TARGET,
            sent: "JP list without its `ds:Signature`",
            expected: "Unsigned",
        },
        unanchored(&without, now),
    ));
    Ok(out)
}
