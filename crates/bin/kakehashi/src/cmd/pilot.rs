//! `kakehashi pilot`: both jurisdictions end to end on loopback; a table of expected and
//! observed outcomes; exit status 1 if any observation differs.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;

/// Options of `kakehashi pilot`.
#[derive(clap::Args)]
pub struct PilotArgs {
    /// Where the generated PKIs, lists and databases go (default: a fresh temporary directory).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Print the results as JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// Runs the pilot.
pub fn run(args: PilotArgs) -> anyhow::Result<ExitCode> {
    let data_dir = args.data_dir.unwrap_or_else(|| {
        std::env::temp_dir().join(format!("kakehashi-pilot-{}", std::process::id()))
    });
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let report = runtime
        .block_on(kakehashi_pilot::run(&kakehashi_pilot::PilotOptions {
            data_dir: data_dir.clone(),
        }))
        .context("the pilot could not run")?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report.to_json()).unwrap_or_default()
        );
    } else {
        println!("Kakehashi pilot: EU ⇄ Japan academic credentials");
        println!(
            "world (PKIs, trusted lists, policies, databases): {}",
            data_dir.display()
        );
        println!(
            "node (issuers, verifiers, trusted lists, status lists): {}\n",
            report.registry
        );
        print!("{}", report.table());
    }
    if report.all_ok() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("error: some scenarios did not behave as expected");
        Ok(ExitCode::from(1))
    }
}
