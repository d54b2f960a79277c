//! ETSI TS 119 602 Lists of Trusted Entities (LoTE): JSON, signed as JAdES compact (a JWS
//! compact serialization with the signer in `x5c`). Consumed into the same [`TrustedList`]
//! model as TS 119 612 lists, so anchoring, freshness and [`crate::evaluate`] work unchanged;
//! published from the same [`ListDescription`] as XML lists.
//!
//! Accepted algorithms: ES256, ES384 (P-256/P-384), PS256/PS384/PS512, RS256/RS384/RS512.
//! The payload is the LoTE object, optionally wrapped as `{"LoTE": {...}}`.

use std::sync::Arc;

use kakehashi_core::json::{JsonLimits, parse_limited};
use kakehashi_core::{UnixTime, b64};
use serde_json::{Map, Value, json};

use crate::publish::{ListDescription, ListSignatureAlgorithm, ListSigner, Names};
use crate::signature::{SignatureInfo, SignerCertificate};
use crate::tsl::{
    DigitalIdentity, LangString, LangStrings, SchemeInformation, ServiceInformation, TrustService,
    TrustServiceProvider, TrustedList,
};
use sha2::Digest as _;

use crate::verify::{VerifiedTrustedList, VerifyOptions, anchor_and_check};
use crate::{ListAnchors, TrustError};

/// JSON nesting accepted in a LoTE: 32 levels (the schema needs 9).
const MAX_DEPTH: usize = 32;

/// Verifies either form by content: a JWS compact (`eyJ…`) as a LoTE, anything else as a
/// TS 119 612 XML list.
pub fn verify_any(
    bytes: &[u8],
    anchors: ListAnchors<'_>,
    now: UnixTime,
    options: &VerifyOptions,
) -> Result<VerifiedTrustedList, TrustError> {
    if bytes.trim_ascii_start().starts_with(b"eyJ") {
        verify_lote(bytes, anchors, now, options)
    } else {
        crate::verify_list_with(bytes, anchors, now, options)
    }
}

/// Verifies a JAdES-compact-signed LoTE: signature with the `x5c[0]` key, signer validity at
/// `ListIssueDateTime`, anchoring and freshness as for XML lists.
pub fn verify_lote(
    jws: &[u8],
    anchors: ListAnchors<'_>,
    now: UnixTime,
    options: &VerifyOptions,
) -> Result<VerifiedTrustedList, TrustError> {
    if jws.len() > options.limits.max_xml_bytes {
        return Err(TrustError::TooLarge {
            size: jws.len(),
            limit: options.limits.max_xml_bytes,
        });
    }
    let text = std::str::from_utf8(jws)
        .map_err(|_| TrustError::NotATrustedList("LoTE JWS is not UTF-8".into()))?
        .trim();
    let mut parts = text.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TrustError::NotATrustedList(
            "not a JWS compact serialization".into(),
        ));
    };
    if s.is_empty() {
        return Err(TrustError::Unsigned);
    }
    let limits = JsonLimits {
        max_bytes: options.limits.max_xml_bytes,
        max_depth: MAX_DEPTH,
    };
    let decode = |part: &str, what: &'static str| {
        b64::decode(part).map_err(|e| TrustError::InvalidValue {
            element: what,
            reason: e.to_string(),
        })
    };
    let header = parse_limited(&decode(h, "JWS header")?, limits)
        .map_err(|e| TrustError::NotATrustedList(format!("JWS header: {e}")))?;
    let alg = header["alg"]
        .as_str()
        .ok_or(TrustError::MissingElement("JWS header alg"))?;
    let x5c = header["x5c"]
        .as_array()
        .and_then(|a| a.first())
        .and_then(Value::as_str)
        .ok_or_else(|| TrustError::SignerCertificate("no x5c in the JWS header".into()))?;
    let cert_der =
        crate::tsl::parse::base64_value(x5c, "x5c", options.limits.max_certificate_bytes)?;
    let signature = decode(s, "JWS signature")?;
    let signing_input = format!("{h}.{p}");
    verify_jws_signature(alg, &cert_der, signing_input.as_bytes(), &signature)?;
    let signer = SignerCertificate::from_der(cert_der)?;
    let payload = parse_limited(&decode(p, "JWS payload")?, limits)
        .map_err(|e| TrustError::NotATrustedList(format!("LoTE payload: {e}")))?;
    let list = lote_to_list(&payload, &options.limits)?;
    let info = SignatureInfo {
        algorithm: alg.to_owned(),
        signer,
        references: Vec::new(),
    };
    let content_sha256 = sha2::Sha256::digest(text.as_bytes()).into();
    anchor_and_check(list, info, content_sha256, anchors, now, options)
}

fn verify_jws_signature(
    alg: &str,
    cert: &[u8],
    input: &[u8],
    sig: &[u8],
) -> Result<(), TrustError> {
    use aws_lc_rs::signature as s;
    let params: &'static dyn s::VerificationAlgorithm = match alg {
        "ES256" => &s::ECDSA_P256_SHA256_FIXED,
        "ES384" => &s::ECDSA_P384_SHA384_FIXED,
        "PS256" => &s::RSA_PSS_2048_8192_SHA256,
        "PS384" => &s::RSA_PSS_2048_8192_SHA384,
        "PS512" => &s::RSA_PSS_2048_8192_SHA512,
        "RS256" => &s::RSA_PKCS1_2048_8192_SHA256,
        "RS384" => &s::RSA_PKCS1_2048_8192_SHA384,
        "RS512" => &s::RSA_PKCS1_2048_8192_SHA512,
        other => {
            return Err(TrustError::UnsupportedAlgorithm(
                other.chars().take(16).collect(),
            ));
        }
    };
    use x509_cert::der::Decode as _;
    let cert =
        x509_cert::certificate::CertificateInner::<x509_cert::certificate::Raw>::from_der(cert)
            .map_err(|e| TrustError::SignerCertificate(format!("x5c[0]: {e}")))?;
    let key = cert
        .tbs_certificate()
        .subject_public_key_info()
        .subject_public_key
        .raw_bytes();
    s::UnparsedPublicKey::new(params, key)
        .verify(input, sig)
        .map_err(|_| TrustError::SignatureInvalid("JWS signature does not verify".into()))
}

fn str_field<'a>(o: &'a Value, key: &'static str) -> Result<&'a str, TrustError> {
    o.get(key)
        .and_then(Value::as_str)
        .ok_or(TrustError::MissingElement(key))
}

fn time_field(o: &Value, key: &'static str) -> Result<UnixTime, TrustError> {
    UnixTime::parse_rfc3339(str_field(o, key)?).map_err(|e| TrustError::InvalidValue {
        element: key,
        reason: e.to_string(),
    })
}

fn lang_strings(v: Option<&Value>) -> LangStrings {
    LangStrings(
        v.and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|e| {
                        let text = e.get("value").or_else(|| e.get("uriValue"))?.as_str()?;
                        Some(LangString {
                            lang: e
                                .get("lang")
                                .and_then(Value::as_str)
                                .unwrap_or("")
                                .to_owned(),
                            text: text.to_owned(),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default(),
    )
}

fn identities(
    v: Option<&Value>,
    limits: &crate::Limits,
) -> Result<Vec<DigitalIdentity>, TrustError> {
    let mut out = Vec::new();
    let Some(v) = v else { return Ok(out) };
    for c in v["X509Certificates"].as_array().into_iter().flatten() {
        let val = c["val"]
            .as_str()
            .ok_or(TrustError::MissingElement("X509Certificates/val"))?;
        out.push(DigitalIdentity::Certificate(
            crate::tsl::parse::base64_value(val, "X509Certificates", limits.max_certificate_bytes)?,
        ));
    }
    for n in v["X509SubjectNames"].as_array().into_iter().flatten() {
        if let Some(n) = n.as_str() {
            out.push(DigitalIdentity::SubjectName(n.to_owned()));
        }
    }
    for k in v["X509SKIs"].as_array().into_iter().flatten() {
        if let Some(k) = k.as_str() {
            out.push(DigitalIdentity::SubjectKeyIdentifier(
                crate::tsl::parse::base64_value(k, "X509SKIs", limits.max_certificate_bytes)?,
            ));
        }
    }
    Ok(out)
}

fn service_information(
    s: &Value,
    issue_date: UnixTime,
    limits: &crate::Limits,
) -> Result<ServiceInformation, TrustError> {
    Ok(ServiceInformation {
        service_type: str_field(s, "ServiceTypeIdentifier")?.to_owned(),
        name: lang_strings(s.get("ServiceName")),
        identities: identities(s.get("ServiceDigitalIdentity"), limits)?,
        // TS 119 602 makes the status optional (listing implies it); an absent status stays
        // empty, which no policy rule accepts.
        status: s
            .get("ServiceStatus")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned(),
        status_starting_time: match s.get("StatusStartingTime") {
            Some(_) => time_field(s, "StatusStartingTime")?,
            None => issue_date,
        },
        qualifications: Vec::new(),
        additional_information: Vec::new(),
        unknown_critical_extensions: Vec::new(),
    })
}

/// Maps a LoTE JSON object onto the TS 119 612 model.
pub fn lote_to_list(payload: &Value, limits: &crate::Limits) -> Result<TrustedList, TrustError> {
    let lote = payload.get("LoTE").unwrap_or(payload);
    let info = lote
        .get("ListAndSchemeInformation")
        .ok_or(TrustError::MissingElement("ListAndSchemeInformation"))?;
    let number = |key: &'static str| {
        info.get(key)
            .and_then(Value::as_u64)
            .ok_or(TrustError::MissingElement(key))
    };
    let issue_date = time_field(info, "ListIssueDateTime")?;
    let next_update = match info.get("NextUpdate") {
        Some(Value::Null) | None => None,
        Some(_) => Some(time_field(info, "NextUpdate")?),
    };
    let mut providers = Vec::new();
    let mut budget = limits.max_services;
    for e in lote
        .get("TrustedEntitiesList")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if providers.len() >= limits.max_providers {
            return Err(TrustError::BudgetExceeded {
                what: "trusted entities",
                limit: limits.max_providers,
            });
        }
        let tei = e
            .get("TrustedEntityInformation")
            .ok_or(TrustError::MissingElement("TrustedEntityInformation"))?;
        let mut services = Vec::new();
        for s in e
            .get("TrustedEntityServices")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let spend = |budget: &mut usize| {
                *budget = budget.checked_sub(1).ok_or(TrustError::BudgetExceeded {
                    what: "services and history instances",
                    limit: limits.max_services,
                })?;
                Ok::<(), TrustError>(())
            };
            spend(&mut budget)?;
            let current = service_information(
                s.get("ServiceInformation")
                    .ok_or(TrustError::MissingElement("ServiceInformation"))?,
                issue_date,
                limits,
            )?;
            let mut history = Vec::new();
            for h in s
                .get("ServiceHistory")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                spend(&mut budget)?;
                history.push(service_information(h, issue_date, limits)?);
            }
            services.push(TrustService { current, history });
        }
        providers.push(TrustServiceProvider {
            name: lang_strings(tei.get("TEName")),
            trade_names: lang_strings(tei.get("TETradeName")),
            information_uris: lang_strings(tei.get("TEInformationURI")),
            services,
        });
    }
    Ok(TrustedList {
        id: None,
        scheme: SchemeInformation {
            version: u32::try_from(number("LoTEVersionIdentifier")?).map_err(|_| {
                TrustError::InvalidValue {
                    element: "LoTEVersionIdentifier",
                    reason: "too large".into(),
                }
            })?,
            sequence_number: number("LoTESequenceNumber")?,
            tsl_type: str_field(info, "LoTEType")?.to_owned(),
            operator_name: lang_strings(info.get("SchemeOperatorName")),
            scheme_name: lang_strings(info.get("SchemeName")),
            information_uris: lang_strings(info.get("SchemeInformationURI")),
            status_determination_approach: info
                .get("StatusDeterminationApproach")
                .and_then(Value::as_str)
                .map(str::to_owned),
            community_rules: lang_strings(info.get("SchemeTypeCommunityRules")),
            territory: info
                .get("SchemeTerritory")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
            historical_information_period: info
                .get("HistoricalInformationPeriod")
                .and_then(Value::as_u64),
            pointers: Vec::new(),
            issue_date,
            next_update,
            distribution_points: info
                .get("DistributionPoints")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
        },
        providers,
    })
}

fn multilang(names: &Names) -> Value {
    Value::Array(
        names
            .iter()
            .map(|(lang, value)| json!({"lang": lang, "value": value}))
            .collect(),
    )
}

/// Builds a LoTE from a description (`lote_type` replaces the TS 119 612 `TSLType`) and signs
/// it as JAdES compact: protected header `alg`, `typ`, `x5c`, `x5t#S256`, `sigT`.
pub fn publish_lote(
    d: &ListDescription,
    lote_type: &str,
    resolve: &mut dyn FnMut(&str) -> Result<Vec<u8>, String>,
    signer: Arc<dyn ListSigner>,
    signing_time: UnixTime,
) -> Result<String, TrustError> {
    use base64::Engine as _;
    let std_b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let time = |v: &str| {
        UnixTime::parse_rfc3339(v)
            .map(UnixTime::to_rfc3339)
            .map_err(|e| TrustError::Publish(e.to_string()))
    };
    // Authorised universities become entities like in the XML JPlist.
    let mut providers = d.provider.clone();
    for u in &d.university {
        crate::jp::CorporateNumber::parse(&u.corporate_number)?;
        crate::jp::SchoolCode::parse(&u.school_code)?;
        providers.push(crate::publish::ProviderDescription {
            name: u.name.clone(),
            trade_names: vec![
                format!("NTRJP-{}", u.corporate_number),
                format!("{}{}", crate::jp::SCHOOL_CODE_PREFIX, u.school_code),
            ],
            information_uri: u.information_uri.clone(),
            service: vec![crate::publish::ServiceDescription {
                service_type: crate::jp::SVC_ACADEMIC_ISSUER.into(),
                name: u.name.clone(),
                certificates: u.certificates.clone(),
                status: u
                    .status
                    .clone()
                    .unwrap_or_else(|| crate::jp::STATUS_GRANTED.into()),
                status_starting_time: u.status_starting_time.clone(),
                additional_information: Vec::new(),
                qualification: Vec::new(),
                history: Vec::new(),
            }],
        });
    }
    let mut entities = Vec::new();
    for p in &providers {
        let mut services = Vec::new();
        for s in &p.service {
            let mut certs = Vec::new();
            for c in &s.certificates {
                let der =
                    resolve(c).map_err(|e| TrustError::Publish(format!("certificate {c}: {e}")))?;
                certs.push(json!({"val": std_b64(&der)}));
            }
            services.push(json!({"ServiceInformation": {
                "ServiceTypeIdentifier": s.service_type,
                "ServiceName": multilang(&s.name),
                "ServiceDigitalIdentity": {"X509Certificates": certs},
                "ServiceStatus": s.status,
                "StatusStartingTime": time(&s.status_starting_time)?,
            }}));
        }
        let mut tei = Map::new();
        tei.insert("TEName".into(), multilang(&p.name));
        if !p.trade_names.is_empty() {
            tei.insert(
                "TETradeName".into(),
                Value::Array(
                    p.trade_names
                        .iter()
                        .map(|t| json!({"lang": "en", "value": t}))
                        .collect(),
                ),
            );
        }
        tei.insert(
            "TEInformationURI".into(),
            json!([{"lang": "en", "uriValue": p.information_uri}]),
        );
        entities.push(json!({"TrustedEntityInformation": tei, "TrustedEntityServices": services}));
    }
    let payload = json!({"LoTE": {
        "ListAndSchemeInformation": {
            "LoTEVersionIdentifier": 1,
            "LoTESequenceNumber": d.sequence_number,
            "LoTEType": lote_type,
            "SchemeOperatorName": multilang(&d.operator_name),
            "SchemeName": multilang(&d.scheme_name),
            "SchemeTerritory": d.territory,
            "ListIssueDateTime": time(&d.issue_date)?,
            "NextUpdate": time(&d.next_update)?,
        },
        "TrustedEntitiesList": entities,
    }});
    let cert = signer.certificate_der().to_vec();
    let alg = match signer.algorithm() {
        ListSignatureAlgorithm::EcdsaP256Sha256 => "ES256",
        ListSignatureAlgorithm::EcdsaP384Sha384 => "ES384",
    };
    let thumb = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &cert);
    let header = json!({
        "alg": alg,
        "typ": "JOSE",
        "x5c": [std_b64(&cert)],
        "x5t#S256": b64::encode(thumb.as_ref()),
        "sigT": signing_time.to_rfc3339(),
    });
    let input = format!(
        "{}.{}",
        b64::encode(header.to_string()),
        b64::encode(payload.to_string())
    );
    let sig = signer.sign(input.as_bytes()).map_err(TrustError::Publish)?;
    Ok(format!("{input}.{}", b64::encode(sig)))
}
