//! Directional mutual-recognition policy and the trust decision.
//!
//! A policy is written for a verifier under one scheme (`EU` or `JP`) and says which services
//! of each scheme — by service type, status at the signing time, additional service
//! information, qualifiers, QC statements, certificate policies and key usage — count as which
//! [`TrustClass`]. Cross-scheme rules carry `recognition = "pilot-recognised"` until a legal
//! act exists; the shape follows the EU LOTL MRA extension (service type and status
//! equivalences plus certificate content requirements). The file format is documented in
//! `docs/trust/policy.md`.

use std::collections::BTreeSet;

use kakehashi_core::UnixTime;

use crate::jp;
use crate::tsl::{ServiceInformation, TrustedList, uri};
use crate::verify::{ListAnchors, VerifiedTrustedList, VerifyOptions, verify_list_with};
use crate::x509::{CertificateInfo, inspect_certificate, verify_chain};
use crate::{Limits, TrustError};

/// What a recognised credential signature is worth to the verifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TrustClass {
    /// Equivalent to an EU qualified electronic seal.
    QualifiedEquivalentSeal,
    /// Equivalent to an EU advanced electronic seal.
    AdvancedEquivalentSeal,
    /// Equivalent to an EU qualified electronic signature.
    QualifiedEquivalentSignature,
    /// A trusted time-stamp.
    TimeStamp,
    /// A high-assurance attestation (e.g. an authorised university's credential seal).
    HighAssuranceAttestation,
}

impl TrustClass {
    /// English label.
    pub fn label(self) -> &'static str {
        match self {
            Self::QualifiedEquivalentSeal => "qualified-equivalent electronic seal",
            Self::AdvancedEquivalentSeal => "advanced-equivalent electronic seal",
            Self::QualifiedEquivalentSignature => "qualified-equivalent electronic signature",
            Self::TimeStamp => "trusted time-stamp",
            Self::HighAssuranceAttestation => "high-assurance attestation",
        }
    }

    /// Japanese label.
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::QualifiedEquivalentSeal => "適格相当の e シール",
            Self::AdvancedEquivalentSeal => "先進相当の e シール",
            Self::QualifiedEquivalentSignature => "適格相当の電子署名",
            Self::TimeStamp => "信頼できるタイムスタンプ",
            Self::HighAssuranceAttestation => "高保証の証明",
        }
    }
}

/// The legal standing of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Recognition {
    /// Recognised by law (own scheme, or an enacted agreement).
    Legal,
    /// Recognised by the Kakehashi pilot only, pending a legal act.
    PilotRecognised,
}

/// The schemes a policy can speak about.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Deserialize, serde::Serialize,
)]
pub enum Scheme {
    /// EU member-state lists anchored in the EU LOTL.
    #[serde(rename = "EU")]
    Eu,
    /// The Japanese list (`JPlist`).
    #[serde(rename = "JP")]
    Jp,
}

impl Scheme {
    /// The scheme a verified list belongs to, from its `TSLType`.
    pub fn of(list: &TrustedList) -> Option<Scheme> {
        match list.scheme.tsl_type.as_str() {
            uri::TSL_TYPE_EU_GENERIC => Some(Scheme::Eu),
            jp::TSL_TYPE_JPLIST => Some(Scheme::Jp),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Scheme::Eu => "EU",
            Scheme::Jp => "JP",
        }
    }
}

/// Pinned list signers, SHA-256 of the certificate DER in hex.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyAnchors {
    /// Signers of the EU LOTL (as announced in the Official Journal).
    #[serde(default)]
    pub eu_lotl_sha256: Vec<String>,
    /// Signers of the JPlist, when it is pinned directly rather than reached via a LOTL pointer.
    #[serde(default)]
    pub jp_list_sha256: Vec<String>,
}

/// One recognition rule.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Unique id, quoted in decisions.
    pub id: String,
    /// Scheme of the list the service is on.
    pub scheme: Scheme,
    /// `ServiceTypeIdentifier`.
    pub service_type: String,
    /// Statuses accepted at the signing time.
    pub statuses: Vec<String>,
    /// `AdditionalServiceInformation` URIs the service must carry (all).
    #[serde(default)]
    pub additional_information: Vec<String>,
    /// Qualifiers the list's `Qualifications` must give the leaf certificate (all).
    #[serde(default)]
    pub qualifiers: Vec<String>,
    /// QC statements the leaf must carry (all): `QcCompliance`, `QcSSCD`, `QcTypeEseal`,
    /// `QcTypeEsign`, `QcTypeWeb`, `QcCClegislation:CC`.
    #[serde(default)]
    pub qc_statements: Vec<String>,
    /// Certificate policies of which the leaf must carry at least one (empty: no requirement).
    #[serde(default)]
    pub policies_any: Vec<String>,
    /// Key usage bits of which the leaf must have at least one.
    #[serde(default = "default_key_usage")]
    pub key_usage_any: Vec<String>,
    /// The leaf's `organizationIdentifier` must be `NTRJP-<n>` of a university the JPlist
    /// authorises at the signing time.
    #[serde(default)]
    pub authorised_university: bool,
    /// The class granted.
    pub class: TrustClass,
    /// Legal or pilot recognition.
    pub recognition: Recognition,
    /// Legal basis or agreement, quoted in decisions.
    pub basis: String,
}

fn default_key_usage() -> Vec<String> {
    vec!["nonRepudiation".into(), "digitalSignature".into()]
}

/// A validated recognition policy. Only [`RecognitionPolicy::from_toml`] builds one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecognitionPolicy {
    name: String,
    verifier_scheme: Scheme,
    anchors: Vec<(Scheme, [u8; 32])>,
    rules: Vec<Rule>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    name: String,
    verifier_scheme: Scheme,
    #[serde(default)]
    anchors: PolicyAnchors,
    #[serde(default)]
    rule: Vec<Rule>,
}

/// ETSI service types (TS 119 612 clause 5.5.1) a policy may name for the EU scheme.
const ETSI_SERVICE_TYPES: [&str; 16] = [
    "http://uri.etsi.org/TrstSvc/Svctype/CA/QC",
    "http://uri.etsi.org/TrstSvc/Svctype/CA/PKC",
    "http://uri.etsi.org/TrstSvc/Svctype/TSA/QTST",
    "http://uri.etsi.org/TrstSvc/Svctype/TSA",
    "http://uri.etsi.org/TrstSvc/Svctype/TSA/TSS-QC",
    "http://uri.etsi.org/TrstSvc/Svctype/EDS/Q",
    "http://uri.etsi.org/TrstSvc/Svctype/EDS/REM/Q",
    "http://uri.etsi.org/TrstSvc/Svctype/PSES/Q",
    "http://uri.etsi.org/TrstSvc/Svctype/QESValidation/Q",
    "http://uri.etsi.org/TrstSvc/Svctype/RemoteQSigCDManagement/Q",
    "http://uri.etsi.org/TrstSvc/Svctype/RemoteQSealCDManagement/Q",
    "http://uri.etsi.org/TrstSvc/Svctype/EAA/Q",
    "http://uri.etsi.org/TrstSvc/Svctype/EAA/Pub-EAA",
    "http://uri.etsi.org/TrstSvc/Svctype/ElectronicArchiving/Q",
    "http://uri.etsi.org/TrstSvc/Svctype/LedgersRecording/Q",
    "http://uri.etsi.org/TrstSvc/Svctype/NationalRootCA-QC",
];

const KEY_USAGE_BITS: [&str; 9] = [
    "digitalSignature",
    "nonRepudiation",
    "keyEncipherment",
    "dataEncipherment",
    "keyAgreement",
    "keyCertSign",
    "crlSign",
    "encipherOnly",
    "decipherOnly",
];

impl RecognitionPolicy {
    /// Parses and validates a policy file: unknown fields, schemes, classes, service types,
    /// statuses, QC statement names and key usage bits are errors, and so are duplicate rule ids
    /// and two rules with the same conditions.
    pub fn from_toml(text: &str) -> Result<Self, TrustError> {
        let file: PolicyFile = toml::from_str(text)
            .map_err(|e| TrustError::Policy(e.message().to_owned() + &span(text, e.span())))?;
        let mut anchors = Vec::new();
        for (scheme, list) in [
            (Scheme::Eu, &file.anchors.eu_lotl_sha256),
            (Scheme::Jp, &file.anchors.jp_list_sha256),
        ] {
            for h in list {
                anchors.push((scheme, parse_sha256(h)?));
            }
        }
        let mut ids = BTreeSet::new();
        let mut conditions = BTreeSet::new();
        for r in &file.rule {
            let fail = |why: String| TrustError::Policy(format!("rule {:?}: {why}", r.id));
            if r.id.is_empty() {
                return Err(TrustError::Policy("a rule has an empty id".into()));
            }
            if !ids.insert(r.id.clone()) {
                return Err(fail("duplicate rule id".into()));
            }
            let known_type = match r.scheme {
                Scheme::Eu => ETSI_SERVICE_TYPES.contains(&r.service_type.as_str()),
                Scheme::Jp => jp::SERVICE_TYPES.contains(&r.service_type.as_str()),
            };
            if !known_type {
                return Err(fail(format!(
                    "unknown {} service type URI {}",
                    r.scheme.name(),
                    r.service_type
                )));
            }
            if r.statuses.is_empty() {
                return Err(fail("no status accepted".into()));
            }
            for s in &r.statuses {
                let known = match r.scheme {
                    Scheme::Eu => {
                        s.starts_with(uri::STATUS_PREFIX) && s.len() > uri::STATUS_PREFIX.len()
                    }
                    Scheme::Jp => jp::STATUSES.contains(&s.as_str()),
                };
                if !known {
                    return Err(fail(format!("unknown {} status URI {s}", r.scheme.name())));
                }
            }
            for q in &r.qc_statements {
                let known = matches!(
                    q.as_str(),
                    "QcCompliance" | "QcSSCD" | "QcTypeEseal" | "QcTypeEsign" | "QcTypeWeb"
                ) || q
                    .strip_prefix("QcCClegislation:")
                    .is_some_and(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()));
                if !known {
                    return Err(fail(format!("unknown QC statement {q}")));
                }
            }
            for k in &r.key_usage_any {
                if !KEY_USAGE_BITS.contains(&k.as_str()) {
                    return Err(fail(format!("unknown key usage bit {k}")));
                }
            }
            if r.key_usage_any.is_empty() {
                return Err(fail("key_usage_any must name at least one bit".into()));
            }
            if r.authorised_university && r.scheme != Scheme::Jp {
                return Err(fail("authorised_university applies to JP rules".into()));
            }
            if r.scheme != file.verifier_scheme
                && r.recognition == Recognition::Legal
                && !r.basis.to_lowercase().contains("agreement")
            {
                return Err(fail(
                    "a cross-scheme rule is pilot-recognised unless its basis names an agreement"
                        .into(),
                ));
            }
            let key = format!(
                "{:?}|{}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{}",
                r.scheme,
                r.service_type,
                sorted(&r.statuses),
                sorted(&r.additional_information),
                sorted(&r.qualifiers),
                sorted(&r.qc_statements),
                sorted(&r.policies_any),
                sorted(&r.key_usage_any),
                r.authorised_university
            );
            if !conditions.insert(key) {
                return Err(fail(
                    "duplicate rule: same conditions as an earlier rule".into(),
                ));
            }
        }
        if file.rule.is_empty() {
            return Err(TrustError::Policy("the policy has no rule".into()));
        }
        Ok(RecognitionPolicy {
            name: file.name,
            verifier_scheme: file.verifier_scheme,
            anchors,
            rules: file.rule,
        })
    }

    /// The policy's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The scheme of the verifier applying it.
    pub fn verifier_scheme(&self) -> Scheme {
        self.verifier_scheme
    }

    /// The rules, in evaluation order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Pinned signer fingerprints for a scheme.
    pub fn pins(&self, scheme: Scheme) -> Vec<[u8; 32]> {
        self.anchors
            .iter()
            .filter(|(s, _)| *s == scheme)
            .map(|(_, h)| *h)
            .collect()
    }
}

fn sorted(v: &[String]) -> Vec<&String> {
    let mut s: Vec<&String> = v.iter().collect();
    s.sort();
    s
}

fn span(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    span.map(|r| {
        let line = text.get(..r.start).map_or(0, |t| t.lines().count());
        format!(" (line {line})")
    })
    .unwrap_or_default()
}

fn parse_sha256(hex: &str) -> Result<[u8; 32], TrustError> {
    let bad = || TrustError::Policy(format!("{hex:?} is not a SHA-256 in hex"));
    let b = hex.as_bytes();
    if b.len() != 64 {
        return Err(bad());
    }
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        let pair = std::str::from_utf8(&b[2 * i..2 * i + 2]).map_err(|_| bad())?;
        *o = u8::from_str_radix(pair, 16).map_err(|_| bad())?;
    }
    Ok(out)
}

/// Lists accepted and rejected by [`load_lists`].
#[derive(Debug, Default)]
pub struct LoadedLists {
    /// Verified and anchored lists (LOTLs included).
    pub accepted: Vec<VerifiedTrustedList>,
    /// Name and reason of every list that did not verify.
    pub rejected: Vec<(String, TrustError)>,
}

/// Verifies a set of lists (TS 119 612 XML or TS 119 602 LoTE, by content) with the policy's
/// pins: LOTLs against the EU pins, then every other list through a verified LOTL (territory
/// pointer) or a JP pin.
pub fn load_lists(
    lists: &[(String, Vec<u8>)],
    policy: &RecognitionPolicy,
    now: UnixTime,
    options: &VerifyOptions,
) -> LoadedLists {
    let mut out = LoadedLists::default();
    let eu_pins = policy.pins(Scheme::Eu);
    let jp_pins = policy.pins(Scheme::Jp);
    let mut rest = Vec::new();
    for (name, bytes) in lists {
        let is_lotl = crate::tsl::parse_list(bytes, &options.limits)
            .map(|l| l.is_list_of_lists())
            .unwrap_or(false);
        if is_lotl {
            match verify_list_with(bytes, ListAnchors::PinnedSha256(&eu_pins), now, options) {
                Ok(v) => out.accepted.push(v),
                Err(e) => out.rejected.push((name.clone(), e)),
            }
        } else {
            rest.push((name, bytes));
        }
    }
    let lotl_count = out.accepted.len();
    for (name, bytes) in rest {
        let mut last = TrustError::NoUsableList;
        let mut accepted = None;
        if !jp_pins.is_empty() {
            match verify_list_with(bytes, ListAnchors::PinnedSha256(&jp_pins), now, options) {
                Ok(v) => accepted = Some(v),
                Err(e) => last = e,
            }
        }
        for lotl in &out.accepted[..lotl_count] {
            if accepted.is_some() {
                break;
            }
            match verify_list_with(bytes, ListAnchors::Lotl(lotl), now, options) {
                Ok(v) => accepted = Some(v),
                Err(e) => last = e,
            }
        }
        match accepted {
            Some(v) => out.accepted.push(v),
            None => out.rejected.push((name.clone(), last)),
        }
    }
    out
}

/// A positive trust decision. Only [`evaluate`] builds one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustDecision {
    class: TrustClass,
    recognition: Recognition,
    rule_id: String,
    basis: String,
    policy: String,
    verifier_scheme: Scheme,
    issuer_scheme: Scheme,
    at: UnixTime,
    chain: Vec<String>,
    leaf: CertificateInfo,
    list: String,
    list_territory: String,
    list_sequence_number: u64,
    provider: String,
    service_name: String,
    service_type: String,
    status: String,
    status_since: UnixTime,
    university: Option<String>,
}

impl TrustDecision {
    /// The class granted.
    pub fn class(&self) -> TrustClass {
        self.class
    }

    /// Legal or pilot recognition.
    pub fn recognition(&self) -> Recognition {
        self.recognition
    }

    /// The rule applied.
    pub fn rule_id(&self) -> &str {
        &self.rule_id
    }

    /// The leaf certificate's policy-relevant content.
    pub fn leaf(&self) -> &CertificateInfo {
        &self.leaf
    }

    /// The authorised university the JPlist names for the leaf (rules with
    /// `authorised_university`), as the explanation quotes it.
    pub fn authorised_university(&self) -> Option<&str> {
        self.university.as_deref()
    }

    /// Human-readable explanation in English, with Japanese labels.
    pub fn explain(&self) -> String {
        let mut s = format!(
            "TRUSTED as {} ({}) — {}\n",
            self.class.label(),
            self.class.label_ja(),
            match self.recognition {
                Recognition::Legal => "legally recognised",
                Recognition::PilotRecognised => "pilot-recognised (no legal act yet; 試行承認)",
            }
        );
        s.push_str(&format!(
            "  policy: {} (verifier under the {} scheme)\n",
            self.policy,
            self.verifier_scheme.name()
        ));
        s.push_str(&format!("  rule: {} — {}\n", self.rule_id, self.basis));
        s.push_str(&format!("  evaluated at: {}\n  chain:\n", self.at));
        for (i, c) in self.chain.iter().enumerate() {
            s.push_str(&format!("    [{i}] {c}\n"));
        }
        s.push_str(&format!("  trusted list: {}\n", self.list));
        s.push_str(&format!("  provider: {}\n", self.provider));
        let label = jp::label_ja(&self.service_type)
            .map(|l| format!(" ({l})"))
            .unwrap_or_default();
        s.push_str(&format!(
            "  service: {} [{}{}]\n",
            self.service_name, self.service_type, label
        ));
        let status_label = jp::label_ja(&self.status)
            .map(|l| format!(" ({l})"))
            .unwrap_or_default();
        s.push_str(&format!(
            "  status at that time: {}{} since {}\n",
            self.status, status_label, self.status_since
        ));
        let qc = self.leaf.qc_statements.names();
        if !qc.is_empty() {
            s.push_str(&format!("  QC statements: {}\n", qc.join(", ")));
        }
        if let Some(o) = &self.leaf.organization_identifier {
            s.push_str(&format!("  organizationIdentifier: {}\n", o.as_string()));
        }
        if let Some(u) = &self.university {
            s.push_str(&format!("  authorised university: {u}\n"));
        }
        s
    }

    /// The decision as JSON, for the CLI and logs.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "trusted": true,
            "class": self.class,
            "recognition": self.recognition,
            "rule": self.rule_id,
            "basis": self.basis,
            "policy": self.policy,
            "verifier_scheme": self.verifier_scheme,
            "issuer_scheme": self.issuer_scheme,
            "at": self.at.to_rfc3339(),
            "chain": self.chain,
            "list": {
                "territory": self.list_territory,
                "sequence_number": self.list_sequence_number,
                "description": self.list,
            },
            "provider": self.provider,
            "service": {
                "name": self.service_name,
                "type": self.service_type,
                "status": self.status,
                "status_since": self.status_since.to_rfc3339(),
            },
            "qc_statements": self.leaf.qc_statements.names(),
            "policies": self.leaf.policies,
            "organization_identifier": self.leaf.organization_identifier.as_ref().map(|o| o.as_string()),
            "authorised_university": self.university,
            "explanation": self.explain(),
        })
    }
}

/// Evaluates a credential's signing chain (`x5c`, DER, leaf first) at its signing time `at`
/// against verified, anchored lists and the policy. Fails closed with the most specific reason:
/// the chain, the service status at `at`, an unmet rule, or no rule at all.
///
/// [`validate_chain`] followed by [`decide`]; a verifier that caches the first (per chain
/// bytes and list snapshot) calls the two itself.
pub fn evaluate(
    x5c: &[Vec<u8>],
    lists: &[VerifiedTrustedList],
    policy: &RecognitionPolicy,
    at: UnixTime,
) -> Result<TrustDecision, TrustError> {
    let validation = validate_chain(x5c, lists, at)?;
    decide(&validation, lists, policy, at)
}

/// The expensive part of [`evaluate`]: the X.509 path from the `x5c` chain to a service
/// certificate of the lists (rustls-webpki: signatures, constraints, validity at `at`) and
/// the certificate content the policy reads. Only [`validate_chain`] builds one.
///
/// Why it can be reused at another time: rustls-webpki reads the time in exactly one place,
/// the `notBefore <= time <= notAfter` check of each certificate of the chain (trust anchors
/// carry no validity there, and no revocation options are given). Between two consecutive
/// `notBefore`/`notAfter` boundaries of the chain's certificates every one of those checks
/// has the same outcome, so path building runs identically and returns the same path and
/// anchor. [`ChainValidation::holds_at`] is that window; outside it the chain must be
/// validated again. The service history (status at the time) is not part of it: [`decide`]
/// reads it on every call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainValidation {
    anchor: Vec<u8>,
    leaf: CertificateInfo,
    chain_subjects: Vec<String>,
    snapshot: [u8; 32],
    stable_from: UnixTime,
    stable_until: UnixTime,
}

impl ChainValidation {
    /// Whether validating the same chain against the same lists at `at` gives this result.
    pub fn holds_at(&self, at: UnixTime) -> bool {
        self.stable_from <= at && at <= self.stable_until
    }

    /// The window (inclusive) in which [`ChainValidation::holds_at`] is true.
    pub fn stable_window(&self) -> (UnixTime, UnixTime) {
        (self.stable_from, self.stable_until)
    }

    /// The [`crate::snapshot_fingerprint`] of the lists the chain was validated against.
    pub fn snapshot(&self) -> [u8; 32] {
        self.snapshot
    }

    /// The leaf certificate's policy-relevant content.
    pub fn leaf(&self) -> &CertificateInfo {
        &self.leaf
    }
}

fn usable_lists(lists: &[VerifiedTrustedList]) -> Vec<(&VerifiedTrustedList, Scheme)> {
    lists
        .iter()
        .filter(|l| l.anchoring().is_anchored())
        .filter_map(|l| Scheme::of(l.list()).map(|s| (l, s)))
        .collect()
}

/// Validates `x5c` at `at` against the service certificates of the anchored lists. See
/// [`ChainValidation`] for what the result proves and for how long.
pub fn validate_chain(
    x5c: &[Vec<u8>],
    lists: &[VerifiedTrustedList],
    at: UnixTime,
) -> Result<ChainValidation, TrustError> {
    let usable = usable_lists(lists);
    if usable.is_empty() {
        return Err(TrustError::NoUsableList);
    }
    // Every certificate of every service state is a candidate anchor.
    let mut anchors: Vec<&[u8]> = Vec::new();
    for (l, _) in &usable {
        for (_, svc) in l.list().services() {
            for c in svc.all_certificates() {
                if !anchors.contains(&c) {
                    anchors.push(c);
                }
            }
        }
    }
    let chain = verify_chain(x5c, &anchors, at, &Limits::default())?;
    let anchor = anchors
        .get(chain.anchor_index())
        .copied()
        .ok_or_else(|| TrustError::ChainInvalid("anchor index".into()))?;
    let leaf = inspect_certificate(chain.leaf())?;
    // The leaf was just read: each certificate is parsed once.
    let mut chain_subjects = vec![leaf.subject.clone()];
    for c in chain.certificates().iter().skip(1) {
        chain_subjects
            .push(inspect_certificate(c).map_or_else(|_| "(unparsed)".to_owned(), |i| i.subject));
    }
    chain_subjects.push(format!(
        "{} (trust anchor: service certificate of the list)",
        inspect_certificate(anchor).map_or_else(|_| "(unparsed)".to_owned(), |i| i.subject)
    ));
    let (stable_from, stable_until) = stable_window(x5c, at);
    Ok(ChainValidation {
        anchor: anchor.to_vec(),
        leaf,
        chain_subjects,
        snapshot: crate::snapshot_fingerprint(lists),
        stable_from,
        stable_until,
    })
}

/// The widest window around `at` in which no certificate of `x5c` changes between valid and
/// not valid (see [`ChainValidation`]); just `at` if a validity cannot be read.
fn stable_window(x5c: &[Vec<u8>], at: UnixTime) -> (UnixTime, UnixTime) {
    let (mut from, mut until) = (i64::MIN, i64::MAX);
    let t = at.seconds();
    for der in x5c {
        let Some((not_before, not_after)) = crate::verify::validity_of(der) else {
            return (at, at);
        };
        // Valid on [not_before, not_after]: the outcome changes at not_before and after
        // not_after.
        if not_before <= t {
            from = from.max(not_before);
        } else {
            until = until.min(not_before.saturating_sub(1));
        }
        if not_after >= t {
            until = until.min(not_after);
        } else {
            from = from.max(not_after.saturating_add(1));
        }
    }
    (UnixTime(from), UnixTime(until))
}

/// The part of [`evaluate`] that reads the time-dependent content of the lists: the service
/// whose certificate anchored the chain, its status at `at`, the policy's rules. Runs on every
/// evaluation, cached chain or not. Fails closed when `validation` does not hold at `at` or
/// was made against other lists.
pub fn decide(
    validation: &ChainValidation,
    lists: &[VerifiedTrustedList],
    policy: &RecognitionPolicy,
    at: UnixTime,
) -> Result<TrustDecision, TrustError> {
    if !validation.holds_at(at) {
        return Err(TrustError::ChainInvalid(format!(
            "the chain was validated for {} to {}, not {at}",
            validation.stable_from, validation.stable_until
        )));
    }
    if validation.snapshot != crate::snapshot_fingerprint(lists) {
        return Err(TrustError::ChainInvalid(
            "the chain was validated against other trusted lists".into(),
        ));
    }
    let usable = usable_lists(lists);
    let anchor = validation.anchor.as_slice();
    let leaf = &validation.leaf;
    let mut not_granted = None;
    let mut unmet = None;
    let mut no_rule = None;
    for (l, scheme) in &usable {
        for (provider, svc) in l.list().services() {
            if !svc.all_certificates().any(|c| c == anchor) {
                continue;
            }
            let Some(state) = svc.state_at(at) else {
                not_granted.get_or_insert(TrustError::ServiceNotGranted {
                    service: svc.current.display_name().to_owned(),
                    status: "(no status known at that time)".into(),
                    at,
                });
                continue;
            };
            if !state.certificates().any(|c| c == anchor) {
                // The anchor identified the service in another period; the state in force at
                // `at` lists different certificates.
                not_granted.get_or_insert(TrustError::ServiceNotGranted {
                    service: state.display_name().to_owned(),
                    status: format!("{} (with other certificates)", state.status),
                    at,
                });
                continue;
            }
            if let Some(ext) = state.unknown_critical_extensions.first() {
                unmet.get_or_insert(TrustError::RuleNotSatisfied {
                    rule: "(list)".into(),
                    reason: format!("service has an unknown critical extension {ext}"),
                });
                continue;
            }
            let rules: Vec<&Rule> = policy
                .rules
                .iter()
                .filter(|r| r.scheme == *scheme && r.service_type == state.service_type)
                .collect();
            if rules.is_empty() {
                no_rule.get_or_insert(TrustError::NoPolicyRule {
                    scheme: scheme.name().into(),
                    service_type: state.service_type.clone(),
                    status: state.status.clone(),
                });
                continue;
            }
            for rule in rules {
                if !rule.statuses.contains(&state.status) {
                    not_granted.get_or_insert(TrustError::ServiceNotGranted {
                        service: state.display_name().to_owned(),
                        status: state.status.clone(),
                        at,
                    });
                    continue;
                }
                match check_rule(rule, state, leaf, &usable, at) {
                    Ok(university) => {
                        return Ok(TrustDecision {
                            class: rule.class,
                            recognition: rule.recognition,
                            rule_id: rule.id.clone(),
                            basis: rule.basis.clone(),
                            policy: policy.name.clone(),
                            verifier_scheme: policy.verifier_scheme,
                            issuer_scheme: *scheme,
                            at,
                            chain: validation.chain_subjects.clone(),
                            leaf: leaf.clone(),
                            list: l.describe(),
                            list_territory: l.territory().to_owned(),
                            list_sequence_number: l.sequence_number(),
                            provider: provider.name.preferred().unwrap_or("(unnamed)").to_owned(),
                            service_name: state.display_name().to_owned(),
                            service_type: state.service_type.clone(),
                            status: state.status.clone(),
                            status_since: state.status_starting_time,
                            university,
                        });
                    }
                    Err(reason) => {
                        unmet.get_or_insert(TrustError::RuleNotSatisfied {
                            rule: rule.id.clone(),
                            reason,
                        });
                    }
                }
            }
        }
    }
    Err(not_granted
        .or(unmet)
        .or(no_rule)
        .unwrap_or(TrustError::NoMatchingService))
}

/// Certificate-content checks of a rule; `Ok` carries the authorised university, if any.
fn check_rule(
    rule: &Rule,
    state: &ServiceInformation,
    leaf: &CertificateInfo,
    lists: &[(&VerifiedTrustedList, Scheme)],
    at: UnixTime,
) -> Result<Option<String>, String> {
    for a in &rule.additional_information {
        if !state.has_additional_information(a) {
            return Err(format!("service lacks additional service information {a}"));
        }
    }
    if !rule.qualifiers.is_empty() {
        let facts = leaf.facts();
        let given: Vec<&String> = state
            .qualifications
            .iter()
            .filter(|q| q.criteria.matches(&facts))
            .flat_map(|q| q.qualifiers.iter())
            .collect();
        for q in &rule.qualifiers {
            if !given.contains(&q) {
                return Err(format!(
                    "the list does not give the certificate qualifier {q}"
                ));
            }
        }
    }
    let qc = leaf.qc_statements.names();
    for q in &rule.qc_statements {
        if !qc.contains(q) {
            return Err(format!("certificate lacks QC statement {q}"));
        }
    }
    if !rule.policies_any.is_empty() && !rule.policies_any.iter().any(|p| leaf.policies.contains(p))
    {
        return Err(format!(
            "certificate has none of the policies {}",
            rule.policies_any.join(", ")
        ));
    }
    if !rule
        .key_usage_any
        .iter()
        .any(|k| leaf.key_usage.contains(k))
    {
        return Err(format!(
            "certificate key usage has none of {}",
            rule.key_usage_any.join(", ")
        ));
    }
    if !rule.authorised_university {
        return Ok(None);
    }
    let org = leaf
        .organization_identifier
        .as_ref()
        .filter(|o| o.scheme == "NTR" && o.country == "JP")
        .ok_or("certificate has no NTRJP organizationIdentifier")?;
    let trade = org.as_string();
    for (l, scheme) in lists {
        if *scheme != Scheme::Jp {
            continue;
        }
        for (p, s) in l.list().services() {
            let listed = p.trade_names.0.iter().any(|t| t.text == trade);
            if !listed || s.current.service_type != jp::SVC_ACADEMIC_ISSUER {
                continue;
            }
            match s.state_at(at) {
                Some(st) if st.status == jp::STATUS_GRANTED => {
                    let school = p
                        .trade_names
                        .0
                        .iter()
                        .find_map(|t| t.text.strip_prefix(jp::SCHOOL_CODE_PREFIX))
                        .unwrap_or("?");
                    return Ok(Some(format!(
                        "{} / {} (法人番号 {}, 学校コード {school})",
                        p.name.in_lang("ja").unwrap_or(""),
                        p.name.preferred().unwrap_or(""),
                        org.reference
                    )));
                }
                Some(st) => {
                    return Err(format!(
                        "university {trade} has status {} at {at}",
                        st.status
                    ));
                }
                None => return Err(format!("university {trade} not yet authorised at {at}")),
            }
        }
    }
    Err(format!(
        "{trade} is not an authorised university in the JPlist"
    ))
}
