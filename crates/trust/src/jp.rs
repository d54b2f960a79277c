//! The Japanese scheme in TS 119 612 form (`JPlist`): Kakehashi-defined URIs for accredited
//! services under Japanese law, and the identifiers of Japanese organisations.
//!
//! Japan publishes no TS 119 612 list; these URIs live under the Kakehashi namespace
//! `https://kakehashi.example/TrstSvc/` until an authority defines its own (see
//! `docs/trust/jplist.md`). They are stable: renaming one is a breaking change of the scheme.

use crate::TrustError;

/// Root of every Kakehashi-defined trust URI.
pub const NAMESPACE: &str = "https://kakehashi.example/TrstSvc/";
/// `TSLType` of the Japanese list.
pub const TSL_TYPE_JPLIST: &str = "https://kakehashi.example/TrstSvc/TrustedList/TSLType/JPlist";
/// `StatusDeterminationApproach` of the Japanese list (accreditation by the competent ministry).
pub const STATUS_DETERMINATION_JP: &str =
    "https://kakehashi.example/TrstSvc/TrustedList/StatusDetn/JPaccredited";
/// `SchemeTypeCommunityRules` of the Japanese list.
pub const SCHEME_RULES_JP: &str = "https://kakehashi.example/TrstSvc/TrustedList/schemerules/JP";

/// e-seal certification service accredited under the e-seal accreditation scheme
/// (総務省 e シール認定制度).
pub const SVC_ESEAL_CA_ACCREDITED: &str =
    "https://kakehashi.example/TrstSvc/Svctype/JP/ESealCA-Accredited";
/// Time-stamping service accredited under the time-stamp accreditation scheme
/// (総務大臣認定タイムスタンプ).
pub const SVC_TSA_ACCREDITED: &str = "https://kakehashi.example/TrstSvc/Svctype/JP/TSA-Accredited";
/// Certification business accredited under the Act on Electronic Signatures and
/// Certification Business (電子署名法 認定認証業務): certificates of natural persons.
pub const SVC_CERTIFICATION_BUSINESS_ACCREDITED: &str =
    "https://kakehashi.example/TrstSvc/Svctype/JP/CertificationBusiness-Accredited";
/// A university authorised to issue academic credentials (keyed by Corporate Number and
/// MEXT school code); its identities are the certificates of its sealing keys.
pub const SVC_ACADEMIC_ISSUER: &str =
    "https://kakehashi.example/TrstSvc/Svctype/JP/AcademicCredentialIssuer-Authorised";

/// Status: accredited (in force).
pub const STATUS_GRANTED: &str =
    "https://kakehashi.example/TrstSvc/TrustedList/Svcstatus/JP/accredited";
/// Status: accreditation withdrawn or expired.
pub const STATUS_WITHDRAWN: &str =
    "https://kakehashi.example/TrstSvc/TrustedList/Svcstatus/JP/withdrawn";
/// Status: accreditation suspended.
pub const STATUS_SUSPENDED: &str =
    "https://kakehashi.example/TrstSvc/TrustedList/Svcstatus/JP/suspended";

/// Prefix of the MEXT school code in `TSPTradeName` (the Corporate Number uses the
/// EN 319 412-1 form `NTRJP-`).
pub const SCHOOL_CODE_PREFIX: &str = "MEXTJP-";

/// Every service type URI of the JP scheme.
pub const SERVICE_TYPES: [&str; 4] = [
    SVC_ESEAL_CA_ACCREDITED,
    SVC_TSA_ACCREDITED,
    SVC_CERTIFICATION_BUSINESS_ACCREDITED,
    SVC_ACADEMIC_ISSUER,
];
/// Every status URI of the JP scheme.
pub const STATUSES: [&str; 3] = [STATUS_GRANTED, STATUS_WITHDRAWN, STATUS_SUSPENDED];

/// Japanese label of a service type or status URI, for explanations.
pub fn label_ja(uri: &str) -> Option<&'static str> {
    Some(match uri {
        SVC_ESEAL_CA_ACCREDITED => "認定 e シール認証局",
        SVC_TSA_ACCREDITED => "認定タイムスタンプ事業者",
        SVC_CERTIFICATION_BUSINESS_ACCREDITED => "認定認証業務",
        SVC_ACADEMIC_ISSUER => "認可された大学（学位証明発行者）",
        STATUS_GRANTED => "認定",
        STATUS_WITHDRAWN => "認定取消・失効",
        STATUS_SUSPENDED => "認定停止",
        crate::tsl::uri::SVC_CA_QC => "適格証明書発行認証局（EU）",
        crate::tsl::uri::SVC_TSA_QTST => "適格タイムスタンプ（EU）",
        crate::tsl::uri::STATUS_GRANTED => "付与（EU）",
        crate::tsl::uri::STATUS_WITHDRAWN => "取消（EU）",
        _ => return None,
    })
}

/// 法人番号: the 13-digit Corporate Number assigned by the National Tax Agency. The first digit
/// is a check digit over the other twelve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CorporateNumber([u8; 13]);

impl CorporateNumber {
    /// Parses and checks the check digit: `9 - (Σ Pn·Qn mod 9)`, Pn the n-th digit from the
    /// right of the 12-digit base, Qn 1 for odd n and 2 for even n (NTA specification).
    pub fn parse(text: &str) -> Result<Self, TrustError> {
        kakehashi_core::jp::check_corporate_number(text)
            .map(CorporateNumber)
            .map_err(|_| TrustError::CorporateNumber(text.chars().take(20).collect()))
    }

    /// The 13 digits.
    pub fn as_string(&self) -> String {
        self.0.iter().map(|d| char::from(b'0' + d)).collect()
    }
}

/// MEXT 学校コード: 13 characters, a school-type letter (`F` university, `G` junior college,
/// `H` college of technology, …), establisher digit (1 national, 2 public, 3 private), a
/// two-digit prefecture code (01–47) and nine digits. The check-digit algorithm is not
/// published with the code list, so only the shape is checked.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SchoolCode(String);

impl SchoolCode {
    /// Checks the shape.
    pub fn parse(text: &str) -> Result<Self, TrustError> {
        kakehashi_core::jp::check_school_code(text)
            .map(|()| SchoolCode(text.to_owned()))
            .map_err(|why| TrustError::InvalidValue {
                element: "school code",
                reason: format!("{:?}: {why}", text.chars().take(20).collect::<String>()),
            })
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corporate_number_check_digit() {
        // National Tax Agency's own Corporate Number, published by the NTA.
        assert!(CorporateNumber::parse("7000012050002").is_ok());
        assert!(CorporateNumber::parse("8000012050002").is_err());
        assert!(CorporateNumber::parse("700001205000").is_err());
        assert!(CorporateNumber::parse("70000120500０2").is_err());
        assert_eq!(
            CorporateNumber::parse("7000012050002").unwrap().as_string(),
            "7000012050002"
        );
    }

    #[test]
    fn school_code_shape() {
        assert!(SchoolCode::parse("F113110102700").is_ok());
        assert!(SchoolCode::parse("F113110102").is_err());
        assert!(SchoolCode::parse("Z113110102700").is_err());
        assert!(SchoolCode::parse("F413110102700").is_err());
        assert!(SchoolCode::parse("F199110102700").is_err());
    }
}
