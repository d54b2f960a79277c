//! `verify_list`: parse, check the signature, anchor the signer, check freshness.

use kakehashi_core::UnixTime;
use sha2::Digest as _;
use x509_cert::certificate::{CertificateInner, Raw};
use x509_cert::der::Decode as _;

use crate::signature::{SignatureInfo, SignerCertificate, verify_enveloped};
use crate::tsl::parse::{list_from_document, parse_document, xml_text};
use crate::tsl::{TrustedList, uri};
use crate::{Limits, TrustError};

/// Largest grace period after `NextUpdate` a caller may configure: 7 days. A list past its
/// `NextUpdate` may have been replaced by one that withdraws a service; longer grace would
/// let a stale copy mask that.
pub const MAX_GRACE_PERIOD_SECONDS: i64 = 7 * 86_400;

/// What the list's signer must chain to.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum ListAnchors<'a> {
    /// A member-state (or third-country) list: the signer must be one of the certificates the
    /// verified list of lists publishes in its pointer for the list's territory.
    Lotl(&'a VerifiedTrustedList),
    /// The list was fetched from this `TSLLocation` of the verified list of lists: the signer
    /// must be one of that pointer's certificates and the territories must agree. This is how
    /// a fetcher following pointers (including third-country MRA pointers) anchors a list.
    LotlPointer {
        /// The verified list of lists.
        lotl: &'a VerifiedTrustedList,
        /// The `TSLLocation` the list was fetched from.
        location: &'a str,
    },
    /// The signer certificate's SHA-256 must be one of these (a LOTL signer announced in the
    /// Official Journal, the JPlist operator's certificate).
    PinnedSha256(&'a [[u8; 32]]),
    /// Cryptographic check only. The result is [`Anchoring::Unanchored`] and cannot anchor a
    /// trust decision; for inspection tools.
    DangerousUnanchored,
}

/// How the signer of a verified list was anchored.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Anchoring {
    /// Signer is a LOTL pointer certificate for the territory.
    Lotl {
        /// Territory of the LOTL (`EU`).
        lotl_territory: String,
        /// Sequence number of the LOTL used.
        lotl_sequence_number: u64,
        /// Whether the LOTL itself was anchored (pinned), so the chain reaches a pinned root.
        lotl_anchored: bool,
    },
    /// Signer pinned by fingerprint.
    Pinned,
    /// Not anchored.
    Unanchored,
}

impl Anchoring {
    /// True when the chain of anchors ends at a pinned certificate.
    pub fn is_anchored(&self) -> bool {
        match self {
            Anchoring::Lotl { lotl_anchored, .. } => *lotl_anchored,
            Anchoring::Pinned => true,
            Anchoring::Unanchored => false,
        }
    }
}

/// Options for [`verify_list_with`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifyOptions {
    /// Size caps.
    pub limits: Limits,
    /// Seconds a list stays usable after `NextUpdate`; clamped to
    /// [`MAX_GRACE_PERIOD_SECONDS`]. Default 0.
    pub grace_period_seconds: i64,
}

impl VerifyOptions {
    /// Sets the grace period after `NextUpdate`, clamped to [`MAX_GRACE_PERIOD_SECONDS`].
    pub fn with_grace_period(mut self, seconds: i64) -> Self {
        self.grace_period_seconds = seconds.clamp(0, MAX_GRACE_PERIOD_SECONDS);
        self
    }

    /// Sets the size caps.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }
}

/// A list whose signature, anchoring and freshness were checked at `verified_at`. Only
/// [`verify_list`] builds one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedTrustedList {
    list: TrustedList,
    signature: SignatureInfo,
    anchoring: Anchoring,
    verified_at: UnixTime,
    content_sha256: [u8; 32],
}

impl VerifiedTrustedList {
    /// The parsed list.
    pub fn list(&self) -> &TrustedList {
        &self.list
    }

    /// Signature details.
    pub fn signature(&self) -> &SignatureInfo {
        &self.signature
    }

    /// The signer certificate.
    pub fn signer(&self) -> &SignerCertificate {
        &self.signature.signer
    }

    /// How the signer was anchored.
    pub fn anchoring(&self) -> &Anchoring {
        &self.anchoring
    }

    /// The time the freshness check used.
    pub fn verified_at(&self) -> UnixTime {
        self.verified_at
    }

    /// SHA-256 of the signed document as verified: identifies this list's content, so caches
    /// of decisions taken against it can tell a reloaded, changed list from the same one.
    pub fn content_sha256(&self) -> [u8; 32] {
        self.content_sha256
    }

    /// The list's `NextUpdate` when `now` is past it by more than `grace_seconds`: decisions
    /// taken with the list must then fail closed (a withdrawn service could be hidden).
    pub fn stale_at(&self, now: UnixTime, grace_seconds: i64) -> Option<UnixTime> {
        self.list
            .scheme
            .next_update
            .filter(|next| now > next.saturating_add(grace_seconds))
    }

    /// `SchemeTerritory`.
    pub fn territory(&self) -> &str {
        &self.list.scheme.territory
    }

    /// `TSLSequenceNumber`.
    pub fn sequence_number(&self) -> u64 {
        self.list.scheme.sequence_number
    }

    /// One line for explanations: territory, sequence number, issue date, signer.
    pub fn describe(&self) -> String {
        format!(
            "{} list seq {} issued {} (next update {}), signed by {} [sha256 {}], {}",
            self.territory(),
            self.sequence_number(),
            self.list.scheme.issue_date,
            self.list
                .scheme
                .next_update
                .map_or_else(|| "none".to_owned(), |t| t.to_string()),
            self.signer().subject(),
            self.signer().sha256_hex(),
            match &self.anchoring {
                Anchoring::Lotl {
                    lotl_territory,
                    lotl_sequence_number,
                    ..
                } => format!("anchored in the {lotl_territory} LOTL seq {lotl_sequence_number}"),
                Anchoring::Pinned => "signer pinned".to_owned(),
                Anchoring::Unanchored => "NOT anchored".to_owned(),
            }
        )
    }
}

/// Verifies a list with default options. See [`verify_list_with`].
pub fn verify_list(
    bytes: &[u8],
    anchors: ListAnchors<'_>,
    now: UnixTime,
) -> Result<VerifiedTrustedList, TrustError> {
    verify_list_with(bytes, anchors, now, &VerifyOptions::default())
}

/// Parses `bytes`, verifies the enveloped signature (signer certificate valid at
/// `ListIssueDateTime`, because list signers routinely expire while their lists stay
/// archived), anchors the signer per `anchors`, and checks that `now` lies between
/// `ListIssueDateTime` and `NextUpdate` (+ grace).
pub fn verify_list_with(
    bytes: &[u8],
    anchors: ListAnchors<'_>,
    now: UnixTime,
    options: &VerifyOptions,
) -> Result<VerifiedTrustedList, TrustError> {
    let limits = &options.limits;
    let text = xml_text(bytes, limits)?;
    let doc = parse_document(text, limits)?;
    // The signature first: nothing of an unsigned or altered document is interpreted.
    let signature = verify_enveloped(text, &doc, limits)?;
    let list = list_from_document(&doc, limits)?;
    let content_sha256 = sha2::Sha256::digest(text.as_bytes()).into();
    anchor_and_check(list, signature, content_sha256, anchors, now, options)
}

/// The checks after the signature, shared by XML lists and LoTEs: signer validity at
/// `ListIssueDateTime`, anchoring, freshness.
pub(crate) fn anchor_and_check(
    list: TrustedList,
    signature: SignatureInfo,
    content_sha256: [u8; 32],
    anchors: ListAnchors<'_>,
    now: UnixTime,
    options: &VerifyOptions,
) -> Result<VerifiedTrustedList, TrustError> {
    let issue_date = list.scheme.issue_date;
    check_validity_at(signature.signer.der(), issue_date)?;

    let anchoring = match anchors {
        ListAnchors::Lotl(lotl) => {
            if !lotl.list.is_list_of_lists() {
                return Err(TrustError::NotAListOfLists {
                    tsl_type: lotl.list.scheme.tsl_type.clone(),
                });
            }
            let territory = &list.scheme.territory;
            let mut pointers = lotl
                .list
                .scheme
                .pointers
                .iter()
                .filter(|p| p.territory.as_deref() == Some(territory.as_str()))
                .filter(|p| {
                    p.mime_type
                        .as_deref()
                        .is_none_or(|m| m == uri::MIME_TSL_XML)
                })
                .peekable();
            if pointers.peek().is_none() {
                return Err(TrustError::NoLotlPointer {
                    territory: territory.clone(),
                });
            }
            let signer = signature.signer.der();
            if !pointers.any(|p| p.certificates().any(|c| c == signer)) {
                return Err(TrustError::SignerNotInLotl {
                    territory: territory.clone(),
                });
            }
            Anchoring::Lotl {
                lotl_territory: lotl.territory().to_owned(),
                lotl_sequence_number: lotl.sequence_number(),
                lotl_anchored: lotl.anchoring.is_anchored(),
            }
        }
        ListAnchors::LotlPointer { lotl, location } => {
            if !lotl.list.is_list_of_lists() {
                return Err(TrustError::NotAListOfLists {
                    tsl_type: lotl.list.scheme.tsl_type.clone(),
                });
            }
            let pointer = lotl
                .list
                .scheme
                .pointers
                .iter()
                .find(|p| p.location == location)
                .ok_or_else(|| TrustError::NoSuchPointer {
                    location: location.chars().take(200).collect(),
                })?;
            let signer = signature.signer.der();
            let pointer_territory = pointer.territory.clone().unwrap_or_default();
            if !pointer.certificates().any(|c| c == signer) {
                return Err(TrustError::SignerNotInLotl {
                    territory: pointer_territory,
                });
            }
            if pointer_territory != list.scheme.territory {
                return Err(TrustError::TerritoryMismatch {
                    pointer: pointer_territory,
                    list: list.scheme.territory.clone(),
                });
            }
            Anchoring::Lotl {
                lotl_territory: lotl.territory().to_owned(),
                lotl_sequence_number: lotl.sequence_number(),
                lotl_anchored: lotl.anchoring.is_anchored(),
            }
        }
        ListAnchors::PinnedSha256(pins) => {
            if !pins.contains(&signature.signer.sha256()) {
                return Err(TrustError::SignerNotPinned);
            }
            Anchoring::Pinned
        }
        ListAnchors::DangerousUnanchored => Anchoring::Unanchored,
    };

    if now < issue_date {
        return Err(TrustError::IssuedInFuture { issue_date, now });
    }
    let next_update = list.scheme.next_update.ok_or(TrustError::ClosedList)?;
    let grace = options
        .grace_period_seconds
        .clamp(0, MAX_GRACE_PERIOD_SECONDS);
    if now > next_update.saturating_add(grace) {
        return Err(TrustError::Stale { next_update, now });
    }
    Ok(VerifiedTrustedList {
        list,
        signature,
        anchoring,
        verified_at: now,
        content_sha256,
    })
}

/// `(notBefore, notAfter)` in seconds, lenient DER profile; `None` if unreadable.
pub(crate) fn validity_of(der: &[u8]) -> Option<(i64, i64)> {
    let cert = CertificateInner::<Raw>::from_der(der).ok()?;
    let validity = cert.tbs_certificate().validity();
    let secs = |t: x509_cert::time::Time| i64::try_from(t.to_unix_duration().as_secs()).ok();
    Some((secs(validity.not_before)?, secs(validity.not_after)?))
}

/// notBefore <= at <= notAfter for a certificate (lenient DER profile: real list signers).
pub(crate) fn check_validity_at(der: &[u8], at: UnixTime) -> Result<(), TrustError> {
    let cert = CertificateInner::<Raw>::from_der(der)
        .map_err(|e| TrustError::SignerCertificate(e.to_string()))?;
    let validity = cert.tbs_certificate().validity();
    let secs = |t: x509_cert::time::Time| {
        i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX)
    };
    let (not_before, not_after) = (secs(validity.not_before), secs(validity.not_after));
    if at.seconds() < not_before || at.seconds() > not_after {
        return Err(TrustError::SignerCertificate(format!(
            "not valid at the list's issue date {at} (valid {} to {})",
            UnixTime(not_before),
            UnixTime(not_after)
        )));
    }
    Ok(())
}

/// Identifies a loaded set of lists for caches of trust decisions: SHA-256 over each list's
/// content digest and anchoring, in order. Two snapshots with the same fingerprint hold the
/// same verified content, so a decision taken against one holds against the other; a reload
/// that changed any list (a withdrawn service, a new sequence number) changes it.
pub fn snapshot_fingerprint(lists: &[VerifiedTrustedList]) -> [u8; 32] {
    let mut hash = sha2::Sha256::new();
    for l in lists {
        hash.update(l.content_sha256);
        hash.update([u8::from(l.anchoring.is_anchored())]);
    }
    hash.finalize().into()
}
