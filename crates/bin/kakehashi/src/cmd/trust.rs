//! Placeholder until the subcommands land.

use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum TrustCommand {}

pub fn run(command: TrustCommand) -> anyhow::Result<ExitCode> {
    match command {}
}
