//! The TS 119 612 data model, as parsed. Field names follow the element names of the standard.

use kakehashi_core::UnixTime;

/// A value in one language (`xml:lang`), as TS 119 612 multilingual strings and URIs are.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LangString {
    /// The `xml:lang` value, empty when absent.
    pub lang: String,
    /// The text.
    pub text: String,
}

/// A multilingual value: `Name` elements of `SchemeOperatorName`, `TSPName`, `ServiceName` ….
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct LangStrings(pub Vec<LangString>);

impl LangStrings {
    /// The English value if present, else the first; lists must carry English (TS 119 612 5.1.4).
    pub fn preferred(&self) -> Option<&str> {
        self.in_lang("en")
            .or_else(|| self.0.first().map(|s| s.text.as_str()))
    }

    /// The value in `lang` (case-insensitive), if any.
    pub fn in_lang(&self, lang: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|s| s.lang.eq_ignore_ascii_case(lang))
            .map(|s| s.text.as_str())
    }

    /// True when there is no value in any language.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A parsed `TrustServiceStatusList`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TrustedList {
    /// `Id` of the root element, the target of `#id` signature references.
    pub id: Option<String>,
    /// `SchemeInformation`.
    pub scheme: SchemeInformation,
    /// `TrustServiceProviderList`; empty for a list of lists.
    pub providers: Vec<TrustServiceProvider>,
}

impl TrustedList {
    /// Number of services, current entries only (history instances not counted).
    pub fn service_count(&self) -> usize {
        self.providers.iter().map(|p| p.services.len()).sum()
    }

    /// Every service with its provider, in document order.
    pub fn services(&self) -> impl Iterator<Item = (&TrustServiceProvider, &TrustService)> {
        self.providers
            .iter()
            .flat_map(|p| p.services.iter().map(move |s| (p, s)))
    }

    /// True for a list of lists (EU LOTL, or a list whose type ends in `listofthelists`).
    pub fn is_list_of_lists(&self) -> bool {
        self.scheme.tsl_type.ends_with("listofthelists")
    }
}

/// `SchemeInformation` (TS 119 612 clause 5.3).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SchemeInformation {
    /// `TSLVersionIdentifier`: 5 (v2.1/v2.2) or 6 (v2.3+); 3 for older national lists.
    pub version: u32,
    /// `TSLSequenceNumber`, incremented on every issue.
    pub sequence_number: u64,
    /// `TSLType` URI.
    pub tsl_type: String,
    /// `SchemeOperatorName`.
    pub operator_name: LangStrings,
    /// `SchemeName`.
    pub scheme_name: LangStrings,
    /// `SchemeInformationURI`.
    pub information_uris: LangStrings,
    /// `StatusDeterminationApproach` URI.
    pub status_determination_approach: Option<String>,
    /// `SchemeTypeCommunityRules` URIs.
    pub community_rules: LangStrings,
    /// `SchemeTerritory` (ISO 3166-1 alpha-2, `EU`, or a scheme-specific code).
    pub territory: String,
    /// `HistoricalInformationPeriod` in days.
    pub historical_information_period: Option<u64>,
    /// `PointersToOtherTSL`.
    pub pointers: Vec<OtherTslPointer>,
    /// `ListIssueDateTime`.
    pub issue_date: UnixTime,
    /// `NextUpdate/dateTime`; `None` for a closed list.
    pub next_update: Option<UnixTime>,
    /// `DistributionPoints` URIs.
    pub distribution_points: Vec<String>,
}

/// `OtherTSLPointer`: where another list lives and which certificates may sign it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OtherTslPointer {
    /// `TSLLocation`.
    pub location: String,
    /// `ServiceDigitalIdentities`: the identities allowed to sign the pointed-to list.
    pub identities: Vec<DigitalIdentity>,
    /// `TSLType` of the pointed-to list.
    pub tsl_type: Option<String>,
    /// `SchemeTerritory` of the pointed-to list.
    pub territory: Option<String>,
    /// `SchemeOperatorName` of the pointed-to list.
    pub operator_name: LangStrings,
    /// `SchemeTypeCommunityRules` of the pointed-to list.
    pub community_rules: LangStrings,
    /// `MimeType` (additional types), e.g. `application/vnd.etsi.tsl+xml`.
    pub mime_type: Option<String>,
    /// The EU LOTL Mutual Recognition Agreement information, for third-country pointers.
    pub mutual_recognition: Option<MutualRecognition>,
}

impl OtherTslPointer {
    /// DER of every `X509Certificate` identity.
    pub fn certificates(&self) -> impl Iterator<Item = &[u8]> {
        self.identities.iter().filter_map(|i| match i {
            DigitalIdentity::Certificate(der) => Some(der.as_slice()),
            _ => None,
        })
    }
}

/// `DigitalId` (TS 119 612 clause 5.5.3).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DigitalIdentity {
    /// `X509Certificate`, DER.
    Certificate(Vec<u8>),
    /// `X509SubjectName`, as written (RFC 4514-like string).
    SubjectName(String),
    /// `X509SKI`, the subject key identifier bytes.
    SubjectKeyIdentifier(Vec<u8>),
    /// `KeyValue` or `Other`: kept as the element name, not used for matching.
    Unsupported(String),
}

/// `TrustServiceProvider`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TrustServiceProvider {
    /// `TSPName`.
    pub name: LangStrings,
    /// `TSPTradeName`: for legal persons includes the registration identifier (`VATBE-…`,
    /// `NTRJP-…`).
    pub trade_names: LangStrings,
    /// `TSPInformationURI`.
    pub information_uris: LangStrings,
    /// `TSPServices`.
    pub services: Vec<TrustService>,
}

/// `TSPService`: the current information and its history.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TrustService {
    /// `ServiceInformation`, the current state.
    pub current: ServiceInformation,
    /// `ServiceHistory/ServiceHistoryInstance`, newest first as lists write them.
    pub history: Vec<ServiceInformation>,
}

impl TrustService {
    /// The service information in force at `at`: the current one if its status started at or
    /// before `at`, else the newest history instance whose status started at or before `at`.
    /// `None` when `at` precedes every known status.
    pub fn state_at(&self, at: UnixTime) -> Option<&ServiceInformation> {
        std::iter::once(&self.current)
            .chain(self.history.iter())
            .filter(|s| s.status_starting_time <= at)
            .max_by_key(|s| s.status_starting_time)
    }

    /// Every certificate identity of the current state and of every history instance.
    pub fn all_certificates(&self) -> impl Iterator<Item = &[u8]> {
        std::iter::once(&self.current)
            .chain(self.history.iter())
            .flat_map(|s| s.certificates())
    }
}

/// `ServiceInformation` or a `ServiceHistoryInstance` (same fields).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServiceInformation {
    /// `ServiceTypeIdentifier` URI.
    pub service_type: String,
    /// `ServiceName`.
    pub name: LangStrings,
    /// `ServiceDigitalIdentity/DigitalId`.
    pub identities: Vec<DigitalIdentity>,
    /// `ServiceStatus` URI.
    pub status: String,
    /// `StatusStartingTime`.
    pub status_starting_time: UnixTime,
    /// `Qualifications` extensions (clause 5.5.9.2).
    pub qualifications: Vec<QualificationElement>,
    /// `AdditionalServiceInformation/URI` values (`ForeSeals`, `ForeSignatures`, …).
    pub additional_information: Vec<String>,
    /// Names of extensions marked `Critical="true"` that this parser does not understand.
    /// TS 119 612 requires a relying party to reject the service then.
    pub unknown_critical_extensions: Vec<String>,
}

impl ServiceInformation {
    /// DER of every `X509Certificate` identity.
    pub fn certificates(&self) -> impl Iterator<Item = &[u8]> {
        self.identities.iter().filter_map(|i| match i {
            DigitalIdentity::Certificate(der) => Some(der.as_slice()),
            _ => None,
        })
    }

    /// The service name for messages.
    pub fn display_name(&self) -> &str {
        self.name.preferred().unwrap_or("(unnamed service)")
    }

    /// True when the `AdditionalServiceInformation` lists `uri`.
    pub fn has_additional_information(&self, uri: &str) -> bool {
        self.additional_information.iter().any(|u| u == uri)
    }
}

/// `QualificationElement`: qualifiers that apply to certificates matching the criteria.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct QualificationElement {
    /// `Qualifiers/Qualifier/@uri` (`QCWithSSCD`, `QCForESeal`, `QCStatement`, …).
    pub qualifiers: Vec<String>,
    /// `CriteriaList`.
    pub criteria: CriteriaList,
}

/// How the criteria of a list combine (`assert` attribute).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum CriteriaAssert {
    /// Every criterion must match.
    All,
    /// At least one criterion must match.
    AtLeastOne,
    /// No criterion may match.
    None,
}

/// `CriteriaList` (clause 5.5.9.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CriteriaList {
    /// `assert`.
    pub assert: CriteriaAssert,
    /// `KeyUsage` criteria: each a set of `(bit name, value)` that must all hold.
    pub key_usage: Vec<Vec<(String, bool)>>,
    /// `PolicySet` criteria: each a set of policy OIDs that must all be present.
    pub policy_sets: Vec<Vec<String>>,
    /// `otherCriteriaList/ExtendedKeyUsage`: each a set of EKU OIDs that must all be present.
    pub extended_key_usage: Vec<Vec<String>>,
    /// `otherCriteriaList/CertSubjectDNAttribute`: each a set of attribute OIDs.
    pub subject_dn_attributes: Vec<Vec<String>>,
    /// Nested `CriteriaList`s.
    pub nested: Vec<CriteriaList>,
}

/// Facts about a certificate that qualification criteria are evaluated against.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CertificateFacts {
    /// Key usage bits set, by TS 119 612 name (`digitalSignature`, `nonRepudiation`, …).
    pub key_usage: Vec<String>,
    /// Certificate policy OIDs.
    pub policies: Vec<String>,
    /// Extended key usage OIDs.
    pub extended_key_usage: Vec<String>,
    /// Subject DN attribute type OIDs.
    pub subject_attributes: Vec<String>,
}

impl CriteriaList {
    /// Evaluates the criteria; depth-bounded by the parser's `max_criteria_depth`.
    pub fn matches(&self, cert: &CertificateFacts) -> bool {
        let mut results = Vec::new();
        for ku in &self.key_usage {
            results.push(
                ku.iter()
                    .all(|(bit, value)| cert.key_usage.iter().any(|b| b == bit) == *value),
            );
        }
        for set in &self.policy_sets {
            results.push(set.iter().all(|p| cert.policies.contains(p)));
        }
        for set in &self.extended_key_usage {
            results.push(set.iter().all(|p| cert.extended_key_usage.contains(p)));
        }
        for set in &self.subject_dn_attributes {
            results.push(set.iter().all(|p| cert.subject_attributes.contains(p)));
        }
        for nested in &self.nested {
            results.push(nested.matches(cert));
        }
        match self.assert {
            CriteriaAssert::All => results.iter().all(|r| *r),
            CriteriaAssert::AtLeastOne => results.iter().any(|r| *r),
            CriteriaAssert::None => !results.iter().any(|r| *r),
        }
    }
}

/// `MutualRecognitionAgreementInformation` of the EU LOTL (pointer to a third-country list).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MutualRecognition {
    /// `MRADepth`.
    pub depth: Option<u32>,
    /// `technicalType`.
    pub technical_type: Option<String>,
    /// `version`.
    pub version: Option<String>,
    /// `pointingContractingPartyLegislation`.
    pub pointing_legislation: Option<String>,
    /// `pointedContractingPartyLegislation`.
    pub pointed_legislation: Option<String>,
    /// `TrustServiceEquivalenceInformation` entries.
    pub equivalences: Vec<ServiceEquivalence>,
}

/// One `TrustServiceEquivalenceInformation`: which pointed-party service types count as which
/// pointing-party ones, and since when.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServiceEquivalence {
    /// `TrustServiceLegalIdentifier` (`QCForESig`, `QCForESeal`, …).
    pub legal_identifier: String,
    /// Pointing party (EU) service types with their additional service information.
    pub pointing_service_types: Vec<(String, Vec<String>)>,
    /// Pointed party (third country) service types with their additional service information.
    pub pointed_service_types: Vec<(String, Vec<String>)>,
    /// `TrustServiceEquivalenceStatus` (`…/mra/enacted`, …).
    pub status: String,
    /// `TrustServiceEquivalenceStatusStartingTime`.
    pub status_starting_time: Option<UnixTime>,
    /// Valid status equivalences: (pointing statuses, pointed statuses).
    pub valid_statuses: Vec<(Vec<String>, Vec<String>)>,
    /// Invalid status equivalences.
    pub invalid_statuses: Vec<(Vec<String>, Vec<String>)>,
    /// `CertificateContentReferenceEquivalenceContext` values (`…/mra/QcCompliance`, …).
    pub certificate_content_contexts: Vec<String>,
}
