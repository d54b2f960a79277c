//! ETSI TS 119 612 (v2.x, `TSLVersionIdentifier` 5 and 6) trusted lists: the data model and
//! its parser. Parsing checks structure only; [`crate::verify_list`] checks the signature,
//! the anchoring and the freshness.

mod model;
pub(crate) mod parse;

pub use model::*;
pub use parse::parse_list;

/// Namespace of TS 119 612 core elements.
pub const NS_TSL: &str = "http://uri.etsi.org/02231/v2#";
/// Namespace of the additional types (`MimeType`).
pub const NS_ADDITIONAL_TYPES: &str = "http://uri.etsi.org/02231/v2/additionaltypes#";
/// Namespace of the `Qualifications` extension (TS 119 612 clause 5.5.9.2).
pub const NS_ECC: &str = "http://uri.etsi.org/TrstSvc/SvcInfoExt/eSigDir-1999-93-EC-TrustedList/#";
/// Namespace of XAdES 1.3.2 (`Identifier` inside `PolicySet` and MRA criteria).
pub const NS_XADES: &str = "http://uri.etsi.org/01903/v1.3.2#";
/// Namespace of the EU LOTL Mutual Recognition Agreement extension.
pub const NS_MRA: &str = "http://ec.europa.eu/tools/lotl/mra/schema/v2#";

/// Well-known URIs of TS 119 612 and the EU LOTL.
pub mod uri {
    /// `TSLType` of the EU list of the lists.
    pub const TSL_TYPE_EU_LOTL: &str =
        "http://uri.etsi.org/TrstSvc/TrustedList/TSLType/EUlistofthelists";
    /// `TSLType` of an EU member-state list.
    pub const TSL_TYPE_EU_GENERIC: &str =
        "http://uri.etsi.org/TrstSvc/TrustedList/TSLType/EUgeneric";
    /// Prefix of status URIs of TS 119 612.
    pub const STATUS_PREFIX: &str = "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/";
    /// Status: qualified service granted (eIDAS).
    pub const STATUS_GRANTED: &str = "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/granted";
    /// Status: withdrawn.
    pub const STATUS_WITHDRAWN: &str =
        "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/withdrawn";
    /// Status: recognised at national level (non-qualified services).
    pub const STATUS_RECOGNISED_AT_NATIONAL_LEVEL: &str =
        "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/recognisedatnationallevel";
    /// Status: deprecated at national level.
    pub const STATUS_DEPRECATED_AT_NATIONAL_LEVEL: &str =
        "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/deprecatedatnationallevel";
    /// Pre-eIDAS status: accredited.
    pub const STATUS_ACCREDITED: &str =
        "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/accredited";
    /// Pre-eIDAS status: under supervision.
    pub const STATUS_UNDER_SUPERVISION: &str =
        "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/undersupervision";
    /// Service type: CA issuing qualified certificates.
    pub const SVC_CA_QC: &str = "http://uri.etsi.org/TrstSvc/Svctype/CA/QC";
    /// Service type: qualified time-stamping authority.
    pub const SVC_TSA_QTST: &str = "http://uri.etsi.org/TrstSvc/Svctype/TSA/QTST";
    /// Additional service information: for electronic seals.
    pub const ASI_FOR_ESEALS: &str = "http://uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt/ForeSeals";
    /// Additional service information: for electronic signatures.
    pub const ASI_FOR_ESIGNATURES: &str =
        "http://uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt/ForeSignatures";
    /// Additional service information: for website authentication.
    pub const ASI_FOR_WEBSITE_AUTHENTICATION: &str =
        "http://uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt/ForWebSiteAuthentication";
    /// MIME type of an XML trusted list.
    pub const MIME_TSL_XML: &str = "application/vnd.etsi.tsl+xml";
}
