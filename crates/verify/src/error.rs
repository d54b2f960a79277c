//! Which check refused a presentation, with its context.

use kakehashi_academic::report::RecognitionReport;
use kakehashi_core::UnixTime;

/// The check that refused a presentation. One variant per check of the pipeline, in the
/// order they run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The format is not one this verifier accepts.
    #[error("unsupported credential format {0:?}")]
    UnsupportedFormat(String),
    /// The presentation could not be parsed.
    #[error("malformed presentation: {0}")]
    Malformed(String),
    /// The issuer's signature, the credential's structure or its validity period.
    #[error("issuer signature or credential check failed: {0}")]
    IssuerSignature(String),
    /// A Disclosure was altered, repeated or not referenced by the issuer-signed JWT.
    #[error("disclosure check failed: {0}")]
    Disclosure(String),
    /// The presentation's nonce is not the session nonce (replay of another session).
    #[error("the presentation is bound to another nonce")]
    NonceMismatch,
    /// The presentation was made for another verifier (`aud`).
    #[error("the presentation is bound to another verifier (aud {found:?})")]
    AudienceMismatch { found: String },
    /// Other holder-binding failures: missing KB-JWT, `iat` outside the window, wrong key.
    #[error("holder binding failed: {0}")]
    HolderBinding(String),
    /// The Type Metadata `sd` rules or `vct` do not hold.
    #[error("type metadata check failed: {0}")]
    TypeMetadata(String),
    /// The credential names no status list: revocation cannot be checked.
    #[error("the credential names no status list; revocation cannot be checked")]
    NoStatus,
    /// The status list named by the credential was not supplied.
    #[error("status list {url} was not fetched")]
    StatusListMissing { url: String },
    /// The status list could not be verified or read.
    #[error("status list {url}: {reason}")]
    StatusList { url: String, reason: String },
    /// The credential was revoked.
    #[error("the credential is revoked ({url})")]
    Revoked { url: String },
    /// The credential is suspended or has a non-valid status.
    #[error("the credential is not valid: status {status} ({url})")]
    NotValidStatus { url: String, status: String },
    /// The issuer-signed token carries no `x5c` chain to evaluate.
    #[error("the credential carries no x5c certificate chain")]
    NoCertificateChain,
    /// A trusted list is past its `NextUpdate`: fail closed until it is refreshed.
    #[error("trusted list {list} is stale (NextUpdate {next_update}, now {now})")]
    StaleTrustedList {
        list: String,
        next_update: UnixTime,
        now: UnixTime,
    },
    /// The chain does not lead to a service of a loaded list under the recognition policy.
    #[error("issuer not trusted: {0}")]
    Untrusted(String),
    /// The sealing organisation is not an authorised university, or is not the awarding body.
    #[error("issuer not authorised: {0}")]
    NotAuthorised(String),
    /// The credential does not carry a diploma of a known profile.
    #[error("academic content: {0}")]
    Academic(String),
}

impl VerifyError {
    /// A stable machine-readable name of the failed check.
    pub fn check(&self) -> &'static str {
        match self {
            Self::UnsupportedFormat(_) => "format",
            Self::Malformed(_) => "parse",
            Self::IssuerSignature(_) => "issuer_signature",
            Self::Disclosure(_) => "disclosure",
            Self::NonceMismatch => "nonce",
            Self::AudienceMismatch { .. } => "audience",
            Self::HolderBinding(_) => "holder_binding",
            Self::TypeMetadata(_) => "type_metadata",
            Self::NoStatus | Self::StatusListMissing { .. } | Self::StatusList { .. } => {
                "status_list"
            }
            Self::Revoked { .. } => "revoked",
            Self::NotValidStatus { .. } => "status",
            Self::NoCertificateChain | Self::Untrusted(_) => "trust",
            Self::StaleTrustedList { .. } => "trusted_list_stale",
            Self::NotAuthorised(_) => "authorisation",
            Self::Academic(_) => "academic",
        }
    }
}

/// A refused presentation: the failed check, and the recognition report when the credential
/// was read far enough to describe it (its `verified` is false and its findings say why).
#[derive(Debug, Clone, PartialEq)]
pub struct Rejection {
    /// The check that failed.
    pub error: VerifyError,
    /// The report of the failed credential, when its signature verified.
    pub report: Option<Box<RecognitionReport>>,
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

impl std::error::Error for Rejection {}

impl From<VerifyError> for Rejection {
    fn from(error: VerifyError) -> Self {
        Self {
            error,
            report: None,
        }
    }
}
