//! roxmltree walk from a `TrustServiceStatusList` document to [`TrustedList`].
//!
//! Namespaces are checked on every element read, so an element of a foreign namespace with a
//! familiar local name is ignored rather than misread. DTDs are rejected (no entity expansion)
//! and the node count is capped by [`Limits::max_nodes`].

use base64::Engine as _;
use kakehashi_core::UnixTime;
use roxmltree::{Document, Node, ParsingOptions};

use super::model::*;
use super::{NS_ADDITIONAL_TYPES, NS_ECC, NS_MRA, NS_TSL, NS_XADES};
use crate::{Limits, TrustError};

const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// Parses the bytes of a TS 119 612 list. Structure only: the signature is checked by
/// [`crate::verify_list`], which calls this.
pub fn parse_list(bytes: &[u8], limits: &Limits) -> Result<TrustedList, TrustError> {
    let text = xml_text(bytes, limits)?;
    let doc = parse_document(text, limits)?;
    list_from_document(&doc, limits)
}

/// Size check, UTF-8 check and byte-order-mark removal shared by the parser and the verifier.
pub(crate) fn xml_text<'a>(bytes: &'a [u8], limits: &Limits) -> Result<&'a str, TrustError> {
    if bytes.len() > limits.max_xml_bytes {
        return Err(TrustError::TooLarge {
            size: bytes.len(),
            limit: limits.max_xml_bytes,
        });
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| TrustError::XmlMalformed(format!("not UTF-8: {e}")))
}

/// roxmltree with DTDs refused and the node cap applied.
pub(crate) fn parse_document<'a>(
    text: &'a str,
    limits: &Limits,
) -> Result<Document<'a>, TrustError> {
    let options = ParsingOptions {
        allow_dtd: false,
        nodes_limit: limits.max_nodes,
        ..ParsingOptions::default()
    };
    Document::parse_with_options(text, options).map_err(|e| TrustError::XmlMalformed(e.to_string()))
}

pub(crate) fn list_from_document(
    doc: &Document<'_>,
    limits: &Limits,
) -> Result<TrustedList, TrustError> {
    let root = doc.root_element();
    if !is(root, NS_TSL, "TrustServiceStatusList") {
        return Err(TrustError::NotATrustedList(format!(
            "root element is {{{}}}{}",
            root.tag_name().namespace().unwrap_or(""),
            root.tag_name().name()
        )));
    }
    let scheme_node = child(root, NS_TSL, "SchemeInformation")
        .ok_or(TrustError::MissingElement("SchemeInformation"))?;
    let scheme = scheme_information(scheme_node, limits)?;
    let mut providers = Vec::new();
    let mut service_budget = limits.max_services;
    if let Some(list) = child(root, NS_TSL, "TrustServiceProviderList") {
        for tsp in children(list, NS_TSL, "TrustServiceProvider") {
            if providers.len() >= limits.max_providers {
                return Err(TrustError::BudgetExceeded {
                    what: "trust service providers",
                    limit: limits.max_providers,
                });
            }
            providers.push(provider(tsp, limits, &mut service_budget)?);
        }
    }
    Ok(TrustedList {
        id: root.attribute("Id").map(str::to_owned),
        scheme,
        providers,
    })
}

fn scheme_information(n: Node<'_, '_>, limits: &Limits) -> Result<SchemeInformation, TrustError> {
    let version = required_text(n, "TSLVersionIdentifier")?;
    let version = version
        .parse::<u32>()
        .map_err(|_| TrustError::InvalidValue {
            element: "TSLVersionIdentifier",
            reason: truncate(&version),
        })?;
    let sequence = required_text(n, "TSLSequenceNumber")?;
    let sequence_number = sequence
        .parse::<u64>()
        .map_err(|_| TrustError::InvalidValue {
            element: "TSLSequenceNumber",
            reason: truncate(&sequence),
        })?;
    let issue_date = time(&required_text(n, "ListIssueDateTime")?, "ListIssueDateTime")?;
    let next_update = match child(n, NS_TSL, "NextUpdate") {
        None => return Err(TrustError::MissingElement("NextUpdate")),
        Some(nu) => match child(nu, NS_TSL, "dateTime") {
            Some(dt) => Some(time(&text(dt), "NextUpdate")?),
            None => None,
        },
    };
    let historical_information_period = match child(n, NS_TSL, "HistoricalInformationPeriod") {
        Some(h) => Some(
            text(h)
                .parse::<u64>()
                .map_err(|_| TrustError::InvalidValue {
                    element: "HistoricalInformationPeriod",
                    reason: truncate(&text(h)),
                })?,
        ),
        None => None,
    };
    let mut pointers = Vec::new();
    if let Some(p) = child(n, NS_TSL, "PointersToOtherTSL") {
        for ptr in children(p, NS_TSL, "OtherTSLPointer") {
            if pointers.len() >= limits.max_pointers {
                return Err(TrustError::BudgetExceeded {
                    what: "pointers to other lists",
                    limit: limits.max_pointers,
                });
            }
            pointers.push(pointer(ptr, limits)?);
        }
    }
    Ok(SchemeInformation {
        version,
        sequence_number,
        tsl_type: required_text(n, "TSLType")?,
        operator_name: names(child(n, NS_TSL, "SchemeOperatorName")),
        scheme_name: names(child(n, NS_TSL, "SchemeName")),
        information_uris: uris(child(n, NS_TSL, "SchemeInformationURI")),
        status_determination_approach: child(n, NS_TSL, "StatusDeterminationApproach").map(text),
        community_rules: uris(child(n, NS_TSL, "SchemeTypeCommunityRules")),
        // Mandatory in TS 119 612 v2; absent from older national lists (gematik, v3), kept
        // empty so such a list can never match a territory pointer.
        territory: child(n, NS_TSL, "SchemeTerritory")
            .map(text)
            .unwrap_or_default(),
        historical_information_period,
        pointers,
        issue_date,
        next_update,
        distribution_points: child(n, NS_TSL, "DistributionPoints")
            .map(|d| children(d, NS_TSL, "URI").map(text).collect())
            .unwrap_or_default(),
    })
}

fn pointer(n: Node<'_, '_>, limits: &Limits) -> Result<OtherTslPointer, TrustError> {
    let mut identities = Vec::new();
    if let Some(ids) = child(n, NS_TSL, "ServiceDigitalIdentities") {
        for sdi in children(ids, NS_TSL, "ServiceDigitalIdentity") {
            identities.extend(digital_ids(sdi, limits)?);
        }
    }
    let mut p = OtherTslPointer {
        location: child(n, NS_TSL, "TSLLocation")
            .map(text)
            .ok_or(TrustError::MissingElement("TSLLocation"))?,
        identities,
        tsl_type: None,
        territory: None,
        operator_name: LangStrings::default(),
        community_rules: LangStrings::default(),
        mime_type: None,
        mutual_recognition: None,
    };
    if let Some(info) = child(n, NS_TSL, "AdditionalInformation") {
        for other in children(info, NS_TSL, "OtherInformation") {
            for c in other.children().filter(Node::is_element) {
                if is(c, NS_TSL, "TSLType") {
                    p.tsl_type = Some(text(c));
                } else if is(c, NS_TSL, "SchemeTerritory") {
                    p.territory = Some(text(c));
                } else if is(c, NS_TSL, "SchemeOperatorName") {
                    p.operator_name = names(Some(c));
                } else if is(c, NS_TSL, "SchemeTypeCommunityRules") {
                    p.community_rules = uris(Some(c));
                } else if is(c, NS_ADDITIONAL_TYPES, "MimeType") {
                    p.mime_type = Some(text(c));
                } else if is(c, NS_MRA, "MutualRecognitionAgreementInformation") {
                    p.mutual_recognition = Some(mutual_recognition(c)?);
                }
            }
        }
    }
    Ok(p)
}

fn provider(
    n: Node<'_, '_>,
    limits: &Limits,
    service_budget: &mut usize,
) -> Result<TrustServiceProvider, TrustError> {
    let info =
        child(n, NS_TSL, "TSPInformation").ok_or(TrustError::MissingElement("TSPInformation"))?;
    let mut services = Vec::new();
    if let Some(list) = child(n, NS_TSL, "TSPServices") {
        for svc in children(list, NS_TSL, "TSPService") {
            let current = child(svc, NS_TSL, "ServiceInformation")
                .ok_or(TrustError::MissingElement("ServiceInformation"))?;
            spend(service_budget, limits)?;
            let current = service_information(current, limits)?;
            let mut history = Vec::new();
            if let Some(h) = child(svc, NS_TSL, "ServiceHistory") {
                for inst in children(h, NS_TSL, "ServiceHistoryInstance") {
                    spend(service_budget, limits)?;
                    history.push(service_information(inst, limits)?);
                }
            }
            services.push(TrustService { current, history });
        }
    }
    Ok(TrustServiceProvider {
        name: names(child(info, NS_TSL, "TSPName")),
        trade_names: names(child(info, NS_TSL, "TSPTradeName")),
        information_uris: uris(child(info, NS_TSL, "TSPInformationURI")),
        services,
    })
}

fn spend(budget: &mut usize, limits: &Limits) -> Result<(), TrustError> {
    *budget = budget.checked_sub(1).ok_or(TrustError::BudgetExceeded {
        what: "services and history instances",
        limit: limits.max_services,
    })?;
    Ok(())
}

fn service_information(n: Node<'_, '_>, limits: &Limits) -> Result<ServiceInformation, TrustError> {
    let mut identities = Vec::new();
    if let Some(sdi) = child(n, NS_TSL, "ServiceDigitalIdentity") {
        identities = digital_ids(sdi, limits)?;
    }
    let mut s = ServiceInformation {
        service_type: required_text(n, "ServiceTypeIdentifier")?,
        name: names(child(n, NS_TSL, "ServiceName")),
        identities,
        status: required_text(n, "ServiceStatus")?,
        status_starting_time: time(
            &required_text(n, "StatusStartingTime")?,
            "StatusStartingTime",
        )?,
        qualifications: Vec::new(),
        additional_information: Vec::new(),
        unknown_critical_extensions: Vec::new(),
    };
    if let Some(exts) = child(n, NS_TSL, "ServiceInformationExtensions") {
        for ext in children(exts, NS_TSL, "Extension") {
            let critical = ext
                .attribute("Critical")
                .is_some_and(|c| c == "true" || c == "1");
            for c in ext.children().filter(Node::is_element) {
                if is(c, NS_ECC, "Qualifications") {
                    for q in children(c, NS_ECC, "QualificationElement") {
                        s.qualifications.push(qualification(q, limits)?);
                    }
                } else if is(c, NS_TSL, "AdditionalServiceInformation") {
                    if let Some(u) = child(c, NS_TSL, "URI") {
                        s.additional_information.push(text(u));
                    }
                } else if is(c, NS_TSL, "TakenOverBy")
                    || is(c, NS_TSL, "ExpiredCertsRevocationInfo")
                {
                    // Understood and not needed for the trust decision.
                } else if critical {
                    s.unknown_critical_extensions
                        .push(c.tag_name().name().to_owned());
                }
            }
        }
    }
    Ok(s)
}

fn qualification(n: Node<'_, '_>, limits: &Limits) -> Result<QualificationElement, TrustError> {
    let qualifiers = child(n, NS_ECC, "Qualifiers")
        .map(|q| {
            children(q, NS_ECC, "Qualifier")
                .filter_map(|x| x.attribute("uri").map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let criteria =
        child(n, NS_ECC, "CriteriaList").ok_or(TrustError::MissingElement("CriteriaList"))?;
    Ok(QualificationElement {
        qualifiers,
        criteria: criteria_list(criteria, limits, 0)?,
    })
}

fn criteria_list(
    n: Node<'_, '_>,
    limits: &Limits,
    depth: usize,
) -> Result<CriteriaList, TrustError> {
    if depth >= limits.max_criteria_depth {
        return Err(TrustError::BudgetExceeded {
            what: "nested CriteriaList levels",
            limit: limits.max_criteria_depth,
        });
    }
    let assert = match n.attribute("assert") {
        Some("all") => CriteriaAssert::All,
        Some("atLeastOne") => CriteriaAssert::AtLeastOne,
        Some("none") => CriteriaAssert::None,
        other => {
            return Err(TrustError::InvalidValue {
                element: "CriteriaList/@assert",
                reason: truncate(other.unwrap_or("(absent)")),
            });
        }
    };
    let mut list = CriteriaList {
        assert,
        key_usage: Vec::new(),
        policy_sets: Vec::new(),
        extended_key_usage: Vec::new(),
        subject_dn_attributes: Vec::new(),
        nested: Vec::new(),
    };
    for c in n.children().filter(Node::is_element) {
        if is(c, NS_ECC, "KeyUsage") {
            let bits = children(c, NS_ECC, "KeyUsageBit")
                .filter_map(|b| {
                    let name = b.attribute("name")?.to_owned();
                    Some((name, text(b) == "true"))
                })
                .collect();
            list.key_usage.push(bits);
        } else if is(c, NS_ECC, "PolicySet") {
            let oids = children(c, NS_ECC, "PolicyIdentifier")
                .filter_map(|p| child(p, NS_XADES, "Identifier"))
                .map(|i| oid_text(&text(i)))
                .collect();
            list.policy_sets.push(oids);
        } else if is(c, NS_ECC, "CriteriaList") {
            list.nested.push(criteria_list(c, limits, depth + 1)?);
        } else if is(c, NS_ECC, "otherCriteriaList") {
            for o in c.children().filter(Node::is_element) {
                let oids: Vec<String> = o
                    .descendants()
                    .filter(|d| is(*d, NS_XADES, "Identifier"))
                    .map(|i| oid_text(&text(i)))
                    .collect();
                match o.tag_name().name() {
                    "ExtendedKeyUsage" => list.extended_key_usage.push(oids),
                    "CertSubjectDNAttribute" => list.subject_dn_attributes.push(oids),
                    // Unknown criteria make the element unevaluable: record an impossible
                    // requirement so an `all`/`atLeastOne` list cannot match by accident.
                    _ => list
                        .policy_sets
                        .push(vec![format!("unsupported:{}", o.tag_name().name())]),
                }
            }
        }
    }
    Ok(list)
}

fn mutual_recognition(n: Node<'_, '_>) -> Result<MutualRecognition, TrustError> {
    let mut equivalences = Vec::new();
    for e in children(n, NS_MRA, "TrustServiceEquivalenceInformation") {
        let types = |side: &str| -> Vec<(String, Vec<String>)> {
            child(e, NS_MRA, "TrustServiceTSLTypeEquivalenceList")
                .and_then(|l| child(l, NS_MRA, side))
                .map(|s| {
                    children(s, NS_MRA, "TrustServiceTSLType")
                        .map(|t| {
                            let ty = child(t, NS_TSL, "ServiceTypeIdentifier")
                                .map(text)
                                .unwrap_or_default();
                            let asi = children(t, NS_TSL, "AdditionalServiceInformation")
                                .filter_map(|a| child(a, NS_TSL, "URI"))
                                .map(text)
                                .collect();
                            (ty, asi)
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        let statuses = |kind: &str| -> Vec<(Vec<String>, Vec<String>)> {
            child(e, NS_MRA, "TrustServiceTSLStatusEquivalenceList")
                .map(|l| {
                    children(l, NS_MRA, kind)
                        .map(|eq| {
                            let side = |s: &str| {
                                child(eq, NS_MRA, s)
                                    .map(|x| {
                                        children(x, NS_TSL, "ServiceStatus").map(text).collect()
                                    })
                                    .unwrap_or_default()
                            };
                            (
                                side("TrustServiceTSLStatusListPointingParty"),
                                side("TrustServiceTSLStatusListPointedParty"),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        let status_starting_time =
            match child(e, NS_MRA, "TrustServiceEquivalenceStatusStartingTime") {
                Some(t) => Some(time(&text(t), "TrustServiceEquivalenceStatusStartingTime")?),
                None => None,
            };
        equivalences.push(ServiceEquivalence {
            legal_identifier: child(e, NS_MRA, "TrustServiceLegalIdentifier")
                .map(text)
                .unwrap_or_default(),
            pointing_service_types: types("TrustServiceTSLTypeListPointingParty"),
            pointed_service_types: types("TrustServiceTSLTypeListPointedParty"),
            status: child(e, NS_MRA, "TrustServiceEquivalenceStatus")
                .map(text)
                .unwrap_or_default(),
            status_starting_time,
            valid_statuses: statuses("TrustServiceTSLStatusValidEquivalence"),
            invalid_statuses: statuses("TrustServiceTSLStatusInvalidEquivalence"),
            certificate_content_contexts: e
                .descendants()
                .filter(|d| is(*d, NS_MRA, "CertificateContentReferenceEquivalenceContext"))
                .map(text)
                .collect(),
        });
    }
    let attr = |name: &str| n.attribute(name).map(str::to_owned);
    Ok(MutualRecognition {
        depth: n.attribute("MRADepth").and_then(|d| d.parse().ok()),
        technical_type: attr("technicalType"),
        version: attr("version"),
        pointing_legislation: attr("pointingContractingPartyLegislation"),
        pointed_legislation: attr("pointedContractingPartyLegislation"),
        equivalences,
    })
}

fn digital_ids(sdi: Node<'_, '_>, limits: &Limits) -> Result<Vec<DigitalIdentity>, TrustError> {
    let mut out = Vec::new();
    for id in children(sdi, NS_TSL, "DigitalId") {
        for c in id.children().filter(Node::is_element) {
            if is(c, NS_TSL, "X509Certificate") {
                let der = base64_value(&text(c), "X509Certificate", limits.max_certificate_bytes)?;
                out.push(DigitalIdentity::Certificate(der));
            } else if is(c, NS_TSL, "X509SubjectName") {
                out.push(DigitalIdentity::SubjectName(text(c)));
            } else if is(c, NS_TSL, "X509SKI") {
                out.push(DigitalIdentity::SubjectKeyIdentifier(base64_value(
                    &text(c),
                    "X509SKI",
                    limits.max_certificate_bytes,
                )?));
            } else {
                out.push(DigitalIdentity::Unsupported(c.tag_name().name().to_owned()));
            }
        }
    }
    Ok(out)
}

/// Decodes standard base64 with embedded whitespace (lists wrap lines), capped at `max` bytes.
pub(crate) fn base64_value(
    value: &str,
    element: &'static str,
    max: usize,
) -> Result<Vec<u8>, TrustError> {
    let compact: String = value.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    if compact.len() / 4 * 3 > max {
        return Err(TrustError::TooLarge {
            size: compact.len() / 4 * 3,
            limit: max,
        });
    }
    base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map_err(|e| TrustError::InvalidValue {
            element,
            reason: format!("base64: {e}"),
        })
}

fn time(value: &str, element: &'static str) -> Result<UnixTime, TrustError> {
    UnixTime::parse_rfc3339(value).map_err(|e| TrustError::InvalidValue {
        element,
        reason: e.to_string(),
    })
}

fn oid_text(value: &str) -> String {
    let v = value.trim();
    v.strip_prefix("urn:oid:").unwrap_or(v).to_owned()
}

fn truncate(value: &str) -> String {
    value.chars().take(64).collect()
}

fn names(n: Option<Node<'_, '_>>) -> LangStrings {
    lang_children(n, "Name")
}

fn uris(n: Option<Node<'_, '_>>) -> LangStrings {
    lang_children(n, "URI")
}

fn lang_children(n: Option<Node<'_, '_>>, name: &str) -> LangStrings {
    LangStrings(
        n.map(|n| {
            children(n, NS_TSL, name)
                .map(|c| LangString {
                    lang: c.attribute((XML_NS, "lang")).unwrap_or("").to_owned(),
                    text: text(c),
                })
                .collect()
        })
        .unwrap_or_default(),
    )
}

fn required_text(n: Node<'_, '_>, name: &'static str) -> Result<String, TrustError> {
    child(n, NS_TSL, name)
        .map(text)
        .ok_or(TrustError::MissingElement(name))
}

pub(crate) fn is(n: Node<'_, '_>, ns: &str, name: &str) -> bool {
    n.is_element() && n.tag_name().name() == name && n.tag_name().namespace() == Some(ns)
}

pub(crate) fn child<'a, 'i>(n: Node<'a, 'i>, ns: &str, name: &str) -> Option<Node<'a, 'i>> {
    n.children().find(|c| is(*c, ns, name))
}

pub(crate) fn children<'a, 'i: 'a>(
    n: Node<'a, 'i>,
    ns: &'a str,
    name: &'a str,
) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    n.children().filter(move |c| is(*c, ns, name))
}

/// The concatenated, trimmed text content of an element's direct text children.
pub(crate) fn text(n: Node<'_, '_>) -> String {
    let mut s = String::new();
    for c in n.children().filter(Node::is_text) {
        s.push_str(c.text().unwrap_or(""));
    }
    s.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINI: &str = r#"<TrustServiceStatusList xmlns="http://uri.etsi.org/02231/v2#" Id="x">
<SchemeInformation><TSLVersionIdentifier>5</TSLVersionIdentifier>
<TSLSequenceNumber>7</TSLSequenceNumber><TSLType>t</TSLType>
<SchemeOperatorName><Name xml:lang="en">Op</Name></SchemeOperatorName>
<SchemeTerritory>JP</SchemeTerritory><ListIssueDateTime>2026-01-01T00:00:00Z</ListIssueDateTime>
<NextUpdate><dateTime>2026-07-01T00:00:00Z</dateTime></NextUpdate></SchemeInformation>
</TrustServiceStatusList>"#;

    #[test]
    fn minimal_list() {
        let l = parse_list(MINI.as_bytes(), &Limits::default()).unwrap();
        assert_eq!(l.scheme.sequence_number, 7);
        assert_eq!(l.scheme.territory, "JP");
        assert_eq!(l.scheme.operator_name.preferred(), Some("Op"));
        assert_eq!(l.id.as_deref(), Some("x"));
    }

    #[test]
    fn rejects_dtd_foreign_root_and_oversize() {
        let dtd = format!("<!DOCTYPE x [<!ENTITY a \"b\">]>{MINI}");
        assert!(matches!(
            parse_list(dtd.as_bytes(), &Limits::default()),
            Err(TrustError::XmlMalformed(_))
        ));
        let foreign = MINI.replace("http://uri.etsi.org/02231/v2#", "urn:other");
        assert!(matches!(
            parse_list(foreign.as_bytes(), &Limits::default()),
            Err(TrustError::NotATrustedList(_))
        ));
        let small = Limits {
            max_xml_bytes: 10,
            ..Limits::default()
        };
        assert!(matches!(
            parse_list(MINI.as_bytes(), &small),
            Err(TrustError::TooLarge { .. })
        ));
    }

    #[test]
    fn rejects_bad_values() {
        let bad = MINI.replace("<TSLSequenceNumber>7", "<TSLSequenceNumber>-7");
        assert!(matches!(
            parse_list(bad.as_bytes(), &Limits::default()),
            Err(TrustError::InvalidValue {
                element: "TSLSequenceNumber",
                ..
            })
        ));
        let no_offset = MINI.replace("2026-01-01T00:00:00Z", "2026-01-01T00:00:00");
        assert!(parse_list(no_offset.as_bytes(), &Limits::default()).is_err());
        let closed = MINI.replace("<dateTime>2026-07-01T00:00:00Z</dateTime>", "");
        assert_eq!(
            parse_list(closed.as_bytes(), &Limits::default())
                .unwrap()
                .scheme
                .next_update,
            None
        );
    }
}
