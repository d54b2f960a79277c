//! `kakehashi trust verify-list | evaluate | publish`: ETSI TS 119 612 trusted lists and trust
//! decisions on the command line.
//!
//! This is the edge: it reads files, PEM keys and the clock, then calls the pure
//! `kakehashi-trust` crate. Results go to stdout as JSON; a list that does not verify or a chain
//! that is not trusted prints a JSON verdict with `"valid": false` / `"trusted": false`, the
//! reason on stderr, and exits 1.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context as _, anyhow};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, ECDSA_P384_SHA384_FIXED_SIGNING, EcdsaKeyPair,
};
use kakehashi_core::UnixTime;
use kakehashi_trust::lote::{lote_to_list, publish_lote, verify_any};
use kakehashi_trust::policy::load_lists;
use kakehashi_trust::publish::{ListDescription, ListSignatureAlgorithm, ListSigner, publish};
use kakehashi_trust::{
    Limits, ListAnchors, RecognitionPolicy, VerifiedTrustedList, VerifyOptions, evaluate,
    parse_list, verify_list_with,
};
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivatePkcs8KeyDer};
use serde_json::{Value, json};

use super::common::{print_json, system_now};

#[derive(clap::Subcommand)]
pub enum TrustCommand {
    /// Verify a TS 119 612 list: signature, signer anchoring (with --lotl) and freshness.
    VerifyList(VerifyListArgs),
    /// Evaluate a certificate chain against trusted lists and a recognition policy.
    Evaluate(EvaluateArgs),
    /// Build and sign a TS 119 612 list (LOTL, EU national list or JPlist) from a description.
    Publish(PublishArgs),
}

#[derive(clap::Args)]
pub struct VerifyListArgs {
    /// The list (XML).
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// A list of lists: the signer must be one of its pointer certificates for the list's
    /// territory. The LOTL's own signature and freshness are checked too.
    #[arg(long, value_name = "LOTL_FILE")]
    lotl: Option<PathBuf>,
    /// Evaluation time, RFC 3339 or Unix seconds (default: the system clock).
    #[arg(long, value_name = "RFC3339")]
    now: Option<String>,
    /// Seconds a list stays acceptable after NextUpdate (at most 7 days).
    #[arg(long, value_name = "SECONDS", default_value_t = 0)]
    grace: i64,
}

#[derive(clap::Args)]
pub struct EvaluateArgs {
    /// PEM file with the signing chain, leaf first (the credential's x5c).
    #[arg(long, value_name = "CHAIN_PEM")]
    chain: PathBuf,
    /// Directory of trusted lists (*.xml): LOTLs are pinned by the policy's anchors, the other
    /// lists are anchored through them.
    #[arg(long, value_name = "DIR")]
    lists: PathBuf,
    /// Recognition policy (TOML, docs/trust/policy.md).
    #[arg(long, value_name = "FILE")]
    policy: PathBuf,
    /// The credential's signing time, RFC 3339 or Unix seconds (default: now).
    #[arg(long, value_name = "RFC3339")]
    at: Option<String>,
    /// The time list freshness is checked at (default: the system clock).
    #[arg(long, value_name = "RFC3339")]
    now: Option<String>,
}

#[derive(clap::Args)]
pub struct PublishArgs {
    /// The list description, TOML or JSON (by extension); certificate and key paths in it
    /// are relative to its directory.
    #[arg(value_name = "DESCRIPTION")]
    description: PathBuf,
    /// Output file (default: standard output).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// XAdES SigningTime (JAdES sigT), RFC 3339 or Unix seconds (default: the system clock).
    #[arg(long, value_name = "RFC3339")]
    signing_time: Option<String>,
    /// Publish as an ETSI TS 119 602 LoTE (JSON, JAdES compact) instead of TS 119 612 XML.
    #[arg(long)]
    lote: bool,
}

pub fn run(command: TrustCommand) -> anyhow::Result<ExitCode> {
    match command {
        TrustCommand::VerifyList(a) => verify_list_cmd(&a),
        TrustCommand::Evaluate(a) => evaluate_cmd(&a),
        TrustCommand::Publish(a) => publish_cmd(&a),
    }
}

/// RFC 3339 or Unix seconds.
fn parse_time(text: &str) -> anyhow::Result<UnixTime> {
    if let Ok(secs) = text.parse::<i64>() {
        return Ok(UnixTime(secs));
    }
    UnixTime::parse_rfc3339(text).map_err(|e| anyhow!("{e}"))
}

fn time_or_now(text: Option<&str>) -> anyhow::Result<UnixTime> {
    text.map_or_else(|| Ok(system_now()), parse_time)
}

fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

fn verify_list_cmd(a: &VerifyListArgs) -> anyhow::Result<ExitCode> {
    let now = time_or_now(a.now.as_deref())?;
    let options = VerifyOptions::default().with_grace_period(a.grace);
    let bytes = read(&a.file)?;
    let result: anyhow::Result<VerifiedTrustedList> = match &a.lotl {
        Some(lotl_path) => {
            let lotl_bytes = read(lotl_path)?;
            verify_list_with(&lotl_bytes, ListAnchors::DangerousUnanchored, now, &options)
                .map_err(|e| anyhow!("LOTL {}: {e}", lotl_path.display()))
                .and_then(|lotl| {
                    verify_any(&bytes, ListAnchors::Lotl(&lotl), now, &options)
                        .map_err(anyhow::Error::from)
                })
        }
        None => verify_any(&bytes, ListAnchors::DangerousUnanchored, now, &options)
            .map_err(anyhow::Error::from),
    };
    match result {
        Ok(v) => {
            print_json(&list_json(&v));
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            // Best effort: what the (unverified) list claims, so the output says which list failed.
            let claimed = parse_list(&bytes, &Limits::default())
                .ok()
                .or_else(|| claimed_lote(&bytes));
            let s = claimed.as_ref().map(|l| &l.scheme);
            print_json(&json!({
                "valid": false,
                "territory": s.map(|s| s.territory.clone()),
                "sequence_number": s.map(|s| s.sequence_number),
                "issue_date": s.map(|s| s.issue_date.to_rfc3339()),
                "next_update": s.and_then(|s| s.next_update).map(UnixTime::to_rfc3339),
                "signer": Value::Null,
                "providers": claimed.as_ref().map(|l| l.providers.len()),
                "services": claimed.as_ref().map(|l| l.service_count()),
                "error": e.to_string(),
            }));
            eprintln!("error: {e}");
            Ok(ExitCode::from(1))
        }
    }
}

/// What an unverified LoTE claims (payload only), for the failure verdict.
fn claimed_lote(bytes: &[u8]) -> Option<kakehashi_trust::TrustedList> {
    let text = std::str::from_utf8(bytes).ok()?;
    let payload = text.trim().split('.').nth(1)?;
    let json: Value = serde_json::from_slice(&kakehashi_core::b64::decode(payload).ok()?).ok()?;
    lote_to_list(&json, &Limits::default()).ok()
}

fn list_json(v: &VerifiedTrustedList) -> Value {
    let s = &v.list().scheme;
    json!({
        "valid": true,
        "territory": s.territory,
        "sequence_number": s.sequence_number,
        "issue_date": s.issue_date.to_rfc3339(),
        "next_update": s.next_update.map(UnixTime::to_rfc3339),
        "signer": {
            "subject": v.signer().subject(),
            "sha256": v.signer().sha256_hex(),
        },
        "providers": v.list().providers.len(),
        "services": v.list().service_count(),
    })
}

fn evaluate_cmd(a: &EvaluateArgs) -> anyhow::Result<ExitCode> {
    let now = time_or_now(a.now.as_deref())?;
    let at = match &a.at {
        Some(t) => parse_time(t)?,
        None => now,
    };
    let policy_text = std::fs::read_to_string(&a.policy)
        .with_context(|| format!("cannot read {}", a.policy.display()))?;
    let policy = RecognitionPolicy::from_toml(&policy_text)
        .with_context(|| format!("policy {}", a.policy.display()))?;
    let chain = super::common::pem_certificates(&a.chain)?;
    let mut inputs = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&a.lists)
        .with_context(|| format!("cannot read directory {}", a.lists.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "xml" || x == "jws"))
        .collect();
    entries.sort();
    for p in entries {
        inputs.push((p.display().to_string(), read(&p)?));
    }
    let loaded = load_lists(&inputs, &policy, now, &VerifyOptions::default());
    let rejected: Vec<Value> = loaded
        .rejected
        .iter()
        .map(|(name, e)| json!({"list": name, "error": e.to_string()}))
        .collect();
    for (name, e) in &loaded.rejected {
        eprintln!("warning: list {name} not used: {e}");
    }
    match evaluate(&chain, &loaded.accepted, &policy, at) {
        Ok(decision) => {
            let mut out = decision.to_json();
            out["rejected_lists"] = Value::Array(rejected);
            print_json(&out);
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            print_json(&json!({
                "trusted": false,
                "error": e.to_string(),
                "at": at.to_rfc3339(),
                "lists_used": loaded.accepted.iter().map(VerifiedTrustedList::describe).collect::<Vec<_>>(),
                "rejected_lists": rejected,
            }));
            eprintln!("error: not trusted: {e}");
            Ok(ExitCode::from(1))
        }
    }
}

/// A PKCS#8 ECDSA key held in memory for `trust publish`.
struct PemSigner {
    key: EcdsaKeyPair,
    algorithm: ListSignatureAlgorithm,
    certificate: Vec<u8>,
}

impl ListSigner for PemSigner {
    fn algorithm(&self) -> ListSignatureAlgorithm {
        self.algorithm
    }

    fn certificate_der(&self) -> &[u8] {
        &self.certificate
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, String> {
        self.key
            .sign(&SystemRandom::new(), message)
            .map(|s| s.as_ref().to_vec())
            .map_err(|e| e.to_string())
    }
}

fn first_certificate(path: &Path) -> Result<Vec<u8>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    CertificateDer::pem_slice_iter(&bytes)
        .next()
        .ok_or_else(|| format!("{} holds no PEM certificate", path.display()))?
        .map(|c| c.to_vec())
        .map_err(|e| format!("{}: {e}", path.display()))
}

fn publish_cmd(a: &PublishArgs) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(&a.description)
        .with_context(|| format!("cannot read {}", a.description.display()))?;
    let description: ListDescription = if a.description.extension().is_some_and(|x| x == "json") {
        serde_json::from_str(&text).context("description (JSON)")?
    } else {
        toml::from_str(&text).context("description (TOML)")?
    };
    let base = a
        .description
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let key_path = base.join(
        description
            .signer_key
            .as_deref()
            .ok_or_else(|| anyhow!("the description has no signer_key"))?,
    );
    let cert_path = base.join(
        description
            .signer_certificate
            .as_deref()
            .ok_or_else(|| anyhow!("the description has no signer_certificate"))?,
    );
    let key_pem = read(&key_path)?;
    let pkcs8 = PrivatePkcs8KeyDer::from_pem_slice(&key_pem)
        .with_context(|| format!("{} is not a PKCS#8 PEM key", key_path.display()))?;
    let (key, algorithm) = match EcdsaKeyPair::from_pkcs8(
        &ECDSA_P256_SHA256_FIXED_SIGNING,
        pkcs8.secret_pkcs8_der(),
    ) {
        Ok(k) => (k, ListSignatureAlgorithm::EcdsaP256Sha256),
        Err(_) => (
            EcdsaKeyPair::from_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, pkcs8.secret_pkcs8_der())
                .map_err(|e| {
                    anyhow!("{}: not an ECDSA P-256/P-384 key: {e}", key_path.display())
                })?,
            ListSignatureAlgorithm::EcdsaP384Sha384,
        ),
    };
    let certificate = first_certificate(&cert_path).map_err(|e| anyhow!(e))?;
    let signer = Arc::new(PemSigner {
        key,
        algorithm,
        certificate,
    });
    let signing_time = time_or_now(a.signing_time.as_deref())?;
    let mut resolve = |r: &str| first_certificate(&base.join(r));
    let xml = if a.lote {
        publish_lote(
            &description,
            description.kind.tsl_type(),
            &mut resolve,
            signer,
            signing_time,
        )?
    } else {
        publish(&description, &mut resolve, signer, signing_time)?
    };
    match &a.out {
        Some(out) => {
            std::fs::write(out, xml.as_bytes())
                .with_context(|| format!("cannot write {}", out.display()))?;
            eprintln!("wrote {}", out.display());
        }
        None if a.lote => println!("{xml}"),
        None => print!("{xml}"),
    }
    Ok(ExitCode::SUCCESS)
}
