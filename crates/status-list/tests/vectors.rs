//! Every vector in `testdata/` as a case: Token Status List test vectors and spec examples,
//! W3C Bitstring Status List examples and the 1EdTech fixture. Prints `pass` / `skip` per case
//! and a summary; cases not passed must be listed in `exceptions.toml` with a reason, and a
//! listed case that passes fails the run (stale exception).

// Test helpers outside #[test] functions: a malformed fixture should stop the run loudly.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ciborium::Value as Cbor;
use kakehashi_crypto::{SignatureAlgorithm, Signer};
use kakehashi_crypto_aws_lc::{SoftwareSigner, provider};
use kakehashi_status_list::bitstring::{
    Bitstring, BitstringOptions, BitstringStatusListCredential, BitstringStatusListEntry,
    DecodedBitstringStatusList, MIN_ENTRIES, StatusPurpose,
};
use kakehashi_status_list::{
    Bits, Compression, DecodeLimits, EncodedStatusList, StatusList, StatusListAggregation,
    StatusListError, StatusListReference, StatusType, UnixTime, VerifyOptions,
    verify_status_list_token,
};
use serde_json::{Map, Value};

type CaseResult = Result<(), String>;

struct Runner {
    outcomes: Vec<(String, CaseResult)>,
}

impl Runner {
    fn case(&mut self, name: impl Into<String>, f: impl FnOnce() -> CaseResult) {
        self.outcomes.push((name.into(), f()));
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata")
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn json(text: &str) -> Result<Value, String> {
    serde_json::from_str(text).map_err(|e| e.to_string())
}

fn hex(text: &str) -> Result<Vec<u8>, String> {
    let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    digits
        .chunks(2)
        .map(|pair| {
            let s = std::str::from_utf8(pair).map_err(|e| e.to_string())?;
            u8::from_str_radix(s, 16).map_err(|e| format!("{s}: {e}"))
        })
        .collect()
}

fn no_whitespace(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// `byte_array = [0xb9, 0xa3]` lines of the spec's example files.
fn byte_array_line(text: &str) -> Result<Vec<u8>, String> {
    let line = text
        .lines()
        .find(|l| l.starts_with("byte_array"))
        .ok_or("no byte_array line")?;
    let inner = line
        .split_once('[')
        .and_then(|(_, r)| r.split_once(']'))
        .ok_or("no [..]")?
        .0;
    inner
        .split(',')
        .map(|b| {
            u8::from_str_radix(b.trim().trim_start_matches("0x"), 16).map_err(|e| e.to_string())
        })
        .collect()
}

fn check(cond: bool, what: impl Into<String>) -> CaseResult {
    if cond { Ok(()) } else { Err(what.into()) }
}

fn e2s<E: std::fmt::Debug>(e: E) -> String {
    format!("{e:?}")
}

/// Decodes a JSON `StatusList` and checks it against `listed` (all other entries 0).
fn check_list(
    status_list: &Value,
    size: u64,
    listed: &BTreeMap<u64, u8>,
) -> Result<StatusList, String> {
    let encoded = EncodedStatusList::from_json(status_list, DecodeLimits::DEFAULT).map_err(e2s)?;
    let list = encoded.decode(DecodeLimits::DEFAULT).map_err(e2s)?;
    check(list.len() == size, format!("len {} != {size}", list.len()))?;
    let mut non_zero = 0u64;
    for i in 0..list.len() {
        let v = list.get(i).map_err(e2s)?;
        let expected = listed.get(&i).copied().unwrap_or(0);
        check(v == expected, format!("index {i}: {v} != {expected}"))?;
        non_zero += u64::from(v != 0);
    }
    check(
        non_zero == u64::try_from(listed.len()).unwrap(),
        "extra non-zero entries",
    )?;
    Ok(list)
}

fn token_status_list(r: &mut Runner) {
    let vectors = json(&read("token-status-list/test-vectors.json")).unwrap();
    for v in vectors["vectors"].as_array().unwrap() {
        let name = v["name"].as_str().unwrap();
        let base = format!("token-status-list/test-vectors.json#{name}");
        let bits = u8::try_from(v["bits"].as_u64().unwrap()).unwrap();
        let size = v["size"].as_u64().unwrap();
        let listed: BTreeMap<u64, u8> = v["listed_statuses"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, s)| {
                (
                    k.parse().unwrap(),
                    u8::try_from(s.as_u64().unwrap()).unwrap(),
                )
            })
            .collect();
        r.case(format!("{base}/json"), || {
            let list = check_list(&v["json_status_list"], size, &listed)?;
            check(list.bits().get() == bits, "bits")?;
            // Encoding our own list of the same statuses decodes to the same bytes.
            let mut ours =
                StatusList::new(Bits::try_from(bits).map_err(e2s)?, size).map_err(e2s)?;
            for (i, s) in &listed {
                ours.set(*i, *s).map_err(e2s)?;
            }
            check(ours == list, "list built from listed_statuses differs")?;
            let round = ours.encode(Compression::BEST, None).map_err(e2s)?;
            check(
                round.decode(DecodeLimits::DEFAULT).map_err(e2s)? == list,
                "re-encoded list differs",
            )
        });
        r.case(format!("{base}/cbor"), || {
            let bytes = hex(v["cbor_status_list_hex"].as_str().unwrap())?;
            let cbor = EncodedStatusList::from_cbor(&bytes).map_err(e2s)?;
            let from_json =
                EncodedStatusList::from_json(&v["json_status_list"], DecodeLimits::DEFAULT)
                    .map_err(e2s)?;
            check(cbor == from_json, "CBOR and JSON forms differ")?;
            check(
                cbor.to_cbor().map_err(e2s)? == bytes,
                "CBOR re-encoding differs",
            )
        });
        for source in v["source"].as_array().unwrap() {
            let path = format!("token-status-list/spec/{}", source.as_str().unwrap());
            r.case(path.clone(), || {
                let text = read(&path);
                if path.ends_with("_json.md") {
                    let value = json(&no_whitespace(&text))?;
                    check(
                        value == v["json_status_list"],
                        "differs from test-vectors.json",
                    )?;
                    check_list(&value, size, &listed).map(|_| ())
                } else {
                    let bytes = hex(&text)?;
                    let cbor = EncodedStatusList::from_cbor(&bytes).map_err(e2s)?;
                    let list = cbor.decode(DecodeLimits::DEFAULT).map_err(e2s)?;
                    check(list.len() == size, "len")?;
                    for (i, s) in &listed {
                        check(list.get(*i).map_err(e2s)? == *s, format!("index {i}"))?;
                    }
                    Ok(())
                }
            });
        }
    }
    for (n, v) in vectors["small_examples"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        let base = format!("token-status-list/test-vectors.json#small_examples[{n}]");
        let byte_array: Vec<u8> = v["byte_array"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| u8::try_from(b.as_u64().unwrap()).unwrap())
            .collect();
        r.case(format!("{base}/json"), || {
            let encoded =
                EncodedStatusList::from_json(&v["json_status_list"], DecodeLimits::DEFAULT)
                    .map_err(e2s)?;
            let list = encoded.decode(DecodeLimits::DEFAULT).map_err(e2s)?;
            check(list.as_bytes() == byte_array, "byte array differs")?;
            // Our compressor at the recommended level reproduces the spec's bytes.
            let ours = StatusList::from_bytes(encoded.bits, byte_array.clone())
                .encode(Compression::BEST, None)
                .map_err(e2s)?;
            check(
                ours.to_json() == v["json_status_list"],
                format!("encoding {}", ours.to_json()),
            )
        });
        r.case(format!("{base}/cbor"), || {
            let bytes = hex(v["cbor_hex"].as_str().unwrap())?;
            let cbor = EncodedStatusList::from_cbor(&bytes).map_err(e2s)?;
            check(
                cbor.decode(DecodeLimits::DEFAULT).map_err(e2s)?.as_bytes() == byte_array,
                "byte array differs",
            )?;
            check(
                cbor.to_cbor().map_err(e2s)? == bytes,
                "CBOR re-encoding differs",
            )
        });
        for source in v["source"].as_array().unwrap() {
            let path = format!("token-status-list/spec/{}", source.as_str().unwrap());
            r.case(path.clone(), || {
                let text = read(&path);
                check(byte_array_line(&text)? == byte_array, "byte_array line")?;
                let body = text.split_once("encoded:").ok_or("no 'encoded:'")?.1;
                if path.ends_with("_json.md") {
                    check(json(body)? == v["json_status_list"], "JSON differs")
                } else {
                    check(
                        hex(body)? == hex(v["cbor_hex"].as_str().unwrap())?,
                        "CBOR differs",
                    )
                }
            });
        }
    }
    spec_examples(r);
    spec_blocks(r);
}

const URI: &str = "https://example.com/statuslists/1";

fn spec_examples(r: &mut Runner) {
    // The JWT example (header . payload): signed here with a fresh key and verified, so the
    // spec's exact claims go through the real verification path.
    r.case("token-status-list/spec/examples/status_list_jwt.md", || {
        let text = read("token-status-list/spec/examples/status_list_jwt.md");
        let (header, payload) = text.split_once("\n.\n").ok_or("no '.' line")?;
        let header = json(header)?;
        check(header["typ"] == "statuslist+jwt", "typ")?;
        let payload = json(payload)?;
        let signer = SoftwareSigner::generate(SignatureAlgorithm::Es256)
            .map_err(e2s)?
            .with_kid("12");
        let mut h = Map::new();
        h.insert("typ".into(), header["typ"].clone());
        h.insert("kid".into(), header["kid"].clone());
        let token = kakehashi_jose::sign_compact(h, payload.to_string().as_bytes(), &signer)
            .map_err(e2s)?;
        let now = UnixTime(1_700_000_000);
        let verified = verify_status_list_token(
            &token,
            &provider(),
            signer.public_jwk(),
            URI,
            &VerifyOptions::at(now),
        )
        .map_err(e2s)?;
        check(verified.list().as_bytes() == [0xb9, 0xa3], "list")?;
        check(verified.ttl() == Some(43_200), "ttl")?;
        check(
            verified.expires_at() == Some(UnixTime(2_291_720_170)),
            "exp",
        )?;
        // Referenced Token idx 0 of the section 6.2 example: status[0] = 1, INVALID.
        let reference = StatusListReference {
            idx: 0,
            uri: URI.into(),
        };
        check(
            verified.status(&reference, now) == Ok(StatusType::Invalid),
            "idx 0",
        )?;
        let reference = StatusListReference {
            idx: 2,
            uri: URI.into(),
        };
        check(
            verified.status(&reference, now) == Ok(StatusType::Valid),
            "idx 2",
        )
    });
    let raw = no_whitespace(&read(
        "token-status-list/spec/examples/status_list_jwt_raw.md",
    ));
    r.case(
        "token-status-list/spec/examples/status_list_jwt_raw.md#structure",
        || {
            let jws = kakehashi_jose::UnverifiedJws::parse_compact(&raw).map_err(e2s)?;
            jws.header().require_typ("statuslist+jwt").map_err(e2s)?;
            check(jws.header().kid() == Some("12"), "kid")?;
            let claims = jws
                .unverified_claims(kakehashi_core::JsonLimits::DEFAULT)
                .map_err(e2s)?;
            check(claims["sub"] == URI, "sub")?;
            let list = EncodedStatusList::from_json(&claims["status_list"], DecodeLimits::DEFAULT)
                .map_err(e2s)?
                .decode(DecodeLimits::DEFAULT)
                .map_err(e2s)?;
            check(list.as_bytes() == [0xb9, 0xa3], "list")?;
            // Without the issuer's key the token must not verify under any other key.
            let other = SoftwareSigner::generate(SignatureAlgorithm::Es256).map_err(e2s)?;
            let result = verify_status_list_token(
                &raw,
                &provider(),
                other.public_jwk(),
                URI,
                &VerifyOptions::at(UnixTime(1_700_000_000)),
            );
            check(
                matches!(result, Err(StatusListError::Jose(_))),
                format!("{result:?}"),
            )
        },
    );
    r.case(
        "token-status-list/spec/examples/status_list_jwt_raw.md#signature",
        || Err("public key for kid 12 not published".into()),
    );

    r.case("token-status-list/spec/examples/status_list_cwt.md", || {
        let bytes = hex(&read("token-status-list/spec/examples/status_list_cwt.md"))?;
        let (protected, payload) = cose_sign1(&bytes)?;
        let protected = cbor_map(&protected)?;
        check(
            lookup(&protected, 16) == Some(&Cbor::Text("application/statuslist+cwt".into())),
            "type header",
        )?;
        let claims = cbor_map(&payload)?;
        check(
            lookup(&claims, 2) == Some(&Cbor::Text(URI.into())),
            "sub (2)",
        )?;
        check(
            lookup(&claims, 6).is_some() && lookup(&claims, 4).is_some(),
            "iat/exp",
        )?;
        check(
            lookup(&claims, 65534) == Some(&Cbor::Integer(43_200.into())),
            "ttl (65534)",
        )?;
        let status_list = lookup(&claims, 65533).ok_or("no status_list (65533)")?;
        let mut encoded = Vec::new();
        ciborium::ser::into_writer(status_list, &mut encoded).map_err(e2s)?;
        let list = EncodedStatusList::from_cbor(&encoded)
            .map_err(e2s)?
            .decode(DecodeLimits::DEFAULT)
            .map_err(e2s)?;
        check(list.as_bytes() == [0xb9, 0xa3], "list")
    });
    r.case(
        "token-status-list/spec/examples/status_list_cwt.md#signature",
        || Err("COSE verification not available".into()),
    );
    r.case(
        "token-status-list/spec/examples/status_list_cwt_diag.md",
        || {
            // The annotated form carries the same bytes as status_list_cwt.md.
            let diag = diag_hex(&read(
                "token-status-list/spec/examples/status_list_cwt_diag.md",
            ))?;
            check(
                diag == hex(&read("token-status-list/spec/examples/status_list_cwt.md"))?,
                "annotated bytes differ",
            )
        },
    );
    r.case(
        "token-status-list/spec/examples/referenced_token_cwt.md",
        || {
            let bytes = hex(&read(
                "token-status-list/spec/examples/referenced_token_cwt.md",
            ))?;
            let (_, payload) = cose_sign1(&bytes)?;
            let claims = cbor_map(&payload)?;
            let status = lookup(&claims, 65535).ok_or("no status (65535)")?;
            let mut encoded = Vec::new();
            ciborium::ser::into_writer(status, &mut encoded).map_err(e2s)?;
            let reference = StatusListReference::from_cbor_status(&encoded).map_err(e2s)?;
            check(
                reference
                    == StatusListReference {
                        idx: 0,
                        uri: URI.into(),
                    },
                "reference",
            )
        },
    );
    r.case(
        "token-status-list/spec/examples/referenced_token_cwt.md#signature",
        || Err("COSE verification not available".into()),
    );
    r.case(
        "token-status-list/spec/examples/referenced_token_cwt_diag.md",
        || {
            let diag = diag_hex(&read(
                "token-status-list/spec/examples/referenced_token_cwt_diag.md",
            ))?;
            check(
                diag == hex(&read(
                    "token-status-list/spec/examples/referenced_token_cwt.md",
                ))?,
                "annotated bytes differ",
            )
        },
    );
    for diag in [
        "status_list_encoding_cbor_diag.md",
        "status_list_encoding2_cbor_diag.md",
    ] {
        let path = format!("token-status-list/spec/examples/{diag}");
        r.case(path.clone(), || {
            let bytes = diag_hex(&read(&path))?;
            let list = EncodedStatusList::from_cbor(&bytes)
                .map_err(e2s)?
                .decode(DecodeLimits::DEFAULT)
                .map_err(e2s)?;
            check(!list.is_empty(), "empty list")
        });
    }
}

/// The hex column of a CBOR annotated listing (`a2   # map(2)`).
fn diag_hex(text: &str) -> Result<Vec<u8>, String> {
    let mut out = String::new();
    for line in text.lines() {
        let code = line.split('#').next().unwrap_or("");
        out.push_str(&no_whitespace(code));
    }
    hex(&out)
}

/// (protected header bytes, payload bytes) of a tagged COSE_Sign1.
fn cose_sign1(bytes: &[u8]) -> Result<(Vec<u8>, Vec<u8>), String> {
    let value: Cbor = ciborium::de::from_reader(bytes).map_err(e2s)?;
    let Cbor::Tag(18, inner) = value else {
        return Err("not COSE_Sign1_Tagged (18)".into());
    };
    let Cbor::Array(items) = *inner else {
        return Err("not an array".into());
    };
    match items.as_slice() {
        [
            Cbor::Bytes(protected),
            Cbor::Map(_),
            Cbor::Bytes(payload),
            Cbor::Bytes(sig),
        ] => {
            check(sig.len() == 64, "ES256 signature length")?;
            Ok((protected.clone(), payload.clone()))
        }
        _ => Err("not [protected, unprotected, payload, signature]".into()),
    }
}

fn cbor_map(bytes: &[u8]) -> Result<Vec<(Cbor, Cbor)>, String> {
    match ciborium::de::from_reader(bytes).map_err(e2s)? {
        Cbor::Map(m) => Ok(m),
        _ => Err("not a map".into()),
    }
}

fn lookup(map: &[(Cbor, Cbor)], key: u64) -> Option<&Cbor> {
    map.iter()
        .find(|(k, _)| matches!(k, Cbor::Integer(i) if u64::try_from(*i) == Ok(key)))
        .map(|(_, v)| v)
}

/// Fenced blocks of the spec: the ones that are data are checked; the rest are diagrams,
/// HTTP exchanges or ASN.1 and are listed here so a new data block cannot slip by unchecked.
const PROSE_BLOCKS: &[&str] = &[
    "001-introduction.txt",
    "002-introduction.txt",
    "007-status-list-in-cbor-format.txt",
    "011-status-list-request.txt",
    "012-historical-resolution.txt",
    "013-status-list-aggregation.txt",
    "015-x-509-certificate-extended-key-usage-ext.txt",
    "016-key-resolution-and-trust-management.txt",
    "017-key-resolution-and-trust-management.txt",
    "018-status-list-update-interval-and-caching.txt",
    "019-asn-1-module.txt",
];

fn status_lines(text: &str) -> Result<Vec<(u64, u8)>, String> {
    text.lines()
        .filter(|l| l.trim_start().starts_with("status["))
        .map(|l| {
            // The spec's own listing has one "status[25460]= 0b01": spacing varies.
            let (idx, value) = l
                .trim()
                .trim_start_matches("status[")
                .split_once(']')
                .ok_or(format!("bad line {l}"))?;
            let value = value
                .trim()
                .trim_start_matches('=')
                .trim()
                .strip_prefix("0b")
                .ok_or(format!("bad line {l}"))?;
            Ok((
                idx.parse().map_err(e2s)?,
                u8::from_str_radix(value.trim(), 2).map_err(e2s)?,
            ))
        })
        .collect()
}

fn spec_blocks(r: &mut Runner) {
    let index = json(&read("token-status-list/spec-blocks/index.json")).unwrap();
    let vectors = json(&read("token-status-list/test-vectors.json")).unwrap();
    for block in index.as_array().unwrap() {
        let file = block["file"].as_str().unwrap().to_owned();
        let path = format!("token-status-list/spec-blocks/{file}");
        if PROSE_BLOCKS.contains(&file.as_str()) {
            continue;
        }
        let text = read(&path);
        r.case(path.clone(), || match file.as_str() {
            // statuses listing followed by the compressed hex in the next block
            "003-compressed-byte-array.txt" | "005-compressed-byte-array.txt" => {
                let bits = if file.starts_with("003") {
                    Bits::One
                } else {
                    Bits::Two
                };
                let next = if file.starts_with("003") {
                    "004"
                } else {
                    "006"
                };
                let statuses = status_lines(&text)?;
                let next_text = read(&format!(
                    "token-status-list/spec-blocks/{next}-compressed-byte-array.txt"
                ));
                let compressed = next_text
                    .lines()
                    .find_map(|l| l.strip_prefix("compressed array (hex): "))
                    .ok_or("no compressed array line")?;
                let list = StatusList::decompress(bits, &hex(compressed)?, 1024).map_err(e2s)?;
                for (i, s) in statuses {
                    check(list.get(i).map_err(e2s)? == s, format!("status[{i}]"))?;
                }
                Ok(())
            }
            "004-compressed-byte-array.txt" | "006-compressed-byte-array.txt" => {
                let hex_value: Vec<u8> = text
                    .lines()
                    .find(|l| l.starts_with("Hex Value"))
                    .ok_or("no Hex Value line")?
                    .split_whitespace()
                    .filter_map(|w| w.strip_prefix("0x"))
                    .map(|h| u8::from_str_radix(h, 16).map_err(e2s))
                    .collect::<Result<_, _>>()?;
                let compressed = text
                    .lines()
                    .find_map(|l| l.strip_prefix("compressed array (hex): "))
                    .ok_or("no compressed array line")?;
                let list =
                    StatusList::decompress(Bits::One, &hex(compressed)?, 1024).map_err(e2s)?;
                check(
                    list.as_bytes() == hex_value,
                    "bytes differ from the diagram",
                )
            }
            "008-referenced-token-in-jose.txt" => {
                let payload = text.split_once("\n.\n").ok_or("no '.' line")?.1;
                let claims = json(payload)?;
                let reference =
                    StatusListReference::from_claims(claims.as_object().ok_or("object")?)
                        .map_err(e2s)?;
                check(
                    reference
                        == StatusListReference {
                            idx: 0,
                            uri: URI.into(),
                        },
                    "reference",
                )
            }
            "009-referenced-token-in-jose.txt" => {
                let sd_jwt = no_whitespace(&text);
                let issuer_jwt = sd_jwt.split('~').next().ok_or("no JWT")?;
                let jws = kakehashi_jose::UnverifiedJws::parse_compact(issuer_jwt).map_err(e2s)?;
                let claims = jws
                    .unverified_claims(kakehashi_core::JsonLimits::DEFAULT)
                    .map_err(e2s)?;
                let reference = StatusListReference::from_claims(&claims).map_err(e2s)?;
                check(
                    reference
                        == StatusListReference {
                            idx: 0,
                            uri: URI.into(),
                        },
                    "reference",
                )
            }
            "010-referenced-token-in-jose.json" => {
                let claims = json(&text)?;
                let reference =
                    StatusListReference::from_claims(claims.as_object().ok_or("object")?)
                        .map_err(e2s)?;
                check(reference.idx == 0 && reference.uri == URI, "reference")
            }
            "014-status-list-aggregation-data-structure.json" => {
                let a = StatusListAggregation::from_json_bytes(
                    text.as_bytes(),
                    kakehashi_core::JsonLimits::DEFAULT,
                )
                .map_err(e2s)?;
                check(
                    a.status_lists.len() == 3 && a.status_lists[0] == URI,
                    "status_lists",
                )
            }
            "020-1-bit-status-list.txt"
            | "021-2-bit-status-list.txt"
            | "022-4-bit-status-list.txt" => {
                let n = if file.starts_with("020") {
                    0
                } else if file.starts_with("021") {
                    1
                } else {
                    2
                };
                let v = &vectors["vectors"][n];
                let statuses = status_lines(&text)?;
                let listed = v["listed_statuses"].as_object().ok_or("listed")?;
                check(statuses.len() == listed.len(), "count")?;
                let list = check_list(
                    &v["json_status_list"],
                    v["size"].as_u64().ok_or("size")?,
                    &statuses.iter().copied().collect(),
                )?;
                for (i, s) in statuses {
                    check(list.get(i).map_err(e2s)? == s, format!("status[{i}]"))?;
                }
                Ok(())
            }
            other => Err(format!("unhandled spec block {other}")),
        });
    }
}

const LIST_URL: &str = "https://example.com/credentials/status/3";

/// Non-strict JSON of the spec: drop `//` comment lines and `...` elisions, then trailing
/// commas they leave behind.
fn relaxed_json(text: &str) -> Result<Value, String> {
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("//") && l.trim() != "...")
        .collect();
    let mut joined = kept.join("\n");
    for closer in ["}", "]"] {
        loop {
            let re: Vec<(usize, usize)> = joined
                .match_indices(',')
                .filter(|(i, _)| joined[i + 1..].trim_start().starts_with(closer))
                .map(|(i, _)| (i, i + 1))
                .collect();
            if re.is_empty() {
                break;
            }
            for (start, end) in re.into_iter().rev() {
                joined.replace_range(start..end, "");
            }
        }
    }
    json(&joined)
}

fn bitstring(r: &mut Runner) {
    let dir = "bitstring-status-list/spec-examples";
    let now = UnixTime(1_780_000_000);
    let options = BitstringOptions::default();
    let entries_of = |value: &Value| {
        BitstringStatusListEntry::from_credential(value.as_object().ok_or("object")?).map_err(e2s)
    };
    r.case(
        format!("{dir}/001-example-statuslistcredential-using-simple-entries.json"),
        || {
            let vc = json(&read(&format!(
                "{dir}/001-example-statuslistcredential-using-simple-entries.json"
            )))?;
            let entries = entries_of(&vc)?;
            check(entries.len() == 2, "two entries")?;
            check(
                entries[0].status_purpose == StatusPurpose::Revocation,
                "purpose 0",
            )?;
            check(entries[0].status_list_index == 94_567, "index 0")?;
            check(
                entries[1].status_purpose == StatusPurpose::Suspension,
                "purpose 1",
            )?;
            check(entries[1].status_list_index == 23_452, "index 1")?;
            check(
                entries[1].status_list_credential == "https://example.com/credentials/status/4",
                "list 1",
            )
        },
    );
    r.case(
        format!("{dir}/002-example-statuslistcredential-using-more-complex-en.txt#entry"),
        || {
            let vc = relaxed_json(&read(&format!(
                "{dir}/002-example-statuslistcredential-using-more-complex-en.txt"
            )))?;
            entries_of(&vc).map(|_| ())
        },
    );
    r.case(
        format!("{dir}/002-example-statuslistcredential-using-more-complex-en.txt#completed"),
        || {
            // The same entry with the fourth message the ellipsis stands for.
            let mut vc = relaxed_json(&read(&format!(
                "{dir}/002-example-statuslistcredential-using-more-complex-en.txt"
            )))?;
            vc["credentialStatus"]["statusMessage"]
                .as_array_mut()
                .ok_or("statusMessage")?
                .push(serde_json::json!({"status": "0x3", "message": "undefined"}));
            let entries = entries_of(&vc)?;
            let e = &entries[0];
            check(
                e.status_purpose == StatusPurpose::Message && e.status_size == 2,
                "purpose/size",
            )?;
            check(e.status_messages[1].message == "accepted", "messages")?;
            check(
                e.status_reference == ["https://example.org/status-dictionary/"],
                "statusReference",
            )
        },
    );
    for file in [
        "003-example-bitstringstatuslistcredential.json",
        "005-a-status-list-verifiable-credential.json",
    ] {
        r.case(format!("{dir}/{file}"), || {
            let vc = json(&read(&format!("{dir}/{file}")))?;
            let credential = BitstringStatusListCredential::from_json(&vc).map_err(e2s)?;
            check(credential.id.as_deref() == Some(LIST_URL), "id")?;
            let list = Bitstring::decode(&credential.encoded_list, 1, DecodeLimits::DEFAULT)
                .map_err(e2s)?;
            check(list.len() == MIN_ENTRIES, format!("{} entries", list.len()))?;
            check(list.as_bytes().iter().all(|b| *b == 0), "all zero")?;
            // The revocable credential of example 004 points at this list: valid.
            let holder = json(&read(&format!(
                "{dir}/004-a-revocable-verifiable-credential.json"
            )))?;
            let entry = &entries_of(&holder)?[0];
            let decoded = DecodedBitstringStatusList::new(credential, now, options).map_err(e2s)?;
            let status = decoded.status(entry, now).map_err(e2s)?;
            check(status.valid && status.status == 0, "valid")?;
            check(status.purpose == StatusPurpose::Revocation, "purpose")
        });
    }
    r.case(
        format!("{dir}/004-a-revocable-verifiable-credential.json"),
        || {
            let vc = json(&read(&format!(
                "{dir}/004-a-revocable-verifiable-credential.json"
            )))?;
            let entries = entries_of(&vc)?;
            check(
                entries.len() == 1 && entries[0].status_list_credential == LIST_URL,
                "entry",
            )?;
            check(
                entries[0].id.as_deref() == Some("https://example.com/credentials/status/3#94567"),
                "id",
            )
        },
    );
    for (file, lists) in [
        (
            "006-associating-multiple-status-lists-with-a-single-ve.json.txt",
            ["status/3", "status/4"],
        ),
        (
            "007-associating-multiple-status-entries-in-a-single-st.json.txt",
            ["status/5", "status/5"],
        ),
    ] {
        r.case(format!("{dir}/{file}"), || {
            let vc = relaxed_json(&read(&format!("{dir}/{file}")))?;
            let entries = entries_of(&vc)?;
            check(entries.len() == 2, "two entries")?;
            for (e, l) in entries.iter().zip(lists) {
                check(e.status_list_credential.ends_with(l), format!("list {l}"))?;
            }
            check(entries[1].status_list_index == 12_345, "index")
        });
    }
    r.case(format!("{dir}/index.json"), || {
        let index = json(&read(&format!("{dir}/index.json")))?;
        check(
            index.as_array().map(Vec::len) == Some(7),
            "7 examples indexed",
        )
    });
    r.case("bitstring-status-list/test-suite/validVc.json", || {
        // The suite asks issuers to add status to this VC: add an entry, read it back.
        let mut vc = json(&read("bitstring-status-list/test-suite/validVc.json"))?;
        check(
            matches!(entries_of(&vc), Err(e) if e.contains("NoStatusEntry")),
            "no status before",
        )?;
        let entry = BitstringStatusListEntry::new(StatusPurpose::Revocation, 4_242, LIST_URL);
        vc["credentialStatus"] = entry.to_json();
        check(entries_of(&vc)? == vec![entry], "entry read back")
    });
    r.case("bitstring-status-list/context/v1.jsonld", || {
        // Every term this crate writes is defined by the context.
        let context = read("bitstring-status-list/context/v1.jsonld");
        for term in [
            "BitstringStatusListCredential",
            "BitstringStatusList",
            "BitstringStatusListEntry",
            "encodedList",
            "statusPurpose",
            "ttl",
            "statusListIndex",
            "statusListCredential",
            "statusSize",
            "statusMessage",
            "statusReference",
        ] {
            check(
                context.contains(&format!("\"{term}\"")),
                format!("term {term}"),
            )?;
        }
        Ok(())
    });

    let ob = "bitstring-status-list/ob30-validator";
    let testlist = || -> Result<BitstringStatusListCredential, String> {
        BitstringStatusListCredential::from_json(&json(&read(&format!("{ob}/testlist")))?)
            .map_err(e2s)
    };
    r.case(format!("{ob}/testlist"), || {
        let list =
            Bitstring::decode(&testlist()?.encoded_list, 1, DecodeLimits::DEFAULT).map_err(e2s)?;
        check(list.len() == MIN_ENTRIES, "entries")?;
        for i in 0..list.len() {
            check(
                list.get(i).map_err(e2s)? == u32::from(i == 23),
                format!("bit {i}"),
            )?;
        }
        Ok(())
    });
    for file in [
        "credential-status-revoked.json",
        "credential-status-revoked-blank-nodes.json",
    ] {
        r.case(format!("{ob}/{file}#entry"), || {
            entries_of(&json(&read(&format!("{ob}/{file}")))?).map(|_| ())
        });
        r.case(format!("{ob}/{file}#entry-string-index"), || {
            let mut vc = json(&read(&format!("{ob}/{file}")))?;
            vc["credentialStatus"]["statusListIndex"] = "23".into();
            let entry = &entries_of(&vc)?[0];
            let decoded =
                DecodedBitstringStatusList::new(testlist()?, now, options).map_err(e2s)?;
            let status = decoded.status(entry, now).map_err(e2s)?;
            check(!status.valid && status.status == 1, "revoked")
        });
    }
}

#[test]
fn all_vectors() {
    let mut runner = Runner {
        outcomes: Vec::new(),
    };
    token_status_list(&mut runner);
    bitstring(&mut runner);

    let exceptions: toml::Table = toml::from_str(
        &std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("exceptions.toml"))
            .unwrap(),
    )
    .unwrap();
    let reasons: BTreeMap<&str, &str> = exceptions["exception"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["case"].as_str().unwrap(), e["reason"].as_str().unwrap()))
        .collect();
    let (mut passed, mut skipped, mut problems) = (0, 0, Vec::new());
    for (name, outcome) in &runner.outcomes {
        match (outcome, reasons.get(name.as_str())) {
            (Ok(()), None) => {
                passed += 1;
                println!("pass {name}");
            }
            (Ok(()), Some(_)) => {
                problems.push(format!("{name}: passes but is listed in exceptions.toml"))
            }
            (Err(why), Some(reason)) => {
                skipped += 1;
                println!("skip {name}: {reason} ({why})");
            }
            (Err(why), None) => problems.push(format!("{name}: {why}")),
        }
    }
    for name in reasons.keys() {
        if !runner.outcomes.iter().any(|(n, _)| n == name) {
            problems.push(format!(
                "{name}: listed in exceptions.toml but no such case"
            ));
        }
    }
    println!(
        "vectors: {passed} passed, {} failed, {skipped} skipped",
        problems.len()
    );
    assert!(problems.is_empty(), "{problems:#?}");
}
