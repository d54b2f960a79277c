//! The trusted-list vectors (testdata/trusted-lists, copied from shared/vectors/trusted-lists):
//! every file with the outcome its manifest expects, plus LOTL anchoring of the national lists.
//! Prints `pass`/`skip` per case; skips must be listed in `exceptions.toml` with a reason.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers: a panic is a test failure

use std::collections::BTreeMap;
use std::path::PathBuf;

use kakehashi_trust::{ListAnchors, TrustError, UnixTime, VerifiedTrustedList, verify_list};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/trusted-lists")
}

fn read(file: &str) -> Vec<u8> {
    std::fs::read(dir().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn manifest() -> Vec<serde_json::Value> {
    let m: serde_json::Value = serde_json::from_slice(&read("manifest.json")).unwrap();
    m["files"].as_array().unwrap().clone()
}

fn exceptions() -> BTreeMap<String, String> {
    let t: toml::Table =
        toml::from_str(&String::from_utf8(read("exceptions.toml")).unwrap()).unwrap();
    t.get("cases")
        .and_then(|c| c.as_table())
        .map(|c| {
            c.iter()
                .map(|(k, v)| (k.clone(), v["reason"].as_str().unwrap_or("").to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// One hour after `ListIssueDateTime`: inside the validity window of every valid vector.
fn time_for(entry: &serde_json::Value) -> UnixTime {
    entry["ListIssueDateTime"]
        .as_str()
        .and_then(|t| UnixTime::parse_rfc3339(t).ok())
        .map_or(UnixTime(1_600_000_000), |t| t.saturating_add(3600))
}

fn count(entry: &serde_json::Value, key: &str) -> Option<usize> {
    entry[key].as_u64().and_then(|n| usize::try_from(n).ok())
}

fn check_case(entry: &serde_json::Value) -> Result<(), String> {
    let file = entry["file"].as_str().unwrap();
    let expected = entry["expected"].as_str().unwrap();
    let result = verify_list(
        &read(file),
        ListAnchors::DangerousUnanchored,
        time_for(entry),
    );
    match (expected, &result) {
        ("valid", Ok(v)) => check_metadata(entry, v),
        ("invalid-signature", Err(TrustError::SignatureInvalid(_))) => Ok(()),
        ("unsigned", Err(TrustError::Unsigned)) => Ok(()),
        ("not-well-formed", Err(TrustError::XmlMalformed(_))) => Ok(()),
        ("multiple-signatures", Err(TrustError::MultipleSignatures { .. })) => Ok(()),
        ("signature-wrapping", Err(TrustError::SignatureDoesNotCoverRoot(_))) => Ok(()),
        ("signer-not-in-lotl", _) => {
            // Held-out case: crypto may pass; anchoring in the EU LOTL (seq 248) must not.
            let pin = [sha256_from_hex(
                "d2064fdd70f6982dcc516b86d9d5c56aea939417c624b2e478c0b29de54f8474",
            )];
            let l = lotl("lotl/EU-LOTL-seq248.xml", "2019-09-05T00:00:00Z", &pin);
            match verify_list(&read(file), ListAnchors::Lotl(&l), time_for(entry)) {
                Err(TrustError::SignerNotInLotl { .. } | TrustError::NoLotlPointer { .. }) => {
                    Ok(())
                }
                other => Err(format!("expected signer-not-in-lotl, got {other:?}")),
            }
        }
        (exp, Ok(_)) => Err(format!("expected {exp}, verified")),
        (exp, Err(e)) => Err(format!("expected {exp}, got {e}")),
    }
}

fn check_metadata(entry: &serde_json::Value, v: &VerifiedTrustedList) -> Result<(), String> {
    let l = v.list();
    let s = &l.scheme;
    let mut problems = Vec::new();
    let eq = |what: &str, got: String, want: Option<String>, problems: &mut Vec<String>| {
        if let Some(want) = want
            && got != want
        {
            problems.push(format!("{what}: got {got}, manifest {want}"));
        }
    };
    let str_of = |k: &str| entry[k].as_str().map(str::to_owned);
    eq(
        "version",
        s.version.to_string(),
        str_of("TSLVersionIdentifier"),
        &mut problems,
    );
    eq(
        "sequence",
        s.sequence_number.to_string(),
        str_of("TSLSequenceNumber"),
        &mut problems,
    );
    eq("type", s.tsl_type.clone(), str_of("TSLType"), &mut problems);
    if entry["SchemeTerritory"].as_str() != Some("-") {
        eq(
            "territory",
            s.territory.clone(),
            str_of("SchemeTerritory"),
            &mut problems,
        );
    }
    eq(
        "signer",
        v.signer().sha256_hex(),
        str_of("signer_sha256"),
        &mut problems,
    );
    let n = |x: usize| x.to_string();
    let c = |k: &str| count(entry, k).map(n);
    eq("providers", n(l.providers.len()), c("TSPs"), &mut problems);
    eq(
        "services",
        n(l.service_count()),
        c("Services"),
        &mut problems,
    );
    eq(
        "pointers",
        n(s.pointers.len()),
        c("OtherTSLPointers"),
        &mut problems,
    );
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

#[test]
fn manifest_vectors() {
    let exceptions = exceptions();
    let (mut passed, mut skipped, mut failed) = (0, 0, Vec::new());
    for entry in manifest() {
        let file = entry["file"].as_str().unwrap().to_owned();
        let outcome = check_case(&entry);
        match (outcome, exceptions.get(&file)) {
            (Ok(()), None) => {
                println!("pass  {file}");
                passed += 1;
            }
            (Ok(()), Some(_)) => {
                failed.push(format!("{file}: passes but is listed in exceptions.toml"))
            }
            (Err(e), Some(reason)) => {
                println!("skip  {file}: {e} (exception: {reason})");
                skipped += 1;
            }
            (Err(e), None) => {
                println!("FAIL  {file}: {e}");
                failed.push(format!("{file}: {e}"));
            }
        }
    }
    println!(
        "trusted-list vectors: {passed} passed, {skipped} skipped, {} failed",
        failed.len()
    );
    assert!(failed.is_empty(), "{failed:#?}");
    assert!(passed >= 29, "only {passed} cases ran");
}

fn lotl(file: &str, at: &str, pins: &[[u8; 32]]) -> VerifiedTrustedList {
    let at = UnixTime::parse_rfc3339(at).unwrap();
    let anchors = if pins.is_empty() {
        ListAnchors::DangerousUnanchored
    } else {
        ListAnchors::PinnedSha256(pins)
    };
    verify_list(&read(file), anchors, at).unwrap()
}

fn sha256_from_hex(h: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&h[2 * i..2 * i + 2], 16).unwrap();
    }
    out
}

/// Every national list verifies against the pinned EU LOTL seq 248 (and seq 250) and records
/// the anchoring; a list checked against the wrong LOTL fails closed.
#[test]
fn national_lists_anchor_in_the_lotl() {
    let pin = [sha256_from_hex(
        "d2064fdd70f6982dcc516b86d9d5c56aea939417c624b2e478c0b29de54f8474",
    )];
    for (lotl_file, key) in [
        (
            "lotl/EU-LOTL-seq248.xml",
            "signer_in_EU_LOTL_seq248_pointer",
        ),
        (
            "lotl/EU-LOTL-seq250.xml",
            "signer_in_EU_LOTL_seq250_pointer",
        ),
    ] {
        let l = lotl(lotl_file, "2019-10-05T00:00:00Z", &pin);
        assert!(l.anchoring().is_anchored());
        for entry in manifest() {
            let file = entry["file"].as_str().unwrap();
            let Some(in_pointer) = entry[key].as_bool() else {
                continue;
            };
            if entry["expected"] != "valid" {
                continue;
            }
            let r = verify_list(&read(file), ListAnchors::Lotl(&l), time_for(&entry));
            match (in_pointer, r) {
                (true, Ok(v)) => {
                    assert!(v.anchoring().is_anchored(), "{file}");
                    println!("pass  {file} anchored in {lotl_file}");
                }
                (
                    false,
                    Err(TrustError::SignerNotInLotl { .. } | TrustError::NoLotlPointer { .. }),
                ) => {
                    println!("pass  {file} rejected by {lotl_file}");
                }
                (want, got) => panic!("{file} against {lotl_file}: want {want}, got {got:?}"),
            }
        }
    }
    // The MRA test LOTL has no pointer for ZZ (its MRA pointer says XX); the 2024 LOTL's AT
    // pointer has other certificates.
    let mra = lotl("other/MRA-LOTL-test.xml", "2022-06-28T00:00:00Z", &[]);
    let at = UnixTime::parse_rfc3339("2019-08-27T00:00:00Z").unwrap();
    assert_eq!(
        verify_list(
            &read("other/MRA-ZZ-TL-test.xml"),
            ListAnchors::Lotl(&mra),
            UnixTime::parse_rfc3339("2022-06-28T00:00:00Z").unwrap()
        ),
        Err(TrustError::NoLotlPointer {
            territory: "ZZ".into()
        })
    );
    // Between 2019 and 2024 several member states rotated their signers: against LOTL seq 341
    // those 2019 lists must fail closed with SignerNotInLotl, the others still anchor.
    let l341 = lotl("lotl/EU-LOTL-seq341-2024.xml", "2024-06-01T00:00:00Z", &[]);
    let mut rotated = 0;
    for entry in manifest() {
        let file = entry["file"].as_str().unwrap();
        if !file.starts_with("tl/") {
            continue;
        }
        match verify_list(&read(file), ListAnchors::Lotl(&l341), time_for(&entry)) {
            Ok(_) => {}
            Err(TrustError::SignerNotInLotl { territory }) => {
                println!("pass  {file} signer not in LOTL seq 341 for {territory}");
                rotated += 1;
            }
            Err(e) => panic!("{file} against seq 341: {e}"),
        }
    }
    assert!(rotated > 0, "no rotated signer detected");
    // A national list is not a list of lists.
    let cy = verify_list(
        &read("tl/CY.xml"),
        ListAnchors::DangerousUnanchored,
        UnixTime::parse_rfc3339("2019-07-18T00:00:00Z").unwrap(),
    )
    .unwrap();
    assert!(matches!(
        verify_list(&read("tl/AT.xml"), ListAnchors::Lotl(&cy), at),
        Err(TrustError::NotAListOfLists { .. })
    ));
    // Unpinned LOTL: the national list verifies but is not anchored.
    let unpinned = lotl("lotl/EU-LOTL-seq248.xml", "2019-09-05T00:00:00Z", &[]);
    let v = verify_list(&read("tl/AT.xml"), ListAnchors::Lotl(&unpinned), at).unwrap();
    assert!(!v.anchoring().is_anchored());
}

/// The third-country (ZZ) list is anchored through the MRA pointer, which carries the
/// Mutual Recognition Agreement information.
#[test]
fn mutual_recognition_pointer() {
    let mra = lotl("other/MRA-LOTL-test.xml", "2022-06-28T00:00:00Z", &[]);
    let zz = mra
        .list()
        .scheme
        .pointers
        .iter()
        .find(|p| p.mutual_recognition.is_some())
        .expect("MRA pointer");
    let info = zz.mutual_recognition.as_ref().expect("MRA information");
    assert_eq!(info.depth, Some(1));
    let e = &info.equivalences[0];
    assert_eq!(e.legal_identifier, "QCForESig");
    assert_eq!(
        e.pointing_service_types[0].0,
        "http://uri.etsi.org/TrstSvc/Svctype/CA/QC"
    );
    assert_eq!(
        e.pointed_service_types[0].0,
        "http://zz-trusted-list.go.zz/TrstSvc/Svctype/CA/QC/for-eSig"
    );
    assert_eq!(e.status, "http://ec.europa.eu/tools/lotl/mra/enacted");
    assert!(!e.valid_statuses.is_empty() && !e.invalid_statuses.is_empty());
    // The DSS test data does not chain: the MRA pointer (territory XX) carries the certificate
    // of "Alice Doe", while the ZZ list is signed by "ZZ-TL-signer". The list verifies on its
    // own, and following the pointer fails closed.
    let at = UnixTime::parse_rfc3339("2022-06-28T00:00:00Z").unwrap();
    let zz_list = read("other/MRA-ZZ-TL-test.xml");
    let alone = verify_list(&zz_list, ListAnchors::DangerousUnanchored, at).unwrap();
    assert!(!zz.certificates().any(|c| c == alone.signer().der()));
    let followed = verify_list(
        &zz_list,
        ListAnchors::LotlPointer {
            lotl: &mra,
            location: &zz.location,
        },
        at,
    );
    assert_eq!(
        followed,
        Err(TrustError::SignerNotInLotl {
            territory: "XX".into()
        })
    );
    // Following a real pointer of the EU LOTL works.
    let pin = [sha256_from_hex(
        "d2064fdd70f6982dcc516b86d9d5c56aea939417c624b2e478c0b29de54f8474",
    )];
    let eu = lotl("lotl/EU-LOTL-seq248.xml", "2019-09-05T00:00:00Z", &pin);
    let cy_pointer = eu
        .list()
        .scheme
        .pointers
        .iter()
        .find(|p| {
            p.territory.as_deref() == Some("CY")
                && p.mime_type.as_deref() == Some("application/vnd.etsi.tsl+xml")
        })
        .unwrap();
    let cy = verify_list(
        &read("tl/CY.xml"),
        ListAnchors::LotlPointer {
            lotl: &eu,
            location: &cy_pointer.location,
        },
        UnixTime::parse_rfc3339("2019-09-05T00:00:00Z").unwrap(),
    )
    .unwrap();
    assert!(cy.anchoring().is_anchored());
}

#[test]
fn freshness_is_enforced() {
    let bytes = read("tl/CY.xml");
    let after = UnixTime::parse_rfc3339("2030-01-01T00:00:00Z").unwrap();
    assert!(matches!(
        verify_list(&bytes, ListAnchors::DangerousUnanchored, after),
        Err(TrustError::Stale { .. })
    ));
    let before = UnixTime::parse_rfc3339("2019-01-01T00:00:00Z").unwrap();
    assert!(matches!(
        verify_list(&bytes, ListAnchors::DangerousUnanchored, before),
        Err(TrustError::IssuedInFuture { .. })
    ));
}
