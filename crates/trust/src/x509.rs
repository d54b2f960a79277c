//! X.509 for trust decisions: RFC 5280 path validation of an `x5c` chain to a list service's
//! certificate (rustls-webpki, time injected), and the certificate content a trust policy
//! looks at (key usage, certificate policies, EN 319 412-5 QC statements, EN 319 412-1
//! `organizationIdentifier`), read with x509-cert because webpki does not expose them.

use kakehashi_core::UnixTime;
use rustls_pki_types::CertificateDer;
use x509_cert::Certificate;
use x509_cert::der::asn1::{Any, ObjectIdentifier};
use x509_cert::der::{Decode as _, Reader as _, SliceReader};
use x509_cert::ext::pkix::{CertificatePolicies, ExtendedKeyUsage, KeyUsage, KeyUsages};

use crate::jp::CorporateNumber;
use crate::tsl::CertificateFacts;
use crate::{Limits, TrustError};

/// `id-pe-qcStatements`.
const OID_QC_STATEMENTS: &str = "1.3.6.1.5.5.7.1.3";
/// `id-at-organizationIdentifier`.
const OID_ORGANIZATION_IDENTIFIER: &str = "2.5.4.97";
/// Longest `x5c` accepted: leaf plus 5 intermediates (EU qualified chains have 2–4).
pub const MAX_CHAIN_LENGTH: usize = 6;

/// QC statement OIDs of EN 319 412-5.
pub mod qc {
    /// `esi4-qcStatement-1`: QcCompliance (EU qualified certificate).
    pub const COMPLIANCE: &str = "0.4.0.1862.1.1";
    /// `esi4-qcStatement-4`: QcSSCD (key in a QSCD).
    pub const SSCD: &str = "0.4.0.1862.1.4";
    /// `esi4-qcStatement-6`: QcType.
    pub const TYPE: &str = "0.4.0.1862.1.6";
    /// QcType eSign.
    pub const TYPE_ESIGN: &str = "0.4.0.1862.1.6.1";
    /// QcType eSeal.
    pub const TYPE_ESEAL: &str = "0.4.0.1862.1.6.2";
    /// QcType web.
    pub const TYPE_WEB: &str = "0.4.0.1862.1.6.3";
    /// `esi4-qcStatement-7`: QcCClegislation (qualified under a non-EU legislation).
    pub const CC_LEGISLATION: &str = "0.4.0.1862.1.7";
}

/// Certificate policy OIDs of EN 319 411-2.
pub mod policy {
    /// QCP-n: qualified certificate for natural persons.
    pub const QCP_N: &str = "0.4.0.194112.1.0";
    /// QCP-l: qualified certificate for legal persons (seals).
    pub const QCP_L: &str = "0.4.0.194112.1.1";
    /// QCP-n-qscd.
    pub const QCP_N_QSCD: &str = "0.4.0.194112.1.2";
    /// QCP-l-qscd.
    pub const QCP_L_QSCD: &str = "0.4.0.194112.1.3";
    /// QCP-w: qualified website authentication.
    pub const QCP_W: &str = "0.4.0.194112.1.4";
}

/// The QC statements of a certificate (EN 319 412-5).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct QcStatements {
    /// QcCompliance present.
    pub compliance: bool,
    /// QcSSCD present.
    pub sscd: bool,
    /// QcType values (OIDs).
    pub types: Vec<String>,
    /// QcCClegislation country codes.
    pub legislation: Vec<String>,
    /// Other statement OIDs.
    pub other: Vec<String>,
}

impl QcStatements {
    /// Names used by policy files: `QcCompliance`, `QcSSCD`, `QcTypeEseal`, `QcTypeEsign`,
    /// `QcTypeWeb`, `QcCClegislation:JP`.
    pub fn names(&self) -> Vec<String> {
        let mut v = Vec::new();
        if self.compliance {
            v.push("QcCompliance".to_owned());
        }
        if self.sscd {
            v.push("QcSSCD".to_owned());
        }
        for t in &self.types {
            v.push(match t.as_str() {
                qc::TYPE_ESIGN => "QcTypeEsign".to_owned(),
                qc::TYPE_ESEAL => "QcTypeEseal".to_owned(),
                qc::TYPE_WEB => "QcTypeWeb".to_owned(),
                other => format!("QcType:{other}"),
            });
        }
        for c in &self.legislation {
            v.push(format!("QcCClegislation:{c}"));
        }
        v
    }
}

/// An EN 319 412-1 `organizationIdentifier`: `VATBE-0123456789`, `NTRJP-7123456789012`, ….
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OrganizationIdentifier {
    /// `VAT`, `NTR`, `PSD`, `LEI`, or a national scheme.
    pub scheme: String,
    /// ISO 3166 country (or `XG` for LEI).
    pub country: String,
    /// The identifier after the hyphen.
    pub reference: String,
}

impl OrganizationIdentifier {
    /// Parses the `XXXcc-reference` form. For `NTRJP` the reference must be a Corporate Number
    /// with a valid check digit.
    pub fn parse(text: &str) -> Result<Self, TrustError> {
        let bad = || {
            TrustError::Certificate(format!(
                "organizationIdentifier {:?} is malformed",
                truncate(text)
            ))
        };
        let (head, reference) = text.split_once('-').ok_or_else(bad)?;
        if head.len() != 5 || !head.bytes().all(|b| b.is_ascii_uppercase()) || reference.is_empty()
        {
            return Err(bad());
        }
        let (scheme, country) = head.split_at(3);
        if scheme == "NTR" && country == "JP" {
            CorporateNumber::parse(reference)?;
        }
        Ok(OrganizationIdentifier {
            scheme: scheme.to_owned(),
            country: country.to_owned(),
            reference: reference.to_owned(),
        })
    }

    /// Back to the `XXXcc-reference` form.
    pub fn as_string(&self) -> String {
        format!("{}{}-{}", self.scheme, self.country, self.reference)
    }
}

/// What the trust policy reads from a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CertificateInfo {
    /// Subject DN (RFC 4514).
    pub subject: String,
    /// Issuer DN.
    pub issuer: String,
    /// Key usage bit names as TS 119 612 spells them.
    pub key_usage: Vec<String>,
    /// Certificate policy OIDs.
    pub policies: Vec<String>,
    /// Extended key usage OIDs.
    pub extended_key_usage: Vec<String>,
    /// QC statements.
    pub qc_statements: QcStatements,
    /// `organizationIdentifier`, if present.
    pub organization_identifier: Option<OrganizationIdentifier>,
    /// Subject attribute type OIDs.
    pub subject_attributes: Vec<String>,
}

impl CertificateInfo {
    /// The facts TS 119 612 qualification criteria are evaluated against.
    pub fn facts(&self) -> CertificateFacts {
        CertificateFacts {
            key_usage: self.key_usage.clone(),
            policies: self.policies.clone(),
            extended_key_usage: self.extended_key_usage.clone(),
            subject_attributes: self.subject_attributes.clone(),
        }
    }
}

/// Reads the policy-relevant content of a DER certificate.
pub fn inspect_certificate(der: &[u8]) -> Result<CertificateInfo, TrustError> {
    let cert = Certificate::from_der(der)
        .map_err(|e| TrustError::Certificate(format!("not X.509: {e}")))?;
    let tbs = cert.tbs_certificate();
    let ext_err =
        |what: &str, e: x509_cert::der::Error| TrustError::Certificate(format!("{what}: {e}"));
    let key_usage = match tbs
        .get_extension::<KeyUsage>()
        .map_err(|e| ext_err("keyUsage", e))?
    {
        Some((_, ku)) => [
            (KeyUsages::DigitalSignature, "digitalSignature"),
            (KeyUsages::NonRepudiation, "nonRepudiation"),
            (KeyUsages::KeyEncipherment, "keyEncipherment"),
            (KeyUsages::DataEncipherment, "dataEncipherment"),
            (KeyUsages::KeyAgreement, "keyAgreement"),
            (KeyUsages::KeyCertSign, "keyCertSign"),
            (KeyUsages::CRLSign, "crlSign"),
            (KeyUsages::EncipherOnly, "encipherOnly"),
            (KeyUsages::DecipherOnly, "decipherOnly"),
        ]
        .into_iter()
        .filter(|(bit, _)| ku.0.contains(*bit))
        .map(|(_, name)| name.to_owned())
        .collect(),
        None => Vec::new(),
    };
    let policies = match tbs
        .get_extension::<CertificatePolicies>()
        .map_err(|e| ext_err("certificatePolicies", e))?
    {
        Some((_, p)) => {
            p.0.iter()
                .map(|i| i.policy_identifier.to_string())
                .collect()
        }
        None => Vec::new(),
    };
    let extended_key_usage = match tbs
        .get_extension::<ExtendedKeyUsage>()
        .map_err(|e| ext_err("extKeyUsage", e))?
    {
        Some((_, e)) => e.0.iter().map(ToString::to_string).collect(),
        None => Vec::new(),
    };
    let mut qc_statements = QcStatements::default();
    for ext in tbs.extensions().into_iter().flatten() {
        if ext.extn_id.to_string() == OID_QC_STATEMENTS {
            qc_statements = parse_qc_statements(ext.extn_value.as_bytes())?;
        }
    }
    let mut organization_identifier = None;
    let mut subject_attributes = Vec::new();
    for atv in tbs.subject().iter() {
        let oid = atv.oid.to_string();
        if oid == OID_ORGANIZATION_IDENTIFIER {
            organization_identifier = Some(OrganizationIdentifier::parse(&directory_string(
                &atv.value,
            )?)?);
        }
        subject_attributes.push(oid);
    }
    Ok(CertificateInfo {
        subject: dn_string(tbs.subject()),
        issuer: dn_string(tbs.issuer()),
        key_usage,
        policies,
        extended_key_usage,
        qc_statements,
        organization_identifier,
        subject_attributes,
    })
}

/// RFC 4514-style string of a DN (most specific attribute first) with readable values for the
/// attributes trust lists and seals use, `organizationIdentifier` included; other values hex.
pub fn dn_string(name: &x509_cert::name::Name) -> String {
    let mut parts = Vec::new();
    for rdn in name.iter_rdn() {
        let attrs: Vec<String> = rdn
            .iter()
            .map(|atv| {
                let oid = atv.oid.to_string();
                let key = match oid.as_str() {
                    "2.5.4.3" => "CN",
                    "2.5.4.6" => "C",
                    "2.5.4.7" => "L",
                    "2.5.4.8" => "ST",
                    "2.5.4.10" => "O",
                    "2.5.4.11" => "OU",
                    "2.5.4.4" => "SN",
                    "2.5.4.42" => "GN",
                    "2.5.4.5" => "serialNumber",
                    OID_ORGANIZATION_IDENTIFIER => "organizationIdentifier",
                    "1.2.840.113549.1.9.1" => "emailAddress",
                    _ => "",
                };
                let key = if key.is_empty() {
                    oid.clone()
                } else {
                    key.to_owned()
                };
                let value = directory_string(&atv.value)
                    .or_else(|_| {
                        atv.value
                            .decode_as::<x509_cert::der::asn1::Ia5StringRef<'_>>()
                            .map(|s| s.as_str().to_owned())
                            .map_err(|_| ())
                    })
                    .map(|v| escape_dn(&v))
                    .unwrap_or_else(|_| format!("#{}", crate::signature::hex(atv.value.value())));
                format!("{key}={value}")
            })
            .collect();
        parts.push(attrs.join("+"));
    }
    parts.reverse();
    parts.join(",")
}

fn escape_dn(v: &str) -> String {
    let mut o = String::with_capacity(v.len());
    for (i, c) in v.chars().enumerate() {
        if matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';')
            || (i == 0 && matches!(c, '#' | ' '))
        {
            o.push('\\');
        }
        o.push(c);
    }
    o
}

fn directory_string(value: &Any) -> Result<String, TrustError> {
    use x509_cert::der::asn1::{PrintableStringRef, Utf8StringRef};
    if let Ok(s) = value.decode_as::<Utf8StringRef<'_>>() {
        return Ok(s.as_str().to_owned());
    }
    value
        .decode_as::<PrintableStringRef<'_>>()
        .map(|s| s.as_str().to_owned())
        .map_err(|e| TrustError::Certificate(format!("organizationIdentifier: {e}")))
}

/// `QCStatements ::= SEQUENCE OF QCStatement { statementId OID, statementInfo ANY OPTIONAL }`.
fn parse_qc_statements(der: &[u8]) -> Result<QcStatements, TrustError> {
    let err = |e: x509_cert::der::Error| TrustError::Certificate(format!("qcStatements: {e}"));
    let mut out = QcStatements::default();
    let mut reader = SliceReader::new(der).map_err(err)?;
    let statements: Vec<(ObjectIdentifier, Option<Any>)> = reader
        .sequence(|r| {
            let mut v = Vec::new();
            while !r.is_finished() {
                v.push(r.sequence(|s| {
                    let id = ObjectIdentifier::decode(s)?;
                    let info = if s.is_finished() {
                        None
                    } else {
                        Some(Any::decode(s)?)
                    };
                    Ok::<_, x509_cert::der::Error>((id, info))
                })?);
            }
            Ok::<_, x509_cert::der::Error>(v)
        })
        .map_err(err)?;
    for (id, info) in statements {
        match id.to_string().as_str() {
            qc::COMPLIANCE => out.compliance = true,
            qc::SSCD => out.sscd = true,
            qc::TYPE => {
                let types = info
                    .ok_or_else(|| TrustError::Certificate("QcType without types".into()))?
                    .decode_as::<Vec<ObjectIdentifier>>()
                    .map_err(err)?;
                out.types.extend(types.iter().map(ToString::to_string));
            }
            qc::CC_LEGISLATION => {
                let countries = info
                    .ok_or_else(|| {
                        TrustError::Certificate("QcCClegislation without countries".into())
                    })?
                    .decode_as::<Vec<x509_cert::der::asn1::PrintableString>>()
                    .map_err(err)?;
                out.legislation
                    .extend(countries.iter().map(|c| c.as_str().to_owned()));
            }
            other => out.other.push(other.to_owned()),
        }
    }
    Ok(out)
}

fn truncate(s: &str) -> String {
    s.chars().take(64).collect()
}

/// A chain validated to one of the given anchors. Only [`verify_chain`] builds one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedChain {
    /// DER, leaf first, the intermediates webpki used, without the anchor.
    certificates: Vec<Vec<u8>>,
    /// Index into the `anchors` given to [`verify_chain`].
    anchor_index: usize,
    at: UnixTime,
}

impl VerifiedChain {
    /// The certificates of the path, leaf first, anchor excluded.
    pub fn certificates(&self) -> &[Vec<u8>] {
        &self.certificates
    }

    /// The leaf.
    pub fn leaf(&self) -> &[u8] {
        self.certificates.first().map_or(&[], Vec::as_slice)
    }

    /// Which anchor (index into the slice given to [`verify_chain`]) the path ends at.
    pub fn anchor_index(&self) -> usize {
        self.anchor_index
    }

    /// The validation time.
    pub fn at(&self) -> UnixTime {
        self.at
    }
}

/// `id-kp-documentSigning` (RFC 9336), required only if the leaf has an EKU extension.
const EKU_DOCUMENT_SIGNING: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x24];

/// Validates `x5c` (DER, leaf first, untrusted) to one of `anchors` (DER of service
/// certificates from verified lists) at `at`: signatures, validity periods, basic constraints,
/// name constraints and critical extensions per RFC 5280 (webpki). An EKU extension on the
/// leaf must contain documentSigning. Revocation is not checked here (no network).
pub fn verify_chain(
    x5c: &[Vec<u8>],
    anchors: &[&[u8]],
    at: UnixTime,
    limits: &Limits,
) -> Result<VerifiedChain, TrustError> {
    let leaf = x5c
        .first()
        .ok_or_else(|| TrustError::ChainInvalid("empty chain".into()))?;
    if x5c.len() > MAX_CHAIN_LENGTH {
        return Err(TrustError::BudgetExceeded {
            what: "certificates in the chain",
            limit: MAX_CHAIN_LENGTH,
        });
    }
    if anchors.len() > limits.max_anchor_candidates {
        return Err(TrustError::BudgetExceeded {
            what: "trust anchor candidates",
            limit: limits.max_anchor_candidates,
        });
    }
    let anchor_ders: Vec<CertificateDer<'_>> =
        anchors.iter().map(|a| CertificateDer::from(*a)).collect();
    let mut trust_anchors = Vec::new();
    let mut anchor_map = Vec::new();
    for (i, der) in anchor_ders.iter().enumerate() {
        // A service certificate webpki cannot use as an anchor is skipped, not fatal: lists
        // carry old certificates of every shape.
        if let Ok(ta) = webpki::anchor_from_trusted_cert(der) {
            trust_anchors.push(ta);
            anchor_map.push(i);
        }
    }
    let leaf_der = CertificateDer::from(leaf.as_slice());
    let ee = webpki::EndEntityCert::try_from(&leaf_der)
        .map_err(|e| TrustError::ChainInvalid(format!("leaf: {e:?}")))?;
    // Drop copies of anchors from the intermediates: the anchor is the list's, not the chain's.
    let intermediates: Vec<CertificateDer<'_>> = x5c[1..]
        .iter()
        .filter(|c| !anchors.contains(&c.as_slice()))
        .map(|c| CertificateDer::from(c.as_slice()))
        .collect();
    let seconds = u64::try_from(at.seconds())
        .map_err(|_| TrustError::ChainInvalid("time before 1970".into()))?;
    let time =
        rustls_pki_types::UnixTime::since_unix_epoch(std::time::Duration::from_secs(seconds));
    let mut algorithms: Vec<&dyn rustls_pki_types::SignatureVerificationAlgorithm> =
        webpki::ALL_VERIFICATION_ALGS.to_vec();
    for extra in crate::brainpool::ALL {
        algorithms.push(*extra);
    }
    let path = ee
        .verify_for_usage(
            &algorithms,
            &trust_anchors,
            &intermediates,
            time,
            webpki::KeyUsage::required_if_present(EKU_DOCUMENT_SIGNING),
            None,
            None,
        )
        .map_err(|e| TrustError::ChainInvalid(format!("{e:?}")))?;
    let anchor = path.anchor();
    let position = trust_anchors
        .iter()
        .position(|ta| {
            ta.subject.as_ref() == anchor.subject.as_ref()
                && ta.subject_public_key_info.as_ref() == anchor.subject_public_key_info.as_ref()
        })
        .ok_or_else(|| TrustError::ChainInvalid("anchor not found after validation".into()))?;
    let anchor_index = *anchor_map
        .get(position)
        .ok_or_else(|| TrustError::ChainInvalid("anchor index out of range".into()))?;
    let mut certificates = vec![leaf.clone()];
    certificates.extend(
        path.intermediate_certificates()
            .map(|c| c.der().as_ref().to_vec()),
    );
    Ok(VerifiedChain {
        certificates,
        anchor_index,
        at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn organization_identifiers() {
        let o = OrganizationIdentifier::parse("NTRJP-7000012050002").unwrap();
        assert_eq!((o.scheme.as_str(), o.country.as_str()), ("NTR", "JP"));
        assert_eq!(o.as_string(), "NTRJP-7000012050002");
        assert!(OrganizationIdentifier::parse("NTRJP-7000012050003").is_err());
        assert_eq!(
            OrganizationIdentifier::parse("VATBE-0123456789")
                .unwrap()
                .country,
            "BE"
        );
        assert!(OrganizationIdentifier::parse("VATBE0123456789").is_err());
        assert!(OrganizationIdentifier::parse("vatbe-1").is_err());
        assert!(OrganizationIdentifier::parse("VATBE-").is_err());
    }

    #[test]
    fn qc_statements_decode_and_reject_garbage() {
        // SEQUENCE { SEQUENCE { QcCompliance }, SEQUENCE { QcType, SEQUENCE { eseal } } }
        let der = [
            0x30, 0x1b, 0x30, 0x08, 0x06, 0x06, 0x04, 0x00, 0x8e, 0x46, 0x01, 0x01, 0x30, 0x0f,
            0x06, 0x06, 0x04, 0x00, 0x8e, 0x46, 0x01, 0x06, 0x30, 0x05, 0x06, 0x03, 0x04, 0x00,
            0x8e,
        ];
        // The last OID above is deliberately truncated: the decoder must fail, not panic.
        assert!(parse_qc_statements(&der).is_err());
        assert!(parse_qc_statements(&[0x30, 0x80]).is_err());
    }
}
