//! The single error type of the crate: every variant is a reason to reject, none is a warning.

use kakehashi_core::UnixTime;

/// Why a list, a chain or a trust decision was rejected. Every variant fails closed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TrustError {
    /// The input exceeds a size cap of [`crate::Limits`].
    #[error("input of {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge { size: usize, limit: usize },
    /// The XML could not be parsed (not well-formed, a DTD, not UTF-8, too many nodes).
    #[error("XML is not acceptable: {0}")]
    XmlMalformed(String),
    /// Well-formed XML that is not a TS 119 612 `TrustServiceStatusList`.
    #[error("not an ETSI TS 119 612 trusted list: {0}")]
    NotATrustedList(String),
    /// A mandatory element is absent.
    #[error("missing required element {0}")]
    MissingElement(&'static str),
    /// An element holds a value that does not parse.
    #[error("invalid {element}: {reason}")]
    InvalidValue {
        element: &'static str,
        reason: String,
    },
    /// A count cap of [`crate::Limits`] was hit while walking the document.
    #[error("work budget exceeded: more than {limit} {what}")]
    BudgetExceeded { what: &'static str, limit: usize },
    /// The list carries no `ds:Signature`.
    #[error("the list is not signed")]
    Unsigned,
    /// More than one `ds:Signature` in the document (possible signature wrapping).
    #[error("{count} ds:Signature elements found; exactly one enveloped signature is accepted")]
    MultipleSignatures { count: usize },
    /// The structure around the signature is not the enveloped form lists use.
    #[error("signature does not cover the document root: {0}")]
    SignatureDoesNotCoverRoot(String),
    /// The cryptographic check or a reference digest failed.
    #[error("signature invalid: {0}")]
    SignatureInvalid(String),
    /// A signature or digest algorithm outside the accepted set.
    #[error("unsupported algorithm {0}")]
    UnsupportedAlgorithm(String),
    /// The signer certificate in `ds:KeyInfo` is absent or unusable.
    #[error("signer certificate: {0}")]
    SignerCertificate(String),
    /// The signer is not a pointer certificate of the LOTL for the list's territory.
    #[error("the signer is not among the LOTL's pointer certificates for territory {territory}")]
    SignerNotInLotl { territory: String },
    /// The signer is not one of the pinned certificates.
    #[error("the signer is not one of the pinned scheme operator certificates")]
    SignerNotPinned,
    /// The LOTL has no pointer for the list's territory.
    #[error("the LOTL has no pointer to a list for territory {territory}")]
    NoLotlPointer { territory: String },
    /// The LOTL pointer followed announces another territory than the list carries.
    #[error("the LOTL pointer is for territory {pointer}, the list says {list}")]
    TerritoryMismatch { pointer: String, list: String },
    /// The LOTL has no pointer with the given location.
    #[error("the LOTL has no pointer with location {location}")]
    NoSuchPointer { location: String },
    /// The anchor given is not a list of lists.
    #[error("the anchor list is not a list of lists (TSLType {tsl_type})")]
    NotAListOfLists { tsl_type: String },
    /// `NextUpdate` (plus the configured grace) has passed.
    #[error("the list is stale: next update was due {next_update}, now is {now}")]
    Stale {
        next_update: UnixTime,
        now: UnixTime,
    },
    /// `ListIssueDateTime` is after the evaluation time.
    #[error("the list is issued in the future: {issue_date} is after {now}")]
    IssuedInFuture { issue_date: UnixTime, now: UnixTime },
    /// A closed list (empty `NextUpdate`): the scheme has ceased.
    #[error("the list is closed (empty NextUpdate): the scheme has ceased operation")]
    ClosedList,
    /// X.509 path validation failed.
    #[error("certificate chain invalid: {0}")]
    ChainInvalid(String),
    /// A certificate could not be parsed or lacks a required property.
    #[error("certificate: {0}")]
    Certificate(String),
    /// No service of the given lists has the chain's anchor as its digital identity.
    #[error("no service of the trusted lists issued this chain")]
    NoMatchingService,
    /// The issuing service was not granted/recognised at the evaluation time.
    #[error("service {service:?} had status {status} at {at}")]
    ServiceNotGranted {
        service: String,
        status: String,
        at: UnixTime,
    },
    /// The policy has no rule for what the chain resolved to.
    #[error("no policy rule for {scheme} service type {service_type} with status {status}")]
    NoPolicyRule {
        scheme: String,
        service_type: String,
        status: String,
    },
    /// A rule applied to the service but the certificate does not meet it.
    #[error("rule {rule}: {reason}")]
    RuleNotSatisfied { rule: String, reason: String },
    /// None of the lists given is verified and anchored in a scheme the policy knows.
    #[error("no anchored trusted list of a known scheme was given")]
    NoUsableList,
    /// The policy file is invalid.
    #[error("policy: {0}")]
    Policy(String),
    /// Building or signing a list failed.
    #[error("publish: {0}")]
    Publish(String),
    /// A Japanese Corporate Number (法人番号) is malformed or its check digit is wrong.
    #[error("corporate number {0:?} is not 13 digits with a valid check digit")]
    CorporateNumber(String),
}
