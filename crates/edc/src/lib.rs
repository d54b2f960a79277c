//! European Digital Credentials (Europass EDC): ELM v3 JSON-LD credentials sealed with JAdES,
//! imported so a graduate holding a Europass diploma can use it as a canonical
//! [`Diploma`](kakehashi_academic::model::Diploma).
//!
//! ```text
//! bytes ─parse─▶ JWS JSON (b64:false) ─verify_seal(x5c leaf key)─▶ VerifiedSeal
//!                                                    │
//!        x5c chain + sigT + verified lists + policy ─┴─evaluate_trust─▶ TrustOutcome
//!        authenticated ELM credential ─map_credential─▶ Mapping (Diploma | NotADiploma)
//! ```
//!
//! The `x5c` chain is never trusted by itself: a valid seal whose chain does not lead to a
//! service of a loaded trusted list is reported as "seal valid, issuer not in a trusted list".
//! Pure: bytes, lists, policy and the seal verifier come in; nothing here reads a file or
//! the clock (the trust evaluation time is the seal's `sigT`).

#![forbid(unsafe_code)]
#![deny(clippy::as_conversions)]

pub mod elm;
mod error;
pub mod jades;

pub use elm::{CredentialSummary, Mapping, map_credential, summarise};
pub use error::EdcError;
pub use jades::{VerifiedSeal, verify_seal};

use kakehashi_core::JsonLimits;
use kakehashi_crypto::SealVerifier;
use kakehashi_trust::{RecognitionPolicy, TrustDecision, VerifiedTrustedList};
use serde_json::{Value, json};

/// Limits for an EDC file: 8 MiB (credentials embed base64 logos and diploma supplements;
/// the signed sample is 134 KiB), nesting 64 (the samples need 11).
pub const LIMITS: JsonLimits = JsonLimits {
    max_bytes: 8 << 20,
    max_depth: 64,
};

/// The loaded trust material a seal is evaluated against.
#[derive(Debug, Clone, Copy)]
pub struct TrustInputs<'a> {
    /// Verified, anchored lists.
    pub lists: &'a [VerifiedTrustedList],
    /// The recognition policy.
    pub policy: &'a RecognitionPolicy,
}

/// Whether the seal's chain leads to a trusted service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustOutcome {
    /// The chain leads to a listed service the policy recognises.
    Trusted(Box<TrustDecision>),
    /// Seal valid, issuer not in a trusted list: the reason from the trust layer.
    NotTrusted(String),
}

/// The result of importing one EDC file.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The verified seal; `None` for an unsealed credential.
    pub seal: Option<VerifiedSeal>,
    /// The trust evaluation of a sealed credential.
    pub trust: Option<TrustOutcome>,
    /// What the credential is.
    pub credential: CredentialSummary,
    /// The canonical diploma, or why there is none.
    pub mapping: Mapping,
}

/// Reads an EDC: a JAdES-sealed JWS JSON (verified with `verifier`, its chain evaluated
/// against `trust`), a bare ELM credential, or the EDC tools' `{"credential": …}` wrapper
/// (both unsealed). A seal that does not verify is an error, not an outcome.
pub fn import(
    bytes: &[u8],
    verifier: &SealVerifier,
    trust: Option<TrustInputs<'_>>,
) -> Result<Imported, EdcError> {
    let document = kakehashi_core::json::parse_limited(bytes, LIMITS)?;
    let obj = document
        .as_object()
        .ok_or(EdcError::NotAnEdc("the document is not a JSON object"))?;
    let (seal, credential) = if obj.contains_key("payload") {
        let seal = verify_seal(&document, verifier, LIMITS)?;
        let credential = seal.payload.clone();
        (Some(seal), credential)
    } else if let Some(inner) = obj.get("credential") {
        (None, inner.clone())
    } else {
        (None, document.clone())
    };
    if credential.get("credentialSubject").is_none() {
        return Err(EdcError::NotAnEdc("no credentialSubject"));
    }
    let trust = seal.as_ref().map(|s| evaluate_trust(s, trust));
    Ok(Imported {
        seal,
        trust,
        credential: summarise(&credential),
        mapping: map_credential(&credential),
    })
}

/// Evaluates the seal's `x5c` chain at its `sigT` against the lists and policy.
pub fn evaluate_trust(seal: &VerifiedSeal, trust: Option<TrustInputs<'_>>) -> TrustOutcome {
    let Some(t) = trust else {
        return TrustOutcome::NotTrusted("no trusted list was loaded".into());
    };
    match kakehashi_trust::evaluate(&seal.chain, t.lists, t.policy, seal.signing_time) {
        Ok(d) => TrustOutcome::Trusted(Box::new(d)),
        Err(e) => TrustOutcome::NotTrusted(e.to_string()),
    }
}

impl Imported {
    /// The organizationIdentifier of the seal equals the awarding body's legal identifier
    /// (`None` when there is no seal, no diploma, or the certificate carries none).
    pub fn seal_matches_awarding_body(&self) -> Option<bool> {
        let org = self
            .seal
            .as_ref()?
            .signer
            .organization_identifier
            .as_ref()?;
        let Mapping::Diploma(d) = &self.mapping else {
            return None;
        };
        let body = &d.awarding_body;
        Some(body.legal_identifier.organization_identifier(&body.country) == org.as_string())
    }

    /// Sealed, trusted, a diploma, and sealed by its awarding body.
    pub fn accepted(&self) -> bool {
        matches!(self.trust, Some(TrustOutcome::Trusted(_)))
            && matches!(self.mapping, Mapping::Diploma(_))
            && self.seal_matches_awarding_body() == Some(true)
    }

    /// One line saying what was established.
    pub fn outcome(&self) -> String {
        let sealed = match &self.trust {
            None => "unsealed: the credential carries no seal",
            Some(TrustOutcome::NotTrusted(_)) => "seal valid, issuer not in a trusted list",
            Some(TrustOutcome::Trusted(_)) => "seal valid, issuer trusted",
        };
        let diploma = match (&self.mapping, self.seal_matches_awarding_body()) {
            (Mapping::NotADiploma(_), _) => "; not a diploma",
            (Mapping::Diploma(_), Some(false)) => "; the seal is not the awarding body's",
            _ => "",
        };
        format!("{sealed}{diploma}")
    }

    /// The import report as JSON (the CLI prints it).
    pub fn to_json(&self) -> Value {
        let seal = self.seal.as_ref().map(|s| {
            let org = s
                .signer
                .organization_identifier
                .as_ref()
                .map(|o| o.as_string());
            json!({
                "valid": true,
                "algorithm": s.algorithm.jose_name(),
                "signing_time": s.signing_time.to_rfc3339(),
                "critical": s.critical,
                "signer": {
                    "subject": s.signer.subject,
                    "issuer": s.signer.issuer,
                    "organization_identifier": org,
                },
                "chain_length": s.chain.len(),
                "not_checked": {
                    "content_time_stamps": s.content_time_stamps,
                    "unsigned_properties": s.unsigned_properties,
                },
            })
        });
        let trust = self.trust.as_ref().map(|t| match t {
            TrustOutcome::Trusted(d) => d.to_json(),
            TrustOutcome::NotTrusted(reason) => json!({"trusted": false, "error": reason}),
        });
        let (diploma, not_a_diploma) = match &self.mapping {
            Mapping::Diploma(d) => (serde_json::to_value(d).unwrap_or(Value::Null), Value::Null),
            Mapping::NotADiploma(r) => (Value::Null, Value::String(r.clone())),
        };
        json!({
            "accepted": self.accepted(),
            "outcome": self.outcome(),
            "seal": seal,
            "trust": trust,
            "credential": {
                "id": self.credential.id,
                "type": self.credential.types,
                "claim_type": self.credential.claim_type,
                "title": self.credential.title,
            },
            "seal_matches_awarding_body": self.seal_matches_awarding_body(),
            "diploma": diploma,
            "not_a_diploma": not_a_diploma,
        })
    }
}
