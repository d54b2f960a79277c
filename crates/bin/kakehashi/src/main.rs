//! `kakehashi`: offline credential tools today; servers and the pilot as they land.
//!
//! Conventions for every subcommand: results as JSON on stdout; on rejection a one-line
//! reason on stderr and exit status 1; usage errors exit with 2 (clap's default).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;

/// mimalloc: the servers and the verifier make many short-lived allocations per request,
/// where its thread-local free lists beat glibc malloc (BENCHMARKS.md, SD-JWT VC).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "kakehashi",
    version,
    about = "EU–Japan verifiable academic credentials"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Issue, present and verify SD-JWTs and SD-JWT VCs (RFC 9901).
    #[command(name = "sd-jwt", subcommand)]
    SdJwt(cmd::sd_jwt::SdJwtCommand),
    /// Verify W3C VC 2.0 credentials secured with JOSE (vc+jwt / vp+jwt).
    #[command(subcommand)]
    Vc(cmd::vc::VcCommand),
    /// Trusted lists (ETSI TS 119 612) and trust evaluation.
    #[command(subcommand)]
    Trust(cmd::trust::TrustCommand),
    /// European Digital Credentials (Europass): verify the JAdES seal, import the diploma.
    #[command(subcommand)]
    Edc(cmd::edc::EdcCommand),
    /// Registrar tasks: bulk credential offers from a CSV file.
    #[command(subcommand)]
    Registrar(cmd::registrar::RegistrarCommand),
    /// Holder wallet: receive (OpenID4VCI), list and present (OpenID4VP) credentials.
    #[command(subcommand)]
    Wallet(cmd::wallet::WalletCommand),
    /// Run the pilot: both jurisdictions end to end on loopback, scenarios table.
    Pilot(cmd::pilot::PilotArgs),
    /// Run a Kakehashi node (every role, or those given with --role).
    Serve(cmd::serve::ServeArgs),
    /// Create or upgrade the database schema.
    Migrate(cmd::serve::MigrateArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::SdJwt(c) => cmd::sd_jwt::run(c),
        Command::Vc(c) => cmd::vc::run(c),
        Command::Trust(c) => cmd::trust::run(c),
        Command::Edc(c) => cmd::edc::run(c),
        Command::Registrar(c) => cmd::registrar::run(c),
        Command::Wallet(c) => cmd::wallet::run(c),
        Command::Pilot(a) => cmd::pilot::run(a),
        Command::Serve(a) => cmd::serve::serve(a),
        Command::Migrate(a) => cmd::serve::migrate(a),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            // One line: the outermost context and its causes.
            eprintln!("error: {err:#}");
            ExitCode::from(1)
        }
    }
}
