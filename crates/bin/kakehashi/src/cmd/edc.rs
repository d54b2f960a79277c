//! `kakehashi edc import FILE`: read a European Digital Credential (Europass; ELM v3 sealed
//! with JAdES), verify its seal, evaluate the seal certificate chain against trusted lists,
//! and print the canonical diploma.
//!
//! The edge: reads the files and the clock, then calls the pure `kakehashi-edc` crate. The
//! report goes to stdout as JSON; exit status 1 unless the seal is valid, its chain leads to
//! a trusted service, the credential is a diploma and the seal is its awarding body's. A seal
//! without loaded lists is reported as "seal valid, issuer not in a trusted list".

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, anyhow};
use kakehashi_core::UnixTime;
use kakehashi_edc::TrustInputs;
use kakehashi_trust::policy::load_lists;
use kakehashi_trust::{RecognitionPolicy, VerifyOptions};
use serde_json::{Value, json};

use super::common::{print_json, system_now};

#[derive(clap::Subcommand)]
pub enum EdcCommand {
    /// Verify and import an EDC: seal, trust of the seal certificate, canonical diploma.
    Import(ImportArgs),
}

#[derive(clap::Args)]
pub struct ImportArgs {
    /// The EDC (JAdES JWS JSON, or an unsealed ELM credential).
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// A trusted list (TS 119 612 XML or LoTE); repeat for the LOTL and national lists.
    #[arg(long = "trusted-list", value_name = "FILE", requires = "policy")]
    trusted_lists: Vec<PathBuf>,
    /// Recognition policy (TOML, docs/trust/policy.md): pins the LOTL and names the rules.
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// The time list freshness is checked at, Unix seconds or RFC 3339 (default: the
    /// system clock). The chain itself is evaluated at the seal's sigT.
    #[arg(long, value_name = "UNIX", allow_hyphen_values = true)]
    now: Option<String>,
}

pub fn run(command: EdcCommand) -> anyhow::Result<ExitCode> {
    match command {
        EdcCommand::Import(a) => import(&a),
    }
}

fn parse_time(text: &str) -> anyhow::Result<UnixTime> {
    if let Ok(secs) = text.parse::<i64>() {
        return Ok(UnixTime(secs));
    }
    UnixTime::parse_rfc3339(text).map_err(|e| anyhow!("--now {text:?}: {e}"))
}

fn import(a: &ImportArgs) -> anyhow::Result<ExitCode> {
    let now = a
        .now
        .as_deref()
        .map_or_else(|| Ok(system_now()), parse_time)?;
    let bytes =
        std::fs::read(&a.file).with_context(|| format!("cannot read {}", a.file.display()))?;
    let policy = match &a.policy {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            Some(
                RecognitionPolicy::from_toml(&text)
                    .with_context(|| format!("policy {}", path.display()))?,
            )
        }
        None => None,
    };
    let mut inputs = Vec::new();
    for path in &a.trusted_lists {
        let list =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        inputs.push((path.display().to_string(), list));
    }
    let loaded = policy
        .as_ref()
        .map(|p| load_lists(&inputs, p, now, &VerifyOptions::default()));
    let rejected: Vec<Value> = loaded
        .iter()
        .flat_map(|l| l.rejected.iter())
        .map(|(name, e)| json!({"list": name, "error": e.to_string()}))
        .collect();
    for (name, e) in loaded.iter().flat_map(|l| l.rejected.iter()) {
        eprintln!("warning: list {name} not used: {e}");
    }
    let trust = match (&policy, &loaded) {
        (Some(policy), Some(l)) if !a.trusted_lists.is_empty() => Some(TrustInputs {
            lists: &l.accepted,
            policy,
        }),
        _ => None,
    };
    let verifier = kakehashi_crypto_aws_lc::seal_verifier();
    match kakehashi_edc::import(&bytes, &verifier, trust) {
        Ok(imported) => {
            let mut out = imported.to_json();
            out["rejected_lists"] = Value::Array(rejected);
            print_json(&out);
            if imported.accepted() {
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!("error: not accepted: {}", imported.outcome());
                Ok(ExitCode::from(1))
            }
        }
        Err(e) => {
            print_json(&json!({
                "accepted": false,
                "outcome": "rejected",
                "error": e.to_string(),
            }));
            eprintln!("error: {e}");
            Ok(ExitCode::from(1))
        }
    }
}
