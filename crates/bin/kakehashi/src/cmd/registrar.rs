//! `kakehashi registrar import FILE.csv --university eu|jp`: bulk offers from a registrar CSV.
//!
//! Every valid row becomes a graduate record and a pre-authorized credential offer (with a
//! transaction code, shown to the graduate later in the portal). Re-running the same file
//! issues nothing twice; a run killed half-way resumes where it stopped. Progress goes to
//! stderr, the summary `{"rows", "issued", "skipped", "errors"}` to stdout; exit status 1
//! when any row failed validation.
//!
//! The offer codes derive from a secret sealed in the store under the key-encryption key,
//! read from `KAKEHASHI_KEK` (32 bytes, base64url), the same one the issuer node uses.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Args, Subcommand, ValueEnum};
use kakehashi_crypto_aws_lc::sealed::KeyEncryptionKey;
use kakehashi_http_issuer::{
    BulkSummary, ImportSpec, IssuerConfig, OfferIssuer, Profile, bulk_issue,
    load_or_create_offer_secret,
};
use kakehashi_server::{AnyStore, Config};
use kakehashi_storage::Store;
use serde_json::json;

use super::common::{print_json, system_now};

/// Registrar tasks.
#[derive(Subcommand)]
pub enum RegistrarCommand {
    /// Create credential offers for every valid row of a registrar CSV file.
    Import(ImportArgs),
}

/// Which pilot university issues.
#[derive(Clone, Copy, ValueEnum)]
pub enum University {
    /// The Belgian university (SD-JWT VC).
    Eu,
    /// The Japanese university (Open Badges 3.0 jwt_vc_json).
    Jp,
}

/// `registrar import` arguments.
#[derive(Args)]
pub struct ImportArgs {
    /// The CSV file (UTF-8, UTF-8 with BOM, or Shift_JIS).
    pub file: PathBuf,
    /// The issuing university.
    #[arg(long, value_enum)]
    pub university: University,
    /// Directory of the SQLite database (as `kakehashi serve`).
    #[arg(long, conflicts_with = "database_url")]
    pub data_dir: Option<PathBuf>,
    /// PostgreSQL URL instead of SQLite.
    #[arg(long)]
    pub database_url: Option<String>,
    /// The credential issuer URL offers point to (default: `KAKEHASHI_PUBLIC_URL`, else
    /// `https://localhost:8443`).
    #[arg(long)]
    pub public_url: Option<String>,
    /// The registrar running the import (recorded with the job).
    #[arg(long, default_value = "registrar-cli")]
    pub username: String,
}

/// Runs a registrar command.
pub fn run(command: RegistrarCommand) -> anyhow::Result<ExitCode> {
    match command {
        RegistrarCommand::Import(args) => import(args),
    }
}

fn import(args: ImportArgs) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let profile = match args.university {
        University::Eu => Profile::Eu,
        University::Jp => Profile::Jp,
    };
    let body = kakehashi_http_issuer::demo::awarding_body(profile);
    let parsed = kakehashi_academic::csv_import::parse(&bytes, &body)
        .with_context(|| format!("cannot import {}", args.file.display()))?;
    let kek_text = std::env::var("KAKEHASHI_KEK")
        .context("KAKEHASHI_KEK (the key-encryption key, 32 bytes base64url) is not set")?;
    let kek = KeyEncryptionKey::from_base64url("env", &kek_text)
        .context("KAKEHASHI_KEK is not 32 bytes of base64url")?;
    let mut config = Config::default();
    if let Some(dir) = args.data_dir.clone() {
        config.data_dir = dir;
    }
    config.database_url = args.database_url.clone();
    let file_hash = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &bytes)
        .as_ref()
        .to_vec();
    let spec = ImportSpec {
        file_hash,
        username: args.username.clone(),
        offer_lifetime: IssuerConfig::default().bulk_offer_lifetime,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let summary = runtime.block_on(async {
        let store = AnyStore::open(&config)
            .await
            .context("cannot open the store")?;
        match store {
            AnyStore::Sqlite(s) => run_import(&s, &kek, profile, &args, &parsed.rows, &spec).await,
            AnyStore::Postgres(s) => {
                run_import(&s, &kek, profile, &args, &parsed.rows, &spec).await
            }
        }
    })?;
    let total_rows = parsed.rows.len() + parsed.errors.len();
    print_json(&json!({
        "rows": total_rows,
        "issued": summary.issued,
        "skipped": summary.skipped,
        "errors": parsed.errors,
    }));
    Ok(if parsed.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

async fn run_import<S: Store + Clone + 'static>(
    store: &S,
    kek: &KeyEncryptionKey,
    profile: Profile,
    args: &ImportArgs,
    rows: &[kakehashi_academic::csv_import::CsvRow],
    spec: &ImportSpec,
) -> anyhow::Result<BulkSummary> {
    let secret = load_or_create_offer_secret(store, kek, system_now())
        .await
        .context("cannot load the offer secret")?;
    let public_url = args
        .public_url
        .clone()
        .or_else(|| std::env::var("KAKEHASHI_PUBLIC_URL").ok())
        .unwrap_or_else(|| "https://localhost:8443".into());
    let issuer = OfferIssuer {
        credential_issuer: public_url.trim_end_matches('/').to_owned(),
        profile,
        secret,
        tx_code_attempts: IssuerConfig::default().tx_code_attempts,
    };
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(u64::try_from(rows.len()).unwrap_or(0)),
        indicatif::ProgressDrawTarget::stderr(),
    );
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} rows {elapsed_precise}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let clock: Arc<dyn Fn() -> kakehashi_core::UnixTime + Send + Sync> = Arc::new(system_now);
    let summary = bulk_issue(store, &issuer, rows, spec, clock.as_ref(), |done, _| {
        bar.set_position(u64::from(done));
    })
    .await
    .context("import failed")?;
    bar.finish_and_clear();
    Ok(summary)
}
