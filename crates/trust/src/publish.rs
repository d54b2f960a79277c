//! Building and signing TS 119 612 lists: the EU-style LOTL, an EU-style national list and the
//! Japanese `JPlist`, from a [`ListDescription`] (TOML or JSON).
//!
//! The output is what [`crate::verify_list`] accepts: one enveloped XAdES-BES signature,
//! exclusive C14N, a reference `URI=""` with the enveloped transform and one to the
//! `SignedProperties` (signing time, SHA-256 of the signer certificate). Keys stay outside: a
//! [`ListSigner`] (software key, HSM) produces the signature value.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use base64::Engine as _;
use kakehashi_core::UnixTime;
use sha2::Digest as _;

use crate::TrustError;
use crate::jp;
use crate::tsl::{NS_ADDITIONAL_TYPES, NS_ECC, NS_MRA, NS_TSL, NS_XADES, uri};

/// What kind of list a description builds; sets `TSLType` and the scheme rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ListKind {
    /// A list of lists (EU LOTL shape): pointers only.
    Lotl,
    /// An EU member-state list (`EUgeneric`).
    Eu,
    /// The Japanese list of accredited services and authorised universities.
    Jplist,
}

impl ListKind {
    /// The `TSLType` (or `LoTEType`) URI of this kind.
    pub fn tsl_type(self) -> &'static str {
        match self {
            ListKind::Lotl => uri::TSL_TYPE_EU_LOTL,
            ListKind::Eu => uri::TSL_TYPE_EU_GENERIC,
            ListKind::Jplist => jp::TSL_TYPE_JPLIST,
        }
    }
}

/// A multilingual value: language tag → text (`{ en = "…", ja = "…" }`).
pub type Names = BTreeMap<String, String>;

/// Input of [`publish`]. Certificates are named by `certificates` strings that the caller's
/// resolver turns into DER (the CLI reads PEM files relative to the description).
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct ListDescription {
    /// List kind.
    pub kind: ListKind,
    /// `SchemeTerritory`.
    pub territory: String,
    /// `TSLSequenceNumber`.
    pub sequence_number: u64,
    /// `ListIssueDateTime`, RFC 3339.
    pub issue_date: String,
    /// `NextUpdate`, RFC 3339.
    pub next_update: String,
    /// `SchemeOperatorName`.
    pub operator_name: Names,
    /// `SchemeName`.
    pub scheme_name: Names,
    /// `SchemeInformationURI`.
    #[serde(default)]
    pub information_uri: Option<String>,
    /// `DistributionPoints`.
    #[serde(default)]
    pub distribution_points: Vec<String>,
    /// PKCS#8 PEM of the signing key (read by the caller, not by this crate).
    #[serde(default)]
    pub signer_key: Option<String>,
    /// Signer certificate reference (resolved by the caller).
    #[serde(default)]
    pub signer_certificate: Option<String>,
    /// `PointersToOtherTSL` (LOTL).
    #[serde(default)]
    pub pointer: Vec<PointerDescription>,
    /// Trust service providers.
    #[serde(default)]
    pub provider: Vec<ProviderDescription>,
    /// JPlist only: universities authorised to issue academic credentials.
    #[serde(default)]
    pub university: Vec<UniversityDescription>,
}

/// One `OtherTSLPointer`.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct PointerDescription {
    /// `SchemeTerritory` of the pointed-to list.
    pub territory: String,
    /// `TSLLocation`.
    pub location: String,
    /// `TSLType` of the pointed-to list.
    pub tsl_type: String,
    /// MIME type; default `application/vnd.etsi.tsl+xml`.
    #[serde(default)]
    pub mime_type: Option<String>,
    /// `SchemeOperatorName` of the pointed-to list.
    #[serde(default)]
    pub operator_name: Names,
    /// Certificates allowed to sign the pointed-to list.
    pub certificates: Vec<String>,
    /// Mutual recognition information, for a third-country pointer.
    #[serde(default)]
    pub mra: Option<MraDescription>,
}

/// The MRA extension of a pointer (EU LOTL shape).
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct MraDescription {
    /// `pointingContractingPartyLegislation`.
    pub pointing_legislation: String,
    /// `pointedContractingPartyLegislation`.
    pub pointed_legislation: String,
    /// Equivalences.
    pub equivalence: Vec<MraEquivalenceDescription>,
}

/// One `TrustServiceEquivalenceInformation`.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct MraEquivalenceDescription {
    /// `TrustServiceLegalIdentifier`.
    pub legal_identifier: String,
    /// Pointing party service type.
    pub pointing_service_type: String,
    /// Pointing party additional service information.
    #[serde(default)]
    pub pointing_additional_information: Vec<String>,
    /// Pointed party service type.
    pub pointed_service_type: String,
    /// Equivalence status URI.
    pub status: String,
    /// RFC 3339.
    pub status_starting_time: String,
    /// (pointing status, pointed status) pairs that are valid.
    #[serde(default)]
    pub valid_statuses: Vec<[String; 2]>,
}

/// One `TrustServiceProvider`.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderDescription {
    /// `TSPName`.
    pub name: Names,
    /// `TSPTradeName` values (e.g. `VATBE-0123456789`, `NTRJP-1234567890123`).
    #[serde(default)]
    pub trade_names: Vec<String>,
    /// `TSPInformationURI`.
    pub information_uri: String,
    /// Services.
    pub service: Vec<ServiceDescription>,
}

/// One `TSPService` (current information and history).
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceDescription {
    /// `ServiceTypeIdentifier`.
    pub service_type: String,
    /// `ServiceName`.
    pub name: Names,
    /// Certificates of the service (CA or TSA certificates).
    pub certificates: Vec<String>,
    /// `ServiceStatus` URI.
    pub status: String,
    /// `StatusStartingTime`, RFC 3339.
    pub status_starting_time: String,
    /// `AdditionalServiceInformation` URIs.
    #[serde(default)]
    pub additional_information: Vec<String>,
    /// `Qualifications` extension entries.
    #[serde(default)]
    pub qualification: Vec<QualificationDescription>,
    /// Earlier states, newest first: status and start time, same identity.
    #[serde(default)]
    pub history: Vec<HistoryDescription>,
}

/// A `ServiceHistoryInstance`.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryDescription {
    /// Status URI.
    pub status: String,
    /// RFC 3339.
    pub status_starting_time: String,
}

/// A `QualificationElement` with a `CriteriaList assert="atLeastOne"` of policy sets.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct QualificationDescription {
    /// Qualifier URIs.
    pub qualifiers: Vec<String>,
    /// Policy OIDs, each its own `PolicySet` (any one matches).
    #[serde(default)]
    pub policies: Vec<String>,
    /// Key usage bits required to be set.
    #[serde(default)]
    pub key_usage: Vec<String>,
}

/// An authorised university in the JPlist.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct UniversityDescription {
    /// Name (`ja` and `en`).
    pub name: Names,
    /// 法人番号, 13 digits with check digit.
    pub corporate_number: String,
    /// MEXT 学校コード (13 characters, e.g. `F113110102700`).
    pub school_code: String,
    /// Website.
    pub information_uri: String,
    /// Certificates of the university's credential-sealing keys.
    pub certificates: Vec<String>,
    /// Status URI (default: granted under the JP scheme).
    #[serde(default)]
    pub status: Option<String>,
    /// RFC 3339.
    pub status_starting_time: String,
}

/// Signature algorithms [`ListSigner`]s may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ListSignatureAlgorithm {
    /// ECDSA P-256 with SHA-256, signature `r || s`.
    EcdsaP256Sha256,
    /// ECDSA P-384 with SHA-384, signature `r || s`.
    EcdsaP384Sha384,
}

impl ListSignatureAlgorithm {
    fn uri(self) -> &'static str {
        match self {
            Self::EcdsaP256Sha256 => "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
            Self::EcdsaP384Sha384 => "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
        }
    }

    fn kryptering(self) -> kryptering::SignatureAlgorithm {
        use kryptering::{EcCurve, HashAlgorithm, SignatureAlgorithm as S};
        match self {
            Self::EcdsaP256Sha256 => S::Ecdsa(EcCurve::P256, HashAlgorithm::Sha256),
            Self::EcdsaP384Sha384 => S::Ecdsa(EcCurve::P384, HashAlgorithm::Sha384),
        }
    }
}

/// The scheme operator's signing key, held by the caller (software key, HSM, remote sealing).
pub trait ListSigner: Send + Sync {
    /// The algorithm of [`ListSigner::sign`].
    fn algorithm(&self) -> ListSignatureAlgorithm;
    /// DER of the signer certificate, embedded in `ds:KeyInfo`.
    fn certificate_der(&self) -> &[u8];
    /// Signs `message` (the canonical `SignedInfo`).
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, String>;
}

struct SignerHook(Arc<dyn ListSigner>);

impl kryptering::Signer for SignerHook {
    fn algorithm(&self) -> kryptering::SignatureAlgorithm {
        self.0.algorithm().kryptering()
    }

    fn sign(&self, data: &[u8]) -> kryptering::Result<Vec<u8>> {
        self.0.sign(data).map_err(kryptering::Error::Crypto)
    }
}

/// Builds the list described, resolving certificate references with `resolve` (reference →
/// DER), and signs it with `signer` at `signing_time`.
pub fn publish(
    description: &ListDescription,
    resolve: &mut dyn FnMut(&str) -> Result<Vec<u8>, String>,
    signer: Arc<dyn ListSigner>,
    signing_time: UnixTime,
) -> Result<String, TrustError> {
    let template = build_template(description, resolve, signer.as_ref(), signing_time)?;
    let mut ctx = bergshamra::DsigContext::new_permissive(bergshamra::KeysManager::new());
    ctx.hsm_signer = Some(Box::new(SignerHook(signer)));
    bergshamra::sign(&ctx, &template).map_err(|e| TrustError::Publish(format!("signing: {e}")))
}

fn build_template(
    d: &ListDescription,
    resolve: &mut dyn FnMut(&str) -> Result<Vec<u8>, String>,
    signer: &dyn ListSigner,
    signing_time: UnixTime,
) -> Result<String, TrustError> {
    let time = |v: &str, what: &str| {
        UnixTime::parse_rfc3339(v).map_err(|e| TrustError::Publish(format!("{what}: {e}")))
    };
    let issue = time(&d.issue_date, "issue_date")?;
    let next = time(&d.next_update, "next_update")?;
    if next <= issue {
        return Err(TrustError::Publish(
            "next_update must be after issue_date".into(),
        ));
    }
    if d.kind == ListKind::Lotl && !d.provider.is_empty() {
        return Err(TrustError::Publish(
            "a list of lists has pointers, not providers".into(),
        ));
    }
    if d.kind != ListKind::Jplist && !d.university.is_empty() {
        return Err(TrustError::Publish(
            "universities belong in a jplist".into(),
        ));
    }
    let mut resolver = Resolver { inner: resolve };
    let id = format!("tsl-{}-{}", xml_id(&d.territory), d.sequence_number);
    let (tsl_type, approach, rules): (&str, &str, Vec<String>) = match d.kind {
        ListKind::Lotl => (
            uri::TSL_TYPE_EU_LOTL,
            "http://uri.etsi.org/TrstSvc/TrustedList/StatusDetn/EUlistofthelists",
            vec!["http://uri.etsi.org/TrstSvc/TrustedList/schemerules/EUlistofthelists".into()],
        ),
        ListKind::Eu => (
            uri::TSL_TYPE_EU_GENERIC,
            "http://uri.etsi.org/TrstSvc/TrustedList/StatusDetn/EUappropriate",
            vec![
                "http://uri.etsi.org/TrstSvc/TrustedList/schemerules/EUcommon".into(),
                format!(
                    "http://uri.etsi.org/TrstSvc/TrustedList/schemerules/{}",
                    d.territory
                ),
            ],
        ),
        ListKind::Jplist => (
            jp::TSL_TYPE_JPLIST,
            jp::STATUS_DETERMINATION_JP,
            vec![jp::SCHEME_RULES_JP.into()],
        ),
    };
    let mut x = String::with_capacity(16 * 1024);
    let _ = write!(
        x,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<TrustServiceStatusList xmlns=\"{NS_TSL}\" \
         xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" xmlns:xades=\"{NS_XADES}\" \
         xmlns:tslx=\"{NS_ECC}\" xmlns:tie=\"{NS_ADDITIONAL_TYPES}\" xmlns:mra=\"{NS_MRA}\" \
         Id=\"{id}\" TSLTag=\"http://uri.etsi.org/19612/TSLTag\">\n<SchemeInformation>\
         <TSLVersionIdentifier>5</TSLVersionIdentifier><TSLSequenceNumber>{}</TSLSequenceNumber>\
         <TSLType>{}</TSLType>",
        d.sequence_number,
        esc(tsl_type)
    );
    names(&mut x, "SchemeOperatorName", "Name", &d.operator_name)?;
    names(&mut x, "SchemeName", "Name", &d.scheme_name)?;
    if let Some(u) = &d.information_uri {
        let _ = write!(
            x,
            "<SchemeInformationURI><URI xml:lang=\"en\">{}</URI></SchemeInformationURI>",
            esc(u)
        );
    }
    let _ = write!(
        x,
        "<StatusDeterminationApproach>{}</StatusDeterminationApproach><SchemeTypeCommunityRules>",
        esc(approach)
    );
    for r in &rules {
        let _ = write!(x, "<URI xml:lang=\"en\">{}</URI>", esc(r));
    }
    let _ = write!(
        x,
        "</SchemeTypeCommunityRules><SchemeTerritory>{}</SchemeTerritory>\
         <HistoricalInformationPeriod>65535</HistoricalInformationPeriod>",
        esc(&d.territory)
    );
    if !d.pointer.is_empty() {
        x.push_str("<PointersToOtherTSL>");
        for p in &d.pointer {
            x.push_str("<OtherTSLPointer><ServiceDigitalIdentities>");
            for der in resolver.all(&p.certificates)? {
                let _ = write!(
                    x,
                    "<ServiceDigitalIdentity><DigitalId><X509Certificate>{}</X509Certificate></DigitalId></ServiceDigitalIdentity>",
                    b64(&der)
                );
            }
            let _ = write!(
                x,
                "</ServiceDigitalIdentities><TSLLocation>{}</TSLLocation><AdditionalInformation>\
                 <OtherInformation><TSLType>{}</TSLType></OtherInformation>\
                 <OtherInformation><SchemeTerritory>{}</SchemeTerritory></OtherInformation>\
                 <OtherInformation><tie:MimeType>{}</tie:MimeType></OtherInformation>",
                esc(&p.location),
                esc(&p.tsl_type),
                esc(&p.territory),
                esc(p.mime_type.as_deref().unwrap_or(uri::MIME_TSL_XML))
            );
            if !p.operator_name.is_empty() {
                x.push_str("<OtherInformation>");
                names(&mut x, "SchemeOperatorName", "Name", &p.operator_name)?;
                x.push_str("</OtherInformation>");
            }
            if let Some(m) = &p.mra {
                mra(&mut x, m)?;
            }
            x.push_str("</AdditionalInformation></OtherTSLPointer>");
        }
        x.push_str("</PointersToOtherTSL>");
    }
    let _ = write!(
        x,
        "<ListIssueDateTime>{issue}</ListIssueDateTime><NextUpdate><dateTime>{next}</dateTime></NextUpdate>"
    );
    if !d.distribution_points.is_empty() {
        x.push_str("<DistributionPoints>");
        for p in &d.distribution_points {
            let _ = write!(x, "<URI>{}</URI>", esc(p));
        }
        x.push_str("</DistributionPoints>");
    }
    x.push_str("</SchemeInformation>\n");
    if !d.provider.is_empty() || !d.university.is_empty() {
        x.push_str("<TrustServiceProviderList>\n");
        for p in &d.provider {
            provider(
                &mut x,
                &p.name,
                &p.trade_names,
                &p.information_uri,
                &p.service,
                &mut resolver,
            )?;
        }
        for u in &d.university {
            jp::CorporateNumber::parse(&u.corporate_number)?;
            jp::SchoolCode::parse(&u.school_code)?;
            let service = ServiceDescription {
                service_type: jp::SVC_ACADEMIC_ISSUER.into(),
                name: u.name.clone(),
                certificates: u.certificates.clone(),
                status: u
                    .status
                    .clone()
                    .unwrap_or_else(|| jp::STATUS_GRANTED.into()),
                status_starting_time: u.status_starting_time.clone(),
                additional_information: Vec::new(),
                qualification: Vec::new(),
                history: Vec::new(),
            };
            let trade = vec![
                format!("NTRJP-{}", u.corporate_number),
                format!("{}{}", jp::SCHOOL_CODE_PREFIX, u.school_code),
            ];
            provider(
                &mut x,
                &u.name,
                &trade,
                &u.information_uri,
                &[service],
                &mut resolver,
            )?;
        }
        x.push_str("</TrustServiceProviderList>\n");
    }
    signature_template(&mut x, &id, signer, signing_time)?;
    x.push_str("</TrustServiceStatusList>\n");
    Ok(x)
}

/// Turns certificate references of a description into DER through the caller's resolver.
struct Resolver<'a> {
    inner: &'a mut dyn FnMut(&str) -> Result<Vec<u8>, String>,
}

impl Resolver<'_> {
    fn all(&mut self, refs: &[String]) -> Result<Vec<Vec<u8>>, TrustError> {
        refs.iter()
            .map(|r| {
                (self.inner)(r).map_err(|e| TrustError::Publish(format!("certificate {r}: {e}")))
            })
            .collect()
    }
}

fn provider(
    x: &mut String,
    name: &Names,
    trade_names: &[String],
    information_uri: &str,
    services: &[ServiceDescription],
    resolver: &mut Resolver<'_>,
) -> Result<(), TrustError> {
    x.push_str("<TrustServiceProvider><TSPInformation>");
    names(x, "TSPName", "Name", name)?;
    if !trade_names.is_empty() {
        x.push_str("<TSPTradeName>");
        for t in trade_names {
            let _ = write!(x, "<Name xml:lang=\"en\">{}</Name>", esc(t));
        }
        x.push_str("</TSPTradeName>");
    }
    let _ = write!(
        x,
        "<TSPAddress><ElectronicAddress><URI xml:lang=\"en\">{0}</URI></ElectronicAddress></TSPAddress>\
         <TSPInformationURI><URI xml:lang=\"en\">{0}</URI></TSPInformationURI></TSPInformation><TSPServices>",
        esc(information_uri)
    );
    for s in services {
        let certs = resolver.all(&s.certificates)?;
        x.push_str("<TSPService>");
        service_information(
            x,
            "ServiceInformation",
            s,
            &s.status,
            &s.status_starting_time,
            &certs,
        )?;
        if !s.history.is_empty() {
            x.push_str("<ServiceHistory>");
            for h in &s.history {
                service_information(
                    x,
                    "ServiceHistoryInstance",
                    s,
                    &h.status,
                    &h.status_starting_time,
                    &certs,
                )?;
            }
            x.push_str("</ServiceHistory>");
        }
        x.push_str("</TSPService>\n");
    }
    x.push_str("</TSPServices></TrustServiceProvider>\n");
    Ok(())
}

fn service_information(
    x: &mut String,
    element: &str,
    s: &ServiceDescription,
    status: &str,
    starting: &str,
    certs: &[Vec<u8>],
) -> Result<(), TrustError> {
    let start = UnixTime::parse_rfc3339(starting)
        .map_err(|e| TrustError::Publish(format!("status_starting_time: {e}")))?;
    let _ = write!(
        x,
        "<{element}><ServiceTypeIdentifier>{}</ServiceTypeIdentifier>",
        esc(&s.service_type)
    );
    names(x, "ServiceName", "Name", &s.name)?;
    x.push_str("<ServiceDigitalIdentity>");
    for der in certs {
        let _ = write!(
            x,
            "<DigitalId><X509Certificate>{}</X509Certificate></DigitalId>",
            b64(der)
        );
    }
    let _ = write!(
        x,
        "</ServiceDigitalIdentity><ServiceStatus>{}</ServiceStatus><StatusStartingTime>{start}</StatusStartingTime>",
        esc(status)
    );
    let has_ext = !s.qualification.is_empty() || !s.additional_information.is_empty();
    // History instances repeat the extensions: status history is evaluated with them.
    if has_ext {
        x.push_str("<ServiceInformationExtensions>");
        for a in &s.additional_information {
            let _ = write!(
                x,
                "<Extension Critical=\"false\"><AdditionalServiceInformation><URI xml:lang=\"en\">{}</URI></AdditionalServiceInformation></Extension>",
                esc(a)
            );
        }
        if !s.qualification.is_empty() {
            x.push_str("<Extension Critical=\"true\"><tslx:Qualifications>");
            for q in &s.qualification {
                x.push_str("<tslx:QualificationElement><tslx:Qualifiers>");
                for u in &q.qualifiers {
                    let _ = write!(x, "<tslx:Qualifier uri=\"{}\"/>", esc(u));
                }
                x.push_str("</tslx:Qualifiers><tslx:CriteriaList assert=\"all\">");
                if !q.key_usage.is_empty() {
                    x.push_str("<tslx:KeyUsage>");
                    for k in &q.key_usage {
                        let _ = write!(
                            x,
                            "<tslx:KeyUsageBit name=\"{}\">true</tslx:KeyUsageBit>",
                            esc(k)
                        );
                    }
                    x.push_str("</tslx:KeyUsage>");
                }
                if !q.policies.is_empty() {
                    x.push_str("<tslx:CriteriaList assert=\"atLeastOne\">");
                    for p in &q.policies {
                        let _ = write!(
                            x,
                            "<tslx:PolicySet><tslx:PolicyIdentifier><xades:Identifier Qualifier=\"OIDAsURN\">urn:oid:{}</xades:Identifier></tslx:PolicyIdentifier></tslx:PolicySet>",
                            esc(p)
                        );
                    }
                    x.push_str("</tslx:CriteriaList>");
                }
                x.push_str("</tslx:CriteriaList></tslx:QualificationElement>");
            }
            x.push_str("</tslx:Qualifications></Extension>");
        }
        x.push_str("</ServiceInformationExtensions>");
    }
    let _ = write!(x, "</{element}>");
    Ok(())
}

fn mra(x: &mut String, m: &MraDescription) -> Result<(), TrustError> {
    let _ = write!(
        x,
        "<OtherInformation><mra:MutualRecognitionAgreementInformation MRADepth=\"1\" technicalType=\"1\" version=\"1\" \
         pointingContractingPartyLegislation=\"{}\" pointedContractingPartyLegislation=\"{}\">",
        esc(&m.pointing_legislation),
        esc(&m.pointed_legislation)
    );
    for e in &m.equivalence {
        let start = UnixTime::parse_rfc3339(&e.status_starting_time)
            .map_err(|err| TrustError::Publish(format!("mra status_starting_time: {err}")))?;
        let _ = write!(
            x,
            "<mra:TrustServiceEquivalenceInformation><mra:TrustServiceLegalIdentifier>{}</mra:TrustServiceLegalIdentifier>\
             <mra:TrustServiceTSLTypeEquivalenceList><mra:TrustServiceTSLTypeListPointingParty><mra:TrustServiceTSLType>\
             <ServiceTypeIdentifier>{}</ServiceTypeIdentifier>",
            esc(&e.legal_identifier),
            esc(&e.pointing_service_type)
        );
        for a in &e.pointing_additional_information {
            let _ = write!(
                x,
                "<AdditionalServiceInformation><URI xml:lang=\"en\">{}</URI></AdditionalServiceInformation>",
                esc(a)
            );
        }
        let _ = write!(
            x,
            "</mra:TrustServiceTSLType></mra:TrustServiceTSLTypeListPointingParty><mra:TrustServiceTSLTypeListPointedParty>\
             <mra:TrustServiceTSLType><ServiceTypeIdentifier>{}</ServiceTypeIdentifier></mra:TrustServiceTSLType>\
             </mra:TrustServiceTSLTypeListPointedParty></mra:TrustServiceTSLTypeEquivalenceList>\
             <mra:TrustServiceEquivalenceStatus>{}</mra:TrustServiceEquivalenceStatus>\
             <mra:TrustServiceEquivalenceStatusStartingTime>{start}</mra:TrustServiceEquivalenceStatusStartingTime>\
             <mra:TrustServiceTSLStatusEquivalenceList>",
            esc(&e.pointed_service_type),
            esc(&e.status)
        );
        for [pointing, pointed] in &e.valid_statuses {
            let _ = write!(
                x,
                "<mra:TrustServiceTSLStatusValidEquivalence><mra:TrustServiceTSLStatusListPointingParty><ServiceStatus>{}</ServiceStatus>\
                 </mra:TrustServiceTSLStatusListPointingParty><mra:TrustServiceTSLStatusListPointedParty><ServiceStatus>{}</ServiceStatus>\
                 </mra:TrustServiceTSLStatusListPointedParty></mra:TrustServiceTSLStatusValidEquivalence>",
                esc(pointing),
                esc(pointed)
            );
        }
        x.push_str(
            "</mra:TrustServiceTSLStatusEquivalenceList></mra:TrustServiceEquivalenceInformation>",
        );
    }
    x.push_str("</mra:MutualRecognitionAgreementInformation></OtherInformation>");
    Ok(())
}

fn signature_template(
    x: &mut String,
    id: &str,
    signer: &dyn ListSigner,
    signing_time: UnixTime,
) -> Result<(), TrustError> {
    let cert = signer.certificate_der();
    if cert.is_empty() {
        return Err(TrustError::Publish("the signer has no certificate".into()));
    }
    let cert_digest = b64(&sha2::Sha256::digest(cert));
    let exc = "http://www.w3.org/2001/10/xml-exc-c14n#";
    let sha256 = "http://www.w3.org/2001/04/xmlenc#sha256";
    let _ = writeln!(
        x,
        "<ds:Signature Id=\"sig-{id}\"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm=\"{exc}\"/>\
         <ds:SignatureMethod Algorithm=\"{alg}\"/>\
         <ds:Reference Id=\"ref-{id}\" URI=\"\"><ds:Transforms>\
         <ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>\
         <ds:Transform Algorithm=\"{exc}\"/></ds:Transforms><ds:DigestMethod Algorithm=\"{sha256}\"/>\
         <ds:DigestValue></ds:DigestValue></ds:Reference>\
         <ds:Reference Type=\"http://uri.etsi.org/01903#SignedProperties\" URI=\"#xades-{id}\"><ds:Transforms>\
         <ds:Transform Algorithm=\"{exc}\"/></ds:Transforms><ds:DigestMethod Algorithm=\"{sha256}\"/>\
         <ds:DigestValue></ds:DigestValue></ds:Reference></ds:SignedInfo>\
         <ds:SignatureValue></ds:SignatureValue>\
         <ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>\
         <ds:Object><xades:QualifyingProperties Target=\"#sig-{id}\"><xades:SignedProperties Id=\"xades-{id}\">\
         <xades:SignedSignatureProperties><xades:SigningTime>{signing_time}</xades:SigningTime>\
         <xades:SigningCertificateV2><xades:Cert><xades:CertDigest><ds:DigestMethod Algorithm=\"{sha256}\"/>\
         <ds:DigestValue>{cert_digest}</ds:DigestValue></xades:CertDigest></xades:Cert></xades:SigningCertificateV2>\
         </xades:SignedSignatureProperties></xades:SignedProperties></xades:QualifyingProperties></ds:Object>\
         </ds:Signature>",
        alg = signer.algorithm().uri(),
        cert = b64(cert),
    );
    Ok(())
}

fn names(x: &mut String, outer: &str, inner: &str, values: &Names) -> Result<(), TrustError> {
    if !values.contains_key("en") {
        return Err(TrustError::Publish(format!(
            "{outer} needs an English (en) value"
        )));
    }
    let _ = write!(x, "<{outer}>");
    for (lang, text) in values {
        let _ = write!(
            x,
            "<{inner} xml:lang=\"{}\">{}</{inner}>",
            esc(lang),
            esc(text)
        );
    }
    let _ = write!(x, "</{outer}>");
    Ok(())
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn xml_id(s: &str) -> String {
    s.chars().filter(char::is_ascii_alphanumeric).collect()
}

/// XML text and attribute escaping.
fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            c => o.push(c),
        }
    }
    o
}
